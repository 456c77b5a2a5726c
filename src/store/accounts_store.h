#ifndef XC_ACCOUNTS_STORE_H
#define XC_ACCOUNTS_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"

/* Accounts persistence (migration 0004_accounts.sql): users, sessions, API keys, password
 * resets, device codes, login failures, teams and team members. Time is µs since the epoch.
 * Secrets arrive here only as their lowercase hex SHA-256 (65-byte strings); this layer never
 * sees a raw token or password. Every function returns 0 or a negative XC_E* code
 * (XC_ENOTFOUND for a missing row, XC_ECONFLICT for a uniqueness clash) and holds the store lock
 * for its duration; callers that need several to be atomic wrap them in a transaction. */

/* ---- roles (api §2.3, domain §24) ---- */

#define ACCT_ROLES(X)                                                                              \
    X(ACCT_ROLE_SUBMITTER, "submitter")                                                            \
    X(ACCT_ROLE_PROVIDER, "provider")                                                              \
    X(ACCT_ROLE_ADMIN, "admin")

enum acct_role {
#define ACCT_ROLE_ENUM(e, s) e,
    ACCT_ROLES(ACCT_ROLE_ENUM)
#undef ACCT_ROLE_ENUM
        ACCT_ROLE__COUNT
};

/* Wire name of a role ("submitter" for an out-of-range value). */
static inline const char *acct_role_name(enum acct_role r)
{
    static const char *const names[] = {
#define ACCT_ROLE_NAME(e, s) s,
        ACCT_ROLES(ACCT_ROLE_NAME)
#undef ACCT_ROLE_NAME
    };
    return (unsigned)r < ACCT_ROLE__COUNT ? names[r] : names[0];
}

/* Parses a wire name exactly; false when unknown. */
static inline bool acct_role_parse(const char *s, enum acct_role *out)
{
    for (int i = 0; s && i < ACCT_ROLE__COUNT; i++) {
        if (strcmp(s, acct_role_name((enum acct_role)i)) == 0) {
            *out = (enum acct_role)i;
            return true;
        }
    }
    return false;
}

/* ---- sizes ---- */

#define ACCT_ID_LEN 40      /* "user-"/"cust-"/"team-"/"prov-" + 32 hex + NUL, with room */
#define ACCT_EMAIL_MAX 254  /* bytes, after normalisation */
#define ACCT_NAME_MAX 100   /* characters */
#define ACCT_HASH_LEN 65    /* SHA-256 hex + NUL */

/* ---- users ---- */

struct acct_user {
    char user_id[ACCT_ID_LEN];
    char email[ACCT_EMAIL_MAX + 1];
    char name[4 * ACCT_NAME_MAX + 1]; /* UTF-8 */
    enum acct_role role;
    char country[8];
    char province[8];
    char customer_id[ACCT_ID_LEN];
    char provider_id[ACCT_ID_LEN]; /* "" = none */
    char team_id[ACCT_ID_LEN];     /* "" = none */
    char password_hash[160];
    bool disabled;
    int64_t created_at, updated_at;
    int64_t deleted_at; /* 0 = live */
};

/* Inserts a user; XC_ECONFLICT when the e-mail (or an id) is taken. */
int astore_user_insert(struct store *s, const struct acct_user *u);
int astore_user_get(struct store *s, const char *user_id, struct acct_user *out);
/* The live (not deleted) user with this normalised e-mail. */
int astore_user_by_email(struct store *s, const char *email, struct acct_user *out);
int astore_user_by_customer(struct store *s, const char *customer_id, struct acct_user *out);
int astore_user_by_provider(struct store *s, const char *provider_id, struct acct_user *out);
/* Writes the mutable profile columns (name, role, country, province, provider_id, team_id,
 * disabled, updated_at) of u->user_id; XC_ENOTFOUND when no such user. */
int astore_user_update(struct store *s, const struct acct_user *u);
int astore_user_set_password(struct store *s, const char *user_id, const char *password_hash, int64_t now);
/* Replaces e-mail, name and password hash with placeholders, clears provider/team links,
 * disables the account and sets deleted_at (domain §21.6). */
int astore_user_anonymise(struct store *s, const char *user_id, int64_t now);
/* Live users by created_at, user_id; role NULL = any. *total counts the whole filter set.
 * Caller frees *out. */
int astore_user_list(struct store *s, const enum acct_role *role, int limit, int offset, struct acct_user **out,
                     size_t *n, int64_t *total);

/* ---- sessions ---- */

struct acct_session {
    char token_hash[ACCT_HASH_LEN];
    char user_id[ACCT_ID_LEN];
    int64_t created_at, expires_at;
};
int astore_session_insert(struct store *s, const struct acct_session *x);
int astore_session_get(struct store *s, const char *token_hash, struct acct_session *out);
/* The session (unexpired at now) and its live, enabled user in one read: the hot path of
 * credential resolution. XC_ENOTFOUND otherwise. */
int astore_session_user(struct store *s, const char *token_hash, int64_t now, struct acct_session *sess,
                        struct acct_user *user);
int astore_session_delete(struct store *s, const char *token_hash, bool *deleted);
/* Deletes every session of the user except keep_hash (NULL = all); *n = how many. */
int astore_sessions_delete_user(struct store *s, const char *user_id, const char *keep_hash, int *n);
/* Keeps the user's `keep` newest sessions, deleting the older ones; *n = how many went. */
int astore_sessions_trim(struct store *s, const char *user_id, int keep, int *n);
int astore_sessions_count(struct store *s, const char *user_id, int *n);
int astore_sessions_purge_expired(struct store *s, int64_t now, int *n);

/* ---- API keys ---- */

struct acct_key {
    char key_hash[ACCT_HASH_LEN];
    char user_id[ACCT_ID_LEN];
    char name[4 * 64 + 1];
    char preview[24];
    int64_t created_at;
    int64_t last_used; /* 0 = never */
};
int astore_key_insert(struct store *s, const struct acct_key *k);
int astore_key_get(struct store *s, const char *key_hash, struct acct_key *out);
/* The key and its live, enabled user in one read (credential resolution). */
int astore_key_user(struct store *s, const char *key_hash, struct acct_key *key, struct acct_user *user);
int astore_key_count(struct store *s, const char *user_id, int *n);
/* The user's keys by created_at ascending. Caller frees *out. */
int astore_key_list(struct store *s, const char *user_id, struct acct_key **out, size_t *n);
/* Deletes the user's keys with this preview; *n = how many (0 when none matched). */
int astore_key_delete_preview(struct store *s, const char *user_id, const char *preview, int *n);
int astore_keys_delete_user(struct store *s, const char *user_id, int *n);
/* Raises last_used to at (never lowers it). */
int astore_key_touch(struct store *s, const char *key_hash, int64_t at);

/* ---- password resets ---- */

struct acct_reset {
    char token_hash[ACCT_HASH_LEN];
    char user_id[ACCT_ID_LEN];
    int64_t created_at, expires_at;
    bool used;
};
int astore_reset_insert(struct store *s, const struct acct_reset *r);
int astore_reset_get(struct store *s, const char *token_hash, struct acct_reset *out);
/* Marks the token used; *claimed is true only for the call that flipped it (single use). */
int astore_reset_claim(struct store *s, const char *token_hash, bool *claimed);
int astore_resets_delete_user(struct store *s, const char *user_id);
int astore_resets_purge(struct store *s, int64_t before, int *n);

/* ---- device codes (RFC 8628) ---- */

struct acct_device {
    char device_code_hash[ACCT_HASH_LEN];
    char user_code[9]; /* 8 chars, no hyphen */
    int64_t created_at, expires_at;
    char approved_by[ACCT_ID_LEN]; /* "" = not yet */
    int64_t approved_at;
    bool consumed;
};
/* XC_ECONFLICT when the user code (or hash) is taken: draw another. */
int astore_device_insert(struct store *s, const struct acct_device *d);
int astore_device_get(struct store *s, const char *device_code_hash, struct acct_device *out);
int astore_device_by_user_code(struct store *s, const char *user_code, struct acct_device *out);
/* Records the approval unless already approved or consumed; *changed tells which. */
int astore_device_approve(struct store *s, const char *device_code_hash, const char *user_id, int64_t at,
                          bool *changed);
/* Consumes an approved, unconsumed code; *claimed is true only for the call that did (once). */
int astore_device_consume(struct store *s, const char *device_code_hash, bool *claimed);
/* Deletes the unconsumed codes the user approved (account deletion, disable). */
int astore_devices_delete_user(struct store *s, const char *user_id);
int astore_devices_purge(struct store *s, int64_t before, int *n);

/* ---- login failures ---- */

int astore_login_failure_add(struct store *s, const char *email, int64_t at);
/* Failures for the e-mail at or after since. */
int astore_login_failures_count(struct store *s, const char *email, int64_t since, int *n);
int astore_login_failures_clear(struct store *s, const char *email);
int astore_login_failures_purge(struct store *s, int64_t before, int *n);

/* ---- teams ---- */

#define ACCT_TEAM_PLANS(X)                                                                         \
    X(ACCT_PLAN_FREE, "free", 5)                                                                   \
    X(ACCT_PLAN_PRO, "pro", 25)                                                                    \
    X(ACCT_PLAN_ENTERPRISE, "enterprise", 100)

enum acct_plan {
#define ACCT_PLAN_ENUM(e, s, n) e,
    ACCT_TEAM_PLANS(ACCT_PLAN_ENUM)
#undef ACCT_PLAN_ENUM
        ACCT_PLAN__COUNT
};

static inline const char *acct_plan_name(enum acct_plan p)
{
    static const char *const names[] = {
#define ACCT_PLAN_NAME(e, s, n) s,
        ACCT_TEAM_PLANS(ACCT_PLAN_NAME)
#undef ACCT_PLAN_NAME
    };
    return (unsigned)p < ACCT_PLAN__COUNT ? names[p] : names[0];
}

/* Member capacity of a plan (the owner counts). */
static inline int acct_plan_capacity(enum acct_plan p)
{
    static const int cap[] = {
#define ACCT_PLAN_CAP(e, s, n) n,
        ACCT_TEAM_PLANS(ACCT_PLAN_CAP)
#undef ACCT_PLAN_CAP
    };
    return (unsigned)p < ACCT_PLAN__COUNT ? cap[p] : cap[0];
}

static inline bool acct_plan_parse(const char *s, enum acct_plan *out)
{
    for (int i = 0; s && i < ACCT_PLAN__COUNT; i++) {
        if (strcmp(s, acct_plan_name((enum acct_plan)i)) == 0) {
            *out = (enum acct_plan)i;
            return true;
        }
    }
    return false;
}

struct acct_team {
    char team_id[ACCT_ID_LEN];
    char name[4 * ACCT_NAME_MAX + 1];
    char owner_user_id[ACCT_ID_LEN];
    enum acct_plan plan;
    int max_members;
    int64_t created_at;
    bool member_is_admin; /* astore_teams_of_user: the user's role in this team */
};

struct acct_member {
    char team_id[ACCT_ID_LEN];
    char user_id[ACCT_ID_LEN];
    bool is_admin; /* role admin (else member) */
    int64_t joined_at;
    char name[4 * ACCT_NAME_MAX + 1]; /* from users (lists only) */
    char email[ACCT_EMAIL_MAX + 1];   /* from users (lists only) */
};

int astore_team_insert(struct store *s, const struct acct_team *t);
int astore_team_get(struct store *s, const char *team_id, struct acct_team *out);
/* Deletes the team and its memberships and clears users.team_id where it names the team. */
int astore_team_delete(struct store *s, const char *team_id);
/* Teams the user belongs to, by joined_at (member_is_admin set). Caller frees *out. */
int astore_teams_of_user(struct store *s, const char *user_id, struct acct_team **out, size_t *n);
/* Ids of the teams the user owns. Caller frees *out. */
int astore_teams_owned(struct store *s, const char *user_id, struct acct_team **out, size_t *n);

/* XC_ECONFLICT when already a member. */
int astore_member_insert(struct store *s, const struct acct_member *m);
int astore_member_get(struct store *s, const char *team_id, const char *user_id, struct acct_member *out);
int astore_member_delete(struct store *s, const char *team_id, const char *user_id, bool *deleted);
int astore_member_count(struct store *s, const char *team_id, int *n);
/* Members by joined_at with their name and e-mail. Caller frees *out. */
int astore_member_list(struct store *s, const char *team_id, struct acct_member **out, size_t *n);
/* Removes every membership of the user (account deletion). */
int astore_members_delete_user(struct store *s, const char *user_id);

#endif
