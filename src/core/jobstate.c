/* The job state machine, failure classes, stop reasons and tier tables (pure). */
#include "core/jobstate.h"

#include "common/errors.h"
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"

/* ---- states ---- */

static const char *const state_names[JOB__COUNT] = {
#define X(id, name) name,
    JOBSTATE_STATES(X)
#undef X
};

const char *jobstate_name(enum jobstate s)
{
    return (unsigned)s < JOB__COUNT ? state_names[s] : NULL;
}

int jobstate_parse(const char *name, enum jobstate *out)
{
    if (!name)
        return XC_EINVAL;
    for (int i = 0; i < JOB__COUNT; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum jobstate)i;
            return 0;
        }
    return XC_EINVAL;
}

bool jobstate_is_active(enum jobstate s)
{
    return s == JOB_ASSIGNED || s == JOB_LEASED || s == JOB_RUNNING;
}

bool jobstate_is_terminal(enum jobstate s)
{
    return s == JOB_COMPLETED || s == JOB_FAILED || s == JOB_CANCELLED;
}

bool jobstate_is_final(enum jobstate s)
{
    return s == JOB_COMPLETED || s == JOB_CANCELLED;
}

/* ---- transitions ---- */

static const char *const actor_names[JOBSTATE_ACTOR__COUNT] = {
#define X(id, name) name,
    JOBSTATE_ACTORS(X)
#undef X
};

const char *jobstate_actor_name(enum jobstate_actor a)
{
    for (int i = 0; i < JOBSTATE_ACTOR__COUNT; i++)
        if ((unsigned)a == 1u << i)
            return actor_names[i];
    return NULL;
}

#define S JOBSTATE_ACTOR_SCHEDULER
#define G JOBSTATE_ACTOR_AGENT
#define O JOBSTATE_ACTOR_OWNER
#define A JOBSTATE_ACTOR_ADMIN
/* §8.2: from, to, actors allowed to make the transition directly. */
#define JOBSTATE_TRANSITIONS(X)                                                                    \
    X(QUEUED, ASSIGNED, S)                                                                         \
    X(QUEUED, CANCELLED, O | A)                                                                    \
    X(ASSIGNED, LEASED, G)                                                                         \
    X(ASSIGNED, RUNNING, G | A)                                                                    \
    X(ASSIGNED, QUEUED, S | A)                                                                     \
    X(ASSIGNED, FAILED, G)                                                                         \
    X(ASSIGNED, CANCELLED, O | A)                                                                  \
    X(LEASED, RUNNING, G | A)                                                                      \
    X(LEASED, FAILED, G | S | A)                                                                   \
    X(LEASED, CANCELLED, O | A)                                                                    \
    X(RUNNING, COMPLETED, G | A)                                                                   \
    X(RUNNING, FAILED, G | S | A)                                                                  \
    X(RUNNING, PREEMPTED, G | S | A)                                                               \
    X(RUNNING, CANCELLED, G | S | A)                                                               \
    X(FAILED, QUEUED, S | O | A)                                                                   \
    X(PREEMPTED, QUEUED, S)

/* Non-zero actor mask where the transition exists (0 = not in the table). */
static const unsigned transition_actors[JOB__COUNT][JOB__COUNT] = {
#define X(from, to, actors) [JOB_##from][JOB_##to] = (actors),
    JOBSTATE_TRANSITIONS(X)
#undef X
};
#undef S
#undef G
#undef O
#undef A

static bool actor_valid(enum jobstate_actor a)
{
    unsigned u = (unsigned)a;
    return u != 0 && (u & (u - 1)) == 0 && (u & ~(unsigned)JOBSTATE_ACTOR_ANY) == 0;
}

int jobstate_check(enum jobstate from, enum jobstate to, enum jobstate_actor actor)
{
    if ((unsigned)from >= JOB__COUNT || (unsigned)to >= JOB__COUNT || !actor_valid(actor))
        return JOBSTATE_E_RANGE;
    if (from == to)
        return JOBSTATE_UNCHANGED;
    unsigned allowed = transition_actors[from][to];
    if (!allowed)
        return JOBSTATE_E_TRANSITION;
    if (allowed & (unsigned)actor)
        return JOBSTATE_OK;
    if (from == JOB_RUNNING && to == JOB_CANCELLED && actor == JOBSTATE_ACTOR_OWNER)
        return JOBSTATE_STOP_REQUEST;
    return JOBSTATE_E_ACTOR;
}

size_t jobstate_targets(enum jobstate from, unsigned actor_mask, enum jobstate *out, size_t max)
{
    size_t n = 0;
    if ((unsigned)from >= JOB__COUNT)
        return 0;
    for (int to = 0; to < JOB__COUNT; to++) {
        unsigned allowed = transition_actors[from][to];
        if (from == JOB_RUNNING && to == JOB_CANCELLED)
            allowed |= JOBSTATE_ACTOR_OWNER; /* by stop request */
        if (!(allowed & actor_mask))
            continue;
        if (n < max)
            out[n] = (enum jobstate)to;
        n++;
    }
    return n;
}

/* The caller owns the returned string. */
char *jobstate_transition_error(enum jobstate from, enum jobstate to)
{
    enum jobstate t[JOB__COUNT];
    size_t n = jobstate_targets(from, JOBSTATE_ACTOR_ANY, t, JOB__COUNT);
    char list[256] = "none";
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", state_names[t[i]]);
    const char *f = jobstate_name(from), *tn = jobstate_name(to);
    return xasprintf("Invalid transition: %s → %s (allowed: %s)", f ? f : "?", tn ? tn : "?",
                     list);
}

/* ---- failure classification ---- */

static const struct jobstate_failure failure_rows[JOB_FAIL__COUNT] = {
#define X(id, name, fault, refund, retry) {JOB_FAIL_##id, JOB_FAULT_##fault, refund, retry},
    JOBSTATE_FAILURE_CLASSES(X)
#undef X
};
static const char *const failure_names[JOB_FAIL__COUNT] = {
#define X(id, name, fault, refund, retry) name,
    JOBSTATE_FAILURE_CLASSES(X)
#undef X
};
static const char *const fault_names[JOB_FAULT__COUNT] = {
#define X(id, name) name,
    JOBSTATE_FAULTS(X)
#undef X
};

const char *jobstate_failure_class_name(enum jobstate_failure_class c)
{
    return (unsigned)c < JOB_FAIL__COUNT ? failure_names[c] : NULL;
}

/* ---- stop requests ---- */

static const char *const stop_names[] = {
#define X(id, name, end) name,
    JOBSTATE_STOP_REASONS(X)
#undef X
};

static const enum jobstate stop_ends[] = {
#define X(id, name, end) JOB_##end,
    JOBSTATE_STOP_REASONS(X)
#undef X
};

const char *jobstate_stop_name(enum jobstate_stop s)
{
    return (unsigned)s < JOB_STOP__COUNT ? stop_names[s] : NULL;
}

int jobstate_stop_parse(const char *name, enum jobstate_stop *out)
{
    if (!name)
        return XC_EINVAL;
    for (int i = 0; i < JOB_STOP__COUNT; i++)
        if (strcmp(name, stop_names[i]) == 0) {
            *out = (enum jobstate_stop)i;
            return 0;
        }
    return XC_EINVAL;
}

enum jobstate jobstate_stop_outcome(enum jobstate_stop stop, enum jobstate to)
{
    if ((unsigned)stop >= JOB_STOP__COUNT || to == JOB_COMPLETED || stop == JOB_STOP_PREEMPT)
        return to;
    return stop_ends[stop];
}

int jobstate_failure_class_parse(const char *name, enum jobstate_failure_class *out)
{
    if (!name)
        return XC_EINVAL;
    for (int i = 0; i < JOB_FAIL__COUNT; i++)
        if (strcmp(name, failure_names[i]) == 0) {
            *out = (enum jobstate_failure_class)i;
            return 0;
        }
    return XC_EINVAL;
}

const char *jobstate_fault_name(enum jobstate_fault f)
{
    return (unsigned)f < JOB_FAULT__COUNT ? fault_names[f] : NULL;
}

struct jobstate_failure jobstate_failure_of(enum jobstate_failure_class c)
{
    return failure_rows[(unsigned)c < JOB_FAIL__COUNT ? c : JOB_FAIL_UNKNOWN];
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive prefix test; needle is lower-case. */
static bool ci_prefix(const char *s, const char *needle)
{
    for (; *needle; s++, needle++)
        if (lower(*s) != *needle)
            return false;
    return true;
}

static bool ci_eq(const char *s, const char *needle)
{
    return ci_prefix(s, needle) && s[strlen(needle)] == '\0';
}

static bool ci_contains(const char *s, const char *needle)
{
    for (; *s; s++)
        if (ci_prefix(s, needle))
            return true;
    return false;
}

struct jobstate_failure jobstate_classify(bool has_exit_code, int exit_code, const char *reason)
{
    static const char *const host_lost[] = {"host_lost", "lease_expired", "host_removed",
                                            "runtime_unavailable"};
    const char *r = reason ? reason : "";
    enum jobstate_failure_class c = JOB_FAIL_UNKNOWN;
    bool lost = false;
    for (size_t i = 0; i < sizeof host_lost / sizeof host_lost[0]; i++)
        lost = lost || ci_eq(r, host_lost[i]);

    if (ci_prefix(r, "mining_detected"))
        c = JOB_FAIL_POLICY_VIOLATION;
    else if (lost)
        c = JOB_FAIL_HOST_LOST;
    else if ((has_exit_code && exit_code == 137) || ci_contains(r, "oom"))
        c = JOB_FAIL_USER_OOM;
    else if (has_exit_code && (exit_code == 139 || exit_code == 134 || exit_code == 136))
        c = JOB_FAIL_USER_CODE_ERROR;
    else if (ci_prefix(r, "image_error"))
        c = JOB_FAIL_IMAGE_ERROR;
    else if ((has_exit_code && (exit_code == -1 || exit_code == 255)) || ci_contains(r, "hardware"))
        c = JOB_FAIL_HARDWARE_ERROR;
    else if (ci_contains(r, "timeout") || ci_contains(r, "network"))
        c = JOB_FAIL_NETWORK_ERROR;
    else if (ci_contains(r, "gpu") || ci_contains(r, "cuda") || ci_contains(r, "xid"))
        c = JOB_FAIL_GPU_ERROR;
    return failure_rows[c];
}

/* ---- priority tiers ---- */

struct tier_row {
    const char *name;
    int priority;
    int64_t mult_ppm;
    const char *label;
};
static const struct tier_row tier_rows[JOB_TIER__COUNT] = {
#define X(id, name, prio, mult, label) {name, prio, mult, label},
    JOBSTATE_PRIORITY_TIERS(X)
#undef X
};

const char *jobstate_tier_name(enum jobstate_tier t)
{
    return (unsigned)t < JOB_TIER__COUNT ? tier_rows[t].name : NULL;
}

const char *jobstate_tier_label(enum jobstate_tier t)
{
    return (unsigned)t < JOB_TIER__COUNT ? tier_rows[t].label : NULL;
}

int jobstate_tier_priority(enum jobstate_tier t)
{
    return (unsigned)t < JOB_TIER__COUNT ? tier_rows[t].priority : 0;
}

int64_t jobstate_tier_multiplier_ppm(enum jobstate_tier t)
{
    return (unsigned)t < JOB_TIER__COUNT ? tier_rows[t].mult_ppm : 1000000;
}

int jobstate_tier_parse(const char *name, enum jobstate_tier *out)
{
    if (!name)
        return XC_EINVAL;
    for (int i = 0; i < JOB_TIER__COUNT; i++)
        if (strcmp(name, tier_rows[i].name) == 0) {
            *out = (enum jobstate_tier)i;
            return 0;
        }
    return XC_EINVAL;
}

int jobstate_tier_from_priority(int priority, enum jobstate_tier *out)
{
    if (priority < 0 || priority > JOBSTATE_PRIORITY_MAX)
        return XC_EINVAL;
    *out = priority == 0   ? JOB_TIER_FREE
           : priority == 1 ? JOB_TIER_STANDARD
           : priority == 2 ? JOB_TIER_PREMIUM
                           : JOB_TIER_URGENT;
    return 0;
}

/* ---- trust tiers ---- */

struct trust_row {
    const char *name, *label, *desc;
    int64_t mult_ppm;
    bool isolation;
};
static const struct trust_row trust_rows[JOB_TRUST__COUNT] = {
#define X(id, name, label, desc, mult, iso) {name, label, desc, mult, iso},
    JOBSTATE_TRUST_TIERS(X)
#undef X
};

struct trust_alias {
    const char *name;
    enum jobstate_trust tier;
};
static const struct trust_alias trust_aliases[] = {
#define X(name, tier) {name, JOB_TRUST_##tier},
    JOBSTATE_TRUST_ALIASES(X)
#undef X
};

const char *jobstate_trust_name(enum jobstate_trust t)
{
    return (unsigned)t < JOB_TRUST__COUNT ? trust_rows[t].name : NULL;
}

const char *jobstate_trust_label(enum jobstate_trust t)
{
    return (unsigned)t < JOB_TRUST__COUNT ? trust_rows[t].label : NULL;
}

const char *jobstate_trust_description(enum jobstate_trust t)
{
    return (unsigned)t < JOB_TRUST__COUNT ? trust_rows[t].desc : NULL;
}

int64_t jobstate_trust_multiplier_ppm(enum jobstate_trust t)
{
    return (unsigned)t < JOB_TRUST__COUNT ? trust_rows[t].mult_ppm : 1000000;
}

bool jobstate_trust_isolation_preferred(enum jobstate_trust t)
{
    return (unsigned)t < JOB_TRUST__COUNT && trust_rows[t].isolation;
}

int jobstate_trust_parse(const char *name, enum jobstate_trust *out)
{
    if (!name)
        return XC_EINVAL;
    for (int i = 0; i < JOB_TRUST__COUNT; i++)
        if (strcmp(name, trust_rows[i].name) == 0) {
            *out = (enum jobstate_trust)i;
            return 0;
        }
    return XC_EINVAL;
}

int jobstate_trust_alias(const char *name, enum jobstate_trust *out)
{
    if (!name)
        return XC_EINVAL;
    for (size_t i = 0; i < sizeof trust_aliases / sizeof trust_aliases[0]; i++)
        if (strcmp(name, trust_aliases[i].name) == 0) {
            *out = trust_aliases[i].tier;
            return 0;
        }
    return XC_EINVAL;
}

int jobstate_resolve_tiers(const char *tier, int priority, const char *trust_tier,
                           enum jobstate_tier *out_tier, enum jobstate_trust *out_trust)
{
    enum jobstate_tier pt = JOB_TIER_FREE;
    enum jobstate_trust tt = JOB_TRUST_COMMUNITY;
    int rc = 0;
    if (trust_tier && (rc = jobstate_trust_parse(trust_tier, &tt)) < 0)
        goto out;
    if (!tier) {
        rc = jobstate_tier_from_priority(priority, &pt);
    } else if (jobstate_tier_parse(tier, &pt) == 0) {
        rc = 0;
    } else {
        enum jobstate_trust alias;
        rc = jobstate_trust_alias(tier, &alias);
        if (rc == 0) {
            pt = JOB_TIER_FREE;
            if (!trust_tier)
                tt = alias;
        }
    }
out:
    if (rc == 0) {
        *out_tier = pt;
        *out_trust = tt;
    }
    return rc;
}
