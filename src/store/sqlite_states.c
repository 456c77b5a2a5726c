/* State columns of the SQLite store: every job, host, lease, wallet and stop-request state is bound and
 * read through core's name <-> enum mapping of its list (see sqlite_internal.h). */
#include <sqlite3.h>
#include <stdbool.h>

#include "common/log.h"
#include "core/states.h"
#include "core/jobstate.h"
#include "store/sqlite_internal.h"

/* name is a static string from a core table (or NULL out of range: bound as NULL, so a NOT NULL
 * column refuses it). */
static void bind_name(sqlite3_stmt *q, int i, const char *name)
{
    if (name)
        sqlite3_bind_text(q, i, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

/* The column's text, or NULL for a NULL or empty value. */
static const char *col_name(sqlite3_stmt *q, int i)
{
    const char *t = (const char *)sqlite3_column_text(q, i);
    return t && *t ? t : NULL;
}

static void unknown(sqlite3_stmt *q, int i, const char *what, const char *name)
{
    log_warn("store: unknown %s '%s' in column %s", what, name ? name : "(null)", sqlite3_column_name(q, i));
}

void sq_bind_jobstate(sqlite3_stmt *q, int i, enum jobstate v)
{
    bind_name(q, i, jobstate_name(v));
}

enum jobstate sq_col_jobstate(sqlite3_stmt *q, int i)
{
    enum jobstate v = JOB_QUEUED;
    const char *t = col_name(q, i);
    if (jobstate_parse(t, &v) < 0)
        unknown(q, i, "job state", t);
    return v;
}

bool sq_col_jobstate_opt(sqlite3_stmt *q, int i, enum jobstate *out)
{
    const char *t = col_name(q, i);
    if (!t)
        return false;
    if (jobstate_parse(t, out) == 0)
        return true;
    unknown(q, i, "job state", t);
    return false;
}

void sq_bind_hoststate(sqlite3_stmt *q, int i, enum hoststate v)
{
    bind_name(q, i, hoststate_name(v));
}

enum hoststate sq_col_hoststate(sqlite3_stmt *q, int i)
{
    enum hoststate v = HOST_PENDING;
    const char *t = col_name(q, i);
    if (hoststate_parse(t, &v) < 0)
        unknown(q, i, "host status", t);
    return v;
}

void sq_bind_leasestate(sqlite3_stmt *q, int i, enum leasestate v)
{
    bind_name(q, i, leasestate_name(v));
}

enum leasestate sq_col_leasestate(sqlite3_stmt *q, int i)
{
    enum leasestate v = LEASE_ACTIVE;
    const char *t = col_name(q, i);
    if (leasestate_parse(t, &v) < 0)
        unknown(q, i, "lease status", t);
    return v;
}

void sq_bind_walletstate(sqlite3_stmt *q, int i, enum walletstate v)
{
    bind_name(q, i, walletstate_name(v));
}

enum walletstate sq_col_walletstate(sqlite3_stmt *q, int i)
{
    enum walletstate v = WALLET_ACTIVE;
    const char *t = col_name(q, i);
    if (walletstate_parse(t, &v) < 0)
        unknown(q, i, "wallet status", t);
    return v;
}

void sq_bind_stop(sqlite3_stmt *q, int i, bool has, enum jobstate_stop v)
{
    bind_name(q, i, has ? jobstate_stop_name(v) : NULL);
}

bool sq_col_stop(sqlite3_stmt *q, int i, enum jobstate_stop *out)
{
    const char *t = col_name(q, i);
    if (!t)
        return false;
    if (jobstate_stop_parse(t, out) == 0)
        return true;
    unknown(q, i, "stop reason", t);
    return false;
}
