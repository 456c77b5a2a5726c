#ifndef XC_PROVIDERS_H
#define XC_PROVIDERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tax.h"
#include "server/svc/svc_err.h"
#include "store/providers_store.h"

/* Provider accounts and their payouts (api §8.7, domain §25.9). Each write runs its own
 * transaction(s); a refusal fills e (status + message) and returns -1, a store failure returns
 * its negative XC_E* code. Calls to Stripe (svc/stripe.h) happen outside every transaction. */

struct prov_register_in {
    const char *user_id;
    const char *provider_type;                       /* NULL = individual */
    const char *email;                               /* NULL or "" = the user's */
    const char *corporation_name, *business_number; /* NULL = "" */
    const char *gst_hst_number, *legal_name, *province;
};

struct prov_register_out {
    struct provider provider;
    char onboarding_url[640];
    bool stub; /* no Stripe: the account id is acct_stub_… and the URL points at the dashboard */
};

/* Creates the user's provider account (prov-<32 hex>, onboarding), binds it to the user (role
 * provider), attaches the payouts accrued for the user's hosts, and with Stripe configured
 * creates the Connect account and its onboarding link. 400 on bad business numbers or a company
 * without corporation_name; 409 `Provider account already exists`; 502 when Stripe refuses.
 * SSE provider_registered. */
int providers_register(const struct prov_register_in *in, int64_t now, struct prov_register_out *out,
                       struct svc_err *e);

/* Records the incorporation document for review (review status pending). 404 when unknown. */
int providers_incorporation(const char *provider_id, const char *file_id, int64_t now, struct provider *out,
                            struct svc_err *e);
/* Approves the submitted incorporation document. 404 unknown; 400 when none was submitted. */
int providers_incorporation_approve(const char *provider_id, const char *actor, int64_t now, struct svc_err *e);

/* The provider's totals and its newest payout rows (at most limit). Caller frees *recent. */
int providers_earnings(const char *provider_id, int limit, struct provider_earnings *out,
                       struct payout_row **recent, size_t *n);

/* The provider's side of the GST/HST small-supplier threshold (domain §25.13): Σ payouts over the
 * last four UTC calendar quarters (the current one included) against 30 000 CAD. */
/* At startup (nothing can be in flight yet): finishes every transfer a previous process claimed
 * but never completed, asking Stripe again under the claim's own Idempotency-Key. */
int providers_resume_transfers(int64_t now);
int providers_gst_threshold(const char *provider_id, int64_t now, tax_threshold *out);

struct payout_result {
    int paid;            /* rows marked paid */
    int64_t total;       /* µCAD transferred: Σ rows rounded half-up to the cent */
    char reference[128]; /* the transfer's reference ("" when nothing was paid) */
};

/* Pays the provider's pending payouts (ids NULL = all of them; else only those, each of which
 * must be a payout of this provider: 404 otherwise). Rows are claimed and marked in one write
 * transaction each, so two concurrent calls never pay a row twice; with Stripe the transfer (its
 * Idempotency-Key the SHA-256 of the sorted payout ids) happens between the claim and the
 * marking, and a refused transfer gives the rows back (502). The sub-cent remainder stays as a
 * pending carry row. Nothing pending (or a sum that rounds to ≤ 0) pays nothing. */
int providers_payout(const char *provider_id, const char *const *ids, size_t nids, const char *reference,
                     const char *actor, int64_t now, struct payout_result *out, struct svc_err *e);

/* Stripe's account.updated: an account able to take charges or payouts makes its provider
 * active. *handled is false when no provider has that account. */
int providers_account_updated(const char *stripe_account_id, bool enabled, int64_t now, bool *handled);

#endif
