/* The jobs service's stop requests: recording one is a store write, an audit event and an SSE
 * message, in the caller's transaction. */
#include "server/svc/job_stops.h"

#include <stdio.h>
#include <string.h>

#include "server/app.h"
#include "server/svc/tx.h"

int jobs_stop_request(struct job *j, const char *reason, const char *actor)
{
    if (j->stop_requested[0] && strcmp(reason, "mining") != 0 && strcmp(reason, "cancel") != 0)
        return 0;
    snprintf(j->stop_requested, sizeof j->stop_requested, "%s", reason);
    j->stop_requested_at = app_now();
    int rc = store_job_put(g_app->store, j);
    if (rc == 0)
        rc = tx_event("job.stop_requested", "job", j->job_id, actor,
                      json_pack("{s:s,s:s}", "reason", reason, "host_id", j->host_id));
    tx_sse("preemption_scheduled", json_pack("{s:s,s:s,s:s}", "host_id", j->host_id, "job_id", j->job_id, "reason", reason));
    return rc;
}
