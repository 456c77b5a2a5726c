/* The tamper-evident event chain: canonical JSON and HMAC-SHA256 links (pure). */
#include "core/hashchain.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/xalloc.h"

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_u(struct sbuf *b, unsigned cp)
{
    char t[16];
    snprintf(t, sizeof t, "\\u%04x", cp);
    sb_put(b, t, 6);
}

/* Decodes one UTF-8 sequence at s (jansson guarantees valid UTF-8). Returns its length. */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        *cp = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
        return 2;
    }
    if ((s[0] & 0xf0) == 0xe0) {
        *cp = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
        return 3;
    }
    *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
    return 4;
}

static void str_out(struct sbuf *b, const char *s, size_t n)
{
    sb_put(b, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int l = utf8_next(u + i, &cp);
        i += (size_t)l;
        switch (cp) {
        case '"': sb_put(b, "\\\"", 2); continue;
        case '\\': sb_put(b, "\\\\", 2); continue;
        case '\b': sb_put(b, "\\b", 2); continue;
        case '\f': sb_put(b, "\\f", 2); continue;
        case '\n': sb_put(b, "\\n", 2); continue;
        case '\r': sb_put(b, "\\r", 2); continue;
        case '\t': sb_put(b, "\\t", 2); continue;
        default: break;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0xffff)) {
            sb_u(b, cp);
        } else if (cp > 0xffff) {
            cp -= 0x10000;
            sb_u(b, 0xd800 + (cp >> 10));
            sb_u(b, 0xdc00 + (cp & 0x3ff));
        } else {
            char c = (char)cp;
            sb_put(b, &c, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit(struct sbuf *b, const json_t *v)
{
    char t[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) keys[i++] = k;
        qsort(keys, n, sizeof *keys, cmp_keys);
        sb_put(b, "{", 1);
        int rc = 0;
        for (i = 0; i < n && rc == 0; i++) {
            if (i)
                sb_put(b, ",", 1);
            str_out(b, keys[i], strlen(keys[i]));
            sb_put(b, ":", 1);
            rc = emit(b, json_object_get(v, keys[i]));
        }
        sb_put(b, "}", 1);
        free(keys);
        return rc;
    }
    case JSON_ARRAY: {
        sb_put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                sb_put(b, ",", 1);
            if (emit(b, json_array_get(v, i)) < 0)
                return -1;
        }
        sb_put(b, "]", 1);
        return 0;
    }
    case JSON_STRING:
        str_out(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        sb_put(b, t, (size_t)snprintf(t, sizeof t, "%lld", (long long)json_integer_value(v)));
        return 0;
    case JSON_TRUE: sb_put(b, "true", 4); return 0;
    case JSON_FALSE: sb_put(b, "false", 5); return 0;
    case JSON_NULL: sb_put(b, "null", 4); return 0;
    default: return -1; /* reals are not allowed in hashed data */
    }
}

int hashchain_canonical(const json_t *v, char **out)
{
    struct sbuf b = {xmalloc(256), 0, 256};
    b.p[0] = '\0';
    if (emit(&b, v) < 0) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    return 0;
}

static void hmac_hex(const unsigned char *key, size_t keylen, const char *msg, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned int dl = 0;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, n, d, &dl);
    hex_encode(d, sizeof d, out);
}

void hashchain_key(const char *secret, unsigned char key[32])
{
    unsigned int dl = 0;
    static const char label[] = "xcelsior/events/v1";
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)label, sizeof label - 1, key, &dl);
}

int hashchain_event_hash(const unsigned char key[32], const struct chain_event *e, char out[65])
{
    json_t *o = json_object();
    json_object_set_new(o, "actor", json_string(e->actor));
    json_object_set(o, "data", (json_t *)e->data);
    json_object_set_new(o, "entity_id", json_string(e->entity_id));
    json_object_set_new(o, "entity_type", json_string(e->entity_type));
    json_object_set_new(o, "event_id", json_string(e->event_id));
    json_object_set_new(o, "event_type", json_string(e->event_type));
    json_object_set(o, "metadata", (json_t *)e->metadata);
    json_object_set_new(o, "prev_hash", json_string(e->prev_hash));
    json_object_set_new(o, "seq", json_integer(e->seq));
    json_object_set_new(o, "ts_us", json_integer(e->ts_us));
    char *canon = NULL;
    int rc = hashchain_canonical(o, &canon);
    json_decref(o);
    if (rc < 0)
        return -1;
    hmac_hex(key, 32, canon, strlen(canon), out);
    free(canon);
    return 0;
}

void hashchain_head_mac(const unsigned char key[32], int64_t seq, const char *hash, char out[65])
{
    char msg[128];
    int n = snprintf(msg, sizeof msg, "head|%lld|%s", (long long)seq, hash);
    hmac_hex(key, 32, msg, (size_t)n, out);
}
