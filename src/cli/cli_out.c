/* Human output: aligned tables, colours, exact money/VRAM/time formatting from JSON fields. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "common/fixed.h"

/* ---------- colours ---------- */

static const char *color_code(enum cli_color c)
{
    switch (c) {
    case CLI_C_GREEN: return "\033[32m";
    case CLI_C_YELLOW: return "\033[33m";
    case CLI_C_RED: return "\033[31m";
    case CLI_C_BLUE: return "\033[34m";
    case CLI_C_DIM: return "\033[2m";
    default: return "";
    }
}

enum cli_color cli_status_color(const char *s)
{
    static const char *const green[] = {"active", "running", "completed", "alive", NULL};
    static const char *const yellow[] = {"queued", "pending", "assigned", "leased", NULL};
    static const char *const red[] = {"dead", "failed", "cancelled", "preempted", NULL};
    size_t i;

    if (!s)
        return CLI_C_NONE;
    for (i = 0; green[i]; i++)
        if (strcmp(s, green[i]) == 0)
            return CLI_C_GREEN;
    for (i = 0; yellow[i]; i++)
        if (strcmp(s, yellow[i]) == 0)
            return CLI_C_YELLOW;
    for (i = 0; red[i]; i++)
        if (strcmp(s, red[i]) == 0)
            return CLI_C_RED;
    return CLI_C_NONE;
}

/* ---------- tables ---------- */

struct cli_table {
    int ncols;
    char **seps;
    size_t nrows, cap;
    char **cells;            /* nrows * ncols */
    enum cli_color *colors;  /* nrows * ncols */
};

size_t cli_display_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

struct cli_table *cli_table_new(int ncols, const char *const *separators)
{
    struct cli_table *t = xcalloc(1, sizeof *t);
    int i;

    t->ncols = ncols;
    t->seps = xcalloc((size_t)ncols, sizeof *t->seps);
    for (i = 0; i < ncols; i++)
        t->seps[i] = xstrdup(separators && separators[i] ? separators[i] : (i ? " " : ""));
    return t;
}

void cli_table_add(struct cli_table *t, const char *const *cells, const enum cli_color *colors)
{
    size_t base;
    int i;

    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = xrealloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
        t->colors = xrealloc(t->colors, t->cap * (size_t)t->ncols * sizeof *t->colors);
    }
    base = t->nrows * (size_t)t->ncols;
    for (i = 0; i < t->ncols; i++) {
        t->cells[base + (size_t)i] = xstrdup(cells[i] ? cells[i] : "");
        t->colors[base + (size_t)i] = colors ? colors[i] : CLI_C_NONE;
    }
    t->nrows++;
}

void cli_table_print(struct cli_table *t, FILE *f, int color)
{
    size_t *width = xcalloc((size_t)t->ncols, sizeof *width);
    size_t r;
    int i;

    for (r = 0; r < t->nrows; r++)
        for (i = 0; i < t->ncols; i++) {
            size_t w = cli_display_width(t->cells[r * (size_t)t->ncols + (size_t)i]);
            if (w > width[i])
                width[i] = w;
        }
    for (r = 0; r < t->nrows; r++) {
        for (i = 0; i < t->ncols; i++) {
            const char *cell = t->cells[r * (size_t)t->ncols + (size_t)i];
            enum cli_color c = t->colors[r * (size_t)t->ncols + (size_t)i];
            size_t w = cli_display_width(cell);

            fputs(t->seps[i], f);
            if (color && c != CLI_C_NONE)
                fprintf(f, "%s%s\033[0m", color_code(c), cell);
            else
                fputs(cell, f);
            if (i + 1 < t->ncols)
                for (; w < width[i]; w++)
                    fputc(' ', f);
        }
        fputc('\n', f);
    }
    free(width);
}

void cli_table_free(struct cli_table *t)
{
    size_t k;
    int i;

    if (!t)
        return;
    for (k = 0; k < t->nrows * (size_t)t->ncols; k++)
        free(t->cells[k]);
    for (i = 0; i < t->ncols; i++)
        free(t->seps[i]);
    free(t->cells);
    free(t->colors);
    free(t->seps);
    free(t);
}

/* ---------- field readers ---------- */

const char *cli_jstr(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

long long cli_jint(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    return 0;
}

static int64_t pow10i(int scale)
{
    int64_t p = 1;
    while (scale-- > 0)
        p *= 10;
    return p;
}

int cli_jfixed(const json_t *obj, const char *key, int scale, int64_t *out)
{
    const json_t *v = key ? json_object_get(obj, key) : obj;

    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        int64_t p = pow10i(scale);
        if (i > INT64_MAX / p || i < INT64_MIN / p)
            return -1;
        *out = (int64_t)i * p;
        return 0;
    }
    if (json_is_real(v))
        return fixed_from_double(json_real_value(v), scale, out);
    if (json_is_string(v))
        return fixed_parse(json_string_value(v), scale, out);
    return -1;
}

char *cli_money_str(int64_t ucad, char *buf, size_t n)
{
    int64_t a = ucad < 0 ? -ucad : ucad;
    const char *sign = ucad < 0 ? "-" : "";

    if (a != 0 && a < 10000) {
        snprintf(buf, n, "%s0.%06lld", sign, (long long)a);
    } else {
        int64_t cents = fixed_rhu(a, 10000);
        snprintf(buf, n, "%s%lld.%02lld", sign, (long long)(cents / 100), (long long)(cents % 100));
    }
    return buf;
}

char *cli_jmoney(const json_t *obj, const char *key, char *buf, size_t n)
{
    int64_t v;

    if (cli_jfixed(obj, key, MONEY_SCALE, &v) != 0) {
        snprintf(buf, n, "?");
        return buf;
    }
    return cli_money_str(v, buf, n);
}

char *cli_jvram(const json_t *obj, const char *key, char *buf, size_t n)
{
    int64_t v;

    if (cli_jfixed(obj, key, VRAM_SCALE, &v) != 0) {
        snprintf(buf, n, "?");
        return buf;
    }
    return vram_fmt(v, buf, n);
}

char *cli_jdec(const json_t *obj, const char *key, int decimals, char *buf, size_t n)
{
    int64_t v, p, a;

    if (decimals < 0 || decimals > 9 || cli_jfixed(obj, key, decimals, &v) != 0) {
        snprintf(buf, n, "?");
        return buf;
    }
    p = pow10i(decimals);
    a = v < 0 ? -v : v;
    if (decimals == 0)
        snprintf(buf, n, "%s%lld", v < 0 ? "-" : "", (long long)a);
    else
        snprintf(buf, n, "%s%lld.%0*lld", v < 0 ? "-" : "", (long long)(a / p), decimals,
                 (long long)(a % p));
    return buf;
}

char *cli_jtime(const json_t *obj, const char *key, char *buf, size_t n)
{
    int64_t us;
    time_t secs;
    struct tm tm;
    char tmp[32];

    if (cli_jfixed(obj, key, 6, &us) != 0 || us < 0) {
        snprintf(buf, n, "-");
        return buf;
    }
    secs = (time_t)(us / SEC);
    if (!gmtime_r(&secs, &tm) || strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(buf, n, "-");
        return buf;
    }
    snprintf(buf, n, "%s.%03dZ", tmp, (int)((us % SEC) / MSEC));
    return buf;
}

void cli_print_raw(const struct cli_resp *r)
{
    if (r->body && r->len) {
        fwrite(r->body, 1, r->len, stdout);
        if (r->body[r->len - 1] != '\n')
            fputc('\n', stdout);
    } else {
        fputs("{}\n", stdout);
    }
}

void cli_errorf(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    char *p;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "error: %s\n", msg);
}

/* ---------- pretty JSON (numbers in their shortest exact decimal form, never "%.17g" noise) ---------- */

static void real_text(double d, char *buf, size_t n)
{
    double a = d < 0 ? -d : d;
    int dec;

    if (a == 0.0 || (a >= 1e-9 && a < 1e16)) {
        for (dec = 1; dec <= 17; dec++) {
            snprintf(buf, n, "%.*f", dec, d);
            if (strtod(buf, NULL) == d)
                return;
        }
    }
    snprintf(buf, n, "%.17g", d);
}

static void indent(FILE *f, int depth)
{
    int i;
    for (i = 0; i < depth; i++)
        fputs("  ", f);
}

static void put_string(FILE *f, const char *s, size_t len)
{
    json_t *j = json_stringn_nocheck(s, len);
    char *enc = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

    fputs(enc ? enc : "\"\"", f);
    free(enc);
    json_decref(j);
}

static void pretty(FILE *f, const json_t *v, int depth)
{
    char num[64];

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *m;
        size_t i = 0, n = json_object_size(v);
        if (n == 0) {
            fputs("{}", f);
            break;
        }
        fputs("{\n", f);
        json_object_foreach((json_t *)v, k, m) {
            indent(f, depth + 1);
            put_string(f, k, strlen(k));
            fputs(": ", f);
            pretty(f, m, depth + 1);
            fputs(++i < n ? ",\n" : "\n", f);
        }
        indent(f, depth);
        fputc('}', f);
        break;
    }
    case JSON_ARRAY: {
        size_t i, n = json_array_size(v);
        if (n == 0) {
            fputs("[]", f);
            break;
        }
        fputs("[\n", f);
        for (i = 0; i < n; i++) {
            indent(f, depth + 1);
            pretty(f, json_array_get(v, i), depth + 1);
            fputs(i + 1 < n ? ",\n" : "\n", f);
        }
        indent(f, depth);
        fputc(']', f);
        break;
    }
    case JSON_STRING:
        put_string(f, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        fprintf(f, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        real_text(json_real_value(v), num, sizeof num);
        fputs(num, f);
        break;
    case JSON_TRUE:
        fputs("true", f);
        break;
    case JSON_FALSE:
        fputs("false", f);
        break;
    default:
        fputs("null", f);
        break;
    }
}

void cli_json_pretty(FILE *f, const json_t *v)
{
    pretty(f, v, 0);
    fputc('\n', f);
}
