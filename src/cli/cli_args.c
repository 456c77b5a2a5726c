/* Verb argument parsing: --long VALUE, --long=VALUE, -s, "--" ends options; global options
 * (--url/--api-url, --token, --json, --no-color) are accepted after the verb too. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "error: %s\n", msg);
    if (cmd) {
        fprintf(stderr, "usage: xcelsior %s%s%s\n", cmd->name, *cmd->synopsis ? " " : "",
                cmd->synopsis);
        fprintf(stderr, "Try 'xcelsior help %s' for more information.\n", cmd->name);
    } else {
        fprintf(stderr, "Try 'xcelsior --help' for more information.\n");
    }
    return CLI_EXIT_USAGE;
}

/* Global options after the verb. Returns 1 if consumed (advancing *i), 0 if unknown, or a negative
 * value when a required value is missing. */
static int global_opt(struct cli_ctx *ctx, const char *name, const char *eqval, int argc,
                      char **argv, int *i)
{
    const char **slot = NULL;

    if (strcmp(name, "url") == 0 || strcmp(name, "api-url") == 0)
        slot = &ctx->url_opt;
    else if (strcmp(name, "token") == 0)
        slot = &ctx->token_opt;
    if (slot) {
        if (eqval) {
            *slot = eqval;
        } else {
            if (*i + 1 >= argc)
                return -1;
            *slot = argv[++*i];
        }
        return 1;
    }
    if (eqval)
        return 0;
    if (strcmp(name, "json") == 0) {
        ctx->json = 1;
        return 1;
    }
    if (strcmp(name, "no-color") == 0 || strcmp(name, "no-colour") == 0) {
        ctx->no_color = 1;
        return 1;
    }
    return 0;
}

/* "missing MODEL VRAM_GB": the names come from the verb's synopsis (its upper-case words). */
static int missing_positional(const struct cli_cmd *cmd, int have, int want)
{
    char names[256] = "";
    size_t used = 0;
    const char *p = cmd->synopsis;
    int idx = 0;

    while (*p && idx < want) {
        size_t n;
        int upper = 1;
        size_t k;

        while (*p == ' ')
            p++;
        n = strcspn(p, " ");
        if (n == 0)
            break;
        if (p[0] == '[' || p[0] == '-')
            break;
        for (k = 0; k < n; k++)
            if (!((p[k] >= 'A' && p[k] <= 'Z') || p[k] == '_' || (p[k] >= '0' && p[k] <= '9')))
                upper = 0;
        if (!upper)
            break;
        if (idx >= have && used + n + 2 < sizeof names) {
            if (used)
                names[used++] = ' ';
            memcpy(names + used, p, n);
            used += n;
            names[used] = '\0';
        }
        idx++;
        p += n;
    }
    if (used)
        return cli_usage_error(cmd, "missing %s", names);
    return cli_usage_error(cmd, "missing argument%s", want - have > 1 ? "s" : "");
}

static int looks_negative_number(const char *s)
{
    return s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || (s[1] == '.' && s[2] >= '0' && s[2] <= '9'));
}

int cli_parse_args(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv,
                   const struct cli_opt *opts, const char **pos, int min_pos, int max_pos,
                   int *npos, int *done)
{
    int i, only_pos = 0;

    *npos = 0;
    *done = 0;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        const struct cli_opt *o = NULL;

        if (only_pos || a[0] != '-' || a[1] == '\0' || looks_negative_number(a)) {
            if (*npos >= max_pos)
                return cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_print_cmd_help(cmd, stdout);
            *done = 1;
            return CLI_EXIT_OK;
        }
        if (a[1] == '-') {
            char name[64];
            const char *eq = strchr(a + 2, '=');
            size_t nl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            const char *eqval = eq ? eq + 1 : NULL;

            if (nl == 0 || nl >= sizeof name)
                return cli_usage_error(cmd, "unknown option '%s'", a);
            memcpy(name, a + 2, nl);
            name[nl] = '\0';
            for (o = opts; o && o->name; o++)
                if (strcmp(o->name, name) == 0)
                    break;
            if (!o || !o->name) {
                int g = global_opt(ctx, name, eqval, argc, argv, &i);
                if (g < 0)
                    return cli_usage_error(cmd, "option '--%s' needs a value", name);
                if (g == 0)
                    return cli_usage_error(cmd, "unknown option '--%s'", name);
                continue;
            }
            if (o->has_arg) {
                if (eqval) {
                    *o->value = eqval;
                } else {
                    if (i + 1 >= argc)
                        return cli_usage_error(cmd, "option '--%s' needs a value", name);
                    *o->value = argv[++i];
                }
            } else {
                if (eqval)
                    return cli_usage_error(cmd, "option '--%s' takes no value", name);
                *o->flag = 1;
            }
            continue;
        }
        /* short option(s), e.g. -f */
        {
            const char *p;
            for (p = a + 1; *p; p++) {
                for (o = opts; o && o->name; o++)
                    if (o->short_name && o->short_name == *p)
                        break;
                if (!o || !o->name)
                    return cli_usage_error(cmd, "unknown option '-%c'", *p);
                if (o->has_arg) {
                    if (p[1]) {
                        *o->value = p + 1;
                    } else {
                        if (i + 1 >= argc)
                            return cli_usage_error(cmd, "option '-%c' needs a value", *p);
                        *o->value = argv[++i];
                    }
                    break;
                }
                *o->flag = 1;
            }
        }
    }
    if (*npos < min_pos)
        return missing_positional(cmd, *npos, min_pos);
    return 0;
}

int cli_arg_fixed(const struct cli_cmd *cmd, const char *what, const char *text, int scale,
                  int positive, int64_t *out)
{
    if (!text || fixed_parse(text, scale, out) != 0)
        return cli_usage_error(cmd, "%s must be a number, got '%s'", what, text ? text : "");
    if (positive && *out <= 0)
        return cli_usage_error(cmd, "%s must be greater than 0, got '%s'", what, text);
    if (!positive && *out < 0)
        return cli_usage_error(cmd, "%s must not be negative, got '%s'", what, text);
    return 0;
}

int cli_arg_int(const struct cli_cmd *cmd, const char *what, const char *text, long lo, long hi,
                long *out)
{
    char *end;
    long v;

    errno = 0;
    v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || errno || *end)
        return cli_usage_error(cmd, "%s must be an integer, got '%s'", what, text ? text : "");
    if (v < lo || v > hi)
        return cli_usage_error(cmd, "%s must be between %ld and %ld, got '%s'", what, lo, hi, text);
    *out = v;
    return 0;
}
