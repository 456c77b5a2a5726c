/* SQLite implementation of accounts_store.h. SQL lives in static strings (the statement cache
 * keys on their addresses); every value is bound, never formatted into SQL. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/xalloc.h"
#include "store/accounts_store.h"
#include "store/sqlite_internal.h"

/* ---- helpers ---- */

/* "" binds NULL (nullable link columns). */
static void bt_null_empty(sqlite3_stmt *q, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, i);
}

/* Steps a single-integer SELECT. */
static int step_int(struct store *s, sqlite3_stmt *q, int64_t *v, const char *what)
{
    int r = sqlite3_step(q);
    int rc = 0;
    if (r == SQLITE_ROW)
        *v = sqlite3_column_int64(q, 0);
    else
        rc = r == SQLITE_DONE ? XC_ENOTFOUND : sq_err(s, what);
    sqlite3_reset(q);
    return rc;
}

/* Steps a write. Every write here can change what a credential resolves to (a session, a key,
 * a user's role or team), so each marks the credentials version for its commit. */
static int acct_exec(struct store *s, sqlite3_stmt *q, const char *what)
{
    sq_creds_changed(s);
    return sq_exec(s, q, what);
}

/* Steps a write; *changes (may be NULL) = rows it changed. */
static int exec_n(struct store *s, sqlite3_stmt *q, const char *what, int *changes)
{
    int rc = acct_exec(s, q, what);
    if (changes)
        *changes = rc == 0 ? sqlite3_changes(sq_db(s)) : 0;
    return rc;
}

/* ---- users ---- */

#define USER_COLS                                                                                  \
    "u.user_id,u.email,u.name,u.role,u.country,u.province,u.customer_id,u.provider_id,u.team_id,"  \
    "u.password_hash,u.disabled,u.created_at,u.updated_at,u.deleted_at"
#define USER_NCOLS 14

/* Reads the user columns starting at column i0. */
static void user_read_at(sqlite3_stmt *q, int i0, struct acct_user *u)
{
    int i = i0;
    char role[16];
    memset(u, 0, sizeof *u);
    sq_col_copy(q, i++, u->user_id, sizeof u->user_id);
    sq_col_copy(q, i++, u->email, sizeof u->email);
    sq_col_copy(q, i++, u->name, sizeof u->name);
    sq_col_copy(q, i++, role, sizeof role);
    if (!acct_role_parse(role, &u->role))
        u->role = ACCT_ROLE_SUBMITTER;
    sq_col_copy(q, i++, u->country, sizeof u->country);
    sq_col_copy(q, i++, u->province, sizeof u->province);
    sq_col_copy(q, i++, u->customer_id, sizeof u->customer_id);
    sq_col_copy(q, i++, u->provider_id, sizeof u->provider_id);
    sq_col_copy(q, i++, u->team_id, sizeof u->team_id);
    sq_col_copy(q, i++, u->password_hash, sizeof u->password_hash);
    u->disabled = sqlite3_column_int64(q, i++) != 0;
    u->created_at = sqlite3_column_int64(q, i++);
    u->updated_at = sqlite3_column_int64(q, i++);
    u->deleted_at = sqlite3_column_int64(q, i++);
}

static void user_read(sqlite3_stmt *q, void *p) { user_read_at(q, 0, p); }

static const char SQL_USER_INSERT[] =
    "INSERT INTO users(user_id,email,name,role,country,province,customer_id,provider_id,team_id,password_hash,"
    "disabled,created_at,updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";

int astore_user_insert(struct store *s, const struct acct_user *u)
{
    sqlite3_stmt *q = sq_begin(s, SQL_USER_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, u->user_id);
    sq_bind_text(q, i++, u->email);
    sq_bind_text(q, i++, u->name);
    sq_bind_text(q, i++, acct_role_name(u->role));
    sq_bind_text(q, i++, u->country);
    sq_bind_text(q, i++, u->province);
    sq_bind_text(q, i++, u->customer_id);
    bt_null_empty(q, i++, u->provider_id);
    bt_null_empty(q, i++, u->team_id);
    sq_bind_text(q, i++, u->password_hash);
    sqlite3_bind_int64(q, i++, u->disabled);
    sqlite3_bind_int64(q, i++, u->created_at);
    sqlite3_bind_int64(q, i++, u->updated_at);
    rc = acct_exec(s, q, "user insert");
out:
    sq_release(s);
    return rc;
}

static int user_by(struct store *s, const char *sql, const char *key, struct acct_user *out)
{
    sqlite3_stmt *q = sq_begin(s, sql);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, key);
    rc = sq_step_one(s, q, user_read, out, "user get");
out:
    sq_release(s);
    return rc;
}

static const char SQL_USER_GET[] = "SELECT " USER_COLS " FROM users u WHERE u.user_id=?";
static const char SQL_USER_BY_EMAIL[] = "SELECT " USER_COLS " FROM users u WHERE u.email=? AND u.deleted_at IS NULL";
static const char SQL_USER_BY_CUSTOMER[] = "SELECT " USER_COLS " FROM users u WHERE u.customer_id=?";
static const char SQL_USER_BY_PROVIDER[] = "SELECT " USER_COLS " FROM users u WHERE u.provider_id=?";

int astore_user_get(struct store *s, const char *user_id, struct acct_user *out)
{
    return user_by(s, SQL_USER_GET, user_id, out);
}

int astore_user_by_email(struct store *s, const char *email, struct acct_user *out)
{
    return user_by(s, SQL_USER_BY_EMAIL, email, out);
}

int astore_user_by_customer(struct store *s, const char *customer_id, struct acct_user *out)
{
    return user_by(s, SQL_USER_BY_CUSTOMER, customer_id, out);
}

int astore_user_by_provider(struct store *s, const char *provider_id, struct acct_user *out)
{
    return user_by(s, SQL_USER_BY_PROVIDER, provider_id, out);
}

static const char SQL_USER_UPDATE[] =
    "UPDATE users SET name=?,role=?,country=?,province=?,provider_id=?,team_id=?,disabled=?,updated_at=? "
    "WHERE user_id=?";

int astore_user_update(struct store *s, const struct acct_user *u)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_USER_UPDATE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    int i = 1;
    sq_bind_text(q, i++, u->name);
    sq_bind_text(q, i++, acct_role_name(u->role));
    sq_bind_text(q, i++, u->country);
    sq_bind_text(q, i++, u->province);
    bt_null_empty(q, i++, u->provider_id);
    bt_null_empty(q, i++, u->team_id);
    sqlite3_bind_int64(q, i++, u->disabled);
    sqlite3_bind_int64(q, i++, u->updated_at);
    sq_bind_text(q, i++, u->user_id);
    rc = exec_n(s, q, "user update", &n);
    if (rc == 0 && n == 0)
        rc = XC_ENOTFOUND;
out:
    sq_release(s);
    return rc;
}

static const char SQL_USER_SET_PW[] = "UPDATE users SET password_hash=?,updated_at=? WHERE user_id=?";

int astore_user_set_password(struct store *s, const char *user_id, const char *password_hash, int64_t now)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_USER_SET_PW);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, password_hash);
    sqlite3_bind_int64(q, 2, now);
    sq_bind_text(q, 3, user_id);
    rc = exec_n(s, q, "user set password", &n);
    if (rc == 0 && n == 0)
        rc = XC_ENOTFOUND;
out:
    sq_release(s);
    return rc;
}

static const char SQL_USER_ANON[] =
    "UPDATE users SET email='deleted+' || user_id || '@deleted.invalid',name='[deleted]',password_hash='',"
    "country='',province='',provider_id=NULL,team_id=NULL,disabled=1,updated_at=?1,deleted_at=?1 "
    "WHERE user_id=?2 AND deleted_at IS NULL";

int astore_user_anonymise(struct store *s, const char *user_id, int64_t now)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_USER_ANON);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, now);
    sq_bind_text(q, 2, user_id);
    rc = exec_n(s, q, "user anonymise", &n);
    if (rc == 0 && n == 0)
        rc = XC_ENOTFOUND;
out:
    sq_release(s);
    return rc;
}

static const char SQL_USER_LIST[] =
    "SELECT " USER_COLS " FROM users u WHERE u.deleted_at IS NULL AND (?1 IS NULL OR u.role=?1) "
    "ORDER BY u.created_at, u.user_id LIMIT ?2 OFFSET ?3";
static const char SQL_USER_COUNT[] =
    "SELECT count(*) FROM users u WHERE u.deleted_at IS NULL AND (?1 IS NULL OR u.role=?1)";

int astore_user_list(struct store *s, const enum acct_role *role, int limit, int offset, struct acct_user **out,
                     size_t *n, int64_t *total)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_USER_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    if (role)
        sq_bind_text(q, 1, acct_role_name(*role));
    sqlite3_bind_int64(q, 2, limit > 0 ? limit : -1);
    sqlite3_bind_int64(q, 3, offset > 0 ? offset : 0);
    rc = sq_collect(s, q, sizeof **out, user_read, (void **)out, n, "user list");
    if (rc == 0 && total) {
        rc = XC_EDB;
        if (!(q = sq_stmt(s, SQL_USER_COUNT)))
            goto out;
        if (role)
            sq_bind_text(q, 1, acct_role_name(*role));
        rc = step_int(s, q, total, "user count");
    }
out:
    sq_release(s);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- sessions ---- */

static void session_read(sqlite3_stmt *q, void *p)
{
    struct acct_session *x = p;
    memset(x, 0, sizeof *x);
    sq_col_copy(q, 0, x->token_hash, sizeof x->token_hash);
    sq_col_copy(q, 1, x->user_id, sizeof x->user_id);
    x->created_at = sqlite3_column_int64(q, 2);
    x->expires_at = sqlite3_column_int64(q, 3);
}

static const char SQL_SESS_INSERT[] = "INSERT INTO sessions(token_hash,user_id,created_at,expires_at) VALUES(?,?,?,?)";

int astore_session_insert(struct store *s, const struct acct_session *x)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, x->token_hash);
    sq_bind_text(q, 2, x->user_id);
    sqlite3_bind_int64(q, 3, x->created_at);
    sqlite3_bind_int64(q, 4, x->expires_at);
    rc = acct_exec(s, q, "session insert");
out:
    sq_release(s);
    return rc;
}

static const char SQL_SESS_GET[] = "SELECT token_hash,user_id,created_at,expires_at FROM sessions WHERE token_hash=?";

int astore_session_get(struct store *s, const char *token_hash, struct acct_session *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, token_hash);
    rc = sq_step_one(s, q, session_read, out, "session get");
out:
    sq_release(s);
    return rc;
}

struct sess_user {
    struct acct_session *sess;
    struct acct_user *user;
};

static void sess_user_read(sqlite3_stmt *q, void *p)
{
    struct sess_user *su = p;
    session_read(q, su->sess);
    user_read_at(q, 4, su->user);
}

static const char SQL_SESS_USER[] =
    "SELECT s.token_hash,s.user_id,s.created_at,s.expires_at," USER_COLS
    " FROM sessions s JOIN users u ON u.user_id=s.user_id"
    " WHERE s.token_hash=? AND s.expires_at>? AND u.disabled=0 AND u.deleted_at IS NULL";

int astore_session_user(struct store *s, const char *token_hash, int64_t now, struct acct_session *sess,
                        struct acct_user *user)
{
    struct sess_user su = {sess, user};
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, token_hash);
    sqlite3_bind_int64(q, 2, now);
    rc = sq_step_one(s, q, sess_user_read, &su, "session resolve");
out:
    sq_release(s);
    return rc;
}

static const char SQL_SESS_DELETE[] = "DELETE FROM sessions WHERE token_hash=?";

int astore_session_delete(struct store *s, const char *token_hash, bool *deleted)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_DELETE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, token_hash);
    rc = exec_n(s, q, "session delete", &n);
out:
    sq_release(s);
    if (deleted)
        *deleted = n > 0;
    return rc;
}

static const char SQL_SESS_DELETE_USER[] = "DELETE FROM sessions WHERE user_id=?1 AND (?2 IS NULL OR token_hash<>?2)";

int astore_sessions_delete_user(struct store *s, const char *user_id, const char *keep_hash, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_DELETE_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    if (keep_hash)
        sq_bind_text(q, 2, keep_hash);
    rc = exec_n(s, q, "sessions delete", n);
out:
    sq_release(s);
    return rc;
}

static const char SQL_SESS_TRIM[] =
    "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE user_id=?1 "
    "ORDER BY created_at DESC, token_hash DESC LIMIT -1 OFFSET ?2)";

int astore_sessions_trim(struct store *s, const char *user_id, int keep, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_TRIM);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    sqlite3_bind_int64(q, 2, keep < 0 ? 0 : keep);
    rc = exec_n(s, q, "sessions trim", n);
out:
    sq_release(s);
    return rc;
}

static const char SQL_SESS_COUNT[] = "SELECT count(*) FROM sessions WHERE user_id=?";

int astore_sessions_count(struct store *s, const char *user_id, int *n)
{
    int64_t v = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_COUNT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = step_int(s, q, &v, "sessions count");
    *n = (int)v;
out:
    sq_release(s);
    return rc;
}

static const char SQL_SESS_PURGE[] = "DELETE FROM sessions WHERE expires_at<=?";

int astore_sessions_purge_expired(struct store *s, int64_t now, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_SESS_PURGE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, now);
    rc = exec_n(s, q, "sessions purge", n);
out:
    sq_release(s);
    return rc;
}

/* ---- API keys ---- */

#define KEY_COLS "k.key_hash,k.user_id,k.name,k.preview,k.created_at,k.last_used"

static void key_read(sqlite3_stmt *q, void *p)
{
    struct acct_key *k = p;
    memset(k, 0, sizeof *k);
    sq_col_copy(q, 0, k->key_hash, sizeof k->key_hash);
    sq_col_copy(q, 1, k->user_id, sizeof k->user_id);
    sq_col_copy(q, 2, k->name, sizeof k->name);
    sq_col_copy(q, 3, k->preview, sizeof k->preview);
    k->created_at = sqlite3_column_int64(q, 4);
    k->last_used = sqlite3_column_int64(q, 5);
}

static const char SQL_KEY_INSERT[] =
    "INSERT INTO api_keys(key_hash,user_id,name,preview,created_at,last_used) VALUES(?,?,?,?,?,NULL)";

int astore_key_insert(struct store *s, const struct acct_key *k)
{
    sqlite3_stmt *q = sq_begin(s, SQL_KEY_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, k->key_hash);
    sq_bind_text(q, 2, k->user_id);
    sq_bind_text(q, 3, k->name);
    sq_bind_text(q, 4, k->preview);
    sqlite3_bind_int64(q, 5, k->created_at);
    rc = acct_exec(s, q, "key insert");
out:
    sq_release(s);
    return rc;
}

static const char SQL_KEY_GET[] = "SELECT " KEY_COLS " FROM api_keys k WHERE k.key_hash=?";

int astore_key_get(struct store *s, const char *key_hash, struct acct_key *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_KEY_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, key_hash);
    rc = sq_step_one(s, q, key_read, out, "key get");
out:
    sq_release(s);
    return rc;
}

struct key_user {
    struct acct_key *key;
    struct acct_user *user;
};

static void key_user_read(sqlite3_stmt *q, void *p)
{
    struct key_user *ku = p;
    key_read(q, ku->key);
    user_read_at(q, 6, ku->user);
}

static const char SQL_KEY_USER[] = "SELECT " KEY_COLS "," USER_COLS
                                   " FROM api_keys k JOIN users u ON u.user_id=k.user_id"
                                   " WHERE k.key_hash=? AND u.disabled=0 AND u.deleted_at IS NULL";

int astore_key_user(struct store *s, const char *key_hash, struct acct_key *key, struct acct_user *user)
{
    struct key_user ku = {key, user};
    sqlite3_stmt *q = sq_begin(s, SQL_KEY_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, key_hash);
    rc = sq_step_one(s, q, key_user_read, &ku, "key resolve");
out:
    sq_release(s);
    return rc;
}

static const char SQL_KEY_COUNT[] = "SELECT count(*) FROM api_keys WHERE user_id=?";

int astore_key_count(struct store *s, const char *user_id, int *n)
{
    int64_t v = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_KEY_COUNT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = step_int(s, q, &v, "key count");
    *n = (int)v;
out:
    sq_release(s);
    return rc;
}

static const char SQL_KEY_LIST[] =
    "SELECT " KEY_COLS " FROM api_keys k WHERE k.user_id=? ORDER BY k.created_at, k.key_hash";

int astore_key_list(struct store *s, const char *user_id, struct acct_key **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_KEY_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = sq_collect(s, q, sizeof **out, key_read, (void **)out, n, "key list");
out:
    sq_release(s);
    return rc;
}

static const char SQL_KEY_DEL_PREVIEW[] = "DELETE FROM api_keys WHERE user_id=? AND preview=?";

int astore_key_delete_preview(struct store *s, const char *user_id, const char *preview, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_KEY_DEL_PREVIEW);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    sq_bind_text(q, 2, preview);
    rc = exec_n(s, q, "key delete", n);
out:
    sq_release(s);
    return rc;
}

static const char SQL_KEYS_DEL_USER[] = "DELETE FROM api_keys WHERE user_id=?";

int astore_keys_delete_user(struct store *s, const char *user_id, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_KEYS_DEL_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = exec_n(s, q, "keys delete", n);
out:
    sq_release(s);
    return rc;
}

static const char SQL_KEY_TOUCH[] =
    "UPDATE api_keys SET last_used=?1 WHERE key_hash=?2 AND (last_used IS NULL OR last_used<?1)";

int astore_key_touch(struct store *s, const char *key_hash, int64_t at)
{
    sqlite3_stmt *q = sq_begin(s, SQL_KEY_TOUCH);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, at);
    sq_bind_text(q, 2, key_hash);
    rc = acct_exec(s, q, "key touch");
out:
    sq_release(s);
    return rc;
}

/* ---- password resets ---- */

static void reset_read(sqlite3_stmt *q, void *p)
{
    struct acct_reset *r = p;
    memset(r, 0, sizeof *r);
    sq_col_copy(q, 0, r->token_hash, sizeof r->token_hash);
    sq_col_copy(q, 1, r->user_id, sizeof r->user_id);
    r->created_at = sqlite3_column_int64(q, 2);
    r->expires_at = sqlite3_column_int64(q, 3);
    r->used = sqlite3_column_int64(q, 4) != 0;
}

static const char SQL_RESET_INSERT[] =
    "INSERT INTO password_resets(token_hash,user_id,created_at,expires_at,used) VALUES(?,?,?,?,0)";

int astore_reset_insert(struct store *s, const struct acct_reset *r)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RESET_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, r->token_hash);
    sq_bind_text(q, 2, r->user_id);
    sqlite3_bind_int64(q, 3, r->created_at);
    sqlite3_bind_int64(q, 4, r->expires_at);
    rc = acct_exec(s, q, "reset insert");
out:
    sq_release(s);
    return rc;
}

static const char SQL_RESET_GET[] =
    "SELECT token_hash,user_id,created_at,expires_at,used FROM password_resets WHERE token_hash=?";

int astore_reset_get(struct store *s, const char *token_hash, struct acct_reset *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RESET_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, token_hash);
    rc = sq_step_one(s, q, reset_read, out, "reset get");
out:
    sq_release(s);
    return rc;
}

static const char SQL_RESET_CLAIM[] = "UPDATE password_resets SET used=1 WHERE token_hash=? AND used=0";

int astore_reset_claim(struct store *s, const char *token_hash, bool *claimed)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_RESET_CLAIM);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, token_hash);
    rc = exec_n(s, q, "reset claim", &n);
out:
    sq_release(s);
    *claimed = n > 0;
    return rc;
}

static const char SQL_RESETS_DEL_USER[] = "DELETE FROM password_resets WHERE user_id=?";

int astore_resets_delete_user(struct store *s, const char *user_id)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RESETS_DEL_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = acct_exec(s, q, "resets delete");
out:
    sq_release(s);
    return rc;
}

static const char SQL_RESETS_PURGE[] = "DELETE FROM password_resets WHERE expires_at<?";

int astore_resets_purge(struct store *s, int64_t before, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_RESETS_PURGE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, before);
    rc = exec_n(s, q, "resets purge", n);
out:
    sq_release(s);
    return rc;
}

/* ---- device codes ---- */

#define DEV_COLS "device_code_hash,user_code,created_at,expires_at,approved_by,approved_at,consumed"

static void device_read(sqlite3_stmt *q, void *p)
{
    struct acct_device *d = p;
    memset(d, 0, sizeof *d);
    sq_col_copy(q, 0, d->device_code_hash, sizeof d->device_code_hash);
    sq_col_copy(q, 1, d->user_code, sizeof d->user_code);
    d->created_at = sqlite3_column_int64(q, 2);
    d->expires_at = sqlite3_column_int64(q, 3);
    sq_col_copy(q, 4, d->approved_by, sizeof d->approved_by);
    d->approved_at = sqlite3_column_int64(q, 5);
    d->consumed = sqlite3_column_int64(q, 6) != 0;
}

static const char SQL_DEV_INSERT[] = "INSERT INTO device_codes(" DEV_COLS ") VALUES(?,?,?,?,NULL,NULL,0)";

int astore_device_insert(struct store *s, const struct acct_device *d)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DEV_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, d->device_code_hash);
    sq_bind_text(q, 2, d->user_code);
    sqlite3_bind_int64(q, 3, d->created_at);
    sqlite3_bind_int64(q, 4, d->expires_at);
    rc = acct_exec(s, q, "device insert");
out:
    sq_release(s);
    return rc;
}

static const char SQL_DEV_GET[] = "SELECT " DEV_COLS " FROM device_codes WHERE device_code_hash=?";
static const char SQL_DEV_BY_CODE[] = "SELECT " DEV_COLS " FROM device_codes WHERE user_code=?";

int astore_device_get(struct store *s, const char *device_code_hash, struct acct_device *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DEV_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, device_code_hash);
    rc = sq_step_one(s, q, device_read, out, "device get");
out:
    sq_release(s);
    return rc;
}

int astore_device_by_user_code(struct store *s, const char *user_code, struct acct_device *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DEV_BY_CODE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_code);
    rc = sq_step_one(s, q, device_read, out, "device by code");
out:
    sq_release(s);
    return rc;
}

static const char SQL_DEV_APPROVE[] = "UPDATE device_codes SET approved_by=?,approved_at=? "
                                      "WHERE device_code_hash=? AND approved_by IS NULL AND consumed=0";

int astore_device_approve(struct store *s, const char *device_code_hash, const char *user_id, int64_t at,
                          bool *changed)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_DEV_APPROVE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    sqlite3_bind_int64(q, 2, at);
    sq_bind_text(q, 3, device_code_hash);
    rc = exec_n(s, q, "device approve", &n);
out:
    sq_release(s);
    *changed = n > 0;
    return rc;
}

static const char SQL_DEV_CONSUME[] = "UPDATE device_codes SET consumed=1 "
                                      "WHERE device_code_hash=? AND approved_by IS NOT NULL AND consumed=0";

int astore_device_consume(struct store *s, const char *device_code_hash, bool *claimed)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_DEV_CONSUME);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, device_code_hash);
    rc = exec_n(s, q, "device consume", &n);
out:
    sq_release(s);
    *claimed = n > 0;
    return rc;
}

static const char SQL_DEV_DEL_USER[] = "DELETE FROM device_codes WHERE approved_by=? AND consumed=0";

int astore_devices_delete_user(struct store *s, const char *user_id)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DEV_DEL_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = acct_exec(s, q, "devices delete");
out:
    sq_release(s);
    return rc;
}

static const char SQL_DEV_PURGE[] = "DELETE FROM device_codes WHERE expires_at<?";

int astore_devices_purge(struct store *s, int64_t before, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_DEV_PURGE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, before);
    rc = exec_n(s, q, "devices purge", n);
out:
    sq_release(s);
    return rc;
}

/* ---- login failures ---- */

static const char SQL_FAIL_ADD[] = "INSERT INTO login_failures(email,at) VALUES(?,?)";

int astore_login_failure_add(struct store *s, const char *email, int64_t at)
{
    sqlite3_stmt *q = sq_begin(s, SQL_FAIL_ADD);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, email);
    sqlite3_bind_int64(q, 2, at);
    rc = acct_exec(s, q, "login failure add");
out:
    sq_release(s);
    return rc;
}

static const char SQL_FAIL_COUNT[] = "SELECT count(*) FROM login_failures WHERE email=? AND at>=?";

int astore_login_failures_count(struct store *s, const char *email, int64_t since, int *n)
{
    int64_t v = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_FAIL_COUNT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, email);
    sqlite3_bind_int64(q, 2, since);
    rc = step_int(s, q, &v, "login failures count");
    *n = (int)v;
out:
    sq_release(s);
    return rc;
}

static const char SQL_FAIL_CLEAR[] = "DELETE FROM login_failures WHERE email=?";

int astore_login_failures_clear(struct store *s, const char *email)
{
    sqlite3_stmt *q = sq_begin(s, SQL_FAIL_CLEAR);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, email);
    rc = acct_exec(s, q, "login failures clear");
out:
    sq_release(s);
    return rc;
}

static const char SQL_FAIL_PURGE[] = "DELETE FROM login_failures WHERE at<?";

int astore_login_failures_purge(struct store *s, int64_t before, int *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_FAIL_PURGE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sqlite3_bind_int64(q, 1, before);
    rc = exec_n(s, q, "login failures purge", n);
out:
    sq_release(s);
    return rc;
}

/* ---- teams ---- */

#define TEAM_COLS "t.team_id,t.name,t.owner_user_id,t.plan,t.max_members,t.created_at"

static void team_read(sqlite3_stmt *q, void *p)
{
    struct acct_team *t = p;
    char plan[16];
    memset(t, 0, sizeof *t);
    sq_col_copy(q, 0, t->team_id, sizeof t->team_id);
    sq_col_copy(q, 1, t->name, sizeof t->name);
    sq_col_copy(q, 2, t->owner_user_id, sizeof t->owner_user_id);
    sq_col_copy(q, 3, plan, sizeof plan);
    if (!acct_plan_parse(plan, &t->plan))
        t->plan = ACCT_PLAN_FREE;
    t->max_members = (int)sqlite3_column_int64(q, 4);
    t->created_at = sqlite3_column_int64(q, 5);
}

static void team_member_read(sqlite3_stmt *q, void *p)
{
    struct acct_team *t = p;
    team_read(q, p);
    const unsigned char *r = sqlite3_column_text(q, 6);
    t->member_is_admin = r && strcmp((const char *)r, "admin") == 0;
}

static const char SQL_TEAM_INSERT[] =
    "INSERT INTO teams(team_id,name,owner_user_id,plan,max_members,created_at) VALUES(?,?,?,?,?,?)";

int astore_team_insert(struct store *s, const struct acct_team *t)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TEAM_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, t->team_id);
    sq_bind_text(q, 2, t->name);
    sq_bind_text(q, 3, t->owner_user_id);
    sq_bind_text(q, 4, acct_plan_name(t->plan));
    sqlite3_bind_int64(q, 5, t->max_members);
    sqlite3_bind_int64(q, 6, t->created_at);
    rc = acct_exec(s, q, "team insert");
out:
    sq_release(s);
    return rc;
}

static const char SQL_TEAM_GET[] = "SELECT " TEAM_COLS " FROM teams t WHERE t.team_id=?";

int astore_team_get(struct store *s, const char *team_id, struct acct_team *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TEAM_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, team_id);
    rc = sq_step_one(s, q, team_read, out, "team get");
out:
    sq_release(s);
    return rc;
}

static const char SQL_TEAM_DEL_MEMBERS[] = "DELETE FROM team_members WHERE team_id=?";
static const char SQL_TEAM_CLEAR_USERS[] = "UPDATE users SET team_id=NULL WHERE team_id=?";
static const char SQL_TEAM_DELETE[] = "DELETE FROM teams WHERE team_id=?";

int astore_team_delete(struct store *s, const char *team_id)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_TEAM_DEL_MEMBERS);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, team_id);
    if ((rc = acct_exec(s, q, "team members delete")) < 0)
        goto out;
    rc = XC_EDB;
    if (!(q = sq_stmt(s, SQL_TEAM_CLEAR_USERS)))
        goto out;
    sq_bind_text(q, 1, team_id);
    if ((rc = acct_exec(s, q, "team users clear")) < 0)
        goto out;
    rc = XC_EDB;
    if (!(q = sq_stmt(s, SQL_TEAM_DELETE)))
        goto out;
    sq_bind_text(q, 1, team_id);
    rc = exec_n(s, q, "team delete", &n);
    if (rc == 0 && n == 0)
        rc = XC_ENOTFOUND;
out:
    sq_release(s);
    return rc;
}

static const char SQL_TEAMS_OF_USER[] = "SELECT " TEAM_COLS ",m.role FROM team_members m JOIN teams t ON "
                                        "t.team_id=m.team_id WHERE m.user_id=? ORDER BY m.joined_at, t.team_id";

int astore_teams_of_user(struct store *s, const char *user_id, struct acct_team **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TEAMS_OF_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = sq_collect(s, q, sizeof **out, team_member_read, (void **)out, n, "teams of user");
out:
    sq_release(s);
    return rc;
}

static const char SQL_TEAMS_OWNED[] =
    "SELECT " TEAM_COLS " FROM teams t WHERE t.owner_user_id=? ORDER BY t.created_at, t.team_id";

int astore_teams_owned(struct store *s, const char *user_id, struct acct_team **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_TEAMS_OWNED);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = sq_collect(s, q, sizeof **out, team_read, (void **)out, n, "teams owned");
out:
    sq_release(s);
    return rc;
}

static const char SQL_MEMBER_INSERT[] = "INSERT INTO team_members(team_id,user_id,role,joined_at) VALUES(?,?,?,?)";
static const char SQL_MEMBER_SET_TEAM[] = "UPDATE users SET team_id=? WHERE user_id=? AND team_id IS NULL";

int astore_member_insert(struct store *s, const struct acct_member *m)
{
    sqlite3_stmt *q = sq_begin(s, SQL_MEMBER_INSERT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, m->team_id);
    sq_bind_text(q, 2, m->user_id);
    sq_bind_text(q, 3, m->is_admin ? "admin" : "member");
    sqlite3_bind_int64(q, 4, m->joined_at);
    if ((rc = acct_exec(s, q, "member insert")) < 0)
        goto out;
    rc = XC_EDB;
    if (!(q = sq_stmt(s, SQL_MEMBER_SET_TEAM)))
        goto out;
    sq_bind_text(q, 1, m->team_id);
    sq_bind_text(q, 2, m->user_id);
    rc = acct_exec(s, q, "member user team");
out:
    sq_release(s);
    return rc;
}

#define MEMBER_COLS "m.team_id,m.user_id,m.role,m.joined_at,u.name,u.email"

static void member_read(sqlite3_stmt *q, void *p)
{
    struct acct_member *m = p;
    memset(m, 0, sizeof *m);
    sq_col_copy(q, 0, m->team_id, sizeof m->team_id);
    sq_col_copy(q, 1, m->user_id, sizeof m->user_id);
    const unsigned char *r = sqlite3_column_text(q, 2);
    m->is_admin = r && strcmp((const char *)r, "admin") == 0;
    m->joined_at = sqlite3_column_int64(q, 3);
    sq_col_copy(q, 4, m->name, sizeof m->name);
    sq_col_copy(q, 5, m->email, sizeof m->email);
}

static const char SQL_MEMBER_GET[] = "SELECT " MEMBER_COLS " FROM team_members m LEFT JOIN users u ON "
                                     "u.user_id=m.user_id WHERE m.team_id=? AND m.user_id=?";

int astore_member_get(struct store *s, const char *team_id, const char *user_id, struct acct_member *out)
{
    sqlite3_stmt *q = sq_begin(s, SQL_MEMBER_GET);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, team_id);
    sq_bind_text(q, 2, user_id);
    rc = sq_step_one(s, q, member_read, out, "member get");
out:
    sq_release(s);
    return rc;
}

static const char SQL_MEMBER_DELETE[] = "DELETE FROM team_members WHERE team_id=? AND user_id=?";
static const char SQL_MEMBER_CLEAR_TEAM[] = "UPDATE users SET team_id=NULL WHERE user_id=? AND team_id=?";

int astore_member_delete(struct store *s, const char *team_id, const char *user_id, bool *deleted)
{
    int n = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_MEMBER_DELETE);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, team_id);
    sq_bind_text(q, 2, user_id);
    if ((rc = exec_n(s, q, "member delete", &n)) < 0)
        goto out;
    rc = XC_EDB;
    if (!(q = sq_stmt(s, SQL_MEMBER_CLEAR_TEAM)))
        goto out;
    sq_bind_text(q, 1, user_id);
    sq_bind_text(q, 2, team_id);
    rc = acct_exec(s, q, "member user clear");
out:
    sq_release(s);
    if (deleted)
        *deleted = n > 0;
    return rc;
}

static const char SQL_MEMBER_COUNT[] = "SELECT count(*) FROM team_members WHERE team_id=?";

int astore_member_count(struct store *s, const char *team_id, int *n)
{
    int64_t v = 0;
    sqlite3_stmt *q = sq_begin(s, SQL_MEMBER_COUNT);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, team_id);
    rc = step_int(s, q, &v, "member count");
    *n = (int)v;
out:
    sq_release(s);
    return rc;
}

static const char SQL_MEMBER_LIST[] = "SELECT " MEMBER_COLS " FROM team_members m LEFT JOIN users u ON "
                                      "u.user_id=m.user_id WHERE m.team_id=? ORDER BY m.joined_at, m.user_id";

int astore_member_list(struct store *s, const char *team_id, struct acct_member **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_MEMBER_LIST);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, team_id);
    rc = sq_collect(s, q, sizeof **out, member_read, (void **)out, n, "member list");
out:
    sq_release(s);
    return rc;
}

static const char SQL_MEMBERS_DEL_USER[] = "DELETE FROM team_members WHERE user_id=?";

int astore_members_delete_user(struct store *s, const char *user_id)
{
    sqlite3_stmt *q = sq_begin(s, SQL_MEMBERS_DEL_USER);
    int rc = XC_EDB;
    if (!q)
        goto out;
    sq_bind_text(q, 1, user_id);
    rc = acct_exec(s, q, "members delete");
out:
    sq_release(s);
    return rc;
}
