#ifndef XC_BILLING_SVC_H
#define XC_BILLING_SVC_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/billing_store.h"
#include "store/model.h"
#include "store/providers_store.h"

/* Billing operations shared by the lifecycle hooks (billing_hooks.c) and the billing,
 * marketplace and spot routes (domain §12, §15, §25). Functions that write must be called
 * inside a server transaction (tx_begin … tx_commit); they append their audit events and queue
 * their SSE messages there. All return 0 or a negative XC_E* code unless stated. */

/* ---- configuration (domain §1.1) ---- */

struct billing_config {
    int64_t platform_cut_ppm;  /* XCELSIOR_PLATFORM_CUT, 0 ≤ x < 1, default 0.20 */
    int64_t escrow_hold_us;    /* XCELSIOR_ESCROW_HOLD_HOURS (> 0, ≤ 720), default 1 h */
    int64_t credit_limit;      /* XCELSIOR_CREDIT_LIMIT in µCAD (0 ≤ x ≤ 1 000 000 CAD), default 0 */
    int64_t spot_discount_ppm; /* XCELSIOR_SPOT_DISCOUNT, 0 ≤ x < 1, default 0.30 */
    int64_t spot_k_ppm;        /* XCELSIOR_SPOT_SENSITIVITY, 0 ≤ x ≤ 100, default 0.5 */
    int64_t spot_t_ppm;        /* XCELSIOR_SPOT_THRESHOLD, 0 ≤ x ≤ 100, default 0.8 */
    int64_t spot_interval_sec; /* XCELSIOR_SPOT_UPDATE_INTERVAL, default 600 (0 = off) */
    bool spot_interval_set;    /* the variable was given (the loop is off in test otherwise) */
};

/* Reads and validates the billing variables. On an invalid value prints
 * `xcelsior: invalid <VAR> …` to stderr and returns -1 (main then exits 78). Safe to call more
 * than once; billing_cfg() calls it lazily (falling back to defaults after logging). */
int billing_init(void);
const struct billing_config *billing_cfg(void);

/* ---- identifiers ---- */

/* Customer ids in paths: 1..64 of [A-Za-z0-9._-] (cust-<32 hex> for real customers). */
bool bsvc_valid_customer_id(const char *s);

/* ---- wallets (domain §25.5) ---- */

/* Loads the customer's wallet, creating a zero `active` wallet on first access. */
int bsvc_wallet_load(const char *customer_id, int64_t now, struct wallet *w);

/* deposit(amount > 0, reference?): pays outstanding first, then balance. With a reference that
 * was already used, nothing changes and *duplicate is set (tx_out = the original). */
int bsvc_deposit(const char *customer_id, int64_t amount, const char *description, const char *reference,
                 int64_t now, struct wallet_tx *tx_out, struct wallet *w_out, bool *duplicate);

/* Direct charge (invoice taxes, rounding): charged when the balance covers it, else the amount
 * becomes outstanding and the grace/suspension rules apply. *result (new reference) is the
 * domain's result object (charged, tx_id / reason, balance_cad, grace_until, action). */
int bsvc_charge(const char *customer_id, int64_t amount, const char *job_id, const char *description, int64_t now,
                json_t **result);

/* Credits a refund to the balance (tx refund). */
int bsvc_refund_credit(const char *customer_id, int64_t amount, const char *job_id, const char *description,
                       int64_t now);

/* Grace → suspended for wallets whose grace expired (sweep). */
int bsvc_wallet_grace_sweep(int64_t now);

/* True when the customer's wallet is suspended (POST /job answers 403). Read-only. */
bool billing_customer_suspended(const char *customer_id);

/* ---- escrow (domain §25.6) ---- */

/* The rate the job captures on this host: the spot price of the host's model for spot jobs
 * (falling back to the host's effective rate when no price exists yet), else the effective
 * rate (listing price or cost_per_hour). */
int bsvc_capture_rate(const struct job *j, const struct host *h, int64_t *rate);

/* Places escrow block n of the job's assignment assign_us. *refused when the wallet cannot
 * cover it (no change). Replays of the same block change nothing. */
int bsvc_escrow_hold(const struct job *j, int64_t rate, int64_t assign_us, int n, int64_t amount, int64_t now,
                     bool *refused);

/* Top-up of a running owned job (lease renewal, sweep): holds one more block when needed; a
 * refused top-up records a stop request `insufficient_funds`. */
int bsvc_escrow_topup(const struct job *j, int64_t now);

/* Releases every open hold of the job in full (it never ran). */
int bsvc_escrow_release(const struct job *j, int64_t now);

/* ---- billing records (domain §25.4) ---- */

/* Creates the billing record of (job, attempt) from its run interval, settles its escrow and
 * writes its payout row — exactly once: when the record already exists nothing is written and
 * *created is false. j may be the job row at any later state (its captured rate, tiers and
 * owner are used). */
int bsvc_bill_attempt(const struct job *j, const struct bill_run *run, int64_t now, struct bill_record *out,
                      bool *created);

/* GST/HST owed on top of a payout (domain §25.9): with a provider account, its GST/HST number
 * and province decide (the host's province when the account names none); without one, the
 * host's declared fields. RHU(payout × combined rate at `at`, 10^6), or 0 when unregistered. */
int bsvc_payout_gst(int64_t provider_payout, const struct provider *p, const struct host *h, int64_t at,
                    int64_t *out);

/* BillingRecord JSON (api §6.3). New reference. */
/* The negative payout row of a refund (§25.9 clawback), owned like the settlement's. */
int bsvc_payout_clawback(const struct bill_record *r, int64_t amount, int64_t fee_refund, int64_t payout_clawback,
                         int64_t now);
json_t *bsvc_record_view(const struct bill_record *r);
json_t *bsvc_wallet_view(const struct wallet *w);
json_t *bsvc_wallet_tx_view(const struct wallet_tx *t);

/* ---- marketplace (domain §15) ---- */

/* Listing JSON (api §6.7), with live host fields when h is not NULL. New reference. */
json_t *bsvc_listing_view(const struct listing *l, const struct host *h);

/* ---- spot pricing (domain §12) ---- */

/* Recomputes the price of every model with an active host, appends the history and queues the
 * spot_prices SSE message. *prices (new reference) is the {model: price} map. */
int bsvc_spot_recompute(int64_t now, json_t **prices);

/* Spot preemption cycle (domain §11): recompute, then a preempt stop request for every running
 * spot job whose max_bid < its model's price. Runs its own transaction. New references in
 * *prices and *preempted. */
int bsvc_spot_cycle(json_t **prices, json_t **preempted);

/* ---- invoices and the fund report (domain §25.8, §25.10, §25.11) ---- */

/* Invoice JSON (api §6.11) of the customer over [start, end): a draft (not stored) unless
 * `issue` is set, in which case the month is issued once (INV- number, wallet postings) and the
 * stored snapshot returned. province NULL = the customer's (default ON). */
int bsvc_invoice(const char *customer_id, int64_t start, int64_t end, const char *province,
                 const char *customer_name, bool issue, int64_t now, json_t **out);

/* Issues every ended month with usage of every customer that has no invoice yet (sweep). */
int bsvc_invoice_issue_due(int64_t now);

/* UTC month helpers (µs). */
int64_t bsvc_month_start(int64_t at_us);
int64_t bsvc_month_add(int64_t month_start_us, int delta);

/* Attestation object (api §6.12) with its signature. customer_id NULL = platform scope. */
json_t *bsvc_attestation(const char *customer_id, int64_t period_start, int64_t period_end, int64_t now);
/* Checks an attestation's signature. */
bool bsvc_attestation_valid(const json_t *att);

/* ---- hooks for the engine and the loops (beyond billing_hooks.h) ---- */

/* The sweep's billing duties (domain §9.3 step 6, §25.5, §1.4): escrow top-ups of running owned
 * jobs, grace → suspended, issuance of invoices for ended months. Call inside the sweep's
 * transaction. */
int billing_sweep(int64_t now);

/* The current spot price of a GPU model (its newest history entry); XC_ENOTFOUND before the
 * first computation. For the scheduler's sched_host.spot_price_ucad. */
int billing_spot_price(const char *gpu_model, int64_t *price);

/* Converts every real number in v (a parsed stored snapshot) back to an exact fixed decimal
 * (6 decimals max), in place. */
void bsvc_reals_to_fixed(json_t *v);

/* The rate a host is billed at: its active listing's price, else its own cost_per_hour. */
int billing_effective_rate(const struct host *h, int64_t *rate, bool *listed);

#endif
