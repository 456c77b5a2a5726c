/* SLA persistence (store/sqlite_sla.c): at most one open downtime per host, closing, the list
 * filters, violation order and retention, the monthly upsert keeping the first breach, and the
 * spend on a host by customer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "core/states.h"
#include "store/billing_store.h"
#include "store/sla_store.h"
#include "store/store.h"

static char dir[64];
static char path[128];
static struct store *st;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/xc-slastore-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    cr_assert_eq(store_open(path, &st), 0);
    int applied;
    cr_assert_eq(store_migrate_up(st, &applied), 0);
}

static void teardown(void)
{
    store_close(st);
    char p[160];
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    unlink(path);
    rmdir(dir);
}

TestSuite(sla_store, .init = setup, .fini = teardown);

static size_t count(const struct sla_downtime_filter *f)
{
    struct sla_downtime_row *rows = NULL;
    size_t n = 0;
    cr_assert_eq(slastore_downtime_list(st, f, &rows, &n), 0);
    free(rows);
    return n;
}

Test(sla_store, one_open_downtime_per_host)
{
    bool opened, closed;
    cr_assert_eq(slastore_downtime_open(st, "h1", 100, "heartbeat_miss", &opened), 0);
    cr_assert(opened);
    cr_assert_eq(slastore_downtime_open(st, "h1", 200, "heartbeat_miss", &opened), 0);
    cr_assert_not(opened);
    cr_assert_eq(slastore_downtime_open(st, "h2", 150, "heartbeat_miss", &opened), 0);
    cr_assert(opened);
    struct sla_downtime_filter open_only = {.open_only = true};
    cr_assert_eq(count(&open_only), 2);
    /* never closed before its start */
    cr_assert_eq(slastore_downtime_close(st, "h1", 50, &closed), 0);
    cr_assert(closed);
    cr_assert_eq(slastore_downtime_close(st, "h1", 500, &closed), 0);
    cr_assert_not(closed);
    struct sla_downtime_filter h1 = {.host_id = "h1"};
    struct sla_downtime_row *rows = NULL;
    size_t n = 0;
    cr_assert_eq(slastore_downtime_list(st, &h1, &rows, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(rows[0].start_ts, 100);
    cr_assert_eq(rows[0].end_ts, 100);
    free(rows);
    cr_assert_eq(count(&open_only), 1);
    /* a new one may open once the last is closed; newest first */
    cr_assert_eq(slastore_downtime_open(st, "h1", 300, "heartbeat_miss", &opened), 0);
    cr_assert(opened);
    cr_assert_eq(slastore_downtime_list(st, &h1, &rows, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(rows[0].start_ts, 300);
    cr_assert_eq(rows[0].end_ts, 0);
    free(rows);
    struct sla_downtime_filter since = {.since = 101};
    cr_assert_eq(count(&since), 2); /* h1's closed one ended at 100: only the open ones */
}

Test(sla_store, violations_newest_first_and_pruned)
{
    for (int i = 0; i < 3; i++) {
        struct sla_violation_row v = {.metric_e4 = 950000 + i, .threshold_e4 = 900000, .ts = 1000 * (i + 1)};
        snprintf(v.host_id, sizeof v.host_id, "h1");
        snprintf(v.violation_type, sizeof v.violation_type, "thermal");
        snprintf(v.severity, sizeof v.severity, "breach");
        cr_assert_eq(slastore_violation_insert(st, &v), 0);
        cr_assert_gt(v.id, 0);
    }
    int64_t last = 0, n64 = 0;
    cr_assert_eq(slastore_violation_last_ts(st, "h1", "thermal", &last), 0);
    cr_assert_eq(last, 3000);
    cr_assert_eq(slastore_violation_last_ts(st, "h1", "hardware", &last), 0);
    cr_assert_eq(last, 0);
    struct sla_violation_row *rows = NULL;
    size_t n = 0;
    cr_assert_eq(slastore_violation_list(st, "h1", 0, 2, &rows, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(rows[0].ts, 3000);
    cr_assert_eq(rows[1].metric_e4, 950001);
    free(rows);
    cr_assert_eq(slastore_violation_prune(st, 2000), 0);
    cr_assert_eq(slastore_violation_count(st, "h1", 0, &n64), 0);
    cr_assert_eq(n64, 2);
}

Test(sla_store, monthly_upsert_keeps_the_first_breach)
{
    struct sla_monthly_row m = {.uptime_pct_e4 = 995833, .credit_pct = 10, .credit_ucad = 5000000,
                                .spend_ucad = 50000000, .enforced_at = 10, .breach_at = 10};
    snprintf(m.host_id, sizeof m.host_id, "h1");
    snprintf(m.month, sizeof m.month, "2026-01");
    snprintf(m.tier, sizeof m.tier, "sovereign");
    struct sla_monthly_row got;
    cr_assert_eq(slastore_monthly_get(st, "h1", "2026-01", &got), XC_ENOTFOUND);
    cr_assert_eq(slastore_monthly_upsert(st, &m), 0);
    m.enforced_at = m.breach_at = 20;
    m.credit_pct = 25;
    cr_assert_eq(slastore_monthly_upsert(st, &m), 0);
    cr_assert_eq(slastore_monthly_get(st, "h1", "2026-01", &got), 0);
    cr_assert_eq(got.credit_pct, 25);
    cr_assert_eq(got.enforced_at, 20);
    cr_assert_eq(got.breach_at, 10);
    cr_assert_str_eq(got.tier, "sovereign");
}

static void record(const char *id, const char *owner, const char *host, int64_t cost, int64_t completed)
{
    struct bill_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.billing_id, sizeof r.billing_id, "%s", id);
    snprintf(r.job_id, sizeof r.job_id, "%s", id);
    r.attempt = 1;
    snprintf(r.owner, sizeof r.owner, "%s", owner);
    snprintf(r.host_id, sizeof r.host_id, "%s", host);
    r.num_gpus = 1;
    snprintf(r.tier, sizeof r.tier, "free");
    r.tier_ppm = r.trust_ppm = 1000000;
    snprintf(r.trust_tier, sizeof r.trust_tier, "community");
    r.rate_per_hour = r.effective_rate = 1000000;
    r.started_at = completed - 1;
    r.completed_at = completed;
    r.duration_us = 1;
    r.metered_cost = r.cost = cost;
    r.platform_cut_ppm = 200000;
    r.final_status = JOB_COMPLETED;
    r.billed_at = completed;
    bool ins;
    cr_assert_eq(bstore_record_insert(st, &r, &ins), 0);
    cr_assert(ins);
}

Test(sla_store, spend_by_owner_in_window)
{
    record("b1", "cust-a", "h1", 100, 10);
    record("b2", "cust-a", "h1", 250, 19);
    record("b3", "cust-b", "h1", 7, 15);
    record("b4", "", "h1", 1000, 12);
    record("b5", "cust-a", "h2", 5, 15);   /* other host */
    record("b6", "cust-a", "h1", 900, 20); /* at the window's end: outside */
    struct sla_spend_row *rows = NULL;
    size_t n = 0;
    cr_assert_eq(slastore_spend_by_owner(st, "h1", 10, 20, &rows, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(rows[0].owner, "");
    cr_assert_eq(rows[0].cost, 1000);
    cr_assert_str_eq(rows[1].owner, "cust-a");
    cr_assert_eq(rows[1].cost, 350);
    cr_assert_eq(rows[2].cost, 7);
    free(rows);
}
