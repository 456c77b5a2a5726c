/* SQLite implementation of providers_store.h. SQL lives in static strings (the statement cache
 * keys on their addresses); every value is bound, never formatted into SQL. States are stored as
 * their wire names and read back through core's one mapping (core/provider.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/providers_store.h"
#include "store/sqlite_internal.h"

/* ---- providers ---- */

#define PROV_COLS                                                                                  \
    "provider_id,user_id,provider_type,status,corporation_name,business_number,gst_hst_number,email,"  \
    "legal_name,country,province,incorporation_file_id,incorporation_status,stripe_account_id,"      \
    "created_at,onboarded_at,updated_at"

static void provider_read(sqlite3_stmt *q, void *dst)
{
    struct provider *p = dst;
    memset(p, 0, sizeof *p);
    int i = 0;
    sq_col_copy(q, i++, p->provider_id, sizeof p->provider_id);
    sq_col_copy(q, i++, p->user_id, sizeof p->user_id);
    const char *t = (const char *)sqlite3_column_text(q, i++);
    if (provider_type_parse(t, &p->type) < 0)
        p->type = PROVIDER_TYPE_INDIVIDUAL;
    t = (const char *)sqlite3_column_text(q, i++);
    if (providerstate_parse(t, &p->status) < 0) {
        log_warn("store: provider %s has an unknown status '%s'", p->provider_id, t ? t : "");
        p->status = PROVIDER_ONBOARDING;
    }
    sq_col_copy(q, i++, p->corporation_name, sizeof p->corporation_name);
    sq_col_copy(q, i++, p->business_number, sizeof p->business_number);
    sq_col_copy(q, i++, p->gst_hst_number, sizeof p->gst_hst_number);
    sq_col_copy(q, i++, p->email, sizeof p->email);
    sq_col_copy(q, i++, p->legal_name, sizeof p->legal_name);
    sq_col_copy(q, i++, p->country, sizeof p->country);
    sq_col_copy(q, i++, p->province, sizeof p->province);
    sq_col_copy(q, i++, p->incorporation_file_id, sizeof p->incorporation_file_id);
    sq_col_copy(q, i++, p->incorporation_status, sizeof p->incorporation_status);
    sq_col_copy(q, i++, p->stripe_account_id, sizeof p->stripe_account_id);
    p->created_at = sqlite3_column_int64(q, i++);
    p->onboarded_at = sqlite3_column_int64(q, i++);
    p->updated_at = sqlite3_column_int64(q, i++);
}

static const char SQL_PROV_INSERT[] = "INSERT INTO providers(" PROV_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

int pstore_provider_insert(struct store *s, const struct provider *p)
{
    sqlite3_stmt *q = sq_begin(s, SQL_PROV_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, p->provider_id);
    sq_bind_text(q, i++, p->user_id);
    sq_bind_text(q, i++, provider_type_name(p->type));
    sq_bind_text(q, i++, providerstate_name(p->status));
    sq_bind_text(q, i++, p->corporation_name);
    sq_bind_text(q, i++, p->business_number);
    sq_bind_text(q, i++, p->gst_hst_number);
    sq_bind_text(q, i++, p->email);
    sq_bind_text(q, i++, p->legal_name);
    sq_bind_text(q, i++, p->country[0] ? p->country : "CA");
    sq_bind_text(q, i++, p->province);
    sq_bind_text(q, i++, p->incorporation_file_id);
    sq_bind_text(q, i++, p->incorporation_status);
    sq_bind_text(q, i++, p->stripe_account_id);
    sqlite3_bind_int64(q, i++, p->created_at);
    sq_bind_ts(q, i++, p->onboarded_at);
    sqlite3_bind_int64(q, i++, p->updated_at);
    rc = sq_exec(s, q, "provider insert");
out:
    sq_release(s);
    return rc;
}

static const char SQL_PROV_GET[] = "SELECT " PROV_COLS " FROM providers WHERE provider_id=?";
static const char SQL_PROV_BY_USER[] = "SELECT " PROV_COLS " FROM providers WHERE user_id=?";
static const char SQL_PROV_BY_STRIPE[] = "SELECT " PROV_COLS " FROM providers WHERE stripe_account_id=?";

int pstore_provider_get(struct store *s, const char *provider_id, struct provider *out)
{
    return sq_get_one(s, SQL_PROV_GET, provider_id, provider_read, out, "provider get");
}

int pstore_provider_by_user(struct store *s, const char *user_id, struct provider *out)
{
    return sq_get_one(s, SQL_PROV_BY_USER, user_id, provider_read, out, "provider by user");
}

int pstore_provider_by_stripe(struct store *s, const char *stripe_account_id, struct provider *out)
{
    if (!stripe_account_id || !*stripe_account_id)
        return XC_ENOTFOUND;
    return sq_get_one(s, SQL_PROV_BY_STRIPE, stripe_account_id, provider_read, out, "provider by stripe account");
}

static const char SQL_PROV_UPDATE[] =
    "UPDATE providers SET status=?,incorporation_file_id=?,incorporation_status=?,stripe_account_id=?,"
    "onboarded_at=?,updated_at=? WHERE provider_id=?";

int pstore_provider_update(struct store *s, const struct provider *p)
{
    sqlite3_stmt *q = sq_begin(s, SQL_PROV_UPDATE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, providerstate_name(p->status));
    sq_bind_text(q, i++, p->incorporation_file_id);
    sq_bind_text(q, i++, p->incorporation_status);
    sq_bind_text(q, i++, p->stripe_account_id);
    sq_bind_ts(q, i++, p->onboarded_at);
    sqlite3_bind_int64(q, i++, p->updated_at);
    sq_bind_text(q, i++, p->provider_id);
    rc = sq_exec(s, q, "provider update");
    if (rc == 0 && sqlite3_changes(sq_db(s)) == 0)
        rc = XC_ENOTFOUND;
out:
    sq_release(s);
    return rc;
}

static const char SQL_PROV_LIST[] = "SELECT " PROV_COLS " FROM providers ORDER BY created_at DESC, provider_id DESC";
static const char SQL_PROV_LIST_STATUS[] =
    "SELECT " PROV_COLS " FROM providers WHERE status=? ORDER BY created_at DESC, provider_id DESC";

int pstore_provider_list(struct store *s, const enum providerstate *status, struct provider **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, status ? SQL_PROV_LIST_STATUS : SQL_PROV_LIST);
    int rc = XC_EDB;
    *out = NULL;
    *n = 0;
    if (!q)
        goto out;
    if (status)
        sq_bind_text(q, 1, providerstate_name(*status));
    rc = sq_collect(s, q, sizeof **out, provider_read, (void **)out, n, "provider list");
out:
    sq_release(s);
    return rc;
}

/* ---- payouts ---- */

#define PAYOUT_COLS                                                                                \
    "payout_id,provider_id,host_owner,host_id,job_id,billing_id,kind,gross,platform_fee,provider_payout,"  \
    "gst_hst,status,created_at,paid_at"

static void payout_read(sqlite3_stmt *q, void *dst)
{
    struct payout_row *p = dst;
    memset(p, 0, sizeof *p);
    int i = 0;
    sq_col_copy(q, i++, p->payout_id, sizeof p->payout_id);
    sq_col_copy(q, i++, p->provider_id, sizeof p->provider_id);
    sq_col_copy(q, i++, p->host_owner, sizeof p->host_owner);
    sq_col_copy(q, i++, p->host_id, sizeof p->host_id);
    sq_col_copy(q, i++, p->job_id, sizeof p->job_id);
    sq_col_copy(q, i++, p->billing_id, sizeof p->billing_id);
    sq_col_copy(q, i++, p->kind, sizeof p->kind);
    p->gross = sqlite3_column_int64(q, i++);
    p->platform_fee = sqlite3_column_int64(q, i++);
    p->provider_payout = sqlite3_column_int64(q, i++);
    p->gst_hst = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, p->status, sizeof p->status);
    p->created_at = sqlite3_column_int64(q, i++);
    p->paid_at = sqlite3_column_int64(q, i++);
}

/* Runs a SELECT of payout rows with one text key (and an optional limit) into *out. */
static int payouts_query(struct store *s, const char *sql, const char *key, int limit, struct payout_row **out,
                         size_t *n, const char *what)
{
    sqlite3_stmt *q = sq_begin(s, sql);
    int rc = XC_EDB;
    *out = NULL;
    *n = 0;
    if (!q)
        goto out;
    sq_bind_text(q, 1, key);
    if (limit > 0)
        sqlite3_bind_int(q, 2, limit);
    rc = sq_collect(s, q, sizeof **out, payout_read, (void **)out, n, what);
out:
    sq_release(s);
    return rc;
}

static const char SQL_PAYOUTS_UNATTACHED[] =
    "SELECT " PAYOUT_COLS " FROM payouts WHERE host_owner=? AND provider_id='' ORDER BY created_at, rowid";

int pstore_payouts_unattached(struct store *s, const char *host_owner, struct payout_row **out, size_t *n)
{
    return payouts_query(s, SQL_PAYOUTS_UNATTACHED, host_owner, 0, out, n, "payouts unattached");
}

static const char SQL_PAYOUT_ATTACH[] =
    "UPDATE payouts SET provider_id=?, gst_hst=? WHERE payout_id=? AND provider_id=''";

int pstore_payout_attach(struct store *s, const char *payout_id, const char *provider_id, int64_t gst_hst)
{
    sqlite3_stmt *q = sq_begin(s, SQL_PAYOUT_ATTACH);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, provider_id);
        sqlite3_bind_int64(q, 2, gst_hst);
        sq_bind_text(q, 3, payout_id);
        rc = sq_exec(s, q, "payout attach");
    }
    sq_release(s);
    return rc;
}

static const char SQL_PAYOUT_GET[] = "SELECT " PAYOUT_COLS " FROM payouts WHERE payout_id=?";

int pstore_payout_get(struct store *s, const char *payout_id, struct payout_row *out)
{
    return sq_get_one(s, SQL_PAYOUT_GET, payout_id, payout_read, out, "payout get");
}

static const char SQL_PAYOUTS_RECENT[] =
    "SELECT " PAYOUT_COLS " FROM payouts WHERE provider_id=? ORDER BY created_at DESC, rowid DESC LIMIT ?";

int pstore_payouts_recent(struct store *s, const char *provider_id, int limit, struct payout_row **out, size_t *n)
{
    return payouts_query(s, SQL_PAYOUTS_RECENT, provider_id, limit > 0 ? limit : 20, out, n, "payouts recent");
}

static const char SQL_PAYOUTS_CLAIMABLE[] =
    "SELECT " PAYOUT_COLS " FROM payouts WHERE provider_id=? AND status='pending' AND transfer_id=''"
    " ORDER BY created_at, rowid";

int pstore_payouts_claimable(struct store *s, const char *provider_id, struct payout_row **out, size_t *n)
{
    return payouts_query(s, SQL_PAYOUTS_CLAIMABLE, provider_id, 0, out, n, "payouts claimable");
}

static const char SQL_PAYOUT_CLAIM[] =
    "UPDATE payouts SET transfer_id=? WHERE payout_id=? AND status='pending' AND transfer_id=''";

int pstore_payout_claim(struct store *s, const char *payout_id, const char *transfer_id, bool *claimed)
{
    *claimed = false;
    sqlite3_stmt *q = sq_begin(s, SQL_PAYOUT_CLAIM);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, transfer_id);
        sq_bind_text(q, 2, payout_id);
        rc = sq_exec(s, q, "payout claim");
        *claimed = rc == 0 && sqlite3_changes(sq_db(s)) > 0;
    }
    sq_release(s);
    return rc;
}

static const char SQL_PAYOUTS_PAID[] =
    "UPDATE payouts SET status='paid', paid_at=? WHERE transfer_id=? AND status='pending'";

int pstore_payouts_mark_paid(struct store *s, const char *transfer_id, int64_t paid_at, int *n)
{
    *n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_PAYOUTS_PAID);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, paid_at);
        sq_bind_text(q, 2, transfer_id);
        rc = sq_exec(s, q, "payouts paid");
        if (rc == 0)
            *n = sqlite3_changes(sq_db(s));
    }
    sq_release(s);
    return rc;
}

static const char SQL_PAYOUTS_UNCLAIM[] =
    "UPDATE payouts SET transfer_id='' WHERE transfer_id=? AND status='pending'";

int pstore_payouts_unclaim(struct store *s, const char *transfer_id)
{
    sqlite3_stmt *q = sq_begin(s, SQL_PAYOUTS_UNCLAIM);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, transfer_id);
        rc = sq_exec(s, q, "payouts unclaim");
    }
    sq_release(s);
    return rc;
}

static const char SQL_EARNINGS[] =
    "SELECT count(DISTINCT CASE WHEN kind='settle' THEN job_id END),"
    " coalesce(sum(CASE WHEN kind!='carry' THEN provider_payout END),0),"
    " coalesce(sum(CASE WHEN kind!='carry' THEN platform_fee END),0),"
    " coalesce(sum(CASE WHEN kind!='carry' THEN gst_hst END),0),"
    " coalesce(sum(CASE WHEN status='pending' THEN provider_payout + gst_hst END),0),"
    " (SELECT coalesce(sum(amount),0) FROM payout_transfers t WHERE t.provider_id=?1 AND t.status='paid')"
    " FROM payouts WHERE provider_id=?1";

static void earnings_read(sqlite3_stmt *q, void *dst)
{
    struct provider_earnings *e = dst;
    e->total_jobs = sqlite3_column_int64(q, 0);
    e->earned = sqlite3_column_int64(q, 1);
    e->platform = sqlite3_column_int64(q, 2);
    e->tax = sqlite3_column_int64(q, 3);
    e->pending = sqlite3_column_int64(q, 4);
    e->paid = sqlite3_column_int64(q, 5);
}

int pstore_earnings(struct store *s, const char *provider_id, struct provider_earnings *out)
{
    memset(out, 0, sizeof *out);
    return sq_get_one(s, SQL_EARNINGS, provider_id, earnings_read, out, "provider earnings");
}

static const char SQL_PAYOUTS_BETWEEN[] =
    "SELECT coalesce(sum(provider_payout),0) FROM payouts WHERE provider_id=? AND kind!='carry'"
    " AND created_at>=? AND created_at<?";

int pstore_payouts_by_quarter(struct store *s, const char *provider_id, const int64_t *bounds, int nq, int64_t *sums)
{
    sqlite3_stmt *q = sq_begin(s, SQL_PAYOUTS_BETWEEN);
    int rc = q ? 0 : XC_EDB;
    for (int i = 0; rc == 0 && i < nq; i++) {
        sq_bind_text(q, 1, provider_id);
        sqlite3_bind_int64(q, 2, bounds[i]);
        sqlite3_bind_int64(q, 3, bounds[i + 1]);
        if (sqlite3_step(q) == SQLITE_ROW)
            sums[i] = sqlite3_column_int64(q, 0);
        else
            rc = sq_err(s, "payouts by quarter");
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

/* ---- payout transfers ---- */

static const char SQL_TRANSFER_INSERT[] =
    "INSERT INTO payout_transfers(transfer_id,provider_id,amount,carry,payouts,idempotency_key,reference,status,"
    "created_at,paid_at) VALUES(?,?,?,?,?,?,?,?,?,?)";

int pstore_transfer_insert(struct store *s, const struct payout_transfer *t)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TRANSFER_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, t->transfer_id);
    sq_bind_text(q, i++, t->provider_id);
    sqlite3_bind_int64(q, i++, t->amount);
    sqlite3_bind_int64(q, i++, t->carry);
    sqlite3_bind_int(q, i++, t->payouts);
    sq_bind_text(q, i++, t->idempotency_key);
    sq_bind_text(q, i++, t->reference);
    sq_bind_text(q, i++, t->paid ? "paid" : "processing");
    sqlite3_bind_int64(q, i++, t->created_at);
    sq_bind_ts(q, i++, t->paid ? t->paid_at : 0);
    rc = sq_exec(s, q, "transfer insert");
out:
    sq_release(s);
    return rc;
}

static const char SQL_TRANSFERS_PROCESSING[] =
    "SELECT transfer_id,provider_id,amount,carry,payouts,idempotency_key,created_at FROM payout_transfers"
    " WHERE status='processing' ORDER BY created_at";

static void transfer_read(sqlite3_stmt *q, void *dst)
{
    struct payout_transfer *t = dst;
    memset(t, 0, sizeof *t);
    sq_col_copy(q, 0, t->transfer_id, sizeof t->transfer_id);
    sq_col_copy(q, 1, t->provider_id, sizeof t->provider_id);
    t->amount = sqlite3_column_int64(q, 2);
    t->carry = sqlite3_column_int64(q, 3);
    t->payouts = sqlite3_column_int(q, 4);
    sq_col_copy(q, 5, t->idempotency_key, sizeof t->idempotency_key);
    t->created_at = sqlite3_column_int64(q, 6);
}

int pstore_transfers_processing(struct store *s, struct payout_transfer **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TRANSFERS_PROCESSING);
    int rc = q ? sq_collect(s, q, sizeof **out, transfer_read, (void **)out, n, "transfers processing") : XC_EDB;
    sq_release(s);
    return rc;
}

static const char SQL_TRANSFER_PAID[] =
    "UPDATE payout_transfers SET status='paid', reference=?, paid_at=? WHERE transfer_id=? AND status='processing'";

int pstore_transfer_mark_paid(struct store *s, const char *transfer_id, const char *reference, int64_t paid_at)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TRANSFER_PAID);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, reference);
        sqlite3_bind_int64(q, 2, paid_at);
        sq_bind_text(q, 3, transfer_id);
        rc = sq_exec(s, q, "transfer paid");
        if (rc == 0 && sqlite3_changes(sq_db(s)) == 0)
            rc = XC_ENOTFOUND;
    }
    sq_release(s);
    return rc;
}

static const char SQL_TRANSFER_DELETE[] = "DELETE FROM payout_transfers WHERE transfer_id=? AND status='processing'";

int pstore_transfer_delete(struct store *s, const char *transfer_id)
{
    return sq_delete_by_id(s, SQL_TRANSFER_DELETE, transfer_id, "transfer delete");
}
