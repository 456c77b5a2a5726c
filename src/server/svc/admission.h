#ifndef XC_ADMISSION_H
#define XC_ADMISSION_H
#include <jansson.h>

#include "store/model.h"

/* Evaluates a host's version report with core/admit under the configured minimums and applies
 * the result to h (admitted, status, admission_details, recommended_runtime, versions), with
 * events host.admitted/host.rejected (when the outcome changes or on first evaluation) and SSE
 * node_admission. A host that loses admission has its assigned jobs requeued. In a transaction;
 * the caller stores h. */
int admission_apply(struct host *h, json_t *versions, json_t *runtimes, const char *actor);

#endif
