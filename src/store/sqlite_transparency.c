/* SQLite backend of transparency_store.h: legal requests and disclosures (domain §20.5). Every
 * statement is one of the static SQL strings below; values are always bound. The request type
 * and status are stored as core/trust's names and read back through its parsers. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite_internal.h"
#include "store/transparency_store.h"

#define LEGAL_COLS                                                                                                     \
    "request_id,received_at,request_type,jurisdiction,authority,scope,status,responded_at,complied,challenged,notes"
static const char SQL_LEGAL_PUT[] = "INSERT INTO legal_requests(" LEGAL_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_LEGAL_GET[] = "SELECT " LEGAL_COLS " FROM legal_requests WHERE request_id=?";
static const char SQL_LEGAL_LIST[] = "SELECT " LEGAL_COLS " FROM legal_requests WHERE received_at BETWEEN ? AND ? "
                                     "ORDER BY received_at DESC, request_id";
static const char SQL_LEGAL_RESPOND[] =
    "UPDATE legal_requests SET status=?2, responded_at=?3, complied=?4, challenged=?5, "
    "notes=CASE WHEN ?6='' THEN notes ELSE ?6 END WHERE request_id=?1 AND status=?7";
static const char SQL_LEGAL_EXISTS[] = "SELECT 1 FROM legal_requests WHERE request_id=?";
#define DISC_COLS "disclosure_id,request_id,disclosed_at,jurisdiction,data_category,records"
static const char SQL_DISC_PUT[] = "INSERT INTO legal_disclosures(" DISC_COLS ") VALUES(?,?,?,?,?,?)";
static const char SQL_DISC_LIST[] = "SELECT " DISC_COLS " FROM legal_disclosures WHERE disclosed_at BETWEEN ? AND ? "
                                    "ORDER BY disclosed_at DESC, disclosure_id";

void legal_request_free(struct legal_request *q)
{
    free(q->authority);
    free(q->scope);
    free(q->notes);
    q->authority = q->scope = q->notes = NULL;
}

static void legal_read(sqlite3_stmt *q, void *p)
{
    struct legal_request *r = p;
    const char *t;
    sq_col_copy(q, 0, r->request_id, sizeof r->request_id);
    r->received_at = sqlite3_column_int64(q, 1);
    t = (const char *)sqlite3_column_text(q, 2);
    if (trust_legal_type_parse(t, &r->type) < 0) {
        log_warn("store: unknown legal request type '%s'", t ? t : "(null)");
        r->type = TRUST_LEGAL_INFORMAL;
    }
    sq_col_copy(q, 3, r->jurisdiction, sizeof r->jurisdiction);
    r->authority = sq_col_dup(q, 4, "");
    r->scope = sq_col_dup(q, 5, "");
    t = (const char *)sqlite3_column_text(q, 6);
    if (trust_legal_status_parse(t, &r->status) < 0) {
        log_warn("store: unknown legal request status '%s'", t ? t : "(null)");
        r->status = TRUST_LEGAL_ST_RECEIVED;
    }
    r->responded_at = sqlite3_column_int64(q, 7);
    r->complied = sqlite3_column_int(q, 8) != 0;
    r->challenged = sqlite3_column_int(q, 9) != 0;
    r->notes = sq_col_dup(q, 10, "");
}

int tstore_legal_insert(struct store *s, const struct legal_request *r)
{
    sqlite3_stmt *q = sq_begin(s, SQL_LEGAL_PUT);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, r->request_id);
        sqlite3_bind_int64(q, 2, r->received_at);
        sq_bind_text(q, 3, trust_legal_type_name(r->type));
        sq_bind_text(q, 4, r->jurisdiction);
        sq_bind_text(q, 5, r->authority);
        sq_bind_text(q, 6, r->scope);
        sq_bind_text(q, 7, trust_legal_status_name(r->status));
        sq_bind_ts(q, 8, r->responded_at);
        sqlite3_bind_int(q, 9, r->complied);
        sqlite3_bind_int(q, 10, r->challenged);
        sq_bind_text(q, 11, r->notes);
        rc = sq_exec(s, q, "legal request put");
    }
    sq_release(s);
    return rc;
}

int tstore_legal_get(struct store *s, const char *request_id, struct legal_request *out)
{
    memset(out, 0, sizeof *out);
    return sq_get_one(s, SQL_LEGAL_GET, request_id, legal_read, out, "legal request get");
}

int tstore_legal_respond(struct store *s, const char *request_id, int64_t at, bool complied, bool challenged,
                         const char *notes)
{
    sqlite3_stmt *q = sq_begin(s, SQL_LEGAL_RESPOND);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, request_id);
        sq_bind_text(q, 2, trust_legal_status_name(TRUST_LEGAL_ST_RESPONDED));
        sqlite3_bind_int64(q, 3, at);
        sqlite3_bind_int(q, 4, complied);
        sqlite3_bind_int(q, 5, challenged);
        sq_bind_text(q, 6, notes ? notes : "");
        sq_bind_text(q, 7, trust_legal_status_name(TRUST_LEGAL_ST_RECEIVED));
        rc = sq_exec(s, q, "legal request respond");
        if (rc == 0 && sqlite3_changes(sq_db(s)) == 0) {
            /* Nothing changed: unknown, or no longer received. */
            sqlite3_stmt *e = sq_stmt(s, SQL_LEGAL_EXISTS);
            rc = XC_EDB;
            if (e) {
                sq_bind_text(e, 1, request_id);
                int r = sqlite3_step(e);
                rc = r == SQLITE_ROW ? XC_ECONFLICT : r == SQLITE_DONE ? XC_ENOTFOUND : sq_err(s, "legal request exists");
                sqlite3_reset(e);
            }
        }
    }
    sq_release(s);
    return rc;
}

int tstore_legal_list(struct store *s, int64_t since, int64_t until, struct legal_request **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_LEGAL_LIST);
    int rc = XC_EDB;
    *out = NULL;
    *n = 0;
    if (q) {
        sqlite3_bind_int64(q, 1, since);
        sqlite3_bind_int64(q, 2, until);
        rc = sq_collect(s, q, sizeof **out, legal_read, (void **)out, n, "legal request list");
    }
    sq_release(s);
    return rc;
}

static void disc_read(sqlite3_stmt *q, void *p)
{
    struct legal_disclosure *d = p;
    sq_col_copy(q, 0, d->disclosure_id, sizeof d->disclosure_id);
    sq_col_copy(q, 1, d->request_id, sizeof d->request_id);
    d->disclosed_at = sqlite3_column_int64(q, 2);
    sq_col_copy(q, 3, d->jurisdiction, sizeof d->jurisdiction);
    sq_col_copy(q, 4, d->data_category, sizeof d->data_category);
    d->records = sqlite3_column_int64(q, 5);
}

int tstore_disclosure_insert(struct store *s, const struct legal_disclosure *d)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DISC_PUT);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, d->disclosure_id);
        sq_bind_text(q, 2, d->request_id);
        sqlite3_bind_int64(q, 3, d->disclosed_at);
        sq_bind_text(q, 4, d->jurisdiction);
        sq_bind_text(q, 5, d->data_category);
        sqlite3_bind_int64(q, 6, d->records);
        rc = sq_exec(s, q, "disclosure put");
    }
    sq_release(s);
    return rc;
}

int tstore_disclosure_list(struct store *s, int64_t since, int64_t until, struct legal_disclosure **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DISC_LIST);
    int rc = XC_EDB;
    *out = NULL;
    *n = 0;
    if (q) {
        sqlite3_bind_int64(q, 1, since);
        sqlite3_bind_int64(q, 2, until);
        rc = sq_collect(s, q, sizeof **out, disc_read, (void **)out, n, "disclosure list");
    }
    sq_release(s);
    return rc;
}
