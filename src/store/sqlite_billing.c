/* SQLite implementation of billing_store.h. SQL lives in static strings (the statement cache
 * keys on their addresses); every value is bound, never formatted into SQL. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "store/billing_store.h"
#include "store/sqlite_internal.h"

/* ---- helpers ---- */

/* Steps an INSERT … ON CONFLICT DO NOTHING; *inserted = a row was written. */
static int exec_insert(struct store *s, sqlite3_stmt *q, const char *what, bool *inserted)
{
    int rc = sq_exec(s, q, what);
    if (rc == 0 && inserted)
        *inserted = sqlite3_changes(sq_db(s)) > 0;
    return rc;
}

/* ---- billing records ---- */

#define REC_COLS                                                                                   \
    "billing_id,job_id,attempt,job_name,owner,host_id,host_owner,gpu_model,num_gpus,tier,tier_ppm,"  \
    "trust_tier,trust_ppm,spot,rate_per_hour,effective_rate,started_at,completed_at,duration_us,"    \
    "gpu_hours_e6,metered_cost,cost,uncollected,platform_cut_ppm,platform_fee,host_payout,"          \
    "is_canadian,country,province,final_status,failure_class,refunded,refund_fee,refund_class,billed_at"

static void rec_read(sqlite3_stmt *q, void *p)
{
    struct bill_record *r = p;
    int i = 0;
    memset(r, 0, sizeof *r);
    sq_col_copy(q, i++, r->billing_id, sizeof r->billing_id);
    sq_col_copy(q, i++, r->job_id, sizeof r->job_id);
    r->attempt = (int)sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, r->job_name, sizeof r->job_name);
    sq_col_copy(q, i++, r->owner, sizeof r->owner);
    sq_col_copy(q, i++, r->host_id, sizeof r->host_id);
    sq_col_copy(q, i++, r->host_owner, sizeof r->host_owner);
    sq_col_copy(q, i++, r->gpu_model, sizeof r->gpu_model);
    r->num_gpus = (int)sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, r->tier, sizeof r->tier);
    r->tier_ppm = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, r->trust_tier, sizeof r->trust_tier);
    r->trust_ppm = sqlite3_column_int64(q, i++);
    r->spot = sqlite3_column_int64(q, i++) != 0;
    r->rate_per_hour = sqlite3_column_int64(q, i++);
    r->effective_rate = sqlite3_column_int64(q, i++);
    r->started_at = sqlite3_column_int64(q, i++);
    r->completed_at = sqlite3_column_int64(q, i++);
    r->duration_us = sqlite3_column_int64(q, i++);
    r->gpu_hours_e6 = sqlite3_column_int64(q, i++);
    r->metered_cost = sqlite3_column_int64(q, i++);
    r->cost = sqlite3_column_int64(q, i++);
    r->uncollected = sqlite3_column_int64(q, i++);
    r->platform_cut_ppm = sqlite3_column_int64(q, i++);
    r->platform_fee = sqlite3_column_int64(q, i++);
    r->host_payout = sqlite3_column_int64(q, i++);
    r->is_canadian = sqlite3_column_int64(q, i++) != 0;
    sq_col_copy(q, i++, r->country, sizeof r->country);
    sq_col_copy(q, i++, r->province, sizeof r->province);
    r->final_status = sq_col_jobstate(q, i++);
    sq_col_copy(q, i++, r->failure_class, sizeof r->failure_class);
    r->refunded = sqlite3_column_int64(q, i++);
    r->refund_fee = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, r->refund_class, sizeof r->refund_class);
    r->billed_at = sqlite3_column_int64(q, i++);
}

static const char SQL_REC_INSERT[] =
    "INSERT INTO billing_records(" REC_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT(job_id, attempt) DO NOTHING";

int bstore_record_insert(struct store *s, const struct bill_record *r, bool *inserted)
{
    *inserted = false;
    sqlite3_stmt *q = sq_begin(s, SQL_REC_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, r->billing_id);
    sq_bind_text(q, i++, r->job_id);
    sqlite3_bind_int64(q, i++, r->attempt);
    sq_bind_text(q, i++, r->job_name);
    sq_bind_text(q, i++, r->owner);
    sq_bind_text(q, i++, r->host_id);
    sq_bind_text(q, i++, r->host_owner);
    sq_bind_text(q, i++, r->gpu_model);
    sqlite3_bind_int64(q, i++, r->num_gpus);
    sq_bind_text(q, i++, r->tier);
    sqlite3_bind_int64(q, i++, r->tier_ppm);
    sq_bind_text(q, i++, r->trust_tier);
    sqlite3_bind_int64(q, i++, r->trust_ppm);
    sqlite3_bind_int64(q, i++, r->spot);
    sqlite3_bind_int64(q, i++, r->rate_per_hour);
    sqlite3_bind_int64(q, i++, r->effective_rate);
    sqlite3_bind_int64(q, i++, r->started_at);
    sqlite3_bind_int64(q, i++, r->completed_at);
    sqlite3_bind_int64(q, i++, r->duration_us);
    sqlite3_bind_int64(q, i++, r->gpu_hours_e6);
    sqlite3_bind_int64(q, i++, r->metered_cost);
    sqlite3_bind_int64(q, i++, r->cost);
    sqlite3_bind_int64(q, i++, r->uncollected);
    sqlite3_bind_int64(q, i++, r->platform_cut_ppm);
    sqlite3_bind_int64(q, i++, r->platform_fee);
    sqlite3_bind_int64(q, i++, r->host_payout);
    sqlite3_bind_int64(q, i++, r->is_canadian);
    sq_bind_text(q, i++, r->country);
    sq_bind_text(q, i++, r->province);
    sq_bind_jobstate(q, i++, r->final_status);
    sq_bind_text(q, i++, r->failure_class);
    sqlite3_bind_int64(q, i++, r->refunded);
    sqlite3_bind_int64(q, i++, r->refund_fee);
    sq_bind_text(q, i++, r->refund_class);
    sqlite3_bind_int64(q, i++, r->billed_at);
    rc = exec_insert(s, q, "billing record insert", inserted);
out:
    sq_release(s);
    return rc;
}

static const char SQL_REC_GET[] = "SELECT " REC_COLS " FROM billing_records WHERE job_id=? AND attempt=?";

int bstore_record_get(struct store *s, const char *job_id, int attempt, struct bill_record *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_REC_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, job_id);
    sqlite3_bind_int64(q, 2, attempt);
    rc = sq_step_one(s, q, rec_read, out, "billing record get");
out:
    sq_release(s);
    return rc;
}

static const char SQL_REC_LATEST[] =
    "SELECT " REC_COLS " FROM billing_records WHERE job_id=? ORDER BY attempt DESC LIMIT 1";

int bstore_record_latest(struct store *s, const char *job_id, struct bill_record *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_REC_LATEST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, job_id);
    rc = sq_step_one(s, q, rec_read, out, "billing record latest");
out:
    sq_release(s);
    return rc;
}

static const char SQL_REC_REFUND[] =
    "UPDATE billing_records SET refunded=?, refund_fee=?, refund_class=? WHERE billing_id=?";

int bstore_record_set_refund(struct store *s, const char *billing_id, int64_t refunded, int64_t refund_fee,
                             const char *refund_class)
{
    sqlite3_stmt *q = sq_begin(s, SQL_REC_REFUND);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, refunded);
    sqlite3_bind_int64(q, 2, refund_fee);
    sq_bind_text(q, 3, refund_class);
    sq_bind_text(q, 4, billing_id);
    rc = sq_exec(s, q, "billing record refund");
out:
    sq_release(s);
    return rc;
}

/* The filter as bound parameters ?1..?6, ?9, ?10 (NULL = no constraint). */
#define REC_WHERE                                                                                  \
    " WHERE (?1 IS NULL OR job_id=?1) AND (?2 IS NULL OR host_id=?2) AND (?3 IS NULL OR owner=?3)"  \
    " AND (?4 IS NULL OR host_id=?4) AND (?5 IS NULL OR completed_at>=?5)"                          \
    " AND (?6 IS NULL OR completed_at<?6) AND (?9 IS NULL OR owner=?9 OR (?10<>'' AND host_owner=?10))"

static void bind_filter(sqlite3_stmt *q, const struct bill_filter *f)
{
    sq_bind_text_or_null(q, 1, f->job_id);
    sq_bind_text_or_null(q, 2, f->host_id);
    sq_bind_text_or_null(q, 3, f->owner);
    sq_bind_text_or_null(q, 4, f->viewer_host);
    if (f->has_since)
        sqlite3_bind_int64(q, 5, f->since);
    else
        sqlite3_bind_null(q, 5);
    if (f->has_until)
        sqlite3_bind_int64(q, 6, f->until);
    else
        sqlite3_bind_null(q, 6);
    sq_bind_text_or_null(q, 9, f->viewer_customer);
    sq_bind_text_or_null(q, 10, f->viewer_customer ? (f->viewer_user ? f->viewer_user : "") : NULL);
}

static const char SQL_REC_LIST[] = "SELECT " REC_COLS " FROM billing_records" REC_WHERE
                                   " ORDER BY completed_at, job_id, attempt LIMIT ?7 OFFSET ?8";
static const char SQL_REC_COUNT[] = "SELECT count(*), coalesce(sum(cost),0) FROM billing_records" REC_WHERE;

int bstore_record_list(struct store *s, const struct bill_filter *f, struct bill_record **out, size_t *n,
                       int64_t *total, int64_t *sum_cost)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_REC_COUNT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    bind_filter(q, f);
    if (sqlite3_step(q) != SQLITE_ROW) {
        rc = sq_err(s, "billing count");
        sqlite3_reset(q);
        goto out;
    }
    if (total)
        *total = sqlite3_column_int64(q, 0);
    if (sum_cost)
        *sum_cost = sqlite3_column_int64(q, 1);
    sqlite3_reset(q);
    if (!(q = sq_stmt(s, SQL_REC_LIST)))
        goto out;
    bind_filter(q, f);
    sqlite3_bind_int64(q, 7, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(q, 8, f->offset > 0 ? f->offset : 0);
    rc = sq_collect(s, q, sizeof **out, rec_read, (void **)out, n, "billing list");
out:
    sq_release(s);
    return rc;
}

static const char SQL_REVENUE[] =
    "SELECT count(*), coalesce(sum(cost),0), coalesce(sum(refunded),0), coalesce(sum(platform_fee),0),"
    " coalesce(sum(refund_fee),0), coalesce(sum(host_payout),0) FROM billing_records" REC_WHERE;

int bstore_revenue(struct store *s, const struct bill_filter *f, struct bill_revenue *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = sq_begin(s, SQL_REVENUE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    bind_filter(q, f);
    if (sqlite3_step(q) == SQLITE_ROW) {
        out->records = sqlite3_column_int64(q, 0);
        out->total_cost = sqlite3_column_int64(q, 1);
        out->refunded = sqlite3_column_int64(q, 2);
        out->platform_fee = sqlite3_column_int64(q, 3);
        out->refund_fee = sqlite3_column_int64(q, 4);
        out->host_payout = sqlite3_column_int64(q, 5);
        rc = 0;
    } else {
        rc = sq_err(s, "revenue");
    }
    sqlite3_reset(q);
out:
    sq_release(s);
    return rc;
}

/* ---- runs ---- */

static void run_read(sqlite3_stmt *q, void *p)
{
    struct bill_run *r = p;
    memset(r, 0, sizeof *r);
    sq_col_copy(q, 0, r->job_id, sizeof r->job_id);
    r->attempt = (int)sqlite3_column_int64(q, 1);
    sq_col_copy(q, 2, r->host_id, sizeof r->host_id);
    r->started_at = sqlite3_column_int64(q, 3);
    r->ended_at = sqlite3_column_int64(q, 4);
    r->has_final_status = sq_col_jobstate_opt(q, 5, &r->final_status);
}

static const char SQL_RUN_GET[] =
    "SELECT job_id,attempt,host_id,started_at,ended_at,final_status FROM job_runs WHERE job_id=? AND attempt=?";

int bstore_run_get(struct store *s, const char *job_id, int attempt, struct bill_run *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RUN_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, job_id);
    sqlite3_bind_int64(q, 2, attempt);
    rc = sq_step_one(s, q, run_read, out, "run get");
out:
    sq_release(s);
    return rc;
}

static const char SQL_RUNS_UNBILLED[] =
    "SELECT r.job_id,r.attempt,r.host_id,r.started_at,r.ended_at,r.final_status FROM job_runs r"
    " WHERE r.ended_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM billing_records b"
    " WHERE b.job_id=r.job_id AND b.attempt=r.attempt) ORDER BY r.ended_at, r.job_id LIMIT ?";

int bstore_runs_unbilled(struct store *s, int limit, struct bill_run **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RUNS_UNBILLED);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, limit > 0 ? limit : -1);
    rc = sq_collect(s, q, sizeof **out, run_read, (void **)out, n, "runs unbilled");
out:
    sq_release(s);
    return rc;
}

static const char SQL_JOB_RUNS_UNBILLED[] =
    "SELECT r.job_id,r.attempt,r.host_id,r.started_at,r.ended_at,r.final_status FROM job_runs r"
    " WHERE r.job_id=? AND r.ended_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM billing_records b"
    " WHERE b.job_id=r.job_id AND b.attempt=r.attempt) ORDER BY r.attempt DESC";

int bstore_job_runs_unbilled(struct store *s, const char *job_id, struct bill_run **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_JOB_RUNS_UNBILLED);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, job_id);
    rc = sq_collect(s, q, sizeof **out, run_read, (void **)out, n, "job runs unbilled");
out:
    sq_release(s);
    return rc;
}

/* ---- customers ---- */

static void cust_read(sqlite3_stmt *q, void *p)
{
    struct customer *c = p;
    memset(c, 0, sizeof *c);
    sq_col_copy(q, 0, c->customer_id, sizeof c->customer_id);
    sq_col_copy(q, 1, c->name, sizeof c->name);
    sq_col_copy(q, 2, c->province, sizeof c->province);
    c->created_at = sqlite3_column_int64(q, 3);
    c->updated_at = sqlite3_column_int64(q, 4);
}

static const char SQL_CUST_GET[] =
    "SELECT customer_id,name,province,created_at,updated_at FROM customers WHERE customer_id=?";
static const char SQL_CUST_PUT[] =
    "INSERT INTO customers(customer_id,name,province,created_at,updated_at) VALUES(?,?,?,?,?)"
    " ON CONFLICT(customer_id) DO UPDATE SET name=excluded.name, province=excluded.province,"
    " updated_at=excluded.updated_at";

int bstore_customer_get(struct store *s, const char *customer_id, struct customer *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_CUST_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, customer_id);
    rc = sq_step_one(s, q, cust_read, out, "customer get");
out:
    sq_release(s);
    return rc;
}

int bstore_customer_put(struct store *s, const struct customer *c)
{
    sqlite3_stmt *q = sq_begin(s, SQL_CUST_PUT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, c->customer_id);
    sq_bind_text(q, 2, c->name);
    sq_bind_text(q, 3, c->province);
    sqlite3_bind_int64(q, 4, c->created_at);
    sqlite3_bind_int64(q, 5, c->updated_at);
    rc = sq_exec(s, q, "customer put");
out:
    sq_release(s);
    return rc;
}

/* ---- wallets ---- */

#define WALLET_COLS                                                                                \
    "customer_id,balance,held,outstanding,total_deposited,total_spent,total_refunded,status,"       \
    "grace_until,created_at,updated_at"

static void wallet_read(sqlite3_stmt *q, void *p)
{
    struct wallet *w = p;
    memset(w, 0, sizeof *w);
    sq_col_copy(q, 0, w->customer_id, sizeof w->customer_id);
    w->balance = sqlite3_column_int64(q, 1);
    w->held = sqlite3_column_int64(q, 2);
    w->outstanding = sqlite3_column_int64(q, 3);
    w->total_deposited = sqlite3_column_int64(q, 4);
    w->total_spent = sqlite3_column_int64(q, 5);
    w->total_refunded = sqlite3_column_int64(q, 6);
    w->status = sq_col_walletstate(q, 7);
    w->grace_until = sqlite3_column_int64(q, 8);
    w->created_at = sqlite3_column_int64(q, 9);
    w->updated_at = sqlite3_column_int64(q, 10);
}

static const char SQL_WALLET_GET[] = "SELECT " WALLET_COLS " FROM wallets WHERE customer_id=?";
static const char SQL_WALLET_PUT[] = "INSERT OR REPLACE INTO wallets(" WALLET_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_WALLET_GRACE[] =
    "SELECT " WALLET_COLS " FROM wallets WHERE status='grace' AND grace_until<? ORDER BY customer_id";

int bstore_wallet_get(struct store *s, const char *customer_id, struct wallet *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_WALLET_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, customer_id);
    rc = sq_step_one(s, q, wallet_read, out, "wallet get");
out:
    sq_release(s);
    return rc;
}

int bstore_wallet_put(struct store *s, const struct wallet *w)
{
    sqlite3_stmt *q = sq_begin(s, SQL_WALLET_PUT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, w->customer_id);
    sqlite3_bind_int64(q, 2, w->balance);
    sqlite3_bind_int64(q, 3, w->held);
    sqlite3_bind_int64(q, 4, w->outstanding);
    sqlite3_bind_int64(q, 5, w->total_deposited);
    sqlite3_bind_int64(q, 6, w->total_spent);
    sqlite3_bind_int64(q, 7, w->total_refunded);
    sq_bind_walletstate(q, 8, w->status);
    if (w->grace_until)
        sqlite3_bind_int64(q, 9, w->grace_until);
    else
        sqlite3_bind_null(q, 9);
    sqlite3_bind_int64(q, 10, w->created_at);
    sqlite3_bind_int64(q, 11, w->updated_at);
    rc = sq_exec(s, q, "wallet put");
out:
    sq_release(s);
    return rc;
}

int bstore_wallets_grace_expired(struct store *s, int64_t now, struct wallet **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_WALLET_GRACE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, now);
    rc = sq_collect(s, q, sizeof **out, wallet_read, (void **)out, n, "wallets grace");
out:
    sq_release(s);
    return rc;
}

#define TX_COLS                                                                                    \
    "tx_id,customer_id,tx_type,amount,balance_after,held_after,description,job_id,reference,created_at"

static void tx_read(sqlite3_stmt *q, void *p)
{
    struct wallet_tx *t = p;
    memset(t, 0, sizeof *t);
    sq_col_copy(q, 0, t->tx_id, sizeof t->tx_id);
    sq_col_copy(q, 1, t->customer_id, sizeof t->customer_id);
    sq_col_copy(q, 2, t->tx_type, sizeof t->tx_type);
    t->amount = sqlite3_column_int64(q, 3);
    t->balance_after = sqlite3_column_int64(q, 4);
    t->held_after = sqlite3_column_int64(q, 5);
    sq_col_copy(q, 6, t->description, sizeof t->description);
    sq_col_copy(q, 7, t->job_id, sizeof t->job_id);
    t->has_reference = sqlite3_column_type(q, 8) != SQLITE_NULL;
    sq_col_copy(q, 8, t->reference, sizeof t->reference);
    t->created_at = sqlite3_column_int64(q, 9);
}

static const char SQL_TX_INSERT[] = "INSERT INTO wallet_tx(" TX_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)"
                                    " ON CONFLICT(customer_id, reference) DO NOTHING";
static const char SQL_TX_BY_REF[] = "SELECT " TX_COLS " FROM wallet_tx WHERE customer_id=? AND reference=?";
static const char SQL_TX_LIST[] = "SELECT " TX_COLS " FROM wallet_tx WHERE customer_id=?1"
                                  " AND (?2 IS NULL OR created_at>=?2) AND (?3 IS NULL OR created_at<?3)"
                                  " ORDER BY seq DESC LIMIT ?4";

int bstore_wallet_tx_insert(struct store *s, const struct wallet_tx *t, bool *inserted)
{
    *inserted = false;
    sqlite3_stmt *q = sq_begin(s, SQL_TX_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, t->tx_id);
    sq_bind_text(q, 2, t->customer_id);
    sq_bind_text(q, 3, t->tx_type);
    sqlite3_bind_int64(q, 4, t->amount);
    sqlite3_bind_int64(q, 5, t->balance_after);
    sqlite3_bind_int64(q, 6, t->held_after);
    sq_bind_text(q, 7, t->description);
    sq_bind_text(q, 8, t->job_id);
    sq_bind_text_or_null(q, 9, t->has_reference ? t->reference : NULL);
    sqlite3_bind_int64(q, 10, t->created_at);
    rc = exec_insert(s, q, "wallet tx insert", inserted);
out:
    sq_release(s);
    return rc;
}

int bstore_wallet_tx_by_ref(struct store *s, const char *customer_id, const char *reference, struct wallet_tx *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TX_BY_REF);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, customer_id);
    sq_bind_text(q, 2, reference);
    rc = sq_step_one(s, q, tx_read, out, "wallet tx by ref");
out:
    sq_release(s);
    return rc;
}

int bstore_wallet_tx_list(struct store *s, const char *customer_id, bool has_since, int64_t since, bool has_until,
                          int64_t until, int limit, struct wallet_tx **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TX_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, customer_id);
    if (has_since)
        sqlite3_bind_int64(q, 2, since);
    else
        sqlite3_bind_null(q, 2);
    if (has_until)
        sqlite3_bind_int64(q, 3, until);
    else
        sqlite3_bind_null(q, 3);
    sqlite3_bind_int64(q, 4, limit > 0 ? limit : -1);
    rc = sq_collect(s, q, sizeof **out, tx_read, (void **)out, n, "wallet tx list");
out:
    sq_release(s);
    return rc;
}

/* ---- holds ---- */

static const char SQL_HOLD_INSERT[] =
    "INSERT INTO holds(job_id,attempt,assign_us,n,customer_id,amount,status,created_at) VALUES(?,?,?,?,?,?,'held',?)"
    " ON CONFLICT(job_id,attempt,assign_us,n) DO NOTHING";
static const char SQL_HOLDS_OPEN[] =
    "SELECT coalesce(sum(amount),0), count(*) FROM holds WHERE job_id=? AND status='held'";
static const char SQL_HOLDS_LAST[] =
    "SELECT coalesce(max(n),0) FROM holds WHERE job_id=? AND attempt=? AND assign_us=?";
static const char SQL_HOLDS_CLOSE[] =
    "UPDATE holds SET status=?, closed_at=? WHERE job_id=? AND status='held'";

int bstore_hold_insert(struct store *s, const struct hold *h, bool *inserted)
{
    *inserted = false;
    sqlite3_stmt *q = sq_begin(s, SQL_HOLD_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, h->job_id);
    sqlite3_bind_int64(q, 2, h->attempt);
    sqlite3_bind_int64(q, 3, h->assign_us);
    sqlite3_bind_int64(q, 4, h->n);
    sq_bind_text(q, 5, h->customer_id);
    sqlite3_bind_int64(q, 6, h->amount);
    sqlite3_bind_int64(q, 7, h->created_at);
    rc = exec_insert(s, q, "hold insert", inserted);
out:
    sq_release(s);
    return rc;
}

int bstore_holds_open(struct store *s, const char *job_id, int64_t *sum, int *count)
{
    sqlite3_stmt *q = sq_begin(s, SQL_HOLDS_OPEN);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, job_id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *sum = sqlite3_column_int64(q, 0);
        *count = (int)sqlite3_column_int64(q, 1);
        rc = 0;
    } else {
        rc = sq_err(s, "holds open");
    }
    sqlite3_reset(q);
out:
    sq_release(s);
    return rc;
}

int bstore_holds_last_n(struct store *s, const char *job_id, int attempt, int64_t assign_us, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_HOLDS_LAST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, job_id);
    sqlite3_bind_int64(q, 2, attempt);
    sqlite3_bind_int64(q, 3, assign_us);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *n = (int)sqlite3_column_int64(q, 0);
        rc = 0;
    } else {
        rc = sq_err(s, "holds last");
    }
    sqlite3_reset(q);
out:
    sq_release(s);
    return rc;
}

int bstore_holds_close(struct store *s, const char *job_id, const char *status, int64_t now, int *closed)
{
    *closed = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_HOLDS_CLOSE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, status);
    sqlite3_bind_int64(q, 2, now);
    sq_bind_text(q, 3, job_id);
    rc = sq_exec(s, q, "holds close");
    if (rc == 0)
        *closed = sqlite3_changes(sq_db(s));
out:
    sq_release(s);
    return rc;
}

/* ---- refunds ---- */

#define REFUND_COLS                                                                                \
    "billing_id,job_id,owner,exit_code,failure_reason,classification,pct_ppm,original_cost,amount," \
    "fee_refund,is_host_fault,service_at,created_at"

static void refund_read(sqlite3_stmt *q, void *p)
{
    struct refund_row *r = p;
    memset(r, 0, sizeof *r);
    sq_col_copy(q, 0, r->billing_id, sizeof r->billing_id);
    sq_col_copy(q, 1, r->job_id, sizeof r->job_id);
    sq_col_copy(q, 2, r->owner, sizeof r->owner);
    r->exit_code = (int)sqlite3_column_int64(q, 3);
    sq_col_copy(q, 4, r->failure_reason, sizeof r->failure_reason);
    sq_col_copy(q, 5, r->classification, sizeof r->classification);
    r->pct_ppm = sqlite3_column_int64(q, 6);
    r->original_cost = sqlite3_column_int64(q, 7);
    r->amount = sqlite3_column_int64(q, 8);
    r->fee_refund = sqlite3_column_int64(q, 9);
    r->is_host_fault = sqlite3_column_int64(q, 10) != 0;
    r->service_at = sqlite3_column_int64(q, 11);
    r->created_at = sqlite3_column_int64(q, 12);
}

static const char SQL_REFUND_INSERT[] = "INSERT INTO refunds(" REFUND_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
                                        " ON CONFLICT(billing_id) DO NOTHING";
static const char SQL_REFUND_GET[] = "SELECT " REFUND_COLS " FROM refunds WHERE billing_id=?";
static const char SQL_REFUND_LIST[] = "SELECT " REFUND_COLS " FROM refunds WHERE owner=? AND created_at>=?"
                                      " AND created_at<? ORDER BY created_at, job_id";

int bstore_refund_insert(struct store *s, const struct refund_row *r, bool *inserted)
{
    *inserted = false;
    sqlite3_stmt *q = sq_begin(s, SQL_REFUND_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, r->billing_id);
    sq_bind_text(q, i++, r->job_id);
    sq_bind_text(q, i++, r->owner);
    sqlite3_bind_int64(q, i++, r->exit_code);
    sq_bind_text(q, i++, r->failure_reason);
    sq_bind_text(q, i++, r->classification);
    sqlite3_bind_int64(q, i++, r->pct_ppm);
    sqlite3_bind_int64(q, i++, r->original_cost);
    sqlite3_bind_int64(q, i++, r->amount);
    sqlite3_bind_int64(q, i++, r->fee_refund);
    sqlite3_bind_int64(q, i++, r->is_host_fault);
    sqlite3_bind_int64(q, i++, r->service_at);
    sqlite3_bind_int64(q, i++, r->created_at);
    rc = exec_insert(s, q, "refund insert", inserted);
out:
    sq_release(s);
    return rc;
}

int bstore_refund_get(struct store *s, const char *billing_id, struct refund_row *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_REFUND_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, billing_id);
    rc = sq_step_one(s, q, refund_read, out, "refund get");
out:
    sq_release(s);
    return rc;
}

int bstore_refund_list(struct store *s, const char *owner, int64_t start, int64_t end, struct refund_row **out,
                       size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_REFUND_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, owner);
    sqlite3_bind_int64(q, 2, start);
    sqlite3_bind_int64(q, 3, end);
    rc = sq_collect(s, q, sizeof **out, refund_read, (void **)out, n, "refund list");
out:
    sq_release(s);
    return rc;
}

/* ---- invoices ---- */

void invoice_row_free(struct invoice_row *r)
{
    if (r) {
        free(r->snapshot);
        r->snapshot = NULL;
    }
}

#define INV_COLS "seq,invoice_id,customer_id,month,period_start,period_end,issued_at,snapshot"

static void inv_read(sqlite3_stmt *q, void *p)
{
    struct invoice_row *r = p;
    memset(r, 0, sizeof *r);
    r->seq = sqlite3_column_int64(q, 0);
    sq_col_copy(q, 1, r->invoice_id, sizeof r->invoice_id);
    sq_col_copy(q, 2, r->customer_id, sizeof r->customer_id);
    sq_col_copy(q, 3, r->month, sizeof r->month);
    r->period_start = sqlite3_column_int64(q, 4);
    r->period_end = sqlite3_column_int64(q, 5);
    r->issued_at = sqlite3_column_int64(q, 6);
    const unsigned char *t = sqlite3_column_text(q, 7);
    r->snapshot = xstrdup(t ? (const char *)t : "{}");
}

static const char SQL_INV_MONTH[] = "SELECT " INV_COLS " FROM invoices WHERE customer_id=? AND month=?";
static const char SQL_INV_ID[] = "SELECT " INV_COLS " FROM invoices WHERE customer_id=? AND invoice_id=?";
static const char SQL_INV_SEQ[] = "UPDATE invoice_sequence SET last=last+1 WHERE id=1 RETURNING last";
static const char SQL_INV_INSERT[] = "INSERT INTO invoices(" INV_COLS ") VALUES(?,?,?,?,?,?,?,?)";
static const char SQL_OWNERS_USAGE[] =
    "SELECT owner FROM billing_records WHERE owner<>'' AND completed_at<?1"
    " UNION SELECT owner FROM refunds WHERE owner<>'' AND created_at<?1 ORDER BY 1";

int bstore_invoice_get_month(struct store *s, const char *customer_id, const char *month, struct invoice_row *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_INV_MONTH);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, customer_id);
    sq_bind_text(q, 2, month);
    rc = sq_step_one(s, q, inv_read, out, "invoice get");
out:
    sq_release(s);
    return rc;
}

int bstore_invoice_get_id(struct store *s, const char *customer_id, const char *invoice_id, struct invoice_row *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_INV_ID);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, customer_id);
    sq_bind_text(q, 2, invoice_id);
    rc = sq_step_one(s, q, inv_read, out, "invoice get id");
out:
    sq_release(s);
    return rc;
}

int bstore_invoice_next_seq(struct store *s, int64_t *seq)
{
    sqlite3_stmt *q = sq_begin(s, SQL_INV_SEQ);
    int rc = XC_EDB;
    if (!q)
        goto out;
    if (sqlite3_step(q) == SQLITE_ROW) {
        *seq = sqlite3_column_int64(q, 0);
        rc = 0;
        while (sqlite3_step(q) == SQLITE_ROW)
            ;
    } else {
        rc = sq_err(s, "invoice sequence");
    }
    sqlite3_reset(q);
out:
    sq_release(s);
    return rc;
}

int bstore_invoice_insert(struct store *s, const struct invoice_row *r)
{
    sqlite3_stmt *q = sq_begin(s, SQL_INV_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, r->seq);
    sq_bind_text(q, 2, r->invoice_id);
    sq_bind_text(q, 3, r->customer_id);
    sq_bind_text(q, 4, r->month);
    sqlite3_bind_int64(q, 5, r->period_start);
    sqlite3_bind_int64(q, 6, r->period_end);
    sqlite3_bind_int64(q, 7, r->issued_at);
    sq_bind_text(q, 8, r->snapshot);
    rc = sq_exec(s, q, "invoice insert");
out:
    sq_release(s);
    return rc;
}

static void str_read(sqlite3_stmt *q, void *p)
{
    const unsigned char *t = sqlite3_column_text(q, 0);
    *(char **)p = xstrdup(t ? (const char *)t : "");
}

int bstore_owners_with_usage(struct store *s, int64_t before, char ***out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_OWNERS_USAGE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, before);
    rc = sq_collect(s, q, sizeof **out, str_read, (void **)out, n, "owners with usage");
out:
    sq_release(s);
    return rc;
}

/* ---- payouts ---- */

static const char SQL_PAYOUT_INSERT[] =
    "INSERT INTO payouts(payout_id,provider_id,host_owner,host_id,job_id,billing_id,kind,gross,platform_fee,"
    "provider_payout,gst_hst,status,created_at,paid_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)"
    " ON CONFLICT(billing_id, kind) DO NOTHING";

int bstore_payout_insert(struct store *s, const struct payout_row *p, bool *inserted)
{
    *inserted = false;
    sqlite3_stmt *q = sq_begin(s, SQL_PAYOUT_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, p->payout_id);
    sq_bind_text(q, i++, p->provider_id);
    sq_bind_text(q, i++, p->host_owner);
    sq_bind_text(q, i++, p->host_id);
    sq_bind_text(q, i++, p->job_id);
    sq_bind_text(q, i++, p->billing_id);
    sq_bind_text(q, i++, p->kind);
    sqlite3_bind_int64(q, i++, p->gross);
    sqlite3_bind_int64(q, i++, p->platform_fee);
    sqlite3_bind_int64(q, i++, p->provider_payout);
    sqlite3_bind_int64(q, i++, p->gst_hst);
    sq_bind_text(q, i++, p->status[0] ? p->status : "pending");
    sqlite3_bind_int64(q, i++, p->created_at);
    rc = exec_insert(s, q, "payout insert", inserted);
out:
    sq_release(s);
    return rc;
}

/* ---- listings ---- */

#define LISTING_COLS "host_id,owner,gpu_model,vram_mgb,price_per_hour,description,listed_at,updated_at,active"

static void listing_read(sqlite3_stmt *q, void *p)
{
    struct listing *l = p;
    memset(l, 0, sizeof *l);
    sq_col_copy(q, 0, l->host_id, sizeof l->host_id);
    sq_col_copy(q, 1, l->owner, sizeof l->owner);
    sq_col_copy(q, 2, l->gpu_model, sizeof l->gpu_model);
    l->vram_mgb = sqlite3_column_int64(q, 3);
    l->price_per_hour = sqlite3_column_int64(q, 4);
    sq_col_copy(q, 5, l->description, sizeof l->description);
    l->listed_at = sqlite3_column_int64(q, 6);
    l->updated_at = sqlite3_column_int64(q, 7);
    l->active = sqlite3_column_int64(q, 8) != 0;
}

static const char SQL_LISTING_GET[] = "SELECT " LISTING_COLS " FROM listings WHERE host_id=?";
static const char SQL_LISTING_PUT[] = "INSERT OR REPLACE INTO listings(" LISTING_COLS ") VALUES(?,?,?,?,?,?,?,?,?)";
static const char SQL_LISTING_LIST[] =
    "SELECT " LISTING_COLS " FROM listings WHERE (?1=0 OR active=1) ORDER BY listed_at, host_id";
static const char SQL_HOST_EARNINGS[] =
    "SELECT count(*), coalesce(sum(host_payout),0), coalesce(sum(platform_fee),0), coalesce(sum(refund_fee),0)"
    " FROM billing_records WHERE host_id=? AND completed_at>=?";

int bstore_listing_get(struct store *s, const char *host_id, struct listing *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_LISTING_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, host_id);
    rc = sq_step_one(s, q, listing_read, out, "listing get");
out:
    sq_release(s);
    return rc;
}

int bstore_listing_put(struct store *s, const struct listing *l)
{
    sqlite3_stmt *q = sq_begin(s, SQL_LISTING_PUT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, l->host_id);
    sq_bind_text(q, 2, l->owner);
    sq_bind_text(q, 3, l->gpu_model);
    sqlite3_bind_int64(q, 4, l->vram_mgb);
    sqlite3_bind_int64(q, 5, l->price_per_hour);
    sq_bind_text(q, 6, l->description);
    sqlite3_bind_int64(q, 7, l->listed_at);
    sqlite3_bind_int64(q, 8, l->updated_at);
    sqlite3_bind_int64(q, 9, l->active);
    rc = sq_exec(s, q, "listing put");
out:
    sq_release(s);
    return rc;
}

int bstore_listing_list(struct store *s, bool active_only, struct listing **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_LISTING_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, active_only);
    rc = sq_collect(s, q, sizeof **out, listing_read, (void **)out, n, "listing list");
out:
    sq_release(s);
    return rc;
}

int bstore_host_earnings(struct store *s, const char *host_id, int64_t since, int64_t *jobs, int64_t *earned,
                         int64_t *platform_fee, int64_t *refund_fee)
{
    sqlite3_stmt *q = sq_begin(s, SQL_HOST_EARNINGS);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, host_id);
    sqlite3_bind_int64(q, 2, since);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *jobs = sqlite3_column_int64(q, 0);
        *earned = sqlite3_column_int64(q, 1);
        if (platform_fee)
            *platform_fee = sqlite3_column_int64(q, 2);
        if (refund_fee)
            *refund_fee = sqlite3_column_int64(q, 3);
        rc = 0;
    } else {
        rc = sq_err(s, "host earnings");
    }
    sqlite3_reset(q);
out:
    sq_release(s);
    return rc;
}

/* ---- spot prices ---- */

static void spot_read(sqlite3_stmt *q, void *p)
{
    struct spot_entry *e = p;
    memset(e, 0, sizeof *e);
    sq_col_copy(q, 0, e->gpu_model, sizeof e->gpu_model);
    e->price = sqlite3_column_int64(q, 1);
    e->base = sqlite3_column_int64(q, 2);
    e->supply = sqlite3_column_int64(q, 3);
    e->demand = sqlite3_column_int64(q, 4);
    e->computed_at = sqlite3_column_int64(q, 5);
}

static const char SQL_SPOT_INSERT[] =
    "INSERT INTO spot_prices(gpu_model,price,base,supply,demand,computed_at) VALUES(?,?,?,?,?,?)";
static const char SQL_SPOT_TRIM[] =
    "DELETE FROM spot_prices WHERE id <= (SELECT id FROM spot_prices ORDER BY id DESC LIMIT 1 OFFSET 1000)";
static const char SQL_SPOT_LATEST[] = "SELECT gpu_model,price,base,supply,demand,computed_at FROM spot_prices"
                                      " WHERE gpu_model=? ORDER BY id DESC LIMIT 1";
static const char SQL_SPOT_LATEST_ALL[] =
    "SELECT gpu_model,price,base,supply,demand,computed_at FROM spot_prices WHERE id IN"
    " (SELECT max(id) FROM spot_prices GROUP BY gpu_model) ORDER BY gpu_model";
static const char SQL_SPOT_HISTORY[] =
    "SELECT gpu_model,price,base,supply,demand,computed_at FROM spot_prices ORDER BY id DESC LIMIT ?";

int bstore_spot_append(struct store *s, const struct spot_entry *e)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SPOT_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, e->gpu_model);
    sqlite3_bind_int64(q, 2, e->price);
    sqlite3_bind_int64(q, 3, e->base);
    sqlite3_bind_int64(q, 4, e->supply);
    sqlite3_bind_int64(q, 5, e->demand);
    sqlite3_bind_int64(q, 6, e->computed_at);
    if ((rc = sq_exec(s, q, "spot insert")) < 0)
        goto out;
    rc = XC_EDB;
    if (!(q = sq_stmt(s, SQL_SPOT_TRIM)))
        goto out;
    rc = sq_exec(s, q, "spot trim");
out:
    sq_release(s);
    return rc;
}

int bstore_spot_latest(struct store *s, const char *gpu_model, struct spot_entry *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SPOT_LATEST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, gpu_model);
    rc = sq_step_one(s, q, spot_read, out, "spot latest");
out:
    sq_release(s);
    return rc;
}

int bstore_spot_latest_all(struct store *s, struct spot_entry **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SPOT_LATEST_ALL);
    int rc = XC_EDB;
    if (!q)
        goto out;
    rc = sq_collect(s, q, sizeof **out, spot_read, (void **)out, n, "spot latest all");
out:
    sq_release(s);
    return rc;
}

int bstore_spot_history(struct store *s, int limit, struct spot_entry **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SPOT_HISTORY);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, limit > 0 ? limit : 100);
    rc = sq_collect(s, q, sizeof **out, spot_read, (void **)out, n, "spot history");
out:
    sq_release(s);
    return rc;
}
