/* Jobs: submission, listing, detail, status reports/transitions, requeue, logs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/xalloc.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/accounts.h"
#include "server/svc/billing_svc.h"
#include "server/svc/engine.h"
#include "server/api/handlers.h"
#include "server/api/jobs_common.h"
#include "server/http/sse.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"

/* A keyset cursor: "<submitted_at µs>.<job_id>", opaque to clients. Returns 0 or -1 (422 sent). */
static int parse_cursor(struct req *r, const char *cur, struct job_filter *f, char id[65])
{
    char *dot = NULL;
    long long at = strtoll(cur, &dot, 10);
    size_t n = dot && *dot == '.' ? strlen(dot + 1) : 0;
    bool ok = dot && dot != cur && *dot == '.' && at >= 0 && n > 0 && n < 65;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)dot[1 + i]) || dot[1 + i] == '-' || dot[1 + i] == '_';
    if (!ok) {
        reply_invalid(r, "query", "cursor", "pattern", "must be a next_cursor value from a previous page");
        return -1;
    }
    memcpy(id, dot + 1, n + 1);
    f->after_submitted = at;
    f->after_id = id;
    return 0;
}

/* ?team_id (api §8.16): the team's jobs, for its members and admins; anyone else (agents
 * included) gets the 404 of a team they cannot see. */
static int team_gate(struct req *r, const char *team_id)
{
    bool member = r->who.is_admin; /* the operator and admin users see every team */
    if (!member && r->who.kind == PRINCIPAL_USER) {
        int rc = accounts_team_member(r->who.user.user.user_id, team_id, &member);
        if (rc < 0) {
            reply_status(r, rc, "team membership");
            return -1;
        }
    }
    if (!member) {
        reply_error(r, 404, "Team not found");
        return -1;
    }
    return 0;
}

void h_jobs_list(struct req *r)
{
    struct job_filter f = {0};
    int64_t limit, offset;
    char after[65];
    const char *status = NULL;
    f.has_status = query_str(r, "status", &status); /* one of the declared states (routes.c) */
    if (f.has_status)
        jobstate_parse(status, &f.status);
    const char *cursor = NULL;
    query_int(r, "limit", &limit);
    query_int(r, "offset", &offset);
    query_str(r, "cursor", &cursor);
    if (cursor && offset > 0) {
        reply_invalid(r, "query", "offset", "exclusive", "use either cursor or offset, not both");
        return;
    }
    if (cursor && parse_cursor(r, cursor, &f, after) < 0)
        return;
    f.limit = (int)limit;
    f.offset = (int)offset;
    query_str(r, "host_id", &f.host_id);
    query_str(r, "owner", &f.owner);
    /* Visibility (api §7.1): agents see their host's jobs; users their own and those on their hosts. */
    if (r->who.kind == PRINCIPAL_AGENT)
        f.host_id = r->who.host_id;
    f.viewer_customer = auth_view_customer(&r->who);
    f.viewer_user = auth_view_user(&r->who);
    if (query_str(r, "team_id", &f.team_id) && team_gate(r, f.team_id) < 0)
        return;
    struct job *jobs = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc = store_job_list(g_app->store, &f, &jobs, &n, &total);
    if (rc < 0) {
        reply_status(r, rc, "job list failed");
        return;
    }
    json_t *arr = json_array(), *next = json_null();
    if (n > 0 && (int64_t)n == limit) {
        char *c = xasprintf("%lld.%s", (long long)jobs[n - 1].submitted_at, jobs[n - 1].job_id);
        next = json_string(c);
        free(c);
    }
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, view_job(&jobs[i], false));
        job_free(&jobs[i]);
    }
    free(jobs);
    reply_ok(r, 200, json_pack("{s:o,s:I,s:o}", "jobs", arr, "total", (json_int_t)total, "next_cursor", next));
}

void h_job_get(struct req *r)
{
    struct job j;
    if (jobs_load_visible(r, 0, &j) < 0)
        return;
    reply_ok(r, 200, json_pack("{s:o}", "job", view_job(&j, false)));
    job_free(&j);
}

void h_job_patch(struct req *r)
{
    const char *status, *host_id = NULL, *reason = NULL;
    int64_t exit_code = 0;
    body_str(r, "status", &status);
    body_str(r, "host_id", &host_id);
    bool has_exit = body_int(r, "exit_code", &exit_code);
    body_str(r, "failure_reason", &reason);
    struct job j;
    if (jobs_load_any(r, 0, &j) < 0)
        return;
    enum jobstate to;
    if (jobstate_parse(status, &to) < 0) {
        reply_error(r, 400,
                    "Invalid status '%.64s' for job %s — must be one of (queued, assigned, leased, running, completed, "
                    "failed, preempted, cancelled)",
                    status, j.job_id);
        job_free(&j);
        return;
    }
    struct trans_opts o = {.has_exit_code = has_exit, .exit_code = (int)exit_code, .reason = reason};
    jobs_apply_transition(r, &j, to, host_id, &o);
    job_free(&j);
}

void h_job_requeue(struct req *r)
{
    struct job j;
    if (jobs_load_visible(r, 0, &j) < 0)
        return;
    jobs_manual_requeue(r, &j);
    job_free(&j);
}

struct log_ctx {
    json_t *arr;
    bool sse;
    const char *job_id;
};

static void log_line(void *ctx, int64_t ts, const char *level, const char *line)
{
    struct log_ctx *c = ctx;
    json_t *o = c->sse ? json_pack("{s:s,s:o,s:s,s:s}", "job_id", c->job_id, "timestamp", jx_ts(ts), "line", line,
                                   "level", level)
                       : json_pack("{s:o,s:s,s:s}", "timestamp", jx_ts(ts), "line", line, "level", level);
    json_array_append_new(c->arr, o);
}

void h_job_logs(struct req *r)
{
    int64_t limit, total = 0;
    struct job j;
    query_int(r, "limit", &limit);
    if (jobs_load_visible(r, 0, &j) < 0)
        return;
    struct log_ctx c = {json_array(), false, j.job_id};
    int rc = store_job_logs(g_app->store, j.job_id, (int)limit, log_line, &c, &total);
    if (rc < 0) {
        json_decref(c.arr);
        reply_status(r, rc, "log read failed");
    } else {
        reply_ok(r, 200, json_pack("{s:s,s:o,s:I}", "job_id", j.job_id, "logs", c.arr, "total", (json_int_t)total));
    }
    job_free(&j);
}

void h_job_logs_stream(struct req *r)
{
    struct job j;
    if (jobs_load_visible(r, 0, &j) < 0)
        return;
    struct log_ctx c = {json_array(), true, j.job_id};
    store_job_logs(g_app->store, j.job_id, 500, log_line, &c, NULL);
    sse_reply_stream(r, j.job_id, c.arr, json_pack("{s:s,s:s}", "job_id", j.job_id, "status", "streaming"));
    if (jobstate_is_final(j.status))
        sse_close_job_streams(j.job_id, 5000000);
    job_free(&j);
}
