/* Scheduler at scale, end to end through the store: 10,000 admitted hosts (1–8 GPUs, mixed
 * models) and 100,000 queued jobs stored in SQLite; one pass loads them, places every job that
 * fits with core/sched, and commits all placements (job rows + host reservations) in one
 * transaction. Prints the time of each phase. Usage: bench_commit [hosts] [jobs] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/sched.h"
#include "store/store.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const struct job_brief *sort_jobs;
static int by_job_id(const void *a, const void *b)
{
    return strcmp(sort_jobs[*(const size_t *)a].job_id, sort_jobs[*(const size_t *)b].job_id);
}

int main(int argc, char **argv)
{
    size_t nh = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000, nj = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
    char dir[] = "/tmp/xc-bench-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/bench.db", dir);
    struct store *st;
    int applied;
    if (store_open(path, &st) < 0 || store_migrate_up(st, &applied) < 0)
        return 1;
    static const char *const models[] = {"RTX 4090", "RTX 3090", "A100", "H100", "L4", "T4"};
    static const int64_t vram[] = {24000, 24000, 80000, 80000, 24000, 16000};
    int64_t t0 = clock_mono_us();
    store_tx_begin(st);
    for (size_t i = 0; i < nh; i++) {
        struct host h;
        host_init(&h);
        int m = (int)(next() % 6);
        snprintf(h.host_id, sizeof h.host_id, "host-%05zu", i);
        snprintf(h.ip, sizeof h.ip, "127.0.%zu.%zu", (i / 250) % 250, i % 250 + 1);
        snprintf(h.gpu_model, sizeof h.gpu_model, "%s", models[m]);
        h.gpu_count = 1 + (int)(next() % 8);
        h.total_mgb = h.reported_free_mgb = vram[m] * h.gpu_count;
        h.admitted = true;
        h.status = HOST_ACTIVE;
        snprintf(h.country, sizeof h.country, "CA");
        h.registered_at = h.last_seen = 1000 + (int64_t)i;
        store_host_put(st, &h);
        host_free(&h);
    }
    for (size_t i = 0; i < nj; i++) {
        struct job j;
        job_init(&j);
        snprintf(j.job_id, sizeof j.job_id, "%032zx", i * 2654435761u);
        snprintf(j.name, sizeof j.name, "job-%zu", i);
        j.vram_mgb = (int64_t)(4 + next() % 76) * 1000;
        j.num_gpus = 1 + (int)(next() % 4);
        j.priority = (int)(next() % 4);
        j.submitted_at = 5000 + (int64_t)i;
        store_job_put(st, &j);
        job_free(&j);
    }
    store_tx_commit(st);
    int64_t t1 = clock_mono_us();
    printf("seeded %zu hosts + %zu jobs in %.0f ms\n", nh, nj, (t1 - t0) / 1000.0);

    /* The pass: load, place, commit. */
    struct host *hosts;
    struct job_brief *jobs;
    size_t nhl, njl;
    int64_t a = clock_mono_us();
    store_host_list(st, true, &hosts, &nhl);
    store_jobs_queued_brief(st, 0, &jobs, &njl);
    int64_t b = clock_mono_us();
    struct sched_host *sh = calloc(nhl, sizeof *sh);
    struct sched_job *sj = calloc(njl, sizeof *sj);
    for (size_t i = 0; i < nhl; i++)
        sh[i] = (struct sched_host){hosts[i].host_id, hosts[i].gpu_count, hosts[i].total_mgb, host_free_mgb(&hosts[i]),
                                    true, true, true, false, -1, hosts[i].cost_per_hour, hosts[i].cost_per_hour,
                                    hosts[i].registered_at, 1};
    for (size_t i = 0; i < njl; i++)
        sj[i] = (struct sched_job){jobs[i].job_id, jobs[i].priority, jobs[i].submitted_at, jobs[i].num_gpus,
                                   jobs[i].vram_mgb, 0, false, false, 0, NULL, 0};
    int *placement = calloc(njl, sizeof *placement);
    size_t placed = 0;
    struct sched_opts o = {.canada_only = false, .max_jobs = njl};
    sched_pass(sh, nhl, sj, njl, &o, placement, NULL, &placed);
    int64_t c = clock_mono_us();
    /* Apply in job-id order: the primary-key B-tree is then walked front to back instead of at
     * random, which keeps the page cache hot. */
    size_t *ord = malloc(njl * sizeof *ord), no = 0;
    for (size_t i = 0; i < njl; i++)
        if (placement[i] >= 0)
            ord[no++] = i;
    sort_jobs = jobs;
    qsort(ord, no, sizeof *ord, by_job_id);
    store_tx_begin(st);
    for (size_t k = 0; k < no; k++) {
        size_t i = ord[k];
        struct host *h = &hosts[placement[i]];
        struct job_brief *j = &jobs[i];
        store_job_assign(st, j->job_id, h->host_id, c, h->cost_per_hour);
        h->reserved_mgb += j->vram_mgb;
    }
    for (size_t i = 0; i < nhl; i++)
        if (hosts[i].reserved_mgb)
            store_host_reserve(st, hosts[i].host_id, hosts[i].reserved_mgb);
    int rc = store_tx_commit(st);
    int64_t d = clock_mono_us();
    printf("load %.0f ms | place %zu of %zu jobs in %.1f ms = %.0f decisions/s | commit %.0f ms (rc %d)\n",
           (b - a) / 1000.0, placed, njl, (c - b) / 1000.0, njl / ((c - b) / 1e6), (d - c) / 1000.0, rc);
    printf("scheduler pass total (load + place + durable commit): %.0f ms\n", (d - a) / 1000.0);
    for (size_t i = 0; i < nhl; i++)
        host_free(&hosts[i]);
    for (size_t i = 0; i < njl; i++)
        free(jobs[i].avoid_hosts);
    free(hosts);
    free(jobs);
    free(sh);
    free(sj);
    free(placement);
    free(ord);
    store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "%s-wal", path);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s-shm", path);
    unlink(cmd);
    unlink(path);
    rmdir(dir);
    return rc == 0 ? 0 : 1;
}
