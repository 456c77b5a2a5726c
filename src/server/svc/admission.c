/* The admission service: evaluates a host's version report and applies the verdict to the host. */
#include "server/svc/admission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "common/xalloc.h"
#include "core/admit.h"
#include "server/app.h"
#include "server/svc/engine.h"
#include "server/svc/tx.h"

int admission_apply(struct host *h, json_t *versions, json_t *runtimes, const char *actor)
{
    struct admit_result res;
    int rc = admit_evaluate(versions, runtimes, h->gpu_model, &g_app->cfg.minimums, &res);
    if (rc < 0)
        return rc;
    bool first = h->admission_details == NULL, was = h->admitted;
    json_t *reasons = json_array();
    for (size_t i = 0; i < res.nreasons; i++)
        json_array_append_new(reasons, json_string(res.reasons[i]));
    json_t *details = json_object();
    json_object_set_new(details, "host_id", json_string(h->host_id));
    json_object_set_new(details, "admitted", json_boolean(res.admitted));
    json_object_set(details, "versions", versions);
    json_object_set(details, "rejection_reasons", reasons);
    json_object_set_new(details, "recommended_runtime", json_string(admit_runtime_name(res.runtime)));
    json_object_set_new(details, "runtime_reason", json_string(res.runtime_reason));
    json_object_set_new(details, "checked_at_us", json_integer(app_now())); /* rendered by view_host */

    free(h->admission_details);
    h->admission_details = jsonx_dump(details, NULL);
    free(h->versions);
    h->versions = jsonx_dump(versions, NULL);
    if (runtimes) {
        free(h->runtimes);
        h->runtimes = jsonx_dump(runtimes, NULL);
    }
    h->admitted = res.admitted;
    snprintf(h->recommended_runtime, sizeof h->recommended_runtime, "%s", admit_runtime_name(res.runtime));
    if (h->status != HOST_DEAD)
        h->status = res.admitted ? HOST_ACTIVE : HOST_PENDING;

    if (res.admitted && (first || !was))
        tx_kick_scheduler(); /* new capacity */
    if (first || was != res.admitted) {
        json_t *ev = json_pack("{s:b,s:O}", "admitted", res.admitted, "rejection_reasons", reasons);
        rc = tx_event(res.admitted ? "host.admitted" : "host.rejected", "host", h->host_id, actor, ev);
    }
    tx_sse("node_admission", json_pack("{s:s,s:b,s:O,s:s}", "host_id", h->host_id, "admitted", res.admitted,
                                       "rejection_reasons", reasons, "runtime", h->recommended_runtime));
    if (rc == 0 && was && !res.admitted) {
        /* Un-admitted: assigned jobs go back to the queue; running jobs continue (domain §3.2.6). */
        struct job *jobs = NULL;
        size_t n = 0;
        rc = store_jobs_active_on_host(g_app->store, h->host_id, &jobs, &n);
        for (size_t i = 0; i < n; i++) {
            if (rc == 0 && jobs[i].status == JOB_ASSIGNED)
                rc = engine_transition(&jobs[i], JOB_QUEUED, "scheduler", NULL);
            job_free(&jobs[i]);
        }
        free(jobs);
        /* The requeues released reservations in the stored row; keep h in step with it. */
        struct host cur;
        if (rc == 0 && store_host_get(g_app->store, h->host_id, &cur) == 0) {
            h->reserved_mgb = cur.reserved_mgb;
            host_free(&cur);
        }
    }
    json_decref(reasons);
    json_decref(details);
    admit_result_free(&res);
    return rc;
}
