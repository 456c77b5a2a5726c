#ifndef XC_JOB_STOPS_H
#define XC_JOB_STOPS_H
#include "store/model.h"

/* The jobs service's stop requests (domain §11): how the operator, billing, the spot market and
 * mining detection ask a running job to stop. The agent acknowledges; the sweep forces it. */

/* Records a stop request on a running job: one per job, a later reason replaces an earlier one
 * only when it is mining or cancel. Stores j, appends the event and queues the SSE message. In a
 * transaction. */
int jobs_stop_request(struct job *j, enum jobstate_stop reason, const char *actor);

#endif
