/* SQLite backend of store.h: Jobs, their run intervals, leases and log lines. Every statement is one of the static SQL strings
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

static const char SQL_JOB_GET[] = "SELECT " JOB_COLS " FROM jobs WHERE job_id=?";
/* An upsert, not INSERT OR REPLACE: a replace deletes the row without firing the delete
     * trigger that keeps job_status_counts. */
static const char SQL_JOB_PUT[] = "INSERT INTO jobs(" JOB_COLS ") VALUES(" JOB_PARAMS ") ON CONFLICT(job_id) DO UPDATE SET "
                   JOB_UPDATE;
static const char SQL_JOB_ACTIVE_ON_HOST[] = "SELECT " JOB_COLS " FROM jobs WHERE host_id=? AND status IN "
                              "('assigned','leased','running') ORDER BY assigned_at, job_id";
static const char SQL_JOB_COUNTS[] = "SELECT status, n FROM job_status_counts";
static const char SQL_JOB_ASSIGN[] = "UPDATE jobs SET status='assigned', host_id=?2, assigned_at=?3, rate_per_hour=?4, "
                      "vram_reserved_mgb=vram_mgb, hold_reason='', pending_reason='' WHERE job_id=?1 AND status='queued'";
static const char SQL_JOB_BRIEF[] = "SELECT job_id,'',priority,submitted_at,num_gpus,vram_mgb,trust_tier,spot,max_bid,owner,"
                     "hold_reason,pending_reason,avoid_hosts FROM jobs WHERE status='queued' "
                     "ORDER BY priority DESC, submitted_at, job_id LIMIT ?";
static const char SQL_JOB_PENDING[] = "UPDATE jobs SET hold_reason=?2, pending_reason=?3 WHERE job_id=?1";
static const char SQL_HOST_RESERVE[] = "UPDATE hosts SET reserved_mgb=max(0, reserved_mgb + ?2) WHERE host_id=?1";
static const char SQL_RUN_START[] = "INSERT OR REPLACE INTO job_runs(job_id,attempt,host_id,started_at) VALUES(?,?,?,?)";
static const char SQL_RUN_END[] = "UPDATE job_runs SET ended_at=?, final_status=? WHERE job_id=? AND attempt=? AND ended_at IS NULL";
/* An upsert on the lease id only: a second active lease for a job hits the partial unique
     * index and fails, instead of silently replacing the first. */
static const char SQL_LEASE_PUT[] = "INSERT INTO leases(lease_id,job_id,host_id,granted_at,expires_at,last_renewed,"
                     "duration_sec,status) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(lease_id) DO UPDATE SET "
                     "expires_at=excluded.expires_at, last_renewed=excluded.last_renewed, status=excluded.status";
static const char SQL_LEASE_ACTIVE[] = "SELECT lease_id,job_id,host_id,granted_at,expires_at,last_renewed,duration_sec,status "
                        "FROM leases WHERE job_id=? AND status='active'";
static const char SQL_LEASE_LIST[] = "SELECT lease_id,job_id,host_id,granted_at,expires_at,last_renewed,duration_sec,status "
                                     "FROM leases WHERE status=? ORDER BY granted_at DESC, lease_id LIMIT ? OFFSET ?";
static const char SQL_LEASE_EXPIRED[] = "SELECT lease_id,job_id,host_id,granted_at,expires_at,last_renewed,duration_sec,status "
                         "FROM leases WHERE status='active' AND expires_at<? ORDER BY expires_at";
static const char SQL_LOG_PUT[] = "INSERT INTO job_logs(job_id,ts,level,line) VALUES(?,?,?,?)";
static const char SQL_LOG_TRIM[] = "DELETE FROM job_logs WHERE job_id=?1 AND id <= (SELECT id FROM job_logs WHERE job_id=?1 "
                    "ORDER BY id DESC LIMIT 1 OFFSET 500)";
static const char SQL_LOG_COUNT[] = "SELECT count(*) FROM job_logs WHERE job_id=?";
static const char SQL_POPULAR_IMAGES[] =
    "SELECT image FROM jobs WHERE submitted_at>=?1 AND image<>'' GROUP BY image "
    "ORDER BY COUNT(*) DESC, MAX(submitted_at) DESC, image LIMIT ?2";
static const char SQL_LOG_TAIL[] = "SELECT ts,level,line FROM (SELECT id,ts,level,line FROM job_logs WHERE job_id=? "
                    "ORDER BY id DESC LIMIT ?) ORDER BY id";

/* ---- jobs ---- */

static void job_bind(sqlite3_stmt *q, const struct job *j)
{
    int i = 1;
    sq_bind_text(q, i++, j->job_id);
    sq_bind_text(q, i++, j->name);
    sq_bind_text(q, i++, j->owner);
    sqlite3_bind_int64(q, i++, j->vram_mgb);
    sqlite3_bind_int(q, i++, j->num_gpus);
    sqlite3_bind_int(q, i++, j->priority);
    sq_bind_text(q, i++, j->tier);
    sq_bind_text(q, i++, j->trust_tier);
    sqlite3_bind_int(q, i++, j->spot);
    sq_bind_opt(q, i++, j->has_max_bid, j->max_bid);
    sq_bind_text(q, i++, j->image);
    sq_bind_text(q, i++, j->command ? j->command : "[]");
    sq_bind_text(q, i++, j->environment ? j->environment : "{}");
    sq_bind_text(q, i++, j->nfs_server);
    sq_bind_text(q, i++, j->nfs_path);
    sq_bind_text(q, i++, j->nfs_mount_point);
    sq_bind_opt(q, i++, j->has_max_duration, j->max_duration_ms);
    sq_bind_jobstate(q, i++, j->status);
    if (j->host_id[0])
        sq_bind_text(q, i++, j->host_id);
    else
        sqlite3_bind_null(q, i++);
    if (j->lease_id[0])
        sq_bind_text(q, i++, j->lease_id);
    else
        sqlite3_bind_null(q, i++);
    sq_bind_opt(q, i++, j->has_rate, j->rate_per_hour);
    sqlite3_bind_int64(q, i++, j->vram_reserved_mgb);
    sqlite3_bind_int64(q, i++, j->submitted_at);
    sq_bind_ts(q, i++, j->assigned_at);
    sq_bind_ts(q, i++, j->started_at);
    sq_bind_ts(q, i++, j->completed_at);
    sqlite3_bind_int(q, i++, j->retries);
    sqlite3_bind_int(q, i++, j->max_retries);
    sqlite3_bind_int(q, i++, j->attempt);
    sq_bind_opt(q, i++, j->has_exit_code, j->exit_code);
    sq_bind_text(q, i++, j->failure_reason);
    sq_bind_text(q, i++, j->failure_class);
    sq_bind_stop(q, i++, j->has_stop_request, j->stop_requested);
    sq_bind_ts(q, i++, j->stop_requested_at);
    sq_bind_ts(q, i++, j->preempted_at);
    sq_bind_text(q, i++, j->hold_reason);
    sq_bind_text(q, i++, j->pending_reason);
    sq_bind_text(q, i++, j->avoid_hosts ? j->avoid_hosts : "[]");
}

static void job_read(sqlite3_stmt *q, struct job *j)
{
    memset(j, 0, sizeof *j);
    int i = 0;
    sq_col_copy(q, i++, j->job_id, sizeof j->job_id);
    sq_col_copy(q, i++, j->name, sizeof j->name);
    sq_col_copy(q, i++, j->owner, sizeof j->owner);
    j->vram_mgb = sqlite3_column_int64(q, i++);
    j->num_gpus = sqlite3_column_int(q, i++);
    j->priority = sqlite3_column_int(q, i++);
    sq_col_copy(q, i++, j->tier, sizeof j->tier);
    sq_col_copy(q, i++, j->trust_tier, sizeof j->trust_tier);
    j->spot = sqlite3_column_int(q, i++) != 0;
    j->has_max_bid = sqlite3_column_type(q, i) != SQLITE_NULL;
    j->max_bid = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, j->image, sizeof j->image);
    j->command = sq_col_dup(q, i++, "[]");
    j->environment = sq_col_dup(q, i++, "{}");
    sq_col_copy(q, i++, j->nfs_server, sizeof j->nfs_server);
    sq_col_copy(q, i++, j->nfs_path, sizeof j->nfs_path);
    sq_col_copy(q, i++, j->nfs_mount_point, sizeof j->nfs_mount_point);
    j->has_max_duration = sqlite3_column_type(q, i) != SQLITE_NULL;
    j->max_duration_ms = sqlite3_column_int64(q, i++);
    j->status = sq_col_jobstate(q, i++);
    sq_col_copy(q, i++, j->host_id, sizeof j->host_id);
    sq_col_copy(q, i++, j->lease_id, sizeof j->lease_id);
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
    sq_col_copy(q, i++, j->failure_reason, sizeof j->failure_reason);
    sq_col_copy(q, i++, j->failure_class, sizeof j->failure_class);
    j->has_stop_request = sq_col_stop(q, i++, &j->stop_requested);
    j->stop_requested_at = sqlite3_column_int64(q, i++);
    j->preempted_at = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, j->hold_reason, sizeof j->hold_reason);
    sq_col_copy(q, i++, j->pending_reason, sizeof j->pending_reason);
    j->avoid_hosts = sq_col_dup(q, i++, "[]");
}

static void job_read_v(sqlite3_stmt *q, void *p) { job_read(q, p); }

int store_job_get(struct store *s, const char *job_id, struct job *out)
{
    return sq_get_one(s, SQL_JOB_GET, job_id, job_read_v, out, "job get");
}

int store_job_put(struct store *s, const struct job *j)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_JOB_PUT);
    int rc = XC_EDB;
    if (q) {
        job_bind(q, j);
        rc = sq_exec(s, q, "job put");
    }
    sq_release(s);
    return rc;
}

/* Every combination of the optional filters, with and without a keyset position, in both
 * orders: built once from fixed fragments (never from input) so that each is a cached statement
 * whose WHERE clause matches an index. Values are always bound: ?1 status, ?2 host_id, ?3 owner,
 * ?4 limit, ?5 offset, ?6/?7 the keyset position (submitted_at, job_id). */
enum {
    LF_STATUS = 1,
    LF_HOST = 2,
    LF_OWNER = 4,
    LF_AFTER = 8,
    LF_QUEUE = 16,
    LF_VIEWER = 32,
    LF_TEAM = 64,
    LF__COUNT = 128
};
static char *list_sql[LF__COUNT], *count_sql[LF__COUNT];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void list_sql_build(void)
{
    /* a user's view: own jobs, and jobs on hosts they own */
    static const char VIEWER[] = " AND (owner=?8 OR host_id IN (SELECT host_id FROM hosts WHERE owner=?9 AND owner<>''))";
    /* a team's view: jobs whose owner is the customer of one of its members */
    static const char TEAM[] = " AND owner IN (SELECT u.customer_id FROM team_members m JOIN users u"
                               " ON u.user_id=m.user_id WHERE m.team_id=?10)";
    for (int m = 0; m < LF__COUNT; m++) {
        char *where = xasprintf("WHERE 1%s%s%s%s%s", (m & LF_STATUS) ? " AND status=?1" : "",
                                (m & LF_HOST) ? " AND host_id=?2" : "", (m & LF_OWNER) ? " AND owner=?3" : "",
                                (m & LF_VIEWER) ? VIEWER : "", (m & LF_TEAM) ? TEAM : "");
        count_sql[m] = xasprintf("SELECT count(*) FROM jobs %s", where);
        list_sql[m] = xasprintf("SELECT " JOB_COLS " FROM jobs %s%s ORDER BY %s LIMIT ?4 OFFSET ?5", where,
                                (m & LF_AFTER) ? " AND (submitted_at, job_id) > (?6, ?7)" : "",
                                (m & LF_QUEUE) ? "priority DESC, submitted_at, job_id" : "submitted_at, job_id");
        free(where);
    }
}

static int job_total(struct store *s, const struct job_filter *f, int mask, int64_t *total)
{
    sqlite3_stmt *q;
    int r;
    if (!(mask & (LF_HOST | LF_OWNER | LF_VIEWER | LF_TEAM))) {
        /* Kept by triggers: no scan. */
        if (!(q = sq_stmt(s, SQL_JOB_COUNTS)))
            return XC_EDB;
        *total = 0;
        while ((r = sqlite3_step(q)) == SQLITE_ROW)
            if (!f->has_status || sq_col_jobstate(q, 0) == f->status)
                *total += sqlite3_column_int64(q, 1);
        sqlite3_reset(q);
        return r == SQLITE_DONE ? 0 : sq_err(s, "job count");
    }
    if (!(q = sq_stmt(s, count_sql[mask & (LF_STATUS | LF_HOST | LF_OWNER | LF_VIEWER | LF_TEAM)])))
        return XC_EDB;
    if (f->has_status)
        sq_bind_jobstate(q, 1, f->status);
    if (f->host_id)
        sq_bind_text(q, 2, f->host_id);
    if (f->owner)
        sq_bind_text(q, 3, f->owner);
    if (f->viewer_customer) {
        sq_bind_text(q, 8, f->viewer_customer);
        sq_bind_text(q, 9, f->viewer_user ? f->viewer_user : "");
    }
    if (f->team_id)
        sq_bind_text(q, 10, f->team_id);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW)
        *total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return r == SQLITE_ROW ? 0 : sq_err(s, "job count");
}

static const char SQL_OWNS_HOST[] = "SELECT 1 FROM hosts WHERE owner=? AND owner<>'' LIMIT 1";

int store_job_list(struct store *s, const struct job_filter *f_in, struct job **out, size_t *n, int64_t *total)
{
    pthread_once(&list_once, list_sql_build);
    struct job_filter narrowed = *f_in;
    const struct job_filter *f = &narrowed;
    if (f_in->team_id)
        narrowed.viewer_customer = narrowed.viewer_user = NULL; /* membership replaces the view */
    if (narrowed.viewer_customer) {
        /* A user who owns no host sees exactly their own jobs: a plain owner filter, which an
         * index answers, instead of the OR with the hosts they own. */
        sq_acquire(s, SQ_READ);
        sqlite3_stmt *h = sq_stmt(s, SQL_OWNS_HOST);
        int r = SQLITE_ERROR;
        if (h) {
            sq_bind_text(h, 1, f_in->viewer_user ? f_in->viewer_user : "");
            r = sqlite3_step(h);
            sqlite3_reset(h);
        }
        sq_release(s);
        if (r == SQLITE_DONE) {
            if (f_in->owner && strcmp(f_in->owner, f_in->viewer_customer) != 0) {
                *out = NULL;
                *n = 0;
                if (total)
                    *total = 0;
                return 0;
            }
            narrowed.owner = f_in->viewer_customer;
            narrowed.viewer_customer = narrowed.viewer_user = NULL;
        } else if (r != SQLITE_ROW) {
            return sq_err(s, "host ownership");
        }
    }
    int mask = (f->has_status ? LF_STATUS : 0) | (f->host_id ? LF_HOST : 0) | (f->owner ? LF_OWNER : 0) |
               (f->after_id ? LF_AFTER : 0) | (f->queue_order ? LF_QUEUE : 0) |
               (f->viewer_customer ? LF_VIEWER : 0) | (f->team_id ? LF_TEAM : 0);
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
        sq_bind_text(q, 2, f->host_id);
    if (f->owner)
        sq_bind_text(q, 3, f->owner);
    sqlite3_bind_int64(q, 4, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(q, 5, f->offset > 0 ? f->offset : 0);
    if (f->after_id) {
        sqlite3_bind_int64(q, 6, f->after_submitted);
        sq_bind_text(q, 7, f->after_id);
    }
    if (f->viewer_customer) {
        sq_bind_text(q, 8, f->viewer_customer);
        sq_bind_text(q, 9, f->viewer_user ? f->viewer_user : "");
    }
    if (f->team_id)
        sq_bind_text(q, 10, f->team_id);
    rc = sq_collect(s, q, sizeof **out, job_read_v, (void **)out, n, "job list");
out:
    sq_release(s);
    return rc;
}

static const char SQL_SHARES_TEAM[] =
    "SELECT 1 FROM team_members a JOIN team_members b ON b.team_id=a.team_id JOIN users u ON u.user_id=b.user_id"
    " WHERE a.user_id=? AND u.customer_id=? LIMIT 1";

int store_customer_in_users_team(struct store *s, const char *user_id, const char *customer_id, bool *shared)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_SHARES_TEAM);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, user_id);
        sq_bind_text(q, 2, customer_id);
        int r = sqlite3_step(q);
        *shared = r == SQLITE_ROW;
        rc = (r == SQLITE_ROW || r == SQLITE_DONE) ? 0 : sq_err(s, "team membership");
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

int store_jobs_active_on_host(struct store *s, const char *host_id, struct job **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_JOB_ACTIVE_ON_HOST);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, host_id);
        rc = sq_collect(s, q, sizeof **out, job_read_v, (void **)out, n, "jobs on host");
    }
    sq_release(s);
    return rc;
}

int store_job_assign(struct store *s, const char *job_id, const char *host_id, int64_t at, int64_t rate)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_JOB_ASSIGN);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, job_id);
        sq_bind_text(q, 2, host_id);
        sqlite3_bind_int64(q, 3, at);
        sqlite3_bind_int64(q, 4, rate);
        rc = sq_exec(s, q, "job assign");
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
    sq_col_copy(q, 0, b->job_id, sizeof b->job_id);
    b->priority = sqlite3_column_int(q, 2);
    b->submitted_at = sqlite3_column_int64(q, 3);
    b->num_gpus = sqlite3_column_int(q, 4);
    b->vram_mgb = sqlite3_column_int64(q, 5);
    sq_col_copy(q, 6, b->trust_tier, sizeof b->trust_tier);
    b->spot = sqlite3_column_int(q, 7) != 0;
    b->max_bid = sqlite3_column_int64(q, 8);
    sq_col_copy(q, 9, b->owner, sizeof b->owner);
    sq_col_copy(q, 10, b->hold_reason, sizeof b->hold_reason);
    b->pending_hash = job_reason_hash((const char *)sqlite3_column_text(q, 11));
    const unsigned char *avoid = sqlite3_column_text(q, 12);
    b->avoid_hosts = avoid && strcmp((const char *)avoid, "[]") != 0 ? xstrdup((const char *)avoid) : NULL;
}

int store_jobs_queued_brief(struct store *s, int limit, struct job_brief **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_JOB_BRIEF);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int(q, 1, limit > 0 ? limit : -1);
        rc = sq_collect(s, q, sizeof **out, brief_read, (void **)out, n, "queue read");
    }
    sq_release(s);
    return rc;
}

int store_job_set_pending(struct store *s, const char *job_id, const char *hold, const char *pending)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_JOB_PENDING);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, job_id);
        sq_bind_text(q, 2, hold);
        sq_bind_text(q, 3, pending);
        rc = sq_exec(s, q, "job pending");
    }
    sq_release(s);
    return rc;
}

int store_host_reserve(struct store *s, const char *host_id, int64_t delta_mgb)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_HOST_RESERVE);
    int rc = XC_EDB;
    sq_hosts_changed(s);
    if (q) {
        sq_bind_text(q, 1, host_id);
        sqlite3_bind_int64(q, 2, delta_mgb);
        rc = sq_exec(s, q, "host reserve");
    }
    sq_release(s);
    return rc;
}

int store_job_counts(struct store *s, int64_t counts[JOB__COUNT])
{
    memset(counts, 0, JOB__COUNT * sizeof counts[0]);
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_JOB_COUNTS);
    int rc = XC_EDB, r;
    if (q) {
        while ((r = sqlite3_step(q)) == SQLITE_ROW) {
            enum jobstate st;
            if (sq_col_jobstate_opt(q, 0, &st))
                counts[st] = sqlite3_column_int64(q, 1);
        }
        sqlite3_reset(q);
        rc = r == SQLITE_DONE ? 0 : sq_err(s, "job counts");
    }
    sq_release(s);
    return rc;
}

int store_run_start(struct store *s, const char *job_id, int attempt, const char *host_id, int64_t at)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_RUN_START);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, job_id);
        sqlite3_bind_int(q, 2, attempt);
        sq_bind_text(q, 3, host_id);
        sqlite3_bind_int64(q, 4, at);
        rc = sq_exec(s, q, "run start");
    }
    sq_release(s);
    return rc;
}

int store_run_end(struct store *s, const char *job_id, int attempt, int64_t at, enum jobstate final_status)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_RUN_END);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, at);
        sq_bind_jobstate(q, 2, final_status);
        sq_bind_text(q, 3, job_id);
        sqlite3_bind_int(q, 4, attempt);
        rc = sq_exec(s, q, "run end");
    }
    sq_release(s);
    return rc;
}

/* ---- leases ---- */

static void lease_read(sqlite3_stmt *q, void *p)
{
    struct lease *l = p;
    memset(l, 0, sizeof *l);
    sq_col_copy(q, 0, l->lease_id, sizeof l->lease_id);
    sq_col_copy(q, 1, l->job_id, sizeof l->job_id);
    sq_col_copy(q, 2, l->host_id, sizeof l->host_id);
    l->granted_at = sqlite3_column_int64(q, 3);
    l->expires_at = sqlite3_column_int64(q, 4);
    l->last_renewed = sqlite3_column_int64(q, 5);
    l->duration_sec = sqlite3_column_int(q, 6);
    l->status = sq_col_leasestate(q, 7);
}

int store_lease_put(struct store *s, const struct lease *l)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_LEASE_PUT);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, l->lease_id);
        sq_bind_text(q, 2, l->job_id);
        sq_bind_text(q, 3, l->host_id);
        sqlite3_bind_int64(q, 4, l->granted_at);
        sqlite3_bind_int64(q, 5, l->expires_at);
        sqlite3_bind_int64(q, 6, l->last_renewed);
        sqlite3_bind_int(q, 7, l->duration_sec);
        sq_bind_leasestate(q, 8, l->status);
        rc = sq_exec(s, q, "lease put");
    }
    sq_release(s);
    return rc;
}

int store_lease_active(struct store *s, const char *job_id, struct lease *out)
{
    return sq_get_one(s, SQL_LEASE_ACTIVE, job_id, lease_read, out, "lease get");
}

int store_leases_expired(struct store *s, int64_t cutoff, struct lease **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_LEASE_EXPIRED);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, cutoff);
        rc = sq_collect(s, q, sizeof **out, lease_read, (void **)out, n, "leases expired");
    }
    sq_release(s);
    return rc;
}

int store_leases_list(struct store *s, enum leasestate status, int limit, int offset, struct lease **out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_LEASE_LIST);
    int rc = XC_EDB;
    if (q) {
        sq_bind_leasestate(q, 1, status);
        sqlite3_bind_int(q, 2, limit > 0 ? limit : -1);
        sqlite3_bind_int(q, 3, offset > 0 ? offset : 0);
        rc = sq_collect(s, q, sizeof **out, lease_read, (void **)out, n, "lease list");
    }
    sq_release(s);
    return rc;
}

/* ---- job logs ---- */

int store_job_log_append(struct store *s, const char *job_id, int64_t ts, const char *level, const char *line)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_LOG_PUT);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, job_id);
        sqlite3_bind_int64(q, 2, ts);
        sq_bind_text(q, 3, level);
        sq_bind_text(q, 4, line);
        rc = sq_exec(s, q, "log put");
    }
    if (rc == 0 && (q = sq_stmt(s, SQL_LOG_TRIM))) {
        sq_bind_text(q, 1, job_id);
        rc = sq_exec(s, q, "log trim");
    }
    sq_release(s);
    return rc;
}

int store_job_logs(struct store *s, const char *job_id, int limit, store_log_cb cb, void *ctx, int64_t *total)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB, r;
    sqlite3_stmt *q = sq_stmt(s, SQL_LOG_COUNT);
    if (!q)
        goto out;
    sq_bind_text(q, 1, job_id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        goto out;
    }
    if (total)
        *total = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (!(q = sq_stmt(s, SQL_LOG_TAIL)))
        goto out;
    sq_bind_text(q, 1, job_id);
    sqlite3_bind_int(q, 2, limit);
    while ((r = sqlite3_step(q)) == SQLITE_ROW)
        cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
           (const char *)sqlite3_column_text(q, 2));
    sqlite3_reset(q);
    rc = r == SQLITE_DONE ? 0 : sq_err(s, "log tail");
out:
    sq_release(s);
    return rc;
}

static void read_image(sqlite3_stmt *q, void *dst)
{
    *(char **)dst = sq_col_dup(q, 0, "");
}

int store_popular_images(struct store *s, int64_t since_us, int limit, char ***out, size_t *n)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB;
    sqlite3_stmt *q = sq_stmt(s, SQL_POPULAR_IMAGES);
    if (q) {
        sqlite3_bind_int64(q, 1, since_us);
        sqlite3_bind_int(q, 2, limit);
        rc = sq_collect(s, q, sizeof(char *), read_image, (void **)out, n, "popular images");
    }
    sq_release(s);
    return rc;
}
