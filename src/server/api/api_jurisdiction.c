/* Jurisdiction and trust-tier routes (api §7.3 trust-tiers, §8.4): admin-attested records, the
 * classified tier and a job's residency trace. Thin: declared input -> svc/jurisdiction -> views. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/fixed.h"
#include "common/jsonx.h"
#include "core/compliance.h"
#include "core/trust.h"
#include "server/api/handlers_trust.h"
#include "server/api/jobs_common.h"
#include "server/api/svc_reply.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/jurisdiction.h"
#include "store/store.h"

void h_trust_tiers(struct req *r)
{
    json_t *tiers = json_object();
    for (int t = 0; t < JOB_TRUST__COUNT; t++) {
        comp_tier_req q;
        comp_tier_requirements((enum jobstate_trust)t, &q);
        json_object_set_new(
            tiers, q.name,
            json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:o,s:s}", "label", q.label, "description", q.description,
                      "requires_canada", q.requires_canada, "requires_verified", q.requires_verified,
                      "requires_sovereignty_vetting", q.requires_sovereignty_vetting, "requires_audit_trail",
                      q.requires_audit_trail, "pricing_multiplier", jx_fixed(q.pricing_multiplier_ppm, 6),
                      "isolation", q.isolation));
    }
    reply_ok(r, 200, json_pack("{s:o}", "tiers", tiers));
}

static json_t *view_juris(const struct juris_row *j)
{
    json_t *o = json_object();
    json_object_set_new(o, "host_id", json_string(j->host_id));
    json_object_set_new(o, "country", jx_str_lossy(j->country));
    json_object_set_new(o, "province", jx_str_lossy(j->province));
    json_object_set_new(o, "city", jx_str_lossy(j->city));
    json_object_set_new(o, "data_center_name", jx_str_lossy(j->data_center_name));
    json_object_set_new(o, "data_center_class", jx_str_lossy(j->data_center_class));
    json_object_set_new(o, "operator_name", jx_str_lossy(j->operator_name));
    json_object_set_new(o, "operator_incorporated_in", jx_str_lossy(j->operator_incorporated_in));
    json_object_set_new(o, "operator_registered_canada", json_boolean(j->operator_registered_canada));
    json_object_set_new(o, "foreign_control", json_boolean(j->foreign_control));
    json_object_set_new(o, "sovereignty_vetted", json_boolean(j->sovereignty_vetted));
    json_object_set_new(o, "sovereignty_vetted_at", jx_ts(j->sovereignty_vetted_at));
    json_object_set_new(o, "supports_audit_trail", json_boolean(j->supports_audit_trail));
    json_object_set_new(o, "supports_data_residency", json_boolean(j->supports_data_residency));
    json_object_set_new(o, "updated_by", jx_str_lossy(j->updated_by));
    json_object_set_new(o, "updated_at", jx_ts(j->updated_at));
    return o;
}

static void reply_juris(struct req *r, const struct juris_row *j, enum jobstate_trust t)
{
    reply_ok(r, 200, json_pack("{s:o,s:s}", "jurisdiction", view_juris(j), "trust_tier", jobstate_trust_name(t)));
}

void h_juris_get(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    struct juris_row j;
    bool exists;
    enum jobstate_trust t;
    struct svc_err e = {0};
    int rc = juris_get(id, &j, &exists, &t, &e);
    if (rc < 0)
        reply_svc_error(r, rc, &e, "jurisdiction read failed");
    else
        reply_juris(r, &j, t);
}

void h_juris_put(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    const char *country = NULL;
    if (body_str(r, "country", &country) && country[0] && strlen(country) != 2) {
        reply_invalid(r, "body", "country", "pattern", "must be 2 letters");
        return;
    }
    static const char *const strs[] = {"country", "province", "city", "data_center_name", "data_center_class",
                                       "operator_name", "operator_incorporated_in", NULL};
    static const char *const bools[] = {"operator_registered_canada", "foreign_control", "sovereignty_vetted",
                                        "supports_audit_trail", "supports_data_residency", NULL};
    json_t *fields = json_object();
    for (int i = 0; strs[i]; i++) {
        const char *v;
        if (body_str(r, strs[i], &v))
            json_object_set_new(fields, strs[i], json_string(v));
    }
    for (int i = 0; bools[i]; i++) {
        bool v;
        if (body_bool(r, bools[i], &v))
            json_object_set_new(fields, bools[i], json_boolean(v));
    }
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct juris_row j;
    enum jobstate_trust t;
    struct svc_err e = {0};
    int rc = juris_put(id, fields, actor, app_now(), &j, &t, &e);
    json_decref(fields);
    if (rc < 0)
        reply_svc_error(r, rc, &e, "jurisdiction write failed");
    else
        reply_juris(r, &j, t);
}

static json_t *str_or_unknown(const char *s) { return jx_str_lossy(s && *s ? s : "unknown"); }

void h_residency_trace(struct req *r)
{
    struct job job;
    if (jobs_load_visible(r, 0, &job) < 0)
        return;
    struct host h;
    struct juris_row rec;
    struct trust_record tr;
    struct trust_host th;
    bool have_host = job.host_id[0] && store_host_get(g_app->store, job.host_id, &h) == 0;
    bool have_rec = have_host && tstore_juris_get(g_app->store, job.host_id, &rec) == 0;
    if (have_host)
        juris_trust_host(&h, have_rec ? &rec : NULL, &tr, &th);
    struct trust_trace t = trust_residency_trace(have_host ? &th : NULL, job.started_at ? job.started_at : VERIFY_NO_TIME,
                                                 job.completed_at ? job.completed_at : VERIFY_NO_TIME);
    json_t *o = json_object();
    json_object_set_new(o, "job_id", json_string(job.job_id));
    json_object_set_new(o, "host_id", job.host_id[0] ? json_string(job.host_id) : json_null());
    json_object_set_new(o, "country", str_or_unknown(t.country));
    json_object_set_new(o, "province", str_or_unknown(t.province));
    json_object_set_new(o, "city", str_or_unknown(t.city));
    json_object_set_new(o, "data_center", str_or_unknown(t.data_center));
    json_object_set_new(o, "data_center_class", str_or_unknown(t.data_center_class));
    json_object_set_new(o, "operator", str_or_unknown(t.operator_name));
    json_object_set_new(o, "operator_incorporated_in", str_or_unknown(t.operator_incorporated_in));
    json_object_set_new(o, "operator_canadian_registered", json_boolean(t.operator_canadian_registered));
    json_object_set_new(o, "sovereignty_vetted", json_boolean(t.sovereignty_vetted));
    json_object_set_new(o, "started_at", t.started_at_us == VERIFY_NO_TIME ? json_null() : jx_ts(t.started_at_us));
    json_object_set_new(o, "completed_at", t.completed_at_us == VERIFY_NO_TIME ? json_null() : jx_ts(t.completed_at_us));
    json_object_set_new(o, "duration_sec", t.has_duration ? jx_fixed(t.duration_ms, 3) : json_null());
    json_object_set_new(o, "is_canadian_compute", json_boolean(t.is_canadian_compute));
    json_object_set_new(o, "trace_generated_at", jx_ts(app_now()));
    if (have_host)
        host_free(&h);
    reply_ok(r, 200, json_pack("{s:s,s:o}", "job_id", job.job_id, "trace", o));
    job_free(&job);
}
