/* The events and leases routes (api §8.11): one entity's audit events, a job's active lease, and
 * the lease listing. Reads only; the events themselves are appended by the services (tx_event). */
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "core/states.h"
#include "server/api/handlers_transparency.h"
#include "server/api/views.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"

#define EVENTS_ENTITY_JOB "job"

static int collect(void *ctx, const struct event_row *e)
{
    json_array_append_new(ctx, view_event(e));
    return 0;
}

/* "A (owners may read job entities they own)": admins read every entity; a user reads the events
 * of a job they own (a job they cannot see is not found, one they see but do not own is a 403);
 * anything else is for admins. The gate already refused agents (mark O). */
static int may_read(struct req *r, const char *entity_type, const char *entity_id)
{
    if (r->who.is_admin)
        return 0;
    if (strcmp(entity_type, EVENTS_ENTITY_JOB) != 0) {
        reply_error(r, 403, "Admin access required");
        return -1;
    }
    struct job j;
    int rc = store_job_get(g_app->store, entity_id, &j);
    if (rc == XC_ENOTFOUND || (rc == 0 && !auth_sees_job(&r->who, &j))) {
        if (rc == 0)
            job_free(&j);
        reply_error(r, 404, "Job %s not found", entity_id);
        return -1;
    }
    if (rc < 0) {
        reply_status(r, rc, "job read failed");
        return -1;
    }
    bool owns = auth_owns_job(&r->who, &j);
    job_free(&j);
    if (!owns) {
        reply_error(r, 403, "Only the job's owner or an admin may do this");
        return -1;
    }
    return 0;
}

void h_events_entity(struct req *r)
{
    int64_t limit = 50, since = 0;
    struct event_query f = {.entity_type = r->params[0], .entity_id = r->params[1]};
    query_int(r, "limit", &limit);
    query_str(r, "event_type", &f.event_type);
    query_int(r, "since", &since);
    if (may_read(r, f.entity_type, f.entity_id) < 0)
        return;
    f.limit = (int)limit;
    f.since_us = since;
    json_t *events = json_array();
    int rc = store_events_query(g_app->store, &f, collect, events);
    if (rc < 0) {
        json_decref(events);
        reply_status(r, rc, "event read failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:o}", "entity_type", f.entity_type, "entity_id", f.entity_id, "events",
                               events));
}

void h_events_lease(struct req *r)
{
    const char *id;
    if (v_path_job_id(r, 0, &id) < 0)
        return;
    /* Admins pass the gate for any id: an unknown job is still its own 404. */
    struct job j;
    int rc = store_job_get(g_app->store, id, &j);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Job %s not found", id);
        return;
    }
    if (rc == 0)
        job_free(&j);
    struct lease l;
    if (rc == 0 && (rc = store_lease_active(g_app->store, id, &l)) == XC_ENOTFOUND)
        reply_error(r, 404, "No active lease for job %s", id);
    else if (rc < 0)
        reply_status(r, rc, "lease read failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "lease", view_lease(&l)));
}

void h_leases_list(struct req *r)
{
    const char *status = "active";
    int64_t limit = 1000, offset = 0;
    query_str(r, "status", &status);
    query_int(r, "limit", &limit);
    query_int(r, "offset", &offset);
    enum leasestate st;
    leasestate_parse(status, &st); /* the declared enum is core's list */
    struct lease *ls = NULL;
    size_t n = 0;
    int rc = store_leases_list(g_app->store, st, (int)limit, (int)offset, &ls, &n);
    if (rc < 0) {
        reply_status(r, rc, "lease list failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_lease(&ls[i]));
    free(ls);
    reply_ok(r, 200, json_pack("{s:o,s:I}", "leases", arr, "count", (json_int_t)n));
}
