#ifndef XC_SVC_VERIFICATION_H
#define XC_SVC_VERIFICATION_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/verify.h"
#include "core/xcu.h"
#include "server/svc/svc_err.h"
#include "store/trust_store.h"

/* Host verification (domain §18) and benchmarks (§16) with store access; the rules are
 * core/verify and core/xcu. Everything is judged against what the agent measured and the
 * server's own host record, never against fields a host declares about itself. */

/* POST /agent/benchmark: judges and stores (unless model_mismatch) the benchmark and the host's
 * compute_score. Own transaction. */
int verif_benchmark(const char *host_id, const char *reported_model, int64_t tflops_c, const json_t *details,
                    const char *actor, int64_t now, struct xcu_bench *out, struct svc_err *e);

/* POST /agent/verify: evaluates the measured report, stores the record (or, in a cool-down,
 * answers it unchanged), mirrors the state on the host and reclassifies it. Own transaction.
 * *out is the stored record (free with host_verif_free). */
int verif_report(const char *host_id, const json_t *report, const char *actor, int64_t now, struct host_verif *out,
                 struct svc_err *e);

/* Admin: force re-verification (POST /api/verify/{id}), approve, reject. Own transaction. */
int verif_force(const char *host_id, const char *actor, int64_t now, struct host_verif *out, struct svc_err *e);
int verif_approve(const char *host_id, const char *notes, const char *actor, int64_t now, struct svc_err *e);
int verif_reject(const char *host_id, const char *reason, const char *actor, int64_t now, struct svc_err *e);

/* A registered identity change (§18.4): the record becomes unverified with reverify_due. In the
 * caller's transaction; the caller stores the host. */
int verif_host_changed(const char *host_id, int64_t now);

/* A host-fault job failure (§18.5): logged, and the threshold applied. In a transaction. */
int verif_host_failure(const char *host_id, const char *job_id, const char *reason, int64_t now);

/* The schedule (§18.4): marks due records verifying, de-verifies overdue ones. Own transaction. */
int verif_sweep(int64_t now);

#endif
