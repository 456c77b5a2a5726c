/* Billing operations (domain §12, §15, §25): configuration, wallets, escrow, billing records,
 * payouts, spot pricing, invoices and the attestation. Money is int64 µCAD throughout; the only
 * rounding to cents happens on invoices (core/invoice.c: each line half-up to the cent). */
#include "server/svc/billing_svc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/env.h"
#include "common/errors.h"
#include "common/hex.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/fixed.h"
#include "core/attest.h"
#include "core/hashchain.h"
#include "core/invoice.h"
#include "core/jobstate.h"
#include "core/money.h"
#include "core/pricing.h"
#include "core/states.h"
#include "core/settle.h"
#include "core/tax.h"
#include "server/app.h"
#include "server/svc/job_stops.h"
#include "server/svc/reputation.h"
#include "server/svc/tx.h"
#include "store/providers_store.h"

#include "common/units.h" /* SEC */
#define GRACE_US (259200 * SEC)

/* ---- configuration ---- */

static struct billing_config cfg = {
    .platform_cut_ppm = 200000,
    .escrow_hold_us = 3600 * SEC,
    .credit_limit = 0,
    .spot_discount_ppm = 300000,
    .spot_k_ppm = 500000,
    .spot_t_ppm = 800000,
    .spot_interval_sec = 600,
};
static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static bool cfg_loaded;

static int cfg_read(struct billing_config *c)
{
    int64_t hours;
    const char *bad = NULL;
    if (env_fixed("XCELSIOR_PLATFORM_CUT", 6, 200000, 0, 999999, &c->platform_cut_ppm) < 0)
        bad = "XCELSIOR_PLATFORM_CUT (a fraction 0 <= x < 1)";
    else if (env_fixed("XCELSIOR_ESCROW_HOLD_HOURS", 6, 1000000, 1, 720000000, &hours) < 0)
        bad = "XCELSIOR_ESCROW_HOLD_HOURS (hours, 0 < x <= 720)";
    else if (env_fixed("XCELSIOR_CREDIT_LIMIT", 6, 0, 0, INT64_C(1000000) * 1000000, &c->credit_limit) < 0)
        bad = "XCELSIOR_CREDIT_LIMIT (CAD, 0 <= x <= 1000000)";
    else if (env_fixed("XCELSIOR_SPOT_DISCOUNT", 6, 300000, 0, 999999, &c->spot_discount_ppm) < 0)
        bad = "XCELSIOR_SPOT_DISCOUNT (a fraction 0 <= x < 1)";
    else if (env_fixed("XCELSIOR_SPOT_SENSITIVITY", 6, 500000, 0, 100000000, &c->spot_k_ppm) < 0)
        bad = "XCELSIOR_SPOT_SENSITIVITY (0 <= x <= 100)";
    else if (env_fixed("XCELSIOR_SPOT_THRESHOLD", 6, 800000, 0, 100000000, &c->spot_t_ppm) < 0)
        bad = "XCELSIOR_SPOT_THRESHOLD (0 <= x <= 100)";
    else if (env_int("XCELSIOR_SPOT_UPDATE_INTERVAL", 600, 0, 86400 * 30, &c->spot_interval_sec) < 0)
        bad = "XCELSIOR_SPOT_UPDATE_INTERVAL (seconds, 0..2592000)";
    if (bad) {
        fprintf(stderr, "xcelsior: invalid %s\n", bad);
        return -1;
    }
    c->escrow_hold_us = hours * 3600; /* µh × 3600 = µs */
    c->spot_interval_set = env_get("XCELSIOR_SPOT_UPDATE_INTERVAL") != NULL;
    return 0;
}

int billing_init(void)
{
    struct billing_config c = cfg;
    if (cfg_read(&c) < 0)
        return -1;
    cfg = c;
    cfg_loaded = true;
    return 0;
}

static void cfg_lazy(void)
{
    if (!cfg_loaded && billing_init() < 0)
        log_error("billing: invalid configuration; using defaults for the invalid values");
}

const struct billing_config *billing_cfg(void)
{
    pthread_once(&cfg_once, cfg_lazy);
    return &cfg;
}

bool bsvc_valid_customer_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

/* ---- wallets ---- */

static void prefixed_id(const char *prefix, char *out, size_t n)
{
    char hex[33];
    ids_hex128(hex);
    snprintf(out, n, "%s%s", prefix, hex);
}

int bsvc_wallet_load(const char *customer_id, int64_t now, struct wallet *w)
{
    int rc = bstore_wallet_get(g_app->store, customer_id, w);
    if (rc != XC_ENOTFOUND)
        return rc;
    memset(w, 0, sizeof *w);
    snprintf(w->customer_id, sizeof w->customer_id, "%s", customer_id);
    w->status = WALLET_ACTIVE;
    w->created_at = w->updated_at = now;
    return bstore_wallet_put(g_app->store, w);
}

/* Writes one wallet movement: the tx row (with the wallet's state after it), the wallet, the
 * audit event. ref NULL = no idempotency key. *inserted false → a duplicate reference. */
static int wallet_post(struct wallet *w, const char *type, int64_t amount, const char *job_id, const char *desc,
                       const char *ref, int64_t now, struct wallet_tx *tx_out, bool *inserted)
{
    struct wallet_tx t = {0};
    prefixed_id("TX-", t.tx_id, sizeof t.tx_id);
    snprintf(t.customer_id, sizeof t.customer_id, "%s", w->customer_id);
    snprintf(t.tx_type, sizeof t.tx_type, "%s", type);
    t.amount = amount;
    t.balance_after = w->balance;
    t.held_after = w->held;
    snprintf(t.description, sizeof t.description, "%s", desc ? desc : "");
    snprintf(t.job_id, sizeof t.job_id, "%s", job_id ? job_id : "");
    if (ref) {
        t.has_reference = true;
        snprintf(t.reference, sizeof t.reference, "%s", ref);
    }
    t.created_at = now;
    bool ins = false;
    int rc = bstore_wallet_tx_insert(g_app->store, &t, &ins);
    if (inserted)
        *inserted = ins;
    if (rc < 0 || !ins)
        return rc;
    w->updated_at = now;
    if ((rc = bstore_wallet_put(g_app->store, w)) < 0)
        return rc;
    char evt[32];
    snprintf(evt, sizeof evt, "wallet.%s", type);
    json_t *data = json_pack("{s:s,s:s,s:I,s:I,s:I}", "tx_id", t.tx_id, "tx_type", type, "amount_ucad",
                             (json_int_t)amount, "balance_ucad", (json_int_t)w->balance, "held_ucad",
                             (json_int_t)w->held);
    if (job_id && *job_id)
        json_object_set_new(data, "job_id", json_string(job_id));
    /* event types of domain §23.3 (refunds are billing.refund, written by the refund route) */
    if (strcmp(type, "refund") != 0 && (rc = tx_event(evt, "wallet", w->customer_id, "system", data)) < 0)
        return rc;
    if (strcmp(type, "refund") == 0)
        json_decref(data);
    if (tx_out)
        *tx_out = t;
    return 0;
}

/* Money returned to a wallet (release, refund): first pays outstanding arrears. */
static void wallet_credit(struct wallet *w, int64_t amount)
{
    int64_t pay = amount < w->outstanding ? amount : w->outstanding;
    w->outstanding -= pay;
    w->balance += amount - pay;
    if (w->outstanding == 0 && w->status != WALLET_ACTIVE) {
        w->status = WALLET_ACTIVE;
        w->grace_until = 0;
    }
}

int bsvc_deposit(const char *customer_id, int64_t amount, const char *description, const char *reference,
                 int64_t now, struct wallet_tx *tx_out, struct wallet *w_out, bool *duplicate)
{
    *duplicate = false;
    if (amount <= 0)
        return XC_EINVAL;
    struct wallet w;
    int rc = bsvc_wallet_load(customer_id, now, &w);
    if (rc < 0)
        return rc;
    if (reference && bstore_wallet_tx_by_ref(g_app->store, customer_id, reference, tx_out) == 0) {
        *duplicate = true;
        *w_out = w;
        return 0;
    }
    int64_t arrears = amount < w.outstanding ? amount : w.outstanding;
    int64_t total;
    if (money_add(w.total_deposited, amount, &total) < 0 || money_add(w.balance, amount - arrears, &w.balance) < 0)
        return XC_EINVAL;
    w.total_deposited = total;
    w.outstanding -= arrears;
    if (arrears > 0)
        w.total_spent += arrears;
    if (w.outstanding == 0) {
        w.status = WALLET_ACTIVE;
        w.grace_until = 0;
    }
    bool ins = false;
    /* The deposit row carries the idempotency key; UNIQUE(customer_id, reference) decides. */
    if ((rc = wallet_post(&w, "deposit", amount, NULL, description, reference, now, tx_out, &ins)) < 0)
        return rc;
    if (!ins) {
        *duplicate = true;
        if ((rc = bstore_wallet_tx_by_ref(g_app->store, customer_id, reference, tx_out)) < 0)
            return rc;
        return bstore_wallet_get(g_app->store, customer_id, w_out);
    }
    if (arrears > 0 && (rc = wallet_post(&w, "charge", arrears, NULL, "Outstanding balance paid", NULL, now, NULL,
                                          NULL)) < 0)
        return rc;
    *w_out = w;
    return 0;
}

int bsvc_charge(const char *customer_id, int64_t amount, const char *job_id, const char *description, int64_t now,
                json_t **result)
{
    struct wallet w;
    struct wallet_tx t;
    int rc = bsvc_wallet_load(customer_id, now, &w);
    if (rc < 0)
        return rc;
    if (amount <= 0) {
        *result = json_pack("{s:b,s:o}", "charged", 1, "balance_cad", jx_money(w.balance));
        return 0;
    }
    if (w.balance >= amount) {
        w.balance -= amount;
        w.total_spent += amount;
        if ((rc = wallet_post(&w, "charge", amount, job_id, description, NULL, now, &t, NULL)) < 0)
            return rc;
        *result = json_pack("{s:b,s:s,s:o}", "charged", 1, "tx_id", t.tx_id, "balance_cad", jx_money(w.balance));
        return 0;
    }
    const char *reason = "insufficient_balance", *action;
    if (w.status == WALLET_ACTIVE) {
        w.status = WALLET_GRACE;
        w.grace_until = now + GRACE_US;
        action = "grace_period_started";
    } else if (w.status == WALLET_GRACE && now <= w.grace_until) {
        action = "grace_period_active";
    } else {
        w.status = WALLET_SUSPENDED;
        reason = "grace_expired";
        action = "account_suspended";
    }
    if (money_add(w.outstanding, amount, &w.outstanding) < 0)
        return XC_EINVAL;
    w.updated_at = now;
    if ((rc = bstore_wallet_put(g_app->store, &w)) < 0)
        return rc;
    rc = tx_event("wallet.charge", "wallet", customer_id, "system",
                  json_pack("{s:b,s:I,s:s,s:s}", "charged", 0, "amount_ucad", (json_int_t)amount, "reason", reason,
                            "action", action));
    *result = json_pack("{s:b,s:s,s:o,s:o,s:s}", "charged", 0, "reason", reason, "balance_cad", jx_money(w.balance),
                        "grace_until", jx_ts(w.grace_until), "action", action);
    return rc;
}

int bsvc_refund_credit(const char *customer_id, int64_t amount, const char *job_id, const char *description,
                       int64_t now)
{
    if (amount <= 0)
        return 0;
    struct wallet w;
    int rc = bsvc_wallet_load(customer_id, now, &w);
    if (rc < 0)
        return rc;
    wallet_credit(&w, amount);
    w.total_refunded += amount;
    return wallet_post(&w, "refund", amount, job_id, description, NULL, now, NULL, NULL);
}

int bsvc_wallet_grace_sweep(int64_t now)
{
    struct wallet *ws = NULL;
    size_t n = 0;
    int rc = bstore_wallets_grace_expired(g_app->store, now, &ws, &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        ws[i].status = WALLET_SUSPENDED;
        ws[i].updated_at = now;
        if ((rc = bstore_wallet_put(g_app->store, &ws[i])) == 0)
            rc = tx_event("wallet.charge", "wallet", ws[i].customer_id, "system",
                          json_pack("{s:s}", "action", "account_suspended"));
    }
    free(ws);
    return rc;
}

bool billing_customer_suspended(const char *customer_id)
{
    struct wallet w;
    if (!customer_id || !*customer_id || bstore_wallet_get(g_app->store, customer_id, &w) < 0)
        return false;
    return w.status == WALLET_SUSPENDED;
}

/* ---- escrow ---- */

static void job_rate(const struct job *j, int64_t rate, money_rate *r)
{
    enum jobstate_tier t = JOB_TIER_FREE;
    enum jobstate_trust tt = JOB_TRUST_COMMUNITY;
    jobstate_tier_parse(j->tier, &t);
    jobstate_trust_parse(j->trust_tier, &tt);
    r->num_gpus = j->num_gpus > 0 ? j->num_gpus : 1;
    r->rate_ucad_per_hour = rate;
    r->tier_ppm = j->spot ? MONEY_PPM_ONE : jobstate_tier_multiplier_ppm(t);
    r->trust_ppm = jobstate_trust_multiplier_ppm(tt);
}

static int64_t max_duration_us(const struct job *j) { return j->has_max_duration ? j->max_duration_ms * 1000 : 0; }

int bsvc_capture_rate(const struct job *j, const struct host *h, int64_t *rate)
{
    bool listed;
    int rc = billing_effective_rate(h, rate, &listed);
    if (rc < 0 || !j->spot)
        return rc;
    struct spot_entry e;
    if (bstore_spot_latest(g_app->store, h->gpu_model, &e) == 0)
        *rate = e.price;
    return 0;
}

int bsvc_escrow_hold(const struct job *j, int64_t rate, int64_t assign_us, int n, int64_t amount, int64_t now,
                     bool *refused)
{
    (void)rate;
    *refused = false;
    if (!j->owner[0] || amount <= 0)
        return 0;
    struct wallet w;
    int rc = bsvc_wallet_load(j->owner, now, &w);
    if (rc < 0)
        return rc;
    /* Available credit: the balance plus what is left of the credit limit (shortfalls become
     * outstanding, so the balance itself never goes negative). */
    int64_t shortfall = amount > w.balance ? amount - w.balance : 0;
    if (w.status != WALLET_ACTIVE || w.outstanding + shortfall > billing_cfg()->credit_limit) {
        *refused = true;
        return 0;
    }
    struct hold h = {0};
    snprintf(h.job_id, sizeof h.job_id, "%s", j->job_id);
    h.attempt = j->attempt;
    h.assign_us = assign_us;
    h.n = n;
    snprintf(h.customer_id, sizeof h.customer_id, "%s", j->owner);
    h.amount = amount;
    h.created_at = now;
    bool ins;
    if ((rc = bstore_hold_insert(g_app->store, &h, &ins)) < 0 || !ins)
        return rc; /* a replayed block: already held */
    w.balance -= amount - shortfall;
    w.outstanding += shortfall;
    w.held += amount;
    char desc[96];
    snprintf(desc, sizeof desc, "Escrow hold %d for job %s", n, j->job_id);
    return wallet_post(&w, "hold", amount, j->job_id, desc, NULL, now, NULL, NULL);
}

int bsvc_escrow_topup(const struct job *j, int64_t now)
{
    if (!j->owner[0] || j->status != JOB_RUNNING || !j->started_at)
        return 0;
    int64_t held = 0, topup = 0, rate = j->rate_per_hour;
    int cnt = 0, last = 0;
    int rc = bstore_holds_open(g_app->store, j->job_id, &held, &cnt);
    if (rc < 0)
        return rc;
    money_rate mr;
    job_rate(j, rate, &mr);
    int64_t elapsed = now > j->started_at ? now - j->started_at : 0;
    if (money_escrow_topup(&mr, elapsed, held, billing_cfg()->escrow_hold_us, max_duration_us(j), &topup) < 0 ||
        topup <= 0)
        return 0;
    if ((rc = bstore_holds_last_n(g_app->store, j->job_id, j->attempt, j->assigned_at, &last)) < 0)
        return rc;
    bool refused = false;
    if ((rc = bsvc_escrow_hold(j, rate, j->assigned_at, last + 1, topup, now, &refused)) < 0)
        return rc;
    if (refused && !(j->has_stop_request && j->stop_requested == JOB_STOP_INSUFFICIENT_FUNDS)) {
        struct job fresh;
        if ((rc = store_job_get(g_app->store, j->job_id, &fresh)) < 0)
            return rc;
        if (!fresh.has_stop_request)
            rc = jobs_stop_request(&fresh, JOB_STOP_INSUFFICIENT_FUNDS, "system");
        job_free(&fresh);
    }
    return rc;
}

/* Closes the job's open holds and moves the money: cost charged, the rest released. */
static int escrow_close(const struct job *j, int64_t cost, const char *status, int64_t now, int64_t *held_out)
{
    int64_t held = 0;
    int cnt = 0, closed = 0;
    *held_out = 0;
    if (!j->owner[0])
        return 0;
    int rc = bstore_holds_open(g_app->store, j->job_id, &held, &cnt);
    if (rc < 0 || cnt == 0)
        return rc;
    if ((rc = bstore_holds_close(g_app->store, j->job_id, status, now, &closed)) < 0 || closed == 0)
        return rc;
    *held_out = held;
    if (cost > held)
        cost = held;
    struct wallet w;
    if ((rc = bsvc_wallet_load(j->owner, now, &w)) < 0)
        return rc;
    w.held -= held;
    if (w.held < 0)
        w.held = 0;
    char desc[96];
    if (cost > 0) {
        w.total_spent += cost;
        snprintf(desc, sizeof desc, "Compute charge for job %s (attempt %d)", j->job_id, j->attempt);
        if ((rc = wallet_post(&w, "charge", cost, j->job_id, desc, NULL, now, NULL, NULL)) < 0)
            return rc;
    }
    if (held - cost > 0) {
        wallet_credit(&w, held - cost);
        snprintf(desc, sizeof desc, "Escrow release for job %s", j->job_id);
        if ((rc = wallet_post(&w, "release", held - cost, j->job_id, desc, NULL, now, NULL, NULL)) < 0)
            return rc;
    }
    if (cost == 0 && held == 0)
        rc = bstore_wallet_put(g_app->store, &w);
    return rc;
}

int bsvc_escrow_release(const struct job *j, int64_t now)
{
    int64_t held;
    return escrow_close(j, 0, "released", now, &held);
}

/* ---- billing records ---- */

static void host_snapshot(const char *host_id, struct host *h, bool *found)
{
    *found = store_host_get(g_app->store, host_id, h) == 0;
    if (!*found)
        host_init(h);
}

/* A payout row of an owned host (§25.9): a settlement (positive) or a refund clawback (negative
 * amounts). The owner's provider account, when it has one, takes the row and decides its GST/HST;
 * otherwise provider_id stays '' until the owner registers one. */
static int payout_row_write(const struct host *h, const struct bill_record *r, const char *kind, int64_t gross,
                            int64_t platform_fee, int64_t provider_payout, int64_t tax_at, int64_t now)
{
    struct payout_row p = {0};
    struct provider prov;
    int prc = pstore_provider_by_user(g_app->store, h->owner, &prov);
    if (prc < 0 && prc != XC_ENOTFOUND)
        return prc;
    bool has_prov = prc == 0;
    prefixed_id("PAY-", p.payout_id, sizeof p.payout_id);
    if (has_prov)
        snprintf(p.provider_id, sizeof p.provider_id, "%s", prov.provider_id);
    snprintf(p.host_owner, sizeof p.host_owner, "%s", h->owner);
    snprintf(p.host_id, sizeof p.host_id, "%s", h->host_id);
    snprintf(p.job_id, sizeof p.job_id, "%s", r->job_id);
    snprintf(p.billing_id, sizeof p.billing_id, "%s", r->billing_id);
    snprintf(p.kind, sizeof p.kind, "%s", kind);
    p.gross = gross;
    p.platform_fee = platform_fee;
    p.provider_payout = provider_payout;
    int rc = bsvc_payout_gst(provider_payout, has_prov ? &prov : NULL, h, tax_at, &p.gst_hst);
    if (rc < 0)
        return rc;
    snprintf(p.status, sizeof p.status, "pending");
    p.created_at = now;
    bool ins;
    return bstore_payout_insert(g_app->store, &p, &ins);
}

int bsvc_payout_clawback(const struct bill_record *r, int64_t amount, int64_t fee_refund, int64_t payout_clawback,
                         int64_t now)
{
    struct host h;
    int rc = store_host_get(g_app->store, r->host_id, &h);
    if (rc == XC_ENOTFOUND) {
        /* The host is gone: the row keeps what the record knows. */
        host_init(&h);
        snprintf(h.host_id, sizeof h.host_id, "%s", r->host_id);
        rc = 0;
    }
    if (rc < 0)
        return rc;
    snprintf(h.owner, sizeof h.owner, "%s", r->host_owner); /* the owner when the job ran */
    rc = payout_row_write(&h, r, "clawback", -amount, -fee_refund, -payout_clawback, r->completed_at, now);
    host_free(&h);
    return rc;
}

int bsvc_bill_attempt(const struct job *j, const struct bill_run *run, int64_t now, struct bill_record *out,
                      bool *created)
{
    *created = false;
    const struct billing_config *c = billing_cfg();
    struct bill_record r = {0};
    struct host h;
    bool hfound;
    int rc;
    host_snapshot(run->host_id, &h, &hfound);

    ids_hex128(r.billing_id);
    snprintf(r.job_id, sizeof r.job_id, "%s", j->job_id);
    r.attempt = run->attempt;
    snprintf(r.job_name, sizeof r.job_name, "%s", j->name);
    snprintf(r.owner, sizeof r.owner, "%s", j->owner);
    snprintf(r.host_id, sizeof r.host_id, "%s", run->host_id);
    if (hfound) {
        snprintf(r.host_owner, sizeof r.host_owner, "%s", h.owner);
        snprintf(r.gpu_model, sizeof r.gpu_model, "%s", h.gpu_model);
        snprintf(r.country, sizeof r.country, "%s", h.country);
        snprintf(r.province, sizeof r.province, "%s", h.province);
        r.is_canadian = strcmp(h.country, "CA") == 0;
    }
    r.num_gpus = j->num_gpus > 0 ? j->num_gpus : 1;
    snprintf(r.tier, sizeof r.tier, "%s", j->spot ? "free" : j->tier);
    snprintf(r.trust_tier, sizeof r.trust_tier, "%s", j->trust_tier);
    r.spot = j->spot;
    int64_t rate = j->rate_per_hour;
    if (!j->has_rate) {
        bool listed;
        rate = 0;
        if (hfound)
            billing_effective_rate(&h, &rate, &listed);
    }
    money_rate mr;
    job_rate(j, rate, &mr);
    r.rate_per_hour = rate;
    r.tier_ppm = mr.tier_ppm;
    r.trust_ppm = mr.trust_ppm;
    r.started_at = run->started_at;
    r.completed_at = run->ended_at ? run->ended_at : now;
    r.duration_us = r.completed_at > r.started_at ? r.completed_at - r.started_at : 0;
    r.final_status = run->has_final_status ? run->final_status : j->status;
    if (r.final_status == JOB_FAILED)
        snprintf(r.failure_class, sizeof r.failure_class, "%s", j->failure_class);
    /* An attempt lost with its host (host_lost, 100 % refund class) is not billed. */
    struct settle_in si = {.rate = mr,
                           .duration_us = r.duration_us,
                           .escrowed = j->owner[0] != '\0',
                           .host_lost = strcmp(r.failure_class, "host_lost") == 0,
                           .platform_cut_ppm = c->platform_cut_ppm};
    int cnt = 0;
    if (si.escrowed && (rc = bstore_holds_open(g_app->store, j->job_id, &si.held, &cnt)) < 0)
        goto out;
    bool have_hold = cnt > 0;
    struct settle_out so;
    if ((rc = settle_attempt(&si, &so)) < 0)
        goto out;
    r.effective_rate = so.effective_rate;
    r.gpu_hours_e6 = so.gpu_hours_e6;
    r.metered_cost = so.metered_cost;
    r.cost = so.cost;
    r.uncollected = so.uncollected;
    r.platform_cut_ppm = c->platform_cut_ppm;
    r.platform_fee = so.platform_fee;
    r.host_payout = so.host_payout;
    r.billed_at = now;

    /* UNIQUE(job_id, attempt) decides: only the inserting call settles and pays out. */
    if ((rc = bstore_record_insert(g_app->store, &r, created)) < 0)
        goto out;
    if (!*created) {
        rc = bstore_record_get(g_app->store, j->job_id, run->attempt, out);
        goto out;
    }
    if (have_hold) {
        int64_t h_out;
        if ((rc = escrow_close(j, r.cost, "settled", now, &h_out)) < 0)
            goto out;
    }
    if (hfound && h.owner[0] && r.cost > 0 &&
        (rc = payout_row_write(&h, &r, "settle", r.cost, r.platform_fee, r.host_payout, r.completed_at, now)) < 0)
        goto out;
    rc = tx_event("billing.settled", "billing", r.billing_id, "system",
                  json_pack("{s:s,s:i,s:I,s:I,s:I,s:s}", "job_id", r.job_id, "attempt", r.attempt, "cost_ucad",
                            (json_int_t)r.cost, "metered_ucad", (json_int_t)r.metered_cost, "duration_us",
                            (json_int_t)r.duration_us, "final_status", jobstate_name(r.final_status)));
    if (rc < 0)
        goto out;
    tx_sse("billing_settled",
           json_pack("{s:s,s:s,s:o}", "job_id", r.job_id, "billing_id", r.billing_id, "cost", jx_money(r.cost)));
    *out = r;
out:
    host_free(&h);
    return rc;
}

int bsvc_payout_gst(int64_t provider_payout, const struct provider *p, const struct host *h, int64_t at,
                    int64_t *out)
{
    const char *province, *gst;
    if (p) {
        province = p->province[0] ? p->province : (h ? h->province : "");
        gst = p->gst_hst_number;
    } else {
        province = h ? h->province : "";
        gst = h ? h->gst_hst_number : "";
    }
    tax_rates tr;
    tax_lookup_or_default(province, at, &tr);
    return money_payout_gst(provider_payout, tr.rate_ppm, gst[0] != '\0', out) == MONEY_OK ? 0 : XC_EINVAL;
}

json_t *bsvc_record_view(const struct bill_record *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "billing_id", json_string(r->billing_id));
    json_object_set_new(o, "job_id", json_string(r->job_id));
    json_object_set_new(o, "job_name", json_string(r->job_name));
    json_object_set_new(o, "attempt", json_integer(r->attempt));
    json_object_set_new(o, "owner", json_string(r->owner));
    json_object_set_new(o, "host_id", json_string(r->host_id));
    json_object_set_new(o, "host_owner", json_string(r->host_owner));
    json_object_set_new(o, "gpu_model", json_string(r->gpu_model));
    json_object_set_new(o, "num_gpus", json_integer(r->num_gpus));
    json_object_set_new(o, "tier", json_string(r->tier));
    json_object_set_new(o, "tier_multiplier", jx_fixed(r->tier_ppm, 6));
    json_object_set_new(o, "trust_tier", json_string(r->trust_tier));
    json_object_set_new(o, "trust_multiplier", jx_fixed(r->trust_ppm, 6));
    json_object_set_new(o, "spot", json_boolean(r->spot));
    json_object_set_new(o, "rate_per_hour", jx_money(r->rate_per_hour));
    json_object_set_new(o, "effective_rate_per_hour", jx_money(r->effective_rate));
    json_object_set_new(o, "started_at", jx_ts(r->started_at));
    json_object_set_new(o, "completed_at", jx_ts(r->completed_at));
    json_object_set_new(o, "duration_sec", jx_fixed(fixed_rhu(r->duration_us, 1000), 3));
    json_object_set_new(o, "gpu_hours", jx_fixed(r->gpu_hours_e6, 6));
    json_object_set_new(o, "metered_cost", jx_money(r->metered_cost));
    json_object_set_new(o, "cost", jx_money(r->cost));
    json_object_set_new(o, "uncollected", jx_money(r->uncollected));
    json_object_set_new(o, "platform_cut", jx_fixed(r->platform_cut_ppm, 6));
    json_object_set_new(o, "platform_fee", jx_money(r->platform_fee));
    json_object_set_new(o, "host_payout", jx_money(r->host_payout));
    json_object_set_new(o, "is_canadian_compute", json_boolean(r->is_canadian));
    json_object_set_new(o, "country", json_string(r->country));
    json_object_set_new(o, "province", json_string(r->province));
    json_object_set_new(o, "final_status", json_string(jobstate_name(r->final_status)));
    json_object_set_new(o, "failure_class", json_string(r->failure_class));
    json_object_set_new(o, "refunded", jx_money(r->refunded));
    json_object_set_new(o, "refund_class", json_string(r->refund_class));
    json_object_set_new(o, "billed_at", jx_ts(r->billed_at));
    return o;
}

json_t *bsvc_wallet_view(const struct wallet *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "customer_id", json_string(w->customer_id));
    json_object_set_new(o, "balance_cad", jx_money(w->balance));
    json_object_set_new(o, "held_cad", jx_money(w->held));
    json_object_set_new(o, "outstanding_cad", jx_money(w->outstanding));
    json_object_set_new(o, "total_deposited_cad", jx_money(w->total_deposited));
    json_object_set_new(o, "total_spent_cad", jx_money(w->total_spent));
    json_object_set_new(o, "total_refunded_cad", jx_money(w->total_refunded));
    json_object_set_new(o, "status", json_string(walletstate_name(w->status)));
    json_object_set_new(o, "grace_until", jx_ts(w->grace_until));
    json_object_set_new(o, "created_at", jx_ts(w->created_at));
    json_object_set_new(o, "updated_at", jx_ts(w->updated_at));
    return o;
}

json_t *bsvc_wallet_tx_view(const struct wallet_tx *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "tx_id", json_string(t->tx_id));
    json_object_set_new(o, "customer_id", json_string(t->customer_id));
    json_object_set_new(o, "tx_type", json_string(t->tx_type));
    json_object_set_new(o, "amount_cad", jx_money(t->amount));
    json_object_set_new(o, "balance_after_cad", jx_money(t->balance_after));
    json_object_set_new(o, "held_after_cad", jx_money(t->held_after));
    json_object_set_new(o, "description", json_string(t->description));
    json_object_set_new(o, "job_id", json_string(t->job_id));
    json_object_set_new(o, "created_at", jx_ts(t->created_at));
    return o;
}

/* ---- marketplace ---- */

json_t *bsvc_listing_view(const struct listing *l, const struct host *h)
{
    int64_t jobs = 0, earned = 0;
    bstore_host_earnings(g_app->store, l->host_id, l->listed_at, &jobs, &earned, NULL, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "host_id", json_string(l->host_id));
    json_object_set_new(o, "owner", json_string(h ? h->owner : l->owner));
    json_object_set_new(o, "gpu_model", json_string(l->gpu_model));
    json_object_set_new(o, "vram_gb", jx_vram(l->vram_mgb));
    json_object_set_new(o, "price_per_hour", jx_money(l->price_per_hour));
    json_object_set_new(o, "description", json_string(l->description));
    json_object_set_new(o, "province", json_string(h ? h->province : ""));
    json_object_set_new(o, "country", json_string(h ? h->country : ""));
    int64_t rep = 0;
    enum rep_tier tier = REP_TIER_NEW_USER;
    reputation_host_score(l->host_id, app_now(), &rep, &tier); /* the live score (a failed read shows 0) */
    json_object_set_new(o, "reputation_score", jx_fixed(rep, 1));
    json_object_set_new(o, "reputation_tier", json_string(rep_tier_name(tier)));
    json_object_set_new(o, "compute_score", h && h->has_score ? jx_fixed(h->compute_score, 2) : json_null());
    json_object_set_new(o, "platform_cut", jx_fixed(billing_cfg()->platform_cut_ppm, 6));
    json_object_set_new(o, "listed_at", jx_ts(l->listed_at));
    json_object_set_new(o, "updated_at", jx_ts(l->updated_at));
    json_object_set_new(o, "active", json_boolean(l->active));
    json_object_set_new(o, "total_jobs", json_integer(jobs));
    json_object_set_new(o, "total_earned", jx_money(earned));
    return o;
}

/* ---- spot pricing ---- */

struct spot_model {
    const char *model; /* borrowed from the host rows */
    int64_t supply, demand, base_on_demand;
};

static struct spot_model *spot_find(struct spot_model *m, size_t n, const char *model)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].model, model) == 0)
            return &m[i];
    return NULL;
}

int bsvc_spot_recompute(int64_t now, json_t **prices)
{
    const struct billing_config *c = billing_cfg();
    struct host *hosts = NULL;
    struct job *jobs = NULL;
    size_t nh = 0, nj = 0, nm = 0;
    struct spot_model *m = NULL;
    *prices = json_object();
    int rc = store_host_list(g_app->store, true, &hosts, &nh);
    if (rc < 0)
        goto out;
    m = xcalloc(nh + 1, sizeof *m);
    for (size_t i = 0; i < nh; i++) {
        int64_t rate;
        bool listed;
        billing_effective_rate(&hosts[i], &rate, &listed);
        struct spot_model *e = spot_find(m, nm, hosts[i].gpu_model);
        if (!e) {
            e = &m[nm++];
            e->model = hosts[i].gpu_model;
            e->base_on_demand = rate;
        }
        e->supply += hosts[i].gpu_count;
        if (rate < e->base_on_demand)
            e->base_on_demand = rate;
    }
    struct job_filter f = {0};
    if ((rc = store_job_list(g_app->store, &f, &jobs, &nj, NULL)) < 0)
        goto out;
    for (size_t k = 0; k < nj; k++) {
        struct job *j = &jobs[k];
        enum jobstate st = j->status;
        if (jobstate_is_active(st)) {
            for (size_t i = 0; i < nh; i++)
                if (strcmp(hosts[i].host_id, j->host_id) == 0) {
                    struct spot_model *e = spot_find(m, nm, hosts[i].gpu_model);
                    if (e)
                        e->demand += j->num_gpus;
                    break;
                }
        } else if (st == JOB_QUEUED) {
            for (size_t x = 0; x < nm; x++) {
                for (size_t i = 0; i < nh; i++) {
                    if (strcmp(hosts[i].gpu_model, m[x].model) == 0 && hosts[i].total_mgb >= j->vram_mgb &&
                        hosts[i].gpu_count >= j->num_gpus) {
                        m[x].demand += j->num_gpus;
                        break;
                    }
                }
            }
        }
    }
    double k = (double)c->spot_k_ppm / 1e6, t = (double)c->spot_t_ppm / 1e6;
    for (size_t x = 0; x < nm; x++) {
        struct spot_entry e = {0};
        snprintf(e.gpu_model, sizeof e.gpu_model, "%s", m[x].model);
        if (pricing_spot_base(m[x].base_on_demand, c->spot_discount_ppm, &e.base) < 0 ||
            pricing_spot_price(e.base, m[x].demand, m[x].supply, k, t, &e.price) < 0)
            continue;
        e.supply = m[x].supply;
        e.demand = m[x].demand;
        e.computed_at = now;
        if ((rc = bstore_spot_append(g_app->store, &e)) < 0)
            goto out;
        json_object_set_new(*prices, e.gpu_model, jx_money(e.price));
    }
    tx_sse("spot_prices", json_deep_copy(*prices));
out:
    for (size_t i = 0; i < nj; i++)
        job_free(&jobs[i]);
    for (size_t i = 0; i < nh; i++)
        host_free(&hosts[i]);
    free(jobs);
    free(hosts);
    free(m);
    return rc;
}

int bsvc_spot_cycle(json_t **prices, json_t **preempted)
{
    int64_t now = app_now();
    struct job *jobs = NULL;
    size_t nj = 0;
    *prices = NULL;
    *preempted = json_array();
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if ((rc = bsvc_spot_recompute(now, prices)) < 0)
        goto fail;
    struct job_filter f = {.has_status = true, .status = JOB_RUNNING};
    if ((rc = store_job_list(g_app->store, &f, &jobs, &nj, NULL)) < 0)
        goto fail;
    for (size_t i = 0; i < nj; i++) {
        struct job *j = &jobs[i];
        struct host h;
        if (!j->spot || !j->has_max_bid || store_host_get(g_app->store, j->host_id, &h) < 0)
            continue;
        struct spot_entry e;
        bool over = bstore_spot_latest(g_app->store, h.gpu_model, &e) == 0 && j->max_bid < e.price;
        host_free(&h);
        if (!over)
            continue;
        if (!(j->has_stop_request && j->stop_requested == JOB_STOP_PREEMPT)) {
            if (j->has_stop_request)
                continue; /* a cancel/mining/funds stop is already under way */
            if ((rc = jobs_stop_request(j, JOB_STOP_PREEMPT, "scheduler")) < 0)
                goto fail;
            tx_sse("job_preempted", json_pack("{s:s,s:s,s:s}", "job_id", j->job_id, "name", j->name, "reason",
                                              "spot price above bid"));
        }
        json_array_append_new(*preempted, json_pack("{s:s,s:s,s:s,s:o,s:o}", "job_id", j->job_id, "name", j->name,
                                                    "host_id", j->host_id, "max_bid", jx_money(j->max_bid),
                                                    "spot_price", jx_money(e.price)));
    }
    rc = tx_commit();
    goto out;
fail:
    tx_rollback();
out:
    for (size_t i = 0; i < nj; i++)
        job_free(&jobs[i]);
    free(jobs);
    if (rc < 0) {
        json_decref(*prices);
        json_decref(*preempted);
        *prices = *preempted = NULL;
    }
    return rc;
}

/* ---- months ---- */

int64_t bsvc_month_start(int64_t at_us)
{
    time_t t = (time_t)(at_us / SEC - (at_us % SEC < 0 ? 1 : 0));
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm) * SEC;
}

int64_t bsvc_month_add(int64_t month_start_us, int delta)
{
    time_t t = (time_t)(month_start_us / SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    int months = tm.tm_year * 12 + tm.tm_mon + delta;
    tm.tm_year = months / 12;
    tm.tm_mon = months % 12;
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm) * SEC;
}

static void month_key(int64_t month_start_us, char out[8])
{
    time_t t = (time_t)(month_start_us / SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000u, m = (unsigned)(tm.tm_mon % 12 + 12) % 12u + 1u;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '\0';
}

/* ---- invoices ---- */

static json_t *cents(int64_t c) { return jx_fixed(c, 2); }

/* Builds the invoice object; *subtotal_cents / *tax_cents / *charged_ucad feed the issuance
 * postings. */
static int invoice_build(const char *customer_id, int64_t start, int64_t end, const char *province,
                         const char *customer_name, json_t **out, int64_t *tax_out, int64_t *subtotal_out,
                         int64_t *charged_out, size_t *nlines_out)
{
    struct bill_record *recs = NULL;
    struct refund_row *refs = NULL;
    size_t nr = 0, nf = 0;
    invoice_line_in *lines = NULL;
    int64_t *lc = NULL;
    struct bill_filter f = {.owner = customer_id, .has_since = true, .since = start, .has_until = true, .until = end};
    int rc = bstore_record_list(g_app->store, &f, &recs, &nr, NULL, NULL);
    if (rc < 0)
        return rc;
    if ((rc = bstore_refund_list(g_app->store, customer_id, start, end, &refs, &nf)) < 0)
        goto out;
    lines = xcalloc(nr + nf + 1, sizeof *lines);
    lc = xcalloc(nr + nf + 1, sizeof *lc);
    int64_t charged = 0;
    for (size_t i = 0; i < nr; i++) {
        lines[i] = (invoice_line_in){INVOICE_LINE_COMPUTE, recs[i].cost, recs[i].completed_at, recs[i].is_canadian};
        charged += recs[i].cost;
    }
    for (size_t i = 0; i < nf; i++) {
        lines[nr + i] = (invoice_line_in){INVOICE_LINE_CREDIT, refs[i].amount, refs[i].service_at, false};
        charged -= refs[i].amount;
    }
    invoice_totals t;
    if ((rc = invoice_compute(province, end - 1, lines, nr + nf, lc, &t)) < 0) {
        rc = rc == MONEY_EUNKNOWN ? XC_ENOTFOUND : XC_EINVAL;
        goto out;
    }
    json_t *items = json_array();
    char desc[300];
    for (size_t i = 0; i < nr; i++) {
        const struct bill_record *r = &recs[i];
        int64_t qty = 0;
        money_hours_e4(r->duration_us, r->num_gpus, &qty);
        invoice_compute_description(r->gpu_model, r->trust_tier, desc, sizeof desc);
        json_t *o = json_object();
        json_object_set_new(o, "description", json_string(desc));
        json_object_set_new(o, "category", json_string("compute"));
        json_object_set_new(o, "job_id", json_string(r->job_id));
        json_object_set_new(o, "host_id", json_string(r->host_id));
        json_object_set_new(o, "province", json_string(r->province));
        json_object_set_new(o, "is_canadian_compute", json_boolean(r->is_canadian));
        json_object_set_new(o, "trust_tier", json_string(r->trust_tier));
        json_object_set_new(o, "quantity", jx_fixed(qty, 4));
        json_object_set_new(o, "unit", json_string("GPU-hours"));
        json_object_set_new(o, "unit_price_cad", jx_money(r->effective_rate));
        json_object_set_new(o, "amount_cad", cents(lc[i]));
        json_object_set_new(o, "completed_at", jx_ts(r->completed_at));
        json_array_append_new(items, o);
    }
    for (size_t i = 0; i < nf; i++) {
        invoice_credit_description(refs[i].job_id, refs[i].classification, desc, sizeof desc);
        json_t *o = json_object();
        json_object_set_new(o, "description", json_string(desc));
        json_object_set_new(o, "category", json_string("credit"));
        json_object_set_new(o, "job_id", json_string(refs[i].job_id));
        json_object_set_new(o, "quantity", jx_fixed(1, 0));
        json_object_set_new(o, "unit", json_string("refund"));
        json_object_set_new(o, "amount_cad", cents(lc[nr + i]));
        json_object_set_new(o, "completed_at", jx_ts(refs[i].created_at));
        json_array_append_new(items, o);
    }
    json_t *taxes = json_array();
    for (size_t i = 0; i < t.ntaxes; i++)
        json_array_append_new(taxes, json_pack("{s:s,s:o,s:o}", "name", t.taxes[i].name, "rate",
                                               jx_fixed(t.taxes[i].rate_ppm, 6), "amount_cad",
                                               cents(t.taxes[i].amount_cents)));
    char prov[8];
    snprintf(prov, sizeof prov, "%s", province);
    for (char *p = prov; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    json_t *o = json_object();
    json_object_set_new(o, "invoice_id", json_null());
    json_object_set_new(o, "customer_id", json_string(customer_id));
    json_object_set_new(o, "customer_name", json_string(customer_name ? customer_name : ""));
    json_object_set_new(o, "currency", json_string("CAD"));
    json_object_set_new(o, "period_start", jx_ts(start));
    json_object_set_new(o, "period_end", jx_ts(end));
    json_object_set_new(o, "status", json_string("draft"));
    json_object_set_new(o, "issued_at", json_null());
    json_object_set_new(o, "province", json_string(prov));
    json_object_set_new(o, "line_items", items);
    json_object_set_new(o, "subtotal_cad", cents(t.subtotal_cents));
    json_object_set_new(o, "taxes", taxes);
    json_object_set_new(o, "tax_rate", jx_fixed(t.tax_rate_ppm, 6));
    json_object_set_new(o, "tax_description", json_string(t.tax_description));
    json_object_set_new(o, "tax_cad", cents(t.tax_cents));
    json_object_set_new(o, "total_cad", cents(t.total_cents));
    json_object_set_new(o, "canadian_compute_total_cad", cents(t.canadian_cents));
    json_object_set_new(o, "non_canadian_compute_total_cad", cents(t.non_canadian_cents));
    json_object_set_new(o, "fund_eligible_reimbursement_cad", cents(t.fund_cents));
    json_object_set_new(o, "effective_cost_after_fund_cad", cents(t.effective_cents));
    json_object_set_new(o, "notes", json_string(""));
    *out = o;
    *tax_out = t.tax_cents;
    *subtotal_out = t.subtotal_cents;
    *charged_out = charged;
    *nlines_out = nr + nf;
out:
    free(lines);
    free(lc);
    free(recs);
    free(refs);
    return rc;
}

static void reals_walk(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, x)
        {
            if (json_is_real(x)) {
                int64_t f;
                if (fixed_from_double(json_real_value(x), 6, &f) == 0)
                    json_object_set_new(v, k, jx_fixed(f, 6));
            } else {
                reals_walk(x);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *x = json_array_get(v, i);
            if (json_is_real(x)) {
                int64_t f;
                if (fixed_from_double(json_real_value(x), 6, &f) == 0)
                    json_array_set_new(v, i, jx_fixed(f, 6));
            } else {
                reals_walk(x);
            }
        }
    }
}

void bsvc_reals_to_fixed(json_t *v) { reals_walk(v); }

static json_t *snapshot_load(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    if (v)
        reals_walk(v);
    return v;
}

static void customer_profile(const char *customer_id, char *province, size_t pn, char *name, size_t nn)
{
    struct customer c;
    if (bstore_customer_get(g_app->store, customer_id, &c) == 0) {
        snprintf(province, pn, "%s", c.province[0] ? c.province : "ON");
        snprintf(name, nn, "%s", c.name);
    } else {
        snprintf(province, pn, "ON");
        name[0] = '\0';
    }
}

/* Issues the month [start, next month) once; *out = the stored snapshot. In a transaction. */
static int invoice_issue(const char *customer_id, int64_t start, int64_t now, json_t **out)
{
    char month[8];
    month_key(start, month);
    struct invoice_row row;
    int rc = bstore_invoice_get_month(g_app->store, customer_id, month, &row);
    if (rc == 0) {
        *out = snapshot_load(row.snapshot);
        invoice_row_free(&row);
        return *out ? 0 : XC_EDB;
    }
    if (rc != XC_ENOTFOUND)
        return rc;
    char province[8], name[201];
    customer_profile(customer_id, province, sizeof province, name, sizeof name);
    int64_t end = bsvc_month_add(start, 1), tax, subtotal, charged;
    size_t nlines;
    json_t *inv = NULL;
    if ((rc = invoice_build(customer_id, start, end, province, name, &inv, &tax, &subtotal, &charged, &nlines)) < 0)
        return rc;
    if (nlines == 0) {
        *out = inv; /* nothing to issue: stays a draft */
        return 0;
    }
    memset(&row, 0, sizeof row);
    if ((rc = bstore_invoice_next_seq(g_app->store, &row.seq)) < 0)
        goto fail;
    invoice_id_format(row.seq, row.invoice_id, sizeof row.invoice_id);
    snprintf(row.customer_id, sizeof row.customer_id, "%s", customer_id);
    snprintf(row.month, sizeof row.month, "%s", month);
    row.period_start = start;
    row.period_end = end;
    row.issued_at = now;
    json_object_set_new(inv, "invoice_id", json_string(row.invoice_id));
    json_object_set_new(inv, "status", json_string("issued"));
    json_object_set_new(inv, "issued_at", jx_ts(now));
    row.snapshot = jsonx_dump(inv, NULL);
    rc = bstore_invoice_insert(g_app->store, &row);
    free(row.snapshot);
    if (rc < 0)
        goto fail;
    /* Wallet postings: the month's debits equal the invoice total. */
    char desc[96];
    json_t *res = NULL;
    int64_t tax_ucad = tax * MONEY_UCAD_PER_CENT, adj = 0;
    if (tax_ucad > 0) {
        invoice_tax_tx_description(row.invoice_id, desc, sizeof desc);
        if ((rc = bsvc_charge(customer_id, tax_ucad, "", desc, now, &res)) < 0)
            goto fail;
        json_decref(res);
        res = NULL;
    }
    if (invoice_rounding_adjustment(subtotal, charged, &adj) == 0 && adj != 0) {
        invoice_rounding_tx_description(row.invoice_id, desc, sizeof desc);
        if (adj > 0) {
            if ((rc = bsvc_charge(customer_id, adj, "", desc, now, &res)) < 0)
                goto fail;
            json_decref(res);
        } else if ((rc = bsvc_refund_credit(customer_id, -adj, "", desc, now)) < 0) {
            goto fail;
        }
    }
    rc = tx_event("billing.invoice_issued", "invoice", row.invoice_id, "system",
                  json_pack("{s:s,s:s,s:I,s:I,s:I}", "customer_id", customer_id, "month", month, "subtotal_cents",
                            (json_int_t)subtotal, "tax_cents", (json_int_t)tax, "total_cents",
                            (json_int_t)(subtotal + tax)));
    if (rc < 0)
        goto fail;
    *out = inv;
    return 0;
fail:
    json_decref(inv);
    return rc;
}

int bsvc_invoice(const char *customer_id, int64_t start, int64_t end, const char *province,
                 const char *customer_name, bool issue, int64_t now, json_t **out)
{
    if (issue)
        return invoice_issue(customer_id, start, now, out);
    char prov[8], name[201];
    customer_profile(customer_id, prov, sizeof prov, name, sizeof name);
    int64_t tax, sub, charged;
    size_t nl;
    return invoice_build(customer_id, start, end, province ? province : prov, customer_name ? customer_name : name,
                         out, &tax, &sub, &charged, &nl);
}

int bsvc_invoice_issue_due(int64_t now)
{
    int64_t cur = bsvc_month_start(now);
    char **owners = NULL;
    size_t n = 0;
    int rc = bstore_owners_with_usage(g_app->store, cur, &owners, &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct bill_record *recs = NULL;
        size_t nr = 0;
        struct bill_filter f = {.owner = owners[i], .has_until = true, .until = cur};
        if ((rc = bstore_record_list(g_app->store, &f, &recs, &nr, NULL, NULL)) < 0)
            break;
        int64_t last = -1;
        for (size_t k = 0; k < nr && rc == 0; k++) {
            int64_t m = bsvc_month_start(recs[k].completed_at);
            if (m == last)
                continue;
            last = m;
            json_t *inv = NULL;
            rc = invoice_issue(owners[i], m, now, &inv);
            json_decref(inv);
        }
        free(recs);
    }
    for (size_t i = 0; i < n; i++)
        free(owners[i]);
    free(owners);
    return rc;
}

/* ---- attestation ---- */

json_t *bsvc_attestation(const char *customer_id, int64_t period_start, int64_t period_end, int64_t now)
{
    bool canada = true;
    if (customer_id) {
        struct bill_record *recs = NULL;
        size_t n = 0;
        struct bill_filter f = {.owner = customer_id, .has_since = true, .since = period_start, .has_until = true,
                                .until = period_end};
        if (bstore_record_list(g_app->store, &f, &recs, &n, NULL, NULL) == 0)
            for (size_t i = 0; i < n; i++)
                canada = canada && recs[i].is_canadian;
        free(recs);
    } else {
        struct host *hosts = NULL;
        size_t n = 0;
        if (store_host_list(g_app->store, false, &hosts, &n) == 0)
            for (size_t i = 0; i < n; i++) {
                if (hosts[i].admitted && strcmp(hosts[i].country, "CA") != 0)
                    canada = false;
                host_free(&hosts[i]);
            }
        free(hosts);
    }
    const char *officer = env_get("XCELSIOR_PRIVACY_OFFICER_NAME"), *email = env_get("XCELSIOR_PRIVACY_OFFICER_EMAIL");
    const char *bn = env_get("XCELSIOR_BUSINESS_NUMBER");
    char id[33];
    ids_hex128(id);
    /* Timestamps at whole-µs precision; the signature covers their integer-µs values. */
    json_t *a = json_object();
    json_object_set_new(a, "attestation_id", json_string(id));
    json_object_set_new(a, "provider_name", json_string("Xcelsior"));
    json_object_set_new(a, "incorporated_in", json_string("Canada"));
    json_object_set_new(a, "registration_number", json_string(bn ? bn : ""));
    json_object_set_new(a, "data_centers_in_canada", json_boolean(canada));
    json_object_set_new(a, "physical_infrastructure_canada", json_boolean(canada));
    json_object_set_new(a, "data_stays_in_canada", json_boolean(canada));
    json_object_set_new(a, "scope", json_string(customer_id ? "customer" : "platform"));
    json_object_set_new(a, "customer_id", customer_id ? json_string(customer_id) : json_null());
    json_object_set_new(a, "period_start", jx_ts(period_start));
    json_object_set_new(a, "period_end", jx_ts(period_end));
    json_object_set_new(a, "attested_at", jx_ts(now));
    json_object_set_new(a, "valid_until", jx_ts(now + INT64_C(365) * 86400 * SEC));
    json_object_set_new(a, "pipeda_compliant", json_true());
    json_object_set_new(a, "privacy_officer_designated", json_boolean(officer != NULL));
    json_object_set_new(a, "privacy_officer_contact", json_string(email ? email : (officer ? officer : "")));
    json_object_set_new(a, "security_posture", json_string("defense-in-depth"));
    /* Sign the object as a client will see it: render, re-parse, sign. */
    char *text = jsonx_dump(a, NULL);
    json_t *seen = json_loads(text, 0, NULL);
    free(text);
    char sig[65] = "";
    if (seen) {
        attest_sign(g_app->cfg.secret_key, seen, sig);
        json_decref(seen);
    }
    json_object_set_new(a, "signature", json_string(sig));
    return a;
}

bool bsvc_attestation_valid(const json_t *att)
{
    return attest_verify(g_app->cfg.secret_key, att);
}

int billing_effective_rate(const struct host *h, int64_t *rate, bool *listed)
{
    struct listing l;
    *rate = h->cost_per_hour;
    *listed = false;
    if (bstore_listing_get(g_app->store, h->host_id, &l) == 0 && l.active) {
        *rate = l.price_per_hour;
        *listed = true;
    }
    return 0;
}
