/* Payment routes (api §8.5, §8.7): a customer's card top-up (a Stripe PaymentIntent) and the
 * Stripe webhook, whose raw body is verified byte-exactly (the route declares no JSON body, so
 * the HTTP layer hands it over untouched). */
#include <string.h>

#include "common/jsonx.h"
#include "common/units.h"
#include "server/api/handlers_billing.h"
#include "server/api/handlers_providers.h"
#include "server/api/svc_reply.h"
#include "server/app.h"
#include "server/http/validate.h"
#include "server/svc/payments.h"

void h_wallet_topup(struct req *r)
{
    const char *cust;
    int64_t amount = 0;
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    body_int(r, "amount_cad", &amount);
    const char *key = req_header(r, "Idempotency-Key");
    if (key && !payments_client_key_valid(key)) {
        reply_error(r, 400, "Idempotency-Key must be 1 to 64 letters, digits, '-' or '_'");
        return;
    }
    struct topup_out out;
    struct svc_err e = {0};
    int rc = payments_topup(cust, amount, key, &out, &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "top-up failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:o,s:s}", "payment_intent_id", out.payment_intent_id, "client_secret",
                               out.client_secret, "amount_cad", jx_money(amount), "currency", "cad"));
}

void h_stripe_webhook(struct req *r)
{
    struct webhook_out out;
    struct svc_err e = {0};
    int64_t now = app_now();
    int rc = payments_webhook(req_header(r, "Stripe-Signature"), r->body, r->body_len, now / SEC, now, &out, &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "webhook failed");
        return;
    }
    json_t *o = json_pack("{s:b}", "handled", out.handled);
    if (out.enabled)
        json_object_set_new(o, "event_type", json_string(out.event_type));
    if (out.reason[0])
        json_object_set_new(o, "reason", json_string(out.reason));
    if (out.handled && out.tx_id[0]) {
        json_object_set_new(o, "duplicate", json_boolean(out.duplicate));
        json_object_set_new(o, "tx_id", json_string(out.tx_id));
    }
    reply_ok(r, 200, o);
}
