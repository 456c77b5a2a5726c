#ifndef XC_STORE_H
#define XC_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/model.h"

/* Persistence behind one interface. The SQLite backend (sqlite.c) is the default; a PostgreSQL
 * backend implements the same functions. All functions return 0 or a negative XC_E* code.
 *
 * Concurrency: one writer, several readers. Every write takes the store's (recursive) writer lock
 * for its duration; store_tx_begin() takes it until store_tx_commit()/store_tx_rollback(), so a
 * handler's whole read-check-write sequence is one transaction that no other thread interleaves
 * with, and every read inside it sees the transaction's own writes. A thread that called
 * store_read_begin() and holds no transaction reads from a read-only connection of its own (the
 * last committed state, WAL) without waiting for the writer. */

struct store;

/* Opens (creating if needed) the database at path. The caller owns *out (store_close). */
int store_open(const char *path, struct store **out);
void store_close(struct store *s);

/* Migrations embedded in the binary, applied in name order, one transaction each. */
int store_migrate_up(struct store *s, int *applied);
int store_schema_version(struct store *s, int *current, int *latest);

/* Binds one of the pool's read-only connections to the calling thread until store_read_end
 * (nestable). Returns false when every reader is busy: reads then go to the writer. */
bool store_read_begin(struct store *s);
void store_read_end(struct store *s);
/* Size of the reader pool (0..16; default 4, 0 for an in-memory database). */
void store_set_readers(struct store *s, int n);

int store_tx_begin(struct store *s);
/* Ends the transaction and waits until the commit that contains it is durable. */
int store_tx_commit(struct store *s);
void store_tx_rollback(struct store *s);

/* Group commit, for callers that must not block: ends the transaction and returns at once with
 * the epoch (> 0) whose commit will make it durable (0: already committed). */
int store_tx_commit_async(struct store *s, uint64_t *epoch);
/* Waits for an epoch's commit; returns its result (0 or XC_EDB). */
int store_epoch_wait(struct store *s, uint64_t epoch);
/* Whether the epoch was committed yet (then *rc holds its result). */
bool store_epoch_poll(struct store *s, uint64_t epoch, int *rc);
/* fn(ctx, epoch, rc) runs on the committer thread, outside the store lock, after each commit. */
void store_set_commit_hook(struct store *s, void (*fn)(void *ctx, uint64_t epoch, int rc), void *ctx);

/* Readiness: a read plus an upsert of the one healthcheck row. */
int store_healthcheck(struct store *s, int64_t now_us);

/* Hosts. *_get fills *out (caller frees with host_free). */
int store_host_get(struct store *s, const char *host_id, struct host *out);
int store_host_put(struct store *s, const struct host *h);
int store_host_delete(struct store *s, const char *host_id);
/* All hosts (active_only: status active), by registered_at then host_id. Caller frees each row
 * with host_free and the array with free(). */
int store_host_list(struct store *s, bool active_only, struct host **out, size_t *n);
/* A keyset page of hosts in the same order: rows after (after_registered, after_id) (after_id
 * NULL = from the start), at most limit (<= 0: all). Caller frees as for store_host_list. */
int store_host_page(struct store *s, bool active_only, int64_t after_registered, const char *after_id, int limit,
                    struct host **out, size_t *n);
/* Hosts by status, indexed by enum hoststate. */
int store_host_counts(struct store *s, int64_t counts[HOST__COUNT]);
/* A counter that changes with every host write (for response caches). */
uint64_t store_hosts_version(struct store *s);
/* Moves once a write to users, sessions, API keys or teams is committed (never before): a
 * credential resolved while it held one value is current for as long as it holds it. */
uint64_t store_creds_version(struct store *s);
/* Invalidates host-list caches when something they render changed outside the hosts table
 * (e.g. a marketplace listing changes a host's effective rate). */
void store_hosts_touch(struct store *s);

/* Jobs. */
int store_job_get(struct store *s, const char *job_id, struct job *out);
int store_job_put(struct store *s, const struct job *j);
struct job_filter {
    bool has_status;     /* false = any status */
    enum jobstate status;
    const char *host_id; /* NULL = any */
    const char *owner;   /* NULL = any */
    /* A non-admin user's view (api §7.1): jobs whose owner is viewer_customer, or on a host whose
     * owner is viewer_user. NULL = no restriction. */
    const char *viewer_customer, *viewer_user;
    /* Jobs of the team's members (their customers), in place of the viewer restriction: the
     * caller has checked membership. NULL = no team filter. */
    const char *team_id;
    bool queue_order;    /* priority desc, submitted asc, id asc instead of submitted asc */
    int limit;           /* <= 0: no limit */
    int offset;
    /* Keyset page (submission order only): rows after (after_submitted, after_id). */
    const char *after_id; /* NULL = from the start */
    int64_t after_submitted;
};
/* Caller frees each row with job_free and the array with free(). *total counts before paging
 * (from counters kept by triggers unless host_id or owner is set: then an index count).
 * XC_EINVAL for a keyset page in queue order. */
int store_job_list(struct store *s, const struct job_filter *f, struct job **out, size_t *n, int64_t *total);
/* Whether user_id and the user whose customer is customer_id share a team (api §8.16: team
 * members see the team's jobs). */
int store_customer_in_users_team(struct store *s, const char *user_id, const char *customer_id, bool *shared);
/* Jobs of a host in the active states (assigned, leased, running). */
int store_jobs_active_on_host(struct store *s, const char *host_id, struct job **out, size_t *n);
/* Jobs by status, indexed by enum jobstate. */
int store_job_counts(struct store *s, int64_t counts[JOB__COUNT]);
/* Queued jobs in queue order (priority desc, submitted asc, id asc), at most limit (<= 0: all).
 * Caller frees each avoid_hosts and the array. */
int store_jobs_queued_brief(struct store *s, int limit, struct job_brief **out, size_t *n);
/* Distinct non-empty images of jobs submitted at or after since_us, by number of jobs descending,
 * then latest submission, then image; at most limit. *out: caller frees each string, then the
 * array. */
int store_popular_images(struct store *s, int64_t since_us, int limit, char ***out, size_t *n);
/* Sets a queued job's hold and pending reasons. */
int store_job_set_pending(struct store *s, const char *job_id, const char *hold, const char *pending);
/* queued → assigned as one narrow compare-and-swap update (XC_ECONFLICT if no longer queued). */
int store_job_assign(struct store *s, const char *job_id, const char *host_id, int64_t at, int64_t rate);
/* Adds delta (may be negative; floored at 0) to a host's reserved VRAM. */
int store_host_reserve(struct store *s, const char *host_id, int64_t delta_mgb);

/* Run intervals: one row per attempt that reached running. */
int store_run_start(struct store *s, const char *job_id, int attempt, const char *host_id, int64_t at);
int store_run_end(struct store *s, const char *job_id, int attempt, int64_t at, enum jobstate final_status);

/* Leases. */
int store_lease_put(struct store *s, const struct lease *l);
int store_lease_active(struct store *s, const char *job_id, struct lease *out);
/* Active leases whose expires_at < cutoff. Caller frees *out. */
int store_leases_expired(struct store *s, int64_t cutoff, struct lease **out, size_t *n);
/* Leases in one status, newest grant first, limit rows from offset. Caller frees *out. */
int store_leases_list(struct store *s, enum leasestate status, int limit, int offset, struct lease **out, size_t *n);

/* Agent tokens (stored as SHA-256 hex). */
int store_agent_token_put(struct store *s, const char *hash_hex, const char *host_id, int64_t at);
int store_agent_token_host(struct store *s, const char *hash_hex, char host_id[65]);
int store_agent_tokens_revoke(struct store *s, const char *host_id);

/* Job log lines (bounded per job by the caller's trimming). */
int store_job_log_append(struct store *s, const char *job_id, int64_t ts, const char *level, const char *line);
typedef void (*store_log_cb)(void *ctx, int64_t ts, const char *level, const char *line);
int store_job_logs(struct store *s, const char *job_id, int limit, store_log_cb cb, void *ctx, int64_t *total);

/* Event chain rows. */
struct event_row {
    int64_t seq;
    char event_id[37];
    const char *event_type, *entity_type, *entity_id, *actor;
    int64_t ts_us;
    const char *data, *metadata; /* canonical JSON text */
    char prev_hash[65], event_hash[65];
};
/* The chain head (seq 0 and 64 zeros when empty); _mac also returns the head MAC ("" if none). */
int store_event_head(struct store *s, int64_t *seq, char hash[65]);
int store_event_head_mac(struct store *s, int64_t *seq, char hash[65], char mac[65]);
int store_event_append(struct store *s, const struct event_row *e, const char *head_mac);
typedef int (*store_event_cb)(void *ctx, const struct event_row *e);
/* Events of one entity (entity_id NULL = all), oldest first, at most limit (<=0: all). */
int store_events(struct store *s, const char *entity_type, const char *entity_id, int limit,
                 store_event_cb cb, void *ctx);
/* GET /api/events/{entity_type}/{entity_id} (api §8.11): one entity's events, oldest first,
 * narrowed to one event type (NULL = any) and to ts_us >= since_us, at most limit (<= 0: all). */
struct event_query {
    const char *entity_type, *entity_id, *event_type;
    int64_t since_us;
    int limit;
};
int store_events_query(struct store *s, const struct event_query *f, store_event_cb cb, void *ctx);

/* Settings (small key/value strings that survive restarts). */
int store_setting_get(struct store *s, const char *key, char *buf, size_t n);
int store_setting_set(struct store *s, const char *key, const char *value);

/* Autoscale pool. */
int store_pool_put(struct store *s, const struct pool_entry *p);
int store_pool_get(struct store *s, const char *host_id, struct pool_entry *out);
int store_pool_delete(struct store *s, const char *host_id);
int store_pool_list(struct store *s, struct pool_entry **out, size_t *n);

#endif
