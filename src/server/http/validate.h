#ifndef XC_VALIDATE_H
#define XC_VALIDATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/http/http.h"

/* ---- declared input (one schema per route, in routes.c) ----
 *
 * A route declares its query parameters and JSON body fields as arrays of struct field ending
 * with an entry whose name is NULL. The HTTP layer checks a request against them before the
 * handler runs (validate_request) and answers 422 with the api §4 envelope on the first field
 * that fails, in declaration order (query before body). The same arrays produce the OpenAPI
 * document (openapi.c). Handlers then read the values through body_* / query_*, which cannot
 * fail; what a schema cannot say (cross-field rules, existence, aliases) stays in the handler. */

enum field_type {
    FT_STRING,
    FT_INTEGER,
    FT_FIXED,     /* a JSON number (or, in a query, decimal text) kept as int64 scaled by 10^scale */
    FT_BOOLEAN,
    FT_OBJECT,
    FT_ARRAY,
    FT_TIMESTAMP, /* query only: epoch seconds with up to 6 decimals, kept in microseconds */
};

/* A named string pattern: the check the server runs and the regex the document shows. */
struct field_pattern {
    bool (*check)(const char *s);
    const char *regex;
    const char *msg; /* the 422 message when check fails */
};
extern const struct field_pattern PAT_HOST_ID, PAT_JOB_NAME, PAT_JOB_ID, PAT_IMAGE, PAT_IP, PAT_CUSTOMER_ID,
    PAT_OWNER;

struct field {
    const char *name;
    enum field_type type;
    bool required;
    /* FT_STRING: length bounds; FT_INTEGER, FT_FIXED: value bounds (FT_FIXED scaled). Arrays,
     * objects and timestamps have none here (their rules, if any, live in the handler). */
    int64_t min, max;
    bool min_excl;                        /* FT_FIXED: min is exclusive */
    int scale;                            /* FT_FIXED: decimals (0..6) */
    int64_t dflt;                         /* query FT_INTEGER / FT_BOOLEAN: value when absent */
    const struct field_pattern *pattern;  /* FT_STRING: applied to non-empty values */
    const char *const *enums;             /* FT_STRING: allowed values, NULL-terminated */
    bool nocase;                          /* FT_STRING enum: compared ignoring ASCII case */
    const char *msg;                      /* overrides the 422 message of a failed enum */
    enum field_type items;                /* FT_ARRAY: type of the items (documentation) */
    const char *doc;                      /* one line for the document */
};

/* Field constructors: name, bounds, then any more designated initializers. */
#define F_STR(n, lo, hi, ...) {.name = (n), .type = FT_STRING, .min = (lo), .max = (hi), __VA_ARGS__}
#define F_INT(n, lo, hi, ...) {.name = (n), .type = FT_INTEGER, .min = (lo), .max = (hi), __VA_ARGS__}
#define F_FIXED(n, sc, lo, hi, ...) {.name = (n), .type = FT_FIXED, .scale = (sc), .min = (lo), .max = (hi), __VA_ARGS__}
#define F_BOOL(n, ...) {.name = (n), .type = FT_BOOLEAN, __VA_ARGS__}
#define F_OBJ(n, ...) {.name = (n), .type = FT_OBJECT, __VA_ARGS__}
#define F_ARR(n, ...) {.name = (n), .type = FT_ARRAY, __VA_ARGS__}
#define F_TS(n, ...) {.name = (n), .type = FT_TIMESTAMP, __VA_ARGS__}
#define F_END {.name = NULL}

struct route;
/* Checks r's query and body against its route's declaration (the body is parsed only when
 * the route declares one). Returns 0, or -1 after replying 422. */
int validate_request(struct req *r);

/* Reads of validated input. The name must be declared for the route (a missing declaration
 * is a programming error and aborts). Each returns true when the value was given (not absent,
 * not null) and then stores it; otherwise *out keeps its value, except query integers and
 * booleans, which take the declared default. Strings are borrowed from the request. */
bool body_str(struct req *r, const char *name, const char **out);
bool body_int(struct req *r, const char *name, int64_t *out); /* FT_INTEGER and FT_FIXED */
bool body_bool(struct req *r, const char *name, bool *out);
bool body_json(struct req *r, const char *name, json_t **out); /* FT_OBJECT, FT_ARRAY (borrowed) */
bool query_str(struct req *r, const char *name, const char **out);
bool query_int(struct req *r, const char *name, int64_t *out); /* FT_INTEGER, FT_FIXED, FT_TIMESTAMP */
bool query_bool(struct req *r, const char *name, bool *out);

/* Patterns of api §1 / domain §4.1. */
bool valid_host_id(const char *s);
bool valid_job_name(const char *s);
bool valid_env_key(const char *s);
bool valid_image_ref(const char *s);
bool valid_ip_or_unknown(const char *s);
bool valid_job_id(const char *s);
/* One of the 13 province/territory codes. */
bool valid_ca_province(const char *s);

/* A path parameter that must be a host id / job id; replies 404 and returns -1 otherwise
 * (an id that cannot exist cannot be found). */
int v_path_host_id(struct req *r, int idx, const char **out);
int v_path_job_id(struct req *r, int idx, const char **out);

#endif
