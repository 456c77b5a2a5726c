/* HTTP transport of the CLI: libcurl requests, error envelopes, Server-Sent Events. */
#include "cli/cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/xalloc.h"

#ifndef XC_VERSION
#define XC_VERSION "0.0.0"
#endif

#define CLI_MAX_BODY (64u * 1024u * 1024u - 1u) /* refuse absurd responses */

/* ---------- context ---------- */

static char *trim_dup(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return xstrndup(s, n);
}

void cli_ctx_resolve(struct cli_ctx *ctx)
{
    const char *url, *tok;
    size_t n;

    if (ctx->resolved)
        return;
    ctx->resolved = 1;

    url = ctx->url_opt;
    if (!url || !*url)
        url = getenv("XCELSIOR_API_URL");
    if (!url || !*url)
        url = CLI_DEFAULT_URL;
    ctx->base_url = trim_dup(url, strlen(url));
    n = strlen(ctx->base_url);
    while (n > 0 && ctx->base_url[n - 1] == '/')
        ctx->base_url[--n] = '\0';

    tok = ctx->token_opt;
    if (!tok)
        tok = getenv("XCELSIOR_API_TOKEN");
    if (tok && *tok) {
        ctx->token = trim_dup(tok, strlen(tok));
        if (!*ctx->token) {
            free(ctx->token);
            ctx->token = NULL;
        }
    } else if (!ctx->token_opt) {
        ctx->token = cli_token_read();
    }

    {
        const char *nc = getenv("NO_COLOR");
        const char *term = getenv("TERM");
        ctx->color = !ctx->no_color && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0) &&
                     isatty(STDOUT_FILENO);
    }
}

void cli_ctx_free(struct cli_ctx *ctx)
{
    free(ctx->base_url);
    free(ctx->token);
    ctx->base_url = NULL;
    ctx->token = NULL;
}

void cli_http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cli_http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---------- plain requests ---------- */

static int url_ok(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* One line for a transport failure; returns the exit status to use. */
static int report_transport(const struct cli_ctx *ctx, CURLcode rc)
{
    const char *why;

    switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        fprintf(stderr, "error: invalid server URL '%s'\n", ctx->base_url);
        return CLI_EXIT_USAGE;
    case CURLE_COULDNT_CONNECT:
        why = "connection refused";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        why = "could not resolve host";
        break;
    case CURLE_COULDNT_RESOLVE_PROXY:
        why = "could not resolve proxy";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        why = "timed out";
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        why = "TLS handshake failed";
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        why = "connection closed unexpectedly";
        break;
    case CURLE_WRITE_ERROR:
        why = "response too large";
        break;
    default:
        why = "connection failed";
        break;
    }
    if (!ctx->quiet)
        fprintf(stderr, "error: cannot reach the Xcelsior server at %s (%s)\n", ctx->base_url, why);
    return CLI_EXIT_UNREACH;
}

static struct curl_slist *make_headers(const struct cli_ctx *ctx, int has_body, const char *accept)
{
    struct curl_slist *h = NULL;
    char line[8192];

    snprintf(line, sizeof line, "Accept: %s", accept);
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "Expect:");
    if (has_body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (ctx->token) {
        if (snprintf(line, sizeof line, "Authorization: Bearer %s", ctx->token) < (int)sizeof line)
            h = curl_slist_append(h, line);
    }
    return h;
}

static CURL *make_easy(const struct cli_ctx *ctx, const char *path)
{
    CURL *c = curl_easy_init();
    char *url;

    if (!c) {
        fprintf(stderr, "error: cannot initialise the HTTP client\n");
        exit(CLI_EXIT_UNREACH);
    }
    url = xasprintf("%s%s", ctx->base_url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "xcelsior-cli/" XC_VERSION);
    return c;
}

static long env_timeout(void)
{
    const char *s = getenv("XCELSIOR_CLI_TIMEOUT");
    char *end;
    long v;

    if (!s || !*s)
        return 120;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v <= 0)
        return 120;
    return v;
}

int cli_http_request(struct cli_ctx *ctx, const char *method, const char *path, const char *body,
                     struct cli_resp *out)
{
    CURL *c = NULL;
    struct curl_slist *hdr = NULL;
    struct buf b = {.max = CLI_MAX_BODY};
    CURLcode rc;
    int ret = -1;

    memset(out, 0, sizeof *out);
    cli_ctx_resolve(ctx);
    if (!url_ok(ctx->base_url)) {
        fprintf(stderr, "error: invalid server URL '%s' (expected http:// or https://)\n",
                ctx->base_url);
        return -2;
    }

    c = make_easy(ctx, path);
    hdr = make_headers(ctx, body != NULL, "application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, env_timeout());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);

    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        } else if (strcmp(method, "DELETE") != 0) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
        }
    }

    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        ret = report_transport(ctx, rc) == CLI_EXIT_USAGE ? -2 : -1;
        buf_free(&b);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    {
        curl_off_t ra = -1;
        if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
            out->retry_after = ra > 86400 ? 86400 : (long)ra;
    }
    out->body = buf_take(&b, &out->len);
    if (out->len > 0) {
        json_error_t err;
        out->json = json_loadb(out->body, out->len, JSON_DECODE_ANY, &err);
    }
    ret = 0;
out:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return ret;
}

void cli_resp_free(struct cli_resp *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

char *cli_path_escape(const char *segment)
{
    char *e = curl_easy_escape(NULL, segment, 0);
    char *r;

    if (!e) {
        fprintf(stderr, "error: out of memory\n");
        exit(CLI_EXIT_API);
    }
    r = xstrdup(e);
    curl_free(e);
    return r;
}

/* ---------- errors ---------- */

static void flatten_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

static const char *status_text(long st)
{
    switch (st) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* "body.field: msg; ..." for validation errors, or NULL. */
static char *validation_details(const json_t *err)
{
    const json_t *details = json_object_get(err, "details");
    char out[1024];
    size_t used = 0;
    size_t i;
    const json_t *d;

    if (!json_is_array(details) || json_array_size(details) == 0)
        return NULL;
    out[0] = '\0';
    json_array_foreach(details, i, d) {
        const json_t *loc = json_object_get(d, "loc");
        const char *msg = json_string_value(json_object_get(d, "msg"));
        char where[256] = "";
        size_t wl = 0, j;
        const json_t *part;
        int w;

        if (json_is_array(loc)) {
            json_array_foreach(loc, j, part) {
                char tmp[128];
                if (json_is_string(part))
                    snprintf(tmp, sizeof tmp, "%s", json_string_value(part));
                else if (json_is_integer(part))
                    snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(part));
                else
                    continue;
                w = snprintf(where + wl, sizeof where - wl, "%s%s", wl ? "." : "", tmp);
                if (w < 0 || (size_t)w >= sizeof where - wl)
                    break;
                wl += (size_t)w;
            }
        }
        w = snprintf(out + used, sizeof out - used, "%s%s%s%s", used ? "; " : "", where,
                     *where ? ": " : "", msg ? msg : "invalid");
        if (w < 0 || (size_t)w >= sizeof out - used)
            break;
        used += (size_t)w;
    }
    return used ? xstrdup(out) : NULL;
}

void cli_print_api_error(const struct cli_resp *r)
{
    const json_t *err = json_is_object(r->json) ? json_object_get(r->json, "error") : NULL;
    const char *msg = NULL;
    char *m = NULL;

    if (json_is_object(err))
        msg = json_string_value(json_object_get(err, "message"));
    else if (json_is_string(err))
        msg = json_string_value(err);
    else if (json_is_object(r->json))
        msg = json_string_value(json_object_get(r->json, "detail"));

    if (msg && *msg) {
        const char *code = json_is_object(err) ? json_string_value(json_object_get(err, "code")) : NULL;
        char *det = (code && strcmp(code, "validation_error") == 0) ? validation_details(err) : NULL;
        m = det ? xasprintf("%s: %s", msg, det) : xstrdup(msg);
        free(det);
    } else if (r->status >= 200 && r->status < 300) {
        m = xasprintf("unexpected response from the server (HTTP %ld)", r->status);
    } else {
        const char *t = status_text(r->status);
        m = xasprintf("HTTP %ld%s%s", r->status, *t ? " " : "", t);
    }
    flatten_line(m);
    fprintf(stderr, "error: %s\n", m);
    free(m);
}

int cli_call(struct cli_ctx *ctx, const char *method, const char *path, const char *body,
             struct cli_resp *out)
{
    int rc = cli_http_request(ctx, method, path, body, out);

    if (rc == -2)
        return CLI_EXIT_USAGE;
    if (rc < 0)
        return CLI_EXIT_UNREACH;
    if (out->status >= 200 && out->status < 300) {
        if (out->status == 204 || json_is_object(out->json)) {
            if (json_is_object(out->json) && json_is_false(json_object_get(out->json, "ok"))) {
                cli_print_api_error(out);
                return CLI_EXIT_API;
            }
            return CLI_EXIT_OK;
        }
    }
    cli_print_api_error(out);
    return CLI_EXIT_API;
}

/* ---------- Server-Sent Events ---------- */

struct sse_state {
    struct buf line;     /* current partial line */
    struct buf data;     /* accumulated data lines of the current message */
    char event[128];
    cli_sse_cb cb;
    void *arg;
    CURL *curl;
    long status;
    int checked;
    int stopped;
    struct buf errbody; /* body of a non-200 answer */
};

static void sse_dispatch(struct sse_state *s)
{
    if (s->data.len == 0 && !s->event[0])
        return;
    if (!s->stopped && s->cb(s->arg, s->event[0] ? s->event : "message", buf_str(&s->data)) != 0)
        s->stopped = 1;
    s->event[0] = '\0';
    buf_clear(&s->data);
}

static void sse_line(struct sse_state *s, char *line)
{
    char *val;
    size_t n = strlen(line);

    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    if (n == 0) {
        sse_dispatch(s);
        return;
    }
    if (line[0] == ':')
        return; /* comment / keepalive */
    val = strchr(line, ':');
    if (val) {
        *val++ = '\0';
        if (*val == ' ')
            val++;
    } else {
        val = line + n;
    }
    if (strcmp(line, "event") == 0) {
        snprintf(s->event, sizeof s->event, "%s", val);
    } else if (strcmp(line, "data") == 0) {
        if (s->data.len > 0)
            buf_putc(&s->data, '\n');
        buf_puts(&s->data, val);
    }
}

static size_t sse_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sse_state *s = arg;
    size_t n = size * nmemb, i;

    if (!s->checked) {
        s->checked = 1;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
    }
    if (s->status != 200) {
        return buf_write_cb(data, 1, n, &s->errbody);
    }
    for (i = 0; i < n; i++) {
        if (data[i] == '\n') {
            buf_put(&s->line, "", 0); /* a line of its own even when empty */
            sse_line(s, s->line.p);
            buf_clear(&s->line);
            if (s->stopped)
                return 0; /* abort the transfer: we are done */
        } else {
            if (buf_putc(&s->line, data[i]) != 0)
                return 0;
        }
    }
    return n;
}

int cli_sse_stream(struct cli_ctx *ctx, const char *path, long timeout_s, cli_sse_cb cb, void *arg)
{
    struct sse_state s;
    struct curl_slist *hdr = NULL;
    CURL *c;
    CURLcode rc;
    int ret = CLI_EXIT_OK;

    memset(&s, 0, sizeof s);
    s.line.max = s.data.max = s.errbody.max = CLI_MAX_BODY;
    s.cb = cb;
    s.arg = arg;
    cli_ctx_resolve(ctx);
    if (!url_ok(ctx->base_url)) {
        fprintf(stderr, "error: invalid server URL '%s' (expected http:// or https://)\n",
                ctx->base_url);
        return CLI_EXIT_USAGE;
    }
    c = make_easy(ctx, path);
    s.curl = c;
    hdr = make_headers(ctx, 0, "text/event-stream");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 1024L);
    if (timeout_s > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);

    rc = curl_easy_perform(c);
    if (!s.checked)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s.status);

    if (s.status != 0 && s.status != 200) {
        struct cli_resp r = {0};
        r.status = s.status;
        r.body = buf_take(&s.errbody, &r.len);
        if (r.len)
            r.json = json_loadb(r.body, r.len, JSON_DECODE_ANY, NULL);
        cli_print_api_error(&r);
        cli_resp_free(&r);
        ret = CLI_EXIT_API;
    } else if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && s.stopped) ||
               (rc == CURLE_OPERATION_TIMEDOUT && s.status == 200)) {
        if (s.line.len > 0)
            sse_line(&s, s.line.p);
        sse_dispatch(&s); /* a final message without its blank line */
        ret = CLI_EXIT_OK;
    } else if (s.status == 200 && (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
                                   rc == CURLE_GOT_NOTHING)) {
        ret = CLI_EXIT_OK; /* the server ended the stream */
    } else {
        ret = report_transport(ctx, rc);
    }

    buf_free(&s.line);
    buf_free(&s.data);
    buf_free(&s.errbody);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return ret;
}
