#ifndef XC_STRIPE_H
#define XC_STRIPE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/svc/svc_err.h"

/* A small Stripe API client (libcurl): form-encoded POSTs to XCELSIOR_STRIPE_API_BASE with
 * `Authorization: Bearer <XCELSIOR_STRIPE_SECRET_KEY>` and an `Idempotency-Key` on every call,
 * connect timeout 5 s, total 20 s. Stripe's error objects ({"error":{"type","code","message"}})
 * become a svc_err with status 502 and the message `Payment provider error: <message>`. Blocking: never call it inside a transaction (it would hold the writer). */

/* Once at startup, before any thread calls Stripe (curl_global_init). */
void stripe_init(void);
/* Whether a secret key is configured (else the callers run in stub mode). */
bool stripe_enabled(void);
/* Whether a webhook secret is configured. */
bool stripe_webhook_enabled(void);

/* POST /v1/accounts: an Express account in CA for email that may receive transfers. */
int stripe_account_create(const char *email, const char *idempotency_key, char *account_id, size_t n,
                          struct svc_err *e);
/* POST /v1/account_links (type account_onboarding): the URL where the provider onboards. */
int stripe_account_link(const char *account_id, const char *refresh_url, const char *return_url,
                        const char *idempotency_key, char *url, size_t n, struct svc_err *e);
/* POST /v1/payment_intents in CAD with metadata[customer_id] and automatic payment methods. */
int stripe_payment_intent(int64_t amount_cents, const char *customer_id, const char *idempotency_key, char *id,
                          size_t id_n, char *client_secret, size_t cs_n, struct svc_err *e);
/* POST /v1/transfers in CAD to a connected account. */
int stripe_transfer(int64_t amount_cents, const char *destination, const char *transfer_group,
                    const char *provider_id, int payouts, const char *idempotency_key, char *id, size_t n,
                    struct svc_err *e);

#endif
