/* The model rows (hosts, jobs): defaults, freeing, and derived values. */
#include "store/model.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void host_init(struct host *h)
{
    memset(h, 0, sizeof *h);
    h->gpu_count = 1;
    h->cost_per_hour = 200000;
    h->status = HOST_PENDING;
    memcpy(h->recommended_runtime, "runc", 5);
    memcpy(h->verification_state, "unverified", 11);
    memcpy(h->trust_tier, "community", 10);
    memcpy(h->sla_tier, "community", 10);
    h->versions = xstrdup("{}");
    h->runtimes = xstrdup("[]");
}

void host_free(struct host *h)
{
    free(h->admission_details);
    free(h->versions);
    free(h->runtimes);
    h->admission_details = h->versions = h->runtimes = NULL;
}

void job_init(struct job *j)
{
    memset(j, 0, sizeof *j);
    j->num_gpus = 1;
    j->max_retries = 3;
    j->attempt = 1;
    memcpy(j->tier, "free", 5);
    memcpy(j->trust_tier, "community", 10);
    j->status = JOB_QUEUED;
    j->command = xstrdup("[]");
    j->environment = xstrdup("{}");
    j->avoid_hosts = xstrdup("[]");
}

void job_free(struct job *j)
{
    free(j->command);
    free(j->environment);
    free(j->avoid_hosts);
    j->command = j->environment = j->avoid_hosts = NULL;
}

int64_t host_free_mgb(const struct host *h)
{
    int64_t cap = h->total_mgb - h->reserved_mgb;
    int64_t v = h->reported_free_mgb < cap ? h->reported_free_mgb : cap;
    return v > 0 ? v : 0;
}

uint64_t job_reason_hash(const char *reason)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *c = (const unsigned char *)(reason ? reason : ""); *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h;
}
