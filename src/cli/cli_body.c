/* JSON request bodies. Numbers are written from exact decimal text (money never goes through a
 * binary double); strings are escaped by jansson. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/fixed.h"

static void put(struct cli_body *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->buf = xrealloc(b->buf, cap);
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void puts_(struct cli_body *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_json_string(struct cli_body *b, const char *s)
{
    json_t *j = json_string(s);
    char *enc;

    if (!j) { /* not valid UTF-8: send it anyway, lossy, so the server reports the problem */
        j = json_stringn_nocheck(s, strlen(s));
    }
    enc = json_dumps(j, JSON_ENCODE_ANY);
    put(b, enc ? enc : "\"\"", enc ? strlen(enc) : 2);
    free(enc);
    json_decref(j);
}

static void key(struct cli_body *b, const char *k)
{
    if (b->n++ > 0)
        puts_(b, ",");
    put_json_string(b, k);
    puts_(b, ":");
}

void cli_body_init(struct cli_body *b)
{
    memset(b, 0, sizeof *b);
    puts_(b, "{");
}

void cli_body_str(struct cli_body *b, const char *k, const char *val)
{
    key(b, k);
    put_json_string(b, val);
}

void cli_body_strv(struct cli_body *b, const char *k, const char *const *vals, size_t n)
{
    key(b, k);
    puts_(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            puts_(b, ",");
        put_json_string(b, vals[i]);
    }
    puts_(b, "]");
}

void cli_body_int(struct cli_body *b, const char *k, long long val)
{
    char tmp[32];

    key(b, k);
    snprintf(tmp, sizeof tmp, "%lld", val);
    puts_(b, tmp);
}

void cli_body_bool(struct cli_body *b, const char *k, int val)
{
    key(b, k);
    puts_(b, val ? "true" : "false");
}

void cli_body_fixed(struct cli_body *b, const char *k, int64_t v, int scale)
{
    char tmp[48];

    key(b, k);
    puts_(b, fixed_fmt(v, scale, tmp, sizeof tmp));
}

const char *cli_body_finish(struct cli_body *b)
{
    puts_(b, "}");
    return b->buf;
}

void cli_body_free(struct cli_body *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}
