/* The benchmark and verification run (domain §17.2 step 8, §17.10): a thread of its own measures
 * (the XCELSIOR_BENCH_IMAGE container with NVML temperature samples, else the samples alone;
 * 20 GET /healthz; GET /agent/speedtest), then posts POST /agent/benchmark (when TFLOPS were
 * measured) and POST /agent/verify. Runs at start when due and whenever the server asks for
 * re-verification (reverify_due on the heartbeat's host view); never for simulated GPUs, which
 * measure nothing. The report is agent_verify.c. */
#include "agent/agent_exec.h"
#include "agent/agent_internal.h"
#include "agent/agent_verify.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_TIMEOUT_MS 300000
#define BENCH_OUT_MAX 65536

struct vrun {
    struct agent *a;
    char token[160];
    json_t *versions;
};

/* ---- the run record: <WORK_DIR>/benchmark-at holds the wall time (µs) of the last run ---- */

static int64_t load_last_run(struct agent *a)
{
    char *path = xasprintf("%s/benchmark-at", a->cfg->work_dir);
    FILE *f = fopen(path, "re");
    free(path);
    long long v = 0;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1 || v < 0)
            v = 0;
        fclose(f);
    }
    return (int64_t)v;
}

static void save_last_run(struct agent *a, int64_t at)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64 "\n", at);
    char *path = xasprintf("%s/benchmark-at", a->cfg->work_dir);
    char *tmp = agent_write_temp(a->cfg->work_dir, ".benchmark-at-", text, strlen(text));
    if (!tmp || rename(tmp, path) != 0)
        log_warn("cannot record the benchmark time in %s", a->cfg->work_dir);
    free(tmp);
    free(path);
}

/* ---- measuring ---- */

static void sample_temps(struct agent *a, struct agent_temps *t)
{
    struct nvml_gpu g[MAX_GPUS];
    int n = nvml_collect(&a->gpu, g, MAX_GPUS);
    for (int i = 0; i < n; i++)
        if (!g[i].simulated)
            agent_temps_add(t, g[i].temp_c);
}

struct out_buf {
    char *p;
    size_t len;
};

static void on_line(void *ud, int stream, const char *line, size_t len)
{
    struct out_buf *o = ud;
    if (stream != 1 || o->len + len + 2 > BENCH_OUT_MAX)
        return;
    o->p = xrealloc(o->p, o->len + len + 2);
    memcpy(o->p + o->len, line, len);
    o->len += len;
    o->p[o->len++] = '\n';
    o->p[o->len] = '\0';
}

static int never_stop(void *ud)
{
    (void)ud;
    return agent_stopping ? 1 : 0;
}

/* Runs the benchmark container (hardened, GPU 0, no network) while sampling temperatures.
 * Returns 0 when it printed a result line. */
static int run_container(struct agent *a, struct agent_bench *b, struct agent_temps *t)
{
    struct agent_config *c = a->cfg;
    struct docker *d = docker_new(c->docker_socket);
    char name[160], cid[96] = "", err[512] = "", reason[256] = "";
    int rc = -1, gpu0 = 0;
    long st = 0;
    json_t *body = NULL;
    char jid[96];
    snprintf(jid, sizeof jid, "benchmark-%s", c->host_id);
    docker_container_name(jid, 1, name, sizeof name);
    if (docker_image_present(d, c->bench_image) != 1 &&
        docker_pull(d, c->bench_image, 600000, reason, sizeof reason) != 0) {
        log_warn("benchmark: cannot pull %s: %s", c->bench_image, reason);
        goto out;
    }
    struct docker_job_spec spec = {.job_id = jid,
                                   .host_id = c->host_id,
                                   .attempt = 1,
                                   .image = c->bench_image,
                                   .user = c->job_user,
                                   .memory_bytes = c->memory_limit_bytes,
                                   .pids_limit = c->pids_limit,
                                   .network_mode = "none",
                                   .gpu_ids = &gpu0,
                                   .ngpu = 1,
                                   .gpu_devices = a->gpu.source != GPU_SRC_SIM,
                                   .stop_timeout = 5,
                                   .tmpfs_tmp_mb = c->tmpfs_tmp_mb,
                                   .tmpfs_workspace_mb = c->tmpfs_workspace_mb};
    if (docker_build_create_body(&spec, &body, err, sizeof err) != 0) {
        log_warn("benchmark: %s", err);
        goto out;
    }
    docker_remove(d, name);
    if (docker_create(d, name, body, cid, sizeof cid, &st, err, sizeof err) != 0 ||
        docker_start(d, cid, err, sizeof err) != 0) {
        log_warn("benchmark: container %s did not start: %s", c->bench_image, err);
        goto out;
    }
    int64_t start = clock_mono_us(), deadline = start + (int64_t)BENCH_TIMEOUT_MS * 1000;
    struct docker_state ds = {0};
    while (!agent_stopping && clock_mono_us() < deadline) {
        if (clock_mono_us() - start < (int64_t)AGENT_THERMAL_WINDOW_MS * 1000)
            sample_temps(a, t);
        if (docker_inspect(d, cid, &ds) != 0)
            break;
        bool live =
            strcmp(ds.status, "running") == 0 || strcmp(ds.status, "created") == 0; /* foreign state: Docker's */
        if (!live)
            break;
        agent_nap_ms(AGENT_THERMAL_STEP_MS);
    }
    if (strcmp(ds.status, "exited") != 0) {
        log_warn("benchmark: container %s did not finish (%s)", c->bench_image, ds.status[0] ? ds.status : "gone");
        goto out;
    }
    struct out_buf o = {0};
    struct docker_demux dm;
    docker_demux_init(&dm, 8192, on_line, &o);
    docker_follow_logs(d, cid, &dm, never_stop, NULL);
    docker_demux_finish(&dm);
    if (ds.exit_code != 0)
        log_warn("benchmark: container %s exited %d", c->bench_image, ds.exit_code);
    else if (agent_bench_parse(o.p, b) != 0)
        log_warn("benchmark: container %s printed no JSON result line", c->bench_image);
    else
        rc = 0;
    free(o.p);
out:
    if (cid[0])
        docker_remove(d, cid);
    json_decref(body);
    docker_free(d);
    return rc;
}

static void measure_network(struct agent_http *h, struct agent_netq *q)
{
    double rtt[AGENT_NET_PINGS];
    int ok = 0, sent = 0;
    for (int i = 0; i < AGENT_NET_PINGS && !agent_stopping; i++) {
        long st;
        int64_t t0 = clock_mono_us();
        int r = agent_http_call(h, "GET", "/healthz", NULL, 5000, &st, NULL);
        int64_t t1 = clock_mono_us();
        sent++;
        if (r == 0 && st / 100 == 2)
            rtt[ok++] = (double)(t1 - t0) / 1000.0;
    }
    q->has_throughput = false;
    char path[64];
    snprintf(path, sizeof path, "/agent/speedtest?bytes=%d", AGENT_SPEEDTEST_BYTES);
    long st;
    uint64_t bytes;
    double secs;
    if (agent_stopping) {
        /* nothing more */
    } else if (agent_http_download(h, path, 60000, &st, &bytes, &secs) != 0) {
        log_warn("speedtest: transfer failed: throughput not measured");
    } else if (st != 200 || bytes != (uint64_t)AGENT_SPEEDTEST_BYTES || secs <= 0) {
        log_warn("speedtest: HTTP %ld (%" PRIu64 " bytes): throughput not measured", st, bytes);
    } else {
        q->has_throughput = true;
        q->throughput_mbps = agent_throughput_mbps(bytes, secs);
    }
    agent_netq_from_rtts(rtt, ok, sent, q);
}

/* ---- posting ---- */

static void log_outcome(json_t *resp)
{
    log_info("verification: state %s, score %.2f", agent_json_str(resp, "state", "?"),
             json_number_value(json_object_get(resp, "score")));
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get(resp, "checks"), i, c)
        if (!json_is_true(json_object_get(c, "passed")))
            log_warn("  check %s failed: expected %s, measured %s", agent_json_str(c, "check_name", "?"),
                     agent_json_str(c, "expected", ""), agent_json_str(c, "actual", ""));
}

static void *verify_main(void *arg)
{
    struct vrun *v = arg;
    struct agent *a = v->a;
    struct agent_bench b;
    struct agent_temps t = {0};
    struct agent_netq q = {0};
    memset(&b, 0, sizeof b);
    if (*a->cfg->bench_image) {
        run_container(a, &b, &t);
    } else {
        log_info("benchmark: no XCELSIOR_BENCH_IMAGE and no built-in CUDA benchmark: TFLOPS and PCIe not measured");
        for (int k = 0; k < AGENT_THERMAL_WINDOW_MS / AGENT_THERMAL_STEP_MS && !agent_stopping; k++) {
            sample_temps(a, &t);
            agent_nap_ms(AGENT_THERMAL_STEP_MS);
        }
    }
    struct agent_http *h = agent_http_new(a->cfg->scheduler_url, v->token);
    measure_network(h, &q);
    struct nvml_gpu g[MAX_GPUS];
    int n = nvml_collect(&a->gpu, g, MAX_GPUS);
    long st;
    json_t *resp = NULL;
    json_t *bb = agent_bench_body(a->cfg->host_id, n > 0 ? g[0].name : a->gpu_model, &b);
    if (!agent_stopping && bb) {
        if (agent_http_call(h, "POST", "/agent/benchmark", bb, 15000, &st, &resp) == 0 && st == 200)
            log_info("benchmark posted: %.2f TFLOPS, XCU %.2f", b.tflops,
                     json_number_value(json_object_get(resp, "xcu")));
        else
            log_warn("benchmark post: HTTP %ld: %s", st, agent_http_error_message(resp));
        json_decref(resp);
        resp = NULL;
    }
    json_decref(bb);
    struct agent_verify_in in = {
        .ctx = &a->gpu, .gpus = g, .ngpu = n > 0 ? n : 0, .bench = &b, .temps = &t, .net = &q, .versions = v->versions};
    json_t *report = agent_verify_report(&in);
    json_t *body = json_pack("{s:s,s:o}", "host_id", a->cfg->host_id, "report", report);
    bool posted = false;
    if (!agent_stopping && agent_http_call(h, "POST", "/agent/verify", body, 15000, &st, &resp) == 0 && st == 200) {
        log_outcome(resp);
        posted = true;
    } else if (!agent_stopping) {
        log_warn("verification report: HTTP %ld: %s", st, agent_http_error_message(resp));
    }
    json_decref(resp);
    json_decref(body);
    agent_http_free(h);
    if (posted)
        save_last_run(a, clock_wall_us());
    pthread_mutex_lock(&a->mu);
    a->verify_done = true;
    if (posted) {
        a->verify_last_run_us = clock_wall_us();
        a->reverify_due = false;
    }
    pthread_mutex_unlock(&a->mu);
    memset(v->token, 0, sizeof v->token);
    json_decref(v->versions);
    free(v);
    return NULL;
}

/* ---- lifecycle (main thread) ---- */

void agent_verify_maybe_start(struct agent *a)
{
    if (!a->registered || a->verify_running || agent_stopping)
        return;
    if (a->gpu.source == GPU_SRC_SIM) { /* nothing to measure: no report that could only fail */
        if (!a->verify_loaded)
            log_info("simulated GPUs: no benchmark and no verification report");
        a->verify_loaded = true;
        return;
    }
    if (!a->verify_loaded) {
        a->verify_last_run_us = load_last_run(a);
        a->verify_loaded = true;
    }
    int64_t now = clock_wall_us();
    pthread_mutex_lock(&a->mu);
    bool due = agent_verify_due(a->has_score, a->reverify_due, a->verify_last_run_us, a->verify_last_try_us, now);
    pthread_mutex_unlock(&a->mu);
    if (!due)
        return;
    struct vrun *v = xcalloc(1, sizeof *v);
    v->a = a;
    pthread_mutex_lock(&a->mu);
    snprintf(v->token, sizeof v->token, "%s", a->token);
    a->verify_last_try_us = now;
    a->verify_done = false;
    pthread_mutex_unlock(&a->mu);
    v->versions = a->versions ? json_deep_copy(a->versions) : json_object();
    log_info("benchmark and verification report: %s", a->reverify_due ? "re-verification requested" : "due");
    int e = pthread_create(&a->verify_thread, NULL, verify_main, v);
    if (e != 0) {
        log_warn("benchmark thread: %s", strerror(e));
        json_decref(v->versions);
        free(v);
        return;
    }
    a->verify_running = true;
}

void agent_verify_reap(struct agent *a, bool wait)
{
    if (!a->verify_running)
        return;
    pthread_mutex_lock(&a->mu);
    bool done = a->verify_done;
    pthread_mutex_unlock(&a->mu);
    if (!done && !wait)
        return;
    pthread_join(a->verify_thread, NULL);
    a->verify_running = false;
}
