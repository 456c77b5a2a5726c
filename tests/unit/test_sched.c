#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobstate.h"
#include "core/sched.h"

#define GB(x) ((int64_t)((x) * 1000))

static struct sched_host H(const char *id, double free_gb)
{
    struct sched_host h = {0};
    h.host_id = id;
    h.gpu_count = 1;
    h.total_mgb = GB(free_gb);
    h.free_mgb = GB(free_gb);
    h.active = h.admitted = true;
    h.canadian = true;
    h.latency_ms = -1;
    h.rate_ucad = 200000;
    h.spot_price_ucad = 140000;
    h.registered_at_us = 1000;
    h.trust_ok_mask = 1;
    return h;
}

static struct sched_job Jb(const char *id, double vram_gb)
{
    struct sched_job j = {0};
    j.job_id = id;
    j.num_gpus = 1;
    j.vram_mgb = GB(vram_gb);
    j.submitted_at_us = 1;
    return j;
}

static const struct sched_opts none = {0};

/* Runs a pass and checks it against the linear single-job allocator. */
static size_t pass(struct sched_host *h, size_t nh, struct sched_job *j, size_t nj,
                   const struct sched_opts *o, int *placement, char **reasons)
{
    size_t placed = 0;
    cr_assert_eq(sched_pass(h, nh, j, nj, o, placement, reasons, &placed), 0);
    return placed;
}

Test(sched, queue_order)
{
    struct sched_job j[5] = {Jb("b", 1), Jb("a", 1), Jb("low", 1), Jb("high", 1), Jb("c", 1)};
    j[0].submitted_at_us = 10; /* same priority and time as a: job_id decides */
    j[1].submitted_at_us = 10;
    j[2].submitted_at_us = 1;
    j[3].submitted_at_us = 50;
    j[3].priority = 2;
    j[4].submitted_at_us = 5;
    size_t order[5];
    sched_sort(j, 5, order);
    const char *want[] = {"high", "low", "c", "a", "b"};
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(j[order[i]].job_id, want[i], "position %d", i);
    cr_assert_lt(sched_job_cmp(&j[3], &j[2]), 0);
    cr_assert_lt(sched_job_cmp(&j[1], &j[0]), 0);
    cr_assert_eq(sched_job_cmp(&j[1], &j[1]), 0);
}

Test(sched, q01_single_host)
{
    struct sched_host h[] = {H("h1", 24)};
    struct sched_job j[] = {Jb("llama3", 16)};
    int p[1];
    cr_assert_eq(pass(h, 1, j, 1, &none, p, NULL), 1);
    cr_assert_eq(p[0], 0);
    cr_assert_eq(h[0].free_mgb, GB(8));
}

Test(sched, q02_pending_host_never_chosen)
{
    struct sched_host h[] = {H("h1", 24)};
    h[0].admitted = false;
    h[0].active = false;
    struct sched_job j[] = {Jb("j", 8)};
    int p[1];
    char *r[1];
    cr_assert_eq(pass(h, 1, j, 1, &none, p, r), 0);
    cr_assert_eq(p[0], -1);
    cr_assert_str_eq(r[0], "no admitted host with 8.0 GB free VRAM: 1 host not admitted");
    free(r[0]);
    /* admitted but dead: filter 1 too */
    h[0].admitted = true;
    cr_assert_eq(sched_best_host(h, 1, &j[0], NULL), -1);
    char *s = sched_pending_reason(h, 1, &j[0], NULL);
    cr_assert_str_eq(s, "no admitted host with 8.0 GB free VRAM: 1 host not active");
    free(s);
}

Test(sched, q03_q04_reservations_within_pass)
{
    struct sched_host h[] = {H("h24", 24), H("h80", 80)};
    struct sched_job j[] = {Jb("j16", 16), Jb("j8", 8)};
    j[1].submitted_at_us = 2;
    int p[2];
    cr_assert_eq(pass(h, 2, j, 2, &none, p, NULL), 2);
    cr_assert_eq(p[0], 1); /* worst fit: 80 GB host */
    cr_assert_eq(p[1], 1); /* 64 free left on h80 > 24 on h24 */
    cr_assert_eq(h[1].free_mgb, GB(56));

    struct sched_host one[] = {H("h1", 24)};
    struct sched_job j2[] = {Jb("a", 10), Jb("b", 8)};
    j2[1].submitted_at_us = 2;
    cr_assert_eq(pass(one, 1, j2, 2, &none, p, NULL), 2);
    cr_assert_eq(p[0], 0);
    cr_assert_eq(p[1], 0);
    cr_assert_eq(one[0].free_mgb, GB(6));
}

Test(sched, reevaluated_after_every_assignment)
{
    struct sched_host h[] = {H("a", 24), H("b", 20)};
    struct sched_job j[] = {Jb("1", 8), Jb("2", 8), Jb("3", 8), Jb("4", 8), Jb("5", 8)};
    for (int i = 0; i < 5; i++)
        j[i].submitted_at_us = i;
    int p[5];
    char *r[5];
    cr_assert_eq(pass(h, 2, j, 5, &none, p, r), 5);
    /* a24 -> a16, b20 -> b12, a16 -> a8, b12 -> b4, a8 -> a0 */
    int want[] = {0, 1, 0, 1, 0};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(p[i], want[i], "job %d", i);
        cr_assert_null(r[i]);
    }
    cr_assert_eq(h[0].free_mgb, 0);
    cr_assert_eq(h[1].free_mgb, GB(4));
    /* the next 8 GB job no longer fits anywhere */
    struct sched_job more = Jb("6", 8);
    int q;
    char *rr;
    cr_assert_eq(pass(h, 2, &more, 1, &none, &q, &rr), 0);
    cr_assert_str_eq(rr, "no admitted host with 8.0 GB free VRAM: 2 hosts too small");
    free(rr);
}

Test(sched, q05_too_big)
{
    struct sched_host h[] = {H("a", 24), H("b", 80)};
    struct sched_job j = Jb("huge", 100.5);
    int p;
    char *r;
    cr_assert_eq(pass(h, 2, &j, 1, &none, &p, &r), 0);
    cr_assert_eq(p, -1);
    cr_assert_str_eq(r, "no admitted host with 100.5 GB free VRAM: 2 hosts too small");
    free(r);
}

Test(sched, vram_exact_boundary)
{
    struct sched_host h[] = {H("a", 24)};
    struct sched_job j = Jb("x", 24);
    cr_assert_eq(sched_best_host(h, 1, &j, NULL), 0);
    j.vram_mgb = GB(24) + 1;
    cr_assert_eq(sched_best_host(h, 1, &j, NULL), -1);
}

Test(sched, q06_key_ties)
{
    struct sched_job j = Jb("j", 8);
    /* free VRAM first */
    struct sched_host a[] = {H("h16", 16), H("h24", 24)};
    a[1].latency_ms = 500;
    a[1].rate_ucad = 900000;
    cr_assert_eq(sched_best_host(a, 2, &j, NULL), 1);
    /* then latency: unknown counts as 999 */
    struct sched_host b[] = {H("slow", 24), H("fast", 24), H("unknown", 24)};
    b[0].latency_ms = 50;
    b[1].latency_ms = 5;
    cr_assert_eq(sched_best_host(b, 3, &j, NULL), 1);
    b[1].latency_ms = 1000;
    b[0].latency_ms = 999;
    cr_assert_eq(sched_best_host(b, 3, &j, NULL), 0); /* 999 ties unknown; then host_id "slow" < "unknown" */
    /* then rate */
    struct sched_host c[] = {H("x1", 24), H("x2", 24)};
    c[0].rate_ucad = 500000;
    c[1].rate_ucad = 200000;
    cr_assert_eq(sched_best_host(c, 2, &j, NULL), 1);
    /* then registered_at, then host_id */
    struct sched_host d[] = {H("b", 24), H("a", 24), H("c", 24)};
    d[2].registered_at_us = 10;
    d[0].registered_at_us = 5;
    d[1].registered_at_us = 5;
    cr_assert_eq(sched_best_host(d, 3, &j, NULL), 1);
    d[1].registered_at_us = 6;
    cr_assert_eq(sched_best_host(d, 3, &j, NULL), 0);
    /* the index agrees */
    int p;
    cr_assert_eq(pass(d, 3, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 0);
}

Test(sched, q07_worst_fit)
{
    struct sched_host h[] = {H("mh-1", 24), H("mh-2", 80), H("mh-3", 48)};
    h[0].rate_ucad = 500000;
    h[1].rate_ucad = 1200000;
    h[2].rate_ucad = 900000;
    struct sched_job j = Jb("big-job", 40);
    int p;
    cr_assert_eq(pass(h, 3, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 1);
}

Test(sched, q08_multi_gpu)
{
    struct sched_host h[] = {H("one", 80), H("four", 24), H("eight", 16)};
    h[1].gpu_count = 4;
    h[2].gpu_count = 8;
    struct sched_job j = Jb("j", 16);
    j.num_gpus = 4;
    int p;
    cr_assert_eq(pass(h, 3, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 1);
    /* only 1-GPU hosts: stays queued */
    struct sched_host s[] = {H("a", 80), H("b", 80)};
    char *r;
    cr_assert_eq(pass(s, 2, &j, 1, &none, &p, &r), 0);
    cr_assert_str_eq(r, "no admitted host with 4 GPUs and 16.0 GB free VRAM: 2 hosts with too "
                        "few GPUs");
    free(r);
}

Test(sched, q09_isolation_preference)
{
    struct sched_host h[] = {H("plain", 80), H("gvisor", 24)};
    h[1].sandboxed = true;
    h[0].trust_ok_mask = h[1].trust_ok_mask = 0xF;
    struct sched_job j = Jb("res", 8);
    j.trust_tier = JOB_TRUST_RESIDENCY;
    j.isolation_preferred = true;
    int p;
    cr_assert_eq(pass(h, 2, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 1);
    /* community job: plain worst fit */
    struct sched_host h2[] = {H("plain", 80), H("gvisor", 24)};
    h2[1].sandboxed = true;
    struct sched_job c = Jb("c", 8);
    cr_assert_eq(pass(h2, 2, &c, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 0);
    /* the sandboxed host is too small: fall back to hardened runc */
    struct sched_host h3[] = {H("plain", 80), H("gvisor", 4)};
    h3[1].sandboxed = true;
    h3[0].trust_ok_mask = h3[1].trust_ok_mask = 0xF;
    cr_assert_eq(pass(h3, 2, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 0);
    /* several sandboxed: the best of them by the key */
    struct sched_host h4[] = {H("plain", 80), H("k1", 24), H("k2", 40)};
    h4[1].sandboxed = h4[2].sandboxed = true;
    h4[0].trust_ok_mask = h4[1].trust_ok_mask = h4[2].trust_ok_mask = 0xF;
    cr_assert_eq(pass(h4, 3, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 2);
}

Test(sched, q11_q12_canada)
{
    struct sched_host h[] = {H("us", 24), H("ca", 24)};
    h[0].canadian = false;
    h[0].rate_ucad = 100000;
    h[1].rate_ucad = 500000;
    struct sched_job j = Jb("j", 8);
    struct sched_opts ca = {.canada_only = true};
    cr_assert_eq(sched_best_host(h, 2, &j, &ca), 1);
    cr_assert_eq(sched_best_host(h, 2, &j, NULL), 0);
    int p;
    cr_assert_eq(pass(h, 2, &j, 1, &ca, &p, NULL), 1);
    cr_assert_eq(p, 1);
    /* no Canadian host: counted as outside Canada, after the VRAM filter */
    struct sched_host u[] = {H("us1", 24), H("us2", 4), H("us3", 24)};
    for (int i = 0; i < 3; i++)
        u[i].canadian = false;
    char *r;
    cr_assert_eq(pass(u, 3, &j, 1, &ca, &p, &r), 0);
    cr_assert_str_eq(r, "no admitted host with 8.0 GB free VRAM: 2 hosts outside Canada, 1 too small");
    free(r);
}

Test(sched, trust_tier_filter)
{
    struct sched_host h[] = {H("us", 80), H("ca", 24)};
    h[0].canadian = false;
    h[1].trust_ok_mask = (1u << JOB_TRUST_COMMUNITY) | (1u << JOB_TRUST_RESIDENCY) |
                         (1u << JOB_TRUST_SOVEREIGNTY);
    struct sched_job j = Jb("sov", 16);
    j.trust_tier = JOB_TRUST_SOVEREIGNTY;
    j.isolation_preferred = true;
    cr_assert_eq(sched_best_host(h, 2, &j, NULL), 1);
    j.trust_tier = JOB_TRUST_REGULATED;
    int p;
    char *r;
    cr_assert_eq(pass(h, 2, &j, 1, &none, &p, &r), 0);
    cr_assert_str_eq(r, "no admitted host with 16.0 GB free VRAM: 2 hosts below the job's trust tier");
    free(r);
    /* community is always met, whatever the mask */
    h[0].trust_ok_mask = 0;
    struct sched_job c = Jb("c", 16);
    cr_assert_eq(sched_best_host(h, 2, &c, NULL), 0);
}

Test(sched, avoid_list)
{
    struct sched_host h[] = {H("big", 80), H("mid", 48), H("small", 24)};
    const char *avoid[] = {"big", "nonexistent"};
    struct sched_job j = Jb("j", 16);
    j.avoid = avoid;
    j.navoid = 2;
    cr_assert_eq(sched_best_host(h, 3, &j, NULL), 1);
    int p;
    cr_assert_eq(pass(h, 3, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 1);
    const char *all[] = {"big", "mid", "small", "big"};
    j.avoid = all;
    j.navoid = 4;
    char *r;
    cr_assert_eq(pass(h, 3, &j, 1, &none, &p, &r), 0);
    cr_assert_str_eq(r, "no admitted host with 16.0 GB free VRAM: 3 hosts avoided after failing "
                        "this job");
    free(r);
}

Test(sched, spot_bid)
{
    struct sched_host h[] = {H("cheap", 24), H("dear", 48)};
    h[0].spot_price_ucad = 100000;
    h[1].spot_price_ucad = 300000;
    struct sched_job j = Jb("spot", 8);
    j.spot = true;
    j.max_bid_ucad = 10000;
    int p;
    char *r;
    cr_assert_eq(pass(h, 2, &j, 1, &none, &p, &r), 0);
    cr_assert_str_eq(r, "no admitted host with 8.0 GB free VRAM: 2 hosts priced above the bid");
    free(r);
    j.max_bid_ucad = 200000;
    cr_assert_eq(pass(h, 2, &j, 1, &none, &p, NULL), 1);
    cr_assert_eq(p, 0);
    /* equal free VRAM: spot price is key 3, not the on-demand rate */
    struct sched_host e[] = {H("a", 24), H("b", 24)};
    e[0].rate_ucad = 100000;
    e[0].spot_price_ucad = 300000;
    e[1].rate_ucad = 900000;
    e[1].spot_price_ucad = 200000;
    j.max_bid_ucad = 1000000;
    cr_assert_eq(sched_best_host(e, 2, &j, NULL), 1);
    struct sched_job od = Jb("od", 8);
    cr_assert_eq(sched_best_host(e, 2, &od, NULL), 0);
}

Test(sched, reason_counts_first_failing_filter)
{
    struct sched_host h[7] = {H("n1", 80), H("n2", 80), H("d1", 80), H("g1", 80),
                              H("s1", 8), H("s2", 4), H("u1", 80)};
    h[0].admitted = h[1].admitted = false;
    h[0].active = h[1].active = false;
    h[2].active = false;
    h[3].gpu_count = 1;
    for (int i = 4; i < 7; i++)
        h[i].gpu_count = 2;
    h[4].canadian = false; /* too small wins over outside Canada */
    h[6].canadian = false;
    struct sched_job j = Jb("j", 48);
    j.num_gpus = 2;
    struct sched_opts ca = {.canada_only = true};
    int p;
    char *r;
    cr_assert_eq(pass(h, 7, &j, 1, &ca, &p, &r), 0);
    cr_assert_str_eq(r, "no admitted host with 2 GPUs and 48.0 GB free VRAM: 2 hosts not "
                        "admitted, 2 too small, 1 not active, 1 with too few GPUs, 1 outside "
                        "Canada");
    free(r);
    struct sched_counts c;
    sched_count(h, 7, &j, &ca, &c);
    cr_assert_eq(c.hosts, 7);
    cr_assert_eq(c.candidates, 0);
    cr_assert_eq(c.n[SCHED_REJECT_NOT_ADMITTED], 2);
    cr_assert_eq(c.n[SCHED_REJECT_NOT_ACTIVE], 1);
    cr_assert_eq(c.n[SCHED_REJECT_FEW_GPUS], 1);
    cr_assert_eq(c.n[SCHED_REJECT_TOO_SMALL], 2);
    cr_assert_eq(c.n[SCHED_REJECT_OUTSIDE_CANADA], 1);
}

Test(sched, no_hosts)
{
    struct sched_job j = Jb("j", 8);
    int p;
    char *r;
    cr_assert_eq(pass(NULL, 0, &j, 1, &none, &p, &r), 0);
    cr_assert_str_eq(r, "no hosts registered");
    free(r);
    cr_assert_eq(sched_best_host(NULL, 0, &j, NULL), -1);
}

Test(sched, max_jobs_limits_the_pass)
{
    struct sched_host h[] = {H("a", 80)};
    struct sched_job j[3] = {Jb("x", 1), Jb("y", 1), Jb("z", 1)};
    j[2].priority = 3;
    struct sched_opts o = {.max_jobs = 2};
    int p[3];
    char *r[3];
    cr_assert_eq(pass(h, 1, j, 3, &o, p, r), 2);
    cr_assert_eq(p[2], 0); /* highest priority first */
    cr_assert_eq(p[0], 0);
    cr_assert_eq(p[1], -1); /* beyond the limit: not considered, no reason */
    cr_assert_null(r[1]);
}

Test(sched, index_reserve_errors)
{
    struct sched_host h[] = {H("a", 10), H("off", 10)};
    h[1].admitted = false;
    struct sched_index *ix = sched_index_new(h, 2, NULL);
    cr_assert_eq(sched_index_reserve(ix, 0, GB(11)), XC_ECONFLICT);
    cr_assert_eq(h[0].free_mgb, GB(10));
    cr_assert_eq(sched_index_reserve(ix, 2, 1), XC_EINVAL);
    cr_assert_eq(sched_index_reserve(ix, 0, -1), XC_EINVAL);
    cr_assert_eq(sched_index_reserve(ix, 0, GB(10)), 0);
    cr_assert_eq(sched_index_reserve(ix, 1, GB(1)), 0); /* not indexed, still accounted */
    cr_assert_eq(h[1].free_mgb, GB(9));
    struct sched_job j = Jb("j", 0.001);
    cr_assert_eq(sched_index_pick(ix, &j), -1);
    sched_index_free(ix);
}

/* ---- randomized equivalence: indexed pass == linear reference ---- */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

Test(sched, random_pass_matches_linear_reference)
{
    enum { NH = 60, NJ = 300 };
    static char ids[NH][16], jids[NJ][16];
    rng_state = 88172645463325252ull;
    for (int round = 0; round < 40; round++) {
        struct sched_host h[NH], ref[NH];
        struct sched_job j[NJ];
        const char *avoid_pool[NH];
        size_t nh = 1 + rnd(NH), nj = 1 + rnd(NJ);
        for (size_t i = 0; i < nh; i++) {
            snprintf(ids[i], sizeof ids[i], "h%02u", rnd(40)); /* duplicates on purpose */
            h[i] = H(ids[i], 0);
            h[i].gpu_count = 1 + (int)rnd(4);
            h[i].free_mgb = GB(8) * (1 + rnd(6)) + (rnd(3) ? 0 : rnd(1000));
            h[i].admitted = rnd(10) != 0;
            h[i].active = rnd(12) != 0;
            h[i].canadian = rnd(2);
            h[i].sandboxed = rnd(3) == 0;
            h[i].latency_ms = rnd(3) ? -1 : (int)rnd(20);
            h[i].rate_ucad = 100000 * (1 + rnd(3));
            h[i].spot_price_ucad = 50000 * (1 + rnd(4));
            h[i].registered_at_us = rnd(4);
            h[i].trust_ok_mask = 1 | (h[i].canadian ? rnd(16) : 0);
            avoid_pool[i] = ids[i];
        }
        for (size_t k = 0; k < nj; k++) {
            snprintf(jids[k], sizeof jids[k], "j%04zu", k);
            j[k] = Jb(jids[k], 0);
            j[k].vram_mgb = GB(2) * (1 + rnd(12));
            j[k].num_gpus = 1 + (int)rnd(4);
            j[k].priority = (int)rnd(4);
            j[k].submitted_at_us = rnd(50);
            j[k].trust_tier = rnd(4) ? 0 : (int)rnd(4);
            j[k].isolation_preferred = j[k].trust_tier > 0 || rnd(5) == 0;
            j[k].spot = rnd(6) == 0;
            j[k].max_bid_ucad = 50000 * (1 + rnd(4));
            j[k].navoid = rnd(3) ? 0 : 1 + (int)rnd(3);
            j[k].avoid = avoid_pool + rnd((uint32_t)nh);
            if (j[k].avoid + j[k].navoid > avoid_pool + nh)
                j[k].navoid = (int)(avoid_pool + nh - j[k].avoid);
        }
        struct sched_opts o = {.canada_only = rnd(3) == 0};
        memcpy(ref, h, sizeof h);

        int p[NJ];
        char *r[NJ];
        size_t placed = pass(h, nh, j, nj, &o, p, r);

        /* Reference: queue order, linear best host, reserve, counts by linear scan. */
        size_t order[NJ], ref_placed = 0;
        sched_sort(j, nj, order);
        for (size_t k = 0; k < nj; k++) {
            size_t jj = order[k];
            int b = sched_best_host(ref, nh, &j[jj], &o);
            cr_assert_eq(p[jj], b, "round %d job %zu (#%zu): index %d linear %d", round, jj, k,
                         p[jj], b);
            if (b >= 0) {
                ref[b].free_mgb -= j[jj].vram_mgb;
                ref_placed++;
                cr_assert_null(r[jj]);
            } else {
                char *want = sched_pending_reason(ref, nh, &j[jj], &o);
                cr_assert_str_eq(r[jj], want, "round %d job %zu", round, jj);
                free(want);
                free(r[jj]);
            }
        }
        cr_assert_eq(placed, ref_placed);
        for (size_t i = 0; i < nh; i++)
            cr_assert_eq(h[i].free_mgb, ref[i].free_mgb);
    }
}

/* Backfill: a job that cannot fit never blocks the ones behind it. */
Test(sched, backfill_past_unplaceable_head)
{
    struct sched_host h[1] = {H("h24", 24)};
    struct sched_job j[3] = {Jb("big1", 80), Jb("big2", 80), Jb("small", 1)};
    j[0].priority = j[1].priority = 3;
    int pl[3];
    char *rs[3];
    cr_assert_eq(pass(h, 1, j, 3, &none, pl, rs), 1);
    cr_assert(pl[0] < 0 && pl[1] < 0 && pl[2] == 0);
    cr_assert(rs[0] && rs[1] && !rs[2]);
    free(rs[0]);
    free(rs[1]);
}

/* The starvation guard: an aged job that would fit once a host drains reserves that host; a
 * younger job behind it is not placed there, one in front of it is, and the host's free VRAM is
 * left as it was (the reservation holds nothing real). Without the guard the young job backfills. */
Test(sched, aged_job_reserves_the_host_it_waits_for)
{
    struct sched_host h[2] = {H("drain", 24), H("tiny", 2)};
    h[0].free_mgb = GB(16); /* 8 GB running */
    struct sched_job j[3] = {Jb("old-big", 20), Jb("young", 8), Jb("young-tiny", 2)};
    j[0].submitted_at_us = 0;
    j[1].submitted_at_us = j[2].submitted_at_us = 700 * 1000000LL;
    struct sched_opts o = {.reserve_after_us = 600 * 1000000LL, .now_us = 700 * 1000000LL};
    int pl[3];
    char *rs[3];
    cr_assert_eq(pass(h, 2, j, 3, &o, pl, rs), 1);
    cr_assert_eq(pl[0], -1);
    cr_assert_eq(pl[1], -1, "the reserved host must not take a younger job");
    cr_assert_eq(pl[2], 1, "other hosts still backfill");
    cr_assert(rs[0] && strstr(rs[0], "drain") && strstr(rs[0], "reserved"), "%s", rs[0]);
    cr_assert_eq(h[0].free_mgb, GB(16));
    free(rs[0]);
    free(rs[1]);
    /* Not aged yet: plain backfill. */
    h[1].free_mgb = GB(2);
    o.now_us = 100 * 1000000LL;
    cr_assert_eq(pass(h, 2, j, 3, &o, pl, rs), 2);
    cr_assert(pl[1] == 0 && pl[2] >= 0);
    free(rs[0]);
}

/* A job no host could ever hold reserves nothing. */
Test(sched, aged_job_too_big_for_every_host_reserves_nothing)
{
    struct sched_host h[1] = {H("h24", 24)};
    struct sched_job j[2] = {Jb("huge", 80), Jb("small", 8)};
    j[1].submitted_at_us = 2;
    struct sched_opts o = {.reserve_after_us = 1, .now_us = 1000000000LL};
    int pl[2];
    char *rs[2];
    cr_assert_eq(pass(h, 1, j, 2, &o, pl, rs), 1);
    cr_assert(pl[0] == -1 && pl[1] == 0);
    cr_assert(strstr(rs[0], "80.0 GB"), "%s", rs[0]);
    free(rs[0]);
}
