#ifndef XC_AGENT_HTTP_H
#define XC_AGENT_HTTP_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Process-wide libcurl initialisation, before any thread starts. TLS libraries are initialised
 * eagerly only for an https control plane (an http one and the engine's unix socket need none,
 * which keeps the idle agent small). */
void agent_http_global_init(const char *base_url);

/* A client for the control-plane API. Not thread-safe: each thread owns its own. */
struct agent_http;

/* base_url: scheduler URL (trailing '/' are ignored); token: "" for none. Caller frees with
 * agent_http_free. */
struct agent_http *agent_http_new(const char *base_url, const char *token);
void agent_http_free(struct agent_http *h);
/* Replaces the bearer token ("" for none). */
void agent_http_set_token(struct agent_http *h, const char *token);

/* Sends method path with body (JSON, may be NULL) and waits at most timeout_ms.
 * Returns 0 when an HTTP response arrived: *status holds its code and *resp (when resp is
 * non-NULL) the parsed JSON body or NULL (caller owns it). Returns -1 on a transport failure
 * (connection refused, timeout, oversized body) with *status = 0. */
int agent_http_call(struct agent_http *h, const char *method, const char *path, json_t *body,
                    long timeout_ms, long *status, json_t **resp);

/* GET path, counting and discarding the body (any size) within timeout_ms: returns 0 with
 * *status, *bytes received and *seconds the transfer took, or -1 on a transport failure. */
int agent_http_download(struct agent_http *h, const char *path, long timeout_ms, long *status, uint64_t *bytes,
                        double *seconds);

/* Headers sent on every call (for tests): writes up to n header strings into out and returns
 * their number. The strings point into h. */
size_t agent_http_headers(struct agent_http *h, const char **out, size_t n);

/* The "error.message" of an error envelope, or "" (points into j). */
const char *agent_http_error_message(json_t *j);

#endif
