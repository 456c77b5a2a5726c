/* Miscellaneous verbs: events, version, login, whoami, help. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ---------- login (device flow) ---------- */

static int save_token(const char *token, char *where, size_t wn)
{
    const char *home = getenv("HOME");
    char dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX];
    int fd = -1, ret = -1;
    size_t len = strlen(token);

    if (!home || !*home)
        return -1;
    if (snprintf(dir, sizeof dir, "%s/.xcelsior", home) >= (int)sizeof dir ||
        snprintf(path, sizeof path, "%s/token", dir) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.token.%ld", dir, (long)getpid()) >= (int)sizeof tmp)
        return -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (fchmod(fd, 0600) != 0 || write(fd, token, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
        goto out;
    if (fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto out;
    snprintf(where, wn, "%s", path);
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    if (ret != 0)
        unlink(tmp);
    return ret;
}

int cli_cmd_login(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    struct cli_resp r = {0}, t = {0};
    struct cli_body b;
    char *device_code = NULL;
    long interval, expires;
    time_t deadline;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if ((rc = cli_call(ctx, "POST", "/api/auth/device", "{\"client_id\":\"xcelsior-cli\"}", &r)))
        goto out;
    device_code = xstrdup(cli_jstr(r.json, "device_code"));
    interval = (long)cli_jint(r.json, "interval");
    expires = (long)cli_jint(r.json, "expires_in");
    if (!*device_code) {
        cli_errorf("the server did not return a device code");
        rc = CLI_EXIT_API;
        goto out;
    }
    if (interval <= 0)
        interval = 5;
    if (expires <= 0)
        expires = 600;
    printf("To sign in, open %s\nand enter the code: %s\n", cli_jstr(r.json, "verification_uri"),
           cli_jstr(r.json, "user_code"));
    printf("Waiting for approval...\n");
    fflush(stdout);
    deadline = time(NULL) + expires;

    cli_body_init(&b);
    cli_body_str(&b, "device_code", device_code);
    cli_body_str(&b, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
    const char *body = cli_body_finish(&b);
    for (;;) {
        sleep((unsigned)interval);
        cli_resp_free(&t);
        if (cli_http_request(ctx, "POST", "/api/auth/token", body, &t) < 0) {
            rc = CLI_EXIT_UNREACH;
            break;
        }
        if (t.status == 428) {
            if (time(NULL) >= deadline) {
                cli_errorf("the code expired before it was approved");
                rc = CLI_EXIT_API;
                break;
            }
            continue;
        }
        if (t.status == 200 && json_is_object(t.json) && *cli_jstr(t.json, "access_token")) {
            char where[PATH_MAX];
            if (save_token(cli_jstr(t.json, "access_token"), where, sizeof where) != 0) {
                cli_errorf("cannot write ~/.xcelsior/token: %s", strerror(errno));
                rc = CLI_EXIT_API;
            } else {
                printf("Logged in. Token saved to %s\n", where);
                rc = CLI_EXIT_OK;
            }
            break;
        }
        cli_print_api_error(&t);
        rc = CLI_EXIT_API;
        break;
    }
    cli_body_free(&b);
out:
    free(device_code);
    cli_resp_free(&r);
    cli_resp_free(&t);
    return rc;
}

/* ---------- whoami ---------- */

int cli_cmd_whoami(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    struct cli_resp r = {0};

    if (cli_verb_simple(ctx, cmd, argc, argv, "GET", "/api/auth/me", &r, &rc)) {
        const json_t *u = json_object_get(r.json, "user");
        printf("%s (%s)\n", cli_jstr(u, "email"), cli_jstr(u, "role"));
    }
    cli_resp_free(&r);
    return rc;
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
