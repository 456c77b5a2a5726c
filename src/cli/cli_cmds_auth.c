/* Account verbs: login (device flow, or e-mail and password), logout, whoami, keys (api.md §8.15).
 * A signed-in session lives in the token file (cli_token.c); --token and XCELSIOR_API_TOKEN still
 * win over it for every other verb. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"

#define NOPT {NULL, 0, 0, NULL, NULL}
#define PASSWORD_MAX 1024 /* the server takes 256 characters; longer input is refused here */

/* ---------- Ctrl-C ---------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* While waiting for the user, the first Ctrl-C ends the wait cleanly (no SA_RESTART, so a blocked
 * read returns EINTR); the handler resets itself, so a second Ctrl-C kills as usual. */
static void catch_sigint(struct sigaction *old)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    interrupted = 0;
    sigaction(SIGINT, &sa, old);
}

static void release_sigint(const struct sigaction *old)
{
    sigaction(SIGINT, old, NULL);
}

/* Sleeps `secs` seconds in small steps; returns -1 as soon as Ctrl-C was pressed. */
static int nap(long secs)
{
    long steps = secs * 10;

    while (steps-- > 0 && !interrupted) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return interrupted ? -1 : 0;
}

static int cancelled(void)
{
    fprintf(stderr, "\nLogin cancelled.\n");
    return CLI_EXIT_INTERRUPTED;
}

/* ---------- shared ---------- */

/* The note printed when a stronger credential will shadow the file just written. */
static void note_precedence(const struct cli_ctx *ctx)
{
    const char *env = getenv("XCELSIOR_API_TOKEN");

    if (ctx->token_opt && *ctx->token_opt)
        fprintf(stderr, "note: --token was given; commands given --token use it instead of the "
                        "stored token.\n");
    else if (env && *env)
        fprintf(stderr, "note: XCELSIOR_API_TOKEN is set and is used instead of the stored token; "
                        "unset it to use this login.\n");
}

/* Stores the session and reports who it belongs to: `user` is the account from the login answer,
 * or NULL (then GET /api/auth/me asks with the new token). */
static int finish_login(struct cli_ctx *ctx, const char *token, const json_t *user)
{
    char where[PATH_MAX];
    struct cli_resp me = {0};
    json_t *out = NULL;
    int rc = CLI_EXIT_OK;

    if (cli_token_save(token, where, sizeof where) != 0) {
        char path[PATH_MAX];
        if (cli_token_path(path, sizeof path) != 0)
            snprintf(path, sizeof path, "~/.xcelsior/token");
        cli_errorf("cannot write %s: %s", path, strerror(errno));
        return CLI_EXIT_API;
    }
    if (!json_is_object(user)) {
        free(ctx->token);
        ctx->token = xstrdup(token);
        ctx->quiet = 1;
        if (cli_http_request(ctx, "GET", "/api/auth/me", NULL, &me) == 0 && me.status == 200)
            user = json_object_get(me.json, "user");
        ctx->quiet = 0;
    }
    if (ctx->json) {
        char *enc;
        out = json_pack("{s:b,s:s}", "ok", 1, "token_file", where);
        if (json_is_object(user))
            json_object_set(out, "user", (json_t *)user);
        enc = json_dumps(out, JSON_COMPACT);
        printf("%s\n", enc ? enc : "{}");
        free(enc);
    } else {
        if (json_is_object(user))
            printf("Logged in as %s (%s).\n", cli_jstr(user, "email"), cli_jstr(user, "role"));
        else
            printf("Logged in.\n");
        printf("Token saved to %s\n", where);
    }
    note_precedence(ctx);
    json_decref(out);
    cli_resp_free(&me);
    return rc;
}

/* ---------- login: device flow ---------- */

/* Whether the error envelope names `what`, as its code or as its message (the server reports RFC 8628
 * errors such as authorization_pending in the message, with a generic code). */
static int err_is(const struct cli_resp *r, const char *what)
{
    const json_t *e = json_is_object(r->json) ? json_object_get(r->json, "error") : NULL;

    if (json_is_string(e))
        return strcmp(json_string_value(e), what) == 0;
    return json_is_object(e) &&
           (strcmp(cli_jstr(e, "code"), what) == 0 || strcmp(cli_jstr(e, "message"), what) == 0);
}

static int device_login(struct cli_ctx *ctx)
{
    struct cli_resp r = {0}, t = {0};
    struct cli_body b;
    struct sigaction old;
    char *device_code = NULL;
    long interval, expires, wait;
    time_t deadline;
    int rc;
    FILE *say = ctx->json ? stderr : stdout; /* under --json stdout carries only the result */

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
    {
        const char *uri = cli_jstr(r.json, "verification_uri");
        const char *complete = cli_jstr(r.json, "verification_uri_complete");
        const char *code = cli_jstr(r.json, "user_code");
        char *esc = cli_path_escape(code);

        fprintf(say,
                "To sign in, open this page in a browser where you are signed in to Xcelsior:\n"
                "  %s%s\n"
                "and enter the code:\n"
                "  %s\n",
                *uri ? uri : ctx->base_url, *uri ? "" : "/api/auth/verify", code);
        if (*complete)
            fprintf(say, "(or open %s)\n", complete);
        else
            fprintf(say, "(or approve it in the dashboard: %s/dashboard?user_code=%s)\n",
                    ctx->base_url, esc);
        fprintf(say, "Waiting for approval (Ctrl-C to cancel)...\n");
        free(esc);
    }
    fflush(say);
    deadline = time(NULL) + expires;

    cli_body_init(&b);
    cli_body_str(&b, "device_code", device_code);
    cli_body_str(&b, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
    const char *body = cli_body_finish(&b);
    catch_sigint(&old);
    wait = interval;
    for (;;) {
        if (nap(wait) != 0) {
            rc = cancelled();
            break;
        }
        cli_resp_free(&t);
        if (cli_http_request(ctx, "POST", "/api/auth/token", body, &t) < 0) {
            rc = CLI_EXIT_UNREACH;
            break;
        }
        if (interrupted) {
            rc = cancelled();
            break;
        }
        if (t.status == 200 && json_is_object(t.json) && *cli_jstr(t.json, "access_token")) {
            release_sigint(&old);
            rc = finish_login(ctx, cli_jstr(t.json, "access_token"), NULL);
            goto done;
        }
        if (t.status == 410 || err_is(&t, "expired_token")) {
            cli_errorf("the code expired before it was approved; run 'xcelsior login' again");
            rc = CLI_EXIT_API;
            break;
        }
        if (t.status == 404 || err_is(&t, "invalid_device_code")) {
            cli_errorf("the code is no longer valid (already used, or unknown to this server); "
                       "run 'xcelsior login' again");
            rc = CLI_EXIT_API;
            break;
        }
        if (err_is(&t, "slow_down")) {
            interval += 5; /* RFC 8628 §3.5 */
            wait = t.retry_after > interval ? t.retry_after : interval;
            continue;
        }
        if (t.status == 428 || err_is(&t, "authorization_pending") || t.status == 429 ||
            t.status == 502 || t.status == 503 || t.status == 504) {
            if (time(NULL) >= deadline) {
                cli_errorf("the code expired before it was approved; run 'xcelsior login' again");
                rc = CLI_EXIT_API;
                break;
            }
            wait = t.retry_after > interval ? t.retry_after : interval;
            continue;
        }
        cli_print_api_error(&t);
        rc = CLI_EXIT_API;
        break;
    }
    release_sigint(&old);
done:
    cli_body_free(&b);
out:
    free(device_code);
    cli_resp_free(&r);
    cli_resp_free(&t);
    return rc;
}

/* ---------- login: e-mail and password ---------- */

static void chomp(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
}

/* Reads one line from the terminal without echo. Returns 0, -1 without a terminal, -2 on Ctrl-C,
 * -3 when the input is too long or unreadable. */
static int prompt_password(const char *email, char *pw, size_t n)
{
    struct termios old, quiet;
    struct sigaction oldsa;
    size_t len = 0;
    int fd, ret = 0, restore;
    char prompt[512];

    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    snprintf(prompt, sizeof prompt, "Password for %s: ", email);
    if (write(fd, prompt, strlen(prompt)) < 0) {
        close(fd);
        return -1;
    }
    restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    catch_sigint(&oldsa);
    for (;;) {
        char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR && !interrupted)
            continue;
        if (interrupted) {
            ret = -2;
            break;
        }
        if (k <= 0 || c == '\n' || c == '\r')
            break;
        if (len + 1 >= n) {
            ret = -3;
            break;
        }
        pw[len++] = c;
    }
    pw[len] = '\0';
    release_sigint(&oldsa);
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (ret == -2 && write(fd, "\n", 1) < 0)
        ret = -2;
    close(fd);
    return ret;
}

static int password_login(struct cli_ctx *ctx, const char *email, int from_stdin)
{
    char pw[PASSWORD_MAX + 2];
    const char *env = getenv("XCELSIOR_PASSWORD");
    struct cli_body b;
    struct cli_resp r = {0};
    int rc;

    pw[0] = '\0';
    if (from_stdin) {
        if (!fgets(pw, sizeof pw, stdin)) {
            cli_errorf("no password on standard input");
            return CLI_EXIT_USAGE;
        }
        if (!strchr(pw, '\n') && !feof(stdin)) {
            explicit_bzero(pw, sizeof pw);
            cli_errorf("the password is too long");
            return CLI_EXIT_USAGE;
        }
        chomp(pw);
    } else if (env && *env) {
        if (strlen(env) > PASSWORD_MAX) {
            cli_errorf("XCELSIOR_PASSWORD is too long");
            return CLI_EXIT_USAGE;
        }
        snprintf(pw, sizeof pw, "%s", env);
    } else {
        switch (prompt_password(email, pw, sizeof pw)) {
        case 0:
            break;
        case -1:
            cli_errorf("no terminal to ask for the password: set XCELSIOR_PASSWORD or use "
                       "--password-stdin");
            return CLI_EXIT_USAGE;
        case -2:
            explicit_bzero(pw, sizeof pw);
            return cancelled();
        default:
            explicit_bzero(pw, sizeof pw);
            cli_errorf("the password is too long");
            return CLI_EXIT_USAGE;
        }
    }
    if (!*pw) {
        cli_errorf("empty password");
        return CLI_EXIT_USAGE;
    }
    cli_body_init(&b);
    cli_body_str(&b, "email", email);
    cli_body_str(&b, "password", pw);
    explicit_bzero(pw, sizeof pw);
    rc = cli_call(ctx, "POST", "/api/auth/login", cli_body_finish(&b), &r);
    if (b.text.p)
        explicit_bzero(b.text.p, b.text.cap);
    cli_body_free(&b);
    if (rc == CLI_EXIT_OK) {
        const char *tok = cli_jstr(r.json, "access_token");
        if (!*tok) {
            cli_errorf("the server did not return a session token");
            rc = CLI_EXIT_API;
        } else {
            rc = finish_login(ctx, tok, json_object_get(r.json, "user"));
        }
    }
    cli_resp_free(&r);
    return rc;
}

int cli_cmd_login(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *email = NULL;
    int pw_stdin = 0, done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"email", 'e', 1, &email, NULL},
        {"password-stdin", 0, 0, NULL, &pw_stdin},
        NOPT,
    };

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (email && !*email)
        return cli_usage_error(cmd, "--email needs an address");
    if (pw_stdin && !email)
        return cli_usage_error(cmd, "--password-stdin needs --email");
    /* The login routes are public: send no credential (an old or foreign token means nothing). */
    cli_ctx_resolve(ctx);
    free(ctx->token);
    ctx->token = NULL;
    return email ? password_login(ctx, email, pw_stdin) : device_login(ctx);
}

/* ---------- logout ---------- */

int cli_cmd_logout(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc, removed;
    struct cli_resp r = {0};
    char *stored = NULL;
    const char *env = getenv("XCELSIOR_API_TOKEN");

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    /* The session to end: --token when given, else the stored one. XCELSIOR_API_TOKEN is not
     * revoked by a logout (it is usually a deployment's credential, not a login). */
    cli_ctx_resolve(ctx);
    free(ctx->token);
    ctx->token = NULL;
    stored = cli_token_read();
    if (ctx->token_opt && *ctx->token_opt)
        ctx->token = xstrdup(ctx->token_opt);
    else if (stored)
        ctx->token = xstrdup(stored);
    if (!ctx->token) {
        if (cli_token_remove() < 0) {
            cli_errorf("cannot remove the token file: %s", strerror(errno));
            rc = CLI_EXIT_API;
        } else {
            printf(ctx->json ? "{\"ok\":true,\"revoked\":false}\n" : "Not logged in.\n");
        }
        goto out;
    }
    rc = cli_http_request(ctx, "POST", "/api/auth/logout", NULL, &r);
    removed = stored ? cli_token_remove() : 1;
    if (removed < 0) {
        cli_errorf("cannot remove the token file: %s", strerror(errno));
        rc = CLI_EXIT_API;
        goto out;
    }
    if (rc == -2) {
        rc = CLI_EXIT_USAGE;
    } else if (rc < 0) {
        fprintf(stderr, "The stored token was removed, but the session could not be ended on the "
                        "server.\n");
        rc = CLI_EXIT_UNREACH;
    } else if (r.status >= 200 && r.status < 300) {
        printf(ctx->json ? "{\"ok\":true,\"revoked\":true}\n" : "Logged out.\n");
        rc = CLI_EXIT_OK;
    } else if (r.status == 401) {
        /* Already expired, revoked, or not a session: nothing left to end on the server. */
        printf(ctx->json ? "{\"ok\":true,\"revoked\":false}\n"
                         : "Logged out (the session had already ended).\n");
        rc = CLI_EXIT_OK;
    } else {
        cli_print_api_error(&r);
        rc = CLI_EXIT_API;
    }
    if (rc == CLI_EXIT_OK && env && *env)
        fprintf(stderr, "note: XCELSIOR_API_TOKEN is still set in the environment.\n");
out:
    if (stored)
        explicit_bzero(stored, strlen(stored));
    free(stored);
    cli_resp_free(&r);
    return rc;
}

/* ---------- whoami ---------- */

int cli_cmd_whoami(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    struct cli_resp r = {0};

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    rc = cli_http_request(ctx, "GET", "/api/auth/me", NULL, &r);
    if (rc == -2) {
        rc = CLI_EXIT_USAGE;
    } else if (rc < 0) {
        rc = CLI_EXIT_UNREACH;
    } else if (r.status == 401) {
        cli_errorf("not signed in (run 'xcelsior login', or give --token)");
        rc = CLI_EXIT_API;
    } else if (r.status != 200 || !json_is_object(json_object_get(r.json, "user"))) {
        cli_print_api_error(&r);
        rc = CLI_EXIT_API;
    } else if (ctx->json) {
        cli_print_raw(&r);
        rc = CLI_EXIT_OK;
    } else {
        const json_t *u = json_object_get(r.json, "user");
        const char *prov = cli_jstr(u, "provider_id"), *team = cli_jstr(u, "team_id");
        printf("%s (%s)\n", cli_jstr(u, "email"), cli_jstr(u, "role"));
        printf("  user:     %s\n", cli_jstr(u, "user_id"));
        printf("  customer: %s\n", cli_jstr(u, "customer_id"));
        if (*prov)
            printf("  provider: %s\n", prov);
        if (*team)
            printf("  team:     %s\n", team);
        rc = CLI_EXIT_OK;
    }
    cli_resp_free(&r);
    return rc;
}

/* ---------- keys ---------- */

static int keys_list(struct cli_ctx *ctx)
{
    struct cli_resp r = {0};
    int rc;

    if (cli_call_out(ctx, "GET", "/api/keys", NULL, &r, &rc)) {
        const json_t *keys = cli_jitems(r.json, "keys", JSON_ARRAY, "No API keys.");
        if (keys) {
            static const char *const seps[] = {"", " | ", " | created ", " | last used "};
            struct cli_table *t = cli_table_new(4, seps);
            size_t i;
            const json_t *k;

            json_array_foreach(keys, i, k) {
                char created[40], used[40];
                const char *cells[4];
                cells[0] = cli_jstr(k, "preview");
                cells[1] = cli_jstr(k, "name");
                cells[2] = cli_jtime(k, "created_at", created, sizeof created);
                cells[3] = json_is_null(json_object_get(k, "last_used"))
                               ? "never"
                               : cli_jtime(k, "last_used", used, sizeof used);
                cli_table_add(t, cells, NULL);
            }
            cli_table_print(t, stdout, ctx->color);
            cli_table_free(t);
        }
    }
    cli_resp_free(&r);
    return rc;
}

static int keys_create(struct cli_ctx *ctx, const struct cli_cmd *cmd, const char *name)
{
    struct cli_body b;
    struct cli_resp r = {0};
    int rc;

    if (strlen(name) < 1 || strlen(name) > 64)
        return cli_usage_error(cmd, "the key name must have 1 to 64 characters");
    cli_body_init(&b);
    cli_body_str(&b, "name", name);
    if (cli_call_out(ctx, "POST", "/api/keys/generate", cli_body_finish(&b), &r, &rc)) {
        printf("API key created: %s\n", cli_jstr(r.json, "key"));
        printf("  name:    %s\n", cli_jstr(r.json, "name"));
        printf("  preview: %s\n", cli_jstr(r.json, "preview"));
        printf("Save this key now: it will not be shown again. Use it as --token or "
               "XCELSIOR_API_TOKEN.\n");
    }
    cli_body_free(&b);
    cli_resp_free(&r);
    return rc;
}

static int keys_revoke(struct cli_ctx *ctx, const char *preview)
{
    struct cli_resp r = {0};
    char *path = cli_path_fmt("/api/keys/%s", preview);
    int rc;

    if (cli_call_out(ctx, "DELETE", path, NULL, &r, &rc))
        printf("API key revoked: %s\n", preview);
    free(path);
    cli_resp_free(&r);
    return rc;
}

int cli_cmd_keys(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL}, *name = NULL;
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"name", 0, 1, &name, NULL},
        NOPT,
    };
    const char *sub;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 0, 2, &npos, &done)) || done)
        return rc;
    sub = npos > 0 ? pos[0] : "list";
    if (strcmp(sub, "list") == 0 || strcmp(sub, "ls") == 0) {
        if (npos > 1 || name)
            return cli_usage_error(cmd, "'keys list' takes no arguments");
        return keys_list(ctx);
    }
    if (strcmp(sub, "create") == 0 || strcmp(sub, "generate") == 0) {
        if (npos > 1 && name)
            return cli_usage_error(cmd, "give the name once (NAME or --name)");
        return keys_create(ctx, cmd, npos > 1 ? pos[1] : name ? name : "default");
    }
    if (strcmp(sub, "revoke") == 0 || strcmp(sub, "rm") == 0 || strcmp(sub, "delete") == 0) {
        if (npos < 2)
            return cli_usage_error(cmd, "missing PREVIEW (as 'xcelsior keys' lists it)");
        if (name)
            return cli_usage_error(cmd, "'keys revoke' takes no --name");
        return keys_revoke(ctx, pos[1]);
    }
    return cli_usage_error(cmd, "unknown keys action '%s' (expected list, create or revoke)", sub);
}
