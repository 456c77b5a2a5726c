/* Accounts persistence (store/sqlite_accounts.c, migration 0004): uniqueness, the joined
 * credential reads, single-use claims, session eviction, teams. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "store/accounts_store.h"
#include "store/store.h"

#include "store_fixture.h"

TestSuite(accounts_store, .init = setup, .fini = teardown);

static void mk_user(struct acct_user *u, const char *id, const char *email, enum acct_role role, int64_t at)
{
    memset(u, 0, sizeof *u);
    snprintf(u->user_id, sizeof u->user_id, "user-%s", id);
    snprintf(u->customer_id, sizeof u->customer_id, "cust-%s", id);
    snprintf(u->email, sizeof u->email, "%s", email);
    snprintf(u->name, sizeof u->name, "%s", id);
    u->role = role;
    snprintf(u->country, sizeof u->country, "CA");
    snprintf(u->province, sizeof u->province, "ON");
    snprintf(u->password_hash, sizeof u->password_hash, "$argon2id$x");
    u->created_at = u->updated_at = at;
}

static void add_user(const char *id, const char *email, enum acct_role role, int64_t at)
{
    struct acct_user u;
    mk_user(&u, id, email, role, at);
    cr_assert_eq(astore_user_insert(st, &u), 0);
}

Test(accounts_store, users_unique_email_and_lookups)
{
    struct acct_user u, g;
    add_user("a", "a@x.io", ACCT_ROLE_SUBMITTER, 1);
    mk_user(&u, "b", "a@x.io", ACCT_ROLE_PROVIDER, 2);
    cr_assert_eq(astore_user_insert(st, &u), XC_ECONFLICT);
    cr_assert_eq(astore_user_by_email(st, "a@x.io", &g), 0);
    cr_assert_str_eq(g.user_id, "user-a");
    cr_assert_eq(g.role, ACCT_ROLE_SUBMITTER);
    cr_assert_str_eq(g.provider_id, "");
    cr_assert_eq(astore_user_by_customer(st, "cust-a", &g), 0);
    cr_assert_eq(astore_user_by_email(st, "b@x.io", &g), XC_ENOTFOUND);
    /* SQL metacharacters are data, never SQL. */
    add_user("q", "o'brien\";--@x.io", ACCT_ROLE_SUBMITTER, 3);
    cr_assert_eq(astore_user_by_email(st, "o'brien\";--@x.io", &g), 0);
    cr_assert_str_eq(g.user_id, "user-q");

    g.role = ACCT_ROLE_ADMIN;
    snprintf(g.provider_id, sizeof g.provider_id, "prov-1");
    snprintf(g.name, sizeof g.name, "Q");
    g.updated_at = 9;
    cr_assert_eq(astore_user_update(st, &g), 0);
    cr_assert_eq(astore_user_by_provider(st, "prov-1", &g), 0);
    cr_assert_eq(g.role, ACCT_ROLE_ADMIN);
    cr_assert_str_eq(g.name, "Q");
    snprintf(g.user_id, sizeof g.user_id, "user-none");
    cr_assert_eq(astore_user_update(st, &g), XC_ENOTFOUND);
    cr_assert_eq(astore_user_set_password(st, "user-a", "$argon2id$new", 10), 0);
    cr_assert_eq(astore_user_get(st, "user-a", &g), 0);
    cr_assert_str_eq(g.password_hash, "$argon2id$new");
}

Test(accounts_store, anonymise_frees_the_email)
{
    struct acct_user g;
    add_user("a", "a@x.io", ACCT_ROLE_SUBMITTER, 1);
    cr_assert_eq(astore_user_anonymise(st, "user-a", 50), 0);
    cr_assert_eq(astore_user_anonymise(st, "user-a", 51), XC_ENOTFOUND);
    cr_assert_eq(astore_user_by_email(st, "a@x.io", &g), XC_ENOTFOUND);
    cr_assert_eq(astore_user_get(st, "user-a", &g), 0);
    cr_assert_str_eq(g.name, "[deleted]");
    cr_assert_str_eq(g.password_hash, "");
    cr_assert(g.disabled);
    cr_assert_eq(g.deleted_at, 50);
    cr_assert(strstr(g.email, "a@x.io") == NULL);
    cr_assert_str_eq(g.customer_id, "cust-a"); /* billing stays keyed by it */
    add_user("a2", "a@x.io", ACCT_ROLE_SUBMITTER, 60);
}

Test(accounts_store, user_list_paged_by_role)
{
    add_user("1", "1@x.io", ACCT_ROLE_SUBMITTER, 1);
    add_user("2", "2@x.io", ACCT_ROLE_PROVIDER, 2);
    add_user("3", "3@x.io", ACCT_ROLE_SUBMITTER, 3);
    add_user("4", "4@x.io", ACCT_ROLE_SUBMITTER, 4);
    cr_assert_eq(astore_user_anonymise(st, "user-4", 5), 0);
    struct acct_user *u;
    size_t n;
    int64_t total;
    cr_assert_eq(astore_user_list(st, NULL, 0, 0, &u, &n, &total), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(total, 3);
    free(u);
    enum acct_role r = ACCT_ROLE_SUBMITTER;
    cr_assert_eq(astore_user_list(st, &r, 1, 1, &u, &n, &total), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(total, 2);
    cr_assert_str_eq(u[0].user_id, "user-3");
    free(u);
}

static void add_session(const char *hash, const char *user, int64_t created, int64_t expires)
{
    struct acct_session x = {0};
    snprintf(x.token_hash, sizeof x.token_hash, "%s", hash);
    snprintf(x.user_id, sizeof x.user_id, "%s", user);
    x.created_at = created;
    x.expires_at = expires;
    cr_assert_eq(astore_session_insert(st, &x), 0);
}

Test(accounts_store, sessions_resolve_trim_and_revoke)
{
    struct acct_session x;
    struct acct_user u;
    int n;
    bool del;
    add_user("a", "a@x.io", ACCT_ROLE_PROVIDER, 1);
    add_session("h1", "user-a", 10, 100);
    add_session("h2", "user-a", 20, 200);
    add_session("h3", "user-a", 30, 300);
    cr_assert_eq(astore_session_user(st, "h1", 50, &x, &u), 0);
    cr_assert_str_eq(u.user_id, "user-a");
    cr_assert_eq(u.role, ACCT_ROLE_PROVIDER);
    cr_assert_eq(x.expires_at, 100);
    cr_assert_eq(astore_session_user(st, "h1", 100, &x, &u), XC_ENOTFOUND); /* expired */
    cr_assert_eq(astore_session_user(st, "nope", 50, &x, &u), XC_ENOTFOUND);

    /* Disabled users resolve to nothing. */
    cr_assert_eq(astore_user_get(st, "user-a", &u), 0);
    u.disabled = true;
    cr_assert_eq(astore_user_update(st, &u), 0);
    cr_assert_eq(astore_session_user(st, "h2", 50, &x, &u), XC_ENOTFOUND);
    u.disabled = false;
    cr_assert_eq(astore_user_update(st, &u), 0);

    cr_assert_eq(astore_sessions_trim(st, "user-a", 2, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(astore_session_get(st, "h1", &x), XC_ENOTFOUND); /* the oldest went */
    cr_assert_eq(astore_sessions_count(st, "user-a", &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(astore_sessions_delete_user(st, "user-a", "h3", &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(astore_session_get(st, "h3", &x), 0);
    cr_assert_eq(astore_session_delete(st, "h3", &del), 0);
    cr_assert(del);
    cr_assert_eq(astore_session_delete(st, "h3", &del), 0);
    cr_assert_not(del);
    add_session("h4", "user-a", 10, 100);
    cr_assert_eq(astore_sessions_purge_expired(st, 100, &n), 0);
    cr_assert_eq(n, 1);
}

static void add_key(const char *hash, const char *user, const char *preview, int64_t at)
{
    struct acct_key k = {0};
    snprintf(k.key_hash, sizeof k.key_hash, "%s", hash);
    snprintf(k.user_id, sizeof k.user_id, "%s", user);
    snprintf(k.name, sizeof k.name, "n-%s", hash);
    snprintf(k.preview, sizeof k.preview, "%s", preview);
    k.created_at = at;
    cr_assert_eq(astore_key_insert(st, &k), 0);
}

Test(accounts_store, api_keys)
{
    struct acct_key k, *ks;
    struct acct_user u;
    size_t nk;
    int n;
    add_user("a", "a@x.io", ACCT_ROLE_SUBMITTER, 1);
    add_user("b", "b@x.io", ACCT_ROLE_SUBMITTER, 1);
    add_key("k2", "user-a", "xc-AAAAAAAAA...zzzz", 20);
    add_key("k1", "user-a", "xc-BBBBBBBBB...yyyy", 10);
    add_key("k3", "user-b", "xc-AAAAAAAAA...zzzz", 30);
    cr_assert_eq(astore_key_count(st, "user-a", &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(astore_key_list(st, "user-a", &ks, &nk), 0);
    cr_assert_eq(nk, 2);
    cr_assert_str_eq(ks[0].key_hash, "k1"); /* by created_at */
    cr_assert_eq(ks[0].last_used, 0);
    free(ks);
    cr_assert_eq(astore_key_user(st, "k3", &k, &u), 0);
    cr_assert_str_eq(u.user_id, "user-b");
    cr_assert_eq(astore_key_touch(st, "k1", 500), 0);
    cr_assert_eq(astore_key_touch(st, "k1", 400), 0); /* never lowers */
    cr_assert_eq(astore_key_get(st, "k1", &k), 0);
    cr_assert_eq(k.last_used, 500);
    /* Revocation by preview searches only the caller's keys. */
    cr_assert_eq(astore_key_delete_preview(st, "user-a", "xc-AAAAAAAAA...zzzz", &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(astore_key_get(st, "k3", &k), 0);
    cr_assert_eq(astore_key_delete_preview(st, "user-a", "xc-nothing", &n), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(astore_keys_delete_user(st, "user-a", &n), 0);
    cr_assert_eq(n, 1);
}

Test(accounts_store, reset_tokens_single_use)
{
    struct acct_reset r = {0}, g;
    bool claimed;
    snprintf(r.token_hash, sizeof r.token_hash, "r1");
    snprintf(r.user_id, sizeof r.user_id, "user-a");
    r.created_at = 1;
    r.expires_at = 100;
    cr_assert_eq(astore_reset_insert(st, &r), 0);
    cr_assert_eq(astore_reset_get(st, "r1", &g), 0);
    cr_assert_not(g.used);
    cr_assert_eq(astore_reset_claim(st, "r1", &claimed), 0);
    cr_assert(claimed);
    cr_assert_eq(astore_reset_claim(st, "r1", &claimed), 0);
    cr_assert_not(claimed);
    cr_assert_eq(astore_reset_get(st, "r1", &g), 0);
    cr_assert(g.used);
    int n;
    cr_assert_eq(astore_resets_purge(st, 101, &n), 0);
    cr_assert_eq(n, 1);
}

Test(accounts_store, device_codes_approve_and_consume_once)
{
    struct acct_device d = {0}, g;
    bool ok;
    snprintf(d.device_code_hash, sizeof d.device_code_hash, "d1");
    snprintf(d.user_code, sizeof d.user_code, "BCDFGHJK");
    d.created_at = 1;
    d.expires_at = 600;
    cr_assert_eq(astore_device_insert(st, &d), 0);
    snprintf(d.device_code_hash, sizeof d.device_code_hash, "d2");
    cr_assert_eq(astore_device_insert(st, &d), XC_ECONFLICT); /* same user code */
    cr_assert_eq(astore_device_consume(st, "d1", &ok), 0);
    cr_assert_not(ok); /* not approved yet */
    cr_assert_eq(astore_device_by_user_code(st, "BCDFGHJK", &g), 0);
    cr_assert_str_eq(g.approved_by, "");
    cr_assert_eq(astore_device_approve(st, "d1", "user-a", 5, &ok), 0);
    cr_assert(ok);
    cr_assert_eq(astore_device_approve(st, "d1", "user-b", 6, &ok), 0);
    cr_assert_not(ok);
    cr_assert_eq(astore_device_get(st, "d1", &g), 0);
    cr_assert_str_eq(g.approved_by, "user-a");
    cr_assert_eq(astore_device_consume(st, "d1", &ok), 0);
    cr_assert(ok);
    cr_assert_eq(astore_device_consume(st, "d1", &ok), 0);
    cr_assert_not(ok);
}

Test(accounts_store, login_failures_window)
{
    int n;
    for (int i = 0; i < 5; i++)
        cr_assert_eq(astore_login_failure_add(st, "a@x.io", 100 + i), 0);
    cr_assert_eq(astore_login_failure_add(st, "b@x.io", 100), 0);
    cr_assert_eq(astore_login_failures_count(st, "a@x.io", 102, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(astore_login_failures_purge(st, 103, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(astore_login_failures_clear(st, "a@x.io"), 0);
    cr_assert_eq(astore_login_failures_count(st, "a@x.io", 0, &n), 0);
    cr_assert_eq(n, 0);
}

Test(accounts_store, teams_and_members)
{
    struct acct_team t = {0}, *ts;
    struct acct_member m = {0}, *ms;
    struct acct_user u;
    size_t n;
    int c;
    bool del;
    add_user("o", "o@x.io", ACCT_ROLE_SUBMITTER, 1);
    add_user("m", "m@x.io", ACCT_ROLE_SUBMITTER, 1);
    snprintf(t.team_id, sizeof t.team_id, "team-1");
    snprintf(t.name, sizeof t.name, "T");
    snprintf(t.owner_user_id, sizeof t.owner_user_id, "user-o");
    t.plan = ACCT_PLAN_PRO;
    t.max_members = acct_plan_capacity(t.plan);
    t.created_at = 5;
    cr_assert_eq(astore_team_insert(st, &t), 0);
    cr_assert_eq(astore_team_get(st, "team-1", &t), 0);
    cr_assert_eq(t.plan, ACCT_PLAN_PRO);
    cr_assert_eq(t.max_members, 25);

    snprintf(m.team_id, sizeof m.team_id, "team-1");
    snprintf(m.user_id, sizeof m.user_id, "user-o");
    m.is_admin = true;
    m.joined_at = 5;
    cr_assert_eq(astore_member_insert(st, &m), 0);
    cr_assert_eq(astore_member_insert(st, &m), XC_ECONFLICT);
    snprintf(m.user_id, sizeof m.user_id, "user-m");
    m.is_admin = false;
    m.joined_at = 6;
    cr_assert_eq(astore_member_insert(st, &m), 0);
    cr_assert_eq(astore_user_get(st, "user-m", &u), 0);
    cr_assert_str_eq(u.team_id, "team-1");
    cr_assert_eq(astore_member_count(st, "team-1", &c), 0);
    cr_assert_eq(c, 2);
    cr_assert_eq(astore_member_list(st, "team-1", &ms, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ms[0].user_id, "user-o");
    cr_assert(ms[0].is_admin);
    cr_assert_str_eq(ms[1].email, "m@x.io");
    free(ms);
    cr_assert_eq(astore_teams_of_user(st, "user-m", &ts, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_not(ts[0].member_is_admin);
    free(ts);
    cr_assert_eq(astore_teams_owned(st, "user-o", &ts, &n), 0);
    cr_assert_eq(n, 1);
    free(ts);

    cr_assert_eq(astore_member_delete(st, "team-1", "user-m", &del), 0);
    cr_assert(del);
    cr_assert_eq(astore_user_get(st, "user-m", &u), 0);
    cr_assert_str_eq(u.team_id, "");
    cr_assert_eq(astore_member_insert(st, &m), 0);
    cr_assert_eq(astore_team_delete(st, "team-1"), 0);
    cr_assert_eq(astore_team_get(st, "team-1", &t), XC_ENOTFOUND);
    cr_assert_eq(astore_user_get(st, "user-m", &u), 0);
    cr_assert_str_eq(u.team_id, "");
    cr_assert_eq(astore_member_count(st, "team-1", &c), 0);
    cr_assert_eq(c, 0);
    cr_assert_eq(astore_team_delete(st, "team-1"), XC_ENOTFOUND);
}
