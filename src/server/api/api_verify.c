/* Verification and compute-score routes (api §8.1 benchmark/verify, §8.2, §8.8, §7.3
 * verified-hosts). Thin: declared input -> svc/verification -> the HostVerification view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "server/api/handlers_trust.h"
#include "server/api/svc_reply.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/verification.h"
#include "store/store.h"
#include "store/trust_store.h"

#define REPORT_MAX 16384
#define DETAILS_MAX 8192

/* Check objects as stored (timestamp in µs) -> api §6.9 (timestamp in seconds). */
static json_t *view_checks(const char *text)
{
    json_t *a = jx_parse_or(text, json_array()), *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(a, i, c)
    {
        json_t *o = json_deep_copy(c);
        json_int_t us = json_integer_value(json_object_get(c, "timestamp_us"));
        json_object_del(o, "timestamp_us");
        json_object_set_new(o, "timestamp", jx_ts(us));
        json_array_append_new(out, o);
    }
    json_decref(a);
    return out;
}

static json_t *view_verif(const struct host_verif *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "verification_id", json_string(v->verification_id));
    json_object_set_new(o, "host_id", json_string(v->host_id));
    json_object_set_new(o, "state", json_string(v->state));
    json_object_set_new(o, "overall_score", jx_fixed(v->score_e2, 2));
    json_object_set_new(o, "checks", view_checks(v->checks));
    json_object_set_new(o, "gpu_fingerprint", json_string(v->fingerprint));
    json_object_set_new(o, "verified_at", jx_ts(v->verified_at));
    json_object_set_new(o, "deverified_at", jx_ts(v->deverified_at));
    json_object_set_new(o, "deverify_reason", jx_str_lossy(v->deverify_reason));
    json_object_set_new(o, "last_check_at", jx_ts(v->last_check_at));
    json_object_set_new(o, "next_check_at", jx_ts(v->next_check_at));
    json_object_set_new(o, "failure_count", json_integer(v->failure_count));
    json_object_set_new(o, "reverify_due", json_boolean(v->reverify_due));
    json_object_set_new(o, "cooldown_until", jx_ts(v->cooldown_until));
    return o;
}

/* A JSON value's compact size is within limit. */
static bool fits(const json_t *v, size_t limit)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    bool ok = !s || strlen(s) <= limit;
    free(s);
    return ok;
}

void h_agent_benchmark(struct req *r)
{
    const char *host_id, *model;
    int64_t tflops = 0;
    json_t *details = NULL;
    body_str(r, "host_id", &host_id);
    body_str(r, "gpu_model", &model);
    body_int(r, "tflops", &tflops);
    body_json(r, "details", &details);
    if (auth_host(r, host_id) < 0)
        return;
    if (!fits(details, DETAILS_MAX)) {
        reply_invalid(r, "body", "details", "too_long", "at most 8 KiB");
        return;
    }
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct xcu_bench b;
    struct svc_err e = {0};
    int rc = verif_benchmark(host_id, model, tflops, details, actor, app_now(), &b, &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "benchmark failed");
        return;
    }
    json_t *flags = json_array();
    for (int i = 0; i < XCU_FLAG__COUNT; i++)
        if (b.flags & (1u << i))
            json_array_append_new(flags, json_string(xcu_flag_name((enum xcu_flag)(1u << i))));
    reply_ok(r, 200, json_pack("{s:o,s:o,s:o}", "xcu", jx_fixed(b.xcu_c, 2), "accepted_tflops",
                               jx_fixed(b.accepted_tflops_c, 2), "flags", flags));
}

void h_agent_verify(struct req *r)
{
    const char *host_id;
    json_t *report = NULL;
    body_str(r, "host_id", &host_id);
    body_json(r, "report", &report);
    if (auth_host(r, host_id) < 0)
        return;
    if (!fits(report, REPORT_MAX)) {
        reply_invalid(r, "body", "report", "too_long", "at most 16 KiB");
        return;
    }
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct host_verif v;
    struct svc_err e = {0};
    int rc = verif_report(host_id, report, actor, app_now(), &v, &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "verification failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:o,s:o,s:s,s:o}", "host_id", host_id, "state", v.state, "score",
                               jx_fixed(v.score_e2, 2), "checks", view_checks(v.checks), "gpu_fingerprint",
                               v.fingerprint, "cooldown_until", jx_ts(v.cooldown_until)));
    host_verif_free(&v);
}

void h_compute_scores(struct req *r)
{
    struct benchmark_row *b = NULL;
    size_t n = 0;
    int rc = tstore_bench_list(g_app->store, &b, &n);
    if (rc < 0) {
        reply_status(r, rc, "compute scores");
        return;
    }
    json_t *scores = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(scores, b[i].host_id,
                            json_pack("{s:o,s:s,s:o,s:o}", "score", jx_fixed(b[i].score_c, 2), "gpu_model",
                                      b[i].gpu_model, "tflops", jx_fixed(b[i].tflops_c, 2), "run_at",
                                      jx_ts(b[i].run_at)));
    free(b);
    reply_ok(r, 200, json_pack("{s:o}", "scores", scores));
}

void h_compute_score(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    struct host h;
    int rc = store_host_get(g_app->store, id, &h);
    if (rc == 0 && !h.has_score)
        rc = XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND)
        reply_error(r, 404, "No compute score for host %s", id);
    else if (rc < 0)
        reply_status(r, rc, "compute score");
    else
        reply_ok(r, 200, json_pack("{s:s,s:o}", "host_id", id, "score", jx_fixed(h.compute_score, 2)));
    if (rc == 0)
        host_free(&h);
}

void h_verify_force(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct host_verif v;
    struct svc_err e = {0};
    int rc = verif_force(id, actor, app_now(), &v, &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "re-verification failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:o}", "host_id", id, "verification", view_verif(&v)));
    host_verif_free(&v);
}

void h_verify_status(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    struct host_verif v;
    int rc = tstore_verif_get(g_app->store, id, &v);
    if (rc == XC_ENOTFOUND) {
        struct host h;
        if ((rc = store_host_get(g_app->store, id, &h)) == XC_ENOTFOUND) {
            reply_error(r, 404, "Host %s not found", id);
            return;
        }
        if (rc == 0) {
            host_free(&h);
            reply_ok(r, 200, json_pack("{s:s,s:s}", "host_id", id, "status", "unverified"));
            return;
        }
    }
    if (rc < 0) {
        reply_status(r, rc, "verification status");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:o}", "host_id", id, "status", v.state, "verification", view_verif(&v)));
    host_verif_free(&v);
}

void h_verify_approve(struct req *r)
{
    const char *id, *notes = "";
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    if (!body_str(r, "notes", &notes))
        query_str(r, "notes", &notes);
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct svc_err e = {0};
    int rc = verif_approve(id, notes, actor, app_now(), &e);
    if (rc < 0)
        reply_svc_error(r, rc, &e, "approval failed");
    else
        reply_ok(r, 200, json_pack("{s:s,s:s,s:s}", "host_id", id, "status", "verified", "approved_by", "admin"));
}

void h_verify_reject(struct req *r)
{
    const char *id, *reason = "Admin rejection";
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    if (!body_str(r, "reason", &reason))
        query_str(r, "reason", &reason);
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct svc_err e = {0};
    int rc = verif_reject(id, reason, actor, app_now(), &e);
    if (rc < 0)
        reply_svc_error(r, rc, &e, "rejection failed");
    else
        reply_ok(r, 200, json_pack("{s:s,s:s,s:s}", "host_id", id, "status", "deverified", "reason", reason));
}

void h_verified_hosts(struct req *r)
{
    const char *state = NULL;
    query_str(r, "state", &state);
    struct host_verif *v = NULL;
    size_t n = 0;
    int rc = tstore_verif_list(g_app->store, state, &v, &n);
    if (rc < 0) {
        reply_status(r, rc, "verified hosts");
        return;
    }
    json_t *hosts = json_array();
    for (size_t i = 0; i < n; i++) {
        struct host h;
        bool have = store_host_get(g_app->store, v[i].host_id, &h) == 0;
        json_array_append_new(
            hosts, json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,s:s,s:s,s:s}", "host_id", v[i].host_id, "status", v[i].state,
                             "overall_score", jx_fixed(v[i].score_e2, 2), "last_check", jx_ts(v[i].last_check_at),
                             "gpu_fingerprint", v[i].fingerprint, "deverify_reason", jx_str_lossy(v[i].deverify_reason),
                             "gpu_model", have ? h.gpu_model : "\xe2\x80\x94", "country", have ? h.country : "",
                             "province", have ? h.province : ""));
        if (have)
            host_free(&h);
        host_verif_free(&v[i]);
    }
    free(v);
    reply_ok(r, 200, json_pack("{s:I,s:o}", "count", (json_int_t)n, "hosts", hosts));
}
