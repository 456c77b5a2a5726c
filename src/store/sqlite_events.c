/* SQLite backend of store.h: The hash-chained event log, settings and the readiness probe row. Every statement is one of the static SQL strings
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

static const char SQL_EV_HEAD[] = "SELECT head_seq, head_hash, head_mac FROM event_head WHERE id=1";
static const char SQL_EV_PUT[] = "INSERT INTO events(seq,event_id,event_type,entity_type,entity_id,ts_us,actor,data,metadata,"
                  "prev_hash,event_hash) VALUES(?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_EV_HEAD_PUT[] = "INSERT OR REPLACE INTO event_head(id,head_seq,head_hash,head_mac) VALUES(1,?,?,?)";
static const char SQL_EV_ENTITY[] = "SELECT seq,event_id,event_type,entity_type,entity_id,ts_us,actor,data,metadata,prev_hash,"
                     "event_hash FROM events WHERE entity_type=? AND entity_id=? ORDER BY seq LIMIT ?";
static const char SQL_EV_TYPE[] = "SELECT seq,event_id,event_type,entity_type,entity_id,ts_us,actor,data,metadata,prev_hash,"
                   "event_hash FROM events WHERE (?1 IS NULL OR entity_type=?1) ORDER BY seq LIMIT ?2";
static const char SQL_EV_QUERY[] = "SELECT seq,event_id,event_type,entity_type,entity_id,ts_us,actor,data,metadata,"
                                   "prev_hash,event_hash FROM events WHERE entity_type=?1 AND entity_id=?2 AND "
                                   "(?3 IS NULL OR event_type=?3) AND ts_us>=?4 ORDER BY seq LIMIT ?5";
static const char SQL_SET_GET[] = "SELECT value FROM settings WHERE key=?";
static const char SQL_SET_PUT[] = "INSERT OR REPLACE INTO settings(key,value) VALUES(?,?)";
static const char SQL_HEALTH[] = "INSERT INTO healthcheck(id,checked_at) VALUES(1,?) ON CONFLICT(id) DO UPDATE SET "
                                 "checked_at=excluded.checked_at";

/* ---- events ---- */

int store_event_head(struct store *s, int64_t *seq, char hash[65])
{
    char mac[65];
    return store_event_head_mac(s, seq, hash, mac);
}

int store_event_head_mac(struct store *s, int64_t *seq, char hash[65], char mac[65])
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_EV_HEAD);
    int rc = XC_EDB;
    if (q) {
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            *seq = sqlite3_column_int64(q, 0);
            sq_col_copy(q, 1, hash, 65);
            sq_col_copy(q, 2, mac, 65);
            rc = 0;
        } else if (r == SQLITE_DONE) {
            *seq = 0;
            memset(hash, '0', 64);
            hash[64] = '\0';
            mac[0] = '\0';
            rc = 0;
        } else {
            rc = sq_err(s, "event head");
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
    sqlite3_stmt *q = sq_stmt(s, SQL_EV_PUT);
    if (q) {
        sqlite3_bind_int64(q, 1, e->seq);
        sq_bind_text(q, 2, e->event_id);
        sq_bind_text(q, 3, e->event_type);
        sq_bind_text(q, 4, e->entity_type);
        sq_bind_text(q, 5, e->entity_id);
        sqlite3_bind_int64(q, 6, e->ts_us);
        sq_bind_text(q, 7, e->actor);
        sq_bind_text(q, 8, e->data);
        sq_bind_text(q, 9, e->metadata);
        sq_bind_text(q, 10, e->prev_hash);
        sq_bind_text(q, 11, e->event_hash);
        rc = sq_exec(s, q, "event put");
    }
    if (rc == 0 && (q = sq_stmt(s, SQL_EV_HEAD_PUT))) {
        sqlite3_bind_int64(q, 1, e->seq);
        sq_bind_text(q, 2, e->event_hash);
        sq_bind_text(q, 3, head_mac);
        rc = sq_exec(s, q, "event head put");
    }
    sq_release(s);
    return rc;
}

/* Steps q (a SELECT of the event columns in their table order) handing each row to cb until it
 * returns non-zero; q is reset. */
static int each_event(struct store *s, sqlite3_stmt *q, store_event_cb cb, void *ctx)
{
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        struct event_row e = {0};
        e.seq = sqlite3_column_int64(q, 0);
        sq_col_copy(q, 1, e.event_id, sizeof e.event_id);
        e.event_type = (const char *)sqlite3_column_text(q, 2);
        e.entity_type = (const char *)sqlite3_column_text(q, 3);
        e.entity_id = (const char *)sqlite3_column_text(q, 4);
        e.ts_us = sqlite3_column_int64(q, 5);
        e.actor = (const char *)sqlite3_column_text(q, 6);
        e.data = (const char *)sqlite3_column_text(q, 7);
        e.metadata = (const char *)sqlite3_column_text(q, 8);
        sq_col_copy(q, 9, e.prev_hash, sizeof e.prev_hash);
        sq_col_copy(q, 10, e.event_hash, sizeof e.event_hash);
        if (cb(ctx, &e) != 0)
            break;
    }
    int rc = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : sq_err(s, "events read");
    sqlite3_reset(q);
    return rc;
}

int store_events(struct store *s, const char *entity_type, const char *entity_id, int limit, store_event_cb cb,
                 void *ctx)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB;
    sqlite3_stmt *q = sq_stmt(s, entity_id ? SQL_EV_ENTITY : SQL_EV_TYPE);
    if (!q)
        goto out;
    if (entity_id) {
        sq_bind_text(q, 1, entity_type);
        sq_bind_text(q, 2, entity_id);
        sqlite3_bind_int(q, 3, limit > 0 ? limit : -1);
    } else {
        if (entity_type)
            sq_bind_text(q, 1, entity_type);
        sqlite3_bind_int(q, 2, limit > 0 ? limit : -1);
    }
    rc = each_event(s, q, cb, ctx);
out:
    sq_release(s);
    return rc;
}

int store_events_query(struct store *s, const struct event_query *f, store_event_cb cb, void *ctx)
{
    sq_acquire(s, SQ_READ);
    int rc = XC_EDB;
    sqlite3_stmt *q = sq_stmt(s, SQL_EV_QUERY);
    if (q) {
        sq_bind_text(q, 1, f->entity_type);
        sq_bind_text(q, 2, f->entity_id);
        sq_bind_text_or_null(q, 3, f->event_type);
        sqlite3_bind_int64(q, 4, f->since_us);
        sqlite3_bind_int(q, 5, f->limit > 0 ? f->limit : -1);
        rc = each_event(s, q, cb, ctx);
    }
    sq_release(s);
    return rc;
}

/* ---- settings ---- */

int store_setting_get(struct store *s, const char *key, char *buf, size_t n)
{
    sq_acquire(s, SQ_READ);
    sqlite3_stmt *q = sq_stmt(s, SQL_SET_GET);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, key);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            sq_col_copy(q, 0, buf, n);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? XC_ENOTFOUND : sq_err(s, "setting get");
        }
        sqlite3_reset(q);
    }
    sq_release(s);
    return rc;
}

int store_setting_set(struct store *s, const char *key, const char *value)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_SET_PUT);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, key);
        sq_bind_text(q, 2, value);
        rc = sq_exec(s, q, "setting put");
    }
    sq_release(s);
    return rc;
}

int store_healthcheck(struct store *s, int64_t now_us)
{
    sq_acquire(s, SQ_WRITE);
    sqlite3_stmt *q = sq_stmt(s, SQL_HEALTH);
    int rc = q ? XC_OK : XC_EDB;
    if (q) {
        sqlite3_bind_int64(q, 1, now_us);
        rc = sq_exec(s, q, "healthcheck");
    }
    sq_release(s);
    return rc;
}
