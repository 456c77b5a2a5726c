#ifndef XC_ROUTES_H
#define XC_ROUTES_H
#include <stdbool.h>
#include <stddef.h>

#include "server/http/http.h"
#include "server/http/validate.h"

/* Permission marks of api §2.3. H(h) and O are refined inside handlers (auth_host()). */
enum auth_mark {
    AUTH_PUBLIC, /* P */
    AUTH_ADMIN,  /* A */
    AUTH_SIGNED, /* S: admin or agent */
    AUTH_HOST,   /* H(h): the host's agent or admin */
};

typedef void (*route_handler)(struct req *r);

/* One route, declared once (designated initializers in routes.c). The declaration drives the
 * dispatch, the auth gate, the body limit, the rate limit, request validation (validate.h) and
 * the OpenAPI document (openapi.h). */
struct route {
    const char *method;
    const char *pattern; /* "/job/{job_id}/status": {x} matches one non-empty segment */
    route_handler handler;
    enum auth_mark auth;
    size_t body_limit;   /* bytes; 0 = the default 1 MiB */
    bool rate_exempt;    /* not counted by the per-client rate limit */
    const struct field *query; /* declared query parameters (NULL: none) */
    const struct field *body;  /* declared JSON body fields (NULL: the body is not read as JSON) */
    const char *response;      /* the response shape: a name from openapi.c's shape list */
    const char *summary;       /* one line for the document */
};

#define ROUTE_DEFAULT_BODY_LIMIT ((size_t)1 << 20)

/* Finds the route for method + path. Fills params (percent-decoded, owned by the caller).
 * Returns NULL when none matches; then *path_known tells 405 from 404 and allow lists the
 * methods of the path ("GET, PUT"). */
const struct route *routes_match(const char *method, const char *path, char **params, int *nparams,
                                 bool *path_known, char *allow, size_t allow_n);

/* The table itself, for docs and tests. */
extern const struct route routes_table[];
extern const size_t routes_count;

#endif
