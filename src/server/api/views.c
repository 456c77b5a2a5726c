/* The JSON shapes of the API's resources (hosts, jobs, admission details), built from model rows. */
#include "server/api/views.h"

#include <ctype.h>
#include <string.h>

#include "common/jsonx.h"
#include "core/states.h"
#include "core/jobstate.h"
#include "server/svc/billing_hooks.h"
#include "server/svc/billing_svc.h"

json_t *view_stop_requested(const struct job *j)
{
    return j->has_stop_request ? json_string(jobstate_stop_name(j->stop_requested)) : json_null();
}

json_t *view_admission_details(const char *stored)
{
    json_t *d = jx_parse_or(stored, json_null());
    json_t *us = json_object_get(d, "checked_at_us");
    if (us) {
        json_object_set_new(d, "checked_at", jx_ts(json_integer_value(us)));
        json_object_del(d, "checked_at_us");
    }
    return d;
}

json_t *view_host(const struct host *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "host_id", json_string(h->host_id));
    json_object_set_new(o, "owner", json_string(h->owner));
    json_object_set_new(o, "ip", json_string(h->ip));
    json_object_set_new(o, "gpu_model", json_string(h->gpu_model));
    json_object_set_new(o, "gpu_count", json_integer(h->gpu_count));
    json_object_set_new(o, "total_vram_gb", jx_vram(h->total_mgb));
    json_object_set_new(o, "free_vram_gb", jx_vram(host_free_mgb(h)));
    json_object_set_new(o, "reported_free_vram_gb", jx_vram(h->reported_free_mgb));
    json_object_set_new(o, "reserved_vram_gb", jx_vram(h->reserved_mgb));
    json_object_set_new(o, "cost_per_hour", jx_money(h->cost_per_hour));
    int64_t rate;
    bool listed;
    billing_effective_rate(h, &rate, &listed);
    json_object_set_new(o, "effective_rate_per_hour", jx_money(rate));
    json_object_set_new(o, "country", json_string(h->country));
    json_object_set_new(o, "province", json_string(h->province));
    json_object_set_new(o, "status", json_string(hoststate_name(h->status)));
    json_object_set_new(o, "admitted", json_boolean(h->admitted));
    json_object_set_new(o, "admission_details", view_admission_details(h->admission_details));
    json_object_set_new(o, "recommended_runtime", json_string(h->recommended_runtime));
    json_object_set_new(o, "versions", jx_parse_or(h->versions, json_object()));
    json_object_set_new(o, "registered_at", jx_ts(h->registered_at));
    json_object_set_new(o, "last_seen", jx_ts(h->last_seen));
    json_object_set_new(o, "latency_ms", h->has_latency ? json_integer(h->latency_ms) : json_null());
    json_object_set_new(o, "autoscaled", json_boolean(h->autoscaled));
    json_object_set_new(o, "compute_score", h->has_score ? jx_fixed(h->compute_score, 2) : json_null());
    json_object_set_new(o, "verification_state", json_string(h->verification_state));
    json_object_set_new(o, "trust_tier", json_string(h->trust_tier));
    json_object_set_new(o, "sla_tier", json_string(h->sla_tier));
    json_object_set_new(o, "listed", json_boolean(listed));
    json_object_set_new(o, "reverify_due", json_boolean(h->reverify_due));
    json_object_set_new(o, "simulated", json_boolean(h->simulated));
    json_object_set_new(o, "corporation_name", json_string(h->corporation_name));
    json_object_set_new(o, "business_number", json_string(h->business_number));
    json_object_set_new(o, "gst_hst_number", json_string(h->gst_hst_number));
    json_object_set_new(o, "legal_name", json_string(h->legal_name));
    return o;
}

bool view_env_name_is_secret(const char *name)
{
    char up[160];
    size_t i = 0;
    for (; i < sizeof up - 1 && name[i]; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    up[i] = '\0';
    static const char *const parts[] = {"SECRET", "PASSWORD", "TOKEN", "KEY", "CREDENTIAL", "DSN", "DATABASE_URL"};
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
        if (strstr(up, parts[k]))
            return true;
    return false;
}

static json_t *env_view(const char *text, bool for_agent)
{
    json_t *env = jx_parse_or(text, json_object());
    if (for_agent)
        return env;
    const char *k;
    json_t *v;
    json_object_foreach(env, k, v)
    {
        if (view_env_name_is_secret(k))
            json_object_set_new(env, k, json_string("[REDACTED]"));
    }
    return env;
}

json_t *view_job(const struct job *j, bool for_agent)
{
    enum jobstate_tier t = JOB_TIER_FREE;
    jobstate_tier_parse(j->tier, &t);
    json_t *o = json_object();
    json_object_set_new(o, "job_id", json_string(j->job_id));
    json_object_set_new(o, "name", json_string(j->name));
    json_object_set_new(o, "owner", json_string(j->owner));
    json_object_set_new(o, "vram_needed_gb", jx_vram(j->vram_mgb));
    json_object_set_new(o, "num_gpus", json_integer(j->num_gpus));
    json_object_set_new(o, "priority", json_integer(j->priority));
    json_object_set_new(o, "tier", json_string(j->tier));
    json_object_set_new(o, "tier_multiplier", jx_fixed(jobstate_tier_multiplier_ppm(t), 6));
    json_object_set_new(o, "trust_tier", json_string(j->trust_tier));
    json_object_set_new(o, "spot", json_boolean(j->spot));
    json_object_set_new(o, "max_bid", j->has_max_bid ? jx_money(j->max_bid) : json_null());
    json_object_set_new(o, "preemptible", json_boolean(j->spot));
    json_object_set_new(o, "image", json_string(j->image));
    json_object_set_new(o, "command", jx_parse_or(j->command, json_array()));
    json_object_set_new(o, "environment", env_view(j->environment, for_agent));
    json_object_set_new(o, "nfs_server", json_string(j->nfs_server));
    json_object_set_new(o, "nfs_path", json_string(j->nfs_path));
    json_object_set_new(o, "nfs_mount_point", json_string(j->nfs_mount_point));
    json_object_set_new(o, "max_duration_hours",
                        j->has_max_duration ? jx_fixed(j->max_duration_ms / 36, 5) : json_null());
    json_object_set_new(o, "status", json_string(jobstate_name(j->status)));
    json_object_set_new(o, "host_id", jx_str_or_null(j->host_id));
    json_object_set_new(o, "lease_id", jx_str_or_null(j->lease_id));
    json_object_set_new(o, "rate_per_hour", j->has_rate ? jx_money(j->rate_per_hour) : json_null());
    json_object_set_new(o, "vram_reserved_gb", jx_vram(j->vram_reserved_mgb));
    json_object_set_new(o, "submitted_at", jx_ts(j->submitted_at));
    json_object_set_new(o, "assigned_at", jx_ts(j->assigned_at));
    json_object_set_new(o, "started_at", jx_ts(j->started_at));
    json_object_set_new(o, "completed_at", jx_ts(j->completed_at));
    json_object_set_new(o, "retries", json_integer(j->retries));
    json_object_set_new(o, "max_retries", json_integer(j->max_retries));
    json_object_set_new(o, "attempt", json_integer(j->attempt));
    json_object_set_new(o, "exit_code", j->has_exit_code ? json_integer(j->exit_code) : json_null());
    json_object_set_new(o, "failure_reason", json_string(j->failure_reason));
    json_object_set_new(o, "failure_class", json_string(j->failure_class));
    json_object_set_new(o, "stop_requested", view_stop_requested(j));
    json_object_set_new(o, "preempted_at", jx_ts(j->preempted_at));
    json_object_set_new(o, "hold_reason", json_string(j->hold_reason));
    json_object_set_new(o, "pending_reason", json_string(j->pending_reason));
    return o;
}

json_t *view_event(const struct event_row *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer(e->seq));
    json_object_set_new(o, "event_id", json_string(e->event_id));
    json_object_set_new(o, "event_type", json_string(e->event_type));
    json_object_set_new(o, "entity_type", json_string(e->entity_type));
    json_object_set_new(o, "entity_id", json_string(e->entity_id));
    json_object_set_new(o, "timestamp", jx_ts(e->ts_us));
    json_object_set_new(o, "ts_us", json_integer(e->ts_us));
    json_object_set_new(o, "actor", json_string(e->actor));
    json_object_set_new(o, "data", jx_parse_or(e->data, json_object()));
    json_object_set_new(o, "metadata", jx_parse_or(e->metadata, json_object()));
    json_object_set_new(o, "prev_hash", json_string(e->prev_hash));
    json_object_set_new(o, "event_hash", json_string(e->event_hash));
    return o;
}

json_t *view_lease(const struct lease *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "lease_id", json_string(l->lease_id));
    json_object_set_new(o, "job_id", json_string(l->job_id));
    json_object_set_new(o, "host_id", json_string(l->host_id));
    json_object_set_new(o, "granted_at", jx_ts(l->granted_at));
    json_object_set_new(o, "expires_at", jx_ts(l->expires_at));
    json_object_set_new(o, "last_renewed", jx_ts(l->last_renewed));
    json_object_set_new(o, "duration_sec", json_integer(l->duration_sec));
    json_object_set_new(o, "status", json_string(leasestate_name(l->status)));
    return o;
}

json_t *view_pool_entry(const struct pool_entry *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "host_id", json_string(p->host_id));
    json_object_set_new(o, "ip", json_string(p->ip));
    json_object_set_new(o, "gpu_model", json_string(p->gpu_model));
    json_object_set_new(o, "vram_gb", jx_vram(p->vram_mgb));
    json_object_set_new(o, "gpu_count", json_integer(p->gpu_count));
    json_object_set_new(o, "cost_per_hour", jx_money(p->cost_per_hour));
    json_object_set_new(o, "country", json_string(p->country));
    json_object_set_new(o, "province", json_string(p->province));
    json_object_set_new(o, "provisioned", json_boolean(p->provisioned));
    json_object_set_new(o, "provisioned_at", jx_ts(p->provisioned_at));
    return o;
}
