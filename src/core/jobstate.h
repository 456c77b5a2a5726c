#ifndef XC_CORE_JOBSTATE_H
#define XC_CORE_JOBSTATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"

/* Job state machine (domain §8), failure classification (§10.2), priority and trust tiers (§4.2,
 * §20.1). Pure tables and functions. */

/* ---- states (§8.1) ---- */
#define JOBSTATE_STATES(X)                                                                         \
    X(QUEUED, "queued")                                                                            \
    X(ASSIGNED, "assigned")                                                                        \
    X(LEASED, "leased")                                                                            \
    X(RUNNING, "running")                                                                          \
    X(COMPLETED, "completed")                                                                      \
    X(FAILED, "failed")                                                                            \
    X(PREEMPTED, "preempted")                                                                      \
    X(CANCELLED, "cancelled")

enum jobstate {
#define X(id, name) JOB_##id,
    JOBSTATE_STATES(X)
#undef X
    JOB__COUNT
};

/* Wire name of a state, or NULL when out of range. */
const char *jobstate_name(enum jobstate s);
/* Parses an exact wire name. Returns 0, or XC_EINVAL for anything else (NULL included). */
int jobstate_parse(const char *name, enum jobstate *out);
/* assigned, leased, running: the job holds VRAM (and possibly an escrow hold). */
bool jobstate_is_active(enum jobstate s);
/* completed, failed, cancelled: the job does not progress further unless requeued. */
bool jobstate_is_terminal(enum jobstate s);
/* completed, cancelled: nothing can leave these states. */
bool jobstate_is_final(enum jobstate s);

/* ---- transitions (§8.2) ---- */
/* Actors as bits, so one table row can allow several. JOBSTATE_ACTOR_AGENT is the agent of the
 * job's host (for leased/running: the lease holder); the caller checks that the host matches. */
#define JOBSTATE_ACTORS(X)                                                                         \
    X(SCHEDULER, "scheduler")                                                                      \
    X(AGENT, "agent")                                                                              \
    X(OWNER, "owner")                                                                              \
    X(ADMIN, "admin")

enum jobstate_actor_bit {
#define X(id, name) JOBSTATE_ACTOR_BIT_##id,
    JOBSTATE_ACTORS(X)
#undef X
    JOBSTATE_ACTOR__COUNT
};
enum jobstate_actor {
#define X(id, name) JOBSTATE_ACTOR_##id = 1u << JOBSTATE_ACTOR_BIT_##id,
    JOBSTATE_ACTORS(X)
#undef X
    JOBSTATE_ACTOR_ANY = (1u << JOBSTATE_ACTOR__COUNT) - 1
};
const char *jobstate_actor_name(enum jobstate_actor a);

/* Results of jobstate_check. Non-negative values are successes. */
#define JOBSTATE_OK 0               /* the transition may be made */
#define JOBSTATE_UNCHANGED 1        /* to == from: answer 200 and change nothing */
#define JOBSTATE_STOP_REQUEST 2     /* owner cancelling a running job: create a stop request (202) */
#define JOBSTATE_E_TRANSITION XC_ECONFLICT /* not in the table: 409 "Invalid transition: …" */
#define JOBSTATE_E_ACTOR XC_EFORBIDDEN      /* in the table, but not for this actor */
#define JOBSTATE_E_RANGE XC_EINVAL          /* a state or actor out of range */

/* Checks from -> to for one actor (a single JOBSTATE_ACTOR_* value) against the §8.2 table. */
int jobstate_check(enum jobstate from, enum jobstate to, enum jobstate_actor actor);

/* Legal targets from `from` for any actor in actor_mask (JOBSTATE_ACTOR_ANY for all), in state
 * order. Writes up to max into out and returns how many exist. */
size_t jobstate_targets(enum jobstate from, unsigned actor_mask, enum jobstate *out, size_t max);

/* "Invalid transition: queued → completed (allowed: assigned, cancelled)"; "(allowed: none)" when
 * nothing can leave `from`. Targets are those of any actor. The caller owns the string. */
char *jobstate_transition_error(enum jobstate from, enum jobstate to);

/* ---- stop requests (§8.3) ---- */

/* Why a running job was asked to stop, and the state its attempt ends in once the request is
 * pending, whatever ends the attempt: the agent's acknowledgement or report, a lease expiry, the
 * loss of its host, or the sweep's forced stop. Only a preemption sends the job back to the
 * queue; a cancellation (by its owner, for lack of funds or at its maximum duration) ends it
 * cancelled, and mining ends it failed, never retried. */
#define JOBSTATE_STOP_REASONS(X)                                                                   \
    X(PREEMPT, "preempt", PREEMPTED)                                                               \
    X(CANCEL, "cancel", CANCELLED)                                                                 \
    X(INSUFFICIENT_FUNDS, "insufficient_funds", CANCELLED)                                         \
    X(MAX_DURATION, "max_duration", CANCELLED)                                                     \
    X(MINING, "mining", FAILED)

enum jobstate_stop {
#define X(id, name, end) JOB_STOP_##id,
    JOBSTATE_STOP_REASONS(X)
#undef X
    JOB_STOP__COUNT
};

const char *jobstate_stop_name(enum jobstate_stop s);
/* Parses a stop reason's wire name. Returns 0, or XC_EINVAL (NULL and "" included). */
int jobstate_stop_parse(const char *name, enum jobstate_stop *out);

/* The state an attempt with a pending stop request `stop` ends in when its cause alone would
 * move it to `to` (a state outside the active ones). A completed attempt stays completed; with a
 * preemption pending the cause decides (a host loss still fails and retries; the acknowledgement
 * or forced stop preempts); otherwise the stop's own end wins: cancelled for a cancellation,
 * failed for mining. Returns `to` for an out-of-range stop. */
enum jobstate jobstate_stop_outcome(enum jobstate_stop stop, enum jobstate to);

/* ---- failure classification (§10.2) ---- */
#define JOBSTATE_FAULTS(X) X(NONE, "none") X(USER, "user") X(HOST, "host")
enum jobstate_fault {
#define X(id, name) JOB_FAULT_##id,
    JOBSTATE_FAULTS(X)
#undef X
    JOB_FAULT__COUNT
};

/* class, fault, refund percent, retryable — in the order the rules are listed. */
#define JOBSTATE_FAILURE_CLASSES(X)                                                                \
    X(POLICY_VIOLATION, "policy_violation", USER, 0, false)                                        \
    X(HOST_LOST, "host_lost", HOST, 100, true)                                                     \
    X(USER_OOM, "user_oom", USER, 0, false)                                                        \
    X(USER_CODE_ERROR, "user_code_error", USER, 0, false)                                          \
    X(IMAGE_ERROR, "image_error", USER, 0, false)                                                  \
    X(HARDWARE_ERROR, "hardware_error", HOST, 100, true)                                           \
    X(NETWORK_ERROR, "network_error", HOST, 50, true)                                              \
    X(GPU_ERROR, "gpu_error", HOST, 100, true)                                                     \
    X(UNKNOWN, "unknown", NONE, 50, false)

enum jobstate_failure_class {
#define X(id, name, fault, refund, retry) JOB_FAIL_##id,
    JOBSTATE_FAILURE_CLASSES(X)
#undef X
    JOB_FAIL__COUNT
};

struct jobstate_failure {
    enum jobstate_failure_class cls;
    enum jobstate_fault fault;
    int refund_pct;
    bool retryable;
};

/* Classifies a failure from the exit code (when has_exit_code) and failure_reason (NULL = "";
 * compared case-insensitively). */
struct jobstate_failure jobstate_classify(bool has_exit_code, int exit_code, const char *reason);
const char *jobstate_failure_class_name(enum jobstate_failure_class c);
/* Parses a class name; 0 or XC_EINVAL. */
int jobstate_failure_class_parse(const char *name, enum jobstate_failure_class *out);
const char *jobstate_fault_name(enum jobstate_fault f);
/* The table row of a class. */
struct jobstate_failure jobstate_failure_of(enum jobstate_failure_class c);

/* ---- priority tiers (§4.2) ---- */
/* name, priority, billing multiplier (ppm), label */
#define JOBSTATE_PRIORITY_TIERS(X)                                                                 \
    X(FREE, "free", 0, 1000000, "Free")                                                            \
    X(STANDARD, "standard", 1, 1000000, "Standard")                                                \
    X(PREMIUM, "premium", 2, 1500000, "Premium")                                                   \
    X(URGENT, "urgent", 3, 2000000, "Urgent")

enum jobstate_tier {
#define X(id, name, prio, mult, label) JOB_TIER_##id,
    JOBSTATE_PRIORITY_TIERS(X)
#undef X
    JOB_TIER__COUNT
};

#define JOBSTATE_PRIORITY_MAX 10
const char *jobstate_tier_name(enum jobstate_tier t);
const char *jobstate_tier_label(enum jobstate_tier t);
int jobstate_tier_priority(enum jobstate_tier t);
int64_t jobstate_tier_multiplier_ppm(enum jobstate_tier t);
/* Parses an exact priority tier name; 0 or XC_EINVAL. */
int jobstate_tier_parse(const char *name, enum jobstate_tier *out);
/* 0 -> free, 1 -> standard, 2 -> premium, 3..10 -> urgent; 0 or XC_EINVAL outside 0..10. */
int jobstate_tier_from_priority(int priority, enum jobstate_tier *out);

/* ---- trust tiers (§4.2, §20.1), ordered community < residency < sovereignty < regulated ---- */
/* name, label, description, price multiplier (ppm), isolation preferred */
#define JOBSTATE_TRUST_TIERS(X)                                                                    \
    X(COMMUNITY, "community", "Community", "Open marketplace. No jurisdiction guarantees.",        \
      1000000, false)                                                                              \
    X(RESIDENCY, "residency", "Canada Residency",                                                  \
      "Workload scheduled on machines physically in Canada.", 1150000, true)                       \
    X(SOVEREIGNTY, "sovereignty", "Canada Sovereignty",                                            \
      "Canadian-incorporated operator. No foreign jurisdictional exposure.", 1350000, true)       \
    X(REGULATED, "regulated", "Regulated",                                                         \
      "Full audit trail. Suitable for health/public sector workloads.", 1600000, true)

enum jobstate_trust {
#define X(id, name, label, desc, mult, iso) JOB_TRUST_##id,
    JOBSTATE_TRUST_TIERS(X)
#undef X
    JOB_TRUST__COUNT
};

/* Legacy `tier` values that name a trust tier (§4.2 rule 2). */
#define JOBSTATE_TRUST_ALIASES(X)                                                                  \
    X("community", COMMUNITY)                                                                      \
    X("residency", RESIDENCY)                                                                      \
    X("secure", RESIDENCY)                                                                         \
    X("sovereign", SOVEREIGNTY)                                                                    \
    X("sovereignty", SOVEREIGNTY)                                                                  \
    X("regulated", REGULATED)

const char *jobstate_trust_name(enum jobstate_trust t);
const char *jobstate_trust_label(enum jobstate_trust t);
const char *jobstate_trust_description(enum jobstate_trust t);
int64_t jobstate_trust_multiplier_ppm(enum jobstate_trust t);
bool jobstate_trust_isolation_preferred(enum jobstate_trust t);
/* Parses an exact trust tier name (the `trust_tier` field); 0 or XC_EINVAL. */
int jobstate_trust_parse(const char *name, enum jobstate_trust *out);
/* Maps a legacy alias of the `tier` field; 0 or XC_EINVAL when name is not an alias. */
int jobstate_trust_alias(const char *name, enum jobstate_trust *out);

/* Applies the §4.2 submission rules. tier: the request's `tier` (NULL = absent); priority: the
 * request's priority (used only when tier is absent; 0 when absent); trust_tier: the request's
 * `trust_tier` (NULL = absent, default community). Fills *out_tier and *out_trust (the stored
 * priority is jobstate_tier_priority(*out_tier)). Returns 0, or XC_EINVAL for an unknown tier, an
 * unknown trust_tier, or a priority outside 0..10. */
int jobstate_resolve_tiers(const char *tier, int priority, const char *trust_tier,
                           enum jobstate_tier *out_tier, enum jobstate_trust *out_trust);

#endif
