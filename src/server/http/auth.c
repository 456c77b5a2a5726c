/* The auth gate: resolves the caller from the Authorization header, applies each route's mark,
 * and decides ownership of jobs, hosts, customers and providers (the one place that does). */
#include "server/http/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/errors.h"
#include "common/hex.h"
#include "common/ids.h"
#include "server/app.h"
#include "server/http/routes.h"

static void sha256_hex(const char *s, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, strlen(s), d);
    hex_encode(d, sizeof d, out);
}

/* Constant-time equality of a presented secret with the configured one. */
static bool secret_equal(const char *given, const char *want)
{
    size_t gl = strlen(given), wl = strlen(want);
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)given, gl, a);
    SHA256((const unsigned char *)want, wl, b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0 && gl == wl;
}

/* api §2.2, in its order: operator token, session, API key, agent token. */
static void resolve(struct req *r)
{
    memset(&r->who, 0, sizeof r->who);
    const char *h = req_header(r, "Authorization");
    r->who.kind = PRINCIPAL_ANON;
    if (!h)
        return;
    r->who.kind = PRINCIPAL_INVALID;
    if (strncasecmp(h, "Bearer ", 7) != 0 || h[7] == ' ' || h[7] == '\0')
        return;
    const char *tok = h + 7;
    const char *want = g_app->cfg.api_token;
    if (*want && secret_equal(tok, want)) {
        r->who.kind = PRINCIPAL_ADMIN;
        r->who.is_admin = true;
        return;
    }
    if (accounts_looks_like_session(tok) || accounts_looks_like_key(tok)) {
        /* Disabled, deleted and expired accounts resolve to nothing: the credential is invalid. */
        if (accounts_resolve(tok, app_now(), &r->who.user) == 0) {
            r->who.kind = PRINCIPAL_USER;
            r->who.is_admin = r->who.user.user.role == ACCT_ROLE_ADMIN;
        }
        return;
    }
    if (strncmp(tok, "xh-", 3) == 0 && strlen(tok) < 128) {
        char hash[65];
        sha256_hex(tok, hash);
        if (store_agent_token_host(g_app->store, hash, r->who.host_id) == 0)
            r->who.kind = PRINCIPAL_AGENT;
    }
}

static int unauthorized(struct req *r, const char *msg)
{
    reply_error(r, 401, "%s", msg);
    reply_header(r, "WWW-Authenticate", "Bearer");
    return -1;
}

/* The path parameter named name, or NULL. */
static const char *path_param(const struct req *r, const char *name)
{
    int i = 0;
    for (const char *p = strchr(r->route->pattern, '{'); p && i < r->nparams; p = strchr(p + 1, '{'), i++) {
        size_t l = strcspn(p + 1, "}");
        if (strlen(name) == l && strncmp(p + 1, name, l) == 0)
            return r->params[i];
    }
    return NULL;
}

int auth_job_owner(struct req *r, const char *job_id)
{
    struct job j;
    int rc = store_job_get(g_app->store, job_id, &j);
    if (rc == XC_ENOTFOUND || (rc == 0 && !auth_sees_job(&r->who, &j))) {
        if (rc == 0)
            job_free(&j);
        reply_error(r, 404, "Job %s not found", job_id);
        return -1;
    }
    if (rc < 0) {
        reply_status(r, rc, "job read failed");
        return -1;
    }
    bool owns = auth_owns_job(&r->who, &j);
    job_free(&j);
    if (!owns) {
        reply_error(r, 403, "Only the job's owner or an admin may do this");
        return -1;
    }
    return 0;
}

/* O and H routes that name their resource in the path. */
static int owner_gate(struct req *r)
{
    const struct route *rt = r->route;
    const char *id = path_param(r, routes_owns_param(rt->owns));
    if (r->who.is_admin)
        return 0;
    if (rt->auth == MARK_O && r->who.kind == PRINCIPAL_AGENT) {
        reply_error(r, 403, "Agent tokens may not use this route");
        return -1;
    }
    if (!id)
        return 0; /* the resource is in the body: the handler checks it */
    switch (rt->owns) {
    case OWNS_JOB: return auth_job_owner(r, id);
    case OWNS_HOST: return rt->auth == MARK_H ? auth_host(r, id) : auth_host_owner(r, id);
    case OWNS_CUSTOMER: return auth_customer(r, id);
    case OWNS_PROVIDER: return auth_provider(r, id);
    case OWNS_NONE: break;
    }
    return 0;
}

int auth_gate(struct req *r)
{
    resolve(r);
    bool production = g_app->cfg.env == ENV_PRODUCTION;
    enum auth_mark mark = r->route->auth;
    if (mark == MARK_P) {
        if (r->who.kind == PRINCIPAL_INVALID)
            r->who.kind = PRINCIPAL_ANON;
        return 0;
    }
    bool unsigned_ = r->who.kind == PRINCIPAL_ANON || r->who.kind == PRINCIPAL_INVALID;
    if (unsigned_ && production)
        return unauthorized(r, "Unauthorized");
    if (mark == MARK_U) {
        /* Every environment: a user credential, nothing else. */
        if (r->who.kind != PRINCIPAL_USER)
            return unauthorized(r, r->route->unauthenticated ? r->route->unauthenticated : "Not authenticated");
        return 0;
    }
    if (unsigned_) {
        /* The open dev/test gate: an anonymous caller (or one whose credential matched nothing)
         * is the operator. */
        memset(&r->who, 0, sizeof r->who);
        r->who.kind = PRINCIPAL_ANON;
        r->who.is_admin = true;
    }
    switch (mark) {
    case MARK_A:
        if (!r->who.is_admin) {
            reply_error(r, 403, "Admin access required");
            return -1;
        }
        return 0;
    case MARK_S: return 0;
    case MARK_O:
    case MARK_H: return owner_gate(r);
    default:
        /* routes_check() refuses an unmarked table at startup; never reached. */
        reply_error(r, 500, "Internal server error");
        return -1;
    }
}

/* ---- ownership ---- */

static bool is_user(const struct principal *p)
{
    return p->kind == PRINCIPAL_USER;
}

bool auth_owns_job(const struct principal *p, const struct job *j)
{
    return is_user(p) && j->owner[0] && strcmp(j->owner, p->user.user.customer_id) == 0;
}

bool auth_owns_host(const struct principal *p, const struct host *h)
{
    return is_user(p) && h->owner[0] && strcmp(h->owner, p->user.user.user_id) == 0;
}

/* Whether the user owns host_id (false when it does not exist). */
static bool user_owns_host_id(const struct principal *p, const char *host_id)
{
    if (!is_user(p) || !host_id || !*host_id)
        return false;
    struct host h;
    if (store_host_get(g_app->store, host_id, &h) < 0)
        return false;
    bool owns = auth_owns_host(p, &h);
    host_free(&h);
    return owns;
}

bool auth_sees_host(const struct principal *p, const char *host_id)
{
    if (p->is_admin)
        return true;
    if (p->kind == PRINCIPAL_AGENT)
        return strcmp(p->host_id, host_id) == 0;
    struct host h;
    if (!is_user(p) || store_host_get(g_app->store, host_id, &h) < 0)
        return false;
    bool sees = auth_owns_host(p, &h) || h.status == HOST_ACTIVE;
    host_free(&h);
    return sees;
}

/* Team members see the jobs of the team's other members (api §8.16). */
static bool shares_team(const struct principal *p, const char *customer_id)
{
    bool shared = false;
    if (is_user(p) && customer_id[0] &&
        store_customer_in_users_team(g_app->store, p->user.user.user_id, customer_id, &shared) < 0)
        return false;
    return shared;
}

bool auth_sees_job(const struct principal *p, const struct job *j)
{
    if (p->is_admin)
        return true;
    if (p->kind == PRINCIPAL_AGENT)
        return strcmp(j->host_id, p->host_id) == 0;
    return auth_owns_job(p, j) || user_owns_host_id(p, j->host_id) || shares_team(p, j->owner);
}

int auth_host(struct req *r, const char *host_id)
{
    if (r->who.is_admin)
        return 0;
    if (r->who.kind == PRINCIPAL_AGENT) {
        if (strcmp(r->who.host_id, host_id) == 0)
            return 0;
        reply_error(r, 403, "Agent token is bound to host %s", r->who.host_id);
        return -1;
    }
    if (user_owns_host_id(&r->who, host_id))
        return 0;
    reply_error(r, 404, "Host %s not found", host_id);
    return -1;
}

int auth_host_owner(struct req *r, const char *host_id)
{
    if (r->who.is_admin)
        return 0;
    if (r->who.kind == PRINCIPAL_AGENT) {
        reply_error(r, 403, "Agent tokens may not use this route");
        return -1;
    }
    if (user_owns_host_id(&r->who, host_id))
        return 0;
    reply_error(r, 404, "Host %s not found", host_id);
    return -1;
}

int auth_customer(struct req *r, const char *customer_id)
{
    if (r->who.is_admin)
        return 0;
    if (is_user(&r->who) && strcmp(r->who.user.user.customer_id, customer_id) == 0)
        return 0;
    if (r->who.kind == PRINCIPAL_AGENT)
        reply_error(r, 403, "Agent tokens may not use this route");
    else
        reply_error(r, 404, "Customer %s not found", customer_id);
    return -1;
}

int auth_provider(struct req *r, const char *provider_id)
{
    if (r->who.is_admin)
        return 0;
    if (is_user(&r->who) && r->who.user.user.provider_id[0] &&
        strcmp(r->who.user.user.provider_id, provider_id) == 0)
        return 0;
    if (r->who.kind == PRINCIPAL_AGENT)
        reply_error(r, 403, "Agent tokens may not use this route");
    else
        reply_error(r, 404, "Provider %s not found", provider_id); /* no existence leak */
    return -1;
}

const char *auth_view_customer(const struct principal *p)
{
    return is_user(p) && !p->is_admin ? p->user.user.customer_id : NULL;
}

const char *auth_view_user(const struct principal *p)
{
    return is_user(p) && !p->is_admin ? p->user.user.user_id : NULL;
}

/* ---- names ---- */

const char *auth_principal_name(const struct principal *p)
{
    switch (p->kind) {
    case PRINCIPAL_ADMIN: return "admin";
    case PRINCIPAL_USER: return "user";
    case PRINCIPAL_AGENT: return "agent";
    default: return p->is_admin ? "anonymous-admin" : "anonymous";
    }
}

const char *auth_actor(const struct req *r, char *buf, size_t n)
{
    if (r->who.kind == PRINCIPAL_AGENT)
        snprintf(buf, n, "agent:%s", r->who.host_id);
    else if (r->who.kind == PRINCIPAL_USER)
        snprintf(buf, n, "user:%s", r->who.user.user.user_id);
    else
        snprintf(buf, n, "admin");
    return buf;
}

const char *auth_rate_key(const struct principal *p, char *buf, size_t n)
{
    switch (p->kind) {
    case PRINCIPAL_USER: snprintf(buf, n, "user:%s", p->user.user.user_id); return buf;
    case PRINCIPAL_AGENT: snprintf(buf, n, "agent:%s", p->host_id); return buf;
    case PRINCIPAL_ADMIN: snprintf(buf, n, "admin"); return buf;
    default: return NULL;
    }
}

int auth_issue_agent_token(const char *host_id, char *out, size_t n)
{
    char hash[65];
    ids_token("xh-", 32, out, n);
    sha256_hex(out, hash);
    return store_agent_token_put(g_app->store, hash, host_id, app_now());
}
