/* SQLite implementation of reputation_store.h. SQL lives in static strings (the statement cache
 * keys on their addresses); every value is bound. Entity types are stored as their wire names and
 * read back through core's one mapping (rep_entity_type_name/parse). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/reputation_store.h"
#include "store/sqlite_internal.h"

#define REP_COLS                                                                                   \
    "entity_type,entity_id,verifications,verification_points,activity_points,penalty_points,"       \
    "jobs_completed,jobs_failed_host,jobs_failed_user,last_activity_at,events,created_at,updated_at"

static enum rep_entity_type col_type(sqlite3_stmt *q, int i)
{
    const char *t = (const char *)sqlite3_column_text(q, i);
    enum rep_entity_type v;
    if (rep_entity_type_parse(t ? t : "", &v) < 0) {
        log_warn("store: reputation row with an unknown entity type '%s'", t ? t : "");
        v = REP_ENTITY_HOST;
    }
    return v;
}

static void row_read(sqlite3_stmt *q, void *dst)
{
    struct rep_row *r = dst;
    memset(r, 0, sizeof *r);
    r->f = rep_facts_new();
    int i = 0;
    r->type = col_type(q, i++);
    sq_col_copy(q, i++, r->entity_id, sizeof r->entity_id);
    r->f.verifications = (unsigned)sqlite3_column_int64(q, i++);
    r->f.verification_points = sqlite3_column_int64(q, i++);
    r->f.activity_points = sqlite3_column_int64(q, i++);
    r->f.penalty_points = sqlite3_column_int64(q, i++);
    r->f.jobs_completed = sqlite3_column_int64(q, i++);
    r->f.jobs_failed_host = sqlite3_column_int64(q, i++);
    r->f.jobs_failed_user = sqlite3_column_int64(q, i++);
    r->f.last_activity_at_us = sqlite3_column_type(q, i) == SQLITE_NULL ? REP_NO_TIME : sqlite3_column_int64(q, i);
    i++;
    r->f.events = sqlite3_column_int64(q, i++);
    r->created_at = sqlite3_column_int64(q, i++);
    r->updated_at = sqlite3_column_int64(q, i++);
    if (sqlite3_column_count(q) > i + 1) {
        r->completed_90d = sqlite3_column_int64(q, i++);
        r->failed_host_90d = sqlite3_column_int64(q, i++);
    }
}

static const char SQL_GET[] = "SELECT " REP_COLS " FROM reputation WHERE entity_type=? AND entity_id=?";

int rstore_get(struct store *s, enum rep_entity_type type, const char *entity_id, struct rep_row *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_GET);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, rep_entity_type_name(type));
        sq_bind_text(q, 2, entity_id);
        rc = sq_step_one(s, q, row_read, out, "reputation get");
    }
    sq_release(s);
    return rc;
}

static const char SQL_PUT[] =
    "INSERT INTO reputation(" REP_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(entity_type,entity_id) DO UPDATE SET verifications=excluded.verifications,"
    "verification_points=excluded.verification_points,activity_points=excluded.activity_points,"
    "penalty_points=excluded.penalty_points,jobs_completed=excluded.jobs_completed,"
    "jobs_failed_host=excluded.jobs_failed_host,jobs_failed_user=excluded.jobs_failed_user,"
    "last_activity_at=excluded.last_activity_at,events=excluded.events,updated_at=excluded.updated_at";

int rstore_put(struct store *s, const struct rep_row *r)
{
    sqlite3_stmt *q = sq_begin(s, SQL_PUT);
    int rc = XC_EDB;
    if (q) {
        int i = 1;
        sq_bind_text(q, i++, rep_entity_type_name(r->type));
        sq_bind_text(q, i++, r->entity_id);
        sqlite3_bind_int64(q, i++, (int64_t)r->f.verifications);
        sqlite3_bind_int64(q, i++, r->f.verification_points);
        sqlite3_bind_int64(q, i++, r->f.activity_points);
        sqlite3_bind_int64(q, i++, r->f.penalty_points);
        sqlite3_bind_int64(q, i++, r->f.jobs_completed);
        sqlite3_bind_int64(q, i++, r->f.jobs_failed_host);
        sqlite3_bind_int64(q, i++, r->f.jobs_failed_user);
        sq_bind_opt(q, i++, r->f.last_activity_at_us != REP_NO_TIME, r->f.last_activity_at_us);
        sqlite3_bind_int64(q, i++, r->f.events);
        sqlite3_bind_int64(q, i++, r->created_at);
        sqlite3_bind_int64(q, i++, r->updated_at);
        rc = sq_exec(s, q, "reputation put");
    }
    sq_release(s);
    return rc;
}

#define WINDOW_COUNTS                                                                              \
    "(SELECT count(*) FROM reputation_events e WHERE e.entity_type=r.entity_type AND "              \
    "e.entity_id=r.entity_id AND e.event_type='job_completed' AND e.created_at>=?1),"              \
    "(SELECT count(*) FROM reputation_events e WHERE e.entity_type=r.entity_type AND "              \
    "e.entity_id=r.entity_id AND e.event_type='job_failure_host' AND e.created_at>=?1)"

static const char SQL_WINDOW[] =
    "SELECT (SELECT count(*) FROM reputation_events WHERE entity_type=?2 AND entity_id=?3 AND "
    "event_type='job_completed' AND created_at>=?1),(SELECT count(*) FROM reputation_events WHERE "
    "entity_type=?2 AND entity_id=?3 AND event_type='job_failure_host' AND created_at>=?1)";

int rstore_window(struct store *s, enum rep_entity_type type, const char *entity_id, int64_t since,
                  int64_t *completed, int64_t *failed_host)
{
    sqlite3_stmt *q = sq_begin(s, SQL_WINDOW);
    int rc = XC_EDB;
    *completed = *failed_host = 0;
    if (q) {
        sqlite3_bind_int64(q, 1, since);
        sq_bind_text(q, 2, rep_entity_type_name(type));
        sq_bind_text(q, 3, entity_id);
        if (sqlite3_step(q) == SQLITE_ROW) {
            *completed = sqlite3_column_int64(q, 0);
            *failed_host = sqlite3_column_int64(q, 1);
            rc = 0;
        } else {
            rc = sq_err(s, "reputation window");
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

static const char SQL_LIST[] = "SELECT r.entity_type,r.entity_id,r.verifications,r.verification_points,"
                               "r.activity_points,r.penalty_points,r.jobs_completed,r.jobs_failed_host,"
                               "r.jobs_failed_user,r.last_activity_at,r.events,r.created_at,r.updated_at," WINDOW_COUNTS
                               " FROM reputation r WHERE r.entity_type=?2 ORDER BY r.entity_id";

int rstore_list(struct store *s, enum rep_entity_type type, int64_t since, struct rep_row **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_LIST);
    int rc = XC_EDB;
    *out = NULL;
    *n = 0;
    if (q) {
        sqlite3_bind_int64(q, 1, since);
        sq_bind_text(q, 2, rep_entity_type_name(type));
        rc = sq_collect(s, q, sizeof **out, row_read, (void **)out, n, "reputation list");
    }
    sq_release(s);
    return rc;
}

/* ---- events ---- */

static const char SQL_EV_INSERT[] = "INSERT INTO reputation_events(entity_type,entity_id,event_type,points_delta,"
                                    "reason,metadata,ref,created_at) VALUES(?,?,?,?,?,?,?,?)";

int rstore_event_insert(struct store *s, const struct rep_event_row *e)
{
    sqlite3_stmt *q = sq_begin(s, SQL_EV_INSERT);
    int rc = XC_EDB;
    if (q) {
        int i = 1;
        sq_bind_text(q, i++, rep_entity_type_name(e->type));
        sq_bind_text(q, i++, e->entity_id);
        sq_bind_text(q, i++, e->event_type);
        sqlite3_bind_int64(q, i++, e->points_delta);
        sq_bind_text(q, i++, e->reason);
        sq_bind_text(q, i++, e->metadata ? e->metadata : "{}");
        sq_bind_text(q, i++, e->ref);
        sqlite3_bind_int64(q, i++, e->created_at);
        rc = sq_exec(s, q, "reputation event insert");
    }
    sq_release(s);
    return rc;
}

static const char SQL_EV_EXISTS[] = "SELECT 1 FROM reputation_events WHERE entity_type=? AND entity_id=? AND "
                                    "event_type=? AND ref=? AND ref!=''";

int rstore_event_exists(struct store *s, enum rep_entity_type type, const char *entity_id, const char *event_type,
                        const char *ref, bool *exists)
{
    sqlite3_stmt *q = sq_begin(s, SQL_EV_EXISTS);
    int rc = XC_EDB;
    *exists = false;
    if (q) {
        sq_bind_text(q, 1, rep_entity_type_name(type));
        sq_bind_text(q, 2, entity_id);
        sq_bind_text(q, 3, event_type);
        sq_bind_text(q, 4, ref);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW || r == SQLITE_DONE) {
            *exists = r == SQLITE_ROW;
            rc = 0;
        } else {
            rc = sq_err(s, "reputation event exists");
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

static void event_read(sqlite3_stmt *q, void *dst)
{
    struct rep_event_row *e = dst;
    int i = 0;
    e->event_id = sqlite3_column_int64(q, i++);
    e->type = col_type(q, i++);
    sq_col_copy(q, i++, e->entity_id, sizeof e->entity_id);
    sq_col_copy(q, i++, e->event_type, sizeof e->event_type);
    e->points_delta = sqlite3_column_int64(q, i++);
    sq_col_copy(q, i++, e->reason, sizeof e->reason);
    e->metadata = sq_col_dup(q, i++, "{}");
    sq_col_copy(q, i++, e->ref, sizeof e->ref);
    e->created_at = sqlite3_column_int64(q, i++);
}

static const char SQL_EVENTS[] = "SELECT event_id,entity_type,entity_id,event_type,points_delta,reason,metadata,ref,"
                                 "created_at FROM reputation_events WHERE entity_type=? AND entity_id=? "
                                 "ORDER BY event_id DESC LIMIT ?";

int rstore_events(struct store *s, enum rep_entity_type type, const char *entity_id, int limit,
                  struct rep_event_row **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_EVENTS);
    int rc = XC_EDB;
    *out = NULL;
    *n = 0;
    if (q) {
        sq_bind_text(q, 1, rep_entity_type_name(type));
        sq_bind_text(q, 2, entity_id);
        sqlite3_bind_int(q, 3, limit);
        rc = sq_collect(s, q, sizeof **out, event_read, (void **)out, n, "reputation events");
    }
    sq_release(s);
    return rc;
}

void rstore_events_free(struct rep_event_row *ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ev[i].metadata);
    free(ev);
}
