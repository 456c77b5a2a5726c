#ifndef XC_CORE_SCHED_H
#define XC_CORE_SCHED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"

/* The standard allocator (domain §5 queue order, §6 filters and key, §7.1 pass). Pure: it works
 * on compact snapshots the caller builds from the store, and only ever changes free_mgb. */

struct sched_host {
    const char *host_id;      /* borrowed; byte order breaks the last tie */
    int gpu_count;
    int64_t total_mgb;        /* informational */
    int64_t free_mgb;         /* schedulable free VRAM (milli-GB); lowered by reservations */
    bool active;              /* status == "active" */
    bool admitted;
    bool canadian;            /* declared country == "CA" (§14) */
    bool sandboxed;           /* recommended_runtime is runsc or kata */
    int latency_ms;           /* negative = unknown, sorts as 999 */
    int64_t rate_ucad;        /* effective_rate_per_hour, µCAD per GPU-hour */
    int64_t spot_price_ucad;  /* current spot price of the host's model (used for spot jobs) */
    int64_t registered_at_us;
    uint32_t trust_ok_mask;   /* bit t set when the host meets trust tier t's constraint (§20.3);
                                 tier 0 (community) is always met whatever the mask says */
};

struct sched_job {
    const char *job_id;       /* borrowed */
    int priority;
    int64_t submitted_at_us;
    int num_gpus;
    int64_t vram_mgb;
    int trust_tier;           /* enum jobstate_trust value */
    bool isolation_preferred; /* prefer runsc/kata hosts when any candidate has one */
    bool spot;                /* filter 7 and key 3 use spot_price_ucad */
    int64_t max_bid_ucad;
    const char *const *avoid; /* host ids this job must not go to (borrowed) */
    int navoid;
};

struct sched_opts {
    bool canada_only;         /* filter 5 (global flag or the Canada pass) */
    size_t max_jobs;          /* jobs considered per pass in queue order; 0 = all */
    /* Backfill guard (sched_pass): a job that has waited at least reserve_after_us (> 0) and
     * does not fit now reserves the host it would fit on once that host drains, so younger
     * jobs behind it cannot keep that host busy forever. 0 = no reservations. */
    int64_t reserve_after_us;
    int64_t now_us;
};

/* Why a host was not a candidate: the FIRST §6 filter it fails, in filter order. */
#define SCHED_REJECTS(X)                                                                           \
    X(NOT_ADMITTED, "not admitted")                                                                \
    X(NOT_ACTIVE, "not active")                                                                    \
    X(AVOIDED, "avoided after failing this job")                                                   \
    X(FEW_GPUS, "with too few GPUs")                                                               \
    X(TOO_SMALL, "too small")                                                                      \
    X(OUTSIDE_CANADA, "outside Canada")                                                            \
    X(TRUST, "below the job's trust tier")                                                         \
    X(OVER_BID, "priced above the bid")

enum sched_reject {
#define X(id, label) SCHED_REJECT_##id,
    SCHED_REJECTS(X)
#undef X
    SCHED_REJECT__COUNT
};

struct sched_counts {
    size_t n[SCHED_REJECT__COUNT];
    size_t hosts;             /* hosts considered */
    size_t candidates;        /* hosts passing every filter */
};

const char *sched_reject_label(enum sched_reject r);

/* §5: priority descending, submitted_at ascending, job_id ascending (<0 when a goes first). */
int sched_job_cmp(const struct sched_job *a, const struct sched_job *b);
/* Fills order[0..n) with the job indices in queue order. */
void sched_sort(const struct sched_job *jobs, size_t n, size_t *order);

/* §6 key: >0 when host a is preferred to b (more free VRAM, lower latency, lower rate — the spot
 * price when spot — earlier registered_at, smaller host_id), <0 when b is, 0 only for a == b. */
int sched_host_cmp(const struct sched_host *a, const struct sched_host *b, bool spot);

/* The first §6 filter host h fails for job (an enum sched_reject value), or -1 when h is a
 * candidate. opts NULL = no options. */
int sched_host_reject(const struct sched_host *h, const struct sched_job *job, const struct sched_opts *opts);

/* Single-job allocation by linear scan (failover, autoscale, tests): the index of the best
 * candidate, or -1 when none passes the filters. Changes nothing. */
int sched_best_host(const struct sched_host *hosts, size_t n, const struct sched_job *job,
                    const struct sched_opts *opts);
/* Counts every host under the first filter it fails (linear scan). */
void sched_count(const struct sched_host *hosts, size_t n, const struct sched_job *job,
                 const struct sched_opts *opts, struct sched_counts *out);
/* Human pending reason from counts: "no hosts registered", or e.g. "no admitted host with 48.0 GB
 * free VRAM: 3 hosts too small, 2 not admitted, 1 outside Canada" (counts in descending order, ties
 * in filter order; "with 4 GPUs and 48.0 GB" for multi-GPU jobs). The caller owns the string. */
char *sched_reason_format(const struct sched_counts *c, const struct sched_job *job);
/* sched_count + sched_reason_format. The caller owns the string. */
char *sched_pending_reason(const struct sched_host *hosts, size_t n, const struct sched_job *job,
                           const struct sched_opts *opts);

/* An index over hosts for many decisions in one pass: hosts grouped by their static attributes,
 * each group kept ordered by the §6 key in a size-augmented treap, so a decision is a few
 * O(log n) steps per group instead of a scan. The hosts array is borrowed and must outlive the
 * index; reservations lower hosts[i].free_mgb in place. The caller owns the index and frees it
 * with sched_index_free. */
struct sched_index *sched_index_new(struct sched_host *hosts, size_t n,
                                    const struct sched_opts *opts);
void sched_index_free(struct sched_index *ix);
/* Best candidate for job under the current reservations, or -1. Same answer as sched_best_host. */
int sched_index_pick(struct sched_index *ix, const struct sched_job *job);
/* Reserves vram_mgb on host h and repositions it. Returns 0, XC_EINVAL (bad host or negative
 * amount) or XC_ECONFLICT (more than the host's free VRAM; nothing changes). */
int sched_index_reserve(struct sched_index *ix, int h, int64_t vram_mgb);
/* Same as sched_count under the current reservations, without scanning every host. */
void sched_index_count(struct sched_index *ix, const struct sched_job *job,
                       struct sched_counts *out);
/* The caller owns the string. */
char *sched_index_reason(struct sched_index *ix, const struct sched_job *job);

/* One standard pass (§7.1) with backfill: jobs in queue order (at most opts->max_jobs), each
 * placed on the best host under the reservations of the jobs placed before it; a job that does
 * not fit never blocks the jobs behind it. The guard against starving big jobs: a job that has
 * waited opts->reserve_after_us and fits no host now, but would fit on an eligible host once that
 * host's running work ends (enough total VRAM and GPUs, every other filter passed), reserves the
 * best such host that is not reserved yet: no job after it in queue order is placed there in this
 * pass, so the host drains and the old job gets it. placement[j] receives the host index of job j
 * or -1. When reasons is not NULL, reasons[j] receives an owned pending reason for every
 * considered job that was not placed (NULL otherwise). *nplaced (may be NULL) receives the number
 * placed. Lowers hosts[h].free_mgb by each placed job's VRAM (a reserved host's free VRAM is left
 * as it was). Returns 0 or XC_EINVAL. */
int sched_pass(struct sched_host *hosts, size_t nhosts, const struct sched_job *jobs, size_t njobs,
               const struct sched_opts *opts, int *placement, char **reasons, size_t *nplaced);

#endif
