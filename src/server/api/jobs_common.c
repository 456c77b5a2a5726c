/* Steps shared by the job, agent and operations handlers: loading visible jobs, applying
 * transitions. */
#include "server/api/jobs_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/xalloc.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"

static int load(struct req *r, int idx, struct job *j, bool hide_foreign)
{
    const char *id;
    if (v_path_job_id(r, idx, &id) < 0)
        return -1;
    int rc = store_job_get(g_app->store, id, j);
    /* Jobs the caller may not see are not found (no existence leak); an agent reporting on a
     * job of another host is answered 409 by the transition instead. */
    bool agent_report = !hide_foreign && r->who.kind == PRINCIPAL_AGENT;
    if (rc == 0 && !agent_report && !auth_sees_job(&r->who, j)) {
        job_free(j);
        rc = XC_ENOTFOUND;
    }
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Job %s not found", id);
        return -1;
    }
    if (rc < 0) {
        reply_status(r, rc, "job read failed");
        return -1;
    }
    return 0;
}

int jobs_load_visible(struct req *r, int idx, struct job *j)
{
    return load(r, idx, j, true);
}

int jobs_load_any(struct req *r, int idx, struct job *j)
{
    return load(r, idx, j, false);
}

static void reply_job(struct req *r, unsigned status, const struct job *j, const char *prev, const char *stop)
{
    json_t *o = json_pack("{s:s,s:s}", "job_id", j->job_id, "status", jobstate_name(j->status));
    if (prev)
        json_object_set_new(o, "previous_status", json_string(prev));
    if (stop)
        json_object_set_new(o, "stop_requested", json_string(stop));
    json_object_set_new(o, "job", view_job(j, false));
    reply_ok(r, status, o);
}

void jobs_apply_transition(struct req *r, struct job *j, enum jobstate to, const char *host_id,
                           const struct trans_opts *o)
{
    enum jobstate from = j->status;
    enum jobstate_actor actor = JOBSTATE_ACTOR_ADMIN;
    if (r->who.kind == PRINCIPAL_AGENT) {
        actor = JOBSTATE_ACTOR_AGENT;
    } else if (!r->who.is_admin) {
        /* A user who sees the job (jobs_load_*) but does not own it may not change it. */
        if (!auth_owns_job(&r->who, j)) {
            reply_error(r, 403, "Only the job's owner or an admin may change job %s", j->job_id);
            return;
        }
        actor = JOBSTATE_ACTOR_OWNER;
    }
    if (actor == JOBSTATE_ACTOR_AGENT && !host_id)
        host_id = r->who.host_id;
    if (actor == JOBSTATE_ACTOR_AGENT && strcmp(host_id, r->who.host_id) != 0) {
        reply_error(r, 403, "Agent token is bound to host %s", r->who.host_id);
        return;
    }
    if (actor == JOBSTATE_ACTOR_AGENT && strcmp(j->host_id, r->who.host_id) != 0) {
        if (j->host_id[0])
            reply_error(r, 409, "Job %s is assigned to host %s", j->job_id, j->host_id);
        else
            reply_error(r, 409, "Job %s is not assigned to host %s", j->job_id, r->who.host_id);
        return;
    }
    if (host_id && *host_id && j->host_id[0] && strcmp(host_id, j->host_id) != 0) {
        reply_error(r, 409, "Job %s is assigned to host %s", j->job_id, j->host_id);
        return;
    }
    const char *prev = jobstate_name(from);
    char who[80];
    auth_actor(r, who, sizeof who);
    int rc = jobstate_check(from, to, actor);
    if (rc == JOBSTATE_UNCHANGED) {
        reply_job(r, 200, j, prev, NULL);
        return;
    }
    /* A cancel of a running job by anyone but its agent is a stop request: the agent stops the
     * container (SIGTERM, grace, SIGKILL) and acknowledges; the sweep forces it otherwise. */
    bool stop = to == JOB_CANCELLED && from == JOB_RUNNING && actor != JOBSTATE_ACTOR_AGENT;
    if (!stop && rc == JOBSTATE_E_TRANSITION) {
        char *msg = jobstate_transition_error(from, to);
        reply_error(r, 409, "%s", msg);
        free(msg);
        return;
    }
    if (!stop && rc == JOBSTATE_E_ACTOR) {
        reply_error(r, 403, "%s may not move job %s from %s to %s", auth_principal_name(&r->who), j->job_id, prev,
                    jobstate_name(to));
        return;
    }
    if (!stop && rc < 0) {
        reply_status(r, rc, "transition check failed");
        return;
    }
    if ((rc = tx_begin()) < 0) {
        reply_status(r, rc, "begin");
        return;
    }
    /* Re-read inside the transaction: the compare-and-swap on the stored status. */
    struct job cur;
    if ((rc = store_job_get(g_app->store, j->job_id, &cur)) < 0)
        goto fail;
    bool moved = cur.status != j->status, already = cur.status == to;
    job_free(&cur);
    if (moved) {
        tx_rollback();
        /* A concurrent request made the same move (two completions racing): idempotent. */
        if (already && !stop) {
            j->status = to;
            reply_job(r, 200, j, prev, NULL);
        } else {
            reply_error(r, 409, "Job %s changed state concurrently; retry", j->job_id);
        }
        return;
    }
    rc = stop ? jobs_stop_request(j, JOB_STOP_CANCEL, who) : engine_transition(j, to, who, o);
    if (rc < 0)
        goto fail;
    if ((rc = tx_commit()) < 0) {
        reply_status(r, rc, "commit");
        return;
    }
    reply_job(r, stop ? 202 : 200, j, prev, stop ? jobstate_stop_name(JOB_STOP_CANCEL) : NULL);
    return;
fail:
    tx_rollback();
    reply_status(r, rc, "transition failed");
}

void jobs_manual_requeue(struct req *r, struct job *j)
{
    enum jobstate from = j->status;
    if (from == JOB_QUEUED || from == JOB_COMPLETED || from == JOB_CANCELLED || from == JOB_PREEMPTED) {
        reply_error(r, 409, "Job %s is '%s'; cannot requeue", j->job_id, jobstate_name(from));
        return;
    }
    if (jobstate_is_active(from) && !r->who.is_admin) {
        reply_error(r, 403, "Only the operator may requeue a job that is %s", jobstate_name(from));
        return;
    }
    if (j->retries + 1 > j->max_retries) {
        reply_error(r, 409, "Job %s exceeded max retries (%d)", j->job_id, j->max_retries);
        return;
    }
    char who[80];
    auth_actor(r, who, sizeof who);
    int rc = tx_begin();
    if (rc < 0) {
        reply_status(r, rc, "begin");
        return;
    }
    if (jobstate_is_active(from)) {
        struct trans_opts o = {.reason = "manual_requeue", .no_retry = true};
        rc = engine_transition(j, JOB_FAILED, who, &o);
    }
    if (rc == 0 && j->status == JOB_FAILED)
        rc = engine_transition(j, JOB_QUEUED, who, NULL);
    if (rc < 0) {
        tx_rollback();
        reply_status(r, rc, "requeue failed");
        return;
    }
    if ((rc = tx_commit()) < 0) {
        reply_status(r, rc, "commit");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "job", view_job(j, false)));
}
