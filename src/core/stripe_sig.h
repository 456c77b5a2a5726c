#ifndef XC_CORE_STRIPE_SIG_H
#define XC_CORE_STRIPE_SIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Stripe webhook signatures (api §8.7). The `Stripe-Signature` header is a comma-separated list
 * of key=value items: exactly one `t=<unix seconds>`, one or more `v1=<64 hex>` (several while a
 * secret is being rolled), and possibly other schemes (`v0=…`), which are ignored: only v1 is
 * trusted. The signed payload is `<t as sent>.<raw body>`, HMAC-SHA256 keyed with the endpoint's
 * webhook secret. Pure: the time is passed in, nothing is read or written. */

#define STRIPE_SIG_TOLERANCE_SEC 300
#define STRIPE_SIG_MAX_HEADER 8192 /* longer headers are malformed */
#define STRIPE_SIG_MAX_V1 16       /* more v1 candidates than this are malformed */

#define STRIPE_SIG_RESULTS(X)                                                                      \
    X(STRIPE_SIG_OK, 0, "ok")                                                                      \
    X(STRIPE_SIG_NO_SECRET, -1, "no webhook secret configured")                                    \
    X(STRIPE_SIG_MALFORMED, -2, "malformed signature header")                                      \
    X(STRIPE_SIG_NO_V1, -3, "no v1 signature in the header")                                       \
    X(STRIPE_SIG_STALE, -4, "timestamp outside the tolerance")                                     \
    X(STRIPE_SIG_MISMATCH, -5, "no v1 signature matches")

enum stripe_sig_result {
#define STRIPE_SIG_ENUM(name, value, text) name = value,
    STRIPE_SIG_RESULTS(STRIPE_SIG_ENUM)
#undef STRIPE_SIG_ENUM
};

/* Static text of a result ("unknown result" for anything else). */
const char *stripe_sig_strerror(int rc);

/* Verifies header against the raw body (len bytes, byte-exact) with secret at now_sec.
 * Accepted when |now_sec − t| ≤ tolerance_sec (both ends inclusive) and any v1 candidate equals
 * the HMAC (compared in constant time). Returns STRIPE_SIG_OK or the first reason to refuse. */
int stripe_sig_verify(const char *header, const void *body, size_t len, const char *secret, int64_t now_sec,
                      int64_t tolerance_sec);

/* The v1 signature (64 lowercase hex + NUL) of body signed at t with secret: for tests and
 * tools that sign events the way Stripe does. */
void stripe_sig_compute(const char *secret, int64_t t, const void *body, size_t len, char out[65]);

#endif
