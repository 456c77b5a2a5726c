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
#define JOB_PARAMS "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"

#define POOL_COLS "host_id,ip,gpu_model,vram_mgb,gpu_count,cost_per_hour,country,province,provisioned,provisioned_at"

enum stmt_id {
    ST_HOST_GET,
    ST_HOST_PUT,
    ST_HOST_DEL,
    ST_HOST_ALL,
    ST_HOST_ACTIVE,
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
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_HOST_GET] = "SELECT " HOST_COLS " FROM hosts WHERE host_id=?",
    [ST_HOST_PUT] = "INSERT OR REPLACE INTO hosts(" HOST_COLS ") VALUES(" HOST_PARAMS ")",
    [ST_HOST_DEL] = "DELETE FROM hosts WHERE host_id=?",
    [ST_HOST_ALL] = "SELECT " HOST_COLS " FROM hosts ORDER BY registered_at, host_id",
    [ST_HOST_ACTIVE] = "SELECT " HOST_COLS " FROM hosts WHERE status='active' ORDER BY registered_at, host_id",
    [ST_HOST_COUNT] = "SELECT coalesce(sum(status='pending'),0), coalesce(sum(status='active'),0), "
                      "coalesce(sum(status='dead'),0) FROM hosts",
    [ST_JOB_GET] = "SELECT " JOB_COLS " FROM jobs WHERE job_id=?",
    [ST_JOB_PUT] = "INSERT OR REPLACE INTO jobs(" JOB_COLS ") VALUES(" JOB_PARAMS ")",
    [ST_JOB_ACTIVE_ON_HOST] = "SELECT " JOB_COLS " FROM jobs WHERE host_id=? AND status IN "
                              "('assigned','leased','running') ORDER BY assigned_at, job_id",
    [ST_JOB_COUNTS] = "SELECT status, count(*) FROM jobs GROUP BY status",
    [ST_JOB_ASSIGN] = "UPDATE jobs SET status='assigned', host_id=?2, assigned_at=?3, rate_per_hour=?4, "
                      "vram_reserved_mgb=vram_mgb, hold_reason='', pending_reason='' WHERE job_id=?1 AND status='queued'",
    [ST_JOB_BRIEF] = "SELECT job_id,name,priority,submitted_at,num_gpus,vram_mgb,trust_tier,spot,max_bid,owner,"
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
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT req",
    [ST_RELEASE] = "RELEASE req",
    [ST_ROLLBACK_TO] = "ROLLBACK TO req",
};

#define EXTRA_STMTS 256
#define EPOCH_RING 1024

struct store {
    sqlite3 *db;
    pthread_mutex_t mu;
    sqlite3_stmt *st[ST__COUNT];
    struct {
        const char *sql;
        sqlite3_stmt *q;
    } extra[EXTRA_STMTS];
    int nextra;
    /* Group commit: request transactions are savepoints inside one outer transaction that the
     * committer thread commits; each request waits for the commit of its epoch. */
    pthread_t committer;
    bool committer_running, stopping, outer_open;
    pthread_cond_t work_cv, done_cv;
    uint64_t epoch_cur, epoch_done;
    int pending;
    int entering; /* threads waiting in store_tx_begin for the lock */
    void (*commit_hook)(void *ctx, uint64_t epoch, int rc);
    void *commit_hook_ctx;
    uint64_t hosts_version; /* bumped by every host write (list caches key on it) */
    int epoch_rc[EPOCH_RING];
};

static void lock(struct store *s) { pthread_mutex_lock(&s->mu); }
static void unlock(struct store *s) { pthread_mutex_unlock(&s->mu); }

static int get_one(struct store *s, enum stmt_id id, const char *key, void (*read)(sqlite3_stmt *, void *), void *out,
                   const char *what);
static void host_read_v(sqlite3_stmt *q, void *p);
static int committer_start(struct store *s);
static void committer_stop(struct store *s);

/* Returns the cached statement, reset and with bindings cleared; NULL on a prepare failure. */
static sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
    if (!s->st[id]) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL) != SQLITE_OK) {
            log_error("store: prepare failed: %s (%s)", sqlite3_errmsg(s->db), stmt_sql[id]);
            return NULL;
        }
    }
    sqlite3_reset(s->st[id]);
    sqlite3_clear_bindings(s->st[id]);
    return s->st[id];
}

sqlite3 *sq_db(struct store *s) { return s->db; }
void sq_lock(struct store *s) { lock(s); }
void sq_unlock(struct store *s) { unlock(s); }

sqlite3_stmt *sq_stmt(struct store *s, const char *sql)
{
    for (int i = 0; i < s->nextra; i++) {
        if (s->extra[i].sql == sql) {
            sqlite3_reset(s->extra[i].q);
            sqlite3_clear_bindings(s->extra[i].q);
            return s->extra[i].q;
        }
    }
    sqlite3_stmt *q = NULL;
    if (s->nextra == EXTRA_STMTS ||
        sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
        log_error("store: prepare failed: %s (%s)", sqlite3_errmsg(s->db), sql);
        return NULL;
    }
    s->extra[s->nextra].sql = sql;
    s->extra[s->nextra++].q = q;
    return q;
}

static int db_err(struct store *s, const char *what)
{
    log_error("store: %s: %s", what, sqlite3_errmsg(s->db));
    return XC_EDB;
}

/* Runs a statement that returns no rows. */
static int exec_done(struct store *s, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc == SQLITE_CONSTRAINT)
        return XC_ECONFLICT;
    if (rc != SQLITE_DONE)
        return db_err(s, what);
    return 0;
}

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

int store_open(const char *path, struct store **out)
{
    struct store *s = xcalloc(1, sizeof *s);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->mu, &a);
    pthread_mutexattr_destroy(&a);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_error("store: cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return XC_EDB;
    }
    const char *pragmas = "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                          "PRAGMA busy_timeout=5000; PRAGMA cache_size=-8000; PRAGMA wal_autocheckpoint=10000;"
                          "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL, name TEXT NOT NULL,"
                          " applied_at INTEGER NOT NULL);";
    char *err = NULL;
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, &err) != SQLITE_OK) {
        log_error("store: cannot initialise %s: %s", path, err ? err : "?");
        sqlite3_free(err);
        store_close(s);
        return XC_EDB;
    }
    if (committer_start(s) < 0) {
        store_close(s);
        return XC_EDB;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    committer_stop(s);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->st[i]);
    for (int i = 0; i < s->nextra; i++)
        sqlite3_finalize(s->extra[i].q);
    if (s->db)
        sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int latest_migration(void)
{
    int n = 0;
    while (embedded_migrations[n].name)
        n++;
    return n;
}

int store_schema_version(struct store *s, int *current, int *latest)
{
    lock(s);
    sqlite3_stmt *q = NULL;
    int rc = XC_EDB;
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version),0) FROM schema_version", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        *current = sqlite3_column_int(q, 0);
        *latest = latest_migration();
        rc = 0;
    }
    sqlite3_finalize(q);
    unlock(s);
    return rc;
}

int store_migrate_up(struct store *s, int *applied)
{
    int current, latest, rc;
    *applied = 0;
    if ((rc = store_schema_version(s, &current, &latest)) < 0)
        return rc;
    lock(s);
    for (int v = current + 1; v <= latest; v++) {
        const struct embedded_file *m = &embedded_migrations[v - 1];
        char *err = NULL;
        char *sql = xasprintf("BEGIN IMMEDIATE; %s\n; INSERT INTO schema_version(version,name,applied_at) "
                              "VALUES(%d,'%s',strftime('%%s','now')); COMMIT;",
                              m->data, v, m->name);
        int erc = sqlite3_exec(s->db, sql, NULL, NULL, &err);
        free(sql);
        if (erc != SQLITE_OK) {
            log_error("store: migration %s failed: %s", m->name, err ? err : "?");
            sqlite3_free(err);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            unlock(s);
            return XC_EDB;
        }
        log_info("store: applied migration %s", m->name);
        (*applied)++;
    }
    unlock(s);
    return 0;
}

static int step_done(struct store *s, enum stmt_id id, const char *what)
{
    sqlite3_stmt *q = stmt(s, id);
    if (!q || sqlite3_step(q) != SQLITE_DONE) {
        if (q)
            sqlite3_reset(q);
        return db_err(s, what);
    }
    sqlite3_reset(q);
    return 0;
}

static void *commit_loop(void *arg)
{
    struct store *s = arg;
    lock(s);
    for (;;) {
        while (s->pending == 0 && !s->stopping)
            pthread_cond_wait(&s->work_cv, &s->mu);
        if (s->pending == 0 && s->stopping)
            break;
        /* Let transactions that are about to start join this commit, briefly: up to 2 ms or
         * 256 requests, whichever comes first. */
        for (int spins = 0; s->entering > 0 && s->pending < 256 && spins < 20 && !s->stopping; spins++) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->work_cv, &s->mu, &ts);
        }
        int rc = 0;
        if (s->outer_open) {
            rc = step_done(s, ST_COMMIT, "commit");
            if (rc < 0)
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            s->outer_open = false;
        }
        uint64_t done = s->epoch_cur++;
        s->epoch_rc[done % EPOCH_RING] = rc;
        s->epoch_done = done;
        s->pending = 0;
        pthread_cond_broadcast(&s->done_cv);
        if (s->commit_hook) {
            /* Outside the lock: the hook resumes parked requests and publishes their events. */
            unlock(s);
            s->commit_hook(s->commit_hook_ctx, done, rc);
            lock(s);
        }
    }
    unlock(s);
    return NULL;
}

static int committer_start(struct store *s)
{
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    s->epoch_cur = 1;
    s->epoch_done = 0;
    if (pthread_create(&s->committer, NULL, commit_loop, s) != 0)
        return XC_EDB;
    s->committer_running = true;
    return 0;
}

static void committer_stop(struct store *s)
{
    if (!s->committer_running)
        return;
    lock(s);
    s->stopping = true;
    pthread_cond_signal(&s->work_cv);
    unlock(s);
    pthread_join(s->committer, NULL);
    s->committer_running = false;
    if (s->outer_open) {
        step_done(s, ST_COMMIT, "final commit");
        s->outer_open = false;
    }
}

int store_tx_begin(struct store *s)
{
    __atomic_add_fetch(&s->entering, 1, __ATOMIC_SEQ_CST);
    lock(s);
    __atomic_sub_fetch(&s->entering, 1, __ATOMIC_SEQ_CST);
    if (!s->outer_open) {
        if (step_done(s, ST_BEGIN, "begin") < 0) {
            unlock(s);
            return XC_EDB;
        }
        s->outer_open = true;
    }
    if (step_done(s, ST_SAVEPOINT, "savepoint") < 0) {
        unlock(s);
        return XC_EDB;
    }
    return 0;
}

int store_tx_commit_async(struct store *s, uint64_t *epoch)
{
    int rc = step_done(s, ST_RELEASE, "release");
    *epoch = 0;
    if (rc < 0) {
        step_done(s, ST_ROLLBACK_TO, "rollback to");
        step_done(s, ST_RELEASE, "release");
        unlock(s);
        return rc;
    }
    if (!s->committer_running) {
        /* Before the committer starts (migrations, tools): commit right away. */
        rc = step_done(s, ST_COMMIT, "commit");
        s->outer_open = false;
        unlock(s);
        return rc;
    }
    *epoch = s->epoch_cur;
    s->pending++;
    pthread_cond_signal(&s->work_cv);
    unlock(s);
    return 0;
}

static int epoch_rc(struct store *s, uint64_t epoch)
{
    return s->epoch_done - epoch < EPOCH_RING ? s->epoch_rc[epoch % EPOCH_RING] : 0;
}

int store_epoch_wait(struct store *s, uint64_t epoch)
{
    if (epoch == 0)
        return 0;
    lock(s);
    while (s->epoch_done < epoch)
        pthread_cond_wait(&s->done_cv, &s->mu);
    int rc = epoch_rc(s, epoch);
    unlock(s);
    return rc;
}

bool store_epoch_poll(struct store *s, uint64_t epoch, int *rc)
{
    lock(s);
    bool done = s->epoch_done >= epoch;
    if (done)
        *rc = epoch_rc(s, epoch);
    unlock(s);
    return done;
}

void store_set_commit_hook(struct store *s, void (*fn)(void *ctx, uint64_t epoch, int rc), void *ctx)
{
    lock(s);
    s->commit_hook = fn;
    s->commit_hook_ctx = ctx;
    unlock(s);
}

int store_tx_commit(struct store *s)
{
    uint64_t epoch;
    int rc = store_tx_commit_async(s, &epoch);
    return rc < 0 ? rc : store_epoch_wait(s, epoch);
}

void store_tx_rollback(struct store *s)
{
    step_done(s, ST_ROLLBACK_TO, "rollback to");
    step_done(s, ST_RELEASE, "release");
    unlock(s);
}

int store_healthcheck(struct store *s, int64_t now_us)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_HEALTH);
    int rc = q ? XC_OK : XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, now_us);
        rc = exec_done(s, q, "healthcheck");
    }
    unlock(s);
    return rc;
}

int sq_exec(struct store *s, sqlite3_stmt *q, const char *what)
{
    return exec_done(s, q, what);
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
    bind_text(q, i++, h->status);
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
    col_copy(q, i++, h->status, sizeof h->status);
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
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_HOST_PUT);
    int rc = XC_EDB;
    s->hosts_version++;
    if (q) {
        host_bind(q, h);
        rc = exec_done(s, q, "host put");
    }
    unlock(s);
    return rc;
}

static int delete_by_id(struct store *s, enum stmt_id id, const char *key, const char *what)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, id);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, key);
        rc = exec_done(s, q, what);
        if (rc == 0 && sqlite3_changes(s->db) == 0)
            rc = XC_ENOTFOUND;
    }
    unlock(s);
    return rc;
}

int store_host_delete(struct store *s, const char *host_id)
{
    __atomic_add_fetch(&s->hosts_version, 1, __ATOMIC_SEQ_CST);
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
    lock(s);
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
    unlock(s);
    return rc;
}

static void host_read_v(sqlite3_stmt *q, void *p) { host_read(q, p); }

int store_host_list(struct store *s, bool active_only, struct host **out, size_t *n)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, active_only ? ST_HOST_ACTIVE : ST_HOST_ALL);
    int rc = q ? collect(s, q, sizeof **out, host_read_v, (void **)out, n, "host list") : XC_EDB;
    unlock(s);
    return rc;
}

void store_hosts_touch(struct store *s)
{
    __atomic_add_fetch(&s->hosts_version, 1, __ATOMIC_SEQ_CST);
}

uint64_t store_hosts_version(struct store *s)
{
    lock(s);
    uint64_t v = s->hosts_version;
    unlock(s);
    return v;
}

int store_host_counts(struct store *s, int64_t counts[3])
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_HOST_COUNT);
    int rc = XC_EDB;
    if (q && sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < 3; i++)
            counts[i] = sqlite3_column_int64(q, i);
        rc = 0;
    }
    if (q)
        sqlite3_reset(q);
    unlock(s);
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
    bind_text(q, i++, j->status);
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
    if (j->stop_requested[0])
        bind_text(q, i++, j->stop_requested);
    else
        sqlite3_bind_null(q, i++);
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
    col_copy(q, i++, j->status, sizeof j->status);
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
    col_copy(q, i++, j->stop_requested, sizeof j->stop_requested);
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
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_JOB_PUT);
    int rc = XC_EDB;
    if (q) {
        job_bind(q, j);
        rc = exec_done(s, q, "job put");
    }
    unlock(s);
    return rc;
}

int store_job_list(struct store *s, const struct job_filter *f, struct job **out, size_t *n, int64_t *total)
{
    /* Filters are optional, so the statement is built from fixed fragments (never from input);
     * values are bound. Not cached: list calls are rarer than point lookups. */
    char where[256] = "WHERE (?1 IS NULL OR status=?1) AND (?2 IS NULL OR host_id=?2) AND (?3 IS NULL OR owner=?3)";
    const char *order = f->queue_order ? "ORDER BY priority DESC, submitted_at, job_id" : "ORDER BY submitted_at, job_id";
    char *sql = xasprintf("SELECT " JOB_COLS " FROM jobs %s %s LIMIT ?4 OFFSET ?5", where, order);
    char *csql = xasprintf("SELECT count(*) FROM jobs %s", where);
    sqlite3_stmt *q = NULL, *c = NULL;
    int rc = XC_EDB;
    lock(s);
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, csql, -1, &c, NULL) != SQLITE_OK) {
        db_err(s, "job list");
        goto out;
    }
    sqlite3_stmt *both[2] = {q, c};
    for (int k = 0; k < 2; k++) {
        if (f->status)
            bind_text(both[k], 1, f->status);
        if (f->host_id)
            bind_text(both[k], 2, f->host_id);
        if (f->owner)
            bind_text(both[k], 3, f->owner);
    }
    sqlite3_bind_int64(q, 4, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(q, 5, f->offset > 0 ? f->offset : 0);
    if (total) {
        if (sqlite3_step(c) != SQLITE_ROW) {
            db_err(s, "job count");
            goto out;
        }
        *total = sqlite3_column_int64(c, 0);
    }
    rc = collect(s, q, sizeof **out, job_read_v, (void **)out, n, "job list");
out:
    unlock(s);
    sqlite3_finalize(q);
    sqlite3_finalize(c);
    free(sql);
    free(csql);
    return rc;
}

int store_jobs_active_on_host(struct store *s, const char *host_id, struct job **out, size_t *n)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_JOB_ACTIVE_ON_HOST);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, host_id);
        rc = collect(s, q, sizeof **out, job_read_v, (void **)out, n, "jobs on host");
    }
    unlock(s);
    return rc;
}

int store_job_assign(struct store *s, const char *job_id, const char *host_id, int64_t at, int64_t rate)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_JOB_ASSIGN);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, job_id);
        bind_text(q, 2, host_id);
        sqlite3_bind_int64(q, 3, at);
        sqlite3_bind_int64(q, 4, rate);
        rc = exec_done(s, q, "job assign");
        if (rc == 0 && sqlite3_changes(s->db) == 0)
            rc = XC_ECONFLICT;
    }
    unlock(s);
    return rc;
}

static void brief_read(sqlite3_stmt *q, void *p)
{
    struct job_brief *b = p;
    memset(b, 0, sizeof *b);
    col_copy(q, 0, b->job_id, sizeof b->job_id);
    col_copy(q, 1, b->name, sizeof b->name);
    b->priority = sqlite3_column_int(q, 2);
    b->submitted_at = sqlite3_column_int64(q, 3);
    b->num_gpus = sqlite3_column_int(q, 4);
    b->vram_mgb = sqlite3_column_int64(q, 5);
    col_copy(q, 6, b->trust_tier, sizeof b->trust_tier);
    b->spot = sqlite3_column_int(q, 7) != 0;
    b->max_bid = sqlite3_column_int64(q, 8);
    col_copy(q, 9, b->owner, sizeof b->owner);
    col_copy(q, 10, b->hold_reason, sizeof b->hold_reason);
    col_copy(q, 11, b->pending_reason, sizeof b->pending_reason);
    b->avoid_hosts = col_dup(q, 12, "[]");
}

int store_jobs_queued_brief(struct store *s, int limit, struct job_brief **out, size_t *n)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_JOB_BRIEF);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int(q, 1, limit > 0 ? limit : -1);
        rc = collect(s, q, sizeof **out, brief_read, (void **)out, n, "queue read");
    }
    unlock(s);
    return rc;
}

int store_job_set_pending(struct store *s, const char *job_id, const char *hold, const char *pending)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_JOB_PENDING);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, job_id);
        bind_text(q, 2, hold);
        bind_text(q, 3, pending);
        rc = exec_done(s, q, "job pending");
    }
    unlock(s);
    return rc;
}

int store_host_reserve(struct store *s, const char *host_id, int64_t delta_mgb)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_HOST_RESERVE);
    int rc = XC_EDB;
    s->hosts_version++;
    if (q) {
        bind_text(q, 1, host_id);
        sqlite3_bind_int64(q, 2, delta_mgb);
        rc = exec_done(s, q, "host reserve");
    }
    unlock(s);
    return rc;
}

int store_job_counts(struct store *s, int64_t counts[8])
{
    static const char *const names[8] = {"queued", "assigned", "leased", "running",
                                         "completed", "failed", "preempted", "cancelled"};
    memset(counts, 0, 8 * sizeof counts[0]);
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_JOB_COUNTS);
    int rc = XC_EDB, r;
    if (q) {
        while ((r = sqlite3_step(q)) == SQLITE_ROW) {
            const char *st = (const char *)sqlite3_column_text(q, 0);
            for (int i = 0; i < 8; i++)
                if (st && strcmp(st, names[i]) == 0)
                    counts[i] = sqlite3_column_int64(q, 1);
        }
        sqlite3_reset(q);
        rc = r == SQLITE_DONE ? 0 : db_err(s, "job counts");
    }
    unlock(s);
    return rc;
}

int store_run_start(struct store *s, const char *job_id, int attempt, const char *host_id, int64_t at)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_RUN_START);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, job_id);
        sqlite3_bind_int(q, 2, attempt);
        bind_text(q, 3, host_id);
        sqlite3_bind_int64(q, 4, at);
        rc = exec_done(s, q, "run start");
    }
    unlock(s);
    return rc;
}

int store_run_end(struct store *s, const char *job_id, int attempt, int64_t at, const char *final_status)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_RUN_END);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, at);
        bind_text(q, 2, final_status);
        bind_text(q, 3, job_id);
        sqlite3_bind_int(q, 4, attempt);
        rc = exec_done(s, q, "run end");
    }
    unlock(s);
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
    col_copy(q, 7, l->status, sizeof l->status);
}

int store_lease_put(struct store *s, const struct lease *l)
{
    lock(s);
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
        bind_text(q, 8, l->status);
        rc = exec_done(s, q, "lease put");
    }
    unlock(s);
    return rc;
}

int store_lease_active(struct store *s, const char *job_id, struct lease *out)
{
    return get_one(s, ST_LEASE_ACTIVE, job_id, lease_read, out, "lease get");
}

int store_leases_expired(struct store *s, int64_t cutoff, struct lease **out, size_t *n)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_LEASE_EXPIRED);
    int rc = XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, cutoff);
        rc = collect(s, q, sizeof **out, lease_read, (void **)out, n, "leases expired");
    }
    unlock(s);
    return rc;
}

/* ---- agent tokens ---- */

int store_agent_token_put(struct store *s, const char *hash_hex, const char *host_id, int64_t at)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_TOKEN_PUT);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, hash_hex);
        bind_text(q, 2, host_id);
        sqlite3_bind_int64(q, 3, at);
        rc = exec_done(s, q, "token put");
    }
    unlock(s);
    return rc;
}

int store_agent_token_host(struct store *s, const char *hash_hex, char host_id[65])
{
    lock(s);
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
    unlock(s);
    return rc;
}

int store_agent_tokens_revoke(struct store *s, const char *host_id)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_TOKEN_REVOKE);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, host_id);
        rc = exec_done(s, q, "token revoke");
    }
    unlock(s);
    return rc;
}

/* ---- job logs ---- */

int store_job_log_append(struct store *s, const char *job_id, int64_t ts, const char *level, const char *line)
{
    lock(s);
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
    unlock(s);
    return rc;
}

int store_job_logs(struct store *s, const char *job_id, int limit, store_log_cb cb, void *ctx, int64_t *total)
{
    lock(s);
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
    unlock(s);
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
    lock(s);
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
    unlock(s);
    return rc;
}

int store_event_append(struct store *s, const struct event_row *e, const char *head_mac)
{
    lock(s);
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
    unlock(s);
    return rc;
}

int store_events(struct store *s, const char *entity_type, const char *entity_id, int limit, store_event_cb cb,
                 void *ctx)
{
    lock(s);
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
    unlock(s);
    return rc;
}

/* ---- settings ---- */

int store_setting_get(struct store *s, const char *key, char *buf, size_t n)
{
    lock(s);
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
    unlock(s);
    return rc;
}

int store_setting_set(struct store *s, const char *key, const char *value)
{
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_SET_PUT);
    int rc = XC_EDB;
    if (q) {
        bind_text(q, 1, key);
        bind_text(q, 2, value);
        rc = exec_done(s, q, "setting put");
    }
    unlock(s);
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
    lock(s);
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
    unlock(s);
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
    lock(s);
    sqlite3_stmt *q = stmt(s, ST_POOL_ALL);
    int rc = q ? collect(s, q, sizeof **out, pool_read, (void **)out, n, "pool list") : XC_EDB;
    unlock(s);
    return rc;
}
