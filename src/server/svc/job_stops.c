/* The jobs service's stop requests: recording one is a store write, an audit event and an SSE
 * message, in the caller's transaction. */
#include "server/svc/job_stops.h"

#include "server/app.h"
#include "server/svc/tx.h"

int jobs_stop_request(struct job *j, enum jobstate_stop reason, const char *actor)
{
    if (j->has_stop_request && reason != JOB_STOP_MINING && reason != JOB_STOP_CANCEL)
        return 0;
    const char *name = jobstate_stop_name(reason);
    j->has_stop_request = true;
    j->stop_requested = reason;
    j->stop_requested_at = app_now();
    int rc = store_job_put(g_app->store, j);
    if (rc == 0)
        rc = tx_event("job.stop_requested", "job", j->job_id, actor,
                      json_pack("{s:s,s:s}", "reason", name, "host_id", j->host_id));
    tx_sse("preemption_scheduled", json_pack("{s:s,s:s,s:s}", "host_id", j->host_id, "job_id", j->job_id, "reason", name));
    return rc;
}
