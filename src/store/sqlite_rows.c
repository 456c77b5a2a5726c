/* SQLite backend: the one set of bind, column and step helpers every store file uses. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/xalloc.h"
#include "store/sqlite_internal.h"

void sq_bind_text(sqlite3_stmt *q, int i, const char *v)
{
    sqlite3_bind_text(q, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

void sq_bind_text_or_null(sqlite3_stmt *q, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, i);
}

void sq_bind_opt(sqlite3_stmt *q, int i, bool has, int64_t v)
{
    if (has)
        sqlite3_bind_int64(q, i, v);
    else
        sqlite3_bind_null(q, i);
}

void sq_bind_ts(sqlite3_stmt *q, int i, int64_t v) { sq_bind_opt(q, i, v != 0, v); }

void sq_col_copy(sqlite3_stmt *q, int i, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

char *sq_col_dup(sqlite3_stmt *q, int i, const char *dflt)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    if (!t)
        return dflt ? xstrdup(dflt) : NULL;
    return xstrdup((const char *)t);
}

int sq_step_one(struct store *s, sqlite3_stmt *q, sq_row_reader read, void *out, const char *what)
{
    int r = sqlite3_step(q), rc;
    if (r == SQLITE_ROW) {
        read(q, out);
        rc = 0;
    } else {
        rc = r == SQLITE_DONE ? XC_ENOTFOUND : sq_err(s, what);
    }
    sqlite3_reset(q);
    return rc;
}

int sq_collect(struct store *s, sqlite3_stmt *q, size_t size, sq_row_reader read, void **out, size_t *n,
               const char *what)
{
    size_t cap = 16, len = 0;
    char *arr = xmalloc(cap * size);
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        if (len == cap) {
            cap *= 2;
            arr = xrealloc(arr, cap * size);
        }
        memset(arr + len * size, 0, size);
        read(q, arr + len * size);
        len++;
    }
    sqlite3_reset(q);
    if (r != SQLITE_DONE) {
        free(arr);
        *out = NULL;
        *n = 0;
        return sq_err(s, what);
    }
    *out = arr;
    *n = len;
    return 0;
}

int sq_get_one(struct store *s, const char *sql, const char *key, sq_row_reader read, void *out, const char *what)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB;
    sqlite3_stmt *q = sq_stmt(s, sql);
    if (q) {
        sq_bind_text(q, 1, key);
        rc = sq_step_one(s, q, read, out, what);
    }
    sq_release(s);
    return rc;
}

int sq_delete_by_id(struct store *s, const char *sql, const char *key, const char *what)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, sql);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, key);
        rc = sq_exec(s, q, what);
        if (rc == 0 && sqlite3_changes(sq_db(s)) == 0)
            rc = XC_ENOTFOUND;
    }
    sq_release(s);
    return rc;
}

sqlite3_stmt *sq_begin(struct store *s, const char *sql)
{
    sq_acquire(s, sq_mode_of(sql));
    return sq_stmt(s, sql);
}
