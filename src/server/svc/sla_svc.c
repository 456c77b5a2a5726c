/* The SLA with store access (domain §26): downtime from the sweep, telemetry violations, uptime,
 * monthly enforcement and its wallet credits. The rules themselves are core/sla's. */
#include "server/svc/sla_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/fixed.h"
#include "common/jsonx.h"
#include "common/units.h"
#include "server/app.h"
#include "server/svc/billing_svc.h"
#include "server/svc/reputation.h"
#include "server/svc/tx.h"

#define DAY_US (INT64_C(86400) * SEC)
#define VIOLATION_DEDUP_US (300 * SEC)  /* one row per (host, type) per 300 s */
#define VIOLATION_KEEP_US (30 * DAY_US) /* kept 30 days */
#define E4 INT64_C(10000)

enum sla_tier slasvc_host_tier(const struct host *h)
{
    enum sla_tier t;
    return sla_tier_parse(h->sla_tier, &t) == 0 ? t : SLA_COMMUNITY;
}

int64_t slasvc_heartbeat_timeout_us(const struct host *h)
{
    return sla_heartbeat_timeout_us(slasvc_host_tier(h), g_app->cfg.host_dead_after_sec * SEC);
}

/* ---- downtime ---- */

int slasvc_host_dead(const struct host *h)
{
    bool opened = false;
    int rc = slastore_downtime_open(g_app->store, h->host_id, h->last_seen, "heartbeat_miss", &opened);
    if (rc < 0 || !opened)
        return rc;
    return tx_event("sla.downtime_opened", "host", h->host_id, "scheduler",
                    json_pack("{s:I,s:s}", "start_us", (json_int_t)h->last_seen, "reason", "heartbeat_miss"));
}

int slasvc_host_back(const char *host_id, int64_t now, const char *actor)
{
    bool closed = false;
    int rc = slastore_downtime_close(g_app->store, host_id, now, &closed);
    if (rc < 0 || !closed)
        return rc;
    return tx_event("sla.downtime_closed", "host", host_id, actor, json_pack("{s:I}", "end_us", (json_int_t)now));
}

/* ---- telemetry ---- */

#define METRIC_LIMIT INT64_C(1000000000000) /* clamp before scaling: no overflow downstream */

/* A metric as an integer scaled by 10^scale; 0 when absent or not a number. */
static int64_t metric(const json_t *metrics, const char *key, int scale)
{
    static const int64_t p10[] = {1, 10, 100, 1000, 10000};
    const json_t *v = json_object_get(metrics, key);
    int64_t x = 0;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        i = i > METRIC_LIMIT ? METRIC_LIMIT : i < -METRIC_LIMIT ? -METRIC_LIMIT : i;
        x = (int64_t)i * p10[scale];
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        d = d > (double)METRIC_LIMIT ? (double)METRIC_LIMIT : d < -(double)METRIC_LIMIT ? -(double)METRIC_LIMIT : d;
        if (fixed_from_double(d, scale, &x) < 0)
            x = 0;
    }
    return x;
}

/* The stored row of one finding: the measured value and threshold with 4 decimals. */
static void finding_row(const struct host *h, const struct sla_sample *s, const struct sla_finding *f, int64_t now,
                        struct sla_violation_row *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->host_id, sizeof v->host_id, "%s", h->host_id);
    snprintf(v->violation_type, sizeof v->violation_type, "%s", sla_violation_name(f->type));
    snprintf(v->severity, sizeof v->severity, "%s", sla_severity_name(f->severity));
    v->ts = now;
    char a[48], b[48];
    switch (f->type) {
    case SLA_VIOL_THERMAL:
        v->metric_e4 = s->temp_mc * 10;
        v->threshold_e4 = f->threshold * E4;
        snprintf(v->details, sizeof v->details, "GPU temperature %s C above the %s tier maximum of %s C",
                 fixed_fmt(s->temp_mc, 3, a, sizeof a), h->sla_tier, fixed_fmt(f->threshold, 0, b, sizeof b));
        break;
    case SLA_VIOL_THROUGHPUT:
        v->metric_e4 = s->utilization_e4;
        v->threshold_e4 = f->threshold;
        snprintf(v->details, sizeof v->details,
                 "GPU utilisation %s %% with %d active job(s), below half the %s tier floor of %s %%",
                 fixed_fmt(s->utilization_e4, 4, a, sizeof a), s->active_jobs, h->sla_tier,
                 fixed_fmt(f->threshold, 4, b, sizeof b));
        break;
    default:
        v->metric_e4 = s->memory_errors * E4;
        v->threshold_e4 = 0;
        snprintf(v->details, sizeof v->details, "%lld uncorrectable memory error(s)", (long long)s->memory_errors);
        break;
    }
}

int slasvc_telemetry(const struct host *h, const json_t *metrics, int64_t now, int *recorded)
{
    if (recorded)
        *recorded = 0;
    struct sla_sample s = {
        .temp_mc = metric(metrics, "temp", 3),
        .utilization_e4 = metric(metrics, "utilization", 4),
        .active_jobs = (int)(metric(metrics, "active_jobs", 0) > 100000 ? 100000 : metric(metrics, "active_jobs", 0)),
        .memory_errors = metric(metrics, "memory_errors", 0),
    };
    struct sla_finding found[3];
    size_t n = sla_check_sample(slasvc_host_tier(h), &s, found);
    if (n == 0)
        return 0; /* the usual sample: no transaction at all */
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct sla_violation_row v;
        finding_row(h, &s, &found[i], now, &v);
        int64_t last = 0;
        if ((rc = slastore_violation_last_ts(g_app->store, h->host_id, v.violation_type, &last)) < 0)
            break;
        if (last && now - last < VIOLATION_DEDUP_US)
            continue;
        if ((rc = slastore_violation_insert(g_app->store, &v)) < 0)
            break;
        if (recorded)
            (*recorded)++;
        tx_sse("sla_violation", slasvc_violation_view(&v));
    }
    if (rc == 0)
        rc = slastore_violation_prune(g_app->store, now - VIOLATION_KEEP_US);
    if (rc < 0) {
        tx_rollback();
        return rc;
    }
    return tx_commit();
}

/* ---- uptime ---- */

int slasvc_uptime(const char *host_id, int64_t a, int64_t b, int64_t now, struct sla_uptime *out)
{
    struct sla_downtime_filter f = {.host_id = host_id, .since = a};
    struct sla_downtime_row *rows = NULL;
    size_t n = 0;
    int rc = slastore_downtime_list(g_app->store, &f, &rows, &n);
    if (rc < 0)
        return rc;
    struct sla_downtime *d = n ? calloc(n, sizeof *d) : NULL;
    if (n && !d) {
        free(rows);
        return XC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = (struct sla_downtime){.start_us = rows[i].start_ts, .end_us = rows[i].end_ts,
                                     .open = rows[i].end_ts == 0};
    *out = sla_uptime(d, n, a, b, now);
    free(d);
    free(rows);
    return 0;
}

/* ---- enforcement ---- */

/* The idempotency reference of one credit (at most 100 characters: a long host id is replaced
 * by its FNV-1a hash). */
static void credit_reference(const char *month, const char *customer, const char *host, char *out, size_t n)
{
    if ((size_t)snprintf(out, n, "sla:%s:%s:%s", month, customer, host) < n && strlen(out) <= 100)
        return;
    uint64_t hsh = UINT64_C(1469598103934665603);
    for (const unsigned char *p = (const unsigned char *)host; *p; p++)
        hsh = (hsh ^ *p) * UINT64_C(1099511628211);
    snprintf(out, n, "sla:%s:%s:#%016llx", month, customer, (unsigned long long)hsh);
}

/* Credits every customer with spend on the host in the month (pct > 0). */
static int credit_customers(const struct sla_monthly_row *m, const struct sla_spend_row *spend, size_t n, int64_t now,
                            json_t *credited)
{
    for (size_t i = 0; i < n; i++) {
        int64_t credit = 0;
        if (!spend[i].owner[0] || sla_credit_ucad(spend[i].cost, m->credit_pct, &credit) < 0 || credit <= 0)
            continue;
        char ref[128], desc[200];
        credit_reference(m->month, spend[i].owner, m->host_id, ref, sizeof ref);
        snprintf(desc, sizeof desc, "SLA credit %s: host %s, %d%% of spend", m->month, m->host_id, m->credit_pct);
        struct wallet_tx tx;
        struct wallet w;
        bool dup = false;
        int rc = bsvc_deposit(spend[i].owner, credit, desc, ref, now, &tx, &w, &dup);
        if (rc < 0)
            return rc;
        json_array_append_new(credited, json_pack("{s:s,s:o,s:b}", "customer_id", spend[i].owner, "credit_cad",
                                                  jx_money(dup ? tx.amount : credit), "duplicate", dup));
    }
    return 0;
}

int slasvc_enforce(const struct slasvc_enforce_req *q, int64_t now, const char *actor, struct sla_monthly_row *out,
                   json_t **credited)
{
    *credited = NULL;
    enum sla_tier tier = q->tier;
    if (!q->has_tier) {
        struct host h;
        tier = SLA_COMMUNITY;
        if (store_host_get(g_app->store, q->host_id, &h) == 0) {
            tier = slasvc_host_tier(&h);
            host_free(&h);
        }
    }
    struct sla_spend_row *spend = NULL;
    size_t ns = 0;
    int rc = slastore_spend_by_owner(g_app->store, q->host_id, q->month.start_us, q->month.end_us, &spend, &ns);
    if (rc < 0)
        return rc;
    int64_t total = 0;
    for (size_t i = 0; i < ns; i++)
        total += spend[i].cost;
    struct sla_downtime_filter f = {.host_id = q->host_id, .since = q->month.start_us};
    struct sla_downtime_row *rows = NULL;
    size_t n = 0;
    struct sla_downtime *d = NULL;
    struct sla_monthly mon;
    if ((rc = slastore_downtime_list(g_app->store, &f, &rows, &n)) < 0)
        goto out;
    if (n && !(d = calloc(n, sizeof *d))) {
        rc = XC_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = (struct sla_downtime){.start_us = rows[i].start_ts, .end_us = rows[i].end_ts,
                                     .open = rows[i].end_ts == 0};
    if (sla_month_evaluate(tier, &q->month, d, n, now, q->has_spend ? q->spend_ucad : total, &mon) < 0) {
        rc = XC_EINVAL;
        goto out;
    }
    struct sla_monthly_row prev, *m = out;
    memset(m, 0, sizeof *m);
    snprintf(m->host_id, sizeof m->host_id, "%s", q->host_id);
    sla_month_fmt(&q->month, m->month, sizeof m->month);
    snprintf(m->tier, sizeof m->tier, "%s", sla_tier_name(mon.tier));
    m->uptime_pct_e4 = mon.uptime_pct_e4;
    m->downtime_us = mon.downtime_us;
    m->incidents = (int64_t)mon.incidents;
    m->target_pct_e4 = mon.target_pct_e4;
    m->credit_pct = mon.credit_pct;
    m->credit_ucad = mon.credit_ucad;
    m->spend_ucad = mon.spend_ucad;
    m->enforced_at = now;
    bool breach_now = false;
    if (m->credit_pct > 0) {
        rc = slastore_monthly_get(g_app->store, m->host_id, m->month, &prev);
        if (rc < 0 && rc != XC_ENOTFOUND)
            goto out;
        breach_now = rc == XC_ENOTFOUND || prev.breach_at == 0;
        m->breach_at = breach_now ? now : prev.breach_at;
    }
    if ((rc = slastore_monthly_upsert(g_app->store, m)) < 0)
        goto out;
    if (breach_now &&
        (rc = tx_event("host.sla_breach", "host", m->host_id, actor,
                       json_pack("{s:s,s:s,s:i,s:s}", "month", m->month, "tier", m->tier, "credit_pct", m->credit_pct,
                                 "penalty", "sla_breach"))) < 0)
        goto out;
    if (breach_now && (rc = reputation_on_sla_breach(m->host_id, m->month, now)) < 0) /* domain §19.3 */
        goto out;
    if ((rc = tx_event("sla.enforced", "host", m->host_id, actor,
                       json_pack("{s:s,s:s,s:I,s:i,s:I}", "month", m->month, "tier", m->tier, "uptime_pct_e4",
                                 (json_int_t)m->uptime_pct_e4, "credit_pct", m->credit_pct, "credit_ucad",
                                 (json_int_t)m->credit_ucad))) < 0)
        goto out;
    *credited = json_array();
    if (m->credit_pct > 0 && (rc = credit_customers(m, spend, ns, now, *credited)) < 0) {
        json_decref(*credited);
        *credited = NULL;
    }
out:
    free(d);
    free(rows);
    free(spend);
    return rc;
}

/* ---- views ---- */

json_t *slasvc_downtime_view(const struct sla_downtime_row *d)
{
    return json_pack("{s:I,s:s,s:o,s:o,s:s,s:b}", "id", (json_int_t)d->id, "host_id", d->host_id, "start_ts",
                     jx_ts(d->start_ts), "end_ts", jx_ts(d->end_ts), "reason", d->reason, "resolved",
                     d->end_ts != 0);
}

json_t *slasvc_violation_view(const struct sla_violation_row *v)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "id", (json_int_t)v->id, "host_id", v->host_id,
                     "violation_type", v->violation_type, "severity", v->severity, "metric_value",
                     jx_fixed(v->metric_e4, 4), "threshold", jx_fixed(v->threshold_e4, 4), "timestamp",
                     jx_ts(v->ts), "details", v->details);
}

json_t *slasvc_monthly_view(const struct sla_monthly_row *m)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:o,s:i,s:o,s:o}", "host_id", m->host_id, "month", m->month, "tier",
                     m->tier, "uptime_pct", jx_fixed(m->uptime_pct_e4, 4), "downtime_seconds",
                     jx_fixed(m->downtime_us, 6), "incidents", (json_int_t)m->incidents, "target_pct",
                     jx_fixed(m->target_pct_e4, 4), "credit_pct", m->credit_pct, "credit_cad",
                     jx_money(m->credit_ucad), "spend_cad", jx_money(m->spend_ucad));
}

json_t *slasvc_targets_view(enum sla_tier t)
{
    struct sla_targets g;
    if (sla_tier_targets(t, &g) < 0)
        return json_null();
    return json_pack("{s:s,s:o,s:i,s:o,s:i,s:i,s:i}", "tier", sla_tier_name(t), "availability_pct",
                     jx_fixed(g.availability_pct_e4, 4), "latency_ttft_ms", g.ttft_ms, "throughput_floor_pct",
                     jx_fixed(g.throughput_floor_pct_e4, 4), "response_time_hours", g.support_response_h,
                     "heartbeat_grace_sec", g.heartbeat_grace_s, "max_thermal_c", g.max_thermal_c);
}
