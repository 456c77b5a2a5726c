/* SLA routes (api §8.12; domain §26): enforcement, the hosts summary, targets, downtimes,
 * violations and one host's SLA. Thin: declared input → svc/sla_svc → JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/units.h"
#include "core/sla.h"
#include "core/states.h"
#include "server/api/handlers_sla.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/sla_svc.h"
#include "server/svc/tx.h"

#define DAY_US (INT64_C(86400) * SEC)
#define VIOLATIONS_MAX 100

/* A declared month field or query (its pattern already passed): the parsed month; the current
 * one when absent. */
static void month_of(const char *text, struct sla_month *m)
{
    if (!text || sla_month_parse(text, m) < 0)
        sla_month_of(app_now(), m);
}

static json_t *uptime_pct(const char *host_id, int64_t now, int *rc)
{
    struct sla_uptime u;
    *rc = slasvc_uptime(host_id, now - 30 * DAY_US, now, now, &u);
    return jx_fixed(*rc == 0 ? u.uptime_pct_e4 : 0, 4);
}

void h_sla_enforce(struct req *r)
{
    struct slasvc_enforce_req q = {0};
    const char *month = NULL, *tier = NULL;
    body_str(r, "host_id", &q.host_id);
    body_str(r, "month", &month);
    month_of(month, &q.month);
    if (body_str(r, "tier", &tier))
        q.has_tier = sla_tier_parse(tier, &q.tier) == 0; /* one of the declared enum */
    q.has_spend = body_int(r, "monthly_spend_cad", &q.spend_ucad);
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct sla_monthly_row m;
    json_t *credited = NULL;
    int rc = tx_begin();
    if (rc < 0) {
        reply_status(r, rc, "begin");
        return;
    }
    if ((rc = slasvc_enforce(&q, app_now(), actor, &m, &credited)) < 0) {
        tx_rollback();
        reply_status(r, rc, "SLA enforcement failed");
        return;
    }
    if ((rc = tx_commit()) < 0) {
        json_decref(credited);
        reply_status(r, rc, "commit");
        return;
    }
    json_t *out = slasvc_monthly_view(&m);
    json_object_set_new(out, "credits", credited);
    reply_ok(r, 200, out);
}

void h_sla_hosts_summary(struct req *r)
{
    struct host *hosts = NULL;
    size_t n = 0;
    int rc = store_host_list(g_app->store, false, &hosts, &n);
    if (rc < 0) {
        reply_status(r, rc, "host list failed");
        return;
    }
    int64_t now = app_now();
    json_t *arr = json_array();
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct host *h = &hosts[i];
        json_t *up = uptime_pct(h->host_id, now, &rc);
        int64_t count = 0;
        struct sla_violation_row *v = NULL;
        size_t nv = 0;
        if (rc == 0)
            rc = slastore_violation_count(g_app->store, h->host_id, now - 30 * DAY_US, &count);
        if (rc == 0)
            rc = slastore_violation_list(g_app->store, h->host_id, 0, 1, &v, &nv);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:o,s:I,s:o,s:s,s:s}", "host_id", h->host_id, "gpu_model", h->gpu_model,
                           "status", hoststate_name(h->status), "sla_tier", sla_tier_name(slasvc_host_tier(h)),
                           "uptime_30d_pct", up, "violation_count", (json_int_t)count, "last_violation",
                           nv ? slasvc_violation_view(&v[0]) : json_null(), "country", h->country, "province",
                           h->province));
        free(v);
    }
    for (size_t i = 0; i < n; i++)
        host_free(&hosts[i]);
    free(hosts);
    if (rc < 0) {
        json_decref(arr);
        reply_status(r, rc, "SLA summary failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o,s:I}", "hosts", arr, "count", (json_int_t)n));
}

void h_sla_targets(struct req *r)
{
    json_t *t = json_object();
    for (int i = 0; i < SLA__COUNT; i++)
        json_object_set_new(t, sla_tier_name((enum sla_tier)i), slasvc_targets_view((enum sla_tier)i));
    reply_ok(r, 200, json_pack("{s:o}", "targets", t));
}

void h_sla_downtimes(struct req *r)
{
    struct sla_downtime_filter f = {0};
    query_str(r, "host_id", &f.host_id);
    query_int(r, "since", &f.since);
    query_bool(r, "open_only", &f.open_only);
    struct sla_downtime_row *rows = NULL;
    size_t n = 0;
    int rc = slastore_downtime_list(g_app->store, &f, &rows, &n);
    if (rc < 0) {
        reply_status(r, rc, "downtime list failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, slasvc_downtime_view(&rows[i]));
    free(rows);
    reply_ok(r, 200, json_pack("{s:o,s:I}", "downtimes", arr, "count", (json_int_t)n));
}

void h_sla_violations(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    int64_t since = 0;
    query_int(r, "since", &since);
    struct sla_violation_row *rows = NULL;
    size_t n = 0;
    int rc = slastore_violation_list(g_app->store, id, since, VIOLATIONS_MAX, &rows, &n);
    if (rc < 0) {
        reply_status(r, rc, "violation list failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, slasvc_violation_view(&rows[i]));
    free(rows);
    reply_ok(r, 200, json_pack("{s:s,s:o,s:I}", "host_id", id, "violations", arr, "count", (json_int_t)n));
}

void h_sla_host(struct req *r)
{
    const char *id, *month = NULL;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    query_str(r, "month", &month);
    struct sla_month m;
    month_of(month, &m);
    char key[8];
    sla_month_fmt(&m, key, sizeof key);
    /* A host that is not registered (any more) reads as community: enforcement allows them. */
    enum sla_tier tier = SLA_COMMUNITY;
    struct host h;
    if (store_host_get(g_app->store, id, &h) == 0) {
        tier = slasvc_host_tier(&h);
        host_free(&h);
    }
    int rc;
    json_t *up = uptime_pct(id, app_now(), &rc);
    struct sla_monthly_row rec;
    json_t *record = NULL;
    if (rc == 0) {
        rc = slastore_monthly_get(g_app->store, id, key, &rec);
        if (rc == 0)
            record = slasvc_monthly_view(&rec);
        else if (rc == XC_ENOTFOUND)
            rc = 0;
    }
    if (rc < 0) {
        json_decref(up);
        reply_status(r, rc, "SLA read failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:o,s:o}", "host_id", id, "sla_tier", sla_tier_name(tier), "uptime_30d_pct",
                               up, "monthly_record", record ? record : json_null()));
}
