#ifndef XC_MODEL_H
#define XC_MODEL_H
#include <stdbool.h>
#include <stdint.h>

#include "core/states.h"
#include "core/jobstate.h"

/* Rows as the store hands them out. Units: VRAM milli-GB (mgb), money µCAD, time µs.
 * JSON-valued columns are kept as owned JSON text; *_free() releases them. */

struct host {
    char host_id[65];
    char owner[72];
    char ip[64];
    char gpu_model[129];
    int gpu_count;
    int64_t total_mgb, reported_free_mgb, reserved_mgb;
    int64_t cost_per_hour;
    char country[3];
    char province[65];
    enum hoststate status;
    bool admitted;
    char *admission_details; /* JSON object text or NULL */
    char recommended_runtime[8];
    char *versions; /* JSON object text */
    char *runtimes; /* JSON array text */
    int64_t registered_at, last_seen;
    bool has_latency;
    int latency_ms;
    bool autoscaled;
    bool has_score;
    int64_t compute_score; /* hundredths of an XCU */
    char verification_state[12];
    char trust_tier[16];
    char sla_tier[12];
    bool reverify_due;
    bool simulated;
    char corporation_name[201], business_number[201], gst_hst_number[201], legal_name[201];
};

struct job {
    char job_id[33];
    char name[129];
    char owner[72];
    int64_t vram_mgb;
    int num_gpus;
    int priority;
    char tier[12];
    char trust_tier[16];
    bool spot;
    bool has_max_bid;
    int64_t max_bid;
    char image[256];
    char *command;     /* JSON array text */
    char *environment; /* JSON object text */
    char nfs_server[256], nfs_path[513], nfs_mount_point[513];
    bool has_max_duration;
    int64_t max_duration_ms;
    enum jobstate status;
    char host_id[65]; /* "" = none */
    char lease_id[33];
    bool has_rate;
    int64_t rate_per_hour;
    int64_t vram_reserved_mgb;
    int64_t submitted_at, assigned_at, started_at, completed_at; /* 0 = not yet */
    int retries, max_retries, attempt;
    bool has_exit_code;
    int exit_code;
    char failure_reason[501];
    char failure_class[24];
    bool has_stop_request;               /* false: no stop request pending */
    enum jobstate_stop stop_requested; /* meaningful when has_stop_request */
    int64_t stop_requested_at;
    int64_t preempted_at;
    char hold_reason[32];
    char pending_reason[256];
    char *avoid_hosts; /* JSON array text */
};

/* The columns scheduling needs of a queued job (a narrow read of the queue). */
/* What a queue pass needs of a queued job: kept small, a pass holds the whole queue. */
struct job_brief {
    char job_id[33];
    int priority;
    int64_t submitted_at;
    int num_gpus;
    int64_t vram_mgb;
    char trust_tier[16];
    bool spot;
    int64_t max_bid;
    char owner[72];
    char hold_reason[32];
    uint64_t pending_hash; /* job_reason_hash of the stored pending_reason */
    char *avoid_hosts;     /* JSON array text, owned; NULL when empty */
};
/* A 64-bit FNV-1a hash of a pending reason (to tell whether it changed without keeping it). */
uint64_t job_reason_hash(const char *reason);

struct lease {
    char lease_id[33];
    char job_id[33];
    char host_id[65];
    int64_t granted_at, expires_at, last_renewed;
    int duration_sec;
    enum leasestate status;
};

struct pool_entry {
    char host_id[65];
    char ip[64];
    char gpu_model[129];
    int64_t vram_mgb;
    int gpu_count;
    int64_t cost_per_hour;
    char country[3];
    char province[65];
    bool provisioned;
    int64_t provisioned_at;
};

void host_init(struct host *h);
void host_free(struct host *h);
void job_init(struct job *j);
void job_free(struct job *j);
/* Schedulable free VRAM: max(0, min(reported, total - reserved)). */
int64_t host_free_mgb(const struct host *h);

#endif
