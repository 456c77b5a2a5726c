/* SQLite: reserved-plan commitments and the aggregates of the compliance and analytics routes. */
#include <string.h>

#include "common/errors.h"
#include "store/compliance_store.h"
#include "store/sqlite_internal.h"

/* ---- reservations ---- */

#define RES_COLS                                                                                   \
    "commitment_id,customer_id,commitment_type,gpu_model,quantity,base_rate,discounted_rate,"      \
    "discount_pct,min_hours_per_day,province,tax_rate_ppm,monthly_cents,monthly_with_tax_cents,"   \
    "created_at"

static const char SQL_RES_INSERT[] = "INSERT INTO reservations(" RES_COLS ",status) "
                                     "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,'active')";
static const char SQL_RES_LIST[] =
    "SELECT " RES_COLS " FROM reservations WHERE customer_id=? ORDER BY created_at, commitment_id";

int cstore_reservation_insert(struct store *s, const struct reservation *r)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RES_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, r->commitment_id);
    sq_bind_text(q, i++, r->customer_id);
    sq_bind_text(q, i++, r->commitment_type);
    sq_bind_text(q, i++, r->gpu_model);
    sqlite3_bind_int64(q, i++, r->quantity);
    sqlite3_bind_int64(q, i++, r->base_rate);
    sqlite3_bind_int64(q, i++, r->discounted_rate);
    sqlite3_bind_int64(q, i++, r->discount_pct);
    sqlite3_bind_int64(q, i++, r->min_hours_per_day);
    sq_bind_text(q, i++, r->province);
    sqlite3_bind_int64(q, i++, r->tax_rate_ppm);
    sqlite3_bind_int64(q, i++, r->monthly_cents);
    sqlite3_bind_int64(q, i++, r->monthly_with_tax_cents);
    sqlite3_bind_int64(q, i++, r->created_at);
    rc = sq_exec(s, q, "reservation insert");
out:
    sq_release(s);
    return rc;
}

static void res_read(sqlite3_stmt *q, void *p)
{
    struct reservation *r = p;
    memset(r, 0, sizeof *r);
    int i = 0;
    sq_col_copy(q, i++, r->commitment_id, sizeof r->commitment_id);
    sq_col_copy(q, i++, r->customer_id, sizeof r->customer_id);
    sq_col_copy(q, i++, r->commitment_type, sizeof r->commitment_type);
    sq_col_copy(q, i++, r->gpu_model, sizeof r->gpu_model);
    r->quantity = sqlite3_column_int64(q, i++);
    r->base_rate = sqlite3_column_int64(q, i++);
    r->discounted_rate = sqlite3_column_int64(q, i++);
    r->discount_pct = sqlite3_column_int(q, i++);
    r->min_hours_per_day = sqlite3_column_int(q, i++);
    sq_col_copy(q, i++, r->province, sizeof r->province);
    r->tax_rate_ppm = sqlite3_column_int64(q, i++);
    r->monthly_cents = sqlite3_column_int64(q, i++);
    r->monthly_with_tax_cents = sqlite3_column_int64(q, i++);
    r->created_at = sqlite3_column_int64(q, i++);
}

int cstore_reservation_list(struct store *s, const char *customer_id, struct reservation **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RES_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, customer_id);
    rc = sq_collect(s, q, sizeof **out, res_read, (void **)out, n, "reservation list");
out:
    sq_release(s);
    return rc;
}

/* ---- the platform's taxable revenue by quarter ---- */

#define QUARTER_SUM(a, b)                                                                          \
    "coalesce(sum(CASE WHEN completed_at>=" a " AND completed_at<" b " THEN cost-refunded END),0)"
static const char SQL_OWNED_REVENUE[] =
    "SELECT " QUARTER_SUM("?1", "?2") "," QUARTER_SUM("?2", "?3") "," QUARTER_SUM("?3", "?4") ","
    QUARTER_SUM("?4", "?5") " FROM billing_records WHERE owner<>'' AND completed_at>=?1 AND completed_at<?5";

int cstore_owned_revenue(struct store *s, const int64_t bounds[5], int64_t sums[4])
{
    sqlite3_stmt *q = sq_begin(s, SQL_OWNED_REVENUE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    for (int i = 0; i < 5; i++)
        sqlite3_bind_int64(q, i + 1, bounds[i]);
    if (sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < 4; i++)
            sums[i] = sqlite3_column_int64(q, i);
        rc = 0;
    } else {
        rc = sq_err(s, "owned revenue");
    }
    sqlite3_reset(q);
out:
    sq_release(s);
    return rc;
}

/* ---- usage analytics ---- */

#define USAGE_AGG "count(*),coalesce(sum(cost),0),coalesce(sum(gpu_hours_e6),0),coalesce(sum(is_canadian<>0),0)," \
                  "coalesce(sum(is_canadian=0),0)"
#define USAGE_WHERE " FROM billing_records WHERE completed_at>=?1 AND (?2 IS NULL OR owner=?2)" \
                    " AND (?3 IS NULL OR host_owner=?3)"
/* completed_at is never negative, so integer division is the floor. */
static const char SQL_USAGE_DAY[] =
    "SELECT completed_at/86400000000,''," USAGE_AGG USAGE_WHERE " GROUP BY 1 ORDER BY 1";
static const char SQL_USAGE_MODEL[] = "SELECT 0,gpu_model," USAGE_AGG USAGE_WHERE " GROUP BY 2 ORDER BY 2";
static const char SQL_USAGE_PROVINCE[] = "SELECT 0,province," USAGE_AGG USAGE_WHERE " GROUP BY 2 ORDER BY 2";

static void usage_read(sqlite3_stmt *q, void *p)
{
    struct usage_row *u = p;
    memset(u, 0, sizeof *u);
    u->day = sqlite3_column_int64(q, 0);
    sq_col_copy(q, 1, u->key, sizeof u->key);
    u->jobs = sqlite3_column_int64(q, 2);
    u->cost = sqlite3_column_int64(q, 3);
    u->gpu_hours_e6 = sqlite3_column_int64(q, 4);
    u->canadian = sqlite3_column_int64(q, 5);
    u->international = sqlite3_column_int64(q, 6);
}

int cstore_usage(struct store *s, const struct usage_filter *f, enum cstore_usage_key key, struct usage_row **out,
                 size_t *n)
{
    const char *sql = key == CSTORE_BY_DAY ? SQL_USAGE_DAY : key == CSTORE_BY_GPU_MODEL ? SQL_USAGE_MODEL
                                                                                        : SQL_USAGE_PROVINCE;
    sqlite3_stmt *q = sq_begin(s, sql);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, f->since);
    sq_bind_text_or_null(q, 2, f->owner);
    sq_bind_text_or_null(q, 3, f->host_owner);
    rc = sq_collect(s, q, sizeof **out, usage_read, (void **)out, n, "usage");
out:
    sq_release(s);
    return rc;
}
