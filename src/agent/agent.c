/* The agent's main thread: startup (GPUs, versions, stale containers, egress), the loop of timed
 * duties (heartbeat, admission, work, leases, telemetry, mining checks), shutdown, and --probe.
 * The other rooms are listed in agent_internal.h. */
#include "agent/agent.h"

#include "agent/agent_internal.h"
#include "agent/mesh.h"
#include "agent/probe.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t agent_stopping;

/* Sleeps up to ms, returning early when the agent is stopping. */
void agent_nap_ms(int ms)
{
    while (ms > 0 && !agent_stopping) {
        int k = ms > 200 ? 200 : ms;
        struct timespec ts = {0, (long)k * 1000000L};
        nanosleep(&ts, NULL);
        ms -= k;
    }
}

static void on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        agent_stopping = 1;
}

static void cleanup_stale(struct agent *a)
{
    json_t *list = docker_list_job_containers(a->docker, a->cfg->host_id);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        const char *id = agent_json_str(c, "id", ""), *job = agent_json_str(c, "job_id", "");
        log_warn("removing container %.12s of job %s left by an earlier run of this agent", id, job);
        docker_remove(a->docker, id);
        fw_remove_netns(job, (int)json_integer_value(json_object_get(c, "attempt")));
    }
    json_decref(list);
}

static int startup(struct agent *a)
{
    struct agent_config *c = a->cfg;
    if (mkdir(c->work_dir, 0700) != 0 && errno != EEXIST)
        log_warn("cannot create XCELSIOR_WORK_DIR %s: %s", c->work_dir, strerror(errno));
    if (c->tailscale_enabled)
        mesh_ensure(c->host_id, c->tailscale_authkey, c->headscale_url, c->work_dir);
    if (agent_detect_gpus(a) != 0)
        return -1;
    if (*c->host_ip)
        snprintf(a->ip, sizeof a->ip, "%s", c->host_ip);
    else if (c->tailscale_enabled && mesh_ip4(a->ip, sizeof a->ip) == 0)
        log_info("mesh address %s", a->ip);
    else
        probe_host_ip(a->ip, sizeof a->ip);
    if (docker_ping(a->docker) != 0)
        log_warn("container engine not reachable at %s; jobs will fail until it is", c->docker_socket);
    agent_gather_versions(a);
    char *vs = json_dumps(a->versions, JSON_COMPACT);
    log_info("versions %s", vs ? vs : "{}");
    free(vs);
    cleanup_stale(a);
    agent_setup_egress(a);
    return 0;
}

static void shutdown_jobs(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    int n = agent_active_jobs(a);
    if (n)
        log_info("shutting down: stopping %d job%s (reported preempted: agent_shutdown)", n, n == 1 ? "" : "s");
    for (struct agent_job *j = a->jobs; j; j = j->next)
        agent_initiate_stop(a, j, "shutdown", 15, false);
    pthread_mutex_unlock(&a->mu);
    int64_t deadline = clock_mono_us() + 60 * SEC;
    while (clock_mono_us() < deadline) {
        agent_escalate_stops(a);
        agent_reap_jobs(a);
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
    agent_load_token(a);
    a->http = agent_http_new(cfg->scheduler_url, a->token);
    a->docker = docker_new(cfg->docker_socket);
    if (startup(a) != 0)
        goto out;

    int64_t now = clock_mono_us();
    int64_t t_hb = now, t_admit = now, t_poll = now, t_tel = now + SEC, t_mine = now + cfg->mining_check_s * SEC;
    int admit_backoff = 5, poll_fail = 0;
    while (!agent_stopping) {
        now = clock_mono_us();
        if (!a->registered || now >= t_hb) {
            if (agent_heartbeat(a) == 0) {
                a->failures = 0;
            } else if (++a->failures > cfg->max_failures) {
                log_error("%d consecutive control-plane failures; shutting down", a->failures);
                break;
            }
            t_hb = now + cfg->heartbeat_s * SEC;
        }
        if (a->registered && !a->admitted && now >= t_admit) {
            agent_gather_versions(a);
            int r = agent_report_versions(a);
            if (r == 1) {
                admit_backoff = 5;
                t_poll = now;
            } else {
                int wait = admit_backoff;
                admit_backoff = admit_backoff * 2 > cfg->admission_retry_max_s ? cfg->admission_retry_max_s : admit_backoff * 2;
                if (wait > cfg->admission_retry_max_s)
                    wait = cfg->admission_retry_max_s;
                log_info("next version report in %d s", wait);
                t_admit = now + wait * SEC;
            }
        }
        if (a->registered && now >= t_poll) {
            int rc = 0;
            pthread_mutex_lock(&a->mu);
            int active = agent_active_jobs(a);
            pthread_mutex_unlock(&a->mu);
            if (a->admitted && active < cfg->max_concurrent)
                rc = agent_poll_work(a);
            if (active > 0 && agent_poll_preempt(a) != 0)
                rc = -1;
            if (rc == 0) {
                poll_fail = 0;
                t_poll = now + cfg->poll_s * SEC;
            } else {
                poll_fail++;
                int back = poll_fail >= 9 ? 300 : 1 << poll_fail;
                if (back > 300)
                    back = 300;
                if (back < cfg->poll_s)
                    back = cfg->poll_s;
                t_poll = now + back * SEC;
            }
        }
        if (now >= t_tel) {
            agent_telemetry(a);
            t_tel = now + cfg->telemetry_s * SEC;
        }
        if (now >= t_mine) {
            agent_mining_check(a);
            t_mine = now + cfg->mining_check_s * SEC;
        }
        agent_verify_maybe_start(a);
        agent_verify_reap(a, false);
        agent_renew_leases(a);
        agent_escalate_stops(a);
        agent_push_allow_updates(a);
        agent_reap_jobs(a);

        /* Sleep until the next deadline (at most 1 s), or until a signal arrives. */
        int64_t next = t_hb;
        if (a->registered && t_poll < next)
            next = t_poll;
        if (t_tel < next)
            next = t_tel;
        int64_t wait = next - clock_mono_us();
        if (wait > SEC)
            wait = SEC;
        if (wait < 10000)
            wait = 10000;
        struct timespec ts = {wait / SEC, (long)(wait % SEC) * 1000};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            agent_stopping = 1;
    }
    agent_stopping = 1;
    shutdown_jobs(a);
    agent_verify_reap(a, true);
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
    if (agent_detect_gpus(a) != 0) {
        docker_free(a->docker);
        free(a);
        return 1;
    }
    if (cfg->tailscale_enabled && mesh_ip4(a->ip, sizeof a->ip) == 0)
        ;
    else
        probe_host_ip(a->ip, sizeof a->ip);
    agent_gather_versions(a);
    json_t *gpus = json_array();
    for (int i = 0; i < a->nlast; i++)
        json_array_append_new(gpus, nvml_gpu_json(&a->gpu, &a->last[i], (int)a->last[i].temp_c * 10, agent_now_s()));
    json_t *out = json_pack("{s:s,s:s,s:i,s:f,s:s,s:O,s:O,s:O,s:b}", "ip", a->ip, "gpu_model", a->gpu_model, "gpu_count",
                            a->gpu_count, "total_vram_gb", agent_centi(a->total_cgb), "gpu_source",
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
