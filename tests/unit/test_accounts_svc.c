/* The accounts service (server/svc/accounts.c) over a real temporary store: the pure rules
 * (e-mail, password policy, previews, user codes, the outcome table) and the flows of api §8.15,
 * §8.16 and domain §24 — registration, throttled login, sessions, API keys and their batched
 * last_used, resolution, password change/reset, the device flow, administration, deletion and
 * teams. The service runs against g_app with a store of its own (no HTTP server). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/password.h"
#include "server/app.h"
#include "server/svc/accounts.h"
#include "store/accounts_store.h"
#include "store/billing_store.h"
#include "store/store.h"

#define S_US INT64_C(1000000)
#define T0 (INT64_C(1800000000) * S_US)

static char dir[64];
static char path[128];
static struct app app;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/xc-acct-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    memset(&app, 0, sizeof app);
    cr_assert_eq(store_open(path, &app.store), 0);
    int applied;
    cr_assert_eq(store_migrate_up(app.store, &applied), 0);
    g_app = &app;
}

static void teardown(void)
{
    int w;
    accounts_key_flush(&w); /* empties the in-memory notes between tests */
    store_close(app.store);
    g_app = NULL;
    char p[160];
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    unlink(path);
    rmdir(dir);
}

/* ---- pure rules ---- */

Test(accounts_pure, email_normalisation)
{
    char e[ACCT_EMAIL_MAX + 1];
    struct acct_result r;
    cr_assert_eq(accounts_email_normalise("  Alice@Example.COM \t", e, &r), 0);
    cr_assert_str_eq(e, "alice@example.com");
    const char *bad[] = {"", "   ", "alice", "alice@", "@x.io", "a@b", "a@.io", "a@io.", "a@@x.io", "a b@x.io",
                         "a@x.io\r\nBcc: z@y.io", "a\x01@x.io", NULL};
    for (int i = 0; bad[i]; i++) {
        cr_assert_eq(accounts_email_normalise(bad[i], e, &r), XC_EINVAL, "%s", bad[i]);
        cr_assert_eq(r.kind, ACCT_EMAIL_INVALID, "%s", bad[i]);
        cr_assert_str_eq(r.msg, "Invalid email address");
    }
    cr_assert_eq(accounts_email_normalise("jos\xc3\xa9@x.io", e, &r), XC_EINVAL);
    cr_assert_eq(r.kind, ACCT_EMAIL_NOT_ASCII);
    char longe[300];
    memset(longe, 'a', 250);
    strcpy(longe + 250, "@x.io"); /* 255 bytes */
    cr_assert_eq(accounts_email_normalise(longe, e, &r), XC_EINVAL);
    longe[249] = '\0';
    strcat(longe, "@x.io"); /* 254 */
    cr_assert_eq(accounts_email_normalise(longe, e, &r), 0);
}

Test(accounts_pure, password_policy_counts_characters)
{
    struct acct_result r;
    char pw[2000];
    memset(pw, 'a', sizeof pw);
    pw[7] = '\0';
    cr_assert_eq(accounts_password_policy(pw, false, &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "Password must be at least 8 characters");
    cr_assert_eq(accounts_password_policy(pw, true, &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "New password must be at least 8 characters");
    pw[7] = 'a';
    pw[8] = '\0';
    cr_assert_eq(accounts_password_policy(pw, false, &r), 0);
    memset(pw, 'a', 256);
    pw[256] = '\0';
    cr_assert_eq(accounts_password_policy(pw, false, &r), 0);
    pw[256] = 'a';
    pw[257] = '\0';
    cr_assert_eq(accounts_password_policy(pw, false, &r), XC_EINVAL);
    cr_assert_eq(r.kind, ACCT_PASSWORD_LONG);
    /* 256 two-byte characters are 256 characters (512 bytes). */
    for (int i = 0; i < 256; i++)
        memcpy(pw + 2 * i, "\xc3\xa9", 2);
    pw[512] = '\0';
    cr_assert_eq(accounts_password_policy(pw, false, &r), 0);
    /* 4 two-byte characters are too short even though 8 bytes. */
    pw[8] = '\0';
    cr_assert_eq(accounts_password_policy(pw, false, &r), XC_EINVAL);
    static char big[10241];
    memset(big, 'x', 10240);
    cr_assert_eq(accounts_password_policy(big, false, &r), XC_EINVAL);
    cr_assert_eq(r.kind, ACCT_PASSWORD_LONG);
}

Test(accounts_pure, names_previews_codes)
{
    cr_assert(accounts_name_valid("Zoë Tremblay"));
    cr_assert_not(accounts_name_valid(""));
    cr_assert_not(accounts_name_valid("evil\r\nSet-Cookie: x"));
    cr_assert_not(accounts_name_valid("bad\xff"));
    char n[202];
    memset(n, 'n', 101);
    n[101] = '\0';
    cr_assert_not(accounts_name_valid(n));
    n[100] = '\0';
    cr_assert(accounts_name_valid(n));

    char p[24];
    accounts_key_preview("xc-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", p);
    cr_assert_str_eq(p, "xc-ABCDEFGHI...nopq");

    char code[9], disp[ACCT_USER_CODE_BUF], norm[9];
    for (int i = 0; i < 200; i++) {
        accounts_user_code_new(code, disp);
        cr_assert_eq(strlen(code), 8);
        cr_assert_eq(strspn(code, ACCT_USER_CODE_ALPHABET), 8);
        cr_assert_eq(strlen(disp), 9);
        cr_assert_eq(disp[4], '-');
        cr_assert(accounts_user_code_normalise(disp, norm));
        cr_assert_str_eq(norm, code);
    }
    cr_assert(accounts_user_code_normalise("bcdf-ghjk", norm));
    cr_assert_str_eq(norm, "BCDFGHJK");
    cr_assert(accounts_user_code_normalise("BCDFGHJK", norm));
    cr_assert_not(accounts_user_code_normalise("BCDF-GHJA", norm)); /* vowel */
    cr_assert_not(accounts_user_code_normalise("BCDF-GHJ", norm));
    cr_assert_not(accounts_user_code_normalise("BCDF-GHJKL", norm));

    cr_assert(accounts_looks_like_key("xc-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"));
    cr_assert_not(accounts_looks_like_key("xh-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"));
    cr_assert_not(accounts_looks_like_session("short"));
}

Test(accounts_pure, outcome_table_is_consistent)
{
    for (int k = 0; k < ACCT_OUTCOME__COUNT; k++) {
        int code = acct_outcome_code(k), st = acct_outcome_status(k);
        cr_assert(acct_outcome_text(k)[0]);
        cr_assert((code == 0) == (st == 200), "%s", acct_outcome_name(k));
        cr_assert(st >= 200 && st < 600);
    }
    cr_assert_eq(acct_outcome_status(ACCT_THROTTLED), 429);
    cr_assert_eq(acct_outcome_status(ACCT_DEVICE_PENDING), 428);
    cr_assert_str_eq(acct_device_status_name(ACCT_DEVICE_ST_CONSUMED), "consumed");
}

/* ---- flows ---- */

TestSuite(accounts_svc, .init = setup, .fini = teardown);

static void reg(const char *email, const char *role, struct acct_user *u, char *tok)
{
    struct acct_register_in in = {.email = email, .password = "StrongPass123!", .role = role};
    struct acct_result r;
    int rc = accounts_register(&in, T0, u, tok, &r);
    cr_assert_eq(rc, 0, "%s: %s", email, r.msg);
}

Test(accounts_svc, register_creates_user_customer_wallet_session)
{
    struct acct_user u;
    char tok[ACCT_SESSION_TOKEN_BUF];
    reg("  New@X.io ", NULL, &u, tok);
    cr_assert(strncmp(u.user_id, "user-", 5) == 0 && strlen(u.user_id) == 37);
    cr_assert(strncmp(u.customer_id, "cust-", 5) == 0 && strlen(u.customer_id) == 37);
    cr_assert_str_eq(u.email, "new@x.io");
    cr_assert_str_eq(u.name, "new");
    cr_assert_eq(u.role, ACCT_ROLE_SUBMITTER);
    cr_assert_str_eq(u.password_hash, "");
    cr_assert_eq(strlen(tok), 64);
    struct customer c;
    struct wallet w;
    cr_assert_eq(bstore_customer_get(app.store, u.customer_id, &c), 0);
    cr_assert_str_eq(c.province, "ON");
    cr_assert_eq(bstore_wallet_get(app.store, u.customer_id, &w), 0);
    cr_assert_eq(w.balance, 0);
    struct acct_principal p;
    cr_assert_eq(accounts_resolve(tok, T0 + 1, &p), 0);
    cr_assert_str_eq(p.user.user_id, u.user_id);
    cr_assert_eq(p.cred, ACCT_CRED_SESSION);
    cr_assert_eq(accounts_resolve(tok, T0 + ACCT_SESSION_TTL_US, &p), XC_ENOTFOUND); /* 30 days */

    struct acct_register_in in = {.email = "NEW@x.io", .password = "StrongPass123!"};
    struct acct_result r;
    cr_assert_eq(accounts_register(&in, T0, &u, tok, &r), XC_ECONFLICT);
    cr_assert_str_eq(r.msg, "Email already registered");
    in.email = "admin@x.io";
    in.role = "admin";
    cr_assert_eq(accounts_register(&in, T0, &u, tok, &r), XC_EFORBIDDEN);
    cr_assert_eq(acct_outcome_status(r.kind), 403);
    in.role = "provider";
    in.province = "ZZ";
    cr_assert_eq(accounts_register(&in, T0, &u, tok, &r), XC_EINVAL);
    cr_assert_eq(r.kind, ACCT_PROVINCE_INVALID);
    in.province = "qc";
    in.name = "Line\nBreak";
    cr_assert_eq(accounts_register(&in, T0, &u, tok, &r), XC_EINVAL);
    cr_assert_eq(r.kind, ACCT_NAME_INVALID);
    in.name = NULL;
    in.password = "short";
    cr_assert_eq(accounts_register(&in, T0, &u, tok, &r), XC_EINVAL);
    struct acct_user g;
    cr_assert_eq(astore_user_by_email(app.store, "admin@x.io", &g), XC_ENOTFOUND); /* nothing stored */
    in.password = "StrongPass123!";
    cr_assert_eq(accounts_register(&in, T0, &u, tok, &r), 0);
    cr_assert_str_eq(u.province, "QC");
    cr_assert_eq(u.role, ACCT_ROLE_PROVIDER);
}

Test(accounts_svc, login_throttle_and_rehash)
{
    struct acct_user u;
    char tok[ACCT_SESSION_TOKEN_BUF];
    struct acct_result r;
    reg("a@x.io", NULL, &u, tok);
    cr_assert_eq(accounts_login("nobody@x.io", "StrongPass123!", T0, &u, tok, &r), XC_EFORBIDDEN);
    cr_assert_str_eq(r.msg, "Invalid email or password");
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(accounts_login("A@x.io", "wrong-password", T0 + i * S_US, &u, tok, &r), XC_EFORBIDDEN);
        cr_assert_eq(r.kind, ACCT_BAD_CREDENTIALS);
    }
    cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + 20 * S_US, &u, tok, &r), XC_EUNAVAILABLE);
    cr_assert_eq(r.kind, ACCT_THROTTLED);
    cr_assert_eq(acct_outcome_status(r.kind), 429);
    /* The window passes: the first failure is older than 15 min. */
    cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + ACCT_LOGIN_WINDOW_US + 1, &u, tok, &r), 0,
                 "%s", r.msg);
    cr_assert_eq(strlen(tok), 64);

    /* A hash with older parameters is replaced at the next successful login. */
    struct password_params old = {4096, 1, 1};
    char h[PASSWORD_ENCODED_MAX];
    cr_assert_eq(password_hash_with("StrongPass123!", &old, h), 0);
    cr_assert_eq(astore_user_set_password(app.store, u.user_id, h, T0), 0);
    cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + 3600 * S_US, &u, tok, &r), 0);
    struct acct_user g;
    cr_assert_eq(astore_user_get(app.store, u.user_id, &g), 0);
    cr_assert_not(password_needs_rehash(g.password_hash));
    cr_assert(password_verify(g.password_hash, "StrongPass123!"));
}

Test(accounts_svc, sessions_cap_refresh_logout)
{
    struct acct_user u;
    char first[ACCT_SESSION_TOKEN_BUF], tok[ACCT_SESSION_TOKEN_BUF];
    struct acct_result r;
    struct acct_principal p;
    reg("a@x.io", NULL, &u, first);
    /* Lower the password cost so 50 logins stay quick: a hash's parameters travel with it. */
    struct password_params fast = {1024, 1, 1};
    char h[PASSWORD_ENCODED_MAX];
    cr_assert_eq(password_hash_with("StrongPass123!", &fast, h), 0);
    for (int i = 1; i <= ACCT_SESSIONS_MAX; i++) {
        cr_assert_eq(astore_user_set_password(app.store, u.user_id, h, T0), 0);
        cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + i, &u, tok, &r), 0);
    }
    int n;
    cr_assert_eq(astore_sessions_count(app.store, u.user_id, &n), 0);
    cr_assert_eq(n, ACCT_SESSIONS_MAX);
    cr_assert_eq(accounts_resolve(first, T0 + 100, &p), XC_ENOTFOUND); /* the oldest was evicted */
    cr_assert_eq(accounts_resolve(tok, T0 + 100, &p), 0);

    char fresh[ACCT_SESSION_TOKEN_BUF];
    cr_assert_eq(accounts_refresh(&p, T0 + 200, fresh, &r), 0);
    cr_assert_str_neq(fresh, tok);
    cr_assert_eq(accounts_resolve(tok, T0 + 201, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_resolve(fresh, T0 + 201, &p), 0);
    cr_assert_eq(accounts_logout(&p, &r), 0);
    cr_assert_eq(accounts_resolve(fresh, T0 + 202, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_resolve("garbage", T0, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_resolve(NULL, T0, &p), XC_ENOTFOUND);
}

/* True when needle occurs in the database file or its WAL. */
static bool in_db_files(const char *needle)
{
    const char *suffix[] = {"", "-wal"};
    for (int i = 0; i < 2; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        FILE *f = fopen(p, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc((size_t)len + 1);
        size_t got = fread(buf, 1, (size_t)len, f);
        fclose(f);
        bool hit = memmem(buf, got, needle, strlen(needle)) != NULL;
        free(buf);
        if (hit)
            return true;
    }
    return false;
}

Test(accounts_svc, api_keys_hashed_limited_batched)
{
    struct acct_user u;
    char tok[ACCT_SESSION_TOKEN_BUF], key[ACCT_KEY_BUF], key0[ACCT_KEY_BUF];
    struct acct_result r;
    struct acct_key meta, *ks;
    struct acct_principal p;
    size_t n;
    int w;
    reg("a@x.io", NULL, &u, tok);
    cr_assert_eq(accounts_key_create(u.user_id, NULL, T0, key0, &meta, &r), 0);
    cr_assert_eq(strlen(key0), 46);
    cr_assert(accounts_looks_like_key(key0));
    cr_assert_str_eq(meta.name, "default");
    char pv[24];
    accounts_key_preview(key0, pv);
    cr_assert_str_eq(meta.preview, pv);
    cr_assert_str_eq(r.msg, "Save this key \xe2\x80\x94 it will not be shown again.");
    cr_assert_not(in_db_files(key0));
    cr_assert_not(in_db_files(tok));

    cr_assert_eq(accounts_resolve(key0, T0 + S_US, &p), 0);
    cr_assert_eq(p.cred, ACCT_CRED_KEY);
    cr_assert_str_eq(p.user.user_id, u.user_id);
    /* Uses are noted in memory: visible in the list before any write, written once per 60 s. */
    cr_assert_eq(accounts_key_list(u.user_id, &ks, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(ks[0].last_used, T0 + S_US);
    free(ks);
    struct acct_key stored;
    char kh[ACCT_HASH_LEN];
    accounts_secret_hash(key0, kh);
    cr_assert_eq(astore_key_get(app.store, kh, &stored), 0);
    cr_assert_eq(stored.last_used, 0);
    cr_assert_eq(accounts_key_flush(&w), 0);
    cr_assert_eq(w, 1);
    for (int i = 2; i < 50; i++)
        cr_assert_eq(accounts_resolve(key0, T0 + i * S_US, &p), 0);
    cr_assert_eq(accounts_key_flush(&w), 0);
    cr_assert_eq(w, 0);
    cr_assert_eq(accounts_resolve(key0, T0 + 61 * S_US, &p), 0);
    cr_assert_eq(accounts_key_flush(&w), 0);
    cr_assert_eq(w, 1);
    cr_assert_eq(astore_key_get(app.store, kh, &stored), 0);
    cr_assert_eq(stored.last_used, T0 + 61 * S_US);

    for (int i = 1; i < ACCT_KEYS_MAX; i++)
        cr_assert_eq(accounts_key_create(u.user_id, "k", T0 + i, key, &meta, &r), 0);
    cr_assert_eq(accounts_key_create(u.user_id, "k", T0 + 99, key, &meta, &r), XC_ECONFLICT);
    cr_assert_str_eq(r.msg, "API key limit reached (20)");
    cr_assert_eq(accounts_key_create(u.user_id, "bad\nname", T0, key, &meta, &r), XC_EINVAL);

    cr_assert_eq(accounts_key_revoke(u.user_id, pv, &r), 0);
    cr_assert_str_eq(r.msg, "API key revoked");
    cr_assert_eq(accounts_resolve(key0, T0 + 100 * S_US, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_key_revoke(u.user_id, pv, &r), XC_ENOTFOUND);
    cr_assert_str_eq(r.msg, "API key not found");
}

Test(accounts_svc, change_password_keeps_current_session_only)
{
    struct acct_user u;
    char t1[ACCT_SESSION_TOKEN_BUF], t2[ACCT_SESSION_TOKEN_BUF];
    struct acct_result r;
    struct acct_principal p, q;
    reg("a@x.io", NULL, &u, t1);
    cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + 1, &u, t2, &r), 0);
    cr_assert_eq(accounts_resolve(t2, T0 + 2, &p), 0);
    cr_assert_eq(accounts_change_password(&p, "nope-nope", "NewPass456!", T0 + 3, &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "Current password is incorrect");
    cr_assert_eq(accounts_change_password(&p, "StrongPass123!", "short", T0 + 3, &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "New password must be at least 8 characters");
    cr_assert_eq(accounts_change_password(&p, "StrongPass123!", "NewPass456!", T0 + 3, &r), 0);
    cr_assert_str_eq(r.msg, "Password changed successfully");
    cr_assert_eq(accounts_resolve(t2, T0 + 4, &q), 0);
    cr_assert_eq(accounts_resolve(t1, T0 + 4, &q), XC_ENOTFOUND);
    cr_assert_eq(accounts_login("a@x.io", "NewPass456!", T0 + 5, &u, t1, &r), 0);
}

Test(accounts_svc, password_reset_single_use)
{
    struct acct_user u;
    char tok[ACCT_SESSION_TOKEN_BUF], rt[ACCT_TOKEN43_BUF];
    struct acct_result r;
    struct acct_principal p;
    bool issued;
    reg("a@x.io", NULL, &u, tok);
    cr_assert_eq(accounts_reset_request("ghost@x.io", T0, rt, &issued, &r), 0);
    cr_assert_not(issued);
    cr_assert_str_eq(r.msg, "If the email exists, a reset link has been sent.");
    cr_assert_eq(accounts_reset_request(" A@X.io", T0, rt, &issued, &r), 0);
    cr_assert(issued);
    cr_assert_eq(strlen(rt), 43);
    cr_assert_not(in_db_files(rt));
    cr_assert_eq(accounts_reset_confirm(rt, "short", T0, &r), XC_EINVAL); /* policy first */
    cr_assert_str_eq(r.msg, "Password must be at least 8 characters");
    cr_assert_eq(accounts_reset_confirm(rt, "Another789!", T0 + ACCT_RESET_TTL_US, &r), XC_EGONE);
    cr_assert_str_eq(r.msg, "Reset token has expired");
    cr_assert_eq(accounts_reset_confirm(rt, "Another789!", T0 + 10, &r), 0);
    cr_assert_str_eq(r.msg, "Password updated. Please log in again.");
    cr_assert_eq(accounts_resolve(tok, T0 + 11, &p), XC_ENOTFOUND); /* all sessions revoked */
    cr_assert_eq(accounts_reset_confirm(rt, "Yetanother1!", T0 + 12, &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "Invalid or expired reset token");
    cr_assert_eq(accounts_reset_confirm("nonsense", "Yetanother1!", T0 + 12, &r), XC_EINVAL);
    cr_assert_eq(accounts_login("a@x.io", "Another789!", T0 + 13, &u, tok, &r), 0);
}

Test(accounts_svc, device_flow_exactly_once)
{
    struct acct_user u;
    char tok[ACCT_SESSION_TOKEN_BUF], dc[ACCT_TOKEN43_BUF], uc[ACCT_USER_CODE_BUF];
    struct acct_result r;
    struct acct_principal who, p;
    enum acct_device_status st;
    reg("a@x.io", NULL, &u, tok);
    cr_assert_eq(accounts_resolve(tok, T0, &who), 0);
    cr_assert_eq(accounts_device_start(T0, dc, uc, &r), 0);
    cr_assert_eq(strlen(dc), 43);
    cr_assert_eq(strlen(uc), 9);
    cr_assert_eq(accounts_device_token(dc, NULL, T0 + S_US, tok, &st, &r), XC_EUNAVAILABLE);
    cr_assert_eq(st, ACCT_DEVICE_ST_PENDING);
    cr_assert_eq(acct_outcome_status(r.kind), 428);
    cr_assert_eq(accounts_device_token(dc, "password", T0 + S_US, tok, &st, &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "unsupported_grant_type");
    char typed[16];
    snprintf(typed, sizeof typed, "%.4s%s", uc, uc + 5); /* no hyphen */
    for (char *c = typed; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    cr_assert_eq(accounts_device_verify(&who, typed, T0 + 2 * S_US, &r), 0, "%s", r.msg);
    cr_assert_str_eq(r.msg, "Device authorized");
    cr_assert_eq(accounts_device_verify(&who, uc, T0 + 2 * S_US, &r), XC_ENOTFOUND); /* once */
    cr_assert_eq(accounts_device_token(dc, ACCT_DEVICE_GRANT, T0 + 3 * S_US, tok, &st, &r), 0);
    cr_assert_eq(st, ACCT_DEVICE_OK);
    cr_assert_eq(accounts_resolve(tok, T0 + 4 * S_US, &p), 0);
    cr_assert_str_eq(p.user.user_id, u.user_id);
    cr_assert_eq(accounts_device_token(dc, NULL, T0 + 5 * S_US, tok, &st, &r), XC_ENOTFOUND);
    cr_assert_eq(st, ACCT_DEVICE_ST_CONSUMED);
    cr_assert_str_eq(r.msg, "invalid_device_code");

    /* Expiry: the code and the user code both lapse after 600 s. */
    cr_assert_eq(accounts_device_start(T0, dc, uc, &r), 0);
    cr_assert_eq(accounts_device_verify(&who, uc, T0 + ACCT_DEVICE_TTL_US, &r), XC_EGONE);
    cr_assert_str_eq(r.msg, "Code expired");
    cr_assert_eq(accounts_device_token(dc, NULL, T0 + ACCT_DEVICE_TTL_US, tok, &st, &r), XC_EGONE);
    cr_assert_eq(st, ACCT_DEVICE_ST_EXPIRED);
    cr_assert_eq(accounts_device_token("x", NULL, T0, tok, &st, &r), XC_ENOTFOUND);
    cr_assert_eq(st, ACCT_DEVICE_ST_INVALID);
    cr_assert_eq(accounts_device_verify(&who, "BCDF-GHJK", T0, &r), XC_ENOTFOUND);
}

Test(accounts_svc, admin_disable_revokes_and_role_change)
{
    struct acct_user u, out, *list;
    char tok[ACCT_SESSION_TOKEN_BUF], key[ACCT_KEY_BUF], t2[ACCT_SESSION_TOKEN_BUF];
    struct acct_result r;
    struct acct_principal p;
    struct acct_key meta;
    size_t n;
    int64_t total;
    reg("a@x.io", NULL, &u, tok);
    reg("b@x.io", "provider", &out, t2);
    cr_assert_eq(accounts_key_create(u.user_id, NULL, T0, key, &meta, &r), 0);
    bool yes = true, no = false;
    cr_assert_eq(accounts_admin_update("admin", u.user_id, NULL, &yes, T0 + 1, &out, &r), 0);
    cr_assert(out.disabled);
    cr_assert_eq(accounts_resolve(tok, T0 + 2, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_resolve(key, T0 + 2, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + 3, &out, tok, &r), XC_EFORBIDDEN);
    cr_assert_eq(r.kind, ACCT_ACCOUNT_DISABLED);
    cr_assert_eq(accounts_admin_update("admin", u.user_id, "admin", &no, T0 + 4, &out, &r), 0);
    cr_assert_eq(out.role, ACCT_ROLE_ADMIN);
    cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + 5, &out, tok, &r), 0);
    cr_assert_eq(accounts_resolve(key, T0 + 6, &p), XC_ENOTFOUND); /* keys stay revoked */
    cr_assert_eq(accounts_admin_update("admin", "user-none", "admin", NULL, T0, &out, &r), XC_ENOTFOUND);
    cr_assert_str_eq(r.msg, "User not found");
    cr_assert_eq(accounts_admin_update("admin", u.user_id, "root", NULL, T0, &out, &r), XC_EINVAL);
    cr_assert_eq(accounts_admin_list("provider", 0, 0, &list, &n, &total, &r), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(total, 1);
    cr_assert_str_eq(list[0].email, "b@x.io");
    cr_assert_str_eq(list[0].password_hash, "");
    free(list);
}

Test(accounts_svc, profile_update_rules)
{
    struct acct_user u, out;
    char tok[ACCT_SESSION_TOKEN_BUF];
    struct acct_result r;
    reg("a@x.io", NULL, &u, tok);
    struct acct_profile_in in = {.role = "admin"};
    cr_assert_eq(accounts_update_profile(u.user_id, &in, T0, &out, &r), XC_EFORBIDDEN);
    cr_assert_str_eq(r.msg, "Cannot self-assign the admin role");
    in = (struct acct_profile_in){.role = "submitter"};
    cr_assert_eq(accounts_update_profile(u.user_id, &in, T0, &out, &r), 0);
    cr_assert_str_eq(r.msg, "No changes");
    in = (struct acct_profile_in){.role = "provider", .name = "Alice", .province = "bc"};
    cr_assert_eq(accounts_update_profile(u.user_id, &in, T0 + 1, &out, &r), 0);
    cr_assert_str_eq(r.msg, "Profile updated");
    cr_assert_eq(out.role, ACCT_ROLE_PROVIDER);
    cr_assert_str_eq(out.province, "BC");
    struct customer c;
    cr_assert_eq(bstore_customer_get(app.store, u.customer_id, &c), 0);
    cr_assert_str_eq(c.province, "BC");
    cr_assert_str_eq(c.name, "Alice");
}

Test(accounts_svc, delete_revokes_everything_and_frees_email)
{
    struct acct_user u, o;
    char tok[ACCT_SESSION_TOKEN_BUF], key[ACCT_KEY_BUF], t2[ACCT_SESSION_TOKEN_BUF];
    struct acct_result r;
    struct acct_principal p;
    struct acct_key meta;
    struct acct_team t;
    reg("a@x.io", NULL, &u, tok);
    reg("o@x.io", NULL, &o, t2);
    cr_assert_eq(accounts_key_create(u.user_id, NULL, T0, key, &meta, &r), 0);
    cr_assert_eq(accounts_team_create(u.user_id, "Mine", NULL, T0, &t, &r), 0);
    struct acct_team t2t;
    cr_assert_eq(accounts_team_create(o.user_id, "Theirs", NULL, T0, &t2t, &r), 0);
    cr_assert_eq(accounts_team_add(o.user_id, t2t.team_id, "a@x.io", NULL, T0, &r), 0);
    cr_assert_eq(accounts_delete(u.user_id, T0 + 1, &r), 0);
    cr_assert_str_eq(r.msg, "Account deleted");
    cr_assert_eq(accounts_resolve(tok, T0 + 2, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_resolve(key, T0 + 2, &p), XC_ENOTFOUND);
    cr_assert_eq(accounts_login("a@x.io", "StrongPass123!", T0 + 3, &o, tok, &r), XC_EFORBIDDEN);
    struct acct_team g;
    cr_assert_eq(astore_team_get(app.store, t.team_id, &g), XC_ENOTFOUND); /* owned team deleted */
    int c;
    cr_assert_eq(astore_member_count(app.store, t2t.team_id, &c), 0);
    cr_assert_eq(c, 1); /* membership elsewhere removed */
    struct customer cu;
    cr_assert_eq(bstore_customer_get(app.store, u.customer_id, &cu), 0);
    cr_assert_str_eq(cu.name, "[deleted]");
    struct acct_user again;
    reg("a@x.io", NULL, &again, tok);
    cr_assert_str_neq(again.user_id, u.user_id);
    cr_assert_eq(accounts_delete(u.user_id, T0 + 4, &r), XC_EFORBIDDEN); /* already gone */
}

Test(accounts_svc, teams_capacity_and_removal_rules)
{
    struct acct_user own, m[6];
    char tok[ACCT_SESSION_TOKEN_BUF];
    struct acct_result r;
    struct acct_team t, *ts;
    size_t n;
    reg("own@x.io", NULL, &own, tok);
    char email[32];
    for (int i = 0; i < 6; i++) {
        snprintf(email, sizeof email, "m%d@x.io", i);
        reg(email, NULL, &m[i], tok);
    }
    cr_assert_eq(accounts_team_create(own.user_id, "", NULL, T0, &t, &r), XC_EINVAL);
    cr_assert_eq(accounts_team_create(own.user_id, "T", "gold", T0, &t, &r), XC_EINVAL);
    cr_assert_eq(accounts_team_create(own.user_id, "T", NULL, T0, &t, &r), 0);
    cr_assert_eq(t.max_members, 5);
    cr_assert(strncmp(t.team_id, "team-", 5) == 0);
    cr_assert_eq(accounts_team_add(own.user_id, t.team_id, "ghost@x.io", NULL, T0, &r), XC_ENOTFOUND);
    cr_assert_str_eq(r.msg, "User ghost@x.io not found");
    cr_assert_eq(accounts_team_add(own.user_id, t.team_id, "M0@x.io", "admin", T0, &r), 0);
    cr_assert_str_eq(r.msg, "m0@x.io added to team as admin");
    cr_assert_eq(accounts_team_add(own.user_id, t.team_id, "m0@x.io", NULL, T0, &r), XC_ECONFLICT);
    for (int i = 1; i < 4; i++) {
        snprintf(email, sizeof email, "m%d@x.io", i);
        cr_assert_eq(accounts_team_add(own.user_id, t.team_id, email, NULL, T0 + i, &r), 0, "%s", r.msg);
    }
    /* owner + 4 = 5: full (the owner counts). */
    cr_assert_eq(accounts_team_add(own.user_id, t.team_id, "m4@x.io", NULL, T0, &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "Team is at member capacity");
    /* a plain member may not add; an outsider neither */
    cr_assert_eq(accounts_team_add(m[1].user_id, t.team_id, "m4@x.io", NULL, T0, &r), XC_EFORBIDDEN);
    cr_assert_str_eq(r.msg, "Only team admins can add members");
    cr_assert_eq(accounts_team_add(m[5].user_id, "team-none", "m4@x.io", NULL, T0, &r), XC_ENOTFOUND);

    struct acct_member *ms;
    bool vadmin;
    cr_assert_eq(accounts_team_get(m[5].user_id, t.team_id, &t, &ms, &n, &vadmin, &r), XC_EFORBIDDEN);
    cr_assert_str_eq(r.msg, "Not a member of this team");
    cr_assert_eq(accounts_team_get(m[1].user_id, t.team_id, &t, &ms, &n, &vadmin, &r), 0);
    cr_assert_eq(n, 5);
    cr_assert_not(vadmin);
    free(ms);

    cr_assert_eq(accounts_team_remove(m[1].user_id, t.team_id, "m2@x.io", &r), XC_EFORBIDDEN);
    cr_assert_str_eq(r.msg, "Only admins can remove other members");
    cr_assert_eq(accounts_team_remove(m[1].user_id, t.team_id, "m1@x.io", &r), 0); /* self */
    cr_assert_str_eq(r.msg, "m1@x.io removed from team");
    cr_assert_eq(accounts_team_remove(m[0].user_id, t.team_id, "own@x.io", &r), XC_EINVAL);
    cr_assert_str_eq(r.msg, "Cannot remove team owner");
    cr_assert_eq(accounts_team_remove(m[0].user_id, t.team_id, "m2@x.io", &r), 0); /* team admin */
    cr_assert_eq(accounts_team_remove(m[5].user_id, t.team_id, "m3@x.io", &r), XC_EFORBIDDEN);

    cr_assert_eq(accounts_teams_mine(m[3].user_id, &ts, &n), 0);
    cr_assert_eq(n, 1);
    free(ts);
    cr_assert_eq(accounts_team_delete(m[0].user_id, t.team_id, &r), XC_EFORBIDDEN);
    cr_assert_str_eq(r.msg, "Only the team owner can delete this team");
    cr_assert_eq(accounts_team_delete(own.user_id, t.team_id, &r), 0);
    cr_assert_eq(accounts_team_delete(own.user_id, t.team_id, &r), XC_ENOTFOUND);
    struct acct_user g;
    cr_assert_eq(astore_user_get(app.store, m[3].user_id, &g), 0);
    cr_assert_str_eq(g.team_id, "");
}

Test(accounts_svc, sweep_purges_expired)
{
    struct acct_user u;
    char tok[ACCT_SESSION_TOKEN_BUF];
    reg("a@x.io", NULL, &u, tok);
    cr_assert_eq(accounts_sweep(T0 + ACCT_SESSION_TTL_US), 0);
    int n;
    cr_assert_eq(astore_sessions_count(app.store, u.user_id, &n), 0);
    cr_assert_eq(n, 0);
}
