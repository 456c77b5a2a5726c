#ifndef XC_CLI_H
#define XC_CLI_H
/* Internal interface of the `xcelsior` command-line client (domain §27).
 * Every exported symbol of src/cli starts with cli_ (the unit tests link all programs together). */
#include "common/buf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Process exit statuses. Command handlers return one of these; helpers return 0 / negative. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_API = 1,     /* the server answered with an error */
    CLI_EXIT_USAGE = 2,   /* bad command line */
    CLI_EXIT_UNREACH = 3, /* could not talk to the server at all */
    CLI_EXIT_INTERRUPTED = 130, /* Ctrl-C during login (128 + SIGINT, as shells report it) */
};

#define CLI_DEFAULT_URL "http://127.0.0.1:8000"
/* Words a job's command may have (`xcelsior run ... -- CMD ARGS`); the server's limit (api.md). */
#define CLI_MAX_COMMAND_ARGS 64

struct cli_ctx {
    const char *url_opt;   /* --url / --api-url, NULL if not given */
    const char *token_opt; /* --token, NULL if not given */
    int json;              /* --json: print raw response bodies */
    int no_color;          /* --no-color */
    int quiet;             /* do not print transport errors (version) */
    /* Resolved by cli_ctx_resolve() */
    char *base_url;        /* without trailing slash */
    char *token;           /* NULL or non-empty */
    int color;             /* colour on stdout */
    int resolved;
};

void cli_ctx_resolve(struct cli_ctx *ctx);
void cli_ctx_free(struct cli_ctx *ctx);

/* ---- HTTP (cli_http.c) ---- */

struct cli_resp {
    long status;   /* HTTP status, 0 if no response */
    char *body;    /* NUL-terminated, never NULL after a response */
    size_t len;
    json_t *json;  /* parsed body when it is JSON, else NULL */
    long retry_after; /* seconds from a Retry-After header (delay form), 0 if none */
};

void cli_http_global_init(void);
void cli_http_global_cleanup(void);

/* Sends one request; `path` starts with '/' and is already escaped; `body` is JSON text or NULL.
 * Returns 0 when any HTTP response arrived, or -1 when the server could not be reached (a one-line
 * message was printed on stderr). */
int cli_http_request(struct cli_ctx *ctx, const char *method, const char *path, const char *body,
                     struct cli_resp *out);
void cli_resp_free(struct cli_resp *r);

/* Request + error handling: on success (2xx with a JSON object body) returns CLI_EXIT_OK and the
 * response; otherwise prints the single error line and returns CLI_EXIT_API or CLI_EXIT_UNREACH. */
int cli_call(struct cli_ctx *ctx, const char *method, const char *path, const char *body,
             struct cli_resp *out);
/* Prints `error: <server message>` for a non-2xx response. */
void cli_print_api_error(const struct cli_resp *r);

/* Escapes one path segment (returns an allocated string). */
char *cli_path_escape(const char *segment);

/* Server-Sent Events. The callback gets each message; return 0 to continue, 1 to stop. */
typedef int (*cli_sse_cb)(void *arg, const char *event, const char *data);
/* Streams `path` until the server closes it, the callback says stop, or timeout_s (> 0) elapses.
 * Returns a CLI exit status (errors are printed). */
int cli_sse_stream(struct cli_ctx *ctx, const char *path, long timeout_s, cli_sse_cb cb, void *arg);

/* ---- The stored token of `xcelsior login` (cli_token.c) ---- */

/* $HOME/.xcelsior/token into out. Returns 0, or -1 (errno set) without HOME or on overflow. */
int cli_token_path(char *out, size_t n);
/* The first line of the token file, trimmed (caller frees), or NULL when absent or empty. */
char *cli_token_read(void);
/* Writes the token file atomically with mode 0600 (creating ~/.xcelsior with 0700) and puts its
 * path in `where`. Returns 0, or -1 with errno set. */
int cli_token_save(const char *token, char *where, size_t wn);
/* Removes the token file: 0 removed, 1 there was none, -1 error (errno set). */
int cli_token_remove(void);

/* ---- JSON request bodies built from exact text (cli_body.c) ---- */

struct cli_body {
    struct buf text;
    int n; /* members so far */
};
void cli_body_init(struct cli_body *b);
void cli_body_str(struct cli_body *b, const char *key, const char *val);
/* A JSON array of n strings. */
void cli_body_strv(struct cli_body *b, const char *key, const char *const *vals, size_t n);
void cli_body_int(struct cli_body *b, const char *key, long long val);
void cli_body_bool(struct cli_body *b, const char *key, int val);
/* `v` in units of 10^-scale, emitted as an exact decimal number. */
void cli_body_fixed(struct cli_body *b, const char *key, int64_t v, int scale);
/* Closes the object and returns the text (owned by b). */
const char *cli_body_finish(struct cli_body *b);
void cli_body_free(struct cli_body *b);

/* ---- Output (cli_out.c) ---- */

enum cli_color { CLI_C_NONE, CLI_C_GREEN, CLI_C_YELLOW, CLI_C_RED, CLI_C_BLUE, CLI_C_DIM };

/* Colour for a host/job status word. */
enum cli_color cli_status_color(const char *status);

struct cli_table;
struct cli_table *cli_table_new(int ncols, const char *const *separators);
/* Adds a row; `cells` has ncols strings (copied); colours may be NULL. */
void cli_table_add(struct cli_table *t, const char *const *cells, const enum cli_color *colors);
/* Prints the rows with every column padded to its widest cell (no trailing blanks). */
void cli_table_print(struct cli_table *t, FILE *f, int color);
void cli_table_free(struct cli_table *t);

/* Display width of a UTF-8 string (code points). */
size_t cli_display_width(const char *s);

/* Field readers: tolerate missing fields (return "" / 0). */
const char *cli_jstr(const json_t *obj, const char *key);
long long cli_jint(const json_t *obj, const char *key);
/* Reads a JSON number into units of 10^-scale exactly; -1 if absent / not a number. */
int cli_jfixed(const json_t *obj, const char *key, int scale, int64_t *out);

/* Money for people: 2 decimals, or 6 when 0 < |v| < 1 cent (domain §27). */
char *cli_money_str(int64_t ucad, char *buf, size_t n);
/* Formats a money field ("?" when missing). */
char *cli_jmoney(const json_t *obj, const char *key, char *buf, size_t n);
/* Formats a VRAM field as "24.0" ("?" when missing). */
char *cli_jvram(const json_t *obj, const char *key, char *buf, size_t n);
/* Formats a number field with exactly `decimals` decimals ("?" when missing). */
char *cli_jdec(const json_t *obj, const char *key, int decimals, char *buf, size_t n);
/* Formats an epoch-seconds field as ISO 8601 UTC with milliseconds ("-" when missing). */
char *cli_jtime(const json_t *obj, const char *key, char *buf, size_t n);

/* Indented JSON with numbers printed exactly as the server sent them. */
void cli_json_pretty(FILE *f, const json_t *v);
/* Prints the raw body of a response followed by a newline (for --json). */
void cli_print_raw(const struct cli_resp *r);
/* Prints `error: <msg>` on stderr with newlines flattened. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- Argument parsing (cli_args.c) ---- */

struct cli_opt {
    const char *name;   /* long name without dashes, e.g. "tier" */
    char short_name;    /* e.g. 'f', or 0 */
    int has_arg;        /* 1: takes a value */
    const char **value; /* where the value goes (has_arg) */
    int *flag;          /* set to 1 when present (no arg) */
};

struct cli_cmd;

/* Parses verb arguments: options from `opts` (plus the global options, which update ctx),
 * positionals into pos[0..max_pos). Returns 0, or a CLI exit status > 0 after printing a usage
 * error (CLI_EXIT_USAGE) or the verb's help (CLI_EXIT_OK with *done set). */
int cli_parse_args(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv,
                   const struct cli_opt *opts, const char **pos, int min_pos, int max_pos,
                   int *npos, int *done);
/* Prints a usage error for a verb and returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Validated conversions of option values (print a usage error on failure). */
int cli_arg_fixed(const struct cli_cmd *cmd, const char *what, const char *text, int scale,
                  int positive, int64_t *out);
int cli_arg_int(const struct cli_cmd *cmd, const char *what, const char *text, long lo, long hi,
                long *out);

/* ---- The shared verb skeleton (cli_verb.c) ---- */

/* cli_call(), then under --json prints the raw body of a successful response. Returns 1 when the
 * caller should print its human output (*rc is then CLI_EXIT_OK), else 0 with the exit status in
 * *rc. `out` must be freed either way. */
int cli_call_out(struct cli_ctx *ctx, const char *method, const char *path, const char *body,
                 struct cli_resp *out, int *rc);
/* For a verb without options or operands: parses argv (usage errors, the verb's help), then
 * cli_call_out() with no body. Same return value. */
int cli_verb_simple(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv,
                    const char *method, const char *path, struct cli_resp *out, int *rc);
/* obj[key] when it is a non-empty value of `type` (JSON_ARRAY or JSON_OBJECT); otherwise prints
 * `none` and a newline on stdout and returns NULL. */
const json_t *cli_jitems(const json_t *obj, const char *key, json_type type, const char *none);
/* xasprintf(fmt, escaped segment): `fmt` has exactly one %s. */
char *cli_path_fmt(const char *fmt, const char *segment);

/* ---- The signed-in user's accounts (cli_me.c) ---- */

/* GET /api/auth/me: the user's customer and provider ids (allocated, NULL when the user has
 * none). Returns CLI_EXIT_OK, or prints one error line (ending with `operator_hint` when the
 * caller is not a signed-in user) and returns the exit status. */
int cli_me_ids(struct cli_ctx *ctx, const char *operator_hint, char **customer, char **provider);

/* ---- Commands ---- */

typedef int (*cli_handler)(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv);

struct cli_cmd {
    const char *name;
    const char *synopsis; /* arguments after the verb */
    const char *summary;  /* one line */
    const char *help;     /* detailed text (may be NULL) */
    cli_handler run;
};

const struct cli_cmd *cli_find_cmd(const char *name);
void cli_print_cmd_help(const struct cli_cmd *cmd, FILE *f);
void cli_print_tool_help(FILE *f);
int cli_main(int argc, char **argv);

/* Handlers (cli_cmds_*.c). */
int cli_cmd_run(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_jobs(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_job(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_cancel(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_requeue(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_process(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_logs(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_host_add(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_host_rm(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_hosts(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_check(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_failover(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_autoscale(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_canada_only(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_bill(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_bill_all(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_revenue(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_billing(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_spot_prices(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_list_rig(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_unlist_rig(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_marketplace(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_events(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_version(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_login(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_whoami(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_logout(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_keys(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_wallet(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_topup(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_earnings(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_payouts(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_provider(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_verify(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_reputation(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_jurisdiction(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_sla(struct cli_ctx *, const struct cli_cmd *, int, char **);
int cli_cmd_help(struct cli_ctx *, const struct cli_cmd *, int, char **);

#endif
