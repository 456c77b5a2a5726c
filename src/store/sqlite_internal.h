#ifndef XC_SQLITE_INTERNAL_H
#define XC_SQLITE_INTERNAL_H
#include <sqlite3.h>
#include <stdbool.h>

#include "store/store.h"

/* For the SQLite store files (sqlite.c, sqlite_jobs.c, sqlite_billing.c, …): how a store
 * function reaches a connection.
 *
 * Every store function brackets its work with sq_acquire() … sq_release(). Acquire gives the
 * calling thread a connection:
 *   - SQ_WRITE, or any use while the thread holds the writer (a transaction): the one writer
 *     connection, under the store's recursive writer lock;
 *   - SQ_READ when the thread has a reader bound (store_read_begin) and holds no writer: that
 *     read-only connection, with no lock at all (WAL readers run beside the writer).
 * Statements come only from the connection's cache (sq_stmt) and are never finalized before
 * store_close. When the outermost acquire of a connection is released, every statement handed
 * out since is reset, so no statement can stay active past the lock (or reader binding) that
 * guards its connection. */

enum sq_mode { SQ_READ, SQ_WRITE };

void sq_acquire(struct store *s, enum sq_mode mode);
void sq_release(struct store *s);
/* The mode that fits sql: SQ_READ for a SELECT/WITH statement, SQ_WRITE otherwise. */
enum sq_mode sq_mode_of(const char *sql);

/* Acquires the connection that fits sql (sq_mode_of) and returns its cached statement, or NULL
 * after logging. Either way the caller ends with sq_release. */
sqlite3_stmt *sq_begin(struct store *s, const char *sql);

/* The calling thread's current connection (between acquire and release). */
sqlite3 *sq_db(struct store *s);
/* A prepared statement for sql (a string with static storage: the pointer is the cache key) on
 * the current connection, reset with bindings cleared. NULL after logging on a prepare failure. */
sqlite3_stmt *sq_stmt(struct store *s, const char *sql);
/* Steps a statement that returns no rows, then resets it: 0, XC_ECONFLICT on a constraint,
 * XC_EDB otherwise. */
int sq_exec(struct store *s, sqlite3_stmt *q, const char *what);
/* Logs the current connection's error and returns XC_EDB. */
int sq_err(struct store *s, const char *what);
/* Bumps the host-list version (any host write). */
void sq_hosts_changed(struct store *s);
/* Bumps the credentials version (any write to users, sessions, keys or teams). */
void sq_creds_changed(struct store *s);

/* ---- rows (sqlite_rows.c): the one set of bind/column/step helpers ---- */
typedef void (*sq_row_reader)(sqlite3_stmt *q, void *dst);
/* Text is copied by SQLite (TRANSIENT): the value need not outlive the call. NULL binds "". */
void sq_bind_text(sqlite3_stmt *q, int i, const char *v);
void sq_bind_text_or_null(sqlite3_stmt *q, int i, const char *v);
/* An integer, or NULL when !has. */
void sq_bind_opt(sqlite3_stmt *q, int i, bool has, int64_t v);
/* A timestamp, NULL when 0. */
void sq_bind_ts(sqlite3_stmt *q, int i, int64_t v);
/* Copies a text column into dst (bounded; "" for NULL). */
void sq_col_copy(sqlite3_stmt *q, int i, char *dst, size_t n);
/* A text column the caller frees; dflt (copied) for NULL, or NULL when dflt is NULL. */
char *sq_col_dup(sqlite3_stmt *q, int i, const char *dflt);
/* Steps q once and reads its row: 0, XC_ENOTFOUND (no row) or XC_EDB; q is reset. */
int sq_step_one(struct store *s, sqlite3_stmt *q, sq_row_reader read, void *out, const char *what);
/* Steps q to the end collecting rows of `size` bytes into a growing array the caller frees. */
int sq_collect(struct store *s, sqlite3_stmt *q, size_t size, sq_row_reader read, void **out, size_t *n,
               const char *what);
/* Acquires a reader, runs sql with one text key, reads its single row. */
int sq_get_one(struct store *s, const char *sql, const char *key, sq_row_reader read, void *out, const char *what);
/* Acquires the writer, runs sql with one text key: 0, or XC_ENOTFOUND when no row changed. */
int sq_delete_by_id(struct store *s, const char *sql, const char *key, const char *what);

/* State columns (sqlite_states.c). A state is stored as its wire name and read back through
 * core's one mapping of each list (jobstate_name/parse, hoststate_*, leasestate_*,
 * walletstate_*, jobstate_stop_*), never by comparing strings here. A stored name the mapping does not know is
 * logged and read as the list's first state (a stop reason: as none). SQL text may still name
 * states in WHERE clauses. */
void sq_bind_jobstate(sqlite3_stmt *q, int i, enum jobstate v);
enum jobstate sq_col_jobstate(sqlite3_stmt *q, int i);
void sq_bind_hoststate(sqlite3_stmt *q, int i, enum hoststate v);
enum hoststate sq_col_hoststate(sqlite3_stmt *q, int i);
void sq_bind_leasestate(sqlite3_stmt *q, int i, enum leasestate v);
enum leasestate sq_col_leasestate(sqlite3_stmt *q, int i);
void sq_bind_walletstate(sqlite3_stmt *q, int i, enum walletstate v);
enum walletstate sq_col_walletstate(sqlite3_stmt *q, int i);
/* A nullable stop-reason column: NULL when !has. */
void sq_bind_stop(sqlite3_stmt *q, int i, bool has, enum jobstate_stop v);
/* Reads a nullable stop-reason column: false (and *out untouched) when NULL or empty. */
bool sq_col_stop(sqlite3_stmt *q, int i, enum jobstate_stop *out);
/* A nullable job-state column (job_runs.final_status): false when NULL or empty. */
bool sq_col_jobstate_opt(sqlite3_stmt *q, int i, enum jobstate *out);

#endif
