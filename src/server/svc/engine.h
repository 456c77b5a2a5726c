#ifndef XC_ENGINE_H
#define XC_ENGINE_H
#include <jansson.h>
#include <stdbool.h>

#include "core/jobstate.h"
#include "store/model.h"

/* The control plane's write paths: job transitions with their side effects (domain §8.3), queue
 * passes (§7), the heartbeat/lease sweep (§9.3) and failover (§10.4). Functions documented as
 * "in a transaction" expect tx_begin() to have been called; the others open their own. */

struct trans_opts {
    const char *host_id;      /* → assigned: the chosen host */
    int64_t rate_ucad;        /* → assigned: captured rate */
    bool has_exit_code;
    int exit_code;
    const char *reason;       /* → failed: failure_reason */
    bool lease_expired;       /* the lease ends as 'expired' rather than 'released' */
    json_t *report;           /* optional: {"requeued":[], "failed":[]} collects retry outcomes */
    bool no_retry;            /* → failed: skip the automatic retry decision (manual requeue follows) */
    const char *runtime;      /* → assigned: the runtime chosen for the job's trust tier (audit data) */
};

/* Applies from → to on j (already checked legal) with every side effect, stores j and appends
 * events. In a transaction. Failed jobs with a retryable class are requeued here (§10.1). */
int engine_transition(struct job *j, enum jobstate to, const char *actor, const struct trans_opts *o);

/* The scheduler's view of a host (domain §6 inputs: state, capacity, effective and spot rate,
 * trust). hosts' strings are borrowed. */
struct sched_host;
void engine_sched_host(struct sched_host *sh, const struct host *h);

/* One standard queue pass; canada forces the Canada filter. Appends {"job","job_id","host"
 * (, "country")} to assigned. Own transaction. */
int engine_queue_pass(bool canada, json_t *assigned);

/* The extra constraint of a sovereign pass (domain §7.3, api §8.4). */
struct engine_sov {
    bool canada_only;
    const char *province;         /* NULL or "" = any */
    enum jobstate_trust min_tier; /* the stricter of this and each job's own tier applies */
};

/* One sovereign pass (§7.3): the standard pass's snapshot, holds, transitions and events, with
 * the extra constraint, one job per host, verified hosts first and the efficiency key
 * (core/sched_sov). Unplaced jobs keep their pending reasons. Appends {"job_id","job_name",
 * "host_id","gpu_model","country"} to jobs. Own transaction. */
int engine_sovereign_pass(const struct engine_sov *c, json_t *jobs);

/* The sweep of §9.3 (dead hosts, expired leases, assign timeouts, stop-request timeouts).
 * report (may be NULL) gets "dead_hosts", "requeued", "failed" arrays. Own transaction. */
int engine_sweep(json_t *report);

/* Sends a host's jobs back: assigned → queued, leased/running → failed(reason) → retry. In a
 * transaction. */
int engine_host_jobs_lost(const char *host_id, const char *reason, const char *actor, json_t *report);

/* Releases the host's reserved VRAM bookkeeping for a job leaving the active states. */
int engine_release_reservation(struct job *j);

#endif
