#ifndef XC_AUTOSCALE_H
#define XC_AUTOSCALE_H
#include <jansson.h>

/* The autoscale service (domain §13). Each call runs its own transaction(s), then the
 * XCELSIOR_AUTOSCALE_HOOK for every host it provisioned or removed (argv, never a shell).
 * The arrays passed in receive the results; the caller owns them. Returns 0 or an XC_E* code. */

/* Provisions pool entries for queued jobs that no active host can serve, within
 * XCELSIOR_AUTOSCALE_MAX. provisioned gets {"host_id","gpu"} objects. */
int autoscale_up(json_t *provisioned);
/* Removes autoscaled hosts idle for XCELSIOR_AUTOSCALE_IDLE_SEC that no queued job needs.
 * deprovisioned gets host ids. */
int autoscale_down(json_t *deprovisioned);
/* Up, one queue pass, then down (never removing what this cycle provisioned). */
int autoscale_cycle(json_t *provisioned, json_t *assigned, json_t *deprovisioned);

#endif
