/* SQLite backend of store.h: one connection in WAL mode behind a recursive mutex (the single
 * writer of domain §29; SQLite's own mutexes are off because this lock serialises every use),
 * prepared statements cached per statement kind. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "common/embedded.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

#define HOST_COLS                                                                                   \
    "host_id,owner,ip,gpu_model,gpu_count,total_mgb,reported_free_mgb,reserved_mgb,cost_per_hour," \
    "country,province,status,admitted,admission_details,recommended_runtime,versions,runtimes,"   \
    "registered_at,last_seen,latency_ms,autoscaled,compute_score,verification_state,trust_tier,"  \
    "sla_tier,reverify_due,simulated,corporation_name,business_number,gst_hst_number,legal_name"
#define HOST_PARAMS "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"

#define JOB_COLS                                                                                   \
    "job_id,name,owner,vram_mgb,num_gpus,priority,tier,trust_tier,spot,max_bid,image,command,"    \
    "environment,nfs_server,nfs_path,nfs_mount_point,max_duration_ms,status,host_id,lease_id,"    \
    "rate_per_hour,vram_reserved_mgb,submitted_at,assigned_at,started_at,completed_at,retries,"   \
    "max_retries,attempt,exit_code,failure_reason,failure_class,stop_requested,stop_requested_at," \
    "preempted_at,hold_reason,pending_reason,avoid_hosts"
#define JOB_UPDATE                                                                                  \
    "name=excluded.name,owner=excluded.owner,vram_mgb=excluded.vram_mgb," \
    "num_gpus=excluded.num_gpus,priority=excluded.priority,tier=excluded.tier," \
    "trust_tier=excluded.trust_tier,spot=excluded.spot,max_bid=excluded.max_bid," \
    "image=excluded.image,command=excluded.command,environment=excluded.environment," \
    "nfs_server=excluded.nfs_server,nfs_path=excluded.nfs_path," \
    "nfs_mount_point=excluded.nfs_mount_point,max_duration_ms=excluded.max_duration_ms," \
    "status=excluded.status,host_id=excluded.host_id,lease_id=excluded.lease_id," \
    "rate_per_hour=excluded.rate_per_hour,vram_reserved_mgb=excluded.vram_reserved_mgb," \
    "submitted_at=excluded.submitted_at,assigned_at=excluded.assigned_at," \
    "started_at=excluded.started_at,completed_at=excluded.completed_at,retries=excluded.retries," \
    "max_retries=excluded.max_retries,attempt=excluded.attempt,exit_code=excluded.exit_code," \
    "failure_reason=excluded.failure_reason,failure_class=excluded.failure_class," \
    "stop_requested=excluded.stop_requested,stop_requested_at=excluded.stop_requested_at," \
    "preempted_at=excluded.preempted_at,hold_reason=excluded.hold_reason," \
    "pending_reason=excluded.pending_reason,avoid_hosts=excluded.avoid_hosts"
#define JOB_PARAMS "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"

#define POOL_COLS "host_id,ip,gpu_model,vram_mgb,gpu_count,cost_per_hour,country,province,provisioned,provisioned_at"

enum stmt_id {
    ST_HOST_GET,
    ST_HOST_PUT,
    ST_HOST_DEL,
    ST_HOST_ALL,
    ST_HOST_ACTIVE,
    ST_HOST_PAGE,
    ST_HOST_PAGE_ACTIVE,
    ST_HOST_COUNT,
    ST_JOB_GET,
    ST_JOB_PUT,
    ST_JOB_ACTIVE_ON_HOST,
    ST_JOB_COUNTS,
    ST_JOB_ASSIGN,
    ST_JOB_BRIEF,
    ST_JOB_PENDING,
    ST_HOST_RESERVE,
    ST_RUN_START,
    ST_RUN_END,
    ST_LEASE_PUT,
    ST_LEASE_ACTIVE,
    ST_LEASE_EXPIRED,
    ST_TOKEN_PUT,
    ST_TOKEN_HOST,
    ST_TOKEN_REVOKE,
    ST_LOG_PUT,
    ST_LOG_TRIM,
    ST_LOG_COUNT,
    ST_LOG_TAIL,
    ST_EV_HEAD,
    ST_EV_PUT,
    ST_EV_HEAD_PUT,
    ST_EV_ENTITY,
    ST_EV_TYPE,
    ST_SET_GET,
    ST_SET_PUT,
    ST_POOL_PUT,
    ST_POOL_GET,
    ST_POOL_DEL,
    ST_POOL_ALL,
    ST_HEALTH,
    ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_HOST_GET] = "SELECT " HOST_COLS " FROM hosts WHERE host_id=?",
    [ST_HOST_PUT] = "INSERT OR REPLACE INTO hosts(" HOST_COLS ") VALUES(" HOST_PARAMS ")",
    [ST_HOST_DEL] = "DELETE FROM hosts WHERE host_id=?",
    [ST_HOST_ALL] = "SELECT " HOST_COLS " FROM hosts ORDER BY registered_at, host_id",
    [ST_HOST_ACTIVE] = "SELECT " HOST_COLS " FROM hosts WHERE status='active' ORDER BY registered_at, host_id",
    [ST_HOST_PAGE] = "SELECT " HOST_COLS " FROM hosts WHERE (registered_at, host_id) > (?1, ?2) "
                     "ORDER BY registered_at, host_id LIMIT ?3",
    [ST_HOST_PAGE_ACTIVE] = "SELECT " HOST_COLS " FROM hosts WHERE status='active' AND (registered_at, host_id) > "
                            "(?1, ?2) ORDER BY registered_at, host_id LIMIT ?3",
    [ST_HOST_COUNT] = "SELECT status, count(*) FROM hosts GROUP BY status",
    [ST_JOB_GET] = "SELECT " JOB_COLS " FROM jobs WHERE job_id=?",
    /* An upsert, not INSERT OR REPLACE: a replace deletes the row without firing the delete
     * trigger that keeps job_status_counts. */
    [ST_JOB_PUT] = "INSERT INTO jobs(" JOB_COLS ") VALUES(" JOB_PARAMS ") ON CONFLICT(job_id) DO UPDATE SET "
                   JOB_UPDATE,
    [ST_JOB_ACTIVE_ON_HOST] = "SELECT " JOB_COLS " FROM jobs WHERE host_id=? AND status IN "
                              "('assigned','leased','running') ORDER BY assigned_at, job_id",
    [ST_JOB_COUNTS] = "SELECT status, n FROM job_status_counts",
    [ST_JOB_ASSIGN] = "UPDATE jobs SET status='assigned', host_id=?2, assigned_at=?3, rate_per_hour=?4, "
                      "vram_reserved_mgb=vram_mgb, hold_reason='', pending_reason='' WHERE job_id=?1 AND status='queued'",
    [ST_JOB_BRIEF] = "SELECT job_id,'',priority,submitted_at,num_gpus,vram_mgb,trust_tier,spot,max_bid,owner,"
                     "hold_reason,pending_reason,avoid_hosts FROM jobs WHERE status='queued' "
                     "ORDER BY priority DESC, submitted_at, job_id LIMIT ?",
    [ST_JOB_PENDING] = "UPDATE jobs SET hold_reason=?2, pending_reason=?3 WHERE job_id=?1",
    [ST_HOST_RESERVE] = "UPDATE hosts SET reserved_mgb=max(0, reserved_mgb + ?2) WHERE host_id=?1",
    [ST_RUN_START] = "INSERT OR REPLACE INTO job_runs(job_id,attempt,host_id,started_at) VALUES(?,?,?,?)",
    [ST_RUN_END] = "UPDATE job_runs SET ended_at=?, final_status=? WHERE job_id=? AND attempt=? AND ended_at IS NULL",
    /* An upsert on the lease id only: a second active lease for a job hits the partial unique
     * index and fails, instead of silently replacing the first. */
    [ST_LEASE_PUT] = "INSERT INTO leases(lease_id,job_id,host_id,granted_at,expires_at,last_renewed,"
                     "duration_sec,status) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(lease_id) DO UPDATE SET "
                     "expires_at=excluded.expires_at, last_renewed=excluded.last_renewed, status=excluded.status",
    [ST_LEASE_ACTIVE] = "SELECT lease_id,job_id,host_id,granted_at,expires_at,last_renewed,duration_sec,status "
                        "FROM leases WHERE job_id=? AND status='active'",
    [ST_LEASE_EXPIRED] = "SELECT lease_id,job_id,host_id,granted_at,expires_at,last_renewed,duration_sec,status "
                         "FROM leases WHERE status='active' AND expires_at<? ORDER BY expires_at",
    [ST_TOKEN_PUT] = "INSERT INTO agent_tokens(token_hash,host_id,created_at) VALUES(?,?,?)",
    [ST_TOKEN_HOST] = "SELECT host_id FROM agent_tokens WHERE token_hash=? AND revoked=0",
    [ST_TOKEN_REVOKE] = "UPDATE agent_tokens SET revoked=1 WHERE host_id=?",
    [ST_LOG_PUT] = "INSERT INTO job_logs(job_id,ts,level,line) VALUES(?,?,?,?)",
    [ST_LOG_TRIM] = "DELETE FROM job_logs WHERE job_id=?1 AND id <= (SELECT id FROM job_logs WHERE job_id=?1 "
                    "ORDER BY id DESC LIMIT 1 OFFSET 500)",
    [ST_LOG_COUNT] = "SELECT count(*) FROM job_logs WHERE job_id=?",
    [ST_LOG_TAIL] = "SELECT ts,level,line FROM (SELECT id,ts,level,line FROM job_logs WHERE job_id=? "
                    "ORDER BY id DESC LIMIT ?) ORDER BY id",
    [ST_EV_HEAD] = "SELECT head_seq, head_hash, head_mac FROM event_head WHERE id=1",
    [ST_EV_PUT] = "INSERT INTO events(seq,event_id,event_type,entity_type,entity_id,ts_us,actor,data,metadata,"
                  "prev_hash,event_hash) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    [ST_EV_HEAD_PUT] = "INSERT OR REPLACE INTO event_head(id,head_seq,head_hash,head_mac) VALUES(1,?,?,?)",
    [ST_EV_ENTITY] = "SELECT seq,event_id,event_type,entity_type,entity_id,ts_us,actor,data,metadata,prev_hash,"
                     "event_hash FROM events WHERE entity_type=? AND entity_id=? ORDER BY seq LIMIT ?",
    [ST_EV_TYPE] = "SELECT seq,event_id,event_type,entity_type,entity_id,ts_us,actor,data,metadata,prev_hash,"
                   "event_hash FROM events WHERE (?1 IS NULL OR entity_type=?1) ORDER BY seq LIMIT ?2",
    [ST_SET_GET] = "SELECT value FROM settings WHERE key=?",
    [ST_SET_PUT] = "INSERT OR REPLACE INTO settings(key,value) VALUES(?,?)",
    [ST_POOL_PUT] = "INSERT OR REPLACE INTO autoscale_pool(" POOL_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)",
    [ST_POOL_GET] = "SELECT " POOL_COLS " FROM autoscale_pool WHERE host_id=?",
    [ST_POOL_DEL] = "DELETE FROM autoscale_pool WHERE host_id=?",
    [ST_POOL_ALL] = "SELECT " POOL_COLS " FROM autoscale_pool ORDER BY host_id",
    [ST_HEALTH] = "INSERT INTO healthcheck(id,checked_at) VALUES(1,?) ON CONFLICT(id) DO UPDATE SET checked_at=excluded.checked_at",
};


static sqlite3_stmt *stmt(struct store *s, enum stmt_id id) { return sq_stmt(s, stmt_sql[id]); }
static int db_err(struct store *s, const char *what) { return sq_err(s, what); }
static int exec_done(struct store *s, sqlite3_stmt *q, const char *what) { return sq_exec(s, q, what); }
static int get_one(struct store *s, enum stmt_id id, const char *key, void (*read)(sqlite3_stmt *, void *), void *out,
                   const char *what);
static void host_read_v(sqlite3_stmt *q, void *p);
static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
    sqlite3_bind_text(q, i, v ? v : "", -1, SQLITE_STATIC);
}

static void bind_opt_i64(sqlite3_stmt *q, int i, bool has, int64_t v)
{
    if (has)
        sqlite3_bind_int64(q, i, v);
    else
        sqlite3_bind_null(q, i);
}

static void bind_ts(sqlite3_stmt *q, int i, int64_t v)
{
    bind_opt_i64(q, i, v != 0, v);
}

static void col_copy(sqlite3_stmt *q, int i, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static char *col_dup(sqlite3_stmt *q, int i, const char *dflt)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    if (!t)
        return dflt ? xstrdup(dflt) : NULL;
    return xstrdup((const char *)t);
}


int store_healthcheck(struct store *s, int64_t now_us)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_HEALTH);
    int rc = q ? XC_OK : XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, now_us);
        rc = exec_done(s, q, "healthcheck");
    }
    sq_release(s);
    return rc;
}


/* ---- hosts ---- */

static void host_bind(sqlite3_stmt *q, const struct host *h)
{
    int i = 1;
    bind_text(q, i++, h->host_id);
    bind_text(q, i++, h->owner);
    bind_text(q, i++, h->ip);
    bind_text(q, i++, h->gpu_model);
    sqlite3_bind_int(q, i++, h->gpu_count);
    sqlite3_bind_int64(q, i++, h->total_mgb);
    sqlite3_bind_int64(q, i++, h->reported_free_mgb);
    sqlite3_bind_int64(q, i++, h->reserved_mgb);
    sqlite3_bind_int64(q, i++, h->cost_per_hour);
    bind_text(q, i++, h->country);
    bind_text(q, i++, h->province);
    sq_bind_hoststate(q, i++, h->status);
    sqlite3_bind_int(q, i++, h->admitted);
    if (h->admission_details)
        bind_text(q, i++, h->admission_details);
    else
        sqlite3_bind_null(q, i++);
    bind_text(q, i++, h->recommended_runtime);
    bind_text(q, i++, h->versions ? h->versions : "{}");
    bind_text(q, i++, h->runtimes ? h->runtimes : "[]");
    sqlite3_bind_int64(q, i++, h->registered_at);
    sqlite3_bind_int64(q, i++, h->last_seen);
    bind_opt_i64(q, i++, h->has_latency, h->latency_ms);
    sqlite3_bind_int(q, i++, h->autoscaled);
    bind_opt_i64(q, i++, h->has_score, h->compute_score);
    bind_text(q, i++, h->verification_state);
    bind_text(q, i++, h->trust_tier);
    bind_text(q, i++, h->sla_tier);
    sqlite3_bind_int(q, i++, h->reverify_due);
    sqlite3_bind_int(q, i++, h->simulated);
    bind_text(q, i++, h->corporation_name);
    bind_text(q, i++, h->business_number);
    bind_text(q, i++, h->gst_hst_number);
    bind_text(q, i++, h->legal_name);
}

static void host_read(sqlite3_stmt *q, struct host *h)
{
    memset(h, 0, sizeof *h);
    int i = 0;
    col_copy(q, i++, h->host_id, sizeof h->host_id);
    col_copy(q, i++, h->owner, sizeof h->owner);
    col_copy(q, i++, h->ip, sizeof h->ip);
    col_copy(q, i++, h->gpu_model, sizeof h->gpu_model);
    h->gpu_count = sqlite3_column_int(q, i++);
    h->total_mgb = sqlite3_column_int64(q, i++);
    h->reported_free_mgb = sqlite3_column_int64(q, i++);
    h->reserved_mgb = sqlite3_column_int64(q, i++);
    h->cost_per_hour = sqlite3_column_int64(q, i++);
    col_copy(q, i++, h->country, sizeof h->country);
    col_copy(q, i++, h->province, sizeof h->province);
    h->status = sq_col_hoststate(q, i++);
    h->admitted = sqlite3_column_int(q, i++) != 0;
    h->admission_details = col_dup(q, i++, NULL);
    col_copy(q, i++, h->recommended_runtime, sizeof h->recommended_runtime);
    h->versions = col_dup(q, i++, "{}");
    h->runtimes = col_dup(q, i++, "[]");
    h->registered_at = sqlite3_column_int64(q, i++);
    h->last_seen = sqlite3_column_int64(q, i++);
    h->has_latency = sqlite3_column_type(q, i) != SQLITE_NULL;
    h->latency_ms = sqlite3_column_int(q, i++);
    h->autoscaled = sqlite3_column_int(q, i++) != 0;
    h->has_score = sqlite3_column_type(q, i) != SQLITE_NULL;
    h->compute_score = sqlite3_column_int64(q, i++);
    col_copy(q, i++, h->verification_state, sizeof h->verification_state);
    col_copy(q, i++, h->trust_tier, sizeof h->trust_tier);
    col_copy(q, i++, h->sla_tier, sizeof h->sla_tier);
    h->reverify_due = sqlite3_column_int(q, i++) != 0;
    h->simulated = sqlite3_column_int(q, i++) != 0;
    col_copy(q, i++, h->corporation_name, sizeof h->corporation_name);
    col_copy(q, i++, h->business_number, sizeof h->business_number);
    col_copy(q, i++, h->gst_hst_number, sizeof h->gst_hst_number);
    col_copy(q, i++, h->legal_name, sizeof h->legal_name);
}

int store_host_get(struct store *s, const char *host_id, struct host *out)
{
    return get_one(s, ST_HOST_GET, host_id, host_read_v, out, "host get");
}

int store_host_put(struct store *s, const struct host *h)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_HOST_PUT);
    int rc = XC_EDB;
    sq_hosts_changed(s);
    if (q) {
        host_bind(q, h);
        rc = exec_done(s, q, "host put");
    }
    sq_release(s);
    return rc;
}

static int delete_by_id(struct store *s, enum stmt_id id, const char *key, const char *what)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, id);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, key);
        rc = exec_done(s, q, what);
        if (rc == 0 && sqlite3_changes(sq_db(s)) == 0)
            rc = XC_ENOTFOUND;
    }
    sq_release(s);
    return rc;
}

int store_host_delete(struct store *s, const char *host_id)
{
    sq_hosts_changed(s);
    return delete_by_id(s, ST_HOST_DEL, host_id, "host delete");
}

/* Collects rows of a prepared, bound statement into a growing array of `size`-byte records. */
static int collect(struct store *s, sqlite3_stmt *q, size_t size, void (*read)(sqlite3_stmt *, void *), void **out,
                   size_t *n, const char *what)
{
    size_t cap = 16, len = 0;
    char *arr = xmalloc(cap * size);
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        if (len == cap) {
            cap *= 2;
            arr = xrealloc(arr, cap * size);
        }
        read(q, arr + len * size);
        len++;
    }
    sqlite3_reset(q);
    if (r != SQLITE_DONE) {
        free(arr);
        return db_err(s, what);
    }
    *out = arr;
    *n = len;
    return 0;
}

/* Runs a statement taking one text key and reads its single row with read(): 0, XC_ENOTFOUND
 * when there is none, XC_EDB on error. */
static int get_one(struct store *s, enum stmt_id id, const char *key, void (*read)(sqlite3_stmt *, void *), void *out,
                   const char *what)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB;
    sqlite3_stmt *q = stmt(s, id);
    if (q) {
        bind_text(q, 1, key);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            read(q, out);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? XC_ENOTFOUND : db_err(s, what);
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

static void host_read_v(sqlite3_stmt *q, void *p) { host_read(q, p); }

int store_host_list(struct store *s, bool active_only, struct host **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, active_only ? ST_HOST_ACTIVE : ST_HOST_ALL);
    int rc = q ? collect(s, q, sizeof **out, host_read_v, (void **)out, n, "host list") : XC_EDB;
    sq_release(s);
    return rc;
}

int store_host_page(struct store *s, bool active_only, int64_t after_registered, const char *after_id, int limit,
                    struct host **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, active_only ? ST_HOST_PAGE_ACTIVE : ST_HOST_PAGE);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, after_id ? after_registered : INT64_MIN);
        bind_text(q, 2, after_id ? after_id : "");
        sqlite3_bind_int(q, 3, limit > 0 ? limit : -1);
        rc = collect(s, q, sizeof **out, host_read_v, (void **)out, n, "host page");
    }
    sq_release(s);
    return rc;
}

int store_host_counts(struct store *s, int64_t counts[HOST__COUNT])
{
    memset(counts, 0, HOST__COUNT * sizeof counts[0]);
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_HOST_COUNT);
    int rc = XC_EDB, r;
    if (q) {
        while ((r = sqlite3_step(q)) == SQLITE_ROW)
            counts[sq_col_hoststate(q, 0)] += sqlite3_column_int64(q, 1);
        sqlite3_reset(q);
        rc = r == SQLITE_DONE ? 0 : db_err(s, "host counts");
    }
    sq_release(s);
    return rc;
}

/* ---- jobs ---- */

static void job_bind(sqlite3_stmt *q, const struct job *j)
{
    int i = 1;
    bind_text(q, i++, j->job_id);
    bind_text(q, i++, j->name);
    bind_text(q, i++, j->owner);
    sqlite3_bind_int64(q, i++, j->vram_mgb);
    sqlite3_bind_int(q, i++, j->num_gpus);
    sqlite3_bind_int(q, i++, j->priority);
    bind_text(q, i++, j->tier);
    bind_text(q, i++, j->trust_tier);
    sqlite3_bind_int(q, i++, j->spot);
    bind_opt_i64(q, i++, j->has_max_bid, j->max_bid);
    bind_text(q, i++, j->image);
    bind_text(q, i++, j->command ? j->command : "[]");
    bind_text(q, i++, j->environment ? j->environment : "{}");
    bind_text(q, i++, j->nfs_server);
    bind_text(q, i++, j->nfs_path);
    bind_text(q, i++, j->nfs_mount_point);
    bind_opt_i64(q, i++, j->has_max_duration, j->max_duration_ms);
    sq_bind_jobstate(q, i++, j->status);
    if (j->host_id[0])
        bind_text(q, i++, j->host_id);
    else
        sqlite3_bind_null(q, i++);
    if (j->lease_id[0])
        bind_text(q, i++, j->lease_id);
    else
        sqlite3_bind_null(q, i++);
    bind_opt_i64(q, i++, j->has_rate, j->rate_per_hour);
    sqlite3_bind_int64(q, i++, j->vram_reserved_mgb);
    sqlite3_bind_int64(q, i++, j->submitted_at);
    bind_ts(q, i++, j->assigned_at);
    bind_ts(q, i++, j->started_at);
    bind_ts(q, i++, j->completed_at);
    sqlite3_bind_int(q, i++, j->retries);
    sqlite3_bind_int(q, i++, j->max_retries);
    sqlite3_bind_int(q, i++, j->attempt);
    bind_opt_i64(q, i++, j->has_exit_code, j->exit_code);
    bind_text(q, i++, j->failure_reason);
    bind_text(q, i++, j->failure_class);
    sq_bind_stop(q, i++, j->has_stop_request, j->stop_requested);
    bind_ts(q, i++, j->stop_requested_at);
    bind_ts(q, i++, j->preempted_at);
    bind_text(q, i++, j->hold_reason);
    bind_text(q, i++, j->pending_reason);
    bind_text(q, i++, j->avoid_hosts ? j->avoid_hosts : "[]");
}

static void job_read(sqlite3_stmt *q, struct job *j)
{
    memset(j, 0, sizeof *j);
    int i = 0;
    col_copy(q, i++, j->job_id, sizeof j->job_id);
    col_copy(q, i++, j->name, sizeof j->name);
    col_copy(q, i++, j->owner, sizeof j->owner);
    j->vram_mgb = sqlite3_column_int64(q, i++);
    j->num_gpus = sqlite3_column_int(q, i++);
    j->priority = sqlite3_column_int(q, i++);
    col_copy(q, i++, j->tier, sizeof j->tier);
    col_copy(q, i++, j->trust_tier, sizeof j->trust_tier);
    j->spot = sqlite3_column_int(q, i++) != 0;
    j->has_max_bid = sqlite3_column_type(q, i) != SQLITE_NULL;
    j->max_bid = sqlite3_column_int64(q, i++);
    col_copy(q, i++, j->image, sizeof j->image);
    j->command = col_dup(q, i++, "[]");
    j->environment = col_dup(q, i++, "{}");
    col_copy(q, i++, j->nfs_server, sizeof j->nfs_server);
    col_copy(q, i++, j->nfs_path, sizeof j->nfs_path);
    col_copy(q, i++, j->nfs_mount_point, sizeof j->nfs_mount_point);
    j->has_max_duration = sqlite3_column_type(q, i) != SQLITE_NULL;
    j->max_duration_ms = sqlite3_column_int64(q, i++);
    j->status = sq_col_jobstate(q, i++);
    col_copy(q, i++, j->host_id, sizeof j->host_id);
    col_copy(q, i++, j->lease_id, sizeof j->lease_id);
    j->has_rate = sqlite3_column_type(q, i) != SQLITE_NULL;
    j->rate_per_hour = sqlite3_column_int64(q, i++);
    j->vram_reserved_mgb = sqlite3_column_int64(q, i++);
    j->submitted_at = sqlite3_column_int64(q, i++);
    j->assigned_at = sqlite3_column_int64(q, i++);
    j->started_at = sqlite3_column_int64(q, i++);
    j->completed_at = sqlite3_column_int64(q, i++);
    j->retries = sqlite3_column_int(q, i++);
    j->max_retries = sqlite3_column_int(q, i++);
    j->attempt = sqlite3_column_int(q, i++);
    j->has_exit_code = sqlite3_column_type(q, i) != SQLITE_NULL;
    j->exit_code = sqlite3_column_int(q, i++);
    col_copy(q, i++, j->failure_reason, sizeof j->failure_reason);
    col_copy(q, i++, j->failure_class, sizeof j->failure_class);
    j->has_stop_request = sq_col_stop(q, i++, &j->stop_requested);
    j->stop_requested_at = sqlite3_column_int64(q, i++);
    j->preempted_at = sqlite3_column_int64(q, i++);
    col_copy(q, i++, j->hold_reason, sizeof j->hold_reason);
    col_copy(q, i++, j->pending_reason, sizeof j->pending_reason);
    j->avoid_hosts = col_dup(q, i++, "[]");
}

static void job_read_v(sqlite3_stmt *q, void *p) { job_read(q, p); }

int store_job_get(struct store *s, const char *job_id, struct job *out)
{
    return get_one(s, ST_JOB_GET, job_id, job_read_v, out, "job get");
}

int store_job_put(struct store *s, const struct job *j)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_JOB_PUT);
    int rc = XC_EDB;
    if (q) {
        job_bind(q, j);
        rc = exec_done(s, q, "job put");
    }
    sq_release(s);
    return rc;
}

/* Every combination of the optional filters, with and without a keyset position, in both
 * orders: built once from fixed fragments (never from input) so that each is a cached statement
 * whose WHERE clause matches an index. Values are always bound: ?1 status, ?2 host_id, ?3 owner,
 * ?4 limit, ?5 offset, ?6/?7 the keyset position (submitted_at, job_id). */
enum { LF_STATUS = 1, LF_HOST = 2, LF_OWNER = 4, LF_AFTER = 8, LF_QUEUE = 16, LF__COUNT = 32 };
static char *list_sql[LF__COUNT], *count_sql[LF__COUNT];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void list_sql_build(void)
{
    for (int m = 0; m < LF__COUNT; m++) {
        char where[256] = "WHERE 1";
        if (m & LF_STATUS)
            strcat(where, " AND status=?1");
        if (m & LF_HOST)
            strcat(where, " AND host_id=?2");
        if (m & LF_OWNER)
            strcat(where, " AND owner=?3");
        count_sql[m] = xasprintf("SELECT count(*) FROM jobs %s", where);
        if (m & LF_AFTER)
            strcat(where, " AND (submitted_at, job_id) > (?6, ?7)");
        list_sql[m] = xasprintf("SELECT " JOB_COLS " FROM jobs %s ORDER BY %s LIMIT ?4 OFFSET ?5", where,
                                (m & LF_QUEUE) ? "priority DESC, submitted_at, job_id" : "submitted_at, job_id");
    }
}

static int job_total(struct store *s, const struct job_filter *f, int mask, int64_t *total)
{
    sqlite3_stmt *q;
    int r;
    if (!(mask & (LF_HOST | LF_OWNER))) {
        /* Kept by triggers: no scan. */
        if (!(q = stmt(s, ST_JOB_COUNTS)))
            return XC_EDB;
        *total = 0;
        while ((r = sqlite3_step(q)) == SQLITE_ROW)
            if (!f->has_status || sq_col_jobstate(q, 0) == f->status)
                *total += sqlite3_column_int64(q, 1);
        sqlite3_reset(q);
        return r == SQLITE_DONE ? 0 : db_err(s, "job count");
    }
    if (!(q = sq_stmt(s, count_sql[mask & (LF_STATUS | LF_HOST | LF_OWNER)])))
        return XC_EDB;
    if (f->has_status)
        sq_bind_jobstate(q, 1, f->status);
    if (f->host_id)
        bind_text(q, 2, f->host_id);
    if (f->owner)
        bind_text(q, 3, f->owner);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW)
        *total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return r == SQLITE_ROW ? 0 : db_err(s, "job count");
}

int store_job_list(struct store *s, const struct job_filter *f, struct job **out, size_t *n, int64_t *total)
{
    pthread_once(&list_once, list_sql_build);
    int mask = (f->has_status ? LF_STATUS : 0) | (f->host_id ? LF_HOST : 0) | (f->owner ? LF_OWNER : 0) |
               (f->after_id ? LF_AFTER : 0) | (f->queue_order ? LF_QUEUE : 0);
    if ((mask & LF_AFTER) && (mask & LF_QUEUE))
        return XC_EINVAL; /* keyset pages follow submission order only */
    int rc = XC_EDB;
    sq_acquire(s, SQ_READ);
    if (total && (rc = job_total(s, f, mask, total)) < 0)
        goto out;
    sqlite3_stmt *q = sq_stmt(s, list_sql[mask]);
    if (!q) {
        rc = XC_EDB;
        goto out;
    }
    if (f->has_status)
        sq_bind_jobstate(q, 1, f->status);
    if (f->host_id)
        bind_text(q, 2, f->host_id);
    if (f->owner)
        bind_text(q, 3, f->owner);
    sqlite3_bind_int64(q, 4, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(q, 5, f->offset > 0 ? f->offset : 0);
    if (f->after_id) {
        sqlite3_bind_int64(q, 6, f->after_submitted);
        bind_text(q, 7, f->after_id);
    }
    rc = collect(s, q, sizeof **out, job_read_v, (void **)out, n, "job list");
out:
    sq_release(s);
    return rc;
}

int store_jobs_active_on_host(struct store *s, const char *host_id, struct job **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_JOB_ACTIVE_ON_HOST);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, host_id);
        rc = collect(s, q, sizeof **out, job_read_v, (void **)out, n, "jobs on host");
    }
    sq_release(s);
    return rc;
}

int store_job_assign(struct store *s, const char *job_id, const char *host_id, int64_t at, int64_t rate)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_JOB_ASSIGN);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, job_id);
        bind_text(q, 2, host_id);
        sqlite3_bind_int64(q, 3, at);
        sqlite3_bind_int64(q, 4, rate);
        rc = exec_done(s, q, "job assign");
        if (rc == 0 && sqlite3_changes(sq_db(s)) == 0)
            rc = XC_ECONFLICT;
    }
    sq_release(s);
    return rc;
}

static void brief_read(sqlite3_stmt *q, void *p)
{
    struct job_brief *b = p;
    memset(b, 0, sizeof *b);
    col_copy(q, 0, b->job_id, sizeof b->job_id);
    b->priority = sqlite3_column_int(q, 2);
    b->submitted_at = sqlite3_column_int64(q, 3);
    b->num_gpus = sqlite3_column_int(q, 4);
    b->vram_mgb = sqlite3_column_int64(q, 5);
    col_copy(q, 6, b->trust_tier, sizeof b->trust_tier);
    b->spot = sqlite3_column_int(q, 7) != 0;
    b->max_bid = sqlite3_column_int64(q, 8);
    col_copy(q, 9, b->owner, sizeof b->owner);
    col_copy(q, 10, b->hold_reason, sizeof b->hold_reason);
    b->pending_hash = job_reason_hash((const char *)sqlite3_column_text(q, 11));
    const unsigned char *avoid = sqlite3_column_text(q, 12);
    b->avoid_hosts = avoid && strcmp((const char *)avoid, "[]") != 0 ? xstrdup((const char *)avoid) : NULL;
}

int store_jobs_queued_brief(struct store *s, int limit, struct job_brief **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_JOB_BRIEF);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int(q, 1, limit > 0 ? limit : -1);
        rc = collect(s, q, sizeof **out, brief_read, (void **)out, n, "queue read");
    }
    sq_release(s);
    return rc;
}

int store_job_set_pending(struct store *s, const char *job_id, const char *hold, const char *pending)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_JOB_PENDING);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, job_id);
        bind_text(q, 2, hold);
        bind_text(q, 3, pending);
        rc = exec_done(s, q, "job pending");
    }
    sq_release(s);
    return rc;
}

int store_host_reserve(struct store *s, const char *host_id, int64_t delta_mgb)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_HOST_RESERVE);
    int rc = XC_EDB;
    sq_hosts_changed(s);
    if (q) {
        bind_text(q, 1, host_id);
        sqlite3_bind_int64(q, 2, delta_mgb);
        rc = exec_done(s, q, "host reserve");
    }
    sq_release(s);
    return rc;
}

int store_job_counts(struct store *s, int64_t counts[JOB__COUNT])
{
    memset(counts, 0, JOB__COUNT * sizeof counts[0]);
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_JOB_COUNTS);
    int rc = XC_EDB, r;
    if (q) {
        while ((r = sqlite3_step(q)) == SQLITE_ROW) {
            enum jobstate st;
            if (sq_col_jobstate_opt(q, 0, &st))
                counts[st] = sqlite3_column_int64(q, 1);
        }
        sqlite3_reset(q);
        rc = r == SQLITE_DONE ? 0 : db_err(s, "job counts");
    }
    sq_release(s);
    return rc;
}

int store_run_start(struct store *s, const char *job_id, int attempt, const char *host_id, int64_t at)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_RUN_START);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, job_id);
        sqlite3_bind_int(q, 2, attempt);
        bind_text(q, 3, host_id);
        sqlite3_bind_int64(q, 4, at);
        rc = exec_done(s, q, "run start");
    }
    sq_release(s);
    return rc;
}

int store_run_end(struct store *s, const char *job_id, int attempt, int64_t at, enum jobstate final_status)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_RUN_END);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, at);
        sq_bind_jobstate(q, 2, final_status);
        bind_text(q, 3, job_id);
        sqlite3_bind_int(q, 4, attempt);
        rc = exec_done(s, q, "run end");
    }
    sq_release(s);
    return rc;
}

/* ---- leases ---- */

static void lease_read(sqlite3_stmt *q, void *p)
{
    struct lease *l = p;
    memset(l, 0, sizeof *l);
    col_copy(q, 0, l->lease_id, sizeof l->lease_id);
    col_copy(q, 1, l->job_id, sizeof l->job_id);
    col_copy(q, 2, l->host_id, sizeof l->host_id);
    l->granted_at = sqlite3_column_int64(q, 3);
    l->expires_at = sqlite3_column_int64(q, 4);
    l->last_renewed = sqlite3_column_int64(q, 5);
    l->duration_sec = sqlite3_column_int(q, 6);
    l->status = sq_col_leasestate(q, 7);
}

int store_lease_put(struct store *s, const struct lease *l)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_LEASE_PUT);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, l->lease_id);
        bind_text(q, 2, l->job_id);
        bind_text(q, 3, l->host_id);
        sqlite3_bind_int64(q, 4, l->granted_at);
        sqlite3_bind_int64(q, 5, l->expires_at);
        sqlite3_bind_int64(q, 6, l->last_renewed);
        sqlite3_bind_int(q, 7, l->duration_sec);
        sq_bind_leasestate(q, 8, l->status);
        rc = exec_done(s, q, "lease put");
    }
    sq_release(s);
    return rc;
}

int store_lease_active(struct store *s, const char *job_id, struct lease *out)
{
    return get_one(s, ST_LEASE_ACTIVE, job_id, lease_read, out, "lease get");
}

int store_leases_expired(struct store *s, int64_t cutoff, struct lease **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_LEASE_EXPIRED);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, cutoff);
        rc = collect(s, q, sizeof **out, lease_read, (void **)out, n, "leases expired");
    }
    sq_release(s);
    return rc;
}

/* ---- agent tokens ---- */

int store_agent_token_put(struct store *s, const char *hash_hex, const char *host_id, int64_t at)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_TOKEN_PUT);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, hash_hex);
        bind_text(q, 2, host_id);
        sqlite3_bind_int64(q, 3, at);
        rc = exec_done(s, q, "token put");
    }
    sq_release(s);
    return rc;
}

int store_agent_token_host(struct store *s, const char *hash_hex, char host_id[65])
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_TOKEN_HOST);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, hash_hex);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            col_copy(q, 0, host_id, 65);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? XC_ENOTFOUND : db_err(s, "token get");
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

int store_agent_tokens_revoke(struct store *s, const char *host_id)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_TOKEN_REVOKE);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, host_id);
        rc = exec_done(s, q, "token revoke");
    }
    sq_release(s);
    return rc;
}

/* ---- job logs ---- */

int store_job_log_append(struct store *s, const char *job_id, int64_t ts, const char *level, const char *line)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_LOG_PUT);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, job_id);
        sqlite3_bind_int64(q, 2, ts);
        bind_text(q, 3, level);
        bind_text(q, 4, line);
        rc = exec_done(s, q, "log put");
    }
    if (rc == 0 && (q = stmt(s, ST_LOG_TRIM))) {
        bind_text(q, 1, job_id);
        rc = exec_done(s, q, "log trim");
    }
    sq_release(s);
    return rc;
}

int store_job_logs(struct store *s, const char *job_id, int limit, store_log_cb cb, void *ctx, int64_t *total)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB, r;
    sqlite3_stmt *q = stmt(s, ST_LOG_COUNT);
    if (!q)
        goto out;
    bind_text(q, 1, job_id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        goto out;
    }
    if (total)
        *total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (!(q = stmt(s, ST_LOG_TAIL)))
        goto out;
    bind_text(q, 1, job_id);
    sqlite3_bind_int(q, 2, limit);
    while ((r = sqlite3_step(q)) == SQLITE_ROW)
        cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
           (const char *)sqlite3_column_text(q, 2));
    sqlite3_reset(q);
    rc = r == SQLITE_DONE ? 0 : db_err(s, "log tail");
out:
    sq_release(s);
    return rc;
}

/* ---- events ---- */

int store_event_head(struct store *s, int64_t *seq, char hash[65])
{
    char mac[65];
    return store_event_head_mac(s, seq, hash, mac);
}

int store_event_head_mac(struct store *s, int64_t *seq, char hash[65], char mac[65])
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_EV_HEAD);
    int rc = XC_EDB;
    if (q) {
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            *seq = sqlite3_column_int64(q, 0);
            col_copy(q, 1, hash, 65);
            col_copy(q, 2, mac, 65);
            rc = 0;
        } else if (r == SQLITE_DONE) {
            *seq = 0;
            memset(hash, '0', 64);
            hash[64] = '\0';
            mac[0] = '\0';
            rc = 0;
        } else {
            rc = db_err(s, "event head");
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

int store_event_append(struct store *s, const struct event_row *e, const char *head_mac)
{
    sq_acquire(s, SQ_WRITE);
    int rc = XC_EDB;
    sqlite3_stmt *q = stmt(s, ST_EV_PUT);
    if (q) {
        sqlite3_bind_int64(q, 1, e->seq);
        bind_text(q, 2, e->event_id);
        bind_text(q, 3, e->event_type);
        bind_text(q, 4, e->entity_type);
        bind_text(q, 5, e->entity_id);
        sqlite3_bind_int64(q, 6, e->ts_us);
        bind_text(q, 7, e->actor);
        bind_text(q, 8, e->data);
        bind_text(q, 9, e->metadata);
        bind_text(q, 10, e->prev_hash);
        bind_text(q, 11, e->event_hash);
        rc = exec_done(s, q, "event put");
    }
    if (rc == 0 && (q = stmt(s, ST_EV_HEAD_PUT))) {
        sqlite3_bind_int64(q, 1, e->seq);
        bind_text(q, 2, e->event_hash);
        bind_text(q, 3, head_mac);
        rc = exec_done(s, q, "event head put");
    }
    sq_release(s);
    return rc;
}

int store_events(struct store *s, const char *entity_type, const char *entity_id, int limit, store_event_cb cb,
                 void *ctx)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB, r;
    sqlite3_stmt *q = stmt(s, entity_id ? ST_EV_ENTITY : ST_EV_TYPE);
    if (!q)
        goto out;
    if (entity_id) {
        bind_text(q, 1, entity_type);
        bind_text(q, 2, entity_id);
        sqlite3_bind_int(q, 3, limit > 0 ? limit : -1);
    } else {
        if (entity_type)
            bind_text(q, 1, entity_type);
        sqlite3_bind_int(q, 2, limit > 0 ? limit : -1);
    }
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        struct event_row e = {0};
        e.seq = sqlite3_column_int64(q, 0);
        col_copy(q, 1, e.event_id, sizeof e.event_id);
        e.event_type = (const char *)sqlite3_column_text(q, 2);
        e.entity_type = (const char *)sqlite3_column_text(q, 3);
        e.entity_id = (const char *)sqlite3_column_text(q, 4);
        e.ts_us = sqlite3_column_int64(q, 5);
        e.actor = (const char *)sqlite3_column_text(q, 6);
        e.data = (const char *)sqlite3_column_text(q, 7);
        e.metadata = (const char *)sqlite3_column_text(q, 8);
        col_copy(q, 9, e.prev_hash, sizeof e.prev_hash);
        col_copy(q, 10, e.event_hash, sizeof e.event_hash);
        if (cb(ctx, &e) != 0)
            break;
    }
    sqlite3_reset(q);
    rc = 0;
out:
    sq_release(s);
    return rc;
}

/* ---- settings ---- */

int store_setting_get(struct store *s, const char *key, char *buf, size_t n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_SET_GET);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, key);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            col_copy(q, 0, buf, n);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? XC_ENOTFOUND : db_err(s, "setting get");
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

int store_setting_set(struct store *s, const char *key, const char *value)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_SET_PUT);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, key);
        bind_text(q, 2, value);
        rc = exec_done(s, q, "setting put");
    }
    sq_release(s);
    return rc;
}

/* ---- autoscale pool ---- */

static void pool_read(sqlite3_stmt *q, void *p)
{
    struct pool_entry *e = p;
    memset(e, 0, sizeof *e);
    col_copy(q, 0, e->host_id, sizeof e->host_id);
    col_copy(q, 1, e->ip, sizeof e->ip);
    col_copy(q, 2, e->gpu_model, sizeof e->gpu_model);
    e->vram_mgb = sqlite3_column_int64(q, 3);
    e->gpu_count = sqlite3_column_int(q, 4);
    e->cost_per_hour = sqlite3_column_int64(q, 5);
    col_copy(q, 6, e->country, sizeof e->country);
    col_copy(q, 7, e->province, sizeof e->province);
    e->provisioned = sqlite3_column_int(q, 8) != 0;
    e->provisioned_at = sqlite3_column_int64(q, 9);
}

int store_pool_put(struct store *s, const struct pool_entry *p)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = stmt(s, ST_POOL_PUT);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, p->host_id);
        bind_text(q, 2, p->ip);
        bind_text(q, 3, p->gpu_model);
        sqlite3_bind_int64(q, 4, p->vram_mgb);
        sqlite3_bind_int(q, 5, p->gpu_count);
        sqlite3_bind_int64(q, 6, p->cost_per_hour);
        bind_text(q, 7, p->country);
        bind_text(q, 8, p->province);
        sqlite3_bind_int(q, 9, p->provisioned);
        bind_ts(q, 10, p->provisioned_at);
        rc = exec_done(s, q, "pool put");
    }
    sq_release(s);
    return rc;
}

int store_pool_get(struct store *s, const char *host_id, struct pool_entry *out)
{
    return get_one(s, ST_POOL_GET, host_id, pool_read, out, "pool get");
}

int store_pool_delete(struct store *s, const char *host_id)
{
    return delete_by_id(s, ST_POOL_DEL, host_id, "pool delete");
}

int store_pool_list(struct store *s, struct pool_entry **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = stmt(s, ST_POOL_ALL);
    int rc = q ? collect(s, q, sizeof **out, pool_read, (void **)out, n, "pool list") : XC_EDB;
    sq_release(s);
    return rc;
}
