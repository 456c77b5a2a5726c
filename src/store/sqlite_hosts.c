/* SQLite backend of store.h: Hosts, their agent tokens and the autoscale pool. Every statement is one of the static SQL strings
 * below (the connection's statement cache keys on them); values are always bound. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/jobstate.h"
#include "core/states.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

#define HOST_COLS                                                                                   \
    "host_id,owner,ip,gpu_model,gpu_count,total_mgb,reported_free_mgb,reserved_mgb,cost_per_hour," \
    "country,province,status,admitted,admission_details,recommended_runtime,versions,runtimes,"   \
    "registered_at,last_seen,latency_ms,autoscaled,compute_score,verification_state,trust_tier,"  \
    "sla_tier,reverify_due,simulated,corporation_name,business_number,gst_hst_number,legal_name"
#define HOST_PARAMS "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"
#define POOL_COLS "host_id,ip,gpu_model,vram_mgb,gpu_count,cost_per_hour,country,province,provisioned,provisioned_at"

static const char SQL_HOST_GET[] = "SELECT " HOST_COLS " FROM hosts WHERE host_id=?";
static const char SQL_HOST_PUT[] = "INSERT OR REPLACE INTO hosts(" HOST_COLS ") VALUES(" HOST_PARAMS ")";
static const char SQL_HOST_DEL[] = "DELETE FROM hosts WHERE host_id=?";
static const char SQL_HOST_ALL[] = "SELECT " HOST_COLS " FROM hosts ORDER BY registered_at, host_id";
static const char SQL_HOST_ACTIVE[] = "SELECT " HOST_COLS " FROM hosts WHERE status='active' ORDER BY registered_at, host_id";
static const char SQL_HOST_PAGE[] = "SELECT " HOST_COLS " FROM hosts WHERE (registered_at, host_id) > (?1, ?2) "
                     "ORDER BY registered_at, host_id LIMIT ?3";
static const char SQL_HOST_PAGE_ACTIVE[] = "SELECT " HOST_COLS " FROM hosts WHERE status='active' AND (registered_at, host_id) > "
                            "(?1, ?2) ORDER BY registered_at, host_id LIMIT ?3";
static const char SQL_HOST_COUNT[] = "SELECT status, count(*) FROM hosts GROUP BY status";
static const char SQL_TOKEN_PUT[] = "INSERT INTO agent_tokens(token_hash,host_id,created_at) VALUES(?,?,?)";
static const char SQL_TOKEN_HOST[] = "SELECT host_id FROM agent_tokens WHERE token_hash=? AND revoked=0";
static const char SQL_TOKEN_REVOKE[] = "UPDATE agent_tokens SET revoked=1 WHERE host_id=?";
static const char SQL_POOL_PUT[] = "INSERT OR REPLACE INTO autoscale_pool(" POOL_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)";
static const char SQL_POOL_GET[] = "SELECT " POOL_COLS " FROM autoscale_pool WHERE host_id=?";
static const char SQL_POOL_DEL[] = "DELETE FROM autoscale_pool WHERE host_id=?";
static const char SQL_POOL_ALL[] = "SELECT " POOL_COLS " FROM autoscale_pool ORDER BY host_id";

static void host_read_v(sqlite3_stmt *q, void *p);

/* ---- hosts ---- */

static void host_bind(sqlite3_stmt *q, const struct host *h)
{
    int i = 1;
    sq_bind_text(q, i++, h->host_id);
    sq_bind_text(q, i++, h->owner);
    sq_bind_text(q, i++, h->ip);
    sq_bind_text(q, i++, h->gpu_model);
    sqlite3_bind_int(q, i++, h->gpu_count);
    sqlite3_bind_int64(q, i++, h->total_mgb);
    sqlite3_bind_int64(q, i++, h->reported_free_mgb);
    sqlite3_bind_int64(q, i++, h->reserved_mgb);
    sqlite3_bind_int64(q, i++, h->cost_per_hour);
    sq_bind_text(q, i++, h->country);
    sq_bind_text(q, i++, h->province);
    sq_bind_hoststate(q, i++, h->status);
    sqlite3_bind_int(q, i++, h->admitted);
    if (h->admission_details)
        sq_bind_text(q, i++, h->admission_details);
    else
        sqlite3_bind_null(q, i++);
    sq_bind_text(q, i++, h->recommended_runtime);
    sq_bind_text(q, i++, h->versions ? h->versions : "{}");
    sq_bind_text(q, i++, h->runtimes ? h->runtimes : "[]");
    sqlite3_bind_int64(q, i++, h->registered_at);
    sqlite3_bind_int64(q, i++, h->last_seen);
    sq_bind_opt(q, i++, h->has_latency, h->latency_ms);
    sqlite3_bind_int(q, i++, h->autoscaled);
    sq_bind_opt(q, i++, h->has_score, h->compute_score);
    sq_bind_text(q, i++, h->verification_state);
    sq_bind_text(q, i++, h->trust_tier);
    sq_bind_text(q, i++, h->sla_tier);
    sqlite3_bind_int(q, i++, h->reverify_due);
    sqlite3_bind_int(q, i++, h->simulated);
    sq_bind_text(q, i++, h->corporation_name);
    sq_bind_text(q, i++, h->business_number);
    sq_bind_text(q, i++, h->gst_hst_number);
    sq_bind_text(q, i++, h->legal_name);
}

static void host_read(sqlite3_stmt *q, struct host *h)
{
    memset(h, 0, sizeof *h);
    int i = 0;
    sq_col_copy(q, i++, h->host_id, sizeof h->host_id);
    sq_col_copy(q, i++, h->owner, sizeof h->owner);
    sq_col_copy(q, i++, h->ip, sizeof h->ip);
    sq_col_copy(q, i++, h->gpu_model, sizeof h->gpu_model);
    h->gpu_count = sqlite3_column_int(q, i++);
    h->total_mgb = sqlite3_column_int64(q, i++);
    h->reported_free_mgb = sqlite3_column_int64(q, i++);
    h->reserved_mgb = sqlite3_column_int64(q, i++);
    h->cost_per_hour = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, h->country, sizeof h->country);
    sq_col_copy(q, i++, h->province, sizeof h->province);
    h->status = sq_col_hoststate(q, i++);
    h->admitted = sqlite3_column_int(q, i++) != 0;
    h->admission_details = sq_col_dup(q, i++, NULL);
    sq_col_copy(q, i++, h->recommended_runtime, sizeof h->recommended_runtime);
    h->versions = sq_col_dup(q, i++, "{}");
    h->runtimes = sq_col_dup(q, i++, "[]");
    h->registered_at = sqlite3_column_int64(q, i++);
    h->last_seen = sqlite3_column_int64(q, i++);
    h->has_latency = sqlite3_column_type(q, i) != SQLITE_NULL;
    h->latency_ms = sqlite3_column_int(q, i++);
    h->autoscaled = sqlite3_column_int(q, i++) != 0;
    h->has_score = sqlite3_column_type(q, i) != SQLITE_NULL;
    h->compute_score = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, h->verification_state, sizeof h->verification_state);
    sq_col_copy(q, i++, h->trust_tier, sizeof h->trust_tier);
    sq_col_copy(q, i++, h->sla_tier, sizeof h->sla_tier);
    h->reverify_due = sqlite3_column_int(q, i++) != 0;
    h->simulated = sqlite3_column_int(q, i++) != 0;
    sq_col_copy(q, i++, h->corporation_name, sizeof h->corporation_name);
    sq_col_copy(q, i++, h->business_number, sizeof h->business_number);
    sq_col_copy(q, i++, h->gst_hst_number, sizeof h->gst_hst_number);
    sq_col_copy(q, i++, h->legal_name, sizeof h->legal_name);
}

int store_host_get(struct store *s, const char *host_id, struct host *out)
{
    return sq_get_one(s, SQL_HOST_GET, host_id, host_read_v, out, "host get");
}

int store_host_put(struct store *s, const struct host *h)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_HOST_PUT);
    int rc = XC_EDB;
    sq_hosts_changed(s);
    if (q) {
        host_bind(q, h);
        rc = sq_exec(s, q, "host put");
    }
    sq_release(s);
    return rc;
}

int store_host_delete(struct store *s, const char *host_id)
{
    sq_hosts_changed(s);
    return sq_delete_by_id(s, SQL_HOST_DEL, host_id, "host delete");
}

static void host_read_v(sqlite3_stmt *q, void *p) { host_read(q, p); }

int store_host_list(struct store *s, bool active_only, struct host **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, active_only ? SQL_HOST_ACTIVE : SQL_HOST_ALL);
    int rc = q ? sq_collect(s, q, sizeof **out, host_read_v, (void **)out, n, "host list") : XC_EDB;
    sq_release(s);
    return rc;
}

int store_host_page(struct store *s, bool active_only, int64_t after_registered, const char *after_id, int limit,
                    struct host **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, active_only ? SQL_HOST_PAGE_ACTIVE : SQL_HOST_PAGE);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, after_id ? after_registered : INT64_MIN);
        sq_bind_text(q, 2, after_id ? after_id : "");
        sqlite3_bind_int(q, 3, limit > 0 ? limit : -1);
        rc = sq_collect(s, q, sizeof **out, host_read_v, (void **)out, n, "host page");
    }
    sq_release(s);
    return rc;
}

int store_host_counts(struct store *s, int64_t counts[HOST__COUNT])
{
    memset(counts, 0, HOST__COUNT * sizeof counts[0]);
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_HOST_COUNT);
    int rc = XC_EDB, r;
    if (q) {
        while ((r = sqlite3_step(q)) == SQLITE_ROW)
            counts[sq_col_hoststate(q, 0)] += sqlite3_column_int64(q, 1);
        sqlite3_reset(q);
        rc = r == SQLITE_DONE ? 0 : sq_err(s, "host counts");
    }
    sq_release(s);
    return rc;
}

/* ---- agent tokens ---- */

int store_agent_token_put(struct store *s, const char *hash_hex, const char *host_id, int64_t at)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_TOKEN_PUT);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, hash_hex);
        sq_bind_text(q, 2, host_id);
        sqlite3_bind_int64(q, 3, at);
        rc = sq_exec(s, q, "token put");
    }
    sq_release(s);
    return rc;
}

int store_agent_token_host(struct store *s, const char *hash_hex, char host_id[65])
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_TOKEN_HOST);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, hash_hex);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            sq_col_copy(q, 0, host_id, 65);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? XC_ENOTFOUND : sq_err(s, "token get");
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

int store_agent_tokens_revoke(struct store *s, const char *host_id)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_TOKEN_REVOKE);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, host_id);
        rc = sq_exec(s, q, "token revoke");
    }
    sq_release(s);
    return rc;
}

/* ---- autoscale pool ---- */

static void pool_read(sqlite3_stmt *q, void *p)
{
    struct pool_entry *e = p;
    memset(e, 0, sizeof *e);
    sq_col_copy(q, 0, e->host_id, sizeof e->host_id);
    sq_col_copy(q, 1, e->ip, sizeof e->ip);
    sq_col_copy(q, 2, e->gpu_model, sizeof e->gpu_model);
    e->vram_mgb = sqlite3_column_int64(q, 3);
    e->gpu_count = sqlite3_column_int(q, 4);
    e->cost_per_hour = sqlite3_column_int64(q, 5);
    sq_col_copy(q, 6, e->country, sizeof e->country);
    sq_col_copy(q, 7, e->province, sizeof e->province);
    e->provisioned = sqlite3_column_int(q, 8) != 0;
    e->provisioned_at = sqlite3_column_int64(q, 9);
}

int store_pool_put(struct store *s, const struct pool_entry *p)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_POOL_PUT);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, p->host_id);
        sq_bind_text(q, 2, p->ip);
        sq_bind_text(q, 3, p->gpu_model);
        sqlite3_bind_int64(q, 4, p->vram_mgb);
        sqlite3_bind_int(q, 5, p->gpu_count);
        sqlite3_bind_int64(q, 6, p->cost_per_hour);
        sq_bind_text(q, 7, p->country);
        sq_bind_text(q, 8, p->province);
        sqlite3_bind_int(q, 9, p->provisioned);
        sq_bind_ts(q, 10, p->provisioned_at);
        rc = sq_exec(s, q, "pool put");
    }
    sq_release(s);
    return rc;
}

int store_pool_get(struct store *s, const char *host_id, struct pool_entry *out)
{
    return sq_get_one(s, SQL_POOL_GET, host_id, pool_read, out, "pool get");
}

int store_pool_delete(struct store *s, const char *host_id)
{
    return sq_delete_by_id(s, SQL_POOL_DEL, host_id, "pool delete");
}

int store_pool_list(struct store *s, struct pool_entry **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_POOL_ALL);
    int rc = q ? sq_collect(s, q, sizeof **out, pool_read, (void **)out, n, "pool list") : XC_EDB;
    sq_release(s);
    return rc;
}
