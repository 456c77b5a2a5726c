#include <criterion/criterion.h>

#include "core/sched_sov.h"

#define GB(x) ((int64_t)((x) * 1000))

static struct sched_host H(const char *id, double free_gb, int64_t rate_ucad)
{
    struct sched_host h = {0};
    h.host_id = id;
    h.gpu_count = 1;
    h.total_mgb = h.free_mgb = GB(free_gb);
    h.active = h.admitted = h.canadian = true;
    h.latency_ms = -1;
    h.rate_ucad = rate_ucad;
    h.registered_at_us = 1000;
    h.trust_ok_mask = 1;
    return h;
}

static struct sched_sov_host V(int64_t xcu_c, bool verified)
{
    return (struct sched_sov_host){.eligible = true, .verified = verified, .xcu_c = xcu_c, .boost_ppm = 800000};
}

static struct sched_job J(const char *id, double vram_gb, int64_t submitted)
{
    struct sched_job j = {0};
    j.job_id = id;
    j.num_gpus = 1;
    j.vram_mgb = GB(vram_gb);
    j.submitted_at_us = submitted;
    return j;
}

Test(sched_sov, efficiency_key_not_free_vram)
{
    struct sched_host h[] = {H("a100", 80, 1200000), H("r4090", 24, 200000)};
    struct sched_sov_host v[] = {V(3120, false), V(826, false)};
    struct sched_job j[] = {J("j1", 8, 1)};
    int place[1];
    size_t n;
    cr_assert_eq(sched_sovereign_pass(h, v, 2, j, 1, NULL, place, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(place[0], 1); /* 8.26 / 0.20 > 31.2 / 1.20 */
    cr_assert_eq(h[1].free_mgb, GB(16));
}

Test(sched_sov, zero_rate_counts_as_a_cent_and_boost_scales)
{
    struct sched_host h[] = {H("free", 24, 0), H("cheap", 24, 5000)};
    cr_assert_eq(sched_sov_rate(&h[0]), 10000);
    struct sched_sov_host v[] = {V(826, false), V(826, false)};
    cr_assert(sched_sov_cmp(&h[1], &v[1], &h[0], &v[0]) > 0); /* 0.005 beats the 0.01 a zero counts as */
    v[0].boost_ppm = 2000000;                                /* diamond vs new_user: 2.0 / 0.01 > 0.8 / 0.005 */
    cr_assert(sched_sov_cmp(&h[0], &v[0], &h[1], &v[1]) > 0);
    /* Equal scores: the §6 key (more free VRAM first). */
    struct sched_host a = H("a", 48, 200000), b = H("b", 24, 200000);
    struct sched_sov_host s = V(826, false);
    cr_assert(sched_sov_cmp(&a, &s, &b, &s) > 0 && sched_sov_cmp(&b, &s, &a, &s) < 0);
}

Test(sched_sov, verified_first_one_job_per_host_and_constraint)
{
    struct sched_host h[] = {H("fast", 24, 200000), H("slow-verified", 24, 2000000), H("other", 80, 100000)};
    struct sched_sov_host v[] = {V(826, false), V(826, true), V(3120, false)};
    v[2].eligible = false; /* outside the pass's constraint */
    struct sched_job j[] = {J("j1", 4, 1), J("j2", 4, 2)};
    int place[2];
    size_t n;
    cr_assert_eq(sched_sovereign_pass(h, v, 3, j, 2, NULL, place, &n), 0);
    cr_assert_eq(place[0], 1); /* the only verified candidate */
    cr_assert_eq(place[1], 0); /* slow-verified already has a job this pass: cold start among the rest */
    cr_assert_eq(n, 2);
}

Test(sched_sov, filters_tier_isolation_and_limit)
{
    struct sched_host h[] = {H("plain", 24, 200000), H("sandboxed", 24, 900000), H("small", 4, 1)};
    h[0].trust_ok_mask = h[1].trust_ok_mask = 0x3; /* community and residency */
    h[1].sandboxed = true;
    struct sched_sov_host v[] = {V(826, true), V(826, true), V(826, true)};
    struct sched_job j[] = {J("res", 8, 1), J("sov", 8, 2), J("late", 8, 3)};
    j[0].trust_tier = 1;
    j[0].isolation_preferred = true;
    j[1].trust_tier = 2; /* no host meets sovereignty */
    struct sched_opts o = {.max_jobs = 2};
    int place[3];
    size_t n;
    cr_assert_eq(sched_sovereign_pass(h, v, 3, j, 3, &o, place, &n), 0);
    cr_assert_eq(place[0], 1); /* isolation preference beats the better score of plain */
    cr_assert_eq(place[1], -1);
    cr_assert_eq(place[2], -1); /* beyond max_jobs */
    cr_assert_eq(n, 1);
    cr_assert_eq(sched_sovereign_pass(NULL, NULL, 1, j, 1, NULL, place, NULL), XC_EINVAL);
}
