#ifndef XC_PROVIDERS_STORE_H
#define XC_PROVIDERS_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/provider.h"
#include "store/billing_store.h"
#include "store/store.h"

/* Provider persistence (migration 0006_providers.sql): provider accounts, the provider side of
 * the payouts table (attachment, earnings, claims) and payout transfers. Money is int64 µCAD,
 * time µs. Every function returns 0 or a negative XC_E* code; writers that must be atomic
 * together run inside store_tx_begin()/store_tx_commit() (the server's tx_begin()). */

#define PROVIDER_ID_BUF 48 /* "prov-" + 32 hex + NUL, with room */

struct provider {
    char provider_id[PROVIDER_ID_BUF];
    char user_id[72];
    enum provider_type type;
    enum providerstate status;
    char corporation_name[201];
    char business_number[16];
    char gst_hst_number[16];
    char email[256];
    char legal_name[201];
    char country[3];
    char province[8];
    char incorporation_file_id[201];
    char incorporation_status[12]; /* "", pending, approved */
    char stripe_account_id[128];
    int64_t created_at, onboarded_at, updated_at; /* onboarded_at 0 = not yet */
};

/* XC_ECONFLICT when the user already has a provider account (or the id exists). */
int pstore_provider_insert(struct store *s, const struct provider *p);
int pstore_provider_get(struct store *s, const char *provider_id, struct provider *out);
int pstore_provider_by_user(struct store *s, const char *user_id, struct provider *out);
int pstore_provider_by_stripe(struct store *s, const char *stripe_account_id, struct provider *out);
/* Writes the mutable columns: status, incorporation fields, stripe_account_id, onboarded_at,
 * updated_at. XC_ENOTFOUND when no such provider. */
int pstore_provider_update(struct store *s, const struct provider *p);
/* Newest first; status NULL = any. Caller frees *out. */
int pstore_provider_list(struct store *s, const enum providerstate *status, struct provider **out, size_t *n);

/* ---- payouts of a provider ---- */

/* Rows accrued for host_owner before it had a provider account (provider_id ''). Caller frees. */
int pstore_payouts_unattached(struct store *s, const char *host_owner, struct payout_row **out, size_t *n);
/* Sets a row's provider_id and gst_hst (only while its provider_id is ''). */
int pstore_payout_attach(struct store *s, const char *payout_id, const char *provider_id, int64_t gst_hst);
int pstore_payout_get(struct store *s, const char *payout_id, struct payout_row *out);
/* The provider's newest rows (created_at, then insertion order, descending). Caller frees. */
int pstore_payouts_recent(struct store *s, const char *provider_id, int limit, struct payout_row **out, size_t *n);
/* Pending rows no transfer has claimed, oldest first. Caller frees. */
int pstore_payouts_claimable(struct store *s, const char *provider_id, struct payout_row **out, size_t *n);
/* Claims a pending, unclaimed row for transfer_id; *claimed false when it was not claimable. */
int pstore_payout_claim(struct store *s, const char *payout_id, const char *transfer_id, bool *claimed);
/* Marks every row claimed by transfer_id paid at paid_at; *n = rows changed. */
int pstore_payouts_mark_paid(struct store *s, const char *transfer_id, int64_t paid_at, int *n);
/* Gives back the rows claimed by transfer_id (the transfer failed). */
int pstore_payouts_unclaim(struct store *s, const char *transfer_id);

struct provider_earnings {
    int64_t total_jobs;      /* distinct jobs with a settlement row */
    int64_t earned, platform, tax; /* Σ provider_payout, platform_fee, gst_hst (carry rows excluded) */
    int64_t pending;         /* Σ provider_payout + gst_hst of pending rows (carry rows included) */
    int64_t paid;            /* Σ amount of paid transfers */
};
int pstore_earnings(struct store *s, const char *provider_id, struct provider_earnings *out);

/* Σ provider_payout of the provider's settlement and clawback rows created at or after since
 * (domain §25.13, the provider's side of the GST/HST small-supplier threshold). */
/* sums[i] = Σ provider_payout of the provider's payouts (carry rows aside) created in
 * [bounds[i], bounds[i + 1]), for i < nq. */
int pstore_payouts_by_quarter(struct store *s, const char *provider_id, const int64_t *bounds, int nq, int64_t *sums);

/* ---- payout transfers ---- */

struct payout_transfer {
    char transfer_id[33];
    char provider_id[PROVIDER_ID_BUF];
    int64_t amount, carry;
    int payouts;
    char idempotency_key[65];
    char reference[128];
    bool paid; /* status paid (else processing) */
    int64_t created_at, paid_at;
};
int pstore_transfer_insert(struct store *s, const struct payout_transfer *t);
/* processing → paid with its reference. */
int pstore_transfer_mark_paid(struct store *s, const char *transfer_id, const char *reference, int64_t paid_at);
int pstore_transfer_delete(struct store *s, const char *transfer_id);
/* Transfers still 'processing' (their payment call never came back), oldest first. Caller frees. */
int pstore_transfers_processing(struct store *s, struct payout_transfer **out, size_t *n);

#endif
