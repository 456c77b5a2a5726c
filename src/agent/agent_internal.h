#ifndef XC_AGENT_INTERNAL_H
#define XC_AGENT_INTERNAL_H
/* The agent's shared state and the functions its rooms call on each other. Only src/agent/agent*.c
 * include this; everything else talks to the agent through agent.h.
 *
 *   agent.c            startup, the main loop of timed duties, shutdown, --probe
 *   agent_rules.c      pure decisions (final report, GPU pick, sandbox need, UTF-8 cleaning)
 *   agent_host.c       host facts: GPUs, component versions, container runtimes
 *   agent_register.c   registration, heartbeat, agent token, admission (version reports)
 *   agent_work.c       pulling work, leases, stop requests, reaping finished job threads
 *   agent_job.c        the job runner: one thread per job attempt, from claim to final report
 *   agent_telemetry.c  GPU telemetry and the mining detector
 *   agent_egress.c     the egress firewall: host setup, allow-list resolver, live updates
 *   agent_measure.c    the benchmark and verification report run (its own thread)
 *   agent_verify.c     the report built from what was measured (pure, agent_verify.h)
 *
 * Locking: a->mu guards the fields marked so below and the jobs list; the job threads and the
 * resolver thread take it for every access to shared state. Network calls are made without it. */
#include "agent/agent.h"
#include "agent/agent_http.h"
#include "agent/docker.h"
#include "agent/fw.h"
#include "agent/mining.h"
#include "agent/nvml.h"
#include "common/clock.h"
#include "common/units.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define MAX_GPUS 64

struct agent;

/* One job attempt on this host: created by the main thread, run by its own thread (agent_job.c),
 * freed by the main thread once done (agent_reap_jobs). */
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
    bool has_score, reverify_due; /* from the server's host view (reverify_due guarded by mu) */
    /* Benchmark and verification run (agent_measure.c). */
    pthread_t verify_thread;
    bool verify_running, verify_loaded;
    bool verify_done;               /* guarded by mu */
    int64_t verify_last_run_us;     /* guarded by mu */
    int64_t verify_last_try_us;
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

/* Set by SIGTERM/SIGINT: every loop of every thread ends when it is. */
extern volatile sig_atomic_t agent_stopping;

/* ---- small utilities ---- */

static inline double agent_now_s(void)
{
    return (double)clock_wall_us() / (double)SEC;
}

/* Hundredths of a GB (as NVML reports them here) as GB. */
static inline double agent_centi(int64_t c)
{
    return (double)c / 100.0;
}

static inline const char *agent_json_str(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

/* Wakes the main loop early (a job ended). */
static inline void agent_wake_main(struct agent *a)
{
    pthread_kill(a->main_thread, SIGUSR1);
}

/* Sleeps up to ms, returning early when the agent is stopping. */
void agent_nap_ms(int ms);

/* ---- agent_host.c ---- */

/* Finds the GPUs (NVML, nvidia-smi, or --simulate). Returns 0, or -1 when there are none. */
int agent_detect_gpus(struct agent *a);
/* Probes component versions and the sandbox runtimes the engine offers into a->versions and
 * a->runtimes. */
void agent_gather_versions(struct agent *a);
/* The engine runtime for a job of this trust tier: a sandbox (gVisor, else Kata) when the tier
 * prefers one or XCELSIOR_PREFER_GVISOR and the server recommends it, and the host offers it;
 * else NULL = the engine default (hardened runc). */
const char *agent_choose_runtime(struct agent *a, const char *tier);

/* ---- agent_register.c ---- */

/* Picks up the agent token stored by an earlier run, when no agent token is configured. */
void agent_load_token(struct agent *a);
/* PUT /host: registration and heartbeat. Returns 0 on a 2xx answer. */
int agent_heartbeat(struct agent *a);
/* POST /agent/versions. Returns 1 admitted, 0 rejected, -1 failure. */
int agent_report_versions(struct agent *a);

/* ---- agent_work.c ---- */

/* Jobs not yet done. Called with a->mu held. */
int agent_active_jobs(struct agent *a);
/* Starts stopping a job: SIGTERM now (SIGKILL when kill_now), SIGKILL after grace. Called with
 * a->mu held. */
void agent_initiate_stop(struct agent *a, struct agent_job *j, const char *reason, int grace_s, bool kill_now);
/* Sends the SIGTERMs a job's start delayed and the SIGKILLs whose grace is over. */
void agent_escalate_stops(struct agent *a);
/* GET /agent/preempt/{host}: applies the stop requests. Returns 0 or -1. */
int agent_poll_preempt(struct agent *a);
/* GET /agent/work/{host}: starts a thread for each new job. Returns 0 or -1. */
int agent_poll_work(struct agent *a);
/* Renews the leases that are due; a refused renewal abandons the job. */
void agent_renew_leases(struct agent *a);
/* Joins and frees the finished job threads. */
void agent_reap_jobs(struct agent *a);

/* ---- agent_job.c ---- */

/* The thread of one job attempt (arg: its struct agent_job). Sets j->done at the end. */
void *agent_job_main(void *arg);

/* ---- agent_telemetry.c ---- */

/* POST /agent/telemetry with fresh GPU readings. */
void agent_telemetry(struct agent *a);
/* Feeds the mining detector; kills and reports the jobs on a GPU it flags. */
void agent_mining_check(struct agent *a);

/* ---- agent_measure.c ---- */

/* Starts the benchmark and verification report thread when it is due (agent_verify_due). */
void agent_verify_maybe_start(struct agent *a);
/* Joins the thread once it is done (wait: join even when it is not). */
void agent_verify_reap(struct agent *a, bool wait);

/* ---- agent_egress.c ---- */

/* Sets up the host side of the egress firewall (or records that there is none) and starts the
 * allow-list resolver when names need resolving. */
void agent_setup_egress(struct agent *a);
/* Pushes a changed allow-list into the namespaces of the running jobs. */
void agent_push_allow_updates(struct agent *a);

#endif
