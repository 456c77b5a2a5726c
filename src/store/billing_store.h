#ifndef XC_BILLING_STORE_H
#define XC_BILLING_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/states.h"
#include "store/store.h"

/* Billing persistence (migration 0002_billing.sql): billing records, customers, wallets, wallet
 * transactions, escrow holds, refunds, invoices, payouts, marketplace listings and spot price
 * history. Money is int64 µCAD, ratios ppm, time µs. Every function returns 0 or a negative
 * XC_E* code and holds the store lock for its duration; callers that need several of them to be
 * atomic wrap them in store_tx_begin()/store_tx_commit() (the server's tx_begin()).
 *
 * Idempotency lives in the schema: the *_insert functions use INSERT … ON CONFLICT DO NOTHING
 * and report through *inserted whether this call created the row. */

/* ---- billing records (domain §25.4, api §6.3) ---- */

struct bill_record {
    char billing_id[33];
    char job_id[33];
    int attempt;
    char job_name[129];
    char owner[72];
    char host_id[65];
    char host_owner[72];
    char gpu_model[129];
    int num_gpus;
    char tier[12];
    int64_t tier_ppm;
    char trust_tier[16];
    int64_t trust_ppm;
    bool spot;
    int64_t rate_per_hour, effective_rate;
    int64_t started_at, completed_at, duration_us, gpu_hours_e6;
    int64_t metered_cost, cost, uncollected;
    int64_t platform_cut_ppm, platform_fee, host_payout;
    bool is_canadian;
    char country[3];
    char province[65];
    enum jobstate final_status;
    char failure_class[24];
    int64_t refunded, refund_fee;
    char refund_class[24];
    int64_t billed_at;
};

/* Creates the record unless (job_id, attempt) already has one; *inserted tells which. */
int bstore_record_insert(struct store *s, const struct bill_record *r, bool *inserted);
int bstore_record_get(struct store *s, const char *job_id, int attempt, struct bill_record *out);
/* The record of the job's highest attempt; XC_ENOTFOUND when none. */
int bstore_record_latest(struct store *s, const char *job_id, struct bill_record *out);
int bstore_record_set_refund(struct store *s, const char *billing_id, int64_t refunded, int64_t refund_fee,
                             const char *refund_class);

struct bill_filter {
    const char *job_id, *host_id, *owner; /* NULL = any */
    const char *viewer_host;              /* agents: only this host (NULL = any) */
    /* users: records whose owner is viewer_customer or whose host_owner is viewer_user (NULL = any) */
    const char *viewer_customer, *viewer_user;
    bool has_since, has_until;
    int64_t since, until;                 /* completed_at in [since, until) */
    int limit, offset;                    /* limit <= 0: all */
};
/* Records in completed_at, job_id order. *total and *sum_cost are over the whole filter set
 * (before paging); either may be NULL. Caller frees *out with free(). */
int bstore_record_list(struct store *s, const struct bill_filter *f, struct bill_record **out, size_t *n,
                       int64_t *total, int64_t *sum_cost);

struct bill_revenue {
    int64_t records, total_cost, refunded, platform_fee, refund_fee, host_payout;
};
int bstore_revenue(struct store *s, const struct bill_filter *f, struct bill_revenue *out);

/* A run interval of job_runs (the metering source). */
struct bill_run {
    char job_id[33];
    int attempt;
    char host_id[65];
    int64_t started_at, ended_at; /* ended_at 0 = still running */
    bool has_final_status;        /* false until the run ended with a recorded state */
    enum jobstate final_status;
};
int bstore_run_get(struct store *s, const char *job_id, int attempt, struct bill_run *out);
/* Ended runs without a billing record (at most `limit`). Caller frees *out. */
int bstore_runs_unbilled(struct store *s, int limit, struct bill_run **out, size_t *n);
/* The job's ended runs without a billing record, highest attempt first. Caller frees *out. */
int bstore_job_runs_unbilled(struct store *s, const char *job_id, struct bill_run **out, size_t *n);

/* ---- customers and wallets (domain §25.5, api §6.10) ---- */

struct customer {
    char customer_id[72];
    char name[201];
    char province[8];
    int64_t created_at, updated_at;
};
int bstore_customer_get(struct store *s, const char *customer_id, struct customer *out);
int bstore_customer_put(struct store *s, const struct customer *c);

struct wallet {
    char customer_id[72];
    int64_t balance, held, outstanding;
    int64_t total_deposited, total_spent, total_refunded;
    enum walletstate status;
    int64_t grace_until; /* 0 = null */
    int64_t created_at, updated_at;
};
int bstore_wallet_get(struct store *s, const char *customer_id, struct wallet *out);
int bstore_wallet_put(struct store *s, const struct wallet *w);
/* Wallets in grace whose grace_until < now. Caller frees *out. */
int bstore_wallets_grace_expired(struct store *s, int64_t now, struct wallet **out, size_t *n);

struct wallet_tx {
    char tx_id[36];
    char customer_id[72];
    char tx_type[12];
    int64_t amount, balance_after, held_after;
    char description[256];
    char job_id[33];
    bool has_reference;
    char reference[101];
    int64_t created_at;
};
/* Inserts unless (customer_id, reference) exists; *inserted tells which. */
int bstore_wallet_tx_insert(struct store *s, const struct wallet_tx *t, bool *inserted);
int bstore_wallet_tx_by_ref(struct store *s, const char *customer_id, const char *reference, struct wallet_tx *out);
/* Newest first; created_at in [since, until) when given. Caller frees *out. */
int bstore_wallet_tx_list(struct store *s, const char *customer_id, bool has_since, int64_t since, bool has_until,
                          int64_t until, int limit, struct wallet_tx **out, size_t *n);

/* ---- escrow holds (domain §25.6) ---- */

struct hold {
    char job_id[33];
    int attempt;
    int64_t assign_us; /* the assignment the hold belongs to (the job's assigned_at) */
    int n;             /* block number, 1 = the hold at assignment, 2.. = top-ups */
    char customer_id[72];
    int64_t amount;
    int64_t created_at;
};
int bstore_hold_insert(struct store *s, const struct hold *h, bool *inserted);
/* Σ and count of the job's holds with status held. */
int bstore_holds_open(struct store *s, const char *job_id, int64_t *sum, int *count);
/* Highest block number of the (job, attempt, assignment), 0 when none. */
int bstore_holds_last_n(struct store *s, const char *job_id, int attempt, int64_t assign_us, int *n);
/* Marks the job's held holds settled/released; *closed = how many rows changed. */
int bstore_holds_close(struct store *s, const char *job_id, const char *status, int64_t now, int *closed);

/* ---- refunds (domain §25.7) ---- */

struct refund_row {
    char billing_id[33];
    char job_id[33];
    char owner[72];
    int exit_code;
    char failure_reason[501];
    char classification[24];
    int64_t pct_ppm, original_cost, amount, fee_refund;
    bool is_host_fault;
    int64_t service_at, created_at;
};
int bstore_refund_insert(struct store *s, const struct refund_row *r, bool *inserted);
int bstore_refund_get(struct store *s, const char *billing_id, struct refund_row *out);
/* The owner's refunds created in [start, end). Caller frees *out. */
int bstore_refund_list(struct store *s, const char *owner, int64_t start, int64_t end, struct refund_row **out,
                       size_t *n);

/* ---- invoices (domain §25.8) ---- */

struct invoice_row {
    int64_t seq;
    char invoice_id[24];
    char customer_id[72];
    char month[8]; /* YYYY-MM */
    int64_t period_start, period_end, issued_at;
    char *snapshot; /* owned JSON text; invoice_row_free() */
};
void invoice_row_free(struct invoice_row *r);
int bstore_invoice_get_month(struct store *s, const char *customer_id, const char *month, struct invoice_row *out);
int bstore_invoice_get_id(struct store *s, const char *customer_id, const char *invoice_id, struct invoice_row *out);
/* Takes the next number from the sequence row (call inside a transaction together with the
 * insert, so numbers are gap-free). */
int bstore_invoice_next_seq(struct store *s, int64_t *seq);
int bstore_invoice_insert(struct store *s, const struct invoice_row *r);
/* Distinct owners with billing records or refunds completed before `before`. Caller frees each
 * string and the array. */
int bstore_owners_with_usage(struct store *s, int64_t before, char ***out, size_t *n);

/* ---- payouts (domain §25.9) ---- */

struct payout_row {
    char payout_id[40];
    char provider_id[72];
    char host_owner[72];
    char host_id[65];
    char job_id[33];
    char billing_id[33];
    char kind[12]; /* settle, clawback */
    int64_t gross, platform_fee, provider_payout, gst_hst;
    char status[12];
    int64_t created_at, paid_at;
};
int bstore_payout_insert(struct store *s, const struct payout_row *p, bool *inserted);

/* ---- marketplace listings (domain §15, api §6.7) ---- */

struct listing {
    char host_id[65];
    char owner[72];
    char gpu_model[129];
    int64_t vram_mgb;
    int64_t price_per_hour;
    char description[501];
    int64_t listed_at, updated_at;
    bool active;
};
int bstore_listing_get(struct store *s, const char *host_id, struct listing *out);
int bstore_listing_put(struct store *s, const struct listing *l);
/* By listed_at, host_id. Caller frees *out. */
int bstore_listing_list(struct store *s, bool active_only, struct listing **out, size_t *n);
/* Count and Σ host_payout of billing records on the host completed at or after `since`. */
int bstore_host_earnings(struct store *s, const char *host_id, int64_t since, int64_t *jobs, int64_t *earned,
                         int64_t *platform_fee, int64_t *refund_fee);

/* ---- spot price history (domain §12, api §6.6) ---- */

struct spot_entry {
    char gpu_model[129];
    int64_t price, base, supply, demand, computed_at;
};
/* Appends and trims the history to the newest 1000 entries. */
int bstore_spot_append(struct store *s, const struct spot_entry *e);
/* Newest entry of a model; XC_ENOTFOUND when none. */
int bstore_spot_latest(struct store *s, const char *gpu_model, struct spot_entry *out);
/* Newest entry of every model (by model). Caller frees *out. */
int bstore_spot_latest_all(struct store *s, struct spot_entry **out, size_t *n);
/* Newest first, at most limit. Caller frees *out. */
int bstore_spot_history(struct store *s, int limit, struct spot_entry **out, size_t *n);

#endif
