/* Stripe top-ups and the Stripe webhook (see payments.h). */
#include "server/svc/payments.h"

#include <jansson.h>
#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/errors.h"
#include "common/hex.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "core/stripe_sig.h"
#include "server/app.h"
#include "server/svc/billing_svc.h"
#include "server/svc/providers.h"
#include "server/svc/stripe.h"
#include "server/svc/tx.h"

#define WEBHOOK_MAX_DEPTH 32
#define MAX_CREDIT_CENTS (INT64_C(100000) * 100) /* one payment credits at most 100 000 CAD */

/* A client's Idempotency-Key becomes the customer's own key at Stripe: SHA-256 of the customer
 * id and the client's key, so that two customers' keys never meet. */
static void topup_key(const char *customer_id, const char *client_key, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    char *msg = xasprintf("topup\n%s\n%s", customer_id, client_key);
    SHA256((const unsigned char *)msg, strlen(msg), d);
    free(msg);
    hex_encode(d, sizeof d, out);
}

bool payments_client_key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)k[i]) && k[i] != '-' && k[i] != '_')
            return false;
    return true;
}

int payments_topup(const char *customer_id, int64_t amount, const char *client_key, struct topup_out *out,
                   struct svc_err *e)
{
    memset(out, 0, sizeof *out);
    if (!stripe_enabled())
        return svc_fail(e, 503, "Payments are not configured: ask the operator for a deposit");
    if (amount <= 0 || amount > PAYMENTS_TOPUP_MAX_UCAD)
        return svc_fail(e, 400, "amount_cad must be greater than 0 and at most 10000");
    if (amount % MONEY_UCAD_PER_CENT != 0)
        return svc_fail(e, 400, "amount_cad must be a whole number of cents");
    char key[65];
    if (client_key)
        topup_key(customer_id, client_key, key); /* a retry of the same request gets the same intent */
    else
        ids_uuid4(key); /* no key from the client: each call is a new intent */
    return stripe_payment_intent(amount / MONEY_UCAD_PER_CENT, customer_id, key, out->payment_intent_id,
                                 sizeof out->payment_intent_id, out->client_secret, sizeof out->client_secret, e);
}

static void skip(struct webhook_out *out, const char *why)
{
    out->handled = false;
    snprintf(out->reason, sizeof out->reason, "%s", why);
}

/* payment_intent.succeeded: credits the customer named in the intent's metadata, once. */
static int intent_succeeded(json_t *pi, int64_t now, struct webhook_out *out)
{
    const char *id = json_string_value(json_object_get(pi, "id"));
    const char *currency = json_string_value(json_object_get(pi, "currency"));
    const char *cust = json_string_value(json_object_get(json_object_get(pi, "metadata"), "customer_id"));
    json_t *amt = json_object_get(pi, "amount_received");
    if (!id || !*id || strlen(id) > 100) {
        skip(out, "payment intent without a usable id");
        return 0;
    }
    if (!cust || !bsvc_valid_customer_id(cust)) {
        skip(out, "payment intent without a valid metadata.customer_id");
        return 0;
    }
    if (!currency || strcasecmp(currency, "cad") != 0) {
        skip(out, "payment intent not in CAD");
        return 0;
    }
    if (!json_is_integer(amt) || json_integer_value(amt) <= 0 || json_integer_value(amt) > MAX_CREDIT_CENTS) {
        skip(out, "payment intent without a valid amount_received");
        return 0;
    }
    int64_t amount = (int64_t)json_integer_value(amt) * MONEY_UCAD_PER_CENT;
    char desc[160];
    snprintf(desc, sizeof desc, "Card payment %s", id);
    struct wallet_tx t;
    struct wallet w;
    bool dup = false;
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    /* The intent id is the deposit's reference: UNIQUE(customer_id, reference) credits it once. */
    rc = bsvc_deposit(cust, amount, desc, id, now, &t, &w, &dup);
    if (rc == 0 && !dup)
        rc = tx_event("billing.payment_received", "wallet", cust, "stripe",
                      json_pack("{s:s,s:s,s:I}", "customer_id", cust, "payment_intent_id", id, "amount_ucad",
                                (json_int_t)amount));
    if (rc < 0) {
        tx_rollback();
        return rc;
    }
    if ((rc = tx_commit()) < 0)
        return rc;
    out->handled = true;
    out->duplicate = dup;
    snprintf(out->tx_id, sizeof out->tx_id, "%s", t.tx_id);
    return 0;
}

int payments_webhook(const char *signature, const char *body, size_t len, int64_t now_sec, int64_t now,
                     struct webhook_out *out, struct svc_err *e)
{
    memset(out, 0, sizeof *out);
    if (!stripe_webhook_enabled()) {
        skip(out, "Stripe not enabled");
        return 0;
    }
    out->enabled = true;
    int v = stripe_sig_verify(signature, body ? body : "", len, g_app->cfg.stripe_webhook_secret, now_sec,
                              STRIPE_SIG_TOLERANCE_SEC);
    if (v != STRIPE_SIG_OK) {
        log_warn("stripe webhook refused: %s", stripe_sig_strerror(v));
        return svc_fail(e, 400, "Invalid signature");
    }
    if (len == 0 || jsonx_depth(body, len, WEBHOOK_MAX_DEPTH) > WEBHOOK_MAX_DEPTH)
        return svc_fail(e, 400, "Invalid payload");
    json_t *ev = json_loadb(body, len, 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(json_object_get(ev, "data"), "object");
    int rc = 0;
    if (!json_is_object(ev) || !type || !json_is_object(obj)) {
        json_decref(ev);
        return svc_fail(e, 400, "Invalid payload");
    }
    snprintf(out->event_type, sizeof out->event_type, "%s", type);
    if (strcmp(type, "payment_intent.succeeded") == 0) {
        rc = intent_succeeded(obj, now, out);
    } else if (strcmp(type, "account.updated") == 0) {
        const char *acct = json_string_value(json_object_get(obj, "id"));
        bool enabled = json_is_true(json_object_get(obj, "charges_enabled")) ||
                       json_is_true(json_object_get(obj, "payouts_enabled"));
        if (!acct || !*acct || strlen(acct) >= 128)
            skip(out, "account without a usable id");
        else if ((rc = providers_account_updated(acct, enabled, now, &out->handled)) == 0 && !out->handled)
            skip(out, "Unknown account");
    } else {
        skip(out, "Event type not handled");
    }
    json_decref(ev);
    return rc;
}
