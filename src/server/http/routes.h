#ifndef XC_ROUTES_H
#define XC_ROUTES_H
#include <stdbool.h>
#include <stddef.h>

#include "server/http/http.h"

/* Permission marks of api §2.3. H(h) and O are refined inside handlers (auth_host()). */
enum auth_mark {
    AUTH_PUBLIC, /* P */
    AUTH_ADMIN,  /* A */
    AUTH_SIGNED, /* S: admin or agent */
    AUTH_HOST,   /* H(h): the host's agent or admin */
};

typedef void (*route_handler)(struct req *r);

struct route {
    const char *method;
    const char *pattern; /* "/job/{job_id}/status": {x} matches one non-empty segment */
    route_handler handler;
    enum auth_mark auth;
    size_t body_limit; /* bytes; 0 = the default 1 MiB */
    bool rate_exempt;
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
