/* The accounts service (see accounts.h). Rules of api §2.2, §8.15, §8.16 and domain §24, §21.6
 * over the accounts store; the customer row and wallet of a new user go through the billing
 * store and service. */
#include "server/svc/accounts.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/hex.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/password.h"
#include "common/xalloc.h"
#include "core/tax.h"
#include "server/app.h"
#include "server/svc/billing_svc.h"
#include "server/svc/cred_cache.h"
#include "server/svc/tx.h"
#include "store/billing_store.h"

/* ---- outcomes ---- */

static const struct {
    int code, status;
    const char *text, *name;
} outcomes[] = {
#define ACCT_OUTCOME_ROW(kind, c, st, t) {c, st, t, #kind},
    ACCT_OUTCOMES(ACCT_OUTCOME_ROW)
#undef ACCT_OUTCOME_ROW
};

int acct_outcome_code(enum acct_outcome k) { return (unsigned)k < ACCT_OUTCOME__COUNT ? outcomes[k].code : XC_EDB; }
int acct_outcome_status(enum acct_outcome k) { return (unsigned)k < ACCT_OUTCOME__COUNT ? outcomes[k].status : 500; }
const char *acct_outcome_text(enum acct_outcome k)
{
    return (unsigned)k < ACCT_OUTCOME__COUNT ? outcomes[k].text : "Internal server error";
}
const char *acct_outcome_name(enum acct_outcome k)
{
    return (unsigned)k < ACCT_OUTCOME__COUNT ? outcomes[k].name : "?";
}

/* Records the outcome (format arguments fill the table's message) and returns its code. */
static int outcome(struct acct_result *res, enum acct_outcome k, ...)
{
    if (res) {
        va_list ap;
        res->kind = k;
        va_start(ap, k);
        vsnprintf(res->msg, sizeof res->msg, acct_outcome_text(k), ap);
        va_end(ap);
    }
    return acct_outcome_code(k);
}

/* A store failure: the outcome is internal, the code the store's. */
static int failed(struct acct_result *res, int rc)
{
    outcome(res, ACCT_INTERNAL);
    return rc < 0 ? rc : XC_EDB;
}

static const char *const device_names[] = {
#define ACCT_DEVICE_NAME(e, s) s,
    ACCT_DEVICE_STATES(ACCT_DEVICE_NAME)
#undef ACCT_DEVICE_NAME
};

const char *acct_device_status_name(enum acct_device_status s)
{
    return (unsigned)s < sizeof device_names / sizeof *device_names ? device_names[s] : "invalid";
}

static struct store *S(void) { return g_app->store; }

/* ---- pure rules ---- */

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int accounts_email_normalise(const char *in, char out[ACCT_EMAIL_MAX + 1], struct acct_result *res)
{
    out[0] = '\0';
    if (!in)
        return outcome(res, ACCT_EMAIL_INVALID);
    size_t a = 0, b = strlen(in);
    while (a < b && is_ws((unsigned char)in[a]))
        a++;
    while (b > a && is_ws((unsigned char)in[b - 1]))
        b--;
    for (size_t i = a; i < b; i++)
        if ((unsigned char)in[i] >= 0x80)
            return outcome(res, ACCT_EMAIL_NOT_ASCII);
    if (b - a > ACCT_EMAIL_MAX || b == a)
        return outcome(res, ACCT_EMAIL_INVALID);
    size_t at = 0, n_at = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x20 || c == 0x7f || is_ws(c))
            return outcome(res, ACCT_EMAIL_INVALID);
        if (c == '@') {
            n_at++;
            at = i;
        }
        out[i - a] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[b - a] = '\0';
    /* one '@', a non-empty local part, and a domain with a dot that has text on both sides */
    bool ok = n_at == 1 && at > a;
    if (ok) {
        const char *dom = out + (at - a) + 1;
        size_t dl = strlen(dom);
        ok = false;
        for (size_t i = 1; i + 1 < dl; i++)
            if (dom[i] == '.')
                ok = true;
    }
    if (!ok) {
        out[0] = '\0';
        return outcome(res, ACCT_EMAIL_INVALID);
    }
    return outcome(res, ACCT_OK);
}

/* Code points of valid UTF-8 text without control characters; -1 when invalid. Stops counting
 * (returns limit + 1) past limit. */
static long utf8_chars(const char *s, long limit, bool allow_ctl)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        int len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || (len == 2 && c < 0xc2) || (len == 4 && c > 0xf4))
            return -1;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xc0) != 0x80)
                return -1;
        if (!allow_ctl && (c < 0x20 || c == 0x7f || (len == 2 && c == 0xc2 && p[1] < 0xa0)))
            return -1;
        p += len;
        if (++n > limit)
            return limit + 1;
    }
    return n;
}

int accounts_password_policy(const char *pw, bool is_new, struct acct_result *res)
{
    if (!pw)
        return outcome(res, is_new ? ACCT_NEW_PASSWORD_SHORT : ACCT_PASSWORD_SHORT);
    size_t bytes = strnlen(pw, PASSWORD_MAX_BYTES + 1);
    long n;
    if (bytes > PASSWORD_MAX_BYTES) {
        n = ACCT_PASSWORD_MAX + 1;
    } else {
        /* Code points; invalid UTF-8 counts bytes (the hash takes bytes either way). */
        n = utf8_chars(pw, ACCT_PASSWORD_MAX, true);
        if (n < 0)
            n = (long)bytes;
    }
    if (n < ACCT_PASSWORD_MIN)
        return outcome(res, is_new ? ACCT_NEW_PASSWORD_SHORT : ACCT_PASSWORD_SHORT);
    if (n > ACCT_PASSWORD_MAX)
        return outcome(res, is_new ? ACCT_NEW_PASSWORD_LONG : ACCT_PASSWORD_LONG);
    return outcome(res, ACCT_OK);
}

static bool text_valid(const char *s, long max)
{
    if (!s || !*s)
        return false;
    long n = utf8_chars(s, max, false);
    return n >= 1 && n <= max;
}

bool accounts_name_valid(const char *name) { return text_valid(name, ACCT_NAME_MAX); }

void accounts_key_preview(const char *key, char out[24])
{
    size_t n = strlen(key);
    if (n < 16) {
        snprintf(out, 24, "%s", key);
        return;
    }
    snprintf(out, 24, "%.12s...%s", key, key + n - 4);
}

void accounts_secret_hash(const char *token, char out[ACCT_HASH_LEN])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)token, strlen(token), d);
    hex_encode(d, sizeof d, out);
}

static const char code_alpha[] = ACCT_USER_CODE_ALPHABET;

bool accounts_user_code_normalise(const char *in, char out[9])
{
    size_t n = 0;
    out[0] = '\0';
    if (!in)
        return false;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (n == 8 || !strchr(code_alpha, c) || c == '\0')
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 8;
}

void accounts_user_code_new(char out[9], char display[ACCT_USER_CODE_BUF])
{
    const unsigned na = sizeof code_alpha - 1; /* 28 */
    size_t n = 0;
    while (n < 8) {
        unsigned char b[16];
        ids_random(b, sizeof b);
        for (size_t i = 0; i < sizeof b && n < 8; i++)
            if (b[i] < 256 - 256 % na) /* rejection sampling: no bias */
                out[n++] = code_alpha[b[i] % na];
    }
    out[8] = '\0';
    snprintf(display, ACCT_USER_CODE_BUF, "%.4s-%.4s", out, out + 4);
}

static bool urlsafe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

bool accounts_looks_like_session(const char *c) { return c && strlen(c) == 64 && urlsafe(c, 64); }

bool accounts_looks_like_key(const char *c)
{
    return c && strlen(c) == 46 && strncmp(c, "xc-", 3) == 0 && urlsafe(c + 3, 43);
}

/* ---- helpers over the store ---- */

static void scrub(struct acct_user *u)
{
    if (u)
        memset(u->password_hash, 0, sizeof u->password_hash);
}

static void prefixed_id(const char *prefix, char *out, size_t n)
{
    char hex[33];
    ids_hex128(hex);
    snprintf(out, n, "%s%s", prefix, hex);
}

/* Opens a session for user_id inside the open transaction: token (64 chars) out, at most
 * ACCT_SESSIONS_MAX kept (oldest evicted). */
static int session_issue(const char *user_id, int64_t now, char *token)
{
    struct acct_session x = {0};
    int rc = XC_ECONFLICT, trimmed;
    for (int tries = 0; tries < 3 && rc == XC_ECONFLICT; tries++) {
        ids_token("", 48, token, ACCT_SESSION_TOKEN_BUF);
        accounts_secret_hash(token, x.token_hash);
        snprintf(x.user_id, sizeof x.user_id, "%s", user_id);
        x.created_at = now;
        x.expires_at = now + ACCT_SESSION_TTL_US;
        rc = astore_session_insert(S(), &x);
    }
    if (rc == 0)
        rc = astore_sessions_trim(S(), user_id, ACCT_SESSIONS_MAX, &trimmed);
    if (rc < 0)
        token[0] = '\0';
    return rc;
}

/* Commits, or rolls back on rc < 0; returns the first failure. */
static int finish(int rc)
{
    if (rc < 0) {
        tx_rollback();
        return rc;
    }
    return tx_commit();
}

/* Validates country (2 letters, upper-cased in place) and province (one of the 13 codes when
 * the country is CA, upper-cased; else ≤ 7 letters, digits or '-'). */
static int place_check(char *country, char *province, struct acct_result *res)
{
    if (strlen(country) != 2)
        return outcome(res, ACCT_COUNTRY_INVALID);
    for (char *p = country; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
        if (*p < 'A' || *p > 'Z')
            return outcome(res, ACCT_COUNTRY_INVALID);
    }
    for (char *p = province; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return outcome(res, ACCT_PROVINCE_INVALID);
    }
    if (strcmp(country, "CA") == 0 && !tax_is_province(province))
        return outcome(res, ACCT_PROVINCE_INVALID);
    return outcome(res, ACCT_OK);
}

/* Copies src into dst (n bytes), cutting at a UTF-8 character boundary when it is too long
 * (a 100-character name may exceed the billing profile's 200 bytes). */
static void copy_cut(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Copies s into a fixed field; false when it does not fit. */
static bool fits(char *dst, size_t n, const char *s)
{
    if (strlen(s) >= n)
        return false;
    memcpy(dst, s, strlen(s) + 1);
    return true;
}

/* ---- key-use notes (last_used without a write per request) ----
 * A key's use is noted here; accounts_key_flush writes the noted times. An entry remembers when
 * a write was last scheduled, so a key in constant use is written at most once per
 * ACCT_KEY_TOUCH_US. Entries idle for longer are dropped at flush (the next use then schedules a
 * write at once, which is again ≥ 60 s after the previous one). Bounded: beyond LU_MAX tracked
 * keys new uses are not noted until a flush frees room. */

#define LU_BUCKETS 1024
#define LU_MAX 100000

struct lu_entry {
    struct lu_entry *next;
    char hash[ACCT_HASH_LEN];
    int64_t scheduled_at; /* last time a write was scheduled */
    int64_t pending;      /* the time to write, 0 = nothing pending */
};

static pthread_mutex_t lu_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lu_entry *lu_tab[LU_BUCKETS];
static size_t lu_count;

static unsigned lu_bucket(const char *hash)
{
    unsigned v = 0;
    for (int i = 0; i < 8 && hash[i]; i++)
        v = v * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return v % LU_BUCKETS;
}

static struct lu_entry *lu_find(const char *hash)
{
    for (struct lu_entry *e = lu_tab[lu_bucket(hash)]; e; e = e->next)
        if (strcmp(e->hash, hash) == 0)
            return e;
    return NULL;
}

static void lu_note(const char *hash, int64_t now)
{
    pthread_mutex_lock(&lu_mu);
    struct lu_entry *e = lu_find(hash);
    if (!e && lu_count < LU_MAX) {
        e = xcalloc(1, sizeof *e);
        snprintf(e->hash, sizeof e->hash, "%s", hash);
        unsigned b = lu_bucket(hash);
        e->next = lu_tab[b];
        lu_tab[b] = e;
        lu_count++;
        e->scheduled_at = now;
        e->pending = now;
    } else if (e && now - e->scheduled_at >= ACCT_KEY_TOUCH_US) {
        e->scheduled_at = now;
        e->pending = now;
    }
    pthread_mutex_unlock(&lu_mu);
}

/* The noted, unwritten use of a key (0 = none). */
static int64_t lu_pending(const char *hash)
{
    pthread_mutex_lock(&lu_mu);
    struct lu_entry *e = lu_find(hash);
    int64_t v = e ? e->pending : 0;
    pthread_mutex_unlock(&lu_mu);
    return v;
}

int accounts_key_flush(int *written)
{
    struct todo {
        char hash[ACCT_HASH_LEN];
        int64_t at;
    } *todo = NULL;
    size_t n = 0, cap = 0;
    int64_t now = app_now();
    pthread_mutex_lock(&lu_mu);
    for (unsigned b = 0; b < LU_BUCKETS; b++) {
        struct lu_entry **pp = &lu_tab[b];
        while (*pp) {
            struct lu_entry *e = *pp;
            if (e->pending) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    todo = xrealloc(todo, cap * sizeof *todo);
                }
                memcpy(todo[n].hash, e->hash, sizeof e->hash);
                todo[n++].at = e->pending;
                e->pending = 0;
            } else if (now - e->scheduled_at >= ACCT_KEY_TOUCH_US) {
                *pp = e->next;
                free(e);
                lu_count--;
                continue;
            }
            pp = &e->next;
        }
    }
    pthread_mutex_unlock(&lu_mu);
    int rc = 0;
    if (n > 0) {
        if ((rc = tx_begin()) == 0) {
            for (size_t i = 0; i < n && rc == 0; i++)
                rc = astore_key_touch(S(), todo[i].hash, todo[i].at);
            rc = finish(rc);
        }
        if (rc < 0) /* the noted uses are lost; last_used is advisory */
            log_warn("accounts: could not record API key use (%s)", xc_strerror(rc));
    }
    if (written)
        *written = rc == 0 ? (int)n : 0;
    free(todo);
    return rc;
}

/* ---- resolution ---- */

int accounts_resolve(const char *cred, int64_t now, struct acct_principal *out)
{
    memset(out, 0, sizeof *out);
    char hash[ACCT_HASH_LEN];
    int rc;
    int64_t valid_until = INT64_MAX; /* keys do not expire */
    bool session = accounts_looks_like_session(cred), key = !session && accounts_looks_like_key(cred);
    if (!session && !key)
        return XC_ENOTFOUND;
    accounts_secret_hash(cred, hash);
    /* Read the version before the store: a write committed after this read moves it, so what
     * is cached below can only be older than the version it is filed under, never newer. */
    uint64_t version = store_creds_version(S());
    if (cred_cache_get(hash, version, now, out, sizeof *out)) {
        if (key)
            lu_note(hash, now);
        return 0;
    }
    if (session) {
        struct acct_session x;
        rc = astore_session_user(S(), hash, now, &x, &out->user);
        if (rc == 0 && CRYPTO_memcmp(x.token_hash, hash, 64) != 0)
            rc = XC_ENOTFOUND;
        valid_until = x.expires_at;
        out->cred = ACCT_CRED_SESSION;
    } else {
        struct acct_key k;
        rc = astore_key_user(S(), hash, &k, &out->user);
        if (rc == 0 && CRYPTO_memcmp(k.key_hash, hash, 64) != 0)
            rc = XC_ENOTFOUND;
        if (rc == 0)
            lu_note(hash, now);
        out->cred = ACCT_CRED_KEY;
    }
    if (rc == 0) {
        memcpy(out->cred_hash, hash, sizeof hash);
        scrub(&out->user);
        cred_cache_put(hash, version, valid_until, out, sizeof *out);
    } else {
        memset(out, 0, sizeof *out);
    }
    return rc;
}

/* ---- registration, login, sessions ---- */

int accounts_register(const struct acct_register_in *in, int64_t now, struct acct_user *user, char *token,
                      struct acct_result *res)
{
    struct acct_user u = {0};
    int rc;
    token[0] = '\0';
    if ((rc = accounts_email_normalise(in->email, u.email, res)) < 0)
        return rc;
    if ((rc = accounts_password_policy(in->password, false, res)) < 0)
        return rc;
    const char *role = in->role ? in->role : "submitter";
    if (!acct_role_parse(role, &u.role))
        return outcome(res, ACCT_ROLE_INVALID);
    if (u.role == ACCT_ROLE_ADMIN)
        return outcome(res, ACCT_ADMIN_SELF_ASSIGN);
    if (in->name) {
        if (!accounts_name_valid(in->name) || !fits(u.name, sizeof u.name, in->name))
            return outcome(res, ACCT_NAME_INVALID);
    } else {
        /* The local part: ASCII, so bytes are characters. */
        snprintf(u.name, sizeof u.name, "%.*s", (int)strcspn(u.email, "@") > ACCT_NAME_MAX
                 ? ACCT_NAME_MAX : (int)strcspn(u.email, "@"), u.email);
    }
    if (!fits(u.country, sizeof u.country, in->country ? in->country : "CA"))
        return outcome(res, ACCT_COUNTRY_INVALID);
    if (!fits(u.province, sizeof u.province, in->province ? in->province : "ON"))
        return outcome(res, ACCT_PROVINCE_INVALID);
    if ((rc = place_check(u.country, u.province, res)) < 0)
        return rc;
    struct acct_user existing;
    if (astore_user_by_email(S(), u.email, &existing) == 0)
        return outcome(res, ACCT_EMAIL_TAKEN);
    if ((rc = password_hash(in->password, u.password_hash)) < 0)
        return failed(res, rc);
    prefixed_id("user-", u.user_id, sizeof u.user_id);
    prefixed_id("cust-", u.customer_id, sizeof u.customer_id);
    u.created_at = u.updated_at = now;

    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_user_insert(S(), &u);
    if (rc == XC_ECONFLICT) { /* raced with another registration of the address */
        tx_rollback();
        return outcome(res, ACCT_EMAIL_TAKEN);
    }
    struct customer c = {0};
    struct wallet w;
    snprintf(c.customer_id, sizeof c.customer_id, "%s", u.customer_id);
    copy_cut(c.name, sizeof c.name, u.name);
    snprintf(c.province, sizeof c.province, "%s", u.province);
    c.created_at = c.updated_at = now;
    if (rc == 0)
        rc = bstore_customer_put(S(), &c);
    if (rc == 0)
        rc = bsvc_wallet_load(u.customer_id, now, &w);
    if (rc == 0)
        rc = session_issue(u.user_id, now, token);
    if (rc == 0)
        tx_sse("user_registered", json_pack("{s:s}", "user_id", u.user_id));
    if ((rc = finish(rc)) < 0) {
        token[0] = '\0';
        return failed(res, rc);
    }
    scrub(&u);
    if (user)
        *user = u;
    return outcome(res, ACCT_REGISTERED);
}

int accounts_login(const char *email, const char *password, int64_t now, struct acct_user *user, char *token,
                   struct acct_result *res)
{
    char e[ACCT_EMAIL_MAX + 1];
    struct acct_user u;
    int rc, fails = 0;
    token[0] = '\0';
    if (accounts_email_normalise(email, e, NULL) < 0 || !password || strlen(password) > PASSWORD_MAX_BYTES) {
        (void)password_verify(password_dummy_hash(), "-"); /* same cost as a wrong password */
        return outcome(res, ACCT_BAD_CREDENTIALS);
    }
    if ((rc = astore_login_failures_count(S(), e, now - ACCT_LOGIN_WINDOW_US, &fails)) < 0)
        return failed(res, rc);
    if (fails >= ACCT_LOGIN_FAILS_MAX)
        return outcome(res, ACCT_THROTTLED);
    rc = astore_user_by_email(S(), e, &u);
    if (rc < 0 && rc != XC_ENOTFOUND)
        return failed(res, rc);
    bool known = rc == 0;
    bool ok = password_verify(known ? u.password_hash : password_dummy_hash(), password);
    if (!ok || !known) {
        if ((rc = tx_begin()) < 0)
            return failed(res, rc);
        if ((rc = finish(astore_login_failure_add(S(), e, now))) < 0)
            return failed(res, rc);
        return outcome(res, ACCT_BAD_CREDENTIALS);
    }
    if (u.disabled)
        return outcome(res, ACCT_ACCOUNT_DISABLED);
    char rehash[PASSWORD_ENCODED_MAX] = "";
    if (password_needs_rehash(u.password_hash) && password_hash(password, rehash) < 0)
        rehash[0] = '\0'; /* keep the old hash; try again next time */
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_login_failures_clear(S(), e);
    if (rc == 0 && rehash[0])
        rc = astore_user_set_password(S(), u.user_id, rehash, now);
    if (rc == 0)
        rc = session_issue(u.user_id, now, token);
    if ((rc = finish(rc)) < 0) {
        token[0] = '\0';
        return failed(res, rc);
    }
    scrub(&u);
    if (user)
        *user = u;
    return outcome(res, ACCT_OK);
}

int accounts_logout(const struct acct_principal *who, struct acct_result *res)
{
    int rc;
    if (who->cred != ACCT_CRED_SESSION)
        return outcome(res, ACCT_LOGGED_OUT);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    if ((rc = finish(astore_session_delete(S(), who->cred_hash, NULL))) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_LOGGED_OUT);
}

int accounts_refresh(const struct acct_principal *who, int64_t now, char *token, struct acct_result *res)
{
    int rc;
    bool existed = true;
    token[0] = '\0';
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    if (who->cred == ACCT_CRED_SESSION)
        rc = astore_session_delete(S(), who->cred_hash, &existed);
    if (rc == 0 && !existed) { /* refreshed or logged out concurrently */
        tx_rollback();
        return outcome(res, ACCT_SESSION_INVALID);
    }
    if (rc == 0)
        rc = session_issue(who->user.user_id, now, token);
    if ((rc = finish(rc)) < 0) {
        token[0] = '\0';
        return failed(res, rc);
    }
    return outcome(res, ACCT_OK);
}

int accounts_me(const char *user_id, struct acct_user *out)
{
    int rc = astore_user_get(S(), user_id, out);
    if (rc == 0 && out->deleted_at)
        rc = XC_ENOTFOUND;
    scrub(out);
    return rc;
}

/* Keeps the customer's billing profile (name, province) in step with the user. */
static int customer_sync(const struct acct_user *u, int64_t now)
{
    struct customer c;
    int rc = bstore_customer_get(S(), u->customer_id, &c);
    if (rc == XC_ENOTFOUND) {
        memset(&c, 0, sizeof c);
        snprintf(c.customer_id, sizeof c.customer_id, "%s", u->customer_id);
        c.created_at = now;
    } else if (rc < 0) {
        return rc;
    }
    copy_cut(c.name, sizeof c.name, u->name);
    snprintf(c.province, sizeof c.province, "%s", u->province);
    c.updated_at = now;
    return bstore_customer_put(S(), &c);
}

int accounts_update_profile(const char *user_id, const struct acct_profile_in *in, int64_t now,
                            struct acct_user *out, struct acct_result *res)
{
    struct acct_user u, before;
    int rc = accounts_me(user_id, &u);
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_NOT_AUTHENTICATED);
    if (rc < 0)
        return failed(res, rc);
    before = u;
    if (in->name && (!accounts_name_valid(in->name) || !fits(u.name, sizeof u.name, in->name)))
        return outcome(res, ACCT_NAME_INVALID);
    if (in->role) {
        enum acct_role r;
        if (!acct_role_parse(in->role, &r))
            return outcome(res, ACCT_ROLE_INVALID);
        if (r == ACCT_ROLE_ADMIN && u.role != ACCT_ROLE_ADMIN)
            return outcome(res, ACCT_ADMIN_SELF_ASSIGN);
        u.role = r;
    }
    if (in->country && !fits(u.country, sizeof u.country, in->country))
        return outcome(res, ACCT_COUNTRY_INVALID);
    if (in->province && !fits(u.province, sizeof u.province, in->province))
        return outcome(res, ACCT_PROVINCE_INVALID);
    if ((in->country || in->province) && (rc = place_check(u.country, u.province, res)) < 0)
        return rc;
    bool changed = strcmp(u.name, before.name) != 0 || u.role != before.role ||
                   strcmp(u.country, before.country) != 0 || strcmp(u.province, before.province) != 0;
    if (!changed) {
        if (out)
            *out = u;
        return outcome(res, ACCT_NO_CHANGES);
    }
    u.updated_at = now;
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_user_update(S(), &u);
    if (rc == 0 && (strcmp(u.name, before.name) != 0 || strcmp(u.province, before.province) != 0))
        rc = customer_sync(&u, now);
    if (rc == 0 && u.role != before.role)
        rc = tx_event("auth.role_changed", "user", u.user_id, u.user_id,
                      json_pack("{s:s,s:s,s:s}", "user_id", u.user_id, "from", acct_role_name(before.role), "to",
                                acct_role_name(u.role)));
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    if (out)
        *out = u;
    return outcome(res, ACCT_PROFILE_UPDATED);
}

/* Revokes every credential of the user inside the open transaction. */
static int revoke_all(const char *user_id)
{
    int n, rc = astore_sessions_delete_user(S(), user_id, NULL, &n);
    if (rc == 0)
        rc = astore_keys_delete_user(S(), user_id, &n);
    if (rc == 0)
        rc = astore_devices_delete_user(S(), user_id);
    if (rc == 0)
        rc = astore_resets_delete_user(S(), user_id);
    return rc;
}

int accounts_delete(const char *user_id, int64_t now, struct acct_result *res)
{
    struct acct_user u;
    struct acct_team *owned = NULL;
    size_t n = 0;
    int rc = accounts_me(user_id, &u);
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_NOT_AUTHENTICATED);
    if (rc < 0)
        return failed(res, rc);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = revoke_all(user_id);
    if (rc == 0)
        rc = astore_teams_owned(S(), user_id, &owned, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = astore_team_delete(S(), owned[i].team_id);
    free(owned);
    if (rc == 0)
        rc = astore_members_delete_user(S(), user_id);
    if (rc == 0)
        rc = astore_user_anonymise(S(), user_id, now);
    if (rc == 0) {
        struct customer c;
        int g = bstore_customer_get(S(), u.customer_id, &c);
        if (g == 0) {
            snprintf(c.name, sizeof c.name, "[deleted]");
            c.updated_at = now;
            rc = bstore_customer_put(S(), &c);
        } else if (g != XC_ENOTFOUND) {
            rc = g;
        }
    }
    if (rc == 0)
        rc = tx_event("privacy.account_deleted", "user", user_id, user_id,
                      json_pack("{s:s,s:s}", "user_id", user_id, "customer_id", u.customer_id));
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_ACCOUNT_DELETED);
}

/* ---- passwords ---- */

int accounts_change_password(const struct acct_principal *who, const char *current, const char *new_password,
                             int64_t now, struct acct_result *res)
{
    struct acct_user u;
    char h[PASSWORD_ENCODED_MAX];
    int rc, n;
    if ((rc = accounts_password_policy(new_password, true, res)) < 0)
        return rc;
    if ((rc = astore_user_get(S(), who->user.user_id, &u)) < 0)
        return rc == XC_ENOTFOUND ? outcome(res, ACCT_NOT_AUTHENTICATED) : failed(res, rc);
    if (!current || strlen(current) > PASSWORD_MAX_BYTES || !password_verify(u.password_hash, current))
        return outcome(res, ACCT_CURRENT_PASSWORD_WRONG);
    if ((rc = password_hash(new_password, h)) < 0)
        return failed(res, rc);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_user_set_password(S(), u.user_id, h, now);
    if (rc == 0)
        rc = astore_sessions_delete_user(S(), u.user_id,
                                         who->cred == ACCT_CRED_SESSION ? who->cred_hash : NULL, &n);
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_PASSWORD_CHANGED);
}

int accounts_reset_request(const char *email, int64_t now, char *token, bool *issued, struct acct_result *res)
{
    char e[ACCT_EMAIL_MAX + 1];
    struct acct_user u;
    int rc;
    token[0] = '\0';
    *issued = false;
    if ((rc = accounts_email_normalise(email, e, res)) < 0)
        return rc;
    rc = astore_user_by_email(S(), e, &u);
    if (rc == XC_ENOTFOUND || (rc == 0 && u.disabled))
        return outcome(res, ACCT_RESET_SENT);
    if (rc < 0)
        return failed(res, rc);
    struct acct_reset r = {0};
    ids_token("", 32, token, ACCT_TOKEN43_BUF);
    accounts_secret_hash(token, r.token_hash);
    snprintf(r.user_id, sizeof r.user_id, "%s", u.user_id);
    r.created_at = now;
    r.expires_at = now + ACCT_RESET_TTL_US;
    if ((rc = tx_begin()) < 0 || (rc = finish(astore_reset_insert(S(), &r))) < 0) {
        token[0] = '\0';
        return failed(res, rc);
    }
    *issued = true;
    return outcome(res, ACCT_RESET_SENT);
}

int accounts_reset_confirm(const char *token, const char *new_password, int64_t now, struct acct_result *res)
{
    struct acct_reset r;
    struct acct_user u;
    char hash[ACCT_HASH_LEN], h[PASSWORD_ENCODED_MAX];
    int rc, n;
    bool claimed;
    if ((rc = accounts_password_policy(new_password, false, res)) < 0)
        return rc;
    if (!token || strlen(token) != 43 || !urlsafe(token, 43))
        return outcome(res, ACCT_RESET_INVALID);
    accounts_secret_hash(token, hash);
    rc = astore_reset_get(S(), hash, &r);
    if (rc == XC_ENOTFOUND || (rc == 0 && (r.used || CRYPTO_memcmp(r.token_hash, hash, 64) != 0)))
        return outcome(res, ACCT_RESET_INVALID);
    if (rc < 0)
        return failed(res, rc);
    if (now >= r.expires_at)
        return outcome(res, ACCT_RESET_EXPIRED);
    rc = astore_user_get(S(), r.user_id, &u);
    if (rc == XC_ENOTFOUND || (rc == 0 && (u.deleted_at || u.disabled)))
        return outcome(res, ACCT_RESET_INVALID);
    if (rc < 0)
        return failed(res, rc);
    if ((rc = password_hash(new_password, h)) < 0)
        return failed(res, rc);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_reset_claim(S(), hash, &claimed);
    if (rc == 0 && !claimed) { /* used by a concurrent confirm */
        tx_rollback();
        return outcome(res, ACCT_RESET_INVALID);
    }
    if (rc == 0)
        rc = astore_user_set_password(S(), u.user_id, h, now);
    if (rc == 0)
        rc = astore_sessions_delete_user(S(), u.user_id, NULL, &n);
    if (rc == 0)
        rc = astore_login_failures_clear(S(), u.email);
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_PASSWORD_UPDATED);
}

/* ---- API keys ---- */

int accounts_key_create(const char *user_id, const char *name, int64_t now, char *key, struct acct_key *meta,
                        struct acct_result *res)
{
    struct acct_key k = {0};
    int rc, count;
    key[0] = '\0';
    if (!name)
        name = "default";
    if (!text_valid(name, 64) || !fits(k.name, sizeof k.name, name))
        return outcome(res, ACCT_KEY_NAME_INVALID);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    if ((rc = astore_key_count(S(), user_id, &count)) == 0 && count >= ACCT_KEYS_MAX) {
        tx_rollback();
        return outcome(res, ACCT_KEY_LIMIT);
    }
    snprintf(k.user_id, sizeof k.user_id, "%s", user_id);
    k.created_at = now;
    rc = rc < 0 ? rc : XC_ECONFLICT;
    for (int tries = 0; tries < 3 && rc == XC_ECONFLICT; tries++) {
        ids_token("xc-", 32, key, ACCT_KEY_BUF);
        accounts_secret_hash(key, k.key_hash);
        accounts_key_preview(key, k.preview);
        rc = astore_key_insert(S(), &k);
    }
    if ((rc = finish(rc)) < 0) {
        key[0] = '\0';
        return failed(res, rc);
    }
    if (meta) {
        *meta = k;
        memset(meta->key_hash, 0, sizeof meta->key_hash);
    }
    return outcome(res, ACCT_KEY_CREATED);
}

int accounts_key_list(const char *user_id, struct acct_key **out, size_t *n)
{
    int rc = astore_key_list(S(), user_id, out, n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < *n; i++) {
        int64_t p = lu_pending((*out)[i].key_hash);
        if (p > (*out)[i].last_used)
            (*out)[i].last_used = p;
        memset((*out)[i].key_hash, 0, sizeof (*out)[i].key_hash);
    }
    return 0;
}

int accounts_key_revoke(const char *user_id, const char *preview, struct acct_result *res)
{
    int rc, n = 0;
    if (!preview || strlen(preview) >= 24)
        return outcome(res, ACCT_KEY_NOT_FOUND);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    if ((rc = finish(astore_key_delete_preview(S(), user_id, preview, &n))) < 0)
        return failed(res, rc);
    return outcome(res, n > 0 ? ACCT_KEY_REVOKED : ACCT_KEY_NOT_FOUND);
}

/* ---- device flow ---- */

int accounts_device_start(int64_t now, char *device_code, char *user_code, struct acct_result *res)
{
    struct acct_device d = {0};
    int rc;
    device_code[0] = user_code[0] = '\0';
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = XC_ECONFLICT;
    for (int tries = 0; tries < 8 && rc == XC_ECONFLICT; tries++) {
        ids_token("", 32, device_code, ACCT_TOKEN43_BUF);
        accounts_secret_hash(device_code, d.device_code_hash);
        accounts_user_code_new(d.user_code, user_code);
        d.created_at = now;
        d.expires_at = now + ACCT_DEVICE_TTL_US;
        rc = astore_device_insert(S(), &d);
    }
    if ((rc = finish(rc)) < 0) {
        device_code[0] = user_code[0] = '\0';
        return failed(res, rc);
    }
    return outcome(res, ACCT_DEVICE_STARTED);
}

int accounts_device_verify(const struct acct_principal *who, const char *user_code, int64_t now,
                           struct acct_result *res)
{
    char code[9];
    struct acct_device d;
    bool changed;
    int rc;
    if (!accounts_user_code_normalise(user_code, code))
        return outcome(res, ACCT_USER_CODE_INVALID);
    rc = astore_device_by_user_code(S(), code, &d);
    if (rc == XC_ENOTFOUND || (rc == 0 && (d.consumed || d.approved_by[0])))
        return outcome(res, ACCT_USER_CODE_INVALID);
    if (rc < 0)
        return failed(res, rc);
    if (now >= d.expires_at)
        return outcome(res, ACCT_USER_CODE_EXPIRED);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    if ((rc = finish(astore_device_approve(S(), d.device_code_hash, who->user.user_id, now, &changed))) < 0)
        return failed(res, rc);
    return outcome(res, changed ? ACCT_DEVICE_AUTHORIZED : ACCT_USER_CODE_INVALID);
}

int accounts_device_token(const char *device_code, const char *grant_type, int64_t now, char *token,
                          enum acct_device_status *st, struct acct_result *res)
{
    struct acct_device d;
    struct acct_user u;
    char hash[ACCT_HASH_LEN];
    bool claimed;
    int rc;
    token[0] = '\0';
    *st = ACCT_DEVICE_ST_INVALID;
    if (grant_type && strcmp(grant_type, ACCT_DEVICE_GRANT) != 0)
        return outcome(res, ACCT_GRANT_UNSUPPORTED);
    if (!device_code || strlen(device_code) != 43 || !urlsafe(device_code, 43))
        return outcome(res, ACCT_DEVICE_INVALID);
    accounts_secret_hash(device_code, hash);
    rc = astore_device_get(S(), hash, &d);
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_DEVICE_INVALID);
    if (rc < 0)
        return failed(res, rc);
    if (d.consumed) {
        *st = ACCT_DEVICE_ST_CONSUMED;
        return outcome(res, ACCT_DEVICE_INVALID);
    }
    if (now >= d.expires_at) {
        *st = ACCT_DEVICE_ST_EXPIRED;
        return outcome(res, ACCT_DEVICE_EXPIRED);
    }
    if (!d.approved_by[0]) {
        *st = ACCT_DEVICE_ST_PENDING;
        return outcome(res, ACCT_DEVICE_PENDING);
    }
    rc = astore_user_get(S(), d.approved_by, &u);
    if (rc == XC_ENOTFOUND || (rc == 0 && (u.disabled || u.deleted_at)))
        return outcome(res, ACCT_DEVICE_INVALID);
    if (rc < 0)
        return failed(res, rc);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_device_consume(S(), hash, &claimed);
    if (rc == 0 && !claimed) { /* a concurrent poll took it */
        tx_rollback();
        *st = ACCT_DEVICE_ST_CONSUMED;
        return outcome(res, ACCT_DEVICE_INVALID);
    }
    if (rc == 0)
        rc = session_issue(u.user_id, now, token);
    if ((rc = finish(rc)) < 0) {
        token[0] = '\0';
        return failed(res, rc);
    }
    *st = ACCT_DEVICE_OK;
    return outcome(res, ACCT_DEVICE_TOKEN_ISSUED);
}

/* ---- administration ---- */

int accounts_admin_list(const char *role, int limit, int offset, struct acct_user **out, size_t *n,
                        int64_t *total, struct acct_result *res)
{
    enum acct_role r;
    *out = NULL;
    *n = 0;
    if (role && !acct_role_parse(role, &r))
        return outcome(res, ACCT_ADMIN_ROLE_INVALID);
    int rc = astore_user_list(S(), role ? &r : NULL, limit, offset, out, n, total);
    if (rc < 0)
        return failed(res, rc);
    for (size_t i = 0; i < *n; i++)
        scrub(&(*out)[i]);
    return outcome(res, ACCT_OK);
}

int accounts_admin_update(const char *actor, const char *user_id, const char *role, const bool *disabled,
                          int64_t now, struct acct_user *out, struct acct_result *res)
{
    struct acct_user u;
    enum acct_role r = ACCT_ROLE_SUBMITTER;
    int rc;
    if (role && !acct_role_parse(role, &r))
        return outcome(res, ACCT_ADMIN_ROLE_INVALID);
    rc = accounts_me(user_id, &u);
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_USER_NOT_FOUND);
    if (rc < 0)
        return failed(res, rc);
    enum acct_role was = u.role;
    bool disabling = disabled && *disabled && !u.disabled;
    if (role)
        u.role = r;
    if (disabled)
        u.disabled = *disabled;
    u.updated_at = now;
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_user_update(S(), &u);
    if (rc == 0 && disabling)
        rc = revoke_all(u.user_id);
    if (rc == 0 && u.role != was)
        rc = tx_event("auth.role_changed", "user", u.user_id, actor ? actor : "admin",
                      json_pack("{s:s,s:s,s:s}", "user_id", u.user_id, "from", acct_role_name(was), "to",
                                acct_role_name(u.role)));
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    if (out)
        *out = u;
    return outcome(res, ACCT_USER_UPDATED);
}

int accounts_bind_provider(const char *user_id, const char *provider_id, int64_t now)
{
    struct acct_user u;
    int rc = accounts_me(user_id, &u);
    if (rc < 0)
        return rc;
    if (!fits(u.provider_id, sizeof u.provider_id, provider_id))
        return XC_EINVAL;
    enum acct_role was = u.role;
    if (u.role == ACCT_ROLE_SUBMITTER)
        u.role = ACCT_ROLE_PROVIDER;
    u.updated_at = now;
    rc = astore_user_update(S(), &u);
    if (rc == 0 && u.role != was)
        rc = tx_event("auth.role_changed", "user", u.user_id, u.user_id,
                      json_pack("{s:s,s:s,s:s}", "user_id", u.user_id, "from", acct_role_name(was), "to",
                                acct_role_name(u.role)));
    return rc;
}

/* ---- teams ---- */

int accounts_team_create(const char *user_id, const char *name, const char *plan, int64_t now,
                         struct acct_team *out, struct acct_result *res)
{
    struct acct_team t = {0};
    struct acct_member m = {0};
    int rc;
    if (!text_valid(name, ACCT_NAME_MAX) || !fits(t.name, sizeof t.name, name))
        return outcome(res, ACCT_TEAM_NAME_INVALID);
    if (!acct_plan_parse(plan ? plan : "free", &t.plan))
        return outcome(res, ACCT_PLAN_INVALID);
    prefixed_id("team-", t.team_id, sizeof t.team_id);
    snprintf(t.owner_user_id, sizeof t.owner_user_id, "%s", user_id);
    t.max_members = acct_plan_capacity(t.plan);
    t.created_at = now;
    snprintf(m.team_id, sizeof m.team_id, "%s", t.team_id);
    snprintf(m.user_id, sizeof m.user_id, "%s", user_id);
    m.is_admin = true;
    m.joined_at = now;
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_team_insert(S(), &t);
    if (rc == 0)
        rc = astore_member_insert(S(), &m);
    if (rc == 0)
        tx_sse("team_created", json_pack("{s:s,s:s}", "team_id", t.team_id, "name", t.name));
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    t.member_is_admin = true;
    if (out)
        *out = t;
    return outcome(res, ACCT_TEAM_CREATED);
}

int accounts_teams_mine(const char *user_id, struct acct_team **out, size_t *n)
{
    return astore_teams_of_user(S(), user_id, out, n);
}

/* Loads the team and the caller's membership: ACCT_TEAM_NOT_FOUND, or ACCT_TEAM_NOT_MEMBER
 * (when must_be_member), else 0 with is_member and me filled. */
static int team_and_me(const char *user_id, const char *team_id, struct acct_team *t, struct acct_member *me,
                       bool *is_member, bool must_be_member, struct acct_result *res)
{
    int rc = team_id ? astore_team_get(S(), team_id, t) : XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_TEAM_NOT_FOUND);
    if (rc < 0)
        return failed(res, rc);
    rc = astore_member_get(S(), team_id, user_id, me);
    if (rc < 0 && rc != XC_ENOTFOUND)
        return failed(res, rc);
    *is_member = rc == 0;
    if (!*is_member) {
        memset(me, 0, sizeof *me);
        if (must_be_member)
            return outcome(res, ACCT_TEAM_NOT_MEMBER);
    }
    return 0;
}

int accounts_team_get(const char *user_id, const char *team_id, struct acct_team *team,
                      struct acct_member **members, size_t *n, bool *viewer_is_admin, struct acct_result *res)
{
    struct acct_member me;
    bool is_member;
    *members = NULL;
    *n = 0;
    int rc = team_and_me(user_id, team_id, team, &me, &is_member, true, res);
    if (rc < 0)
        return rc;
    team->member_is_admin = me.is_admin;
    *viewer_is_admin = me.is_admin;
    if ((rc = astore_member_list(S(), team_id, members, n)) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_OK);
}

int accounts_team_member(const char *user_id, const char *team_id, bool *is_member)
{
    struct acct_member m;
    int rc = astore_member_get(S(), team_id, user_id, &m);
    *is_member = rc == 0;
    return rc == XC_ENOTFOUND ? 0 : rc;
}

int accounts_team_add(const char *user_id, const char *team_id, const char *email, const char *role, int64_t now,
                      struct acct_result *res)
{
    struct acct_team t;
    struct acct_member me, m = {0};
    struct acct_user target;
    char e[ACCT_EMAIL_MAX + 1];
    bool is_member;
    int rc, count;
    if ((rc = team_and_me(user_id, team_id, &t, &me, &is_member, false, res)) < 0)
        return rc;
    if (!is_member || !me.is_admin)
        return outcome(res, ACCT_TEAM_ADD_FORBIDDEN);
    const char *r = role ? role : "member";
    if (strcmp(r, "member") != 0 && strcmp(r, "admin") != 0)
        return outcome(res, ACCT_TEAM_ROLE_INVALID);
    if ((rc = accounts_email_normalise(email, e, res)) < 0)
        return rc;
    rc = astore_user_by_email(S(), e, &target);
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_TEAM_USER_NOT_FOUND, e);
    if (rc < 0)
        return failed(res, rc);
    snprintf(m.team_id, sizeof m.team_id, "%s", t.team_id);
    snprintf(m.user_id, sizeof m.user_id, "%s", target.user_id);
    m.is_admin = strcmp(r, "admin") == 0;
    m.joined_at = now;
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    struct acct_member dup;
    rc = astore_member_get(S(), t.team_id, target.user_id, &dup);
    if (rc == 0) {
        tx_rollback();
        return outcome(res, ACCT_TEAM_ALREADY_MEMBER, e);
    }
    if (rc == XC_ENOTFOUND && (rc = astore_member_count(S(), t.team_id, &count)) == 0 && count >= t.max_members) {
        tx_rollback();
        return outcome(res, ACCT_TEAM_FULL);
    }
    if (rc == 0)
        rc = astore_member_insert(S(), &m);
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_TEAM_MEMBER_ADDED, e, r);
}

int accounts_team_remove(const char *user_id, const char *team_id, const char *email, struct acct_result *res)
{
    struct acct_team t;
    struct acct_member me, tm;
    struct acct_user target;
    char e[ACCT_EMAIL_MAX + 1];
    bool is_member, deleted;
    int rc;
    if ((rc = team_and_me(user_id, team_id, &t, &me, &is_member, true, res)) < 0)
        return rc;
    if (accounts_email_normalise(email, e, NULL) < 0)
        return outcome(res, ACCT_TEAM_MEMBER_NOT_FOUND, email ? email : "");
    rc = astore_user_by_email(S(), e, &target);
    if (rc == 0)
        rc = astore_member_get(S(), t.team_id, target.user_id, &tm);
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_TEAM_MEMBER_NOT_FOUND, e);
    if (rc < 0)
        return failed(res, rc);
    bool self = strcmp(target.user_id, user_id) == 0;
    if (!self && !me.is_admin)
        return outcome(res, ACCT_TEAM_REMOVE_FORBIDDEN);
    if (strcmp(target.user_id, t.owner_user_id) == 0)
        return outcome(res, ACCT_TEAM_REMOVE_OWNER);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    if ((rc = finish(astore_member_delete(S(), t.team_id, target.user_id, &deleted))) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_TEAM_MEMBER_REMOVED, e);
}

int accounts_team_delete(const char *user_id, const char *team_id, struct acct_result *res)
{
    struct acct_team t;
    int rc = team_id ? astore_team_get(S(), team_id, &t) : XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND)
        return outcome(res, ACCT_TEAM_NOT_FOUND);
    if (rc < 0)
        return failed(res, rc);
    if (strcmp(t.owner_user_id, user_id) != 0)
        return outcome(res, ACCT_TEAM_DELETE_FORBIDDEN);
    if ((rc = tx_begin()) < 0)
        return failed(res, rc);
    rc = astore_team_delete(S(), team_id);
    if (rc == XC_ENOTFOUND) { /* deleted concurrently */
        tx_rollback();
        return outcome(res, ACCT_TEAM_NOT_FOUND);
    }
    if ((rc = finish(rc)) < 0)
        return failed(res, rc);
    return outcome(res, ACCT_TEAM_DELETED);
}

/* ---- housekeeping ---- */

int accounts_sweep(int64_t now)
{
    int n, rc = tx_begin();
    if (rc < 0)
        return rc;
    rc = astore_sessions_purge_expired(S(), now, &n);
    if (rc == 0)
        rc = astore_resets_purge(S(), now - INT64_C(86400) * 1000000, &n);
    if (rc == 0)
        rc = astore_devices_purge(S(), now - INT64_C(86400) * 1000000, &n);
    if (rc == 0)
        rc = astore_login_failures_purge(S(), now - ACCT_LOGIN_WINDOW_US, &n);
    return finish(rc);
}
