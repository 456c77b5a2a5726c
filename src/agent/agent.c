#include "agent/agent.h"

#include "agent/agent_exec.h"
#include "agent/agent_http.h"
#include "agent/docker.h"
#include "agent/fw.h"
#include "agent/mesh.h"
#include "agent/mining.h"
#include "agent/nvml.h"
#include "agent/probe.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/fixed.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_GPUS 64
#define LOG_LINE_MAX 10000
#define LOG_BATCH_LINES 200
#define LOG_FLUSH_US 2000000

struct agent;

struct agent_job {
    struct agent *a;
    char job_id[80];
    json_t *job;
    pthread_t thread;
    bool thread_started;
    /* Guarded by a->mu. */
    bool leased, done;
    int lease_duration_s;
    int64_t next_renew_us;
    char stop_reason[32];
    char mining_reason[160];
    int64_t stop_sent_us;
    int stop_grace_s;
    bool sigkill_sent;
    char container_id[96];
    int gpus[MAX_GPUS];
    int ngpus;
    int attempt;
    struct agent_job *next;
};

struct agent {
    struct agent_config *cfg;
    pthread_t main_thread;
    pthread_mutex_t mu;
    struct fw_host_state fw_host; /* host firewall state this agent added; removed on the way out */
    struct nvml_ctx gpu;
    struct nvml_thermal thermal;
    struct mining_detector mining;
    struct agent_http *http;
    struct docker *docker;
    /* Host facts. */
    char gpu_model[128];
    int gpu_count;
    int64_t total_cgb, free_cgb;
    char ip[64];
    json_t *versions, *runtimes, *engine_runtimes;
    bool engine_podman;
    bool resolver_running; /* the resolver thread holds a reference to this struct */
    /* Control-plane view. */
    char token[160];    /* bearer token in use (guarded by mu) */
    bool token_adopted; /* token is the agent token issued to this host, not the configured one */
    bool token_asked;
    bool registered, admitted;
    char recommended_runtime[16];
    int failures;
    /* Egress. */
    bool egress_enforced;
    struct fw_addrs allow, dns; /* guarded by mu */
    bool allow_changed;
    int ports[16];
    int nports;
    /* Jobs (guarded by mu). */
    struct agent_job *jobs;
    int gpu_load[MAX_GPUS];
    struct nvml_gpu last[MAX_GPUS];
    int nlast;
};

static volatile sig_atomic_t g_stop;

/* ================================================================ pure helpers */

bool agent_tier_requires_sandbox(const char *t)
{
    return t && (strcmp(t, "sovereignty") == 0 || strcmp(t, "regulated") == 0 || strcmp(t, "sovereign") == 0);
}

int agent_pick_gpus(const int *load, int ngpu, int want, int *out)
{
    if (want <= 0 || want > ngpu || ngpu > MAX_GPUS)
        return -1;
    bool used[MAX_GPUS] = {false};
    for (int k = 0; k < want; k++) {
        int best = -1;
        for (int i = 0; i < ngpu; i++)
            if (!used[i] && (best < 0 || load[i] < load[best]))
                best = i;
        if (best < 0)
            return -1; /* cannot happen while want <= ngpu */
        used[best] = true;
    }
    int n = 0;
    for (int i = 0; i < ngpu; i++)
        if (used[i])
            out[n++] = i;
    return 0;
}

json_t *agent_final_report(const char *stop_reason, int exit_code, bool oom_killed, const char *mining_reason)
{
    const char *r = stop_reason ? stop_reason : "";
    if (strcmp(r, "lost") == 0)
        return NULL;
    if (strcmp(r, "preempt") == 0)
        return json_pack("{s:s,s:s}", "status", "preempted", "failure_reason", "preempted");
    if (strcmp(r, "shutdown") == 0)
        return json_pack("{s:s,s:s}", "status", "preempted", "failure_reason", "agent_shutdown");
    if (strcmp(r, "cancel") == 0 || strcmp(r, "insufficient_funds") == 0 || strcmp(r, "max_duration") == 0)
        return json_pack("{s:s,s:s}", "status", "cancelled", "failure_reason", r);
    if (strcmp(r, "mining") == 0)
        return json_pack("{s:s,s:s}", "status", "failed", "failure_reason", "mining_detected");
    if (strcmp(r, "mining_local") == 0)
        return json_pack("{s:s,s:i,s:s}", "status", "failed", "exit_code", exit_code, "failure_reason",
                         mining_reason && *mining_reason ? mining_reason : "mining_detected");
    if (exit_code == 0 && !oom_killed)
        return json_pack("{s:s,s:i}", "status", "completed", "exit_code", 0);
    if (oom_killed)
        return json_pack("{s:s,s:i,s:s}", "status", "failed", "exit_code", 137, "failure_reason", "oom_killed");
    char reason[48];
    snprintf(reason, sizeof reason, "exit code %d", exit_code);
    return json_pack("{s:s,s:i,s:s}", "status", "failed", "exit_code", exit_code, "failure_reason", reason);
}

char *agent_utf8_sanitize(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= n && c != 0;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len == 2 && c < 0xC2)
            ok = false; /* overlong */
        if (ok && len == 3) {
            unsigned cp = (c & 0x0F) << 12 | (p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
            ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (ok && len == 4) {
            unsigned cp = (c & 0x07) << 18 | (p[i + 1] & 0x3F) << 12 | (p[i + 2] & 0x3F) << 6 | (p[i + 3] & 0x3F);
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (ok) {
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
        } else {
            out[o++] = '?';
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

/* ================================================================ small utilities */

static double now_s(void)
{
    return (double)clock_wall_us() / 1e6;
}

static double centi(int64_t c)
{
    return (double)c / 100.0;
}

static void wake_main(struct agent *a)
{
    pthread_kill(a->main_thread, SIGUSR1);
}

/* Sleeps up to ms, returning early when the agent is stopping. */
static void nap_ms(int ms)
{
    while (ms > 0 && !g_stop) {
        int k = ms > 200 ? 200 : ms;
        struct timespec ts = {0, (long)k * 1000000L};
        nanosleep(&ts, NULL);
        ms -= k;
    }
}

static const char *json_str(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

/* ================================================================ host facts */

static int detect_gpus(struct agent *a)
{
    struct agent_config *c = a->cfg;
    char err[256] = "";
    if (c->simulate) {
        nvml_simulate(&a->gpu, c->sim_gpus, c->sim_vram_mgb);
        log_warn("SIMULATED GPUs: %d x %s GB (--simulate); this host runs no real GPU work", c->sim_gpus,
                 vram_fmt(c->sim_vram_mgb, err, sizeof err));
    } else if (nvml_open(&a->gpu, c->nvml_lib) == 0) {
        log_info("NVML loaded from %s (driver %s)", c->nvml_lib, a->gpu.driver_version);
    } else {
        log_warn("NVML unavailable (%s); falling back to nvidia-smi", a->gpu.error);
        char model[128];
        int count;
        int64_t tot, fr;
        if (nvml_smi_discover(model, sizeof model, &count, &tot, &fr, err, sizeof err) != 0) {
            log_error("no GPU found: %s (use --simulate to run without a GPU)", err);
            return -1;
        }
        a->gpu.source = GPU_SRC_SMI;
        nvml_smi_driver_version(a->gpu.driver_version, sizeof a->gpu.driver_version);
    }
    struct nvml_gpu g[MAX_GPUS];
    int n = nvml_collect(&a->gpu, g, MAX_GPUS);
    if (n <= 0) {
        log_error("no GPU found: %s", n < 0 ? "GPU query failed" : "the driver reports 0 devices");
        return -1;
    }
    snprintf(a->gpu_model, sizeof a->gpu_model, "%s", g[0].name[0] ? g[0].name : "Unknown GPU");
    a->gpu_count = n;
    a->total_cgb = a->free_cgb = 0;
    for (int i = 0; i < n; i++) {
        a->total_cgb += nvml_bytes_to_cgb(g[i].mem_total);
        a->free_cgb += nvml_bytes_to_cgb(g[i].mem_free);
    }
    memcpy(a->last, g, sizeof(struct nvml_gpu) * (size_t)n);
    a->nlast = n;
    log_info("GPUs: %d x %s, %.2f GB total", n, a->gpu_model, centi(a->total_cgb));
    return 0;
}

static void gather_versions(struct agent *a)
{
    json_t *v = json_object();
    probe_local_versions(v);
    char *ver = docker_version_json(a->docker);
    if (ver) {
        char version[64], api[32];
        if (probe_parse_engine_version(ver, version, sizeof version, api, sizeof api, &a->engine_podman) == 0)
            json_object_set_new(v, "docker", json_string(version));
        free(ver);
    } else {
        log_warn("container engine at %s is not answering", a->cfg->docker_socket);
    }
    if (a->gpu.driver_version[0])
        json_object_set_new(v, "nvidia_driver", json_string(a->gpu.driver_version));
    if (a->gpu.cuda_version > 0) {
        char cuda[24];
        snprintf(cuda, sizeof cuda, "%d.%d", a->gpu.cuda_version / 1000, (a->gpu.cuda_version % 1000) / 10);
        json_object_set_new(v, "cuda", json_string(cuda));
    }
    if (a->cfg->simulate) {
        /* A simulated host shows it: the GPU stack versions are placeholders an operator must
         * explicitly accept by lowering the admission minimums. */
        json_object_set_new(v, "nvidia_ctk", json_string("0.0.0-simulated"));
        json_object_set_new(v, "simulated", json_string("true"));
    }
    json_object_set_new(v, "agent", json_string("xcelsior-agent " XC_VERSION));

    json_t *rt = json_pack("[s]", "runc");
    json_decref(a->engine_runtimes);
    a->engine_runtimes = docker_runtimes(a->docker);
    size_t i;
    json_t *e;
    json_array_foreach(a->engine_runtimes, i, e) {
        const char *name = json_string_value(e);
        if ((strcmp(name, "runsc") == 0 && json_object_get(v, "runsc")) ||
            ((strcmp(name, "kata") == 0 || strcmp(name, "kata-runtime") == 0) && json_object_get(v, "kata") &&
             json_array_size(rt) < 3))
            json_array_append_new(rt, json_string(strcmp(name, "runsc") == 0 ? "runsc" : "kata"));
    }
    json_decref(a->versions);
    json_decref(a->runtimes);
    a->versions = v;
    a->runtimes = rt;
}

static bool runtime_available(struct agent *a, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(a->runtimes, i, e) if (strcmp(json_string_value(e), name) == 0) return true;
    return false;
}

/* The engine's name for a sandbox runtime ("kata" may be registered as kata-runtime). */
static const char *engine_runtime_name(struct agent *a, const char *which)
{
    size_t i;
    json_t *e;
    json_array_foreach(a->engine_runtimes, i, e) {
        const char *n = json_string_value(e);
        if (strcmp(which, "runsc") == 0 && strcmp(n, "runsc") == 0)
            return "runsc";
        if (strcmp(which, "kata") == 0 && (strcmp(n, "kata") == 0 || strcmp(n, "kata-runtime") == 0))
            return strcmp(n, "kata") == 0 ? "kata" : "kata-runtime";
    }
    return NULL;
}

/* NULL = the engine default (hardened runc). *refuse set when the tier needs a sandbox that
 * this host lacks. */
static const char *choose_runtime(struct agent *a, const char *tier, bool *refuse)
{
    bool need = agent_tier_requires_sandbox(tier);
    *refuse = false;
    const char *rec = a->recommended_runtime;
    bool runsc = runtime_available(a, "runsc"), kata = runtime_available(a, "kata");
    if (a->cfg->prefer_gvisor || need) {
        if (runsc && (strcmp(rec, "runsc") == 0 || need || a->cfg->simulate))
            return engine_runtime_name(a, "runsc");
        if (kata && (strcmp(rec, "kata") == 0 || need))
            return engine_runtime_name(a, "kata");
    }
    if (need)
        *refuse = true;
    return NULL;
}

/* ================================================================ control-plane calls */

static json_t *host_body(struct agent *a, bool with_versions)
{
    char money[32];
    json_t *b = json_object();
    json_object_set_new(b, "host_id", json_string(a->cfg->host_id));
    json_object_set_new(b, "ip", json_string(a->ip));
    json_object_set_new(b, "gpu_model", json_string(a->gpu_model));
    json_object_set_new(b, "gpu_count", json_integer(a->gpu_count));
    json_object_set_new(b, "total_vram_gb", json_real(centi(a->total_cgb)));
    pthread_mutex_lock(&a->mu);
    int64_t fr = a->free_cgb > a->total_cgb ? a->total_cgb : a->free_cgb;
    pthread_mutex_unlock(&a->mu);
    json_object_set_new(b, "free_vram_gb", json_real(centi(fr < 0 ? 0 : fr)));
    json_object_set_new(b, "cost_per_hour", json_real(strtod(money_fmt(a->cfg->cost_per_hour_ucad, money, sizeof money), NULL)));
    if (*a->cfg->country)
        json_object_set_new(b, "country", json_string(a->cfg->country));
    if (*a->cfg->province)
        json_object_set_new(b, "province", json_string(a->cfg->province));
    if (with_versions) {
        json_object_set(b, "versions", a->versions);
        json_object_set(b, "runtimes", a->runtimes);
    }
    return b;
}

static void apply_host(struct agent *a, json_t *host)
{
    if (!json_is_object(host))
        return;
    json_t *adm = json_object_get(host, "admitted");
    if (json_is_boolean(adm)) {
        bool now = json_is_true(adm);
        if (now != a->admitted)
            log_info("host %s is %s by the control plane", a->cfg->host_id, now ? "admitted" : "NOT admitted");
        a->admitted = now;
    }
    const char *rr = json_str(host, "recommended_runtime", NULL);
    if (rr)
        snprintf(a->recommended_runtime, sizeof a->recommended_runtime, "%s", rr);
}

/* ---- agent token: the agent acts as its host's agent principal when it can. The token issued
 * at registration (returned once) is kept in <WORK_DIR>/agent-token, mode 0600. ---- */

static bool valid_agent_token(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n < 8 || n > 150 || strncmp(t, "xh-", 3) != 0)
        return false;
    for (size_t i = 3; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
            return false;
    return true;
}

static char *token_path(struct agent *a)
{
    return xasprintf("%s/agent-token", a->cfg->work_dir);
}

static void load_agent_token(struct agent *a)
{
    if (valid_agent_token(a->cfg->api_token))
        return; /* configured with an agent token already */
    char *path = token_path(a);
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return;
    char host[80] = "", tok[160] = "";
    if (fscanf(f, "%79s %159s", host, tok) == 2 && strcmp(host, a->cfg->host_id) == 0 && valid_agent_token(tok)) {
        snprintf(a->token, sizeof a->token, "%s", tok);
        a->token_adopted = true;
        log_info("using the stored agent token of host %s", host);
    }
    memset(tok, 0, sizeof tok);
    fclose(f);
}

static void adopt_agent_token(struct agent *a, const char *tok)
{
    if (!valid_agent_token(tok))
        return;
    pthread_mutex_lock(&a->mu);
    snprintf(a->token, sizeof a->token, "%s", tok);
    a->token_adopted = true;
    pthread_mutex_unlock(&a->mu);
    agent_http_set_token(a->http, tok);
    char *path = token_path(a);
    char *text = xasprintf("%s %s\n", a->cfg->host_id, tok);
    char *tmp = agent_write_temp(a->cfg->work_dir, ".agent-token-", text, strlen(text));
    if (!tmp || rename(tmp, path) != 0)
        log_warn("cannot store the agent token in %s (kept in memory)", a->cfg->work_dir);
    memset(text, 0, strlen(text));
    free(text);
    free(tmp);
    free(path);
    log_info("acting with the agent token issued to host %s", a->cfg->host_id);
}

static void drop_agent_token(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    snprintf(a->token, sizeof a->token, "%s", a->cfg->api_token);
    a->token_adopted = false;
    pthread_mutex_unlock(&a->mu);
    agent_http_set_token(a->http, a->cfg->api_token);
    char *path = token_path(a);
    unlink(path);
    free(path);
    log_warn("the stored agent token was refused; using XCELSIOR_API_TOKEN");
}

/* With only an operator token (or none), ask once for an agent token of our own. */
static void request_agent_token(struct agent *a)
{
    if (a->token_asked || valid_agent_token(a->token))
        return;
    a->token_asked = true;
    char path[160];
    snprintf(path, sizeof path, "/host/%s/agent-token", a->cfg->host_id);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "POST", path, NULL, 10000, &st, &resp) == 0 && st == 200)
        adopt_agent_token(a, json_str(resp, "agent_token", NULL));
    json_decref(resp);
}

/* PUT /host: registration and heartbeat. Returns 0 on a 2xx answer. */
static int heartbeat(struct agent *a)
{
    json_t *b = host_body(a, false), *resp = NULL;
    long st;
    int rc = agent_http_call(a->http, "PUT", "/host", b, 10000, &st, &resp);
    json_decref(b);
    if (rc != 0) {
        log_warn("heartbeat: control plane unreachable at %s", a->cfg->scheduler_url);
        rc = -1;
    } else if ((st == 401 || st == 403) && a->token_adopted) {
        drop_agent_token(a);
        rc = -1;
    } else if (st / 100 != 2) {
        log_warn("heartbeat: HTTP %ld: %s", st, agent_http_error_message(resp));
        rc = -1;
    } else {
        if (!a->registered)
            log_info("registered host %s (%s)", a->cfg->host_id,
                     json_is_true(json_object_get(resp, "created")) ? "new" : "existing");
        a->registered = true;
        const char *tok = json_str(resp, "agent_token", NULL);
        if (tok)
            adopt_agent_token(a, tok);
        else
            request_agent_token(a);
        apply_host(a, json_object_get(resp, "host"));
    }
    json_decref(resp);
    return rc;
}

/* POST /agent/versions. Returns 1 admitted, 0 rejected, -1 failure. */
static int report_versions(struct agent *a)
{
    json_t *b = json_pack("{s:s,s:O,s:O}", "host_id", a->cfg->host_id, "versions", a->versions, "runtimes", a->runtimes);
    json_t *resp = NULL;
    long st;
    int rc = -1;
    if (agent_http_call(a->http, "POST", "/agent/versions", b, 10000, &st, &resp) != 0) {
        log_warn("version report: control plane unreachable");
        goto out;
    }
    if (st == 404) {
        log_warn("version report: host unknown to the control plane; registering again");
        a->registered = false;
        goto out;
    }
    if (st / 100 != 2) {
        log_warn("version report: HTTP %ld: %s", st, agent_http_error_message(resp));
        goto out;
    }
    apply_host(a, json_object_get(resp, "host"));
    a->admitted = json_is_true(json_object_get(resp, "admitted"));
    json_t *details = json_object_get(resp, "details");
    const char *rr = json_str(details, "recommended_runtime", NULL);
    if (rr)
        snprintf(a->recommended_runtime, sizeof a->recommended_runtime, "%s", rr);
    if (a->admitted) {
        log_info("admitted: recommended runtime %s (%s)", a->recommended_runtime,
                 json_str(details, "runtime_reason", ""));
        rc = 1;
    } else {
        size_t i;
        json_t *r;
        json_t *reasons = json_object_get(details, "rejection_reasons");
        log_warn("admission rejected (%zu reason%s); no work will be accepted", json_array_size(reasons),
                 json_array_size(reasons) == 1 ? "" : "s");
        json_array_foreach(reasons, i, r) log_warn("  rejected: %s", json_string_value(r));
        rc = 0;
    }
out:
    json_decref(b);
    json_decref(resp);
    return rc;
}

/* PATCH /job/{id} until the control plane gives a definitive answer. Returns the HTTP status
 * (0 when it gave up). */
static long report_status(struct agent *a, struct agent_http *h, const char *job_id, json_t *body, int max_tries)
{
    char path[160];
    snprintf(path, sizeof path, "/job/%s", job_id);
    json_object_set_new(body, "host_id", json_string(a->cfg->host_id));
    int delay = 1;
    for (int t = 0; t < max_tries; t++) {
        long st;
        json_t *resp = NULL;
        int rc = agent_http_call(h, "PATCH", path, body, 10000, &st, &resp);
        if (rc == 0 && st / 100 == 2) {
            if (st == 202)
                log_warn("job %s: report '%s' was taken as a new stop request (HTTP 202): this agent is not "
                         "acting as the host's agent principal", job_id, json_str(body, "status", "?"));
            json_decref(resp);
            return st;
        }
        if (rc == 0 && st >= 400 && st < 500 && st != 429 && st != 408) {
            log_warn("job %s: report '%s' refused: HTTP %ld: %s", job_id, json_str(body, "status", "?"), st,
                     agent_http_error_message(resp));
            json_decref(resp);
            return st;
        }
        json_decref(resp);
        log_warn("job %s: report '%s' failed (%s); retrying in %d s", job_id, json_str(body, "status", "?"),
                 rc == 0 ? "server error" : "control plane unreachable", delay);
        for (int k = 0; k < delay * 5; k++) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
        delay = delay < 30 ? delay * 2 : 30;
    }
    return 0;
}

/* ================================================================ job thread */

struct log_batch {
    struct agent *a;
    struct agent_http *h;
    const char *job_id;
    json_t *lines;
    int64_t last_flush;
    int dropped;
};

static void flush_logs(struct log_batch *lb)
{
    if (json_array_size(lb->lines) == 0) {
        lb->last_flush = clock_mono_us();
        return;
    }
    json_t *b = json_pack("{s:s,s:s,s:O}", "host_id", lb->a->cfg->host_id, "job_id", lb->job_id, "lines", lb->lines);
    long st;
    json_t *resp = NULL;
    int rc = agent_http_call(lb->h, "POST", "/agent/logs", b, 10000, &st, &resp);
    json_decref(b);
    json_decref(resp);
    if (rc != 0 || st / 100 != 2) {
        /* Keep at most 500 lines for the next try; older ones are dropped. */
        size_t n = json_array_size(lb->lines);
        if (n > 500) {
            lb->dropped += (int)(n - 500);
            while (json_array_size(lb->lines) > 500)
                json_array_remove(lb->lines, 0);
        }
        if (rc == 0)
            json_array_clear(lb->lines); /* the server refused them: do not resend */
    } else {
        json_array_clear(lb->lines);
    }
    lb->last_flush = clock_mono_us();
}

static void on_log_line(void *ud, int stream, const char *line, size_t len)
{
    struct log_batch *lb = ud;
    char *clean = agent_utf8_sanitize(line, len);
    json_array_append_new(lb->lines, json_pack("{s:f,s:s,s:s}", "timestamp", now_s(), "line", clean, "level",
                                               stream == 2 ? "warn" : "info"));
    free(clean);
    if (json_array_size(lb->lines) >= LOG_BATCH_LINES)
        flush_logs(lb);
}

static int log_tick(void *ud)
{
    struct log_batch *lb = ud;
    if (clock_mono_us() - lb->last_flush >= LOG_FLUSH_US)
        flush_logs(lb);
    return 0;
}

static void job_stop_reason(struct agent_job *j, char *out, size_t n)
{
    pthread_mutex_lock(&j->a->mu);
    snprintf(out, n, "%s", j->stop_reason);
    pthread_mutex_unlock(&j->a->mu);
}

static void fail_job(struct agent *a, struct agent_http *h, struct agent_job *j, const char *reason)
{
    log_warn("job %s: failing: %s", j->job_id, reason);
    json_t *b = json_pack("{s:s,s:s}", "status", "failed", "failure_reason", reason);
    report_status(a, h, j->job_id, b, 60);
    json_decref(b);
}

/* POST /agent/lease/claim. Returns 1 claimed, 0 dropped. */
static int claim(struct agent *a, struct agent_http *h, struct agent_job *j)
{
    json_t *b = json_pack("{s:s,s:s}", "host_id", a->cfg->host_id, "job_id", j->job_id), *resp = NULL;
    long st;
    int rc = agent_http_call(h, "POST", "/agent/lease/claim", b, 10000, &st, &resp);
    json_decref(b);
    if (rc != 0 || st / 100 != 2) {
        if (rc == 0)
            log_info("job %s: claim refused (HTTP %ld: %s); dropping", j->job_id, st, agent_http_error_message(resp));
        else
            log_warn("job %s: claim failed: control plane unreachable", j->job_id);
        json_decref(resp);
        return 0;
    }
    int dur = (int)json_integer_value(json_object_get(resp, "duration_sec"));
    if (dur <= 0)
        dur = 300;
    json_t *fresh = json_object_get(resp, "job");
    if (json_is_object(fresh)) {
        json_decref(j->job);
        j->job = json_incref(fresh);
    }
    pthread_mutex_lock(&a->mu);
    j->leased = true;
    j->lease_duration_s = dur;
    j->next_renew_us = clock_mono_us() + (int64_t)dur * 500000;
    pthread_mutex_unlock(&a->mu);
    log_info("job %s: lease %s for %d s", j->job_id, json_str(resp, "lease_id", "?"), dur);
    json_decref(resp);
    return 1;
}

static int mount_nfs(struct agent *a, struct agent_job *j, char *mp, size_t mplen)
{
    const char *server = json_str(j->job, "nfs_server", ""), *path = json_str(j->job, "nfs_path", "");
    if (!*server) {
        server = a->cfg->nfs_server;
        path = a->cfg->nfs_path;
    }
    if (!*server || !*path)
        return 0;
    if (path[0] != '/' || strstr(path, "..") || strchr(server, ':') || server[0] == '-') {
        log_warn("job %s: refusing NFS share %s:%s", j->job_id, server, path);
        return -1;
    }
    snprintf(mp, mplen, "%s/nfs/%s", a->cfg->work_dir, j->job_id);
    char nfsdir[512];
    snprintf(nfsdir, sizeof nfsdir, "%s/nfs", a->cfg->work_dir);
    mkdir(nfsdir, 0700);
    if (mkdir(mp, 0700) != 0 && errno != EEXIST)
        return -1;
    char *src = xasprintf("%s:%s", server, path);
    const char *argv[] = {"mount", "-t", "nfs", "-o", "ro,noatime,nodiratime,rsize=65536,wsize=65536,hard,timeo=600",
                          src, mp, NULL};
    struct agent_exec_result r;
    int rc = agent_exec(argv, 30000, 4096, &r);
    if (rc == 0 && r.exit_code != 0)
        rc = -1;
    agent_exec_free(&r);
    free(src);
    if (rc != 0) {
        rmdir(mp);
        mp[0] = '\0';
    }
    return rc;
}

static void unmount_nfs(const char *mp)
{
    if (!mp || !*mp)
        return;
    const char *argv[] = {"umount", "-l", mp, NULL};
    struct agent_exec_result r;
    agent_exec(argv, 30000, 4096, &r);
    agent_exec_free(&r);
    rmdir(mp);
}

static void *job_main(void *arg)
{
    struct agent_job *j = arg;
    struct agent *a = j->a;
    struct agent_config *c = a->cfg;
    char token[160];
    pthread_mutex_lock(&a->mu);
    snprintf(token, sizeof token, "%s", a->token);
    pthread_mutex_unlock(&a->mu);
    struct agent_http *h = agent_http_new(c->scheduler_url, token);
    memset(token, 0, sizeof token);
    struct docker *d = docker_new(c->docker_socket);
    struct fw_job_net net = {0};
    json_t *body = NULL;
    char reason[600] = "", err[512] = "", nfs_mp[512] = "", stop[32] = "";
    char cid[96] = "";
    bool have_gpus = false, report = true;
    int exit_code = -1;
    bool oom = false;
    const char *tier = json_str(j->job, "trust_tier", "community");
    bool refuse = false;
    const char *runtime = choose_runtime(a, tier, &refuse);

    /* Checks that need no lease: answer before claiming so the job goes elsewhere at once. */
    if (refuse) {
        log_warn("job %s: trust tier %s needs a sandboxed runtime (gVisor/Kata) that this host lacks", j->job_id, tier);
        fail_job(a, h, j, "runtime_unavailable");
        report = false;
        goto out;
    }
    if (!a->egress_enforced && strcmp(tier, "community") != 0) {
        fail_job(a, h, j, "network_error: egress firewall unavailable on this host");
        report = false;
        goto out;
    }
    if (!claim(a, h, j)) {
        report = false;
        goto out;
    }
    j->attempt = (int)json_integer_value(json_object_get(j->job, "attempt"));
    if (j->attempt <= 0)
        j->attempt = 1;

    const char *image = json_str(j->job, "image", "");
    if (!*image) {
        snprintf(reason, sizeof reason, "image_error: no image");
        goto fail;
    }
    if (!docker_valid_image(image)) {
        snprintf(reason, sizeof reason, "image_error: invalid image reference");
        goto fail;
    }
    int present = docker_image_present(d, image);
    if (present < 0) {
        snprintf(reason, sizeof reason, "runtime_error: container engine unavailable");
        goto fail;
    }
    if (c->pull_policy == PULL_ALWAYS || (c->pull_policy == PULL_IF_NOT_PRESENT && !present)) {
        log_info("job %s: pulling %s", j->job_id, image);
        if (docker_pull(d, image, 600000, reason, sizeof reason) != 0)
            goto fail;
    } else if (!present) {
        snprintf(reason, sizeof reason, "image_error: image %s is not present and the pull policy is never", image);
        goto fail;
    }
    if (mount_nfs(a, j, nfs_mp, sizeof nfs_mp) != 0) {
        snprintf(reason, sizeof reason, "network_error: nfs mount failed");
        goto fail;
    }

    /* GPUs. */
    int want = (int)json_integer_value(json_object_get(j->job, "num_gpus"));
    if (want <= 0)
        want = 1;
    pthread_mutex_lock(&a->mu);
    if (agent_pick_gpus(a->gpu_load, a->gpu_count, want, j->gpus) == 0) {
        j->ngpus = want;
        for (int i = 0; i < want; i++)
            a->gpu_load[j->gpus[i]]++;
        have_gpus = true;
    }
    pthread_mutex_unlock(&a->mu);
    if (!have_gpus) {
        snprintf(reason, sizeof reason, "runtime_error: job needs %d GPUs, host has %d", want, a->gpu_count);
        goto fail;
    }

    /* Network: its own namespace with the egress policy, or none at all. */
    const char *netmode = "none";
    char nsmode[160];
    bool attach_after_start = false;
    if (a->egress_enforced && c->egress_mode == EGRESS_NETNS) {
        if (a->engine_podman) {
            pthread_mutex_lock(&a->mu);
            char *rules = fw_build_ruleset(&a->allow, &a->dns, a->ports, a->nports);
            pthread_mutex_unlock(&a->mu);
            int r = fw_job_setup(c->job_subnet, c->work_dir, j->job_id, j->attempt, rules, 0, &net, err, sizeof err);
            free(rules);
            if (r != 0) {
                snprintf(reason, sizeof reason, "network_error: egress firewall setup failed: %.200s", err);
                goto fail;
            }
            snprintf(nsmode, sizeof nsmode, "ns:%s", net.netns_path);
            netmode = nsmode;
        } else {
            attach_after_start = true; /* Docker: join the container's own namespace after start */
        }
    }

    char name[160];
    docker_container_name(j->job_id, j->attempt, name, sizeof name);
    struct docker_job_spec spec = {
        .job_id = j->job_id, .host_id = c->host_id, .attempt = j->attempt, .image = image,
        .command = json_object_get(j->job, "command"), .env = json_object_get(j->job, "environment"),
        .user = c->job_user, .memory_bytes = c->memory_limit_bytes, .pids_limit = c->pids_limit,
        .runtime = runtime, .network_mode = netmode, .gpu_ids = j->gpus, .ngpu = j->ngpus,
        .gpu_devices = a->gpu.source != GPU_SRC_SIM, .nfs_source = nfs_mp[0] ? nfs_mp : NULL,
        .stop_timeout = c->grace_s, .tmpfs_tmp_mb = c->tmpfs_tmp_mb, .tmpfs_workspace_mb = c->tmpfs_workspace_mb};
    if (docker_build_create_body(&spec, &body, err, sizeof err) != 0) {
        snprintf(reason, sizeof reason, "%s: %.200s", strstr(err, "image") ? "image_error" : "runtime_error", err);
        goto fail;
    }
    docker_remove(d, name); /* a leftover of the same attempt */
    long st;
    if (docker_create(d, name, body, cid, sizeof cid, &st, err, sizeof err) != 0) {
        if (st == 404)
            snprintf(reason, sizeof reason, "image_error: %.200s", err);
        else
            snprintf(reason, sizeof reason, "runtime_error: %.200s", err);
        goto fail;
    }
    pthread_mutex_lock(&a->mu);
    snprintf(j->container_id, sizeof j->container_id, "%s", cid);
    snprintf(stop, sizeof stop, "%s", j->stop_reason);
    pthread_mutex_unlock(&a->mu);
    if (stop[0]) {
        log_info("job %s: stop requested (%s) before start", j->job_id, stop);
        exit_code = 0;
        goto finished;
    }
    if (docker_start(d, cid, err, sizeof err) != 0) {
        snprintf(reason, sizeof reason, "runtime_error: %.200s", err);
        goto fail;
    }
    if (attach_after_start) {
        struct docker_state ds;
        pthread_mutex_lock(&a->mu);
        char *rules = fw_build_ruleset(&a->allow, &a->dns, a->ports, a->nports);
        pthread_mutex_unlock(&a->mu);
        int r = -1;
        if (docker_inspect(d, cid, &ds) == 0 && ds.pid > 0)
            r = fw_job_setup(c->job_subnet, c->work_dir, j->job_id, j->attempt, rules, ds.pid, &net, err, sizeof err);
        free(rules);
        if (r != 0) {
            docker_kill(d, cid, "SIGKILL");
            snprintf(reason, sizeof reason, "network_error: egress firewall setup failed: %.200s", err);
            goto fail;
        }
    }
    log_info("job %s: container %.12s started (%s, runtime %s, network %s)", j->job_id, cid, image,
             runtime ? runtime : "runc (hardened)", net.active ? net.netns : "none");

    json_t *rb = json_pack("{s:s}", "status", "running");
    long rst = report_status(a, h, j->job_id, rb, 40);
    json_decref(rb);
    if (rst == 409 || rst == 404 || rst == 403) {
        log_warn("job %s: the control plane no longer gives this job to us; killing it", j->job_id);
        pthread_mutex_lock(&a->mu);
        snprintf(j->stop_reason, sizeof j->stop_reason, "lost");
        pthread_mutex_unlock(&a->mu);
        docker_kill(d, cid, "SIGKILL");
    }

    /* Logs until the container exits, then its status. */
    struct log_batch lb = {.a = a, .h = h, .job_id = j->job_id, .lines = json_array(), .last_flush = clock_mono_us()};
    struct docker_demux dm;
    docker_demux_init(&dm, LOG_LINE_MAX, on_log_line, &lb);
    int fr = docker_follow_logs(d, cid, &dm, log_tick, &lb);
    docker_demux_finish(&dm);
    flush_logs(&lb);
    if (lb.dropped)
        log_warn("job %s: %d log lines dropped while the control plane was unreachable", j->job_id, lb.dropped);
    json_decref(lb.lines);
    if (fr != 0)
        log_warn("job %s: log stream ended abnormally; waiting on the container", j->job_id);
    for (int tries = 0;; tries++) {
        exit_code = docker_wait(d, cid, 24L * 3600 * 1000);
        struct docker_state ds;
        int ir = docker_inspect(d, cid, &ds);
        if (ir == 1) {
            snprintf(reason, sizeof reason, "hardware: container lost");
            goto fail_after_run;
        }
        if (ir == 0 && strcmp(ds.status, "running") != 0 && strcmp(ds.status, "created") != 0) {
            exit_code = ds.exit_code;
            oom = ds.oom_killed;
            break;
        }
        if (tries >= 3 && ir < 0) {
            snprintf(reason, sizeof reason, "network_error: docker inspect timeout");
            goto fail_after_run;
        }
        nap_ms(5000);
    }
finished:
    job_stop_reason(j, stop, sizeof stop);
    {
        char mr[160];
        pthread_mutex_lock(&a->mu);
        snprintf(mr, sizeof mr, "%s", j->mining_reason);
        pthread_mutex_unlock(&a->mu);
        json_t *fb = agent_final_report(stop, exit_code, oom, mr);
        if (fb) {
            log_info("job %s: %s (exit %d%s%s%s)", j->job_id, json_str(fb, "status", "?"), exit_code, oom ? ", OOM" : "",
                     stop[0] ? ", stop " : "", stop);
            report_status(a, h, j->job_id, fb, g_stop ? 5 : 120);
            json_decref(fb);
        } else {
            log_info("job %s: abandoned (the control plane gave it up)", j->job_id);
        }
    }
    goto out;

fail_after_run:
    job_stop_reason(j, stop, sizeof stop);
    if (stop[0])
        goto finished;
fail:
    job_stop_reason(j, stop, sizeof stop);
    if (strcmp(stop, "lost") != 0 && report)
        fail_job(a, h, j, reason);
out:
    if (cid[0])
        docker_remove(d, cid);
    if (net.active)
        fw_job_teardown(&net);
    unmount_nfs(nfs_mp);
    json_decref(body);
    pthread_mutex_lock(&a->mu);
    if (have_gpus)
        for (int i = 0; i < j->ngpus; i++)
            a->gpu_load[j->gpus[i]]--;
    j->done = true;
    pthread_mutex_unlock(&a->mu);
    docker_free(d);
    agent_http_free(h);
    wake_main(a);
    return NULL;
}

/* ================================================================ main-thread duties */

static int active_jobs(struct agent *a)
{
    int n = 0;
    for (struct agent_job *j = a->jobs; j; j = j->next)
        if (!j->done)
            n++;
    return n;
}

static struct agent_job *find_job(struct agent *a, const char *id)
{
    for (struct agent_job *j = a->jobs; j; j = j->next)
        if (strcmp(j->job_id, id) == 0)
            return j;
    return NULL;
}

/* Starts stopping a job: SIGTERM now (SIGKILL when kill_now), SIGKILL after grace. Called with
 * a->mu held. */
static void initiate_stop(struct agent *a, struct agent_job *j, const char *reason, int grace_s, bool kill_now)
{
    if (j->done)
        return;
    /* A later reason replaces an earlier one only when it is stronger (mining, lost). */
    if (j->stop_reason[0] && strcmp(reason, "mining_local") != 0 && strcmp(reason, "lost") != 0)
        return;
    if (!j->stop_reason[0] || strcmp(j->stop_reason, reason) != 0)
        log_info("job %s: stopping (%s)", j->job_id, reason);
    snprintf(j->stop_reason, sizeof j->stop_reason, "%s", reason);
    j->stop_grace_s = grace_s;
    if (!j->container_id[0])
        return; /* the job thread checks the reason before starting */
    if (kill_now) {
        docker_kill(a->docker, j->container_id, "SIGKILL");
        j->sigkill_sent = true;
    } else if (!j->stop_sent_us) {
        docker_kill(a->docker, j->container_id, "SIGTERM");
    }
    if (!j->stop_sent_us)
        j->stop_sent_us = clock_mono_us();
}

static void escalate_stops(struct agent *a)
{
    int64_t now = clock_mono_us();
    pthread_mutex_lock(&a->mu);
    for (struct agent_job *j = a->jobs; j; j = j->next) {
        if (j->done || !j->stop_reason[0] || j->sigkill_sent)
            continue;
        if (!j->stop_sent_us && j->container_id[0]) {
            docker_kill(a->docker, j->container_id, "SIGTERM");
            j->stop_sent_us = now;
        } else if (j->stop_sent_us && now - j->stop_sent_us >= (int64_t)j->stop_grace_s * 1000000) {
            log_info("job %s: grace of %d s over; SIGKILL", j->job_id, j->stop_grace_s);
            docker_kill(a->docker, j->container_id, "SIGKILL");
            j->sigkill_sent = true;
        }
    }
    pthread_mutex_unlock(&a->mu);
}

static void apply_stop_request(struct agent *a, const char *job_id, const char *reason)
{
    static const char *const known[] = {"preempt", "cancel", "insufficient_funds", "max_duration", "mining"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        ok = ok || strcmp(reason, known[i]) == 0;
    if (!ok)
        reason = "preempt";
    pthread_mutex_lock(&a->mu);
    struct agent_job *j = find_job(a, job_id);
    if (j && !j->done && strcmp(j->stop_reason, reason) != 0 && strcmp(j->stop_reason, "mining_local") != 0)
        initiate_stop(a, j, reason, a->cfg->grace_s, strcmp(reason, "mining") == 0);
    pthread_mutex_unlock(&a->mu);
}

static int poll_preempt(struct agent *a)
{
    char path[160];
    snprintf(path, sizeof path, "/agent/preempt/%s", a->cfg->host_id);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "GET", path, NULL, 10000, &st, &resp) != 0 || st != 200) {
        json_decref(resp);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(resp, "stop_requests"), i, e) {
        const char *id = json_str(e, "job_id", NULL);
        if (id)
            apply_stop_request(a, id, json_str(e, "reason", "preempt"));
    }
    json_array_foreach(json_object_get(resp, "preempt_jobs"), i, e) {
        if (json_is_string(e))
            apply_stop_request(a, json_string_value(e), "preempt");
    }
    json_decref(resp);
    return 0;
}

static void spawn_job(struct agent *a, json_t *job)
{
    const char *id = json_str(job, "job_id", NULL);
    if (!id || strlen(id) >= 80 || strchr(id, '/') || strchr(id, '?'))
        return;
    pthread_mutex_lock(&a->mu);
    bool dup = find_job(a, id) != NULL;
    bool full = active_jobs(a) >= a->cfg->max_concurrent;
    pthread_mutex_unlock(&a->mu);
    if (dup || full)
        return;
    struct agent_job *j = xcalloc(1, sizeof *j);
    j->a = a;
    snprintf(j->job_id, sizeof j->job_id, "%s", id);
    j->job = json_deep_copy(job);
    log_info("job %s: received (%s, image %s)", id, json_str(job, "name", ""), json_str(job, "image", ""));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_mutex_lock(&a->mu);
    j->next = a->jobs;
    a->jobs = j;
    if (pthread_create(&j->thread, &attr, job_main, j) == 0) {
        j->thread_started = true;
    } else {
        log_error("job %s: cannot start a thread", id);
        j->done = true;
    }
    pthread_mutex_unlock(&a->mu);
    pthread_attr_destroy(&attr);
}

static int poll_work(struct agent *a)
{
    char path[160];
    snprintf(path, sizeof path, "/agent/work/%s", a->cfg->host_id);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "GET", path, NULL, 10000, &st, &resp) != 0) {
        json_decref(resp);
        return -1;
    }
    int rc = 0;
    if (st == 200) {
        size_t i;
        json_t *job;
        json_array_foreach(json_object_get(resp, "jobs"), i, job) spawn_job(a, job);
    } else if (st == 404) {
        a->registered = false;
        rc = -1;
    } else if (st != 204) {
        rc = -1;
    }
    json_decref(resp);
    return rc;
}

static void renew_leases(struct agent *a)
{
    int64_t now = clock_mono_us();
    char ids[64][80];
    int n = 0;
    pthread_mutex_lock(&a->mu);
    for (struct agent_job *j = a->jobs; j && n < 64; j = j->next)
        if (!j->done && j->leased && now >= j->next_renew_us && strcmp(j->stop_reason, "lost") != 0)
            snprintf(ids[n++], sizeof ids[0], "%s", j->job_id);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        json_t *b = json_pack("{s:s,s:s}", "host_id", a->cfg->host_id, "job_id", ids[i]), *resp = NULL;
        long st;
        int rc = agent_http_call(a->http, "POST", "/agent/lease/renew", b, 10000, &st, &resp);
        json_decref(b);
        pthread_mutex_lock(&a->mu);
        struct agent_job *j = find_job(a, ids[i]);
        if (j && !j->done) {
            if (rc == 0 && st == 200) {
                j->next_renew_us = clock_mono_us() + (int64_t)j->lease_duration_s * 500000;
                const char *sr = json_str(resp, "stop_requested", NULL);
                if (sr && !j->stop_reason[0])
                    initiate_stop(a, j, sr, a->cfg->grace_s, strcmp(sr, "mining") == 0);
            } else if (rc == 0 && (st == 410 || st == 404)) {
                log_warn("job %s: lease renewal refused (HTTP %ld): the control plane gave the job up", ids[i], st);
                initiate_stop(a, j, "lost", 0, true);
            } else {
                j->next_renew_us = clock_mono_us() + 5000000; /* retry soon */
            }
        }
        pthread_mutex_unlock(&a->mu);
        json_decref(resp);
    }
}

static void reap_jobs(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    struct agent_job **pp = &a->jobs;
    while (*pp) {
        struct agent_job *j = *pp;
        if (j->done) {
            *pp = j->next;
            pthread_mutex_unlock(&a->mu);
            if (j->thread_started)
                pthread_join(j->thread, NULL);
            json_decref(j->job);
            free(j);
            pthread_mutex_lock(&a->mu);
            pp = &a->jobs;
            continue;
        }
        pp = &j->next;
    }
    pthread_mutex_unlock(&a->mu);
}

static void collect_gpus(struct agent *a)
{
    struct nvml_gpu g[MAX_GPUS];
    int n = nvml_collect(&a->gpu, g, MAX_GPUS);
    if (n <= 0)
        return;
    int64_t fr = 0;
    for (int i = 0; i < n; i++)
        fr += nvml_bytes_to_cgb(g[i].mem_free);
    pthread_mutex_lock(&a->mu);
    memcpy(a->last, g, sizeof(struct nvml_gpu) * (size_t)n);
    a->nlast = n;
    a->free_cgb = fr;
    pthread_mutex_unlock(&a->mu);
}

static void telemetry(struct agent *a)
{
    collect_gpus(a);
    json_t *gpus = json_array(), *metrics = json_object();
    double ts = now_s();
    pthread_mutex_lock(&a->mu);
    int n = a->nlast, active = active_jobs(a);
    struct nvml_gpu g[MAX_GPUS];
    memcpy(g, a->last, sizeof(struct nvml_gpu) * (size_t)n);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        int avg = nvml_thermal_add(&a->thermal, g[i].index, g[i].temp_c);
        json_t *o = nvml_gpu_json(&a->gpu, &g[i], avg, ts);
        if (i == 0) {
            static const char *const flat[][2] = {
                {"utilization", "utilization"}, {"memory_util", "memory_util"}, {"temp", "temperature_c"},
                {"temp_avg", "temperature_avg_c"}, {"power_draw_w", "power_draw_w"}, {"power_limit_w", "power_limit_w"},
                {"pcie_gen", "pcie_gen"}, {"pcie_width", "pcie_width"}, {"pcie_tx_mb_s", "pcie_tx_mb_s"},
                {"pcie_rx_mb_s", "pcie_rx_mb_s"}, {"memory_total_gb", "memory_total_gb"},
                {"memory_used_gb", "memory_used_gb"}, {"memory_free_gb", "memory_free_gb"},
                {"memory_errors", "memory_errors"}, {"ecc_errors_single", "ecc_errors_single"},
                {"ecc_errors_double", "ecc_errors_double"}};
            for (size_t k = 0; k < sizeof flat / sizeof *flat; k++)
                json_object_set(metrics, flat[k][0], json_object_get(o, flat[k][1]));
        }
        json_array_append_new(gpus, o);
    }
    json_object_set_new(metrics, "gpu_count", json_integer(n));
    json_object_set_new(metrics, "active_jobs", json_integer(active));
    json_object_set_new(metrics, "egress_enforced", json_boolean(a->egress_enforced));
    json_object_set_new(metrics, "gpus", gpus);
    json_t *b = json_pack("{s:s,s:f,s:o}", "host_id", a->cfg->host_id, "timestamp", ts, "metrics", metrics);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "POST", "/agent/telemetry", b, 5000, &st, &resp) == 0 && st / 100 != 2)
        log_debug("telemetry: HTTP %ld", st);
    json_decref(resp);
    json_decref(b);
}

static void mining_check(struct agent *a)
{
    collect_gpus(a);
    struct nvml_gpu g[MAX_GPUS];
    int load[MAX_GPUS];
    pthread_mutex_lock(&a->mu);
    int n = a->nlast;
    memcpy(g, a->last, sizeof(struct nvml_gpu) * (size_t)n);
    memcpy(load, a->gpu_load, sizeof load);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        int idx = g[i].index;
        if (idx < 0 || idx >= MAX_GPUS || load[idx] == 0) {
            mining_reset(&a->mining, idx);
            continue;
        }
        struct mining_sample s = {.index = idx, .util = g[i].util_gpu, .mem_util = g[i].util_mem,
                                  .has_tx = g[i].has_pcie_tput, .tx_mb = nvml_kbs_to_mbs(g[i].pcie_tx_kbs)};
        struct mining_verdict v;
        if (mining_observe(&a->mining, &s, &v) != MINING_SUSTAINED)
            continue;
        log_warn("GPU %d: %s", idx, v.reason);
        char victims[64][80];
        int nv = 0;
        pthread_mutex_lock(&a->mu);
        for (struct agent_job *j = a->jobs; j; j = j->next) {
            if (j->done)
                continue;
            for (int k = 0; k < j->ngpus; k++) {
                if (j->gpus[k] == idx && nv < 64) {
                    snprintf(j->mining_reason, sizeof j->mining_reason, "%s", v.job_reason);
                    initiate_stop(a, j, "mining_local", 0, true);
                    snprintf(victims[nv++], sizeof victims[0], "%s", j->job_id);
                    break;
                }
            }
        }
        pthread_mutex_unlock(&a->mu);
        for (int k = 0; k < nv; k++) {
            json_t *b = json_pack("{s:s,s:i,s:f,s:s,s:f,s:s,s:s,s:i,s:f}", "host_id", a->cfg->host_id, "gpu_index", idx,
                                  "confidence", v.confidence, "reason", v.reason, "timestamp", now_s(), "job_id",
                                  victims[k], "action", "terminated", "utilization", (int)s.util, "pcie_tx_mb_s", s.tx_mb);
            long st;
            json_t *resp = NULL;
            if (agent_http_call(a->http, "POST", "/agent/mining-alert", b, 10000, &st, &resp) != 0 || st / 100 != 2)
                log_warn("mining alert for job %s was not accepted", victims[k]);
            json_decref(resp);
            json_decref(b);
        }
    }
}

/* ================================================================ egress allow-list resolver */

static void *resolver_main(void *arg)
{
    struct agent *a = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while (!g_stop) {
        char **names = fw_allow_hostnames(a->cfg->egress_allowlist, a->cfg->egress_extra_hosts);
        struct fw_addrs fresh = {0};
        fw_resolve(names, &fresh);
        fw_strv_free(names);
        pthread_mutex_lock(&a->mu);
        bool changed = fresh.n4 != a->allow.n4 || fresh.n6 != a->allow.n6;
        for (size_t i = 0; !changed && i < fresh.n4; i++)
            changed = strcmp(fresh.v4[i], a->allow.v4[i]) != 0;
        for (size_t i = 0; !changed && i < fresh.n6; i++)
            changed = strcmp(fresh.v6[i], a->allow.v6[i]) != 0;
        if (changed) {
            fw_addrs_free(&a->allow);
            a->allow = fresh;
            a->allow_changed = true;
        } else {
            fw_addrs_free(&fresh);
        }
        pthread_mutex_unlock(&a->mu);
        for (int i = 0; i < 300 * 5 && !g_stop; i++) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static void push_allow_updates(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    if (!a->allow_changed) {
        pthread_mutex_unlock(&a->mu);
        return;
    }
    a->allow_changed = false;
    char *upd = fw_build_set_update(&a->allow);
    char names[64][96];
    int n = 0;
    for (struct agent_job *j = a->jobs; j && n < 64; j = j->next)
        if (!j->done && j->container_id[0])
            snprintf(names[n++], sizeof names[0], "xcj-%.40s-%d", j->job_id, j->attempt);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        struct fw_job_net net = {.active = true};
        snprintf(net.netns, sizeof net.netns, "%.95s", names[i]);
        fw_job_apply(&net, a->cfg->work_dir, upd);
    }
    free(upd);
}

/* ================================================================ startup, loop, shutdown */

static void on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        g_stop = 1;
}

static void cleanup_stale(struct agent *a)
{
    json_t *list = docker_list_job_containers(a->docker, a->cfg->host_id);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        const char *id = json_str(c, "id", ""), *job = json_str(c, "job_id", "");
        log_warn("removing container %.12s of job %s left by an earlier run of this agent", id, job);
        docker_remove(a->docker, id);
        fw_remove_netns(job, (int)json_integer_value(json_object_get(c, "attempt")));
    }
    json_decref(list);
}

static void setup_egress(struct agent *a)
{
    struct agent_config *c = a->cfg;
    char err[256] = "";
    a->nports = fw_parse_ports(c->egress_ports, a->ports, 16);
    if (a->nports < 0) {
        log_error("XCELSIOR_EGRESS_PORTS is invalid: %s", c->egress_ports);
        a->nports = 0;
    }
    char dns[64] = "";
    if (*c->egress_dns)
        snprintf(dns, sizeof dns, "%s", c->egress_dns);
    else
        fw_first_nameserver("/etc/resolv.conf", dns, sizeof dns);
    if (*dns && fw_addrs_add(&a->dns, dns) != 0)
        log_warn("egress DNS '%s' is not an address literal; DNS will be blocked", dns);
    if (c->egress_mode == EGRESS_NONE) {
        a->egress_enforced = true;
        log_info("egress: jobs get no network at all (XCELSIOR_EGRESS_MODE=none)");
        return;
    }
    if (fw_selftest(c->work_dir, err, sizeof err) != 0) {
        a->egress_enforced = false;
        log_error("egress firewall unavailable (%s): jobs run without any network; only community-tier "
                  "jobs are accepted", err);
        return;
    }
    fw_host_setup(c->job_subnet, c->egress_masquerade, c->work_dir, &a->fw_host);
    /* The first resolution happens before any job can start. */
    char **names = fw_allow_hostnames(c->egress_allowlist, c->egress_extra_hosts);
    bool literal_only = true;
    struct fw_addrs tmp = {0};
    for (char **p = names; *p; p++)
        literal_only = literal_only && fw_addrs_add(&tmp, *p) == 0;
    fw_addrs_free(&tmp);
    if (literal_only)
        fw_resolve(names, &a->allow);
    fw_strv_free(names);
    a->egress_enforced = true;
    log_info("egress: per-job network namespaces with nftables (subnet %s, DNS %s, ports %s)", c->job_subnet,
             *dns ? dns : "none", c->egress_ports);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (!literal_only || getenv("XCELSIOR_EGRESS_RESOLVE_LOOP")) {
        if (pthread_create(&t, &attr, resolver_main, a) != 0)
            log_error("cannot start the allow-list resolver");
        else
            a->resolver_running = true;
    }
    pthread_attr_destroy(&attr);
}

static int startup(struct agent *a)
{
    struct agent_config *c = a->cfg;
    if (mkdir(c->work_dir, 0700) != 0 && errno != EEXIST)
        log_warn("cannot create XCELSIOR_WORK_DIR %s: %s", c->work_dir, strerror(errno));
    if (c->tailscale_enabled)
        mesh_ensure(c->host_id, c->tailscale_authkey, c->headscale_url, c->work_dir);
    if (detect_gpus(a) != 0)
        return -1;
    if (*c->host_ip)
        snprintf(a->ip, sizeof a->ip, "%s", c->host_ip);
    else if (c->tailscale_enabled && mesh_ip4(a->ip, sizeof a->ip) == 0)
        log_info("mesh address %s", a->ip);
    else
        probe_host_ip(a->ip, sizeof a->ip);
    if (docker_ping(a->docker) != 0)
        log_warn("container engine not reachable at %s; jobs will fail until it is", c->docker_socket);
    gather_versions(a);
    char *vs = json_dumps(a->versions, JSON_COMPACT);
    log_info("versions %s", vs ? vs : "{}");
    free(vs);
    cleanup_stale(a);
    setup_egress(a);
    return 0;
}

static void shutdown_jobs(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    int n = active_jobs(a);
    if (n)
        log_info("shutting down: stopping %d job%s (reported preempted: agent_shutdown)", n, n == 1 ? "" : "s");
    for (struct agent_job *j = a->jobs; j; j = j->next)
        initiate_stop(a, j, "shutdown", 15, false);
    pthread_mutex_unlock(&a->mu);
    int64_t deadline = clock_mono_us() + 60LL * 1000000;
    while (clock_mono_us() < deadline) {
        escalate_stops(a);
        reap_jobs(a);
        pthread_mutex_lock(&a->mu);
        bool empty = a->jobs == NULL;
        pthread_mutex_unlock(&a->mu);
        if (empty)
            break;
        struct timespec ts = {0, 200000000L};
        nanosleep(&ts, NULL);
    }
}

int agent_run(struct agent_config *cfg)
{
    struct agent *a = xcalloc(1, sizeof *a);
    int status = 1;
    a->cfg = cfg;
    a->main_thread = pthread_self();
    pthread_mutex_init(&a->mu, NULL);
    snprintf(a->recommended_runtime, sizeof a->recommended_runtime, "runc");
    nvml_thermal_init(&a->thermal, cfg->thermal_history);
    struct mining_cfg mc = {cfg->mining_util_pct, cfg->mining_pcie_tx_mb, cfg->mining_duration_s, cfg->mining_check_s};
    mining_init(&a->mining, &mc);

    /* Signals: the main thread sleeps in sigtimedwait; every other thread blocks them. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    agent_http_global_init(cfg->scheduler_url);
    snprintf(a->token, sizeof a->token, "%s", cfg->api_token);
    load_agent_token(a);
    a->http = agent_http_new(cfg->scheduler_url, a->token);
    a->docker = docker_new(cfg->docker_socket);
    if (startup(a) != 0)
        goto out;

    int64_t now = clock_mono_us();
    int64_t t_hb = now, t_admit = now, t_poll = now, t_tel = now + 1000000, t_mine = now + (int64_t)cfg->mining_check_s * 1000000;
    int admit_backoff = 5, poll_fail = 0;
    while (!g_stop) {
        now = clock_mono_us();
        if (!a->registered || now >= t_hb) {
            if (heartbeat(a) == 0) {
                a->failures = 0;
            } else if (++a->failures > cfg->max_failures) {
                log_error("%d consecutive control-plane failures; shutting down", a->failures);
                break;
            }
            t_hb = now + (int64_t)cfg->heartbeat_s * 1000000;
        }
        if (a->registered && !a->admitted && now >= t_admit) {
            gather_versions(a);
            int r = report_versions(a);
            if (r == 1) {
                admit_backoff = 5;
                t_poll = now;
            } else {
                int wait = admit_backoff;
                admit_backoff = admit_backoff * 2 > cfg->admission_retry_max_s ? cfg->admission_retry_max_s : admit_backoff * 2;
                if (wait > cfg->admission_retry_max_s)
                    wait = cfg->admission_retry_max_s;
                log_info("next version report in %d s", wait);
                t_admit = now + (int64_t)wait * 1000000;
            }
        }
        if (a->registered && now >= t_poll) {
            int rc = 0;
            pthread_mutex_lock(&a->mu);
            int active = active_jobs(a);
            pthread_mutex_unlock(&a->mu);
            if (a->admitted && active < cfg->max_concurrent)
                rc = poll_work(a);
            if (active > 0 && poll_preempt(a) != 0)
                rc = -1;
            if (rc == 0) {
                poll_fail = 0;
                t_poll = now + (int64_t)cfg->poll_s * 1000000;
            } else {
                poll_fail++;
                int back = poll_fail >= 9 ? 300 : 1 << poll_fail;
                if (back > 300)
                    back = 300;
                if (back < cfg->poll_s)
                    back = cfg->poll_s;
                t_poll = now + (int64_t)back * 1000000;
            }
        }
        if (now >= t_tel) {
            telemetry(a);
            t_tel = now + (int64_t)cfg->telemetry_s * 1000000;
        }
        if (now >= t_mine) {
            mining_check(a);
            t_mine = now + (int64_t)cfg->mining_check_s * 1000000;
        }
        renew_leases(a);
        escalate_stops(a);
        push_allow_updates(a);
        reap_jobs(a);

        /* Sleep until the next deadline (at most 1 s), or until a signal arrives. */
        int64_t next = t_hb;
        if (a->registered && t_poll < next)
            next = t_poll;
        if (t_tel < next)
            next = t_tel;
        int64_t wait = next - clock_mono_us();
        if (wait > 1000000)
            wait = 1000000;
        if (wait < 10000)
            wait = 10000;
        struct timespec ts = {wait / 1000000, (long)(wait % 1000000) * 1000};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            g_stop = 1;
    }
    g_stop = 1;
    shutdown_jobs(a);
    status = 0;
    log_info("agent stopped");
out:
    fw_host_teardown(&a->fw_host); /* after the jobs are stopped: nothing routes through it now */
    agent_http_free(a->http);
    docker_free(a->docker);
    nvml_close(&a->gpu);
    nvml_thermal_free(&a->thermal);
    json_decref(a->versions);
    json_decref(a->runtimes);
    json_decref(a->engine_runtimes);
    /* A detached resolver thread may still use the agent state: then it is left to process exit. */
    if (!a->resolver_running) {
        fw_addrs_free(&a->allow);
        fw_addrs_free(&a->dns);
        pthread_mutex_destroy(&a->mu);
        free(a);
    }
    return status;
}

int agent_probe_print(struct agent_config *cfg)
{
    struct agent *a = xcalloc(1, sizeof *a);
    a->cfg = cfg;
    pthread_mutex_init(&a->mu, NULL);
    a->docker = docker_new(cfg->docker_socket);
    if (detect_gpus(a) != 0) {
        docker_free(a->docker);
        free(a);
        return 1;
    }
    if (cfg->tailscale_enabled && mesh_ip4(a->ip, sizeof a->ip) == 0)
        ;
    else
        probe_host_ip(a->ip, sizeof a->ip);
    gather_versions(a);
    json_t *gpus = json_array();
    for (int i = 0; i < a->nlast; i++)
        json_array_append_new(gpus, nvml_gpu_json(&a->gpu, &a->last[i], (int)a->last[i].temp_c * 10, now_s()));
    json_t *out = json_pack("{s:s,s:s,s:i,s:f,s:s,s:O,s:O,s:O,s:b}", "ip", a->ip, "gpu_model", a->gpu_model, "gpu_count",
                            a->gpu_count, "total_vram_gb", centi(a->total_cgb), "gpu_source",
                            a->gpu.source == GPU_SRC_NVML ? "nvml" : a->gpu.source == GPU_SRC_SMI ? "nvidia-smi" : "simulated",
                            "versions", a->versions, "runtimes", a->runtimes, "gpus", gpus, "engine_podman",
                            a->engine_podman);
    char *s = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    printf("%s\n", s);
    free(s);
    json_decref(out);
    json_decref(gpus);
    docker_free(a->docker);
    nvml_close(&a->gpu);
    json_decref(a->versions);
    json_decref(a->runtimes);
    json_decref(a->engine_runtimes);
    pthread_mutex_destroy(&a->mu);
    free(a);
    return 0;
}
