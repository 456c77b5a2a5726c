/* SQLite: SLA downtimes, violations, monthly records and the spend on a host (domain §26). */
#include <string.h>

#include "common/errors.h"
#include "store/sla_store.h"
#include "store/sqlite_internal.h"

/* ---- downtimes ---- */

static const char SQL_DT_OPEN[] = "INSERT INTO sla_downtimes(host_id,start_ts,end_ts,reason) VALUES(?,?,NULL,?) "
                                  "ON CONFLICT(host_id) WHERE end_ts IS NULL DO NOTHING";
static const char SQL_DT_CLOSE[] =
    "UPDATE sla_downtimes SET end_ts=max(start_ts,?2) WHERE host_id=?1 AND end_ts IS NULL";
static const char SQL_DT_LIST[] =
    "SELECT id,host_id,start_ts,coalesce(end_ts,0),reason FROM sla_downtimes "
    "WHERE (?1 IS NULL OR host_id=?1) AND (end_ts IS NULL OR end_ts>=?2) AND (?3=0 OR end_ts IS NULL) "
    "ORDER BY start_ts DESC, id DESC LIMIT ?4";

int slastore_downtime_open(struct store *s, const char *host_id, int64_t start_ts, const char *reason, bool *opened)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DT_OPEN);
    int rc = XC_EDB;
    *opened = false;
    if (!q)
        goto out;
    sq_bind_text(q, 1, host_id);
    sqlite3_bind_int64(q, 2, start_ts);
    sq_bind_text(q, 3, reason);
    if ((rc = sq_exec(s, q, "downtime open")) == 0)
        *opened = sqlite3_changes(sq_db(s)) > 0;
out:
    sq_release(s);
    return rc;
}

int slastore_downtime_close(struct store *s, const char *host_id, int64_t end_ts, bool *closed)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DT_CLOSE);
    int rc = XC_EDB;
    *closed = false;
    if (!q)
        goto out;
    sq_bind_text(q, 1, host_id);
    sqlite3_bind_int64(q, 2, end_ts);
    if ((rc = sq_exec(s, q, "downtime close")) == 0)
        *closed = sqlite3_changes(sq_db(s)) > 0;
out:
    sq_release(s);
    return rc;
}

static void dt_read(sqlite3_stmt *q, void *p)
{
    struct sla_downtime_row *d = p;
    d->id = sqlite3_column_int64(q, 0);
    sq_col_copy(q, 1, d->host_id, sizeof d->host_id);
    d->start_ts = sqlite3_column_int64(q, 2);
    d->end_ts = sqlite3_column_int64(q, 3);
    sq_col_copy(q, 4, d->reason, sizeof d->reason);
}

int slastore_downtime_list(struct store *s, const struct sla_downtime_filter *f, struct sla_downtime_row **out,
                           size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DT_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text_or_null(q, 1, f->host_id);
    sqlite3_bind_int64(q, 2, f->since);
    sqlite3_bind_int(q, 3, f->open_only);
    sqlite3_bind_int64(q, 4, f->limit > 0 ? f->limit : -1);
    rc = sq_collect(s, q, sizeof **out, dt_read, (void **)out, n, "downtime list");
out:
    sq_release(s);
    return rc;
}

/* ---- violations ---- */

#define VIOL_COLS "id,host_id,violation_type,severity,metric_e4,threshold_e4,ts,details"
static const char SQL_VIOL_LAST[] =
    "SELECT coalesce(max(ts),0) FROM sla_violations WHERE host_id=? AND violation_type=?";
static const char SQL_VIOL_INSERT[] = "INSERT INTO sla_violations(host_id,violation_type,severity,metric_e4,"
                                      "threshold_e4,ts,details) VALUES(?,?,?,?,?,?,?)";
static const char SQL_VIOL_PRUNE[] = "DELETE FROM sla_violations WHERE ts<?";
static const char SQL_VIOL_LIST[] = "SELECT " VIOL_COLS " FROM sla_violations WHERE host_id=? AND ts>=? "
                                    "ORDER BY ts DESC, id DESC LIMIT ?";
static const char SQL_VIOL_COUNT[] = "SELECT count(*) FROM sla_violations WHERE host_id=? AND ts>=?";

/* One integer of a single-row query with a text key and an integer. */
static int one_int(struct store *s, const char *sql, const char *key, const char *key2, int64_t v, int64_t *out,
                   const char *what)
{
    sqlite3_stmt *q = sq_begin(s, sql);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, key);
    if (key2)
        sq_bind_text(q, 2, key2);
    else
        sqlite3_bind_int64(q, 2, v);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *out = sqlite3_column_int64(q, 0);
        rc = 0;
    } else {
        rc = sq_err(s, what);
    }
    sqlite3_reset(q);
out:
    sq_release(s);
    return rc;
}

int slastore_violation_last_ts(struct store *s, const char *host_id, const char *type, int64_t *ts)
{
    return one_int(s, SQL_VIOL_LAST, host_id, type, 0, ts, "violation last");
}

int slastore_violation_count(struct store *s, const char *host_id, int64_t since, int64_t *count)
{
    return one_int(s, SQL_VIOL_COUNT, host_id, NULL, since, count, "violation count");
}

int slastore_violation_insert(struct store *s, struct sla_violation_row *v)
{
    sqlite3_stmt *q = sq_begin(s, SQL_VIOL_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, v->host_id);
    sq_bind_text(q, i++, v->violation_type);
    sq_bind_text(q, i++, v->severity);
    sqlite3_bind_int64(q, i++, v->metric_e4);
    sqlite3_bind_int64(q, i++, v->threshold_e4);
    sqlite3_bind_int64(q, i++, v->ts);
    sq_bind_text(q, i++, v->details);
    if ((rc = sq_exec(s, q, "violation insert")) == 0)
        v->id = sqlite3_last_insert_rowid(sq_db(s));
out:
    sq_release(s);
    return rc;
}

int slastore_violation_prune(struct store *s, int64_t before)
{
    sqlite3_stmt *q = sq_begin(s, SQL_VIOL_PRUNE);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, before);
        rc = sq_exec(s, q, "violation prune");
    }
    sq_release(s);
    return rc;
}

static void viol_read(sqlite3_stmt *q, void *p)
{
    struct sla_violation_row *v = p;
    int i = 0;
    v->id = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, v->host_id, sizeof v->host_id);
    sq_col_copy(q, i++, v->violation_type, sizeof v->violation_type);
    sq_col_copy(q, i++, v->severity, sizeof v->severity);
    v->metric_e4 = sqlite3_column_int64(q, i++);
    v->threshold_e4 = sqlite3_column_int64(q, i++);
    v->ts = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, v->details, sizeof v->details);
}

int slastore_violation_list(struct store *s, const char *host_id, int64_t since, int64_t limit,
                            struct sla_violation_row **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_VIOL_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, host_id);
    sqlite3_bind_int64(q, 2, since);
    sqlite3_bind_int64(q, 3, limit > 0 ? limit : -1);
    rc = sq_collect(s, q, sizeof **out, viol_read, (void **)out, n, "violation list");
out:
    sq_release(s);
    return rc;
}

/* ---- monthly records ---- */

#define MONTHLY_COLS                                                                               \
    "host_id,month,tier,uptime_pct_e4,downtime_us,incidents,target_pct_e4,credit_pct,credit_ucad,"  \
    "spend_ucad,enforced_at,breach_at"
static const char SQL_MONTHLY_GET[] = "SELECT " MONTHLY_COLS " FROM sla_monthly WHERE host_id=? AND month=?";
static const char SQL_MONTHLY_UPSERT[] =
    "INSERT INTO sla_monthly(" MONTHLY_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(host_id,month) DO UPDATE SET tier=excluded.tier,uptime_pct_e4=excluded.uptime_pct_e4,"
    "downtime_us=excluded.downtime_us,incidents=excluded.incidents,target_pct_e4=excluded.target_pct_e4,"
    "credit_pct=excluded.credit_pct,credit_ucad=excluded.credit_ucad,spend_ucad=excluded.spend_ucad,"
    "enforced_at=excluded.enforced_at,"
    "breach_at=CASE WHEN sla_monthly.breach_at<>0 THEN sla_monthly.breach_at ELSE excluded.breach_at END";

static void monthly_read(sqlite3_stmt *q, void *p)
{
    struct sla_monthly_row *m = p;
    memset(m, 0, sizeof *m);
    int i = 0;
    sq_col_copy(q, i++, m->host_id, sizeof m->host_id);
    sq_col_copy(q, i++, m->month, sizeof m->month);
    sq_col_copy(q, i++, m->tier, sizeof m->tier);
    m->uptime_pct_e4 = sqlite3_column_int64(q, i++);
    m->downtime_us = sqlite3_column_int64(q, i++);
    m->incidents = sqlite3_column_int64(q, i++);
    m->target_pct_e4 = sqlite3_column_int64(q, i++);
    m->credit_pct = sqlite3_column_int(q, i++);
    m->credit_ucad = sqlite3_column_int64(q, i++);
    m->spend_ucad = sqlite3_column_int64(q, i++);
    m->enforced_at = sqlite3_column_int64(q, i++);
    m->breach_at = sqlite3_column_int64(q, i++);
}

int slastore_monthly_get(struct store *s, const char *host_id, const char *month, struct sla_monthly_row *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_MONTHLY_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, host_id);
    sq_bind_text(q, 2, month);
    rc = sq_step_one(s, q, monthly_read, out, "monthly get");
out:
    sq_release(s);
    return rc;
}

int slastore_monthly_upsert(struct store *s, const struct sla_monthly_row *m)
{
    sqlite3_stmt *q = sq_begin(s, SQL_MONTHLY_UPSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, m->host_id);
    sq_bind_text(q, i++, m->month);
    sq_bind_text(q, i++, m->tier);
    sqlite3_bind_int64(q, i++, m->uptime_pct_e4);
    sqlite3_bind_int64(q, i++, m->downtime_us);
    sqlite3_bind_int64(q, i++, m->incidents);
    sqlite3_bind_int64(q, i++, m->target_pct_e4);
    sqlite3_bind_int(q, i++, m->credit_pct);
    sqlite3_bind_int64(q, i++, m->credit_ucad);
    sqlite3_bind_int64(q, i++, m->spend_ucad);
    sqlite3_bind_int64(q, i++, m->enforced_at);
    sqlite3_bind_int64(q, i++, m->breach_at);
    rc = sq_exec(s, q, "monthly upsert");
out:
    sq_release(s);
    return rc;
}

/* ---- spend ---- */

static const char SQL_SPEND[] = "SELECT owner,coalesce(sum(cost),0) FROM billing_records "
                                "WHERE host_id=? AND completed_at>=? AND completed_at<? GROUP BY owner ORDER BY owner";

static void spend_read(sqlite3_stmt *q, void *p)
{
    struct sla_spend_row *r = p;
    sq_col_copy(q, 0, r->owner, sizeof r->owner);
    r->cost = sqlite3_column_int64(q, 1);
}

int slastore_spend_by_owner(struct store *s, const char *host_id, int64_t a, int64_t b, struct sla_spend_row **out,
                            size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SPEND);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, host_id);
    sqlite3_bind_int64(q, 2, a);
    sqlite3_bind_int64(q, 3, b);
    rc = sq_collect(s, q, sizeof **out, spend_read, (void **)out, n, "sla spend");
out:
    sq_release(s);
    return rc;
}
