/* Billing routes (api §7.2, §7.3, §8.5; domain §25): billing records and revenue, wallets,
 * customer profiles, usage, invoices, refunds, the CAF export, the attestation, reference
 * pricing and the cost estimator. Thin: parse and validate, then billing_svc / the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/xalloc.h"
#include "common/fixed.h"
#include "core/invoice.h"
#include "core/jobstate.h"
#include "core/money.h"
#include "core/pricing.h"
#include "core/tax.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/billing_svc.h"
#include "server/api/handlers_billing.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "store/billing_store.h"

#include "common/units.h" /* SEC */
#define DAY_US (86400 * SEC)

/* ---- shared helpers (also used by the marketplace and spot routes) ---- */

int bpath_customer(struct req *r, int idx, const char **out)
{
    const char *c = idx < r->nparams ? r->params[idx] : NULL;
    if (!c || !bsvc_valid_customer_id(c)) {
        reply_invalid(r, "path", "customer_id", "pattern", "must be 1..64 characters of [A-Za-z0-9._-]");
        return -1;
    }
    *out = c;
    return 0;
}

static void reply_store_error(struct req *r, int rc, const char *what)
{
    reply_status(r, rc, what);
}

/* ---- billing records ---- */

/* Bills every ended, unbilled run of the job (normally none). *created_latest tells whether
 * the latest attempt's record was created by this call. In a transaction. */
static int bill_missing(const struct job *j, json_t *created_out, bool *created_any)
{
    struct bill_run *runs = NULL;
    size_t n = 0;
    *created_any = false;
    int rc = bstore_job_runs_unbilled(g_app->store, j->job_id, &runs, &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct bill_record rec;
        bool created = false;
        rc = bsvc_bill_attempt(j, &runs[i], app_now(), &rec, &created);
        if (rc == 0 && created) {
            *created_any = true;
            if (created_out)
                json_array_append_new(created_out, bsvc_record_view(&rec));
        }
    }
    free(runs);
    return rc;
}

void h_bill_all(struct req *r)
{
    struct bill_run *runs = NULL;
    size_t n = 0;
    json_t *bills = json_array();
    int rc = tx_begin();
    if (rc < 0)
        goto out;
    if ((rc = bstore_runs_unbilled(g_app->store, 5000, &runs, &n)) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        struct job j;
        if (store_job_get(g_app->store, runs[i].job_id, &j) < 0)
            continue;
        struct bill_record rec;
        bool created = false;
        rc = bsvc_bill_attempt(&j, &runs[i], app_now(), &rec, &created);
        job_free(&j);
        if (rc < 0)
            goto fail;
        if (created)
            json_array_append_new(bills, bsvc_record_view(&rec));
    }
    if ((rc = tx_commit()) < 0)
        goto out;
    free(runs);
    reply_ok(r, 200, json_pack("{s:I,s:o}", "billed", (json_int_t)json_array_size(bills), "bills", bills));
    return;
fail:
    tx_rollback();
out:
    free(runs);
    json_decref(bills);
    reply_store_error(r, rc, "bill-all failed");
}

/* Loads the job of path parameter 0 (404 when unknown). */
static int load_job(struct req *r, struct job *j)
{
    const char *id;
    if (v_path_job_id(r, 0, &id) < 0)
        return -1;
    int rc = store_job_get(g_app->store, id, j);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Job %s not found", id);
        return -1;
    }
    if (rc < 0) {
        reply_store_error(r, rc, "job read failed");
        return -1;
    }
    return 0;
}

/* Returns (creating if missing) the latest record; 1 when there is none. */
int bill_job_latest(const struct job *j, struct bill_record *rec, bool *already)
{
    bool created = false;
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if ((rc = bill_missing(j, NULL, &created)) < 0) {
        tx_rollback();
        return rc;
    }
    rc = bstore_record_latest(g_app->store, j->job_id, rec);
    if (rc < 0 && rc != XC_ENOTFOUND) {
        tx_rollback();
        return rc;
    }
    int found = rc == 0;
    if ((rc = tx_commit()) < 0)
        return rc;
    *already = !created;
    return found ? 0 : 1;
}

void h_bill_job(struct req *r)
{
    struct job j;
    if (load_job(r, &j) < 0)
        return;
    struct bill_record rec;
    bool already = false;
    int rc = bill_job_latest(&j, &rec, &already);
    if (rc == 1)
        reply_error(r, 400, "Could not bill job %s: no finished attempt", j.job_id);
    else if (rc < 0)
        reply_store_error(r, rc, "billing failed");
    else
        reply_ok(r, 200, json_pack("{s:o,s:b}", "bill", bsvc_record_view(&rec), "already_billed", already));
    job_free(&j);
}

void h_billing_list(struct req *r)
{
    struct bill_filter f = {0};
    int64_t limit, offset;
    query_int(r, "limit", &limit);
    query_int(r, "offset", &offset);
    f.has_since = query_int(r, "since", &f.since);
    f.has_until = query_int(r, "until", &f.until);
    query_str(r, "job_id", &f.job_id);
    query_str(r, "host_id", &f.host_id);
    query_str(r, "owner", &f.owner);
    if (r->who.kind == PRINCIPAL_AGENT)
        f.viewer_host = r->who.host_id;
    /* Users: records billed to their customer, or earned by hosts they own (api §7.2). */
    f.viewer_customer = auth_view_customer(&r->who);
    f.viewer_user = auth_view_user(&r->who);
    f.limit = (int)limit;
    f.offset = (int)offset;
    struct bill_record *recs = NULL;
    size_t n = 0;
    int64_t total = 0, sum = 0;
    int rc = bstore_record_list(g_app->store, &f, &recs, &n, &total, &sum);
    if (rc < 0) {
        reply_store_error(r, rc, "billing list failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, bsvc_record_view(&recs[i]));
    free(recs);
    reply_ok(r, 200, json_pack("{s:o,s:o,s:I}", "records", arr, "total_revenue", jx_money(sum), "total", (json_int_t)total));
}

void h_billing_revenue(struct req *r)
{
    struct bill_filter f = {0};
    f.has_since = query_int(r, "since", &f.since);
    f.has_until = query_int(r, "until", &f.until);
    struct bill_revenue v;
    int rc = bstore_revenue(g_app->store, &f, &v);
    if (rc < 0) {
        reply_store_error(r, rc, "revenue failed");
        return;
    }
    reply_ok(r, 200,
             json_pack("{s:s,s:I,s:o,s:o,s:o,s:o,s:o}", "currency", "CAD", "records", (json_int_t)v.records,
                       "total_revenue", jx_money(v.total_cost), "refunds", jx_money(v.refunded), "net_revenue",
                       jx_money(v.total_cost - v.refunded), "platform_revenue", jx_money(v.platform_fee - v.refund_fee),
                       "host_payouts", jx_money(v.host_payout - (v.refunded - v.refund_fee))));
}

/* ---- wallets and customers ---- */

void h_wallet_get(struct req *r)
{
    const char *cust;
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    struct wallet w;
    int rc = tx_begin();
    if (rc == 0) {
        if ((rc = bsvc_wallet_load(cust, app_now(), &w)) == 0)
            rc = tx_commit();
        else
            tx_rollback();
    }
    if (rc < 0)
        reply_store_error(r, rc, "wallet read failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "wallet", bsvc_wallet_view(&w)));
}

/* Optional profile fields accepted by the deposit and customer routes (declared in routes.c). */
static void read_profile(struct req *r, const char **province, const char **name)
{
    *province = *name = NULL;
    body_str(r, "province", province);
    body_str(r, "customer_name", name);
}

static int profile_apply(const char *cust, const char *province, const char *name, int64_t now)
{
    if (!province && !name)
        return 0;
    struct customer c;
    if (bstore_customer_get(g_app->store, cust, &c) < 0) {
        memset(&c, 0, sizeof c);
        snprintf(c.customer_id, sizeof c.customer_id, "%s", cust);
        snprintf(c.province, sizeof c.province, "ON");
        c.created_at = now;
    }
    if (province) {
        snprintf(c.province, sizeof c.province, "%s", province);
        for (char *p = c.province; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    }
    if (name)
        snprintf(c.name, sizeof c.name, "%s", name);
    c.updated_at = now;
    return bstore_customer_put(g_app->store, &c);
}

void h_wallet_deposit(struct req *r)
{
    const char *cust, *desc = "Credit deposit", *ref = NULL, *province, *name;
    int64_t amount = 0;
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    body_int(r, "amount_cad", &amount);
    body_str(r, "description", &desc);
    body_str(r, "reference", &ref);
    read_profile(r, &province, &name);
    int64_t now = app_now();
    struct wallet_tx t;
    struct wallet w;
    bool dup = false;
    int rc = tx_begin();
    if (rc < 0)
        goto err;
    if ((rc = bsvc_deposit(cust, amount, desc, ref, now, &t, &w, &dup)) < 0 ||
        (!dup && (rc = profile_apply(cust, province, name, now)) < 0)) {
        tx_rollback();
        goto err;
    }
    if ((rc = tx_commit()) < 0)
        goto err;
    reply_ok(r, 200, json_pack("{s:s,s:o,s:o,s:b}", "tx_id", t.tx_id, "balance_cad", jx_money(w.balance), "wallet",
                               bsvc_wallet_view(&w), "duplicate", dup));
    return;
err:
    reply_store_error(r, rc, "deposit failed");
}

void h_wallet_history(struct req *r)
{
    const char *cust;
    int64_t limit, since = 0, until = 0;
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    query_int(r, "limit", &limit);
    bool hs = query_int(r, "since", &since), hu = query_int(r, "until", &until);
    struct wallet_tx *txs = NULL;
    size_t n = 0;
    int rc = bstore_wallet_tx_list(g_app->store, cust, hs, since, hu, until, (int)limit, &txs, &n);
    if (rc < 0) {
        reply_store_error(r, rc, "history failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, bsvc_wallet_tx_view(&txs[i]));
    free(txs);
    reply_ok(r, 200, json_pack("{s:s,s:o}", "customer_id", cust, "transactions", arr));
}

static json_t *customer_view(const char *cust)
{
    struct customer c;
    if (bstore_customer_get(g_app->store, cust, &c) < 0)
        return json_pack("{s:s,s:s,s:s,s:n,s:n}", "customer_id", cust, "name", "", "province", "ON", "created_at",
                         "updated_at");
    return json_pack("{s:s,s:s,s:s,s:o,s:o}", "customer_id", c.customer_id, "name", c.name, "province", c.province,
                     "created_at", jx_ts(c.created_at), "updated_at", jx_ts(c.updated_at));
}

void h_customer_get(struct req *r)
{
    const char *cust;
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    reply_ok(r, 200, json_pack("{s:o}", "customer", customer_view(cust)));
}

void h_customer_put(struct req *r)
{
    const char *cust, *province, *name;
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    read_profile(r, &province, &name);
    if (!name)
        body_str(r, "name", &name);
    int rc = tx_begin();
    if (rc == 0) {
        if ((rc = profile_apply(cust, province ? province : NULL, name, app_now())) == 0 && !province && !name)
            rc = 0;
        if (rc == 0)
            rc = tx_commit();
        else
            tx_rollback();
    }
    if (rc < 0)
        reply_store_error(r, rc, "customer update failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "customer", customer_view(cust)));
}

/* ---- usage ---- */

static int period_query(struct req *r, int64_t dflt_start, int64_t dflt_end, int64_t *start, int64_t *end)
{
    bool hs = query_int(r, "period_start", start), he = query_int(r, "period_end", end);
    if (!he)
        *end = dflt_end;
    if (!hs)
        *start = dflt_start == INT64_MIN ? *end - 30 * DAY_US : dflt_start;
    if (*start > *end) {
        reply_invalid(r, "query", "period_start", "less_equal", "period_start must not be after period_end");
        return -1;
    }
    return 0;
}

void h_billing_usage(struct req *r)
{
    const char *cust;
    int64_t start, end, now = app_now();
    if (bpath_customer(r, 0, &cust) < 0 || period_query(r, INT64_MIN, now, &start, &end) < 0)
        return;
    struct bill_filter f = {.owner = cust, .has_since = true, .since = start, .has_until = true, .until = end};
    struct bill_record *recs = NULL;
    size_t n = 0;
    int rc = bstore_record_list(g_app->store, &f, &recs, &n, NULL, NULL);
    if (rc < 0) {
        reply_store_error(r, rc, "usage failed");
        return;
    }
    int64_t hours = 0, cost = 0, ca = 0, nonca = 0, hosts = 0;
    for (size_t i = 0; i < n; i++) {
        hours += recs[i].gpu_hours_e6;
        cost += recs[i].cost;
        if (recs[i].is_canadian)
            ca += recs[i].cost;
        else
            nonca += recs[i].cost;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(recs[k].host_id, recs[i].host_id) == 0;
        hosts += !seen;
    }
    free(recs);
    reply_ok(r, 200,
             json_pack("{s:s,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:I,s:s}", "customer_id", cust, "period_start", jx_ts(start),
                       "period_end", jx_ts(end), "job_count", (json_int_t)n, "total_gpu_hours", jx_fixed(hours, 6),
                       "total_cost_cad", jx_money(cost), "canadian_compute_cad", jx_money(ca),
                       "non_canadian_compute_cad", jx_money(nonca), "hosts_used", (json_int_t)hosts, "currency",
                       "CAD"));
}

/* ---- invoices ---- */

void h_invoice_preview(struct req *r)
{
    const char *cust, *province = NULL, *name = NULL;
    int64_t now = app_now(), start, end;
    if (bpath_customer(r, 0, &cust) < 0 || period_query(r, bsvc_month_start(now), now, &start, &end) < 0)
        return;
    query_str(r, "province", &province);
    query_str(r, "customer_name", &name);
    json_t *inv = NULL;
    int rc = bsvc_invoice(cust, start, end, province, name, false, now, &inv);
    if (rc < 0)
        reply_store_error(r, rc, "invoice failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "invoice", inv));
}

static json_t *invoice_summary(const json_t *inv)
{
    return json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:I,s:O}", "invoice_id", json_object_get(inv, "invoice_id"),
                     "period_start", json_object_get(inv, "period_start"), "period_end",
                     json_object_get(inv, "period_end"), "status", json_object_get(inv, "status"), "subtotal_cad",
                     json_object_get(inv, "subtotal_cad"), "tax_cad", json_object_get(inv, "tax_cad"), "tax_rate",
                     json_object_get(inv, "tax_rate"), "total_cad", json_object_get(inv, "total_cad"), "line_items",
                     (json_int_t)json_array_size(json_object_get(inv, "line_items")), "caf_eligible_cad",
                     json_object_get(inv, "fund_eligible_reimbursement_cad"));
}

static int cmp_i64_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

void h_invoice_list(struct req *r)
{
    const char *cust;
    int64_t limit, now = app_now();
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    query_int(r, "limit", &limit);
    struct bill_filter f = {.owner = cust};
    struct bill_record *recs = NULL;
    struct refund_row *refs = NULL;
    size_t nr = 0, nf = 0, nm = 0;
    int64_t *months = NULL;
    json_t *list = json_array();
    int rc = tx_begin();
    if (rc < 0)
        goto err;
    if ((rc = bstore_record_list(g_app->store, &f, &recs, &nr, NULL, NULL)) < 0 ||
        (rc = bstore_refund_list(g_app->store, cust, 0, INT64_MAX, &refs, &nf)) < 0)
        goto fail;
    months = xcalloc(nr + nf + 1, sizeof *months);
    for (size_t i = 0; i < nr + nf; i++) {
        int64_t m = bsvc_month_start(i < nr ? recs[i].completed_at : refs[i - nr].created_at);
        bool seen = false;
        for (size_t k = 0; k < nm && !seen; k++)
            seen = months[k] == m;
        if (!seen)
            months[nm++] = m;
    }
    qsort(months, nm, sizeof *months, cmp_i64_desc);
    int64_t cur = bsvc_month_start(now);
    for (size_t k = 0; k < nm && (int64_t)json_array_size(list) < limit; k++) {
        json_t *inv = NULL;
        bool past = months[k] < cur;
        rc = bsvc_invoice(cust, months[k], past ? bsvc_month_add(months[k], 1) : now, NULL, NULL, past, now, &inv);
        if (rc < 0)
            goto fail;
        json_array_append_new(list, invoice_summary(inv));
        json_decref(inv);
    }
    if ((rc = tx_commit()) < 0)
        goto err;
    free(recs);
    free(refs);
    free(months);
    reply_ok(r, 200, json_pack("{s:o,s:I}", "invoices", list, "count", (json_int_t)json_array_size(list)));
    return;
fail:
    tx_rollback();
err:
    free(recs);
    free(refs);
    free(months);
    json_decref(list);
    reply_store_error(r, rc, "invoice list failed");
}

void h_invoice_get(struct req *r)
{
    const char *cust, *id = r->nparams > 1 ? r->params[1] : "";
    if (bpath_customer(r, 0, &cust) < 0)
        return;
    struct invoice_row row;
    int rc = strlen(id) < 24 ? bstore_invoice_get_id(g_app->store, cust, id, &row) : XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Invoice %.40s not found", id);
        return;
    }
    if (rc < 0) {
        reply_store_error(r, rc, "invoice read failed");
        return;
    }
    json_t *inv = json_loads(row.snapshot, 0, NULL);
    invoice_row_free(&row);
    if (!inv) {
        reply_store_error(r, XC_EDB, "invoice snapshot unreadable");
        return;
    }
    bsvc_reals_to_fixed(inv);
    reply_ok(r, 200, json_pack("{s:o}", "invoice", inv));
}

/* ---- refunds ---- */

static json_t *refund_view(const struct refund_row *f, bool already)
{
    return json_pack("{s:s,s:i,s:s,s:s,s:o,s:o,s:o,s:b,s:b,s:b}", "job_id", f->job_id, "exit_code", f->exit_code,
                     "failure_reason", f->failure_reason, "classification", f->classification, "original_cost_cad",
                     jx_money(f->original_cost), "refund_percentage", jx_fixed(f->pct_ppm, 6), "refund_amount_cad",
                     jx_money(f->amount), "refund", f->amount > 0, "is_host_fault", f->is_host_fault,
                     "already_refunded", already);
}

void h_billing_refund(struct req *r)
{
    const char *job_id, *reason = "";
    int64_t exit_code = 0;
    body_str(r, "job_id", &job_id);
    body_int(r, "exit_code", &exit_code);
    body_str(r, "failure_reason", &reason);
    int64_t now = app_now();
    struct bill_record rec;
    struct refund_row f = {0};
    bool ins = false;
    int rc = tx_begin();
    if (rc < 0)
        goto err;
    rc = valid_job_id(job_id) ? bstore_record_latest(g_app->store, job_id, &rec) : XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND) {
        tx_rollback();
        reply_ok(r, 200, json_pack("{s:b,s:s}", "refund", 0, "reason", "No usage record found"));
        return;
    }
    if (rc < 0)
        goto fail;
    struct jobstate_failure cls = jobstate_classify(true, (int)exit_code, reason);
    money_refund m;
    if (money_refund_compute(rec.cost, money_refund_ppm(cls.cls), rec.platform_cut_ppm, &m) < 0) {
        rc = XC_EINVAL;
        goto fail;
    }
    snprintf(f.billing_id, sizeof f.billing_id, "%s", rec.billing_id);
    snprintf(f.job_id, sizeof f.job_id, "%s", rec.job_id);
    snprintf(f.owner, sizeof f.owner, "%s", rec.owner);
    f.exit_code = (int)exit_code;
    snprintf(f.failure_reason, sizeof f.failure_reason, "%s", reason);
    snprintf(f.classification, sizeof f.classification, "%s", jobstate_failure_class_name(cls.cls));
    f.pct_ppm = money_refund_ppm(cls.cls);
    f.original_cost = rec.cost;
    f.amount = m.amount;
    f.fee_refund = m.fee_refund;
    f.is_host_fault = money_refund_is_host_fault(cls.cls);
    f.service_at = rec.completed_at;
    f.created_at = now;
    /* UNIQUE(billing_id): one refund per billing record, whatever the concurrency. */
    if ((rc = bstore_refund_insert(g_app->store, &f, &ins)) < 0)
        goto fail;
    if (!ins) {
        if ((rc = bstore_refund_get(g_app->store, rec.billing_id, &f)) < 0)
            goto fail;
        tx_rollback();
        reply_ok(r, 200, refund_view(&f, true));
        return;
    }
    if (f.amount > 0) {
        char desc[160];
        invoice_refund_tx_description(f.job_id, f.classification, desc, sizeof desc);
        if ((rc = bstore_record_set_refund(g_app->store, rec.billing_id, f.amount, f.fee_refund, f.classification)) < 0 ||
            (rec.owner[0] && (rc = bsvc_refund_credit(rec.owner, f.amount, f.job_id, desc, now)) < 0))
            goto fail;
        if (rec.host_owner[0] && (rc = bsvc_payout_clawback(&rec, f.amount, f.fee_refund, m.payout_clawback, now)) < 0)
            goto fail;
    }
    rc = tx_event("billing.refund", "billing", rec.billing_id, "admin",
                  json_pack("{s:s,s:s,s:I,s:I}", "job_id", f.job_id, "classification", f.classification, "amount_ucad",
                            (json_int_t)f.amount, "pct_ppm", (json_int_t)f.pct_ppm));
    if (rc < 0)
        goto fail;
    if ((rc = tx_commit()) < 0) /* a failed commit has already rolled back */
        goto err;
    reply_ok(r, 200, refund_view(&f, false));
    return;
fail:
    tx_rollback();
err:
    reply_store_error(r, rc, "refund failed");
}

/* ---- CAF export and attestation ---- */

void h_caf_export(struct req *r)
{
    const char *cust, *fmt = NULL;
    query_str(r, "format", &fmt);
    int64_t now = app_now(), start, end;
    if (bpath_customer(r, 0, &cust) < 0 || period_query(r, INT64_MIN, now, &start, &end) < 0)
        return;
    bool csv = false;
    if (fmt && strcmp(fmt, "csv") == 0)
        csv = true;
    else if (fmt && strcmp(fmt, "json") != 0) {
        reply_invalid(r, "query", "format", "enum", "must be json or csv");
        return;
    }
    struct bill_filter f = {.owner = cust, .has_since = true, .since = start, .has_until = true, .until = end};
    struct bill_record *recs = NULL;
    size_t n = 0;
    int rc = bstore_record_list(g_app->store, &f, &recs, &n, NULL, NULL);
    if (rc < 0) {
        reply_store_error(r, rc, "CAF export failed");
        return;
    }
    invoice_caf_record *cr = xcalloc(n + 1, sizeof *cr);
    for (size_t i = 0; i < n; i++) {
        const struct bill_record *b = &recs[i];
        cr[i] = (invoice_caf_record){b->job_id,   b->host_id,    b->gpu_model, b->duration_us, b->cost,
                                     b->country,  b->province,   b->trust_tier, b->is_canadian, b->started_at != 0,
                                     b->started_at, b->completed_at != 0, b->completed_at};
    }
    invoice_caf_sort(cr, n);
    invoice_caf_summary s;
    if (invoice_caf_summarize(cr, n, start, end, &s) < 0) {
        reply_store_error(r, XC_EINVAL, "CAF summary failed");
        goto out;
    }
    if (csv) {
        invoice_buf b = {0};
        if (invoice_caf_csv(cr, n, start, end, &b) < 0) {
            invoice_buf_free(&b);
            reply_store_error(r, XC_EINVAL, "CAF CSV failed");
            goto out;
        }
        reply_raw(r, 200, "text/csv; charset=utf-8", b.data ? b.data : "", b.len);
        char disp[160];
        snprintf(disp, sizeof disp, "attachment; filename=\"xcelsior-caf-%s.csv\"", cust);
        reply_header(r, "Content-Disposition", disp);
        invoice_buf_free(&b);
        goto out;
    }
    json_t *lines = json_array();
    for (size_t i = 0; i < n; i++) {
        invoice_caf_line l;
        invoice_caf_line_of(&cr[i], &l);
        json_t *o = json_object();
        json_object_set_new(o, "job_id", json_string(cr[i].job_id));
        json_object_set_new(o, "host_id", json_string(cr[i].host_id));
        json_object_set_new(o, "gpu_model", json_string(cr[i].gpu_model));
        json_object_set_new(o, "duration_hours", jx_fixed(l.duration_e4, 4));
        json_object_set_new(o, "cost_cad", jx_fixed(l.cost_cents, 2));
        json_object_set_new(o, "eligible_category", json_string(l.eligible_category));
        json_object_set_new(o, "host_country", json_string(cr[i].host_country));
        json_object_set_new(o, "host_province", json_string(cr[i].host_province));
        json_object_set_new(o, "trust_tier", json_string(cr[i].trust_tier));
        json_object_set_new(o, "is_canadian_compute", json_boolean(cr[i].is_canadian));
        json_object_set_new(o, "started_at", jx_ts(cr[i].has_started ? cr[i].started_at_us : 0));
        json_object_set_new(o, "completed_at", jx_ts(cr[i].has_completed ? cr[i].completed_at_us : 0));
        json_array_append_new(lines, o);
    }
    json_t *sum = json_object();
    json_object_set_new(sum, "total_jobs", json_integer(s.total_jobs));
    json_object_set_new(sum, "total_cost_cad", jx_fixed(s.total_cost_cents, 2));
    json_object_set_new(sum, "canadian_compute_cost_cad", jx_fixed(s.canadian_cost_cents, 2));
    json_object_set_new(sum, "non_canadian_compute_cost_cad", jx_fixed(s.non_canadian_cost_cents, 2));
    json_object_set_new(sum, "canadian_reimbursement_rate", json_string(s.canadian_rate));
    json_object_set_new(sum, "non_canadian_reimbursement_rate", json_string(s.non_canadian_rate));
    json_object_set_new(sum, "canadian_eligible_reimbursement_cad", jx_fixed(s.canadian_eligible_cents, 2));
    json_object_set_new(sum, "non_canadian_eligible_reimbursement_cad", jx_fixed(s.non_canadian_eligible_cents, 2));
    json_object_set_new(sum, "total_eligible_reimbursement_cad", jx_fixed(s.total_eligible_cents, 2));
    json_object_set_new(sum, "effective_cost_after_fund_cad", jx_fixed(s.effective_cents, 2));
    json_t *o = json_object();
    json_object_set_new(o, "report_type", json_string(INVOICE_CAF_REPORT_TYPE));
    json_object_set_new(o, "customer_id", json_string(cust));
    json_object_set_new(o, "period_start", jx_ts(start));
    json_object_set_new(o, "period_end", jx_ts(end));
    json_object_set_new(o, "currency", json_string("CAD"));
    json_object_set_new(o, "line_items", lines);
    json_object_set_new(o, "summary", sum);
    json_object_set_new(o, "supplier_attestation", bsvc_attestation(cust, start, end, now));
    json_object_set_new(o, "notes", json_string(s.notes));
    json_object_set_new(o, "generated_at", jx_ts(now));
    reply_ok(r, 200, o);
out:
    free(cr);
    free(recs);
}

void h_attestation(struct req *r)
{
    const char *cust = NULL;
    int64_t now = app_now(), start, end;
    query_str(r, "customer_id", &cust);
    if (cust && auth_customer(r, cust) < 0) /* customer scope: O on the customer */
        return;
    if (period_query(r, INT64_MIN, now, &start, &end) < 0)
        return;
    reply_ok(r, 200, json_pack("{s:o}", "attestation", bsvc_attestation(cust, start, end, now)));
}

void h_attestation_verify(struct req *r)
{
    json_t *att = NULL;
    body_json(r, "attestation", &att);
    reply_ok(r, 200, json_pack("{s:b}", "valid", bsvc_attestation_valid(att)));
}

/* ---- pricing ---- */

void h_pricing_reference(struct req *r)
{
    json_t *p = json_object();
    for (size_t i = 0; i < PRICING_REF_COUNT; i++) {
        const pricing_ref *e = pricing_ref_at(i);
        json_object_set_new(p, e->model,
                            json_pack("{s:o,s:o,s:o,s:o,s:o}", "base_rate_cad", jx_money(e->base_rate),
                                      "subsidized_starter_cad", jx_money(e->subsidized_starter), "premium_rate_cad",
                                      jx_money(e->premium_rate), "min_rate_cad", jx_money(e->min_rate), "max_rate_cad",
                                      jx_money(e->max_rate)));
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:o}", "currency", "CAD", "unit", "GPU-hour", "pricing", p));
}

void h_pricing_estimate(struct req *r)
{
    const char *model = "RTX 4090", *trust = NULL, *tier = "free";
    int64_t hours = 1000000, gpus = 1;
    bool spot = false, sov = false, canadian = true;
    body_str(r, "gpu_model", &model);
    body_int(r, "duration_hours", &hours);
    body_int(r, "num_gpus", &gpus);
    body_bool(r, "spot", &spot);
    body_str(r, "trust_tier", &trust);
    body_bool(r, "sovereignty", &sov);
    body_bool(r, "is_canadian", &canadian);
    body_str(r, "tier", &tier);
    enum jobstate_trust tt = sov ? JOB_TRUST_SOVEREIGNTY : JOB_TRUST_COMMUNITY;
    if (trust && jobstate_trust_parse(trust, &tt) < 0) {
        reply_invalid(r, "body", "trust_tier", "enum", "must be one of community, residency, sovereignty, regulated");
        return;
    }
    enum jobstate_tier pt;
    if (jobstate_tier_parse(tier, &pt) < 0) {
        reply_invalid(r, "body", "tier", "enum", "must be one of free, standard, premium, urgent");
        return;
    }
    pricing_estimate_in in = {model, hours, gpus, spot, tt, pt, canadian, app_now()};
    pricing_estimate_out e;
    int rc = pricing_estimate(&in, &e);
    if (rc == MONEY_EUNKNOWN) {
        reply_error(r, 400, "Unknown GPU model: %.128s", model);
        return;
    }
    if (rc < 0) {
        reply_invalid(r, "body", "duration_hours", "less_equal", "estimate out of range");
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "gpu_model", json_string(model));
    json_object_set_new(o, "matched_model", json_string(e.matched->model));
    json_object_set_new(o, "duration_hours", jx_fixed(hours, 6));
    json_object_set_new(o, "num_gpus", json_integer(gpus));
    json_object_set_new(o, "rate_cad_per_hour", jx_money(e.rate_ucad));
    json_object_set_new(o, "gross_cost_cad", jx_money(e.gross_ucad));
    json_object_set_new(o, "currency", json_string("CAD"));
    json_object_set_new(o, "is_canadian_compute", json_boolean(canadian));
    json_object_set_new(o, "spot", json_boolean(spot));
    json_object_set_new(o, "trust_tier", json_string(jobstate_trust_name(tt)));
    json_object_set_new(o, "trust_multiplier", jx_fixed(jobstate_trust_multiplier_ppm(tt), 6));
    json_object_set_new(o, "sovereignty_premium", json_boolean(tt == JOB_TRUST_SOVEREIGNTY));
    json_object_set_new(o, "tier", json_string(jobstate_tier_name(pt)));
    json_object_set_new(o, "tier_multiplier", jx_fixed(jobstate_tier_multiplier_ppm(pt), 6));
    json_object_set_new(o, "host_tier", json_string("bronze"));
    json_object_set_new(o, "fund_eligible", json_boolean(e.fund_eligible));
    json_object_set_new(o, "fund_rate", json_string(e.fund_rate));
    json_object_set_new(o, "fund_reimbursable_cad", jx_money(e.reimbursable_ucad));
    json_object_set_new(o, "effective_cost_cad", jx_money(e.effective_ucad));
    json_object_set_new(o, "savings_pct", jx_fixed(e.savings_pct_tenths, 1));
    reply_ok(r, 200, o);
}
