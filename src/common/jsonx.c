/* JSON helpers shared by all programs: exact fixed-point numbers, lossy UTF-8 strings, the compact
 * writer. */
#include "common/jsonx.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "common/fixed.h"

/* A fixed-point value is a string node whose first byte is 0xFF followed by its decimal text.
 * 0xFF never occurs in UTF-8, and jansson refuses invalid UTF-8 both when parsing text and in
 * json_string()/json_stringn(); only the *_nocheck constructors accept it, and nothing but
 * jx_fixed() uses them. So no string that came from a client, the store or a C string can carry
 * the tag: it is out of reach of user text, unlike a printable or control-character prefix. */
#define FIXED_TAG '\xff'

json_t *jx_fixed(int64_t v, int scale)
{
    char buf[48];
    buf[0] = FIXED_TAG;
    fixed_fmt(v, scale, buf + 1, sizeof buf - 1);
    return json_stringn_nocheck(buf, strlen(buf));
}

/* Decimal text of a jx_fixed() node, or NULL for any other value. */
static const char *fixed_text(const json_t *v)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    return s && s[0] == FIXED_TAG ? s + 1 : NULL;
}

bool jx_is_fixed(const json_t *v) { return fixed_text(v) != NULL; }

json_t *jx_ts(int64_t us)
{
    return us ? jx_fixed(us, 6) : json_null();
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    unsigned cp = n == 3 ? ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) : 0;
    if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
        return 0;
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f)))
        return 0;
    return n;
}

json_t *jx_str_lossy(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len((const unsigned char *)s + i);
        if (l == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, l);
            o += l;
            i += l;
        }
    }
    out[o] = '\0';
    json_t *v = json_string(out);
    free(out);
    return v;
}

json_t *jx_str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *jx_parse_or(const char *text, json_t *fallback)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (v) {
        json_decref(fallback);
        return v;
    }
    return fallback;
}

/* ---- the writer: jansson's compact format, with fixed values written as bare numbers ---- */

/* A JSON string literal of s[0..n) (valid UTF-8), escaped as jansson escapes it by default. */
static void wb_str(struct buf *b, const char *s, size_t n)
{
    buf_put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_put(b, s + run, i - run);
        run = i + 1;
        char esc[8];
        const char *e = esc;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default: snprintf(esc, sizeof esc, "\\u%04X", c); break;
        }
        buf_put(b, e, strlen(e));
    }
    buf_put(b, s + run, n - run);
    buf_put(b, "\"", 1);
}

static void wb_value(struct buf *b, const json_t *v)
{
    char t[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        bool first = true;
        buf_put(b, "{", 1);
        json_object_foreach((json_t *)v, k, x)
        {
            if (!first)
                buf_put(b, ",", 1);
            first = false;
            wb_str(b, k, strlen(k));
            buf_put(b, ":", 1);
            wb_value(b, x);
        }
        buf_put(b, "}", 1);
        break;
    }
    case JSON_ARRAY:
        buf_put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                buf_put(b, ",", 1);
            wb_value(b, json_array_get(v, i));
        }
        buf_put(b, "]", 1);
        break;
    case JSON_STRING: {
        const char *f = fixed_text(v);
        if (f)
            buf_put(b, f, strlen(f));
        else
            wb_str(b, json_string_value(v), json_string_length(v));
        break;
    }
    case JSON_INTEGER:
        buf_put(b, t, (size_t)snprintf(t, sizeof t, "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
        break;
    case JSON_REAL: {
        /* Rare (a client's own numbers echoed back): jansson's rendering, unchanged. */
        char *r = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!r)
            abort();
        buf_put(b, r, strlen(r));
        free(r);
        break;
    }
    case JSON_TRUE: buf_put(b, "true", 4); break;
    case JSON_FALSE: buf_put(b, "false", 5); break;
    case JSON_NULL: buf_put(b, "null", 4); break;
    }
}

char *jsonx_dump(const json_t *v, size_t *len)
{
    if (!v)
        abort();
    struct buf b = BUF_INIT;
    buf_reserve(&b, 256);
    wb_value(&b, v);
    return buf_take(&b, len);
}

int jsonx_depth(const char *t, size_t len, int limit)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max && (max = depth) > limit)
                return max;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}
