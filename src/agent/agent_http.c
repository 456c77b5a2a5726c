/* The agent's client of the control-plane API: libcurl, bearer token, bounded JSON responses. */
#include "agent/agent_http.h"

#include "agent/agent_config.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RESP_MAX (4u << 20) /* response bodies above 4 MiB are refused */

struct agent_http {
    CURL *curl;
    char *base;
    char *auth_header; /* NULL when no token */
    const char *hdrs[2];
    size_t nhdrs;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void scrub_free(char *s)
{
    if (s) {
        /* The header holds the token: scrub it before releasing the memory. */
        memset(s, 0, strlen(s));
        free(s);
    }
}

void agent_http_set_token(struct agent_http *h, const char *token)
{
    scrub_free(h->auth_header);
    h->auth_header = NULL;
    h->nhdrs = 0;
    h->hdrs[h->nhdrs++] = "Content-Type: application/json";
    if (token && *token) {
        h->auth_header = xasprintf("Authorization: Bearer %s", token);
        h->hdrs[h->nhdrs++] = h->auth_header;
    }
}

void agent_http_global_init(const char *base_url)
{
    curl_global_init(strncmp(base_url, "https:", 6) == 0 ? CURL_GLOBAL_DEFAULT : CURL_GLOBAL_NOTHING);
}

struct agent_http *agent_http_new(const char *base_url, const char *token)
{
    pthread_once(&curl_once, curl_init_once);
    struct agent_http *h = xcalloc(1, sizeof *h);
    h->curl = curl_easy_init();
    if (!h->curl) {
        log_error("curl_easy_init failed");
        abort();
    }
    h->base = agent_url_join(base_url, "");
    agent_http_set_token(h, token);
    return h;
}

void agent_http_free(struct agent_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    scrub_free(h->auth_header);
    free(h->base);
    free(h);
}

size_t agent_http_headers(struct agent_http *h, const char **out, size_t n)
{
    size_t i;
    for (i = 0; i < h->nhdrs && i < n; i++)
        out[i] = h->hdrs[i];
    return h->nhdrs;
}

const char *agent_http_error_message(json_t *j)
{
    const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (!m)
        m = json_string_value(json_object_get(j, "detail"));
    return m ? m : "";
}

int agent_http_call(struct agent_http *h, const char *method, const char *path, json_t *body,
                    long timeout_ms, long *status, json_t **resp)
{
    int rc = -1;
    char *url = xasprintf("%s%s", h->base, path);
    char *payload = NULL;
    struct curl_slist *hl = NULL;
    struct buf b = {.max = RESP_MAX};
    CURL *c = h->curl;

    *status = 0;
    if (resp)
        *resp = NULL;
    curl_easy_reset(c);
    for (size_t i = 0; i < h->nhdrs; i++)
        hl = curl_slist_append(hl, h->hdrs[i]);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (body) {
        payload = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
        if (!payload)
            goto out;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        log_debug("%s %s: %s", method, path, b.overflow ? "response too large" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (resp && b.len > 0)
        *resp = json_loadb(b.p, b.len, 0, NULL);
    rc = 0;
out:
    curl_slist_free_all(hl);
    free(payload);
    buf_free(&b);
    free(url);
    return rc;
}

static size_t count_cb(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    *(uint64_t *)ud += (uint64_t)(sz * n);
    return sz * n;
}

int agent_http_download(struct agent_http *h, const char *path, long timeout_ms, long *status, uint64_t *bytes,
                        double *seconds)
{
    char *url = xasprintf("%s%s", h->base, path);
    struct curl_slist *hl = NULL;
    CURL *c = h->curl;
    *status = 0;
    *bytes = 0;
    *seconds = 0;
    curl_easy_reset(c);
    for (size_t i = 0; i < h->nhdrs; i++)
        hl = curl_slist_append(hl, h->hdrs[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, bytes);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode cc = curl_easy_perform(c);
    int rc = -1;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, seconds);
        rc = 0;
    } else {
        log_debug("GET %s: %s", path, curl_easy_strerror(cc));
    }
    curl_slist_free_all(hl);
    free(url);
    return rc;
}
