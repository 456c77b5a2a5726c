#ifndef XC_CORE_SCHED_SOV_H
#define XC_CORE_SCHED_SOV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sched.h"

/* The sovereign pass (domain §7.3): the §6 filters plus an extra constraint of the pass, and an
 * efficiency key instead of the §6 key. Pure; works on the same snapshots as sched_pass. */

/* What the sovereign pass knows about a host besides its struct sched_host. */
struct sched_sov_host {
    bool eligible;     /* meets the pass's extra constraint (canada_only, province: §20.3) */
    bool verified;     /* verification_state is exactly "verified" (§18) */
    int64_t xcu_c;     /* compute_score, or the §16 estimate, in hundredths (>= 0) */
    int64_t boost_ppm; /* search boost of the host's reputation tier (§19.6), > 0 */
};

/* The rate the key divides by: the effective rate in µCAD per GPU-hour, a zero (or negative)
 * rate counting as 0.01 CAD. */
int64_t sched_sov_rate(const struct sched_host *h);

/* >0 when host a is more efficient than b: xcu / rate × boost compared exactly (integer cross
 * products), ties broken by the §6 key (sched_host_cmp, regular rates); 0 only for a == b. */
int sched_sov_cmp(const struct sched_host *ha, const struct sched_sov_host *a, const struct sched_host *hb,
                  const struct sched_sov_host *b);

/* One sovereign pass: jobs in §5 order (at most opts->max_jobs; 0 = all). A job's candidates are
 * the hosts that pass every §6 filter (sched_host_reject, with the job's trust_tier — the caller
 * sets the stricter of the job's and the pass's tier) and the extra constraint (eligible), and
 * that got no job earlier in this pass (one job per host). Then the isolation preference of §6
 * (sandboxed hosts only, when the job prefers isolation and one is a candidate), then §7.3's
 * cold-start rule (verified hosts only, when one is a candidate), then the highest sched_sov_cmp.
 * placement[j] receives the host index of job j or -1; *nplaced (may be NULL) the count. Lowers
 * the chosen hosts' free_mgb by the job's VRAM. Returns 0, or XC_EINVAL on NULL arrays. */
int sched_sovereign_pass(struct sched_host *hosts, const struct sched_sov_host *sov, size_t nhosts,
                         const struct sched_job *jobs, size_t njobs, const struct sched_opts *opts, int *placement,
                         size_t *nplaced);

#endif
