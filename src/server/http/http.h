#ifndef XC_HTTP_H
#define XC_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/svc/accounts.h"

struct MHD_Connection;
struct MHD_Response;

/* Who is calling (api §2.2): the operator (global token), a user (session or API key), an agent
 * (bound to one host), anonymous (no header) or invalid (a header that matches nothing). */
enum principal_kind { PRINCIPAL_ANON, PRINCIPAL_ADMIN, PRINCIPAL_USER, PRINCIPAL_AGENT, PRINCIPAL_INVALID };

struct principal {
    enum principal_kind kind;
    bool is_admin;    /* admin rights: the operator, a user whose role is admin, or dev/test anonymous */
    char host_id[65]; /* bound host for agents */
    /* kind USER: the account as of this request (user_id, role, customer_id, provider_id) and
     * the presented credential (its hash; logout/refresh act on it). */
    struct acct_principal user;
};

#define REQ_MAX_PARAMS 4

struct req {
    struct MHD_Connection *conn;
    const char *method;
    char path[1024];
    char *body;
    size_t body_len, body_cap;
    size_t limit;     /* the route's body limit */
    bool counted;     /* in the in-flight count */
    uint64_t wait_epoch; /* the group commit this request's writes are in (0: none) */
    bool parked;         /* suspended until wait_epoch commits */
    bool refused;        /* 413 for an oversize body queued; the rest of the body is dropped */
    int linger_fd;       /* with refused: a duplicate of the socket for the lingering close, or -1 */
    size_t over;         /* bytes past the limit of a chunked body, dropped (0: within it) */
    const struct route *route;
    char *params[REQ_MAX_PARAMS]; /* percent-decoded path parameters */
    int nparams;
    json_t *json; /* the parsed body object (handlers read it; NULL before parsing) */
    struct principal who;
    int64_t started_mono_us;
    /* Reply, set by a handler through the reply_* helpers. */
    unsigned status;
    struct MHD_Response *response;
};

/* ---- replies ---- */

/* Sends {"ok":true, ...fields of obj}. Steals obj (may be NULL for just {"ok":true}). */
void reply_ok(struct req *r, unsigned status, json_t *obj);
/* Sends the error envelope {"ok":false,"error":{"code","message"}}; code from status. */
void reply_error(struct req *r, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* 422 validation_error with one detail. */
void reply_invalid(struct req *r, const char *where, const char *field, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A raw body with a content type (HTML, text, CSV). The body is copied. */
void reply_raw(struct req *r, unsigned status, const char *content_type, const char *body, size_t len);
/* A reference-counted response body, shared by every reply that sends it (no copy per
 * request). shared_body_new takes ownership of data (malloc'ed); the creator holds one
 * reference and drops it with shared_body_unref. */
struct shared_body;
struct shared_body *shared_body_new(char *data, size_t len);
void shared_body_unref(struct shared_body *b);
void reply_shared(struct req *r, unsigned status, const char *content_type, struct shared_body *b);
/* A generated body of exactly size bytes, never held in memory as a whole: Content-Length is
 * size, and libmicrohttpd asks fill for each block as the socket drains. fill(cls, pos, buf, max)
 * writes the bytes at offset pos (1..max of them, never past size) and returns how many. cls
 * is borrowed and must outlive the response (static data, or NULL). */
typedef size_t (*reply_fill_fn)(const void *cls, uint64_t pos, char *buf, size_t max);
void reply_generated(struct req *r, unsigned status, const char *content_type, uint64_t size, reply_fill_fn fill,
                     const void *cls);
/* Adds a header to the reply already set. */
void reply_header(struct req *r, const char *name, const char *value);
/* Error for a store/core status code (404/409/500 ...), with a message. */
void reply_status(struct req *r, int xc_err, const char *msg);

/* A long-lived stream: shutdown does not wait for it (it is ended by sse_shutdown). */
void req_detach_in_flight(struct req *r);
/* Query parameter (NULL when absent; the last one when repeated). */
const char *req_query(struct req *r, const char *name);
/* Typed query parameters; on a bad value they reply 422 themselves and return -1. */
int req_query_bool(struct req *r, const char *name, bool dflt, bool *out);
int req_query_int(struct req *r, const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out);
const char *req_header(struct req *r, const char *name);

/* Parses the body as a JSON object (empty body = {}), enforcing depth 32. On failure replies
 * 422 and returns -1. */
int req_parse_json(struct req *r);

/* ---- server ---- */
struct http_server;
/* Starts listening; returns NULL (after logging why) on failure. */
struct http_server *http_start(const char *host, int port, int threads);
/* The bound port (useful with --port 0). */
int http_port(struct http_server *h);
/* Stops accepting, lets in-flight requests finish, then stops. */
void http_stop(struct http_server *h);

#endif
