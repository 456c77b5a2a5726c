/* Scheduler scale benchmark: 10,000 admitted hosts, 100,000 queued jobs, one standard pass
 * (queue sort + placement with reservations re-evaluated after every assignment).
 * Usage: bench_sched [hosts] [jobs] [spot_percent] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "core/jobstate.h"
#include "core/sched.h"

struct model {
    const char *name;
    int64_t vram_mgb; /* per GPU */
    int64_t rate_ucad;
};

static const struct model models[] = {
    {"RTX 3060", 12000, 150000}, {"T4", 16000, 200000},    {"V100", 32000, 500000},
    {"A10G", 24000, 450000},     {"L4", 24000, 400000},    {"RTX 3090", 24000, 300000},
    {"RTX 4090", 24000, 450000}, {"L40S", 48000, 900000},  {"A100 40GB", 40000, 1100000},
    {"A100 80GB", 80000, 1500000}, {"H100", 80000, 2500000}, {"RTX 2080", 8000, 120000},
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long arg(int argc, char **argv, int i, long def)
{
    if (argc <= i)
        return def;
    char *end;
    long v = strtol(argv[i], &end, 10);
    return (*end || v < 0) ? def : v;
}

int main(int argc, char **argv)
{
    size_t nh = (size_t)arg(argc, argv, 1, 10000), nj = (size_t)arg(argc, argv, 2, 100000);
    long spot_pct = arg(argc, argv, 3, 0);
    size_t nm = sizeof models / sizeof models[0];
    struct sched_host *hosts = xcalloc(nh ? nh : 1, sizeof *hosts);
    struct sched_host *copy = xcalloc(nh ? nh : 1, sizeof *hosts);
    struct sched_job *jobs = xcalloc(nj ? nj : 1, sizeof *jobs);
    char **hids = xcalloc(nh ? nh : 1, sizeof *hids), **jids = xcalloc(nj ? nj : 1, sizeof *jids);
    const char **avoid_pool = xcalloc(nh ? nh : 1, sizeof *avoid_pool);
    int *placement = xcalloc(nj ? nj : 1, sizeof *placement);
    char **reasons = xcalloc(nj ? nj : 1, sizeof *reasons);
    static const int gpu_choices[] = {1, 1, 1, 2, 2, 4, 4, 8};

    for (size_t i = 0; i < nh; i++) {
        const struct model *m = &models[rnd((uint32_t)nm)];
        struct sched_host *h = &hosts[i];
        hids[i] = xasprintf("host-%05zu", i);
        avoid_pool[i] = hids[i];
        h->host_id = hids[i];
        h->gpu_count = gpu_choices[rnd(8)];
        h->total_mgb = m->vram_mgb * h->gpu_count;
        h->free_mgb = rnd(4) ? h->total_mgb : h->total_mgb * (int64_t)rnd(100) / 100;
        h->active = h->admitted = true;
        h->canadian = rnd(10) < 7;
        h->sandboxed = rnd(10) < 3;
        h->latency_ms = rnd(3) ? (int)(1 + rnd(200)) : -1;
        h->rate_ucad = m->rate_ucad;
        h->spot_price_ucad = m->rate_ucad * 7 / 10;
        h->registered_at_us = 1767225600000000ll + (int64_t)rnd(86400) * 1000000;
        h->trust_ok_mask = 1u;
        if (h->canadian && rnd(2))
            h->trust_ok_mask |= 1u << JOB_TRUST_RESIDENCY;
        if (h->canadian && rnd(4) == 0)
            h->trust_ok_mask |= (1u << JOB_TRUST_RESIDENCY) | (1u << JOB_TRUST_SOVEREIGNTY);
    }
    for (size_t k = 0; k < nj; k++) {
        struct sched_job *j = &jobs[k];
        jids[k] = xasprintf("%032zx", k * 2654435761u);
        j->job_id = jids[k];
        j->priority = (int)rnd(4);
        j->submitted_at_us = 1767225600000000ll + (int64_t)rnd(3600000) * 1000;
        j->num_gpus = gpu_choices[rnd(8)];
        j->vram_mgb = (int64_t)j->num_gpus * (4000 + 1000 * (int64_t)rnd(77));
        j->trust_tier = rnd(10) == 0 ? (int)(1 + rnd(2)) : 0;
        j->isolation_preferred = j->trust_tier > 0;
        j->spot = (long)rnd(100) < spot_pct;
        j->max_bid_ucad = 100000 + 100000 * (int64_t)rnd(20);
        if (nh && rnd(20) == 0) {
            j->navoid = 1 + (int)rnd(3);
            size_t at = rnd((uint32_t)nh);
            if (at + (size_t)j->navoid > nh)
                at = nh - (size_t)j->navoid;
            j->avoid = avoid_pool + at;
        }
    }

    struct sched_opts opts = {0};
    size_t placed = 0;

    /* 1. Sort + placement pass (what the scheduler tick computes before committing). */
    memcpy(copy, hosts, nh * sizeof *hosts);
    double t0 = now_ms();
    if (sched_pass(copy, nh, jobs, nj, &opts, placement, NULL, &placed) < 0)
        return 1;
    double t1 = now_ms();
    double ms = t1 - t0;
    printf("hosts: %zu, jobs: %zu, spot: %ld%%\n", nh, nj, spot_pct);
    printf("placements: %zu in %.1f ms = %.0f decisions/s\n", placed, ms,
           ms > 0 ? (double)nj / (ms / 1e3) : 0.0);

    /* 2. The same pass also writing a pending reason for every job left queued. */
    memcpy(copy, hosts, nh * sizeof *hosts);
    t0 = now_ms();
    if (sched_pass(copy, nh, jobs, nj, &opts, placement, reasons, &placed) < 0)
        return 1;
    t1 = now_ms();
    ms = t1 - t0;
    size_t pending = 0;
    const char *sample = NULL;
    for (size_t k = 0; k < nj; k++)
        if (reasons[k]) {
            pending++;
            if (!sample)
                sample = reasons[k];
        }
    printf("with pending reasons: %zu placed, %zu reasons in %.1f ms = %.0f decisions/s\n", placed,
           pending, ms, ms > 0 ? (double)nj / (ms / 1e3) : 0.0);
    if (sample)
        printf("sample reason: %s\n", sample);

    /* 3. Sort alone, for reference. */
    size_t *order = xcalloc(nj ? nj : 1, sizeof *order);
    t0 = now_ms();
    sched_sort(jobs, nj, order);
    printf("queue sort alone: %.1f ms\n", now_ms() - t0);

    for (size_t k = 0; k < nj; k++) {
        free(reasons[k]);
        free(jids[k]);
    }
    for (size_t i = 0; i < nh; i++)
        free(hids[i]);
    free(order);
    free(reasons);
    free(placement);
    free(avoid_pool);
    free(jids);
    free(hids);
    free(jobs);
    free(copy);
    free(hosts);
    return 0;
}
