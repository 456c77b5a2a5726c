/* The container engine (Docker or podman) over its unix socket: hardened create bodies, lifecycle,
 * log streams. */
#include "agent/docker.h"

#include "common/buf.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define API "/v1.41"
#define RESP_MAX (8u << 20)

/* ---------------------------------------------------------------- validation */

static pthread_once_t re_once = PTHREAD_ONCE_INIT;
static regex_t image_re, env_key_re;
static int re_ok;

static void compile_res(void)
{
    const char *img = "^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
                      "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$";
    re_ok = regcomp(&image_re, img, REG_EXTENDED | REG_NOSUB) == 0 &&
            regcomp(&env_key_re, "^[A-Za-z_][A-Za-z0-9_]{0,127}$", REG_EXTENDED | REG_NOSUB) == 0;
}

bool docker_valid_image(const char *image)
{
    pthread_once(&re_once, compile_res);
    size_t n = strlen(image);
    return re_ok && n > 0 && n <= 255 && regexec(&image_re, image, 0, NULL, 0) == 0;
}

int docker_validate_env(json_t *env, char *err, size_t errlen)
{
    pthread_once(&re_once, compile_res);
    if (!env || json_is_null(env))
        return 0;
    if (!json_is_object(env)) {
        snprintf(err, errlen, "environment must be an object");
        return -1;
    }
    if (json_object_size(env) > 64) {
        snprintf(err, errlen, "environment has more than 64 entries");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(env, k, v) {
        if (!re_ok || regexec(&env_key_re, k, 0, NULL, 0) != 0) {
            snprintf(err, errlen, "invalid environment key '%.64s'", k);
            return -1;
        }
        if (!json_is_string(v) || json_string_length(v) > 4096 ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(err, errlen, "invalid environment value for '%s'", k);
            return -1;
        }
    }
    return 0;
}

int docker_validate_command(json_t *cmd, char *err, size_t errlen)
{
    if (!cmd || json_is_null(cmd))
        return 0;
    if (!json_is_array(cmd) || json_array_size(cmd) > 64) {
        snprintf(err, errlen, "command must be an array of at most 64 strings");
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(cmd, i, v) {
        if (!json_is_string(v) || json_string_length(v) > 4096 ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(err, errlen, "command element %zu is not a valid string", i);
            return -1;
        }
    }
    return 0;
}

void docker_container_name(const char *job_id, int attempt, char *out, size_t n)
{
    snprintf(out, n, "xcelsior-%s-%d", job_id, attempt);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int docker_build_create_body(const struct docker_job_spec *s, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!s->image || !docker_valid_image(s->image)) {
        snprintf(err, errlen, "invalid image reference");
        return -1;
    }
    if (docker_validate_env(s->env, err, errlen) || docker_validate_command(s->command, err, errlen))
        return -1;
    if (!s->user || strncmp(s->user, "0", 1) == 0 || strncmp(s->user, "root", 4) == 0) {
        snprintf(err, errlen, "refusing to run a job as root");
        return -1;
    }
    if (!s->network_mode || strcmp(s->network_mode, "host") == 0 || strncmp(s->network_mode, "container:", 10) == 0) {
        snprintf(err, errlen, "refusing network mode '%s'", s->network_mode ? s->network_mode : "(null)");
        return -1;
    }

    json_t *body = json_object();
    json_object_set_new(body, "Image", json_string(s->image));
    if (s->command && json_array_size(s->command) > 0)
        json_object_set(body, "Cmd", s->command);
    /* Environment in key order. */
    json_t *env = json_array();
    size_t nenv = s->env && json_is_object(s->env) ? json_object_size(s->env) : 0;
    if (nenv) {
        const char **keys = xcalloc(nenv, sizeof *keys);
        size_t i = 0;
        const char *k;
        json_t *v;
        json_object_foreach(s->env, k, v) keys[i++] = k;
        qsort(keys, nenv, sizeof *keys, cmp_str);
        for (i = 0; i < nenv; i++) {
            char *kv = xasprintf("%s=%s", keys[i], json_string_value(json_object_get(s->env, keys[i])));
            json_array_append_new(env, json_string(kv));
            free(kv);
        }
        free(keys);
    }
    json_object_set_new(body, "Env", env);
    json_object_set_new(body, "User", json_string(s->user));
    json_object_set_new(body, "WorkingDir", json_string("/workspace"));
    json_object_set_new(body, "Tty", json_false());
    json_object_set_new(body, "OpenStdin", json_false());
    json_object_set_new(body, "AttachStdin", json_false());
    json_object_set_new(body, "StopTimeout", json_integer(s->stop_timeout));
    char attempt[16];
    snprintf(attempt, sizeof attempt, "%d", s->attempt);
    json_object_set_new(body, "Labels", json_pack("{s:s,s:s,s:s}", "xcelsior.job_id", s->job_id,
                                                  "xcelsior.host_id", s->host_id, "xcelsior.attempt", attempt));

    json_t *hc = json_object();
    json_object_set_new(hc, "Privileged", json_false());
    json_object_set_new(hc, "CapDrop", json_pack("[s]", "ALL"));
    json_object_set_new(hc, "SecurityOpt", json_pack("[s]", "no-new-privileges"));
    json_object_set_new(hc, "ReadonlyRootfs", json_true());
    char t1[96], t2[96], t3[96];
    snprintf(t1, sizeof t1, "rw,noexec,nosuid,nodev,size=%dm,mode=1777", s->tmpfs_tmp_mb);
    snprintf(t2, sizeof t2, "rw,noexec,nosuid,nodev,size=%dm,mode=1777", s->tmpfs_tmp_mb / 2 > 0 ? s->tmpfs_tmp_mb / 2 : 1);
    snprintf(t3, sizeof t3, "rw,nosuid,nodev,size=%dm,mode=1777", s->tmpfs_workspace_mb);
    json_object_set_new(hc, "Tmpfs", json_pack("{s:s,s:s,s:s}", "/tmp", t1, "/var/tmp", t2, "/workspace", t3));
    json_object_set_new(hc, "Memory", json_integer(s->memory_bytes));
    json_object_set_new(hc, "MemorySwap", json_integer(s->memory_bytes));
    json_object_set_new(hc, "PidsLimit", json_integer(s->pids_limit));
    json_object_set_new(hc, "NetworkMode", json_string(s->network_mode));
    json_object_set_new(hc, "IpcMode", json_string("private"));
    json_object_set_new(hc, "RestartPolicy", json_pack("{s:s}", "Name", "no"));
    json_object_set_new(hc, "AutoRemove", json_false());
    if (s->runtime)
        json_object_set_new(hc, "Runtime", json_string(s->runtime));
    if (s->gpu_devices && s->ngpu > 0) {
        json_t *ids = json_array();
        for (int i = 0; i < s->ngpu; i++) {
            char b[16];
            snprintf(b, sizeof b, "%d", s->gpu_ids[i]);
            json_array_append_new(ids, json_string(b));
        }
        json_object_set_new(hc, "DeviceRequests",
                            json_pack("[{s:s,s:o,s:[[s]]}]", "Driver", "nvidia", "DeviceIDs", ids, "Capabilities", "gpu"));
    }
    if (s->nfs_source) {
        json_object_set_new(hc, "Mounts", json_pack("[{s:s,s:s,s:s,s:b}]", "Type", "bind", "Source", s->nfs_source,
                                                    "Target", "/data/nfs", "ReadOnly", 1));
    }
    json_object_set_new(body, "HostConfig", hc);
    *out = body;
    return 0;
}

/* ---------------------------------------------------------------- log demux */

void docker_demux_init(struct docker_demux *d, size_t max_line, docker_line_cb cb, void *ud)
{
    memset(d, 0, sizeof *d);
    d->max_line = max_line;
    d->cb = cb;
    d->ud = ud;
}

static void emit(struct docker_demux *d, int s)
{
    size_t len = d->line[s].len;
    if (len > 0 && d->line[s].buf[len - 1] == '\r')
        len--;
    d->cb(d->ud, s, d->line[s].buf ? d->line[s].buf : "", len);
    d->line[s].len = 0;
    d->line[s].cut = false;
}

static void add_bytes(struct docker_demux *d, int s, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        size_t room = d->max_line - d->line[s].len;
        size_t copy = take < room ? take : room;
        if (copy < take)
            d->line[s].cut = true;
        if (copy > 0) {
            if (!d->line[s].buf)
                d->line[s].buf = xmalloc(d->max_line + 1);
            memcpy(d->line[s].buf + d->line[s].len, p, copy);
            d->line[s].len += copy;
        }
        if (!nl)
            return;
        emit(d, s);
        p = nl + 1;
        n -= take + 1;
    }
}

void docker_demux_feed(struct docker_demux *d, const char *data, size_t n)
{
    while (n > 0) {
        if (d->remaining == 0) {
            size_t need = 8 - d->hdr_len;
            size_t k = n < need ? n : need;
            memcpy(d->hdr + d->hdr_len, data, k);
            d->hdr_len += k;
            data += k;
            n -= k;
            if (d->hdr_len < 8)
                return;
            d->hdr_len = 0;
            d->stream = (d->hdr[0] == 2) ? 2 : 1;
            d->remaining = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 | (uint32_t)d->hdr[6] << 8 | d->hdr[7];
            continue;
        }
        size_t k = n < d->remaining ? n : d->remaining;
        add_bytes(d, d->stream, data, k);
        d->remaining -= (uint32_t)k;
        data += k;
        n -= k;
    }
}

void docker_demux_finish(struct docker_demux *d)
{
    for (int s = 1; s <= 2; s++) {
        if (d->line[s].len > 0)
            emit(d, s);
        free(d->line[s].buf);
        d->line[s].buf = NULL;
    }
}

void docker_pull_failure_reason(const char *message, char *out, size_t n)
{
    size_t len = strcspn(message, "\r\n");
    char lower[512];
    snprintf(lower, sizeof lower, "%.*s", (int)(len < sizeof lower - 1 ? len : sizeof lower - 1), message);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strstr(lower, "not found") || strstr(lower, "unauthorized") || strstr(lower, "denied") ||
        strstr(lower, "manifest unknown") || strstr(lower, "no such image"))
        snprintf(out, n, "image_error: %.*s", (int)(len > 300 ? 300 : len), message);
    else
        snprintf(out, n, "network_error: pull failed");
}

/* ---------------------------------------------------------------- client */

struct docker {
    CURL *curl;
    char *socket;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct docker *docker_new(const char *socket_path)
{
    pthread_once(&curl_once, curl_init_once);
    struct docker *d = xcalloc(1, sizeof *d);
    d->curl = curl_easy_init();
    if (!d->curl)
        abort();
    d->socket = xstrdup(socket_path);
    return d;
}

void docker_free(struct docker *d)
{
    if (!d)
        return;
    curl_easy_cleanup(d->curl);
    free(d->socket);
    free(d);
}

static void setup(struct docker *d, const char *method, const char *path, long timeout_ms, struct curl_slist **hl)
{
    CURL *c = d->curl;
    char url[2048];
    snprintf(url, sizeof url, "http://docker%s%s", API, path);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    *hl = curl_slist_append(NULL, "Content-Type: application/json");
    *hl = curl_slist_append(*hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hl);
}

int docker_request(struct docker *d, const char *method, const char *path, json_t *body, long timeout_ms,
                   long *status, char **resp, size_t *resp_len, char *err, size_t errlen)
{
    struct curl_slist *hl = NULL;
    struct buf b = {.max = RESP_MAX};
    char *payload = NULL;
    int rc = -1;
    *status = 0;
    if (resp)
        *resp = NULL;
    setup(d, method, path, timeout_ms, &hl);
    curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, buf_write_cb);
    curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &b);
    if (body) {
        payload = json_dumps(body, JSON_COMPACT);
        curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE, 0L);
    }
    CURLcode cc = curl_easy_perform(d->curl);
    if (cc != CURLE_OK) {
        if (err)
            snprintf(err, errlen, "%s", b.overflow ? "response too large" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, status);
    if (resp) {
        *resp = buf_take(&b, resp_len);
    }
    rc = 0;
out:
    buf_free(&b);
    free(payload);
    curl_slist_free_all(hl);
    return rc;
}

void docker_error_text(const char *body, char *out, size_t n)
{
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(j, "message"));
    if (!m)
        m = body ? body : "";
    size_t len = strcspn(m, "\r\n");
    snprintf(out, n, "%.*s", (int)len, m);
    json_decref(j);
}

int docker_ping(struct docker *d)
{
    long st;
    char *r = NULL;
    int rc = docker_request(d, "GET", "/_ping", NULL, 5000, &st, &r, NULL, NULL, 0);
    free(r);
    return (rc == 0 && st == 200) ? 0 : -1;
}

char *docker_version_json(struct docker *d)
{
    long st;
    char *r = NULL;
    if (docker_request(d, "GET", "/version", NULL, 5000, &st, &r, NULL, NULL, 0) != 0 || st != 200) {
        free(r);
        return NULL;
    }
    return r;
}

json_t *docker_runtimes(struct docker *d)
{
    long st;
    char *r = NULL;
    json_t *out = NULL, *j = NULL;
    if (docker_request(d, "GET", "/info", NULL, 10000, &st, &r, NULL, NULL, 0) != 0 || st != 200)
        goto done;
    j = json_loads(r, 0, NULL);
    json_t *rt = json_object_get(j, "Runtimes");
    if (!json_is_object(rt))
        goto done;
    out = json_array();
    const char *name;
    json_t *v;
    json_object_foreach(rt, name, v) {
        const char *path = json_string_value(json_object_get(v, "path"));
        if (!path)
            path = json_string_value(json_object_get(v, "Path"));
        /* The engine lists configured runtimes; a named binary must also exist here. Docker
         * names runc by command only ("runc"); that and io.containerd.* entries are kept. */
        if (path && path[0] == '/' && access(path, X_OK) != 0)
            continue;
        json_array_append_new(out, json_string(name));
    }
done:
    json_decref(j);
    free(r);
    return out;
}

static char *escape(struct docker *d, const char *s)
{
    char *e = curl_easy_escape(d->curl, s, 0);
    char *r = xstrdup(e ? e : "");
    curl_free(e);
    return r;
}

int docker_image_present(struct docker *d, const char *image)
{
    long st;
    char *r = NULL;
    /* Image names go into the path as they are: the reference was validated (no '?', '#', '%'). */
    if (!docker_valid_image(image))
        return -1;
    char path[512];
    snprintf(path, sizeof path, "/images/%s/json", image);
    int rc = docker_request(d, "GET", path, NULL, 15000, &st, &r, NULL, NULL, 0);
    free(r);
    if (rc != 0)
        return -1;
    return st == 200 ? 1 : st == 404 ? 0 : -1;
}

int docker_pull(struct docker *d, const char *image, long timeout_ms, char *reason, size_t n)
{
    long st;
    char *r = NULL, err[256] = "";
    int rc = -1;
    if (!docker_valid_image(image)) {
        snprintf(reason, n, "image_error: invalid image reference");
        return -1;
    }
    char *e = escape(d, image);
    char *path = xasprintf("/images/create?fromImage=%s", e);
    free(e);
    if (docker_request(d, "POST", path, NULL, timeout_ms, &st, &r, NULL, err, sizeof err) != 0) {
        snprintf(reason, n, "network_error: pull failed");
        log_warn("pull %s: %s", image, err);
        goto out;
    }
    if (st != 200) {
        char msg[512];
        docker_error_text(r, msg, sizeof msg);
        log_warn("pull %s: HTTP %ld: %s", image, st, msg);
        docker_pull_failure_reason(msg, reason, n);
        goto out;
    }
    /* A 200 stream can still carry {"error": ...} lines. */
    char *save = NULL;
    for (char *line = strtok_r(r, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *em = json_string_value(json_object_get(j, "error"));
        if (em && *em) {
            log_warn("pull %s: %s", image, em);
            docker_pull_failure_reason(em, reason, n);
            json_decref(j);
            goto out;
        }
        json_decref(j);
    }
    rc = 0;
out:
    free(path);
    free(r);
    return rc;
}

int docker_create(struct docker *d, const char *name, json_t *body, char *id, size_t idlen, long *status,
                  char *err, size_t errlen)
{
    char *r = NULL;
    int rc = -1;
    char path[256];
    snprintf(path, sizeof path, "/containers/create?name=%s", name);
    if (docker_request(d, "POST", path, body, 60000, status, &r, NULL, err, errlen) != 0)
        goto out;
    if (*status != 201 && *status != 200) {
        docker_error_text(r, err, errlen);
        goto out;
    }
    json_t *j = json_loads(r, 0, NULL);
    const char *cid = json_string_value(json_object_get(j, "Id"));
    if (cid && *cid) {
        snprintf(id, idlen, "%s", cid);
        rc = 0;
    } else {
        snprintf(err, errlen, "engine returned no container id");
    }
    json_decref(j);
out:
    free(r);
    return rc;
}

int docker_start(struct docker *d, const char *id, char *err, size_t errlen)
{
    long st;
    char *r = NULL;
    char path[256];
    snprintf(path, sizeof path, "/containers/%s/start", id);
    int rc = docker_request(d, "POST", path, NULL, 60000, &st, &r, NULL, err, errlen);
    if (rc == 0 && st != 204 && st != 304) {
        docker_error_text(r, err, errlen);
        rc = -1;
    }
    free(r);
    return rc;
}

int docker_kill(struct docker *d, const char *id, const char *signal)
{
    long st;
    char *r = NULL;
    char path[256];
    snprintf(path, sizeof path, "/containers/%s/kill?signal=%s", id, signal);
    int rc = docker_request(d, "POST", path, NULL, 10000, &st, &r, NULL, NULL, 0);
    free(r);
    if (rc != 0)
        return -1;
    return (st == 204 || st == 409 || st == 404 || st == 200) ? 0 : -1;
}

int docker_remove(struct docker *d, const char *id)
{
    long st;
    char *r = NULL;
    char path[256];
    snprintf(path, sizeof path, "/containers/%s?force=1&v=1", id);
    int rc = docker_request(d, "DELETE", path, NULL, 30000, &st, &r, NULL, NULL, 0);
    free(r);
    return (rc == 0 && (st == 204 || st == 200 || st == 404)) ? 0 : -1;
}

int docker_wait(struct docker *d, const char *id, long timeout_ms)
{
    long st;
    char *r = NULL;
    char path[256];
    int code = -1;
    snprintf(path, sizeof path, "/containers/%s/wait?condition=not-running", id);
    if (docker_request(d, "POST", path, NULL, timeout_ms, &st, &r, NULL, NULL, 0) == 0 && st == 200) {
        json_t *j = json_loads(r, 0, NULL);
        json_t *sc = json_object_get(j, "StatusCode");
        if (json_is_integer(sc))
            code = (int)json_integer_value(sc);
        json_decref(j);
    }
    free(r);
    return code;
}

int docker_inspect(struct docker *d, const char *id, struct docker_state *stt)
{
    long st;
    char *r = NULL;
    char path[256];
    int rc = -1;
    memset(stt, 0, sizeof *stt);
    snprintf(path, sizeof path, "/containers/%s/json", id);
    if (docker_request(d, "GET", path, NULL, 10000, &st, &r, NULL, NULL, 0) != 0)
        goto out;
    if (st == 404) {
        rc = 1;
        goto out;
    }
    if (st != 200)
        goto out;
    json_t *j = json_loads(r, 0, NULL);
    json_t *s = json_object_get(j, "State");
    snprintf(stt->status, sizeof stt->status, "%s", json_string_value(json_object_get(s, "Status")) ?: "");
    stt->exit_code = (int)json_integer_value(json_object_get(s, "ExitCode"));
    stt->oom_killed = json_is_true(json_object_get(s, "OOMKilled"));
    stt->pid = (int)json_integer_value(json_object_get(s, "Pid"));
    json_decref(j);
    rc = 0;
out:
    free(r);
    return rc;
}

struct follow {
    struct docker_demux *dm;
    int (*tick)(void *);
    void *ud;
};

static size_t follow_write(char *data, size_t sz, size_t nm, void *ud)
{
    struct follow *f = ud;
    docker_demux_feed(f->dm, data, sz * nm);
    return sz * nm;
}

static int follow_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t e)
{
    (void)a, (void)b, (void)c, (void)e;
    struct follow *f = ud;
    return f->tick ? f->tick(f->ud) : 0;
}

int docker_follow_logs(struct docker *d, const char *id, struct docker_demux *dm, int (*tick)(void *), void *ud)
{
    struct curl_slist *hl = NULL;
    struct follow f = {dm, tick, ud};
    char path[256];
    snprintf(path, sizeof path, "/containers/%s/logs?follow=1&stdout=1&stderr=1", id);
    setup(d, "GET", path, 0, &hl);
    curl_easy_setopt(d->curl, CURLOPT_TIMEOUT_MS, 0L);
    curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, follow_write);
    curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(d->curl, CURLOPT_XFERINFOFUNCTION, follow_progress);
    curl_easy_setopt(d->curl, CURLOPT_XFERINFODATA, &f);
    CURLcode cc = curl_easy_perform(d->curl);
    long st = 0;
    curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(hl);
    return (cc == CURLE_OK && st == 200) ? 0 : -1;
}

json_t *docker_list_job_containers(struct docker *d, const char *host_id)
{
    long st;
    char *r = NULL;
    json_t *out = NULL, *j = NULL;
    char filt[256];
    snprintf(filt, sizeof filt, "{\"label\":[\"xcelsior.host_id=%s\"]}", host_id);
    char *e = escape(d, filt);
    char *path = xasprintf("/containers/json?all=1&filters=%s", e);
    free(e);
    if (docker_request(d, "GET", path, NULL, 15000, &st, &r, NULL, NULL, 0) != 0 || st != 200)
        goto done;
    j = json_loads(r, 0, NULL);
    out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(j, i, c) {
        json_t *labels = json_object_get(c, "Labels");
        const char *hid = json_string_value(json_object_get(labels, "xcelsior.host_id"));
        const char *jid = json_string_value(json_object_get(labels, "xcelsior.job_id"));
        const char *att = json_string_value(json_object_get(labels, "xcelsior.attempt"));
        const char *id = json_string_value(json_object_get(c, "Id"));
        const char *state = json_string_value(json_object_get(c, "State"));
        if (!hid || strcmp(hid, host_id) != 0 || !jid || !id)
            continue;
        long attempt = att ? strtol(att, NULL, 10) : 0;
        json_array_append_new(out, json_pack("{s:s,s:s,s:i,s:s}", "id", id, "job_id", jid, "attempt",
                                             (int)attempt, "state", state ? state : ""));
    }
done:
    free(path);
    json_decref(j);
    free(r);
    return out;
}
