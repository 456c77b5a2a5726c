#ifndef XC_ROUTES_H
#define XC_ROUTES_H
#include <stdbool.h>
#include <stddef.h>

#include "server/http/http.h"
#include "server/http/validate.h"

/* Permission marks of api §2.3, declared on every route. There is no zero default: a route
 * declared without a mark has MARK_UNSET, and routes_check() refuses the table (the server will
 * not start, and the build's route check fails). */
enum auth_mark {
    MARK_UNSET = 0,
    MARK_P, /* anyone (public); an invalid credential is ignored */
    MARK_A, /* admin: the operator token or an admin-role user (anonymous in dev/test) */
    MARK_S, /* any signed principal: admin, user or agent (anonymous-admin in dev/test) */
    MARK_U, /* a user principal (session or API key), in every environment */
    MARK_O, /* the owner of the addressed resource (.owns), or admin */
    MARK_H, /* H(h): the agent bound to host h, the user who owns h, or admin */
};

/* What an O or H route addresses. When the route's path has the matching parameter ({job_id},
 * {host_id}, {customer_id}, {provider_id}) the gate checks ownership itself before the handler;
 * otherwise the id is in the body and the handler calls the auth.h check for it. */
enum auth_owns { OWNS_NONE = 0, OWNS_JOB, OWNS_HOST, OWNS_CUSTOMER, OWNS_PROVIDER };

typedef void (*route_handler)(struct req *r);

/* One route, declared once (designated initializers in routes.c). The declaration drives the
 * dispatch, the auth gate, the body limit, the rate limit, request validation (validate.h) and
 * the OpenAPI document (openapi.h). */
struct route {
    const char *method;
    const char *pattern; /* "/job/{job_id}/status": {x} matches one non-empty segment */
    route_handler handler;
    enum auth_mark auth;
    enum auth_owns owns; /* O and H routes: the kind of resource whose owner may call */
    size_t body_limit;   /* bytes; 0 = the default 1 MiB */
    bool rate_exempt;    /* not counted by the per-client rate limit */
    const struct field *query; /* declared query parameters (NULL: none) */
    const struct field *body;  /* declared JSON body fields (NULL: the body is not read as JSON) */
    const char *response;      /* the response shape: a name from openapi.c's shape list */
    const char *summary;       /* one line for the document */
    const char *unauthenticated; /* U routes: the 401 message for a caller who is no user
                                  * (NULL: "Not authenticated"; refresh names the session) */
};

#define ROUTE_DEFAULT_BODY_LIMIT ((size_t)1 << 20)

/* Finds the route for method + path. Fills params (percent-decoded, owned by the caller).
 * Returns NULL when none matches; then *path_known tells 405 from 404 and allow lists the
 * methods of the path ("GET, PUT"). */
const struct route *routes_match(const char *method, const char *path, char **params, int *nparams,
                                 bool *path_known, char *allow, size_t allow_n);

/* Checks the table's declarations (every route marked; O and H routes name what they own; no
 * route twice). Writes the first problem into err and returns -1; 0 when the table is sound. */
int routes_check(char *err, size_t n);

/* The path parameter a route's ownership is decided on ("job_id" …), or NULL. */
const char *routes_owns_param(enum auth_owns k);

/* The table itself, for docs and tests. */
extern const struct route routes_table[];
extern const size_t routes_count;

#endif
