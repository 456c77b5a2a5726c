/* Billing persistence (store/sqlite_billing.c): the uniqueness constraints that make billing,
 * deposits, holds, refunds, payouts and invoices idempotent, and the spot history bound. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "store/billing_store.h"
#include "store/store.h"

#include "store_fixture.h"

TestSuite(billing_store, .init = setup, .fini = teardown);

static void mk_record(struct bill_record *r, const char *billing_id, const char *job_id, int attempt, int64_t cost,
                      int64_t completed)
{
    memset(r, 0, sizeof *r);
    snprintf(r->billing_id, sizeof r->billing_id, "%s", billing_id);
    snprintf(r->job_id, sizeof r->job_id, "%s", job_id);
    r->attempt = attempt;
    snprintf(r->owner, sizeof r->owner, "cust-1");
    snprintf(r->host_id, sizeof r->host_id, "h1");
    r->num_gpus = 1;
    snprintf(r->tier, sizeof r->tier, "free");
    r->tier_ppm = r->trust_ppm = 1000000;
    snprintf(r->trust_tier, sizeof r->trust_tier, "community");
    r->rate_per_hour = r->effective_rate = 1000000;
    r->started_at = completed - 1000000;
    r->completed_at = completed;
    r->duration_us = 1000000;
    r->metered_cost = r->cost = cost;
    r->platform_cut_ppm = 200000;
    r->platform_fee = cost / 5;
    r->host_payout = cost - cost / 5;
    r->final_status = JOB_COMPLETED;
    r->billed_at = completed;
}

Test(billing_store, one_record_per_attempt)
{
    struct bill_record a, b, got;
    bool ins;
    mk_record(&a, "b1", "j1", 1, 500, 10);
    mk_record(&b, "b2", "j1", 1, 900, 20); /* same (job, attempt), different id */
    cr_assert_eq(bstore_record_insert(st, &a, &ins), 0);
    cr_assert(ins);
    cr_assert_eq(bstore_record_insert(st, &b, &ins), 0);
    cr_assert_not(ins);
    cr_assert_eq(bstore_record_get(st, "j1", 1, &got), 0);
    cr_assert_str_eq(got.billing_id, "b1");
    cr_assert_eq(got.cost, 500);
    mk_record(&b, "b3", "j1", 2, 700, 30);
    cr_assert_eq(bstore_record_insert(st, &b, &ins), 0);
    cr_assert(ins);
    cr_assert_eq(bstore_record_latest(st, "j1", &got), 0);
    cr_assert_eq(got.attempt, 2);
    struct bill_filter f = {.owner = "cust-1"};
    struct bill_record *recs;
    size_t n;
    int64_t total, sum;
    cr_assert_eq(bstore_record_list(st, &f, &recs, &n, &total, &sum), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(total, 2);
    cr_assert_eq(sum, 1200);
    free(recs);
    struct bill_revenue rev;
    cr_assert_eq(bstore_revenue(st, &f, &rev), 0);
    cr_assert_eq(rev.total_cost, 1200);
    cr_assert_eq(rev.platform_fee, 100 + 140);
    cr_assert_eq(bstore_record_latest(st, "nope", &got), XC_ENOTFOUND);
}

Test(billing_store, negative_costs_are_refused_by_the_schema)
{
    struct bill_record a;
    bool ins;
    mk_record(&a, "b1", "j1", 1, -1, 10);
    cr_assert_eq(bstore_record_insert(st, &a, &ins), XC_ECONFLICT);
}

Test(billing_store, deposit_reference_unique_per_customer)
{
    struct wallet_tx t = {0}, got;
    bool ins;
    snprintf(t.tx_id, sizeof t.tx_id, "TX-1");
    snprintf(t.customer_id, sizeof t.customer_id, "cust-1");
    snprintf(t.tx_type, sizeof t.tx_type, "deposit");
    t.amount = 5;
    t.has_reference = true;
    snprintf(t.reference, sizeof t.reference, "pi_1");
    cr_assert_eq(bstore_wallet_tx_insert(st, &t, &ins), 0);
    cr_assert(ins);
    snprintf(t.tx_id, sizeof t.tx_id, "TX-2");
    cr_assert_eq(bstore_wallet_tx_insert(st, &t, &ins), 0);
    cr_assert_not(ins);
    snprintf(t.customer_id, sizeof t.customer_id, "cust-2"); /* another customer may reuse it */
    cr_assert_eq(bstore_wallet_tx_insert(st, &t, &ins), 0);
    cr_assert(ins);
    t.has_reference = false; /* no key: never deduplicated */
    snprintf(t.tx_id, sizeof t.tx_id, "TX-3");
    cr_assert_eq(bstore_wallet_tx_insert(st, &t, &ins), 0);
    cr_assert(ins);
    snprintf(t.tx_id, sizeof t.tx_id, "TX-4");
    cr_assert_eq(bstore_wallet_tx_insert(st, &t, &ins), 0);
    cr_assert(ins);
    cr_assert_eq(bstore_wallet_tx_by_ref(st, "cust-1", "pi_1", &got), 0);
    cr_assert_str_eq(got.tx_id, "TX-1");
    t.amount = 0; /* amounts are always positive */
    snprintf(t.tx_id, sizeof t.tx_id, "TX-5");
    cr_assert_eq(bstore_wallet_tx_insert(st, &t, &ins), XC_ECONFLICT);
    struct wallet_tx *txs;
    size_t n;
    cr_assert_eq(bstore_wallet_tx_list(st, "cust-2", false, 0, false, 0, 10, &txs, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(txs[0].tx_id, "TX-4"); /* newest first */
    free(txs);
}

Test(billing_store, wallet_never_negative)
{
    struct wallet w = {0}, got;
    snprintf(w.customer_id, sizeof w.customer_id, "cust-1");
    w.status = WALLET_ACTIVE;
    w.balance = 10;
    cr_assert_eq(bstore_wallet_put(st, &w), 0);
    w.balance = -1;
    cr_assert_eq(bstore_wallet_put(st, &w), XC_ECONFLICT);
    cr_assert_eq(bstore_wallet_get(st, "cust-1", &got), 0);
    cr_assert_eq(got.balance, 10);
}

Test(billing_store, holds_are_keyed_per_block)
{
    struct hold h = {0};
    bool ins;
    int64_t sum;
    int cnt, closed, last;
    snprintf(h.job_id, sizeof h.job_id, "j1");
    h.attempt = 1;
    h.assign_us = 100;
    h.n = 1;
    snprintf(h.customer_id, sizeof h.customer_id, "cust-1");
    h.amount = 1500000;
    cr_assert_eq(bstore_hold_insert(st, &h, &ins), 0);
    cr_assert(ins);
    cr_assert_eq(bstore_hold_insert(st, &h, &ins), 0); /* replay */
    cr_assert_not(ins);
    h.n = 2;
    cr_assert_eq(bstore_hold_insert(st, &h, &ins), 0);
    cr_assert(ins);
    cr_assert_eq(bstore_holds_open(st, "j1", &sum, &cnt), 0);
    cr_assert_eq(sum, 3000000);
    cr_assert_eq(cnt, 2);
    cr_assert_eq(bstore_holds_last_n(st, "j1", 1, 100, &last), 0);
    cr_assert_eq(last, 2);
    cr_assert_eq(bstore_holds_close(st, "j1", "settled", 5, &closed), 0);
    cr_assert_eq(closed, 2);
    cr_assert_eq(bstore_holds_close(st, "j1", "settled", 6, &closed), 0);
    cr_assert_eq(closed, 0); /* settles once */
    cr_assert_eq(bstore_holds_open(st, "j1", &sum, &cnt), 0);
    cr_assert_eq(sum, 0);
}

Test(billing_store, one_refund_and_one_payout_per_record)
{
    struct refund_row r = {0}, got;
    bool ins;
    snprintf(r.billing_id, sizeof r.billing_id, "b1");
    snprintf(r.job_id, sizeof r.job_id, "j1");
    snprintf(r.classification, sizeof r.classification, "hardware_error");
    r.amount = 10;
    cr_assert_eq(bstore_refund_insert(st, &r, &ins), 0);
    cr_assert(ins);
    r.amount = 99;
    cr_assert_eq(bstore_refund_insert(st, &r, &ins), 0);
    cr_assert_not(ins);
    cr_assert_eq(bstore_refund_get(st, "b1", &got), 0);
    cr_assert_eq(got.amount, 10);
    struct payout_row p = {0};
    snprintf(p.payout_id, sizeof p.payout_id, "PAY-1");
    snprintf(p.billing_id, sizeof p.billing_id, "b1");
    snprintf(p.job_id, sizeof p.job_id, "j1");
    snprintf(p.kind, sizeof p.kind, "settle");
    cr_assert_eq(bstore_payout_insert(st, &p, &ins), 0);
    cr_assert(ins);
    snprintf(p.payout_id, sizeof p.payout_id, "PAY-2");
    cr_assert_eq(bstore_payout_insert(st, &p, &ins), 0);
    cr_assert_not(ins);
}

Test(billing_store, invoice_numbers_and_month_uniqueness)
{
    int64_t s1, s2;
    cr_assert_eq(bstore_invoice_next_seq(st, &s1), 0);
    cr_assert_eq(bstore_invoice_next_seq(st, &s2), 0);
    cr_assert_eq(s1, 1);
    cr_assert_eq(s2, 2);
    struct invoice_row r = {0}, got;
    r.seq = s1;
    snprintf(r.invoice_id, sizeof r.invoice_id, "INV-000001");
    snprintf(r.customer_id, sizeof r.customer_id, "cust-1");
    snprintf(r.month, sizeof r.month, "2026-06");
    r.snapshot = "{\"subtotal_cad\":0.75}";
    cr_assert_eq(bstore_invoice_insert(st, &r), 0);
    r.seq = s2;
    snprintf(r.invoice_id, sizeof r.invoice_id, "INV-000002");
    cr_assert_eq(bstore_invoice_insert(st, &r), XC_ECONFLICT); /* same customer and month */
    cr_assert_eq(bstore_invoice_get_month(st, "cust-1", "2026-06", &got), 0);
    cr_assert_str_eq(got.invoice_id, "INV-000001");
    cr_assert_str_eq(got.snapshot, "{\"subtotal_cad\":0.75}");
    invoice_row_free(&got);
    cr_assert_eq(bstore_invoice_get_id(st, "cust-2", "INV-000001", &got), XC_ENOTFOUND);
}

Test(billing_store, spot_history_keeps_newest_1000)
{
    struct spot_entry e = {0}, got;
    cr_assert_eq(store_tx_begin(st), 0);
    for (int i = 0; i < 1005; i++) {
        snprintf(e.gpu_model, sizeof e.gpu_model, "%s", i % 2 ? "A100" : "RTX 4090");
        e.price = i;
        e.computed_at = i;
        cr_assert_eq(bstore_spot_append(st, &e), 0);
    }
    cr_assert_eq(store_tx_commit(st), 0);
    struct spot_entry *h;
    size_t n;
    cr_assert_eq(bstore_spot_history(st, 5000, &h, &n), 0);
    cr_assert_eq(n, 1000);
    cr_assert_eq(h[0].price, 1004);
    cr_assert_eq(h[999].price, 5);
    free(h);
    cr_assert_eq(bstore_spot_latest(st, "A100", &got), 0);
    cr_assert_eq(got.price, 1003);
    cr_assert_eq(bstore_spot_latest_all(st, &h, &n), 0);
    cr_assert_eq(n, 2);
    free(h);
    cr_assert_eq(bstore_spot_latest(st, "H100", &got), XC_ENOTFOUND);
}

Test(billing_store, listings_upsert)
{
    struct listing l = {0}, got;
    snprintf(l.host_id, sizeof l.host_id, "h1");
    snprintf(l.gpu_model, sizeof l.gpu_model, "RTX 4090");
    l.price_per_hour = 300000;
    l.active = true;
    l.listed_at = 5;
    cr_assert_eq(bstore_listing_put(st, &l), 0);
    l.active = false;
    cr_assert_eq(bstore_listing_put(st, &l), 0);
    cr_assert_eq(bstore_listing_get(st, "h1", &got), 0);
    cr_assert_not(got.active);
    struct listing *ls;
    size_t n;
    cr_assert_eq(bstore_listing_list(st, true, &ls, &n), 0);
    cr_assert_eq(n, 0);
    free(ls);
    l.price_per_hour = 0;
    cr_assert_eq(bstore_listing_put(st, &l), XC_ECONFLICT);
}
