/* Stripe webhook signature verification (see stripe_sig.h). */
#include "core/stripe_sig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"

const char *stripe_sig_strerror(int rc)
{
    switch (rc) {
#define STRIPE_SIG_TEXT(name, value, text)                                                         \
    case name: return text;
        STRIPE_SIG_RESULTS(STRIPE_SIG_TEXT)
#undef STRIPE_SIG_TEXT
    }
    return "unknown result";
}

/* HMAC-SHA256(secret, t_text "." body), fed in three pieces (the body is never copied). False
 * (and a zeroed MAC) when OpenSSL fails. */
static bool mac_of(const char *secret, const char *t_text, size_t t_len, const void *body, size_t len,
                   unsigned char mac[32])
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    size_t out = 0;
    bool ok = true;
    if (!c || !EVP_MAC_init(c, (const unsigned char *)secret, strlen(secret), params) ||
        !EVP_MAC_update(c, (const unsigned char *)t_text, t_len) ||
        !EVP_MAC_update(c, (const unsigned char *)".", 1) || !EVP_MAC_update(c, body, len) ||
        !EVP_MAC_final(c, mac, &out, 32) || out != 32)
        ok = false;
    if (!ok)
        memset(mac, 0, 32);
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
    return ok;
}

/* 64 hex digits into 32 bytes; false when v is anything else. */
static bool hex32(const char *v, size_t n, unsigned char out[32])
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < 32; i++) {
        int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

int stripe_sig_verify(const char *header, const void *body, size_t len, const char *secret, int64_t now_sec,
                      int64_t tolerance_sec)
{
    if (!secret || !*secret)
        return STRIPE_SIG_NO_SECRET;
    if (!header || !body)
        return STRIPE_SIG_MALFORMED;
    size_t hl = strnlen(header, STRIPE_SIG_MAX_HEADER + 1);
    if (hl == 0 || hl > STRIPE_SIG_MAX_HEADER)
        return STRIPE_SIG_MALFORMED;

    const char *t_text = NULL;
    size_t t_len = 0;
    unsigned char cand[STRIPE_SIG_MAX_V1][32];
    int ncand = 0, nv1 = 0;
    for (const char *p = header; p < header + hl;) {
        const char *end = memchr(p, ',', (size_t)(header + hl - p));
        if (!end)
            end = header + hl;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!eq || eq == p)
            return STRIPE_SIG_MALFORMED;
        size_t kl = (size_t)(eq - p), vl = (size_t)(e - eq - 1);
        const char *v = eq + 1;
        if (kl == 1 && *p == 't') {
            if (t_text || vl == 0 || vl > 12)
                return STRIPE_SIG_MALFORMED;
            for (size_t i = 0; i < vl; i++)
                if (v[i] < '0' || v[i] > '9')
                    return STRIPE_SIG_MALFORMED;
            t_text = v;
            t_len = vl;
        } else if (kl == 2 && p[0] == 'v' && p[1] == '1') {
            if (++nv1 > STRIPE_SIG_MAX_V1)
                return STRIPE_SIG_MALFORMED;
            /* A candidate that is not 64 hex digits can never match: it is counted, not kept. */
            if (hex32(v, vl, cand[ncand]))
                ncand++;
        }
        /* Any other scheme (v0, …) is ignored: it is never trusted. */
        p = end + 1;
    }
    if (!t_text)
        return STRIPE_SIG_MALFORMED;
    if (nv1 == 0)
        return STRIPE_SIG_NO_V1;
    int64_t t = 0;
    for (size_t i = 0; i < t_len; i++)
        t = t * 10 + (t_text[i] - '0');
    int64_t age = now_sec - t;
    if (age > tolerance_sec || -age > tolerance_sec)
        return STRIPE_SIG_STALE;
    unsigned char mac[32];
    if (!mac_of(secret, t_text, t_len, body, len, mac))
        return STRIPE_SIG_MISMATCH;
    int match = 0;
    for (int i = 0; i < ncand; i++) /* every candidate is compared: no early exit */
        match |= CRYPTO_memcmp(cand[i], mac, 32) == 0;
    return match ? STRIPE_SIG_OK : STRIPE_SIG_MISMATCH;
}

void stripe_sig_compute(const char *secret, int64_t t, const void *body, size_t len, char out[65])
{
    char t_text[24];
    int n = snprintf(t_text, sizeof t_text, "%lld", (long long)t);
    unsigned char mac[32];
    mac_of(secret ? secret : "", t_text, (size_t)n, body, len, mac);
    hex_encode(mac, sizeof mac, out);
}
