/* The skeleton most verbs share: parse the arguments, send one request, print the raw body under
 * --json, and otherwise hand the response back for the verb's own human output. */
#include "cli/cli.h"

#include <stdlib.h>

#include "common/xalloc.h"

int cli_call_out(struct cli_ctx *ctx, const char *method, const char *path, const char *body,
                 struct cli_resp *out, int *rc)
{
    *rc = cli_call(ctx, method, path, body, out);
    if (*rc)
        return 0;
    if (ctx->json) {
        cli_print_raw(out);
        return 0;
    }
    return 1;
}

int cli_verb_simple(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv,
                    const char *method, const char *path, struct cli_resp *out, int *rc)
{
    int done = 0, npos = 0;

    if ((*rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return 0;
    return cli_call_out(ctx, method, path, NULL, out, rc);
}

const json_t *cli_jitems(const json_t *obj, const char *key, json_type type, const char *none)
{
    const json_t *v = json_object_get(obj, key);
    size_t n = 0;

    if (json_is_array(v) && type == JSON_ARRAY)
        n = json_array_size(v);
    else if (json_is_object(v) && type == JSON_OBJECT)
        n = json_object_size(v);
    if (n == 0) {
        printf("%s\n", none);
        return NULL;
    }
    return v;
}

char *cli_path_fmt(const char *fmt, const char *segment)
{
    char *e = cli_path_escape(segment);
    char *p = xasprintf(fmt, e);

    free(e);
    return p;
}
