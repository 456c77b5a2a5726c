/* libmicrohttpd glue: request lifecycle, body limits, dispatch through the route table,
 * the error envelope and one log line per request. */
#include "server/http/http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/clock.h"
#include "common/env.h"
#include "common/errors.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/http/auth.h"
#include "server/app.h"
#include "server/http/metrics.h"
#include "server/http/linger.h"
#include "server/http/ratelimit.h"
#include "server/http/routes.h"
#include "server/http/sse.h"
#include "server/http/validate.h"
#include "server/svc/tx.h"


/* Requests between their first byte and their completion, event streams excluded: shutdown
 * waits for them. */
static int in_flight;
/* Shutdown, in two steps: while draining, requests still arriving on open connections are served
 * and their connections closed after the reply; once refusing, a new request drops its
 * connection unanswered, so nothing can be parked when the daemon stops. */
static bool draining, refusing;

struct http_server {
    struct MHD_Daemon *d;
};

static const char *code_for(unsigned status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 410: return "gone";
    case 413: return "payload_too_large";
    case 422: return "validation_error";
    case 428: return "precondition_required";
    case 429: return "rate_limited";
    case 501: return "not_implemented";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal_error" : "bad_request";
    }
}

static void set_response(struct req *r, unsigned status, char *buf, size_t len, const char *ctype)
{
    if (r->response)
        MHD_destroy_response(r->response);
    r->response = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    r->status = status;
}

static void send_json(struct req *r, unsigned status, json_t *v)
{
    size_t len;
    char *buf = jsonx_dump(v, &len);
    json_decref(v);
    set_response(r, status, buf, len, "application/json; charset=utf-8");
}

void reply_ok(struct req *r, unsigned status, json_t *obj)
{
    json_t *out = json_object();
    json_object_set_new(out, "ok", json_true());
    if (obj) {
        json_object_update(out, obj);
        json_decref(obj);
    }
    send_json(r, status, out);
}

static void error_envelope(struct req *r, unsigned status, const char *msg, json_t *details)
{
    json_t *err = json_pack("{s:s, s:o}", "code", code_for(status), "message", jx_str_lossy(msg));
    if (details)
        json_object_set_new(err, "details", details);
    send_json(r, status, json_pack("{s:b, s:o}", "ok", 0, "error", err));
}

void reply_error(struct req *r, unsigned status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_envelope(r, status, msg, NULL);
}

void reply_invalid(struct req *r, const char *where, const char *field, const char *type, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *loc = json_pack("[s]", where);
    if (field)
        json_array_append_new(loc, jx_str_lossy(field));
    json_t *d = json_pack("[{s:o, s:o, s:s}]", "loc", loc, "msg", jx_str_lossy(msg), "type", type);
    error_envelope(r, 422, "Request validation failed", d);
}

void reply_raw(struct req *r, unsigned status, const char *content_type, const char *body, size_t len)
{
    char *copy = xmalloc(len + 1);
    memcpy(copy, body, len);
    set_response(r, status, copy, len, content_type);
}

struct shared_body {
    int refs;
    size_t len;
    char *data;
};

struct shared_body *shared_body_new(char *data, size_t len)
{
    struct shared_body *b = xmalloc(sizeof *b);
    b->refs = 1;
    b->len = len;
    b->data = data;
    return b;
}

void shared_body_unref(struct shared_body *b)
{
    if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(b->data);
        free(b);
    }
}

static void shared_body_release(void *cls)
{
    shared_body_unref(cls);
}

void reply_shared(struct req *r, unsigned status, const char *content_type, struct shared_body *b)
{
    if (r->response)
        MHD_destroy_response(r->response);
    __atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
    r->response = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data, shared_body_release, b);
    MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    r->status = status;
}

struct generated {
    reply_fill_fn fill;
    const void *cls;
    uint64_t size;
};

static ssize_t generated_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    const struct generated *g = cls;
    if (pos >= g->size)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (max > g->size - pos)
        max = (size_t)(g->size - pos);
    size_t n = g->fill(g->cls, pos, buf, max);
    return n == 0 || n > max ? MHD_CONTENT_READER_END_WITH_ERROR : (ssize_t)n;
}

void reply_generated(struct req *r, unsigned status, const char *content_type, uint64_t size, reply_fill_fn fill,
                     const void *cls)
{
    if (r->response)
        MHD_destroy_response(r->response);
    struct generated *g = xmalloc(sizeof *g);
    *g = (struct generated){.fill = fill, .cls = cls, .size = size};
    r->response = MHD_create_response_from_callback(size, 64 * 1024, generated_read, g, free);
    MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    r->status = status;
}

void reply_header(struct req *r, const char *name, const char *value)
{
    if (r->response)
        MHD_add_response_header(r->response, name, value);
}

void reply_status(struct req *r, int err, const char *msg)
{
    switch (err) {
    case XC_ENOTFOUND: reply_error(r, 404, "%s", msg); break;
    case XC_ECONFLICT: reply_error(r, 409, "%s", msg); break;
    case XC_EFORBIDDEN: reply_error(r, 403, "%s", msg); break;
    case XC_EINVAL: reply_error(r, 400, "%s", msg); break;
    case XC_EGONE: reply_error(r, 410, "%s", msg); break;
    case XC_EUNAVAILABLE: reply_error(r, 503, "%s", msg); break;
    default:
        log_error("%s %s: %s (%s)", r->method, r->path, msg, xc_strerror(err));
        reply_error(r, 500, "Internal server error");
    }
}

struct last_value {
    const char *name, *value;
};

static enum MHD_Result keep_last(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct last_value *lv = cls;
    if (key && strcmp(key, lv->name) == 0)
        lv->value = value ? value : "";
    return MHD_YES;
}

void req_detach_in_flight(struct req *r)
{
    if (r->counted) {
        r->counted = false;
        __atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
    }
}

/* Repeated parameters: the last one wins (api §1). */
const char *req_query(struct req *r, const char *name)
{
    struct last_value lv = {name, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, keep_last, &lv);
    return lv.value;
}

const char *req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_query_bool(struct req *r, const char *name, bool dflt, bool *out)
{
    const char *v = req_query(r, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (parse_bool(v, out) < 0) {
        reply_invalid(r, "query", name, "type_error", "value is not a valid boolean");
        return -1;
    }
    return 0;
}

int req_query_int(struct req *r, const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out)
{
    const char *v = req_query(r, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end) {
        reply_invalid(r, "query", name, "type_error", "value is not a valid integer");
        return -1;
    }
    if (x < min || x > max) {
        reply_invalid(r, "query", name, x < min ? "greater_equal" : "less_equal", "must be between %lld and %lld",
                      (long long)min, (long long)max);
        return -1;
    }
    *out = x;
    return 0;
}

int req_parse_json(struct req *r)
{
    if (r->json)
        return 0;
    if (r->body_len == 0) {
        r->json = json_object();
        return 0;
    }
    if (jsonx_depth(r->body, r->body_len, 32) > 32) {
        reply_invalid(r, "body", NULL, "too_deep", "JSON nesting deeper than 32 levels");
        return -1;
    }
    json_error_t e;
    json_t *v = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!v) {
        reply_invalid(r, "body", NULL, "json_invalid", "Malformed JSON: %s (line %d, column %d)", e.text, e.line,
                      e.column);
        return -1;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        reply_invalid(r, "body", NULL, "type_error", "request body must be a JSON object");
        return -1;
    }
    r->json = v;
    return 0;
}

/* ---- lifecycle ---- */

/* The client address of api §3: the TCP peer, or with XCELSIOR_TRUST_PROXY the first
 * X-Forwarded-For address (else X-Real-IP). */
static void client_addr(struct req *r, char *out, size_t n)
{
    out[0] = '\0';
    if (g_app->cfg.trust_proxy) {
        const char *xff = req_header(r, "X-Forwarded-For"), *xri = req_header(r, "X-Real-IP");
        if (xff) {
            size_t l = strcspn(xff, ",");
            while (l > 0 && xff[l - 1] == ' ')
                l--;
            snprintf(out, n, "%.*s", (int)l, xff + strspn(xff, " "));
        } else if (xri) {
            snprintf(out, n, "%s", xri);
        }
        if (out[0])
            return;
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
    else
        snprintf(out, n, "unknown");
}

/* Counts the request against a bucket: the client address (key NULL), or an identity key. */
static bool rate_limited_key(struct req *r, const char *key)
{
    char addr[64];
    int64_t retry;
    if (!key) {
        client_addr(r, addr, sizeof addr);
        key = addr;
    }
    if (ratelimit_allow(key, clock_mono_us(), &retry))
        return false;
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)retry);
    reply_error(r, 429, "Too many requests");
    reply_header(r, "Retry-After", v);
    return true;
}

static bool rate_limited(struct req *r)
{
    return rate_limited_key(r, NULL);
}

/* The per-identity limit (issue 10): a user's or an agent's requests count in their own bucket
 * as well, whatever addresses they come from (the operator is not limited by identity). */
static bool identity_limited(struct req *r)
{
    char key[96];
    if (r->route->rate_exempt || r->who.kind == PRINCIPAL_ADMIN)
        return false;
    const char *k = auth_rate_key(&r->who, key, sizeof key);
    return k && rate_limited_key(r, k);
}

static void dispatch(struct req *r)
{
    char allow[128];
    bool known;
    r->route = routes_match(r->method, r->path, r->params, &r->nparams, &known, allow, sizeof allow);
    if (!r->route && rate_limited(r))
        return;
    if (!r->route) {
        if (known && strcmp(r->method, "OPTIONS") != 0) {
            reply_error(r, 405, "Method %s not allowed on %s", r->method, r->path);
            reply_header(r, "Allow", allow);
        } else {
            reply_error(r, 404, "Not found: %s", r->path);
        }
        return;
    }
    if (!r->route->rate_exempt && rate_limited(r))
        return;
    /* Reads of GET/HEAD requests (the credential lookup included) go to a read-only connection
     * (WAL) and never wait for the writer; a transaction the handler opens still uses the writer. */
    bool reader = (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) && store_read_begin(g_app->store);
    /* The route's declaration is checked before its handler runs (validate.h). */
    if (auth_gate(r) == 0 && !identity_limited(r) && validate_request(r) == 0) {
        tx_defer_begin(&r->wait_epoch);
        r->route->handler(r);
        tx_defer_end();
    }
    if (reader)
        store_read_end(g_app->store);
    if (!r->response) {
        log_error("%s %s: handler produced no response", r->method, r->path);
        reply_error(r, 500, "Internal server error");
    }
}

static size_t body_limit(const struct route *rt)
{
    return rt && rt->body_limit ? rt->body_limit : ROUTE_DEFAULT_BODY_LIMIT;
}

static enum MHD_Result queue(struct req *r)
{
    if (__atomic_load_n(&draining, __ATOMIC_SEQ_CST))
        MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->response);
    MHD_destroy_response(r->response);
    r->response = NULL;
    return ret;
}

/* Queues the handler's reply, unless the commit it depends on failed: then a 500. */
static enum MHD_Result answer(struct req *r)
{
    if (r->wait_epoch && tx_epoch_result(r->wait_epoch) < 0) {
        log_error("%s %s: the commit of this request's writes failed", r->method, r->path);
        reply_error(r, 500, "Internal server error");
    }
    return queue(r);
}

/* Queues the 413 of an oversize body with "Connection: close" and marks the request refused, so
 * the rest of its body (if MHD hands any over) is dropped and the connection is not reused. */
static enum MHD_Result refuse_oversize(struct req *r)
{
    r->refused = true;
    /* Keep the socket open past MHD's close for a lingering close (linger.h), so a client still
     * uploading reads the 413 instead of a reset. */
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    r->linger_fd = ci ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
    reply_error(r, 413, "Request body exceeds %zu bytes", r->limit);
    reply_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    return queue(r);
}

static void suspend_conn(void *arg)
{
    struct req *r = arg;
    r->parked = true;
    MHD_suspend_connection(r->conn);
}

static void resume_conn(void *arg)
{
    MHD_resume_connection(((struct req *)arg)->conn);
}

/* Suspends r's connection until its writes are durable. False when they already are. */
static bool park(struct req *r)
{
    return tx_wait(r->wait_epoch, suspend_conn, resume_conn, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls;
    (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->conn = conn;
        r->method = method;
        r->started_mono_us = clock_mono_us();
        snprintf(r->path, sizeof r->path, "%s", url);
        *con_cls = r;
        r->counted = true;
        __atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST); /* counted before the check below */
        if (__atomic_load_n(&refusing, __ATOMIC_SEQ_CST)) {
            r->counted = false;
            __atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
            return MHD_NO;
        }
        /* The route's body limit applies from the first byte. */
        char allow[128];
        bool known;
        char *params[REQ_MAX_PARAMS] = {0};
        int np = 0;
        const struct route *rt = routes_match(method, r->path, params, &np, &known, allow, sizeof allow);
        for (int i = 0; i < np; i++)
            free(params[i]);
        r->limit = body_limit(rt);
        /* A declared oversize body is refused before a byte of it is read: the 413 goes out now
         * (no 100 Continue is sent) and the connection closes after it, so the server never
         * waits for, reads or stores the body. MHD validated Content-Length already. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > r->limit)
            return refuse_oversize(r);
        return MHD_YES;
    }
    if (r->parked) {
        /* Resumed: the commit holding this request's writes has happened (or failed). */
        r->parked = false;
        return answer(r);
    }
    if (r->refused) { /* 413 queued on the first call; MHD may still hand over bytes */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size && r->over) {
        /* Past the limit of a body without a declared length (chunked): nothing more is stored.
         * MHD can queue a reply only before the body or after all of it, so the rest is read and
         * dropped for at most one more limit's worth (then the 413 goes out); a longer body is
         * cut off there by closing the connection. */
        r->over += *upload_data_size;
        *upload_data_size = 0;
        return r->over > r->limit ? MHD_NO : MHD_YES;
    }
    if (*upload_data_size) {
        if (r->body_len + *upload_data_size > r->limit) {
            r->over = *upload_data_size;
            *upload_data_size = 0;
            return r->over > r->limit ? MHD_NO : MHD_YES;
        }
        if (r->body_len + *upload_data_size + 1 > r->body_cap) {
            r->body_cap = (r->body_len + *upload_data_size + 1) * 2;
            if (r->body_cap > r->limit + 1)
                r->body_cap = r->limit + 1;
            r->body = xrealloc(r->body, r->body_cap);
        }
        memcpy(r->body + r->body_len, upload_data, *upload_data_size);
        r->body_len += *upload_data_size;
        r->body[r->body_len] = '\0';
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->over) /* the whole oversize chunked body has gone by: answer 413 and close */
        return refuse_oversize(r);
    dispatch(r);
    if (r->wait_epoch && park(r))
        return MHD_YES; /* answered when the commit lands */
    return answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct req *r = *con_cls;
    if (!r)
        return;
    if (r->counted)
        __atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
    if (r->refused && r->linger_fd >= 0) {
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
            linger_add(r->linger_fd); /* the 413 is out */
        else
            close(r->linger_fd);
    }
    int64_t dur = clock_mono_us() - r->started_mono_us;
    metrics_observe_request(r->route, r->status, dur);
    if (r->route != NULL || r->status != 0)
        log_info("http method=%s path=%s status=%u dur_ms=%.3f who=%s", r->method, r->path, r->status,
                 (double)dur / 1000.0, auth_principal_name(&r->who));
    if (r->response)
        MHD_destroy_response(r->response);
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    json_decref(r->json);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* Percent-decodes URLs and query arguments in place, except %00 and %2F, which stay encoded:
 * a NUL can then never cut a path short, and an encoded slash never becomes a path separator
 * (so a path parameter is always exactly one segment). Path parameters are not decoded again. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    char *w = s;
    for (char *p = s; *p; p++) {
        int a, b;
        if (*p == '%' && (a = hex_digit(p[1])) >= 0 && (b = hex_digit(p[2])) >= 0) {
            int v = a * 16 + b;
            if (v == 0 || v == '/') {
                *w++ = *p; /* keep the escape as is */
                continue;
            }
            *w++ = (char)v;
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

struct http_server *http_start(const char *host, int port, int threads)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        log_error("http: --host must be an IPv4 address, got '%s'", host);
        return NULL;
    }
    struct http_server *h = xcalloc(1, sizeof *h);
    linger_start();
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                                MHD_USE_ITC | MHD_USE_TURBO,
                            (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                            (unsigned)1024, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
    if (!h->d) {
        log_error("http: cannot listen on %s:%d (address in use or not permitted)", host, port);
        linger_stop();
        free(h);
        return NULL;
    }
    return h;
}

void http_stop(struct http_server *h)
{
    if (!h)
        return;
    MHD_quiesce_daemon(h->d);
    __atomic_store_n(&draining, true, __ATOMIC_SEQ_CST);
    sse_shutdown(); /* wakes every stream so it ends */
    /* Let requests already being received or handled finish (at most 10 s), then refuse new
     * ones and wait for any that slipped in between. */
    for (int i = 0; i < 1000 && __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST) > 0; i++)
        usleep(10000);
    __atomic_store_n(&refusing, true, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 500 && __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST) > 0; i++)
        usleep(10000);
    MHD_stop_daemon(h->d);
    linger_stop();
    free(h);
}

int http_port(struct http_server *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : -1;
}
