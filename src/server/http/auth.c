/* The auth gate: resolves the caller from the Authorization header and applies each route's mark. */
#include "server/http/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

static void resolve(struct req *r)
{
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
    if (strncmp(tok, "xh-", 3) == 0 && strlen(tok) < 128) {
        char hash[65];
        sha256_hex(tok, hash);
        if (store_agent_token_host(g_app->store, hash, r->who.host_id) == 0)
            r->who.kind = PRINCIPAL_AGENT;
    }
}

int auth_gate(struct req *r)
{
    resolve(r);
    bool production = g_app->cfg.env == ENV_PRODUCTION;
    if (r->route->auth == AUTH_PUBLIC) {
        if (r->who.kind == PRINCIPAL_INVALID)
            r->who.kind = PRINCIPAL_ANON;
        return 0;
    }
    if (r->who.kind == PRINCIPAL_ANON || r->who.kind == PRINCIPAL_INVALID) {
        if (production) {
            reply_error(r, 401, "Unauthorized");
            reply_header(r, "WWW-Authenticate", "Bearer");
            return -1;
        }
        /* The open dev/test gate: an anonymous caller is the operator. */
        r->who.kind = PRINCIPAL_ANON;
        r->who.is_admin = true;
    }
    if (r->route->auth == AUTH_ADMIN && !r->who.is_admin) {
        reply_error(r, 403, "This route requires the operator (admin) credential");
        return -1;
    }
    return 0;
}

int auth_host(struct req *r, const char *host_id)
{
    if (r->who.is_admin)
        return 0;
    if (r->who.kind == PRINCIPAL_AGENT && strcmp(r->who.host_id, host_id) == 0)
        return 0;
    if (r->who.kind == PRINCIPAL_AGENT)
        reply_error(r, 403, "Agent token is bound to host %s", r->who.host_id);
    else
        reply_error(r, 403, "Not allowed to act for host %s", host_id);
    return -1;
}

const char *auth_principal_name(const struct principal *p)
{
    switch (p->kind) {
    case PRINCIPAL_ADMIN: return "admin";
    case PRINCIPAL_AGENT: return "agent";
    default: return p->is_admin ? "anonymous-admin" : "anonymous";
    }
}

const char *auth_actor(const struct req *r, char *buf, size_t n)
{
    if (r->who.kind == PRINCIPAL_AGENT)
        snprintf(buf, n, "agent:%s", r->who.host_id);
    else
        snprintf(buf, n, "admin");
    return buf;
}

int auth_issue_agent_token(const char *host_id, char *out, size_t n)
{
    char hash[65];
    ids_token("xh-", 32, out, n);
    sha256_hex(out, hash);
    return store_agent_token_put(g_app->store, hash, host_id, app_now());
}
