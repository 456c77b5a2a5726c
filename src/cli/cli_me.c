/* Who "my" is for the money verbs: the signed-in user's customer and provider ids, from
 * GET /api/auth/me (api.md §8.15). The operator token is not a user, so the operator names the
 * account instead (--customer / --provider); the messages here say so. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

int cli_me_ids(struct cli_ctx *ctx, const char *operator_hint, char **customer, char **provider)
{
    struct cli_resp r = {0};
    const json_t *u;
    int rc;

    *customer = NULL;
    *provider = NULL;
    rc = cli_http_request(ctx, "GET", "/api/auth/me", NULL, &r);
    if (rc == -2) {
        rc = CLI_EXIT_USAGE;
    } else if (rc < 0) {
        rc = CLI_EXIT_UNREACH;
    } else if (r.status == 401) {
        cli_errorf("not signed in (run 'xcelsior login', or give --token); %s", operator_hint);
        rc = CLI_EXIT_API;
    } else if (r.status != 200 || !json_is_object(u = json_object_get(r.json, "user"))) {
        cli_print_api_error(&r);
        rc = CLI_EXIT_API;
    } else {
        const char *c = cli_jstr(u, "customer_id"), *p = cli_jstr(u, "provider_id");
        *customer = *c ? xstrdup(c) : NULL;
        *provider = *p ? xstrdup(p) : NULL;
        rc = CLI_EXIT_OK;
    }
    cli_resp_free(&r);
    return rc;
}
