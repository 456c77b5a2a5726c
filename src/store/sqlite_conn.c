/* SQLite backend, the connection room: the one writer connection (WAL, group commit by a
 * committer thread), a small pool of read-only connections that serve reads beside it, each
 * connection's statement cache, and the migrations. Every other sqlite_*.c file reaches a
 * connection only through sq_acquire/sq_stmt/sq_release (sqlite_internal.h). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/embedded.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

#define CACHE_SLOTS 512 /* statements per connection (open addressing on the SQL pointer) */
#define MAX_READERS 16
#define DEFAULT_READERS 4
#define EPOCH_RING 1024

struct conn {
    sqlite3 *db;
    struct {
        const char *sql;
        sqlite3_stmt *q;
    } cache[CACHE_SLOTS];
    sqlite3_stmt *used[CACHE_SLOTS]; /* handed out since the outermost acquire */
    int nused;
};

struct store {
    char *path;
    struct conn writer;
    pthread_mutex_t mu; /* the writer lock (recursive) */

    pthread_mutex_t pool_mu;
    struct conn *readers[MAX_READERS];
    struct conn *free_readers[MAX_READERS];
    int nreaders, nfree, max_readers;

    /* Group commit: request transactions are savepoints inside one outer transaction that the
     * committer thread commits; each request waits for (or is told) the epoch of its commit. */
    pthread_t committer;
    bool committer_running, stopping, outer_open;
    pthread_cond_t work_cv;
    uint64_t epoch_cur; /* under mu */
    /* Commit results, under their own lock so that waiting for one never waits for the writer. */
    pthread_mutex_t epoch_mu;
    pthread_cond_t done_cv;
    uint64_t epoch_done;
    int pending;
    int entering; /* threads waiting in store_tx_begin for the lock (atomic) */
    void (*commit_hook)(void *ctx, uint64_t epoch, int rc);
    void *commit_hook_ctx;
    /* Host-list caches key on hosts_version (atomic). It moves only once a host write is
     * visible to readers: when the write's commit lands (hosts_dirty, under mu). */
    uint64_t hosts_version;
    bool hosts_dirty;
    /* The same for credentials (users, sessions, API keys, teams): resolved-credential caches
     * key on creds_version. */
    uint64_t creds_version;
    bool creds_dirty;
    int epoch_rc[EPOCH_RING];
};

/* What the calling thread holds. One store at a time per thread (the server has one). */
static _Thread_local struct {
    struct store *store;   /* the store the reader below belongs to */
    struct conn *reader;   /* bound by store_read_begin, or NULL */
    int rbind;             /* store_read_begin nesting */
    int rdepth;            /* acquires served by the reader */
    int wdepth;            /* acquires served by the writer (lock depth) */
    bool wrote;            /* a transaction ran during the binding: its writes may not be
                              committed yet, so later reads go to the writer */
} tl;

/* ---- one connection ---- */

static int conn_open(struct conn *c, const char *path, bool readonly)
{
    int flags = SQLITE_OPEN_FULLMUTEX | (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    memset(c, 0, sizeof *c);
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        log_error("store: cannot open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "out of memory");
        return XC_EDB;
    }
    sqlite3_busy_timeout(c->db, 5000);
    /* Page cache per connection: the writer's is larger (it holds the hot index pages). */
    sqlite3_exec(c->db, readonly ? "PRAGMA cache_size=-2000" : "PRAGMA cache_size=-8000", NULL, NULL, NULL);
    return 0;
}

static void conn_close(struct conn *c)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        sqlite3_finalize(c->cache[i].q);
    if (c->db)
        sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

static sqlite3_stmt *conn_stmt(struct conn *c, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ULL >> 55; /* 9 bits: 0..511 */
    for (int probe = 0; probe < CACHE_SLOTS; probe++, h = (h + 1) % CACHE_SLOTS) {
        if (c->cache[h].sql == sql) {
            sqlite3_reset(c->cache[h].q);
            sqlite3_clear_bindings(c->cache[h].q);
            return c->cache[h].q;
        }
        if (c->cache[h].sql)
            continue;
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
            log_error("store: prepare failed: %s (%s)", sqlite3_errmsg(c->db), sql);
            return NULL;
        }
        c->cache[h].sql = sql;
        c->cache[h].q = q;
        c->used[c->nused++] = q; /* a fresh slot: not yet in the used list */
        return q;
    }
    log_error("store: statement cache full (%d)", CACHE_SLOTS);
    return NULL;
}

/* Resets every statement handed out since the outermost acquire. */
static void conn_settle(struct conn *c)
{
    for (int i = 0; i < c->nused; i++)
        sqlite3_reset(c->used[i]);
    c->nused = 0;
}

static int conn_exec(struct conn *c, const char *sql, const char *what)
{
    char *err = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("store: %s: %s", what, err ? err : sqlite3_errmsg(c->db));
        sqlite3_free(err);
        return XC_EDB;
    }
    return 0;
}

/* ---- acquire / release ---- */

static void versions_publish(struct store *s);

static struct conn *current(struct store *s)
{
    if (tl.wdepth > 0)
        return &s->writer;
    if (tl.rdepth > 0 && tl.store == s)
        return tl.reader;
    return NULL;
}

void sq_acquire(struct store *s, enum sq_mode mode)
{
    if (mode == SQ_READ && tl.wdepth == 0 && tl.reader && tl.store == s && !tl.wrote) {
        tl.rdepth++;
        return;
    }
    pthread_mutex_lock(&s->mu);
    tl.wdepth++;
}

void sq_release(struct store *s)
{
    if (tl.wdepth > 0) {
        if (--tl.wdepth == 0) {
            conn_settle(&s->writer);
            if (!s->outer_open)
                versions_publish(s); /* an autocommitted write */
        }
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (tl.rdepth > 0 && --tl.rdepth == 0)
        conn_settle(tl.reader);
}

enum sq_mode sq_mode_of(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '(')
        sql++;
    return strncasecmp(sql, "SELECT", 6) == 0 || strncasecmp(sql, "WITH", 4) == 0 ? SQ_READ : SQ_WRITE;
}

sqlite3 *sq_db(struct store *s)
{
    struct conn *c = current(s);
    return c ? c->db : NULL;
}

sqlite3_stmt *sq_stmt(struct store *s, const char *sql)
{
    struct conn *c = current(s);
    if (!c) {
        log_error("store: statement used outside sq_acquire (%s)", sql);
        return NULL;
    }
    sqlite3_stmt *q = conn_stmt(c, sql);
    if (q && c->nused < CACHE_SLOTS) {
        bool seen = false;
        for (int i = c->nused - 1; i >= 0 && !seen; i--)
            seen = c->used[i] == q;
        if (!seen)
            c->used[c->nused++] = q;
    }
    return q;
}

int sq_err(struct store *s, const char *what)
{
    sqlite3 *db = sq_db(s);
    log_error("store: %s: %s", what, db ? sqlite3_errmsg(db) : "no connection");
    return XC_EDB;
}

int sq_exec(struct store *s, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc == SQLITE_CONSTRAINT)
        return XC_ECONFLICT;
    if (rc != SQLITE_DONE)
        return sq_err(s, what);
    return 0;
}

void sq_hosts_changed(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    s->hosts_dirty = true;
    pthread_mutex_unlock(&s->mu);
}

void sq_creds_changed(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    s->creds_dirty = true;
    pthread_mutex_unlock(&s->mu);
}

/* Called with mu held once the writer's changes are committed. */
static void versions_publish(struct store *s)
{
    if (s->hosts_dirty) {
        s->hosts_dirty = false;
        __atomic_add_fetch(&s->hosts_version, 1, __ATOMIC_SEQ_CST);
    }
    if (s->creds_dirty) {
        s->creds_dirty = false;
        __atomic_add_fetch(&s->creds_version, 1, __ATOMIC_SEQ_CST);
    }
}

uint64_t store_hosts_version(struct store *s) { return __atomic_load_n(&s->hosts_version, __ATOMIC_SEQ_CST); }

uint64_t store_creds_version(struct store *s) { return __atomic_load_n(&s->creds_version, __ATOMIC_SEQ_CST); }

void store_hosts_touch(struct store *s)
{
    sq_hosts_changed(s);
    pthread_mutex_lock(&s->mu);
    if (!s->outer_open)
        versions_publish(s);
    pthread_mutex_unlock(&s->mu);
}

/* ---- the reader pool ---- */

void store_set_readers(struct store *s, int n)
{
    pthread_mutex_lock(&s->pool_mu);
    s->max_readers = n < 0 ? 0 : n > MAX_READERS ? MAX_READERS : n;
    pthread_mutex_unlock(&s->pool_mu);
}

bool store_read_begin(struct store *s)
{
    if (tl.reader) {
        if (tl.store != s)
            return false;
        tl.rbind++;
        return true;
    }
    struct conn *c = NULL;
    pthread_mutex_lock(&s->pool_mu);
    if (s->nfree > 0) {
        c = s->free_readers[--s->nfree];
    } else if (s->nreaders < s->max_readers) {
        c = xcalloc(1, sizeof *c);
        if (conn_open(c, s->path, true) < 0) {
            conn_close(c);
            free(c);
            c = NULL;
            s->max_readers = s->nreaders; /* do not retry on every request */
        } else {
            s->readers[s->nreaders++] = c;
        }
    }
    pthread_mutex_unlock(&s->pool_mu);
    if (!c)
        return false; /* every reader is busy: reads go to the writer */
    tl.store = s;
    tl.reader = c;
    tl.rbind = 1;
    tl.rdepth = 0;
    tl.wrote = false;
    return true;
}

void store_read_end(struct store *s)
{
    if (!tl.reader || tl.store != s || --tl.rbind > 0)
        return;
    conn_settle(tl.reader);
    pthread_mutex_lock(&s->pool_mu);
    s->free_readers[s->nfree++] = tl.reader;
    pthread_mutex_unlock(&s->pool_mu);
    tl.reader = NULL;
    tl.store = NULL;
    tl.rdepth = 0;
}

/* ---- open / close ---- */

static int committer_start(struct store *s);
static void committer_stop(struct store *s);

int store_open(const char *path, struct store **out)
{
    struct store *s = xcalloc(1, sizeof *s);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->mu, &a);
    pthread_mutexattr_destroy(&a);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_mutex_init(&s->epoch_mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    s->path = xstrdup(path);
    /* An in-memory database cannot be shared with reader connections. */
    s->max_readers = (strcmp(path, ":memory:") == 0 || path[0] == '\0') ? 0 : DEFAULT_READERS;
    const char *pragmas = "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                          "PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=4000;"
                          "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL, name TEXT NOT NULL,"
                          " applied_at INTEGER NOT NULL);";
    if (conn_open(&s->writer, path, false) < 0 || conn_exec(&s->writer, pragmas, "initialise") < 0 ||
        committer_start(s) < 0) {
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
    for (int i = 0; i < s->nreaders; i++) {
        conn_close(s->readers[i]);
        free(s->readers[i]);
    }
    conn_close(&s->writer);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_mutex_destroy(&s->epoch_mu);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

/* ---- migrations ---- */

static int latest_migration(void)
{
    int n = 0;
    while (embedded_migrations[n].name)
        n++;
    return n;
}

static const char SQL_SCHEMA_VERSION[] = "SELECT coalesce(max(version),0) FROM schema_version";

int store_schema_version(struct store *s, int *current_v, int *latest)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_SCHEMA_VERSION);
    int rc = XC_EDB;
    if (q && sqlite3_step(q) == SQLITE_ROW) {
        *current_v = sqlite3_column_int(q, 0);
        *latest = latest_migration();
        rc = 0;
    }
    sq_release(s);
    return rc;
}

int store_migrate_up(struct store *s, int *applied)
{
    int cur, latest, rc;
    *applied = 0;
    if ((rc = store_schema_version(s, &cur, &latest)) < 0)
        return rc;
    sq_acquire(s, SQ_WRITE);
    for (int v = cur + 1; v <= latest && rc == 0; v++) {
        const struct embedded_file *m = &embedded_migrations[v - 1];
        char *sql = xasprintf("BEGIN IMMEDIATE; %s\n; INSERT INTO schema_version(version,name,applied_at) "
                              "VALUES(%d,'%s',strftime('%%s','now')); COMMIT;",
                              m->data, v, m->name);
        rc = conn_exec(&s->writer, sql, m->name);
        free(sql);
        if (rc < 0) {
            sqlite3_exec(s->writer.db, "ROLLBACK", NULL, NULL, NULL);
        } else {
            log_info("store: applied migration %s", m->name);
            (*applied)++;
        }
    }
    sq_release(s);
    return rc;
}

/* ---- transactions and group commit ---- */

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE", SQL_COMMIT[] = "COMMIT", SQL_SAVEPOINT[] = "SAVEPOINT req",
                  SQL_RELEASE[] = "RELEASE req", SQL_ROLLBACK_TO[] = "ROLLBACK TO req";

/* Runs one of the fixed statements above on the writer (lock held). */
static int writer_run(struct store *s, const char *sql)
{
    sqlite3_stmt *q = conn_stmt(&s->writer, sql);
    if (!q)
        return XC_EDB;
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    if (r != SQLITE_DONE) {
        log_error("store: %s: %s", sql, sqlite3_errmsg(s->writer.db));
        return XC_EDB;
    }
    return 0;
}

static void *commit_loop(void *arg)
{
    struct store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->pending == 0 && !s->stopping)
            pthread_cond_wait(&s->work_cv, &s->mu);
        if (s->pending == 0 && s->stopping)
            break;
        /* Let transactions that are about to start join this commit, briefly: up to 2 ms or
         * 256 requests, whichever comes first. */
        for (int spins = 0; __atomic_load_n(&s->entering, __ATOMIC_SEQ_CST) > 0 && s->pending < 256 && spins < 20 &&
                            !s->stopping;
             spins++) {
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
            rc = writer_run(s, SQL_COMMIT);
            if (rc < 0)
                sqlite3_exec(s->writer.db, "ROLLBACK", NULL, NULL, NULL);
            s->outer_open = false;
            versions_publish(s);
        }
        uint64_t done = s->epoch_cur++;
        s->pending = 0;
        pthread_mutex_lock(&s->epoch_mu);
        s->epoch_rc[done % EPOCH_RING] = rc;
        s->epoch_done = done;
        pthread_cond_broadcast(&s->done_cv);
        pthread_mutex_unlock(&s->epoch_mu);
        void (*hook)(void *, uint64_t, int) = s->commit_hook;
        void *ctx = s->commit_hook_ctx;
        if (hook) {
            /* Outside the lock: the hook resumes parked requests and publishes their events. */
            pthread_mutex_unlock(&s->mu);
            hook(ctx, done, rc);
            pthread_mutex_lock(&s->mu);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int committer_start(struct store *s)
{
    s->epoch_cur = 1;
    if (pthread_create(&s->committer, NULL, commit_loop, s) != 0)
        return XC_EDB;
    s->committer_running = true;
    return 0;
}

static void committer_stop(struct store *s)
{
    if (!s->committer_running)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->committer, NULL);
    s->committer_running = false;
    if (s->outer_open) {
        writer_run(s, SQL_COMMIT);
        s->outer_open = false;
    }
}

int store_tx_begin(struct store *s)
{
    if (tl.reader)
        tl.wrote = true; /* read-your-writes for the rest of this binding */
    __atomic_add_fetch(&s->entering, 1, __ATOMIC_SEQ_CST);
    sq_acquire(s, SQ_WRITE);
    __atomic_sub_fetch(&s->entering, 1, __ATOMIC_SEQ_CST);
    if (!s->outer_open) {
        if (writer_run(s, SQL_BEGIN) < 0) {
            sq_release(s);
            return XC_EDB;
        }
        s->outer_open = true;
    }
    if (writer_run(s, SQL_SAVEPOINT) < 0) {
        sq_release(s);
        return XC_EDB;
    }
    return 0;
}

int store_tx_commit_async(struct store *s, uint64_t *epoch)
{
    int rc = writer_run(s, SQL_RELEASE);
    *epoch = 0;
    if (rc < 0) {
        writer_run(s, SQL_ROLLBACK_TO);
        writer_run(s, SQL_RELEASE);
    } else if (!s->committer_running) {
        /* Before the committer starts (migrations, tools): commit right away. */
        rc = writer_run(s, SQL_COMMIT);
        s->outer_open = false;
    } else {
        *epoch = s->epoch_cur;
        s->pending++;
        pthread_cond_signal(&s->work_cv);
    }
    sq_release(s);
    return rc;
}

void store_tx_rollback(struct store *s)
{
    writer_run(s, SQL_ROLLBACK_TO);
    writer_run(s, SQL_RELEASE);
    sq_release(s);
}

static int epoch_rc(struct store *s, uint64_t epoch)
{
    return s->epoch_done - epoch < EPOCH_RING ? s->epoch_rc[epoch % EPOCH_RING] : 0;
}

int store_epoch_wait(struct store *s, uint64_t epoch)
{
    if (epoch == 0)
        return 0;
    pthread_mutex_lock(&s->epoch_mu);
    while (s->epoch_done < epoch)
        pthread_cond_wait(&s->done_cv, &s->epoch_mu);
    int rc = epoch_rc(s, epoch);
    pthread_mutex_unlock(&s->epoch_mu);
    return rc;
}

bool store_epoch_poll(struct store *s, uint64_t epoch, int *rc)
{
    pthread_mutex_lock(&s->epoch_mu);
    bool done = s->epoch_done >= epoch;
    if (done)
        *rc = epoch_rc(s, epoch);
    pthread_mutex_unlock(&s->epoch_mu);
    return done;
}

void store_set_commit_hook(struct store *s, void (*fn)(void *ctx, uint64_t epoch, int rc), void *ctx)
{
    pthread_mutex_lock(&s->mu);
    s->commit_hook = fn;
    s->commit_hook_ctx = ctx;
    pthread_mutex_unlock(&s->mu);
}

int store_tx_commit(struct store *s)
{
    uint64_t epoch;
    int rc = store_tx_commit_async(s, &epoch);
    return rc < 0 ? rc : store_epoch_wait(s, epoch);
}
