#ifndef XC_PAYMENTS_H
#define XC_PAYMENTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/svc/svc_err.h"

/* Money coming in through Stripe (api §8.5, §8.7): a customer's wallet top-up starts as a
 * PaymentIntent; Stripe's signed webhook reports it paid, and the wallet is credited once per
 * intent. The webhook also reports Connect accounts becoming able to receive payouts. A refusal
 * fills e and returns -1; a store failure returns its XC_E* code (e->status stays 0). */

#define PAYMENTS_TOPUP_MAX_UCAD (INT64_C(10000) * 1000000) /* 10 000 CAD */

struct topup_out {
    char payment_intent_id[128];
    char client_secret[256];
};

/* Creates a PaymentIntent of amount (µCAD, whole cents, 0 < amount ≤ 10 000 CAD) for the
 * customer. Nothing is written here: the wallet moves when the webhook says the intent
 * succeeded. 503 `Payments are not configured: ask the operator for a deposit` without Stripe,
 * 400 for an amount that is not whole cents, 502 when Stripe refuses. */
/* client_key (NULL: none) is the caller's Idempotency-Key: the same key for the same customer
 * gets the same PaymentIntent back from Stripe. */
int payments_topup(const char *customer_id, int64_t amount, const char *client_key, struct topup_out *out,
                   struct svc_err *e);
/* An Idempotency-Key a client may send: 1..64 of [A-Za-z0-9_-]. */
bool payments_client_key_valid(const char *key);

struct webhook_out {
    bool enabled;          /* false: no webhook secret, nothing was looked at */
    bool handled;          /* the event was acted on */
    bool duplicate;        /* a payment already credited (a replay) */
    char event_type[96];
    char reason[160];      /* why an event was not handled ("" otherwise) */
    char tx_id[40];        /* the wallet transaction of a credited payment */
};

/* Verifies the Stripe-Signature header over the raw body (400 `Invalid signature`, tolerance
 * 300 s around now_sec), then acts on the event: payment_intent.succeeded credits
 * metadata.customer_id's wallet with amount_received (CAD only) exactly once per intent id;
 * account.updated activates the provider whose account can take charges or payouts; any other
 * type is acknowledged unhandled. */
int payments_webhook(const char *signature, const char *body, size_t len, int64_t now_sec, int64_t now,
                     struct webhook_out *out, struct svc_err *e);

#endif
