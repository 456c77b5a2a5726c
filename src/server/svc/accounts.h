#ifndef XC_ACCOUNTS_H
#define XC_ACCOUNTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"
#include "store/accounts_store.h"

/* The accounts service (api §2.2, §8.15, §8.16; domain §24, §21.6): registration, login with
 * throttling, sessions, API keys, credential resolution, password change and reset, the device
 * flow, admin user management, account deletion and teams. Independent of HTTP: the api layer
 * parses and validates the declared input, calls one function here, and renders the outcome.
 *
 * Conventions
 *  - `now` is the server's clock in µs (app_now(); the test clock applies).
 *  - Every function that writes runs its own server transaction (tx_begin … tx_commit) and must
 *    be called outside any open one. Password hashing (Argon2id, ~30 ms) always happens before
 *    the transaction, never while the writer lock is held.
 *  - Return value: 0 on success, else the XC_E* code of the outcome (errors.h). *res, when not
 *    NULL, always receives the outcome kind and its message (parameters filled in), also on
 *    success ("Profile updated", "<email> added to team as member"). The api layer renders
 *    res->msg with the status acct_outcome_status(res->kind) — the table below is the one place
 *    where these messages and statuses exist.
 *  - Raw secrets (session tokens, API keys, reset tokens, device codes) are returned once into
 *    caller buffers and stored only as SHA-256 hex; users returned to callers never carry the
 *    password hash (it is cleared). */

/* Outcomes: X(kind, XC_E* return code, status the api layer answers with, message format). */
#define ACCT_OUTCOMES(X)                                                                                     \
    X(ACCT_OK, 0, 200, "ok")                                                                                 \
    X(ACCT_INTERNAL, XC_EDB, 500, "Internal server error")                                                   \
    X(ACCT_EMAIL_INVALID, XC_EINVAL, 400, "Invalid email address")                                           \
    X(ACCT_EMAIL_NOT_ASCII, XC_EINVAL, 400, "Invalid email address: only ASCII addresses are accepted")      \
    X(ACCT_PASSWORD_SHORT, XC_EINVAL, 400, "Password must be at least 8 characters")                         \
    X(ACCT_PASSWORD_LONG, XC_EINVAL, 400, "Password must be at most 256 characters")                         \
    X(ACCT_NEW_PASSWORD_SHORT, XC_EINVAL, 400, "New password must be at least 8 characters")                 \
    X(ACCT_NEW_PASSWORD_LONG, XC_EINVAL, 400, "New password must be at most 256 characters")                 \
    X(ACCT_NAME_INVALID, XC_EINVAL, 400, "Name must be 1 to 100 characters without control characters")      \
    X(ACCT_ROLE_INVALID, XC_EINVAL, 400, "Role must be submitter or provider")                               \
    X(ACCT_ADMIN_ROLE_INVALID, XC_EINVAL, 400, "Role must be submitter, provider or admin")                  \
    X(ACCT_COUNTRY_INVALID, XC_EINVAL, 400, "Country must be a two-letter code")                             \
    X(ACCT_PROVINCE_INVALID, XC_EINVAL, 400, "Invalid province")                                             \
    X(ACCT_ADMIN_SELF_ASSIGN, XC_EFORBIDDEN, 403, "Cannot self-assign the admin role")                       \
    X(ACCT_EMAIL_TAKEN, XC_ECONFLICT, 409, "Email already registered")                                       \
    X(ACCT_REGISTERED, 0, 200, "Account created")                                                            \
    X(ACCT_BAD_CREDENTIALS, XC_EFORBIDDEN, 401, "Invalid email or password")                                 \
    X(ACCT_ACCOUNT_DISABLED, XC_EFORBIDDEN, 401, "Account disabled")                                         \
    X(ACCT_THROTTLED, XC_EUNAVAILABLE, 429, "Too many failed login attempts")                                \
    X(ACCT_NOT_AUTHENTICATED, XC_EFORBIDDEN, 401, "Not authenticated")                                       \
    X(ACCT_SESSION_INVALID, XC_EFORBIDDEN, 401, "Session expired or invalid")                                \
    X(ACCT_LOGGED_OUT, 0, 200, "Logged out")                                                                 \
    X(ACCT_PROFILE_UPDATED, 0, 200, "Profile updated")                                                       \
    X(ACCT_NO_CHANGES, 0, 200, "No changes")                                                                 \
    X(ACCT_ACCOUNT_DELETED, 0, 200, "Account deleted")                                                       \
    X(ACCT_RESET_SENT, 0, 200, "If the email exists, a reset link has been sent.")                           \
    X(ACCT_PASSWORD_UPDATED, 0, 200, "Password updated. Please log in again.")                               \
    X(ACCT_RESET_INVALID, XC_EINVAL, 400, "Invalid or expired reset token")                                  \
    X(ACCT_RESET_EXPIRED, XC_EGONE, 400, "Reset token has expired")                                          \
    X(ACCT_CURRENT_PASSWORD_WRONG, XC_EINVAL, 400, "Current password is incorrect")                          \
    X(ACCT_PASSWORD_CHANGED, 0, 200, "Password changed successfully")                                        \
    X(ACCT_KEY_NAME_INVALID, XC_EINVAL, 400, "Key name must be 1 to 64 characters without control characters") \
    X(ACCT_KEY_LIMIT, XC_ECONFLICT, 409, "API key limit reached (20)")                                       \
    X(ACCT_KEY_CREATED, 0, 200, "Save this key \xe2\x80\x94 it will not be shown again.")                    \
    X(ACCT_KEY_REVOKED, 0, 200, "API key revoked")                                                           \
    X(ACCT_KEY_NOT_FOUND, XC_ENOTFOUND, 404, "API key not found")                                            \
    X(ACCT_DEVICE_STARTED, 0, 200, "Device code issued")                                                     \
    X(ACCT_DEVICE_PENDING, XC_EUNAVAILABLE, 428, "authorization_pending")                                    \
    X(ACCT_DEVICE_EXPIRED, XC_EGONE, 410, "expired_token")                                                   \
    X(ACCT_DEVICE_INVALID, XC_ENOTFOUND, 404, "invalid_device_code")                                         \
    X(ACCT_GRANT_UNSUPPORTED, XC_EINVAL, 400, "unsupported_grant_type")                                      \
    X(ACCT_DEVICE_TOKEN_ISSUED, 0, 200, "Token issued")                                                      \
    X(ACCT_DEVICE_AUTHORIZED, 0, 200, "Device authorized")                                                   \
    X(ACCT_USER_CODE_INVALID, XC_ENOTFOUND, 404, "Invalid or expired user code")                             \
    X(ACCT_USER_CODE_EXPIRED, XC_EGONE, 410, "Code expired")                                                 \
    X(ACCT_USER_NOT_FOUND, XC_ENOTFOUND, 404, "User not found")                                              \
    X(ACCT_USER_UPDATED, 0, 200, "User updated")                                                             \
    X(ACCT_TEAM_NAME_INVALID, XC_EINVAL, 400, "Team name must be 1 to 100 characters without control characters") \
    X(ACCT_PLAN_INVALID, XC_EINVAL, 400, "Plan must be free, pro or enterprise")                             \
    X(ACCT_TEAM_ROLE_INVALID, XC_EINVAL, 400, "Team role must be member or admin")                           \
    X(ACCT_TEAM_CREATED, 0, 200, "Team created")                                                             \
    X(ACCT_TEAM_NOT_FOUND, XC_ENOTFOUND, 404, "Team not found")                                              \
    X(ACCT_TEAM_NOT_MEMBER, XC_EFORBIDDEN, 403, "Not a member of this team")                                 \
    X(ACCT_TEAM_ADD_FORBIDDEN, XC_EFORBIDDEN, 403, "Only team admins can add members")                       \
    X(ACCT_TEAM_USER_NOT_FOUND, XC_ENOTFOUND, 404, "User %s not found")                                      \
    X(ACCT_TEAM_FULL, XC_EINVAL, 400, "Team is at member capacity")                                          \
    X(ACCT_TEAM_ALREADY_MEMBER, XC_ECONFLICT, 409, "%s is already a member of this team")                    \
    X(ACCT_TEAM_MEMBER_ADDED, 0, 200, "%s added to team as %s")                                              \
    X(ACCT_TEAM_MEMBER_NOT_FOUND, XC_ENOTFOUND, 404, "%s is not a member of this team")                      \
    X(ACCT_TEAM_REMOVE_FORBIDDEN, XC_EFORBIDDEN, 403, "Only admins can remove other members")                \
    X(ACCT_TEAM_REMOVE_OWNER, XC_EINVAL, 400, "Cannot remove team owner")                                    \
    X(ACCT_TEAM_MEMBER_REMOVED, 0, 200, "%s removed from team")                                              \
    X(ACCT_TEAM_DELETE_FORBIDDEN, XC_EFORBIDDEN, 403, "Only the team owner can delete this team")            \
    X(ACCT_TEAM_DELETED, 0, 200, "Team deleted")

enum acct_outcome {
#define ACCT_OUTCOME_ENUM(kind, code, status, text) kind,
    ACCT_OUTCOMES(ACCT_OUTCOME_ENUM)
#undef ACCT_OUTCOME_ENUM
        ACCT_OUTCOME__COUNT
};

/* The XC_E* code, response status, and message format of an outcome. */
int acct_outcome_code(enum acct_outcome k);
int acct_outcome_status(enum acct_outcome k);
const char *acct_outcome_text(enum acct_outcome k);
/* The kind's enumerator name ("ACCT_TEAM_FULL"), for logs and tests. */
const char *acct_outcome_name(enum acct_outcome k);

struct acct_result {
    enum acct_outcome kind;
    char msg[400];
};

/* ---- constants (domain §0.4, §24) ---- */

#define ACCT_SESSION_TTL_US (INT64_C(2592000) * 1000000)
#define ACCT_SESSIONS_MAX 50
#define ACCT_KEYS_MAX 20
#define ACCT_KEY_TOUCH_US (INT64_C(60) * 1000000)
#define ACCT_RESET_TTL_US (INT64_C(3600) * 1000000)
#define ACCT_DEVICE_TTL_US (INT64_C(600) * 1000000)
#define ACCT_DEVICE_INTERVAL_SEC 5
#define ACCT_LOGIN_FAILS_MAX 10
#define ACCT_LOGIN_WINDOW_US (INT64_C(900) * 1000000)
#define ACCT_PASSWORD_MIN 8
#define ACCT_PASSWORD_MAX 256
#define ACCT_DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define ACCT_USER_CODE_ALPHABET "BCDFGHJKLMNPQRSTVWXZ23456789"

/* Buffers for raw secrets (NUL included). */
#define ACCT_SESSION_TOKEN_BUF 66 /* 64 chars */
#define ACCT_KEY_BUF 48           /* "xc-" + 43 = 46 chars */
#define ACCT_TOKEN43_BUF 46       /* reset token, device code: 43 chars */
#define ACCT_USER_CODE_BUF 10     /* "XXXX-XXXX" */

/* ---- pure rules (no store, no clock) ---- */

/* Trims ASCII white space, lower-cases, and checks ^[^@\s]+@[^@\s]+\.[^@\s]+$ with ≤ 254 bytes
 * into out (ACCT_EMAIL_MAX + 1 bytes). Non-ASCII addresses are refused (ACCT_EMAIL_NOT_ASCII):
 * without Unicode normalisation (NFC/NFKC) two spellings of one address could otherwise become
 * two accounts. Control characters are refused (no header injection through an e-mail). */
int accounts_email_normalise(const char *in, char out[ACCT_EMAIL_MAX + 1], struct acct_result *res);
/* Password policy: 8..256 characters (UTF-8 code points). is_new selects the "New password …"
 * messages of change-password. */
int accounts_password_policy(const char *pw, bool is_new, struct acct_result *res);
/* A display name: 1..100 code points of valid UTF-8 without control characters. */
bool accounts_name_valid(const char *name);
/* The preview of an API key: first 12 + "..." + last 4 characters. out: 24 bytes. */
void accounts_key_preview(const char *key, char out[24]);
/* SHA-256 hex of a token string (how every stored secret is keyed). */
void accounts_secret_hash(const char *token, char out[ACCT_HASH_LEN]);
/* Normalises a user code typed by a person: case-insensitive, hyphen and spaces optional; true
 * and the 8 bare characters in out when every character is from the alphabet. */
bool accounts_user_code_normalise(const char *in, char out[9]);
/* Draws a user code: 8 bare characters (out) and the display form XXXX-XXXX (display). */
void accounts_user_code_new(char out[9], char display[ACCT_USER_CODE_BUF]);
/* True for a credential shaped like a session token (64 URL-safe base64 characters) or an API
 * key ("xc-" + 43). */
bool accounts_looks_like_session(const char *cred);
bool accounts_looks_like_key(const char *cred);

/* ---- principals and credential resolution (api §2.2 rows 2–3) ---- */

enum acct_cred { ACCT_CRED_SESSION, ACCT_CRED_KEY };

struct acct_principal {
    struct acct_user user; /* the account as of this request (password_hash cleared) */
    enum acct_cred cred;
    char cred_hash[ACCT_HASH_LEN]; /* SHA-256 of the presented session token or key */
};

/* Resolves a presented credential: a live session first, then an API key. The lookup is by the
 * credential's SHA-256 and the stored hash is compared in constant time; expired sessions and
 * disabled or deleted users resolve to nothing. Returns 0, XC_ENOTFOUND, or XC_EDB. A key's use
 * is noted in memory (accounts_key_flush writes it, at most once per 60 s per key). Read-only. */
int accounts_resolve(const char *credential, int64_t now, struct acct_principal *out);

/* ---- registration, login, sessions ---- */

struct acct_register_in {
    const char *email, *password;
    const char *name;     /* NULL = the local part of the e-mail */
    const char *role;     /* NULL = "submitter"; "admin" → ACCT_ADMIN_SELF_ASSIGN */
    const char *country;  /* NULL = "CA" */
    const char *province; /* NULL = "ON"; one of the 13 codes when the country is CA */
};

/* Creates the user (user-…), its customer (cust-…) and zero wallet, and a first session (token:
 * ACCT_SESSION_TOKEN_BUF bytes); SSE user_registered. */
int accounts_register(const struct acct_register_in *in, int64_t now, struct acct_user *user, char *token,
                      struct acct_result *res);
/* Login: throttled at 10 failures per e-mail in 15 min (ACCT_THROTTLED, checked before the
 * password); unknown e-mail and wrong password give the same outcome and cost the same time.
 * Success clears the failures, re-hashes a password stored with older parameters, and opens a
 * session (≤ 50 per user, oldest evicted). */
int accounts_login(const char *email, const char *password, int64_t now, struct acct_user *user, char *token,
                   struct acct_result *res);
/* Deletes the presented session (an API key principal: nothing to delete). */
int accounts_logout(const struct acct_principal *who, struct acct_result *res);
/* Opens a new session for the principal's user; the presented session (not a key) is deleted. */
int accounts_refresh(const struct acct_principal *who, int64_t now, char *token, struct acct_result *res);
/* The user's current record (password hash cleared). */
int accounts_me(const char *user_id, struct acct_user *out);

struct acct_profile_in {
    const char *name, *role, *country, *province; /* NULL = unchanged */
};
/* PATCH /api/auth/me: ACCT_PROFILE_UPDATED or ACCT_NO_CHANGES; submitter <-> provider only.
 * Keeps the customer's billing profile (name, province) in step. */
int accounts_update_profile(const char *user_id, const struct acct_profile_in *in, int64_t now,
                            struct acct_user *out, struct acct_result *res);
/* Deletes the account (domain §21.6, the accounts part): revokes sessions, keys, device codes and
 * reset tokens, deletes owned teams and memberships, anonymises the user and customer name,
 * event privacy.account_deleted. Jobs, consents and other areas are the caller's to add. */
int accounts_delete(const char *user_id, int64_t now, struct acct_result *res);

/* ---- passwords ---- */

/* Revokes every other session of the user (the principal's own session stays). */
int accounts_change_password(const struct acct_principal *who, const char *current, const char *new_password,
                             int64_t now, struct acct_result *res);
/* Issues a reset token (token: ACCT_TOKEN43_BUF bytes) when a live, enabled user has the e-mail
 * (*issued); the outcome is ACCT_RESET_SENT either way. The caller shows the token only when
 * XCELSIOR_ENV=test (or mails it). */
int accounts_reset_request(const char *email, int64_t now, char *token, bool *issued, struct acct_result *res);
/* Sets the new password (policy checked first), consumes the token once, revokes all sessions. */
int accounts_reset_confirm(const char *token, const char *new_password, int64_t now, struct acct_result *res);

/* ---- API keys ---- */

/* Creates a key (key: ACCT_KEY_BUF bytes, shown once); meta gets name, preview, created_at.
 * name NULL = "default". */
int accounts_key_create(const char *user_id, const char *name, int64_t now, char *key, struct acct_key *meta,
                        struct acct_result *res);
/* The user's keys by created_at (last_used includes uses not yet flushed). Caller frees *out. */
int accounts_key_list(const char *user_id, struct acct_key **out, size_t *n);
int accounts_key_revoke(const char *user_id, const char *preview, struct acct_result *res);
/* Writes the noted key uses (one transaction) and forgets idle entries; *written may be NULL.
 * Call from a loop every few seconds and at shutdown. */
int accounts_key_flush(int *written);

/* ---- device flow (RFC 8628) ---- */

#define ACCT_DEVICE_STATES(X)                                                                      \
    X(ACCT_DEVICE_OK, "ok")                                                                        \
    X(ACCT_DEVICE_ST_PENDING, "pending")                                                           \
    X(ACCT_DEVICE_ST_EXPIRED, "expired")                                                           \
    X(ACCT_DEVICE_ST_INVALID, "invalid")                                                           \
    X(ACCT_DEVICE_ST_CONSUMED, "consumed")

enum acct_device_status {
#define ACCT_DEVICE_ENUM(e, s) e,
    ACCT_DEVICE_STATES(ACCT_DEVICE_ENUM)
#undef ACCT_DEVICE_ENUM
};
const char *acct_device_status_name(enum acct_device_status s);

/* Issues a device code (device_code: ACCT_TOKEN43_BUF) and user code (ACCT_USER_CODE_BUF,
 * XXXX-XXXX), valid ACCT_DEVICE_TTL_US; poll interval ACCT_DEVICE_INTERVAL_SEC. */
int accounts_device_start(int64_t now, char *device_code, char *user_code, struct acct_result *res);
/* A signed-in user approves the code (case-insensitive, hyphen optional). */
int accounts_device_verify(const struct acct_principal *who, const char *user_code, int64_t now,
                           struct acct_result *res);
/* Exchanges an approved code for a session of the approving user, exactly once. grant_type NULL
 * = the device grant. *st: ok, pending (428), expired (410), invalid/consumed (404). */
int accounts_device_token(const char *device_code, const char *grant_type, int64_t now, char *token,
                          enum acct_device_status *st, struct acct_result *res);

/* ---- administration ---- */

/* Live users by created_at; role NULL = any. Caller frees *out. */
int accounts_admin_list(const char *role, int limit, int offset, struct acct_user **out, size_t *n,
                        int64_t *total, struct acct_result *res);
/* Sets role (NULL = unchanged; admin allowed; event auth.role_changed) and/or disabled (NULL =
 * unchanged; disabling revokes sessions, keys and device codes). actor names who did it in the
 * event log. */
int accounts_admin_update(const char *actor, const char *user_id, const char *role, const bool *disabled,
                          int64_t now, struct acct_user *out, struct acct_result *res);
/* Binds a provider account to the user and makes a submitter a provider (providers service,
 * §8.7; an admin keeps its role). Call inside a transaction (tx_begin): it writes the user and
 * the auth.role_changed event, and leaves the commit to the caller's other writes. */
int accounts_bind_provider(const char *user_id, const char *provider_id, int64_t now);

/* ---- teams (§8.16) ---- */

/* Creates the team (plan NULL = free); the creator is its owner and an admin member. SSE
 * team_created. */
int accounts_team_create(const char *user_id, const char *name, const char *plan, int64_t now,
                         struct acct_team *out, struct acct_result *res);
/* The user's teams (member_is_admin set). Caller frees *out. */
int accounts_teams_mine(const char *user_id, struct acct_team **out, size_t *n);
/* A team and its members for a member of it; *viewer_is_admin tells whether e-mails may be
 * shown. Caller frees *members. */
int accounts_team_get(const char *user_id, const char *team_id, struct acct_team *team,
                      struct acct_member **members, size_t *n, bool *viewer_is_admin, struct acct_result *res);
/* Whether user_id is a member of team_id (false for an unknown team). */
int accounts_team_member(const char *user_id, const char *team_id, bool *is_member);
/* Team admins add registered users (role NULL = member) within the plan's capacity. */
int accounts_team_add(const char *user_id, const char *team_id, const char *email, const char *role, int64_t now,
                      struct acct_result *res);
/* Members remove themselves; admins remove others; nobody removes the owner. */
int accounts_team_remove(const char *user_id, const char *team_id, const char *email, struct acct_result *res);
/* Only the owner deletes a team (members' team_id cleared). */
int accounts_team_delete(const char *user_id, const char *team_id, struct acct_result *res);

/* ---- housekeeping ---- */

/* Purges expired sessions, reset tokens, device codes (a day after expiry) and login failures
 * outside the throttle window. */
int accounts_sweep(int64_t now);

#endif
