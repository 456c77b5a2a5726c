#include "common/jsonx.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/fixed.h"

/* Marker prefix for fixed-point numbers: a control character no real string value carries
 * unescaped, dumped by jansson as the six bytes \u0001. */
#define MARK "\x01#"
#define MARK_DUMPED "\"\\u0001#"

json_t *jx_fixed(int64_t v, int scale)
{
    char buf[48];
    memcpy(buf, MARK, 2);
    fixed_fmt(v, scale, buf + 2, sizeof buf - 2);
    return json_string(buf);
}

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

char *jsonx_dump(const json_t *v, size_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        abort();
    size_t n = strlen(s);
    size_t ml = sizeof MARK_DUMPED - 1;
    if (!memmem(s, n, MARK_DUMPED, ml)) {
        if (len)
            *len = n;
        return s;
    }
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '"' && i + ml <= n && memcmp(s + i, MARK_DUMPED, ml) == 0) {
            i += ml;
            while (i < n && s[i] != '"')
                out[o++] = s[i++];
            i++; /* closing quote */
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
    free(s);
    if (len)
        *len = o;
    return out;
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
