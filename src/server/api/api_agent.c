/* The agent protocol (api §8.1, domain §9, §11, §17): work pull, leases, stop requests, logs,
 * telemetry and mining alerts. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/xalloc.h"
#include "common/fixed.h"
#include "core/states.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/billing_hooks.h"
#include "server/svc/engine.h"
#include "server/svc/sla_svc.h"
#include "server/api/handlers.h"
#include "server/api/jobs_common.h"
#include "server/svc/reputation.h"
#include "server/svc/telemetry.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"

#include "common/units.h" /* SEC */
#define LOG_LINE_MAX 10000

/* Reads and authorises the body's host_id and job_id, then loads the job. */
static int body_host_job(struct req *r, const char **host_id, struct job *j)
{
    const char *job_id;
    body_str(r, "host_id", host_id);
    body_str(r, "job_id", &job_id);
    if (auth_host(r, *host_id) < 0)
        return -1;
    int rc = valid_job_id(job_id) ? store_job_get(g_app->store, job_id, j) : XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Job %.80s not found", job_id);
        return -1;
    }
    if (rc < 0) {
        reply_status(r, rc, "job read failed");
        return -1;
    }
    return 0;
}

/* Loads the host of path parameter idx, authorised as H(h); counts as a heartbeat when asked. */
static int path_host(struct req *r, int idx, struct host *h, bool heartbeat)
{
    const char *id;
    if (v_path_host_id(r, idx, &id) < 0 || auth_host(r, id) < 0)
        return -1;
    int rc = store_host_get(g_app->store, id, h);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Host %s not found", id);
        return -1;
    }
    if (rc < 0) {
        reply_status(r, rc, "host read failed");
        return -1;
    }
    if (heartbeat) {
        h->last_seen = app_now();
        bool revived = h->status == HOST_DEAD;
        if (revived)
            h->status = h->admitted ? HOST_ACTIVE : HOST_PENDING;
        if (tx_begin() == 0) {
            char actor[80];
            auth_actor(r, actor, sizeof actor);
            if (store_host_put(g_app->store, h) == 0 &&
                (!revived || slasvc_host_back(h->host_id, h->last_seen, actor) == 0))
                tx_commit();
            else
                tx_rollback();
        }
    }
    return 0;
}

void h_agent_work(struct req *r)
{
    struct host h;
    if (path_host(r, 0, &h, true) < 0)
        return;
    struct job *jobs = NULL;
    size_t n = 0;
    struct job_filter f = {.has_status = true, .status = JOB_ASSIGNED, .host_id = h.host_id};
    int rc = h.admitted ? store_job_list(g_app->store, &f, &jobs, &n, NULL) : 0;
    host_free(&h);
    if (rc < 0) {
        reply_status(r, rc, "job list failed");
        return;
    }
    if (n == 0) {
        free(jobs);
        reply_raw(r, 204, "application/json; charset=utf-8", "", 0);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, view_job(&jobs[i], true));
        job_free(&jobs[i]);
    }
    free(jobs);
    reply_ok(r, 200, json_pack("{s:o}", "jobs", arr));
}

static json_t *lease_reply(const struct lease *l, const struct job *j)
{
    return json_pack("{s:s,s:o,s:i,s:o}", "lease_id", l->lease_id, "expires_at", jx_ts(l->expires_at), "duration_sec",
                     l->duration_sec, "job", view_job(j, true));
}

void h_lease_claim(struct req *r)
{
    const char *host_id;
    struct job j;
    if (body_host_job(r, &host_id, &j) < 0)
        return;
    struct lease l;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    if (j.host_id[0] && strcmp(j.host_id, host_id) != 0) {
        reply_error(r, 409, "Job %s is assigned to host %s", j.job_id, j.host_id);
    } else if (j.status == JOB_LEASED && store_lease_active(g_app->store, j.job_id, &l) == 0 &&
               strcmp(l.host_id, host_id) == 0) {
        reply_ok(r, 200, lease_reply(&l, &j)); /* a repeated claim returns the existing lease */
    } else if (j.status != JOB_ASSIGNED) {
        reply_error(r, 409, "Job %s is '%s', expected 'assigned'", j.job_id, jobstate_name(j.status));
    } else {
        int rc = tx_begin();
        if (rc == 0) {
            if ((rc = engine_transition(&j, JOB_LEASED, actor, NULL)) == 0)
                rc = tx_commit();
            else
                tx_rollback();
        }
        if (rc == 0 && (rc = store_lease_active(g_app->store, j.job_id, &l)) == 0)
            reply_ok(r, 200, lease_reply(&l, &j));
        else
            reply_status(r, rc, "lease claim failed");
    }
    job_free(&j);
}

void h_lease_renew(struct req *r)
{
    const char *host_id;
    struct job j;
    if (body_host_job(r, &host_id, &j) < 0)
        return;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct lease l;
    int64_t now = app_now();
    int rc = tx_begin();
    if (rc < 0)
        goto out;
    if (store_lease_active(g_app->store, j.job_id, &l) != 0 || strcmp(l.host_id, host_id) != 0) {
        tx_rollback();
        reply_error(r, 404, "No active lease for job %s on host %s", j.job_id, host_id);
        goto done;
    }
    if (now > l.expires_at + g_app->cfg.lease_grace_sec * SEC) {
        /* Too late: expire it now, exactly as the sweep would (domain §9.1). */
        l.status = LEASE_EXPIRED;
        if ((rc = store_lease_put(g_app->store, &l)) == 0)
            rc = tx_event("job.lease.expired", "job", j.job_id, "scheduler",
                          json_pack("{s:s,s:s}", "lease_id", l.lease_id, "host_id", host_id));
        tx_sse("lease_expired", json_pack("{s:s,s:s,s:s}", "job_id", j.job_id, "host_id", host_id, "lease_id", l.lease_id));
        if (rc == 0 && (j.status == JOB_LEASED || j.status == JOB_RUNNING)) {
            struct trans_opts o = {.reason = "lease_expired", .lease_expired = true};
            rc = engine_transition(&j, JOB_FAILED, "scheduler", &o);
        }
        if (rc == 0 && (rc = tx_commit()) == 0)
            reply_error(r, 410, "Lease for job %s has expired", j.job_id);
        else if (rc < 0)
            tx_rollback();
        goto out;
    }
    l.expires_at = now + l.duration_sec * SEC;
    l.last_renewed = now;
    if ((rc = store_lease_put(g_app->store, &l)) == 0 && j.status == JOB_RUNNING)
        rc = billing_on_renew(&j, now);
    if (rc == 0)
        rc = tx_event("job.lease.renewed", "job", j.job_id, actor,
                      json_pack("{s:s,s:I}", "lease_id", l.lease_id, "expires_at_us", (json_int_t)l.expires_at));
    if (rc < 0) {
        tx_rollback();
        goto out;
    }
    if ((rc = tx_commit()) == 0)
        reply_ok(r, 200, json_pack("{s:s,s:o,s:o}", "lease_id", l.lease_id, "expires_at", jx_ts(l.expires_at),
                                   "stop_requested", view_stop_requested(&j)));
out:
    if (rc < 0)
        reply_status(r, rc, "lease renew failed");
done:
    job_free(&j);
}

void h_lease_release(struct req *r)
{
    const char *host_id, *reason = "completed";
    struct job j;
    if (body_host_job(r, &host_id, &j) < 0)
        return;
    body_str(r, "reason", &reason);
    enum jobstate end;
    if (jobstate_parse(reason, &end) < 0 ||
        !(end == JOB_COMPLETED || end == JOB_FAILED || end == JOB_PREEMPTED || end == JOB_CANCELLED)) {
        reply_invalid(r, "body", "reason", "enum", "must be one of completed, failed, preempted, cancelled");
        goto done;
    }
    if (jobstate_is_active(j.status)) {
        reply_error(r, 409, "Job %s is still %s; report a terminal status first", j.job_id, jobstate_name(j.status));
        goto done;
    }
    struct lease l;
    if (store_lease_active(g_app->store, j.job_id, &l) != 0 || strcmp(l.host_id, host_id) != 0) {
        reply_ok(r, 200, json_pack("{s:b,s:s}", "released", 0, "detail", "No active lease"));
        goto done;
    }
    char actor[80];
    int rc = tx_begin();
    if (rc == 0) {
        l.status = LEASE_RELEASED;
        if ((rc = store_lease_put(g_app->store, &l)) == 0)
            rc = tx_event("job.lease.released", "job", j.job_id, auth_actor(r, actor, sizeof actor),
                          json_pack("{s:s,s:s}", "lease_id", l.lease_id, "reason", reason));
        rc = rc == 0 ? tx_commit() : (tx_rollback(), rc);
    }
    if (rc < 0)
        reply_status(r, rc, "lease release failed");
    else
        reply_ok(r, 200, json_pack("{s:b}", "released", 1));
done:
    job_free(&j);
}

void h_agent_preempt_list(struct req *r)
{
    struct host h;
    if (path_host(r, 0, &h, false) < 0)
        return;
    struct job *jobs = NULL;
    size_t n = 0;
    struct job_filter f = {.has_status = true, .status = JOB_RUNNING, .host_id = h.host_id};
    int rc = store_job_list(g_app->store, &f, &jobs, &n, NULL);
    host_free(&h);
    if (rc < 0) {
        reply_status(r, rc, "job list failed");
        return;
    }
    json_t *ids = json_array(), *reqs = json_array();
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].has_stop_request) {
            json_array_append_new(ids, json_string(jobs[i].job_id));
            json_array_append_new(reqs, json_pack("{s:s,s:s,s:o,s:I}", "job_id", jobs[i].job_id, "reason",
                                                  jobstate_stop_name(jobs[i].stop_requested), "requested_at",
                                                  jx_ts(jobs[i].stop_requested_at), "grace_sec",
                                                  (json_int_t)g_app->cfg.preemption_grace_sec));
        }
        job_free(&jobs[i]);
    }
    free(jobs);
    reply_ok(r, 200, json_pack("{s:o,s:o}", "preempt_jobs", ids, "stop_requests", reqs));
}

void h_agent_preempt_request(struct req *r)
{
    const char *reason = "preempt";
    struct host h;
    struct job j;
    body_str(r, "reason", &reason);
    enum jobstate_stop stop = JOB_STOP_PREEMPT;
    if (jobstate_stop_parse(reason, &stop) < 0 ||
        !(stop == JOB_STOP_PREEMPT || stop == JOB_STOP_CANCEL || stop == JOB_STOP_MINING)) {
        reply_invalid(r, "body", "reason", "enum", "must be one of preempt, cancel, mining");
        return;
    }
    if (path_host(r, 0, &h, false) < 0)
        return;
    host_free(&h);
    if (jobs_load_visible(r, 1, &j) < 0)
        return;
    if (j.status != JOB_RUNNING || strcmp(j.host_id, r->params[0]) != 0) {
        reply_error(r, 409, "Job %s is not running on host %s", j.job_id, r->params[0]);
        job_free(&j);
        return;
    }
    char actor[80];
    int rc = tx_begin();
    if (rc == 0) {
        rc = jobs_stop_request(&j, stop, auth_actor(r, actor, sizeof actor));
        if (rc == 0 && stop == JOB_STOP_PREEMPT)
            tx_sse("job_preempted", json_pack("{s:s,s:s,s:s}", "job_id", j.job_id, "name", j.name, "reason", reason));
        rc = rc == 0 ? tx_commit() : (tx_rollback(), rc);
    }
    if (rc < 0)
        reply_status(r, rc, "stop request failed");
    else
        reply_ok(r, 200, json_pack("{s:s,s:s,s:s}", "host_id", j.host_id, "job_id", j.job_id, "reason", reason));
    job_free(&j);
}

/* Log sanitising (domain §21.3): cap at 10 000 characters, then strip trailing whitespace. */
static char *sanitise_line(const char *line)
{
    size_t n = strlen(line);
    char *out;
    if (n > LOG_LINE_MAX)
        out = xasprintf("%.*s\n... [TRUNCATED]", LOG_LINE_MAX, line);
    else
        out = xstrdup(line);
    size_t m = strlen(out);
    while (m > 0 && isspace((unsigned char)out[m - 1]))
        out[--m] = '\0';
    return out;
}

void h_agent_logs(struct req *r)
{
    const char *host_id;
    json_t *lines;
    struct job j;
    if (body_host_job(r, &host_id, &j) < 0)
        return;
    body_json(r, "lines", &lines);
    if (json_array_size(lines) < 1 || json_array_size(lines) > 500) {
        reply_invalid(r, "body", "lines", json_array_size(lines) ? "too_long" : "too_short", "must hold 1..500 lines");
        goto done;
    }
    size_t i;
    json_t *ln;
    json_array_foreach(lines, i, ln)
    {
        json_t *text = json_object_get(ln, "line"), *lvl = json_object_get(ln, "level"),
               *ts = json_object_get(ln, "timestamp");
        const char *level = json_string_value(lvl);
        if (!json_is_object(ln) || !json_is_string(text) || json_string_length(text) > LOG_LINE_MAX ||
            (lvl && !json_is_null(lvl) && !level) ||
            (level && strcmp(level, "info") && strcmp(level, "warn") && strcmp(level, "error") && strcmp(level, "debug")) ||
            (ts && !json_is_null(ts) && !json_is_number(ts))) {
            reply_invalid(r, "body", "lines", "type_error",
                          "each line is {\"line\": str of at most 10000 characters, \"level\": info|warn|error|debug, \"timestamp\": num}");
            goto done;
        }
    }
    enum jobstate st = j.status;
    int64_t now = app_now();
    bool late_ok = jobstate_is_terminal(st) && j.completed_at && now - j.completed_at <= 60 * SEC;
    if (strcmp(j.host_id, host_id) != 0 || !(st == JOB_LEASED || st == JOB_RUNNING || late_ok)) {
        reply_error(r, 409, "Job %s is not %s on host %s", j.job_id, "leased or running", host_id);
        goto done;
    }
    int rc = tx_begin();
    json_array_foreach(lines, i, ln)
    {
        if (rc < 0)
            break;
        json_t *ts = json_object_get(ln, "timestamp");
        int64_t at = now;
        if (json_is_number(ts) && json_number_value(ts) > 0)
            fixed_from_double(json_number_value(ts), 6, &at);
        const char *level = json_string_value(json_object_get(ln, "level"));
        char *clean = sanitise_line(json_string_value(json_object_get(ln, "line")));
        rc = store_job_log_append(g_app->store, j.job_id, at, level ? level : "info", clean);
        tx_sse("job_log", json_pack("{s:s,s:o,s:s,s:s}", "job_id", j.job_id, "timestamp", jx_ts(at), "line", clean,
                                    "level", level ? level : "info"));
        free(clean);
    }
    if (rc == 0)
        rc = tx_commit();
    else
        tx_rollback();
    if (rc < 0)
        reply_status(r, rc, "log write failed");
    else
        reply_ok(r, 200, json_pack("{s:I}", "accepted", (json_int_t)json_array_size(lines)));
done:
    job_free(&j);
}

void h_agent_telemetry(struct req *r)
{
    const char *host_id;
    json_t *metrics = NULL;
    int64_t ts = 0;
    body_str(r, "host_id", &host_id);
    body_json(r, "metrics", &metrics);
    body_int(r, "timestamp", &ts);
    if (auth_host(r, host_id) < 0)
        return;
    if (metrics && json_object_size(metrics) > 64) {
        reply_invalid(r, "body", "metrics", "too_long", "at most 64 metric keys");
        return;
    }
    struct host h;
    if (!valid_host_id(host_id) || store_host_get(g_app->store, host_id, &h) != 0) {
        reply_error(r, 404, "Host %.80s not found", host_id);
        return;
    }
    json_t *empty = json_object();
    int64_t now = app_now();
    telemetry_put(host_id, metrics ? metrics : empty, ts, now);
    /* The SLA checks of the sample (D§26.4): violations are stored before the reply. */
    int rc = slasvc_telemetry(&h, metrics ? metrics : empty, now, NULL);
    json_decref(empty);
    host_free(&h);
    if (rc < 0) {
        reply_status(r, rc, "telemetry checks failed");
        return;
    }
    reply_ok(r, 200, NULL);
}

void h_agent_telemetry_get(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    if (!auth_sees_host(&r->who, id)) {
        reply_error(r, 404, "No telemetry for host %s", id);
        return;
    }
    json_t *t = telemetry_get(id, app_now());
    if (!t) {
        reply_error(r, 404, "No telemetry for host %s", id);
        return;
    }
    json_t *out = json_pack("{s:s}", "host_id", id);
    json_object_update(out, t);
    json_decref(t);
    reply_ok(r, 200, out);
}

void h_telemetry_all(struct req *r)
{
    json_t *all = telemetry_all(r->who.kind == PRINCIPAL_AGENT ? r->who.host_id : NULL, app_now());
    if (r->who.kind == PRINCIPAL_USER && !r->who.is_admin) {
        /* Users: hosts they own and active hosts (api §7.3). */
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(all, tmp, k, v)
        {
            if (!auth_sees_host(&r->who, k))
                json_object_del(all, k);
        }
    }
    size_t n = json_object_size(all);
    reply_ok(r, 200, json_pack("{s:o,s:I}", "hosts", all, "count", (json_int_t)n));
}

void h_mining_alert(struct req *r)
{
    const char *host_id, *reason, *job_id = NULL, *action = "alert";
    int64_t gpu = 0;
    int64_t conf = 0;
    body_str(r, "host_id", &host_id);
    body_int(r, "gpu_index", &gpu);
    body_int(r, "confidence", &conf);
    body_str(r, "reason", &reason);
    body_str(r, "job_id", &job_id);
    body_str(r, "action", &action);
    if (auth_host(r, host_id) < 0)
        return;
    struct host h;
    if (!valid_host_id(host_id) || store_host_get(g_app->store, host_id, &h) != 0) {
        reply_error(r, 404, "Host %.80s not found", host_id);
        return;
    }
    host_free(&h);
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    int rc = tx_begin();
    if (rc == 0) {
        json_t *data = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s}", "host_id", host_id, "gpu_index", (json_int_t)gpu,
                                 "confidence_ppm", (json_int_t)conf, "reason", reason, "action", action, "job_id",
                                 job_id ? job_id : "");
        if (strcmp(action, "terminated") == 0)
            json_object_set_new(data, "penalty", json_pack("{s:s,s:i}", "kind", "terms_violation", "points", -100));
        rc = tx_event("security.mining_detected", "security", host_id, actor, data);
        struct job j;
        if (rc == 0 && job_id && strcmp(action, "terminated") == 0 && valid_job_id(job_id) &&
            store_job_get(g_app->store, job_id, &j) == 0) {
            if (j.status == JOB_RUNNING && strcmp(j.host_id, host_id) == 0)
                rc = jobs_stop_request(&j, JOB_STOP_MINING, actor);
            /* §17.6: the job owner's user entity, once per job (the failure report may say it too) */
            if (rc == 0 && strcmp(j.host_id, host_id) == 0)
                rc = reputation_on_mining_kill(j.owner, j.job_id, app_now());
            job_free(&j);
        }
        tx_sse("mining_alert", json_pack("{s:s,s:I,s:o,s:s,s:s}", "host_id", host_id, "gpu_index", (json_int_t)gpu,
                                         "confidence", jx_fixed(conf, 6), "reason", reason, "action", action));
        rc = rc == 0 ? tx_commit() : (tx_rollback(), rc);
    }
    if (rc < 0)
        reply_status(r, rc, "alert failed");
    else
        reply_ok(r, 200, json_pack("{s:b}", "received", 1));
}
