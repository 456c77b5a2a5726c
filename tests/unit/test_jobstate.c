#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobstate.h"

Test(jobstate, names_and_parse)
{
    const char *names[] = {"queued", "assigned", "leased", "running",
                           "completed", "failed", "preempted", "cancelled"};
    cr_assert_eq(JOB__COUNT, 8);
    for (int i = 0; i < JOB__COUNT; i++) {
        enum jobstate s;
        cr_assert_str_eq(jobstate_name((enum jobstate)i), names[i]);
        cr_assert_eq(jobstate_parse(names[i], &s), 0);
        cr_assert_eq(s, (enum jobstate)i);
    }
    enum jobstate s = JOB_QUEUED;
    cr_assert_eq(jobstate_parse("totally_bogus_status", &s), XC_EINVAL);
    cr_assert_eq(jobstate_parse("Queued", &s), XC_EINVAL);
    cr_assert_eq(jobstate_parse("", &s), XC_EINVAL);
    cr_assert_eq(jobstate_parse(NULL, &s), XC_EINVAL);
    cr_assert_null(jobstate_name(JOB__COUNT));
}

Test(jobstate, predicates)
{
    for (int i = 0; i < JOB__COUNT; i++) {
        enum jobstate s = (enum jobstate)i;
        bool active = s == JOB_ASSIGNED || s == JOB_LEASED || s == JOB_RUNNING;
        bool terminal = s == JOB_COMPLETED || s == JOB_FAILED || s == JOB_CANCELLED;
        bool final = s == JOB_COMPLETED || s == JOB_CANCELLED;
        cr_assert_eq(jobstate_is_active(s), active, "%s", jobstate_name(s));
        cr_assert_eq(jobstate_is_terminal(s), terminal, "%s", jobstate_name(s));
        cr_assert_eq(jobstate_is_final(s), final, "%s", jobstate_name(s));
    }
}

#define SCH JOBSTATE_ACTOR_SCHEDULER
#define AGT JOBSTATE_ACTOR_AGENT
#define OWN JOBSTATE_ACTOR_OWNER
#define ADM JOBSTATE_ACTOR_ADMIN

struct row {
    enum jobstate from, to;
    unsigned actors;
};

/* The §8.2 table, written out independently of the implementation's. */
static const struct row table[] = {
    {JOB_QUEUED, JOB_ASSIGNED, SCH},
    {JOB_QUEUED, JOB_CANCELLED, OWN | ADM},
    {JOB_ASSIGNED, JOB_LEASED, AGT},
    {JOB_ASSIGNED, JOB_RUNNING, AGT | ADM},
    {JOB_ASSIGNED, JOB_QUEUED, SCH | ADM},
    {JOB_ASSIGNED, JOB_FAILED, AGT},
    {JOB_ASSIGNED, JOB_CANCELLED, OWN | ADM},
    {JOB_LEASED, JOB_RUNNING, AGT | ADM},
    {JOB_LEASED, JOB_FAILED, AGT | SCH | ADM},
    {JOB_LEASED, JOB_CANCELLED, OWN | ADM},
    {JOB_RUNNING, JOB_COMPLETED, AGT | ADM},
    {JOB_RUNNING, JOB_FAILED, AGT | SCH | ADM},
    {JOB_RUNNING, JOB_PREEMPTED, AGT | SCH | ADM},
    {JOB_RUNNING, JOB_CANCELLED, AGT | SCH | ADM},
    {JOB_FAILED, JOB_QUEUED, SCH | OWN | ADM},
    {JOB_PREEMPTED, JOB_QUEUED, SCH},
};

static unsigned table_actors(enum jobstate f, enum jobstate t)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].from == f && table[i].to == t)
            return table[i].actors;
    return 0;
}

Test(jobstate, full_transition_matrix)
{
    const enum jobstate_actor actors[] = {SCH, AGT, OWN, ADM};
    for (int f = 0; f < JOB__COUNT; f++)
        for (int t = 0; t < JOB__COUNT; t++)
            for (int a = 0; a < 4; a++) {
                int rc = jobstate_check((enum jobstate)f, (enum jobstate)t, actors[a]);
                unsigned allowed = table_actors((enum jobstate)f, (enum jobstate)t);
                int want;
                if (f == t)
                    want = JOBSTATE_UNCHANGED;
                else if (!allowed)
                    want = JOBSTATE_E_TRANSITION;
                else if (allowed & actors[a])
                    want = JOBSTATE_OK;
                else if (f == JOB_RUNNING && t == JOB_CANCELLED && actors[a] == OWN)
                    want = JOBSTATE_STOP_REQUEST;
                else
                    want = JOBSTATE_E_ACTOR;
                cr_assert_eq(rc, want, "%s -> %s by %s: got %d want %d",
                             jobstate_name((enum jobstate)f), jobstate_name((enum jobstate)t),
                             jobstate_actor_name(actors[a]), rc, want);
            }
}

Test(jobstate, spot_checks)
{
    cr_assert_eq(jobstate_check(JOB_QUEUED, JOB_COMPLETED, ADM), JOBSTATE_E_TRANSITION);
    cr_assert_eq(jobstate_check(JOB_COMPLETED, JOB_RUNNING, ADM), JOBSTATE_E_TRANSITION);
    cr_assert_eq(jobstate_check(JOB_COMPLETED, JOB_COMPLETED, AGT), JOBSTATE_UNCHANGED);
    cr_assert_eq(jobstate_check(JOB_QUEUED, JOB_ASSIGNED, ADM), JOBSTATE_E_ACTOR);
    cr_assert_eq(jobstate_check(JOB_RUNNING, JOB_CANCELLED, OWN), JOBSTATE_STOP_REQUEST);
    cr_assert_eq(jobstate_check(JOB_PREEMPTED, JOB_QUEUED, OWN), JOBSTATE_E_ACTOR);
    cr_assert_eq(jobstate_check(JOB_QUEUED, JOB_ASSIGNED, JOBSTATE_ACTOR_ANY), JOBSTATE_E_RANGE);
    cr_assert_eq(jobstate_check(JOB__COUNT, JOB_QUEUED, ADM), JOBSTATE_E_RANGE);
    cr_assert_eq(JOBSTATE_E_TRANSITION, XC_ECONFLICT);
    cr_assert_eq(JOBSTATE_E_ACTOR, XC_EFORBIDDEN);
}

Test(jobstate, targets_and_message)
{
    enum jobstate t[JOB__COUNT];
    size_t n = jobstate_targets(JOB_QUEUED, JOBSTATE_ACTOR_ANY, t, JOB__COUNT);
    cr_assert_eq(n, 2);
    cr_assert_eq(t[0], JOB_ASSIGNED);
    cr_assert_eq(t[1], JOB_CANCELLED);
    cr_assert_eq(jobstate_targets(JOB_COMPLETED, JOBSTATE_ACTOR_ANY, t, JOB__COUNT), 0);
    cr_assert_eq(jobstate_targets(JOB_RUNNING, JOBSTATE_ACTOR_ANY, t, JOB__COUNT), 4);
    /* Owner on a running job: only cancellation (by stop request). */
    cr_assert_eq(jobstate_targets(JOB_RUNNING, OWN, t, JOB__COUNT), 1);
    cr_assert_eq(t[0], JOB_CANCELLED);
    cr_assert_eq(jobstate_targets(JOB_ASSIGNED, AGT, t, 1), 3); /* leased, running, failed */
    cr_assert_eq(t[0], JOB_LEASED);

    char *m = jobstate_transition_error(JOB_QUEUED, JOB_COMPLETED);
    cr_assert_str_eq(m, "Invalid transition: queued → completed (allowed: assigned, cancelled)");
    free(m);
    m = jobstate_transition_error(JOB_COMPLETED, JOB_RUNNING);
    cr_assert_str_eq(m, "Invalid transition: completed → running (allowed: none)");
    free(m);
    m = jobstate_transition_error(JOB_RUNNING, JOB_QUEUED);
    cr_assert_str_eq(m, "Invalid transition: running → queued (allowed: completed, failed, "
                        "preempted, cancelled)");
    free(m);
}

static void expect_class(bool has, int code, const char *reason, enum jobstate_failure_class c,
                         enum jobstate_fault fault, int refund, bool retry)
{
    struct jobstate_failure f = jobstate_classify(has, code, reason);
    cr_assert_eq(f.cls, c, "(%d,%d,%s): got %s want %s", has, code, reason ? reason : "(null)",
                 jobstate_failure_class_name(f.cls), jobstate_failure_class_name(c));
    cr_assert_eq(f.fault, fault);
    cr_assert_eq(f.refund_pct, refund);
    cr_assert_eq(f.retryable, retry);
}

Test(jobstate, failure_classification)
{
    expect_class(false, 0, "mining_detected", JOB_FAIL_POLICY_VIOLATION, JOB_FAULT_USER, 0, false);
    expect_class(true, 137, "Mining_Detected: xmrig oom", JOB_FAIL_POLICY_VIOLATION,
                 JOB_FAULT_USER, 0, false);
    expect_class(false, 0, "host_lost", JOB_FAIL_HOST_LOST, JOB_FAULT_HOST, 100, true);
    expect_class(true, 137, "lease_expired", JOB_FAIL_HOST_LOST, JOB_FAULT_HOST, 100, true);
    expect_class(false, 0, "HOST_REMOVED", JOB_FAIL_HOST_LOST, JOB_FAULT_HOST, 100, true);
    expect_class(false, 0, "runtime_unavailable", JOB_FAIL_HOST_LOST, JOB_FAULT_HOST, 100, true);
    /* membership is exact: a longer reason is not host_lost */
    expect_class(false, 0, "host_lost again", JOB_FAIL_UNKNOWN, JOB_FAULT_NONE, 50, false);
    expect_class(true, 137, NULL, JOB_FAIL_USER_OOM, JOB_FAULT_USER, 0, false);
    expect_class(false, 0, "CUDA OOM", JOB_FAIL_USER_OOM, JOB_FAULT_USER, 0, false);
    expect_class(true, 139, "", JOB_FAIL_USER_CODE_ERROR, JOB_FAULT_USER, 0, false);
    expect_class(true, 134, "gpu", JOB_FAIL_USER_CODE_ERROR, JOB_FAULT_USER, 0, false);
    expect_class(true, 136, NULL, JOB_FAIL_USER_CODE_ERROR, JOB_FAULT_USER, 0, false);
    expect_class(false, 139, NULL, JOB_FAIL_UNKNOWN, JOB_FAULT_NONE, 50, false);
    expect_class(false, 0, "image_error: no image", JOB_FAIL_IMAGE_ERROR, JOB_FAULT_USER, 0, false);
    expect_class(true, 1, "pull failed: image_error", JOB_FAIL_UNKNOWN, JOB_FAULT_NONE, 50, false);
    expect_class(true, -1, NULL, JOB_FAIL_HARDWARE_ERROR, JOB_FAULT_HOST, 100, true);
    expect_class(true, 255, NULL, JOB_FAIL_HARDWARE_ERROR, JOB_FAULT_HOST, 100, true);
    expect_class(false, 0, "hardware fault", JOB_FAIL_HARDWARE_ERROR, JOB_FAULT_HOST, 100, true);
    expect_class(true, 1, "GPU timeout", JOB_FAIL_NETWORK_ERROR, JOB_FAULT_HOST, 50, true);
    expect_class(false, 0, "Network unreachable", JOB_FAIL_NETWORK_ERROR, JOB_FAULT_HOST, 50, true);
    expect_class(true, 2, "GPU fell off the bus", JOB_FAIL_GPU_ERROR, JOB_FAULT_HOST, 100, true);
    expect_class(false, 0, "cuda error", JOB_FAIL_GPU_ERROR, JOB_FAULT_HOST, 100, true);
    expect_class(false, 0, "Xid 79", JOB_FAIL_GPU_ERROR, JOB_FAULT_HOST, 100, true);
    expect_class(true, 1, "", JOB_FAIL_UNKNOWN, JOB_FAULT_NONE, 50, false);
    expect_class(false, 0, NULL, JOB_FAIL_UNKNOWN, JOB_FAULT_NONE, 50, false);
    expect_class(false, 0, "manual_requeue", JOB_FAIL_UNKNOWN, JOB_FAULT_NONE, 50, false);
    /* exit 137 wins over hardware words (rule 3 before rule 6) */
    expect_class(true, 137, "hardware", JOB_FAIL_USER_OOM, JOB_FAULT_USER, 0, false);
}

Test(jobstate, failure_names)
{
    const char *names[] = {"policy_violation", "host_lost", "user_oom", "user_code_error",
                           "image_error", "hardware_error", "network_error", "gpu_error", "unknown"};
    for (int i = 0; i < JOB_FAIL__COUNT; i++) {
        enum jobstate_failure_class c;
        cr_assert_str_eq(jobstate_failure_class_name((enum jobstate_failure_class)i), names[i]);
        cr_assert_eq(jobstate_failure_class_parse(names[i], &c), 0);
        cr_assert_eq(c, (enum jobstate_failure_class)i);
    }
    cr_assert_str_eq(jobstate_fault_name(JOB_FAULT_HOST), "host");
    cr_assert_eq(jobstate_failure_of(JOB_FAIL_NETWORK_ERROR).refund_pct, 50);
}

Test(jobstate, priority_tiers)
{
    cr_assert_str_eq(jobstate_tier_name(JOB_TIER_URGENT), "urgent");
    cr_assert_eq(jobstate_tier_priority(JOB_TIER_URGENT), 3);
    cr_assert_eq(jobstate_tier_multiplier_ppm(JOB_TIER_URGENT), 2000000);
    cr_assert_eq(jobstate_tier_priority(JOB_TIER_PREMIUM), 2);
    cr_assert_eq(jobstate_tier_multiplier_ppm(JOB_TIER_PREMIUM), 1500000);
    cr_assert_eq(jobstate_tier_multiplier_ppm(JOB_TIER_FREE), 1000000);
    cr_assert_eq(jobstate_tier_multiplier_ppm(JOB_TIER_STANDARD), 1000000);
    cr_assert_str_eq(jobstate_tier_label(JOB_TIER_STANDARD), "Standard");
    enum jobstate_tier t;
    int want[] = {0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    for (int p = 0; p <= 10; p++) {
        cr_assert_eq(jobstate_tier_from_priority(p, &t), 0);
        cr_assert_eq(jobstate_tier_priority(t), want[p], "priority %d", p);
    }
    cr_assert_eq(jobstate_tier_from_priority(11, &t), XC_EINVAL);
    cr_assert_eq(jobstate_tier_from_priority(-1, &t), XC_EINVAL);
    cr_assert_eq(jobstate_tier_parse("premium", &t), 0);
    cr_assert_eq(t, JOB_TIER_PREMIUM);
    cr_assert_eq(jobstate_tier_parse("sovereign", &t), XC_EINVAL);
}

Test(jobstate, trust_tiers)
{
    cr_assert_eq(jobstate_trust_multiplier_ppm(JOB_TRUST_COMMUNITY), 1000000);
    cr_assert_eq(jobstate_trust_multiplier_ppm(JOB_TRUST_RESIDENCY), 1150000);
    cr_assert_eq(jobstate_trust_multiplier_ppm(JOB_TRUST_SOVEREIGNTY), 1350000);
    cr_assert_eq(jobstate_trust_multiplier_ppm(JOB_TRUST_REGULATED), 1600000);
    cr_assert_not(jobstate_trust_isolation_preferred(JOB_TRUST_COMMUNITY));
    cr_assert(jobstate_trust_isolation_preferred(JOB_TRUST_RESIDENCY));
    cr_assert(jobstate_trust_isolation_preferred(JOB_TRUST_REGULATED));
    cr_assert_str_eq(jobstate_trust_label(JOB_TRUST_SOVEREIGNTY), "Canada Sovereignty");
    cr_assert_str_eq(jobstate_trust_description(JOB_TRUST_RESIDENCY),
                     "Workload scheduled on machines physically in Canada.");
    enum jobstate_trust tt;
    cr_assert_eq(jobstate_trust_alias("secure", &tt), 0);
    cr_assert_eq(tt, JOB_TRUST_RESIDENCY);
    cr_assert_eq(jobstate_trust_alias("sovereign", &tt), 0);
    cr_assert_eq(tt, JOB_TRUST_SOVEREIGNTY);
    cr_assert_eq(jobstate_trust_alias("premium", &tt), XC_EINVAL);
    cr_assert_eq(jobstate_trust_parse("sovereign", &tt), XC_EINVAL); /* alias only for `tier` */
    cr_assert_eq(jobstate_trust_parse("regulated", &tt), 0);
    cr_assert_eq(tt, JOB_TRUST_REGULATED);
}

static void resolve(const char *tier, int prio, const char *trust, int rc_want,
                    enum jobstate_tier want_t, enum jobstate_trust want_tt)
{
    enum jobstate_tier t = JOB_TIER__COUNT;
    enum jobstate_trust tt = JOB_TRUST__COUNT;
    int rc = jobstate_resolve_tiers(tier, prio, trust, &t, &tt);
    cr_assert_eq(rc, rc_want, "tier %s prio %d trust %s", tier ? tier : "-", prio,
                 trust ? trust : "-");
    if (rc == 0) {
        cr_assert_eq(t, want_t, "tier %s prio %d", tier ? tier : "-", prio);
        cr_assert_eq(tt, want_tt);
    }
}

Test(jobstate, resolve_submission_tiers)
{
    resolve("urgent", 0, NULL, 0, JOB_TIER_URGENT, JOB_TRUST_COMMUNITY);   /* JOB-07 */
    resolve(NULL, 1, NULL, 0, JOB_TIER_STANDARD, JOB_TRUST_COMMUNITY);
    resolve(NULL, 7, NULL, 0, JOB_TIER_URGENT, JOB_TRUST_COMMUNITY);
    resolve(NULL, 11, NULL, XC_EINVAL, 0, 0);
    resolve("nonexistent", 0, NULL, XC_EINVAL, 0, 0);
    resolve("sovereign", 3, NULL, 0, JOB_TIER_FREE, JOB_TRUST_SOVEREIGNTY);
    resolve("secure", 0, NULL, 0, JOB_TIER_FREE, JOB_TRUST_RESIDENCY);
    resolve("sovereign", 0, "residency", 0, JOB_TIER_FREE, JOB_TRUST_RESIDENCY); /* field wins */
    resolve("premium", 0, "regulated", 0, JOB_TIER_PREMIUM, JOB_TRUST_REGULATED);
    resolve(NULL, 0, "bogus", XC_EINVAL, 0, 0);
    resolve(NULL, 0, NULL, 0, JOB_TIER_FREE, JOB_TRUST_COMMUNITY);
}

/* Issue 9: a pending stop request decides how the attempt ends, whatever ended it. */
Test(jobstate, stop_reasons_parse)
{
    enum jobstate_stop s;
    for (int i = 0; i < JOB_STOP__COUNT; i++) {
        cr_assert_eq(jobstate_stop_parse(jobstate_stop_name((enum jobstate_stop)i), &s), 0);
        cr_assert_eq((int)s, i);
    }
    cr_assert_eq(jobstate_stop_parse("", &s), XC_EINVAL);
    cr_assert_eq(jobstate_stop_parse(NULL, &s), XC_EINVAL);
    cr_assert_eq(jobstate_stop_parse("Cancel", &s), XC_EINVAL);
    cr_assert_null(jobstate_stop_name(JOB_STOP__COUNT));
}

Test(jobstate, pending_cancel_ends_cancelled_whatever_ends_the_attempt)
{
    static const enum jobstate_stop cancels[] = {JOB_STOP_CANCEL, JOB_STOP_INSUFFICIENT_FUNDS, JOB_STOP_MAX_DURATION};
    static const enum jobstate causes[] = {JOB_FAILED, JOB_PREEMPTED, JOB_QUEUED, JOB_CANCELLED};
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 4; k++)
            cr_assert_eq(jobstate_stop_outcome(cancels[i], causes[k]), JOB_CANCELLED, "%s after %s",
                         jobstate_stop_name(cancels[i]), jobstate_name(causes[k]));
    /* A job that finished before it could be stopped stays completed. */
    cr_assert_eq(jobstate_stop_outcome(JOB_STOP_CANCEL, JOB_COMPLETED), JOB_COMPLETED);
}

Test(jobstate, only_preempt_lets_the_cause_decide)
{
    cr_assert_eq(jobstate_stop_outcome(JOB_STOP_PREEMPT, JOB_FAILED), JOB_FAILED);
    cr_assert_eq(jobstate_stop_outcome(JOB_STOP_PREEMPT, JOB_QUEUED), JOB_QUEUED);
    cr_assert_eq(jobstate_stop_outcome(JOB_STOP_PREEMPT, JOB_PREEMPTED), JOB_PREEMPTED);
    cr_assert_eq(jobstate_stop_outcome(JOB_STOP_MINING, JOB_QUEUED), JOB_FAILED);
    cr_assert_eq(jobstate_stop_outcome(JOB_STOP_MINING, JOB_PREEMPTED), JOB_FAILED);
    cr_assert_eq(jobstate_stop_outcome(JOB_STOP__COUNT, JOB_QUEUED), JOB_QUEUED);
}
