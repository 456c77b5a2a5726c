#ifndef XC_SQLITE_INTERNAL_H
#define XC_SQLITE_INTERNAL_H
#include <sqlite3.h>

#include "store/store.h"

/* For SQLite store modules other than sqlite.c (e.g. sqlite_billing.c): the connection, the
 * store lock and a statement cache. Each area keeps its SQL in static strings and its
 * functions in its own file, declared in its own header next to store.h. */

sqlite3 *sq_db(struct store *s);
/* The store's recursive lock; every store function holds it for its duration. */
void sq_lock(struct store *s);
void sq_unlock(struct store *s);
/* A prepared statement for sql (a string with static storage: the pointer is the cache key),
 * reset with bindings cleared. NULL after logging on a prepare failure. Call with the lock held. */
sqlite3_stmt *sq_stmt(struct store *s, const char *sql);
/* Steps a statement that returns no rows: 0, XC_ECONFLICT on a constraint, XC_EDB otherwise. */
int sq_exec(struct store *s, sqlite3_stmt *q, const char *what);

#endif
