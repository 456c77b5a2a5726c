#ifndef XC_BILLING_HOOKS_H
#define XC_BILLING_HOOKS_H
#include <stdbool.h>
#include <stdint.h>

#include "store/model.h"

/* Where the job lifecycle meets money (domain §25). The engine calls these inside the
 * transition's transaction; each returns 0 or a negative XC_E* code (which rolls it back). */


/* queued → assigned of an owned job: place the escrow hold. *refused = true (and 0 returned)
 * when the wallet cannot cover it; the scheduler then skips the job (insufficient_funds). */
int billing_on_assign(struct job *j, const struct host *h, int64_t now, bool *refused);

/* An attempt that reached running ends (to completed, failed, cancelled or preempted):
 * exactly one billing record per (job, attempt), escrow settled, payout recorded. */
int billing_on_attempt_end(const struct job *j, enum jobstate final_status, int64_t now);

/* A job leaves the active states without having run: release its hold in full. */
int billing_on_release_unstarted(const struct job *j, int64_t now);

/* A lease renewal of a running job: top up the escrow hold when needed (domain §25.6). */
int billing_on_renew(const struct job *j, int64_t now);

#endif
