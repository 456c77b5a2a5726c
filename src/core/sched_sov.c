/* The sovereign pass (domain §7.3): §6 filters + the pass's constraint, one job per host, the
 * verified-first cold-start rule and the efficiency key xcu / rate × search boost. */
#include "core/sched_sov.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/xalloc.h"

#define MIN_RATE_UCAD INT64_C(10000) /* 0.01 CAD: what a zero rate counts as */

int64_t sched_sov_rate(const struct sched_host *h)
{
    return h->rate_ucad > 0 ? h->rate_ucad : MIN_RATE_UCAD;
}

int sched_sov_cmp(const struct sched_host *ha, const struct sched_sov_host *a, const struct sched_host *hb,
                  const struct sched_sov_host *b)
{
    if (ha == hb)
        return 0;
    /* xcu_a × boost_a / rate_a  vs  xcu_b × boost_b / rate_b, without division. */
    __int128 l = (__int128)a->xcu_c * a->boost_ppm * sched_sov_rate(hb);
    __int128 r = (__int128)b->xcu_c * b->boost_ppm * sched_sov_rate(ha);
    if (l != r)
        return l > r ? 1 : -1;
    return sched_host_cmp(ha, hb, false);
}

/* The best candidate of one job, or -1. cand is scratch space of n flags. */
static int pick(const struct sched_host *hosts, const struct sched_sov_host *sov, size_t n, const bool *used,
                bool *cand, const struct sched_job *job, const struct sched_opts *opts)
{
    bool any_sandboxed = false, any_verified = false;
    for (size_t i = 0; i < n; i++) {
        cand[i] = !used[i] && sov[i].eligible && sched_host_reject(&hosts[i], job, opts) < 0;
        any_sandboxed = any_sandboxed || (cand[i] && hosts[i].sandboxed);
    }
    /* Isolation preference (§6), then the cold-start rule (§7.3) among what is left. */
    for (size_t i = 0; i < n; i++) {
        cand[i] = cand[i] && (!job->isolation_preferred || !any_sandboxed || hosts[i].sandboxed);
        any_verified = any_verified || (cand[i] && sov[i].verified);
    }
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (cand[i] && (!any_verified || sov[i].verified) &&
            (best < 0 || sched_sov_cmp(&hosts[i], &sov[i], &hosts[best], &sov[best]) > 0))
            best = (int)i;
    return best;
}

int sched_sovereign_pass(struct sched_host *hosts, const struct sched_sov_host *sov, size_t nhosts,
                         const struct sched_job *jobs, size_t njobs, const struct sched_opts *opts, int *placement,
                         size_t *nplaced)
{
    if ((nhosts && (!hosts || !sov)) || (njobs && (!jobs || !placement)))
        return XC_EINVAL;
    size_t *order = xcalloc(njobs + 1, sizeof *order);
    bool *used = xcalloc(nhosts + 1, sizeof *used), *cand = xcalloc(nhosts + 1, sizeof *cand);
    sched_sort(jobs, njobs, order);
    size_t limit = opts && opts->max_jobs ? opts->max_jobs : njobs, placed = 0;
    for (size_t j = 0; j < njobs; j++)
        placement[j] = -1;
    for (size_t k = 0; k < njobs && k < limit; k++) {
        const struct sched_job *job = &jobs[order[k]];
        int h = pick(hosts, sov, nhosts, used, cand, job, opts);
        if (h < 0)
            continue;
        placement[order[k]] = h;
        used[h] = true;
        hosts[h].free_mgb -= job->vram_mgb;
        placed++;
    }
    free(cand);
    free(used);
    free(order);
    if (nplaced)
        *nplaced = placed;
    return 0;
}
