/* Jurisdiction filtering and the sovereign queue pass (api §8.4; domain §7.3, §20.3). Thin:
 * declared input -> svc/jurisdiction or svc/engine -> views. */
#include <stdlib.h>
#include <string.h>

#include "core/jobstate.h"
#include "core/trust.h"
#include "server/api/handlers_trust.h"
#include "server/api/views.h"
#include "server/http/validate.h"
#include "server/svc/engine.h"
#include "server/svc/jurisdiction.h"

#define EXCLUDE_MAX 300   /* countries in exclude_countries */
#define COUNTRY_TEXT_MAX 64

/* The declared tier (validated against the four names), community when absent or null. */
static enum jobstate_trust body_tier(struct req *r)
{
    const char *name = NULL;
    enum jobstate_trust t = JOB_TRUST_COMMUNITY;
    if (body_str(r, "trust_tier", &name))
        jobstate_trust_parse(name, &t);
    return t;
}

/* exclude_countries: an array of strings (a schema cannot say the items' type). Fills list (at
 * most EXCLUDE_MAX, borrowed from the body); -1 after replying 422. */
static int exclude_list(struct req *r, const char **list, size_t *n)
{
    json_t *a = NULL;
    *n = 0;
    if (!body_json(r, "exclude_countries", &a))
        return 0;
    if (json_array_size(a) > EXCLUDE_MAX) {
        reply_invalid(r, "body", "exclude_countries", "too_long", "must have at most %d items", EXCLUDE_MAX);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > COUNTRY_TEXT_MAX) {
            reply_invalid(r, "body", "exclude_countries", "type_error",
                          "items must be strings of at most %d characters", COUNTRY_TEXT_MAX);
            return -1;
        }
        list[(*n)++] = json_string_value(v);
    }
    return 0;
}

void h_juris_hosts(struct req *r)
{
    static const char *const no_sensitivity = "standard";
    const char *exclude[EXCLUDE_MAX];
    struct trust_constraint c = {.canada_only = true, .data_sensitivity = no_sensitivity};
    if (exclude_list(r, exclude, &c.nexclude) < 0)
        return;
    c.exclude_countries = exclude;
    body_bool(r, "canada_only", &c.canada_only);
    body_str(r, "province", &c.province);
    body_bool(r, "require_verified", &c.require_verified);
    body_bool(r, "require_sovereignty", &c.require_sovereignty);
    body_bool(r, "require_audit_trail", &c.require_audit_trail);
    body_str(r, "data_sensitivity", &c.data_sensitivity);
    c.min_tier = body_tier(r);
    json_t *rejected = r->who.is_admin ? json_array() : NULL;
    struct host *hosts = NULL;
    size_t n = 0;
    int rc = juris_filter_hosts(&c, &hosts, &n, rejected);
    if (rc < 0) {
        json_decref(rejected);
        reply_status(r, rc, "host filter failed");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, view_host(&hosts[i]));
        host_free(&hosts[i]);
    }
    free(hosts);
    json_t *o = json_pack("{s:I,s:o}", "count", (json_int_t)n, "hosts", list);
    if (rejected)
        json_object_set_new(o, "rejected", rejected);
    reply_ok(r, 200, o);
}

void h_queue_process_sovereign(struct req *r)
{
    struct engine_sov c = {.canada_only = true};
    body_bool(r, "canada_only", &c.canada_only);
    body_str(r, "province", &c.province);
    c.min_tier = body_tier(r);
    json_t *jobs = json_array();
    int rc = engine_sovereign_pass(&c, jobs);
    if (rc < 0) {
        json_decref(jobs);
        reply_status(r, rc, "sovereign pass failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:I,s:o}", "assigned", (json_int_t)json_array_size(jobs), "jobs", jobs));
}
