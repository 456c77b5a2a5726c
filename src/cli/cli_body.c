/* JSON request bodies. Numbers are written from exact decimal text (money never goes through a
 * binary double); strings are escaped by jansson. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"

static void put_json_string(struct cli_body *b, const char *s)
{
    json_t *j = json_string(s);
    char *enc;

    if (!j) { /* not valid UTF-8: send it anyway, lossy, so the server reports the problem */
        j = json_stringn_nocheck(s, strlen(s));
    }
    enc = json_dumps(j, JSON_ENCODE_ANY);
    buf_put(&b->text, enc ? enc : "\"\"", enc ? strlen(enc) : 2);
    free(enc);
    json_decref(j);
}

static void key(struct cli_body *b, const char *k)
{
    if (b->n++ > 0)
        buf_puts(&b->text, ",");
    put_json_string(b, k);
    buf_puts(&b->text, ":");
}

void cli_body_init(struct cli_body *b)
{
    memset(b, 0, sizeof *b);
    buf_puts(&b->text, "{");
}

void cli_body_str(struct cli_body *b, const char *k, const char *val)
{
    key(b, k);
    put_json_string(b, val);
}

void cli_body_strv(struct cli_body *b, const char *k, const char *const *vals, size_t n)
{
    key(b, k);
    buf_puts(&b->text, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(&b->text, ",");
        put_json_string(b, vals[i]);
    }
    buf_puts(&b->text, "]");
}

void cli_body_int(struct cli_body *b, const char *k, long long val)
{
    char tmp[32];

    key(b, k);
    snprintf(tmp, sizeof tmp, "%lld", val);
    buf_puts(&b->text, tmp);
}

void cli_body_bool(struct cli_body *b, const char *k, int val)
{
    key(b, k);
    buf_puts(&b->text, val ? "true" : "false");
}

void cli_body_fixed(struct cli_body *b, const char *k, int64_t v, int scale)
{
    char tmp[48];

    key(b, k);
    buf_puts(&b->text, fixed_fmt(v, scale, tmp, sizeof tmp));
}

const char *cli_body_finish(struct cli_body *b)
{
    buf_puts(&b->text, "}");
    return buf_str(&b->text);
}

void cli_body_free(struct cli_body *b)
{
    buf_free(&b->text);
    memset(b, 0, sizeof *b);
}
