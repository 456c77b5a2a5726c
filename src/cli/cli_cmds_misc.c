/* Miscellaneous verbs: events, version, help. */
#include "cli/cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"

#ifndef XC_VERSION
#define XC_VERSION "0.0.0"
#endif

#define NOPT {NULL, 0, 0, NULL, NULL}

/* ---------- events ---------- */

struct events_state {
    struct cli_ctx *ctx;
    long max;   /* stop after this many events (0: no limit) */
    long seen;
};

static int events_cb(void *arg, const char *event, const char *data)
{
    struct events_state *es = arg;

    if (strcmp(event, "connected") == 0) {
        fprintf(stderr, "Listening for events from %s (Ctrl-C to stop)\n", es->ctx->base_url);
        fflush(stderr);
        return 0;
    }
    if (es->ctx->json) {
        json_t *ev = json_string(event);
        char *enc = ev ? json_dumps(ev, JSON_ENCODE_ANY) : NULL;
        printf("{\"event\":%s,\"data\":%s}\n", enc ? enc : "\"\"", *data ? data : "null");
        free(enc);
        json_decref(ev);
    } else {
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm) || strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            snprintf(ts, sizeof ts, "-");
        printf("%s %-20s %s\n", ts, event, data);
    }
    fflush(stdout);
    es->seen++;
    return es->max > 0 && es->seen >= es->max;
}

int cli_cmd_events(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *count = NULL, *timeout = NULL;
    int follow = 0, done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"follow", 'f', 0, NULL, &follow},
        {"count", 'n', 1, &count, NULL},
        {"timeout", 0, 1, &timeout, NULL},
        NOPT,
    };
    struct events_state es = {ctx, 0, 0};
    long tmo = 0;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (count && (rc = cli_arg_int(cmd, "--count", count, 1, LONG_MAX, &es.max)))
        return rc;
    if (timeout && (rc = cli_arg_int(cmd, "--timeout", timeout, 1, INT_MAX, &tmo)))
        return rc;
    if (!follow && !timeout && !count)
        tmo = 5; /* without -f: a short look at what is happening now */
    if (!follow)
        return cli_sse_stream(ctx, "/api/stream", tmo, events_cb, &es);

    /* Following: like an EventSource, reconnect when the server closes the stream. */
    {
        time_t end = tmo > 0 ? time(NULL) + tmo : 0;
        for (;;) {
            long left = 0;
            if (end) {
                left = (long)(end - time(NULL));
                if (left <= 0)
                    return CLI_EXIT_OK;
            }
            rc = cli_sse_stream(ctx, "/api/stream", left, events_cb, &es);
            if (rc != CLI_EXIT_OK || (es.max > 0 && es.seen >= es.max))
                return rc;
            if (end && time(NULL) >= end)
                return CLI_EXIT_OK;
            sleep(1);
        }
    }
}

/* ---------- version ---------- */

int cli_cmd_version(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    struct cli_resp r = {0};

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    cli_ctx_resolve(ctx);
    if (ctx->json) {
        ctx->quiet = 1;
        rc = cli_http_request(ctx, "GET", "/", NULL, &r);
        ctx->quiet = 0;
        json_t *o = json_pack("{s:s,s:s}", "client", XC_VERSION, "url", ctx->base_url);
        char *enc;
        if (rc == 0 && r.status == 200 && json_is_object(r.json))
            json_object_set(o, "server", json_object_get(r.json, "version"));
        else
            json_object_set_new(o, "server", json_null());
        enc = json_dumps(o, JSON_COMPACT);
        printf("%s\n", enc ? enc : "{}");
        free(enc);
        json_decref(o);
        cli_resp_free(&r);
        return rc == -2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    printf("xcelsior %s\n", XC_VERSION);
    fflush(stdout);
    ctx->quiet = 1;
    rc = cli_http_request(ctx, "GET", "/", NULL, &r);
    ctx->quiet = 0;
    if (rc == -1)
        printf("server: unreachable (%s)\n", ctx->base_url);
    if (rc == 0 && r.status == 200 && json_is_object(r.json) && *cli_jstr(r.json, "version"))
        printf("server %s (%s)\n", cli_jstr(r.json, "version"), ctx->base_url);
    else if (rc == 0)
        printf("server: unknown version (%s, HTTP %ld)\n", ctx->base_url, r.status);
    cli_resp_free(&r);
    return rc == -2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

/* ---------- help ---------- */

int cli_cmd_help(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    const char *pos[1];
    const struct cli_cmd *c;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, pos, 0, 1, &npos, &done)) || done)
        return rc;
    if (npos == 0) {
        cli_print_tool_help(stdout);
        return CLI_EXIT_OK;
    }
    c = cli_find_cmd(pos[0]);
    if (!c)
        return cli_usage_error(NULL, "unknown command '%s'", pos[0]);
    cli_print_cmd_help(c, stdout);
    return CLI_EXIT_OK;
}
