#ifndef XC_SLA_SVC_H
#define XC_SLA_SVC_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/sla.h"
#include "store/model.h"
#include "store/sla_store.h"

/* The SLA with store access (domain §26, api §8.12). The rules are core/sla's; this file decides
 * when they run: the host sweep opens a downtime, the next heartbeat closes it, telemetry samples
 * are checked, and a month's enforcement upserts its record and credits the customers who ran on
 * the host that month, exactly once per (host, month, customer). Functions that write must be
 * called inside a server transaction (tx_begin … tx_commit). All return 0 or a negative XC_E*. */

/* The host's tier (an unknown stored name reads as community). */
enum sla_tier slasvc_host_tier(const struct host *h);
/* The host's heartbeat timeout in µs: min(XCELSIOR_HOST_DEAD_AFTER_SEC, its tier's grace). */
int64_t slasvc_heartbeat_timeout_us(const struct host *h);

/* ---- downtime (§26.2) ---- */

/* The sweep declared h dead: opens its downtime from h->last_seen (reason heartbeat_miss) unless
 * one is open already. */
int slasvc_host_dead(const struct host *h);
/* The host was heard from again (a heartbeat at now) or was deleted: closes its open downtime at
 * now, if any (event sla.downtime_closed, actor as given). */
int slasvc_host_back(const char *host_id, int64_t now, const char *actor);

/* ---- telemetry (§26.4) ---- */

/* Checks one POST /agent/telemetry sample of host h against its tier and records each finding,
 * at most one per (host, type) per 300 s, with SSE sla_violation; prunes rows older than 30 days.
 * metrics: the request's metrics object (temp °C, utilization %, active_jobs, memory_errors;
 * absent or non-numeric values read as 0). *recorded (may be NULL): rows written. Runs its own
 * transaction, and only when the sample breaks a threshold (most samples write nothing). */
int slasvc_telemetry(const struct host *h, const json_t *metrics, int64_t now, int *recorded);

/* ---- uptime (§26.3) ---- */

/* Uptime of the host over [a, b) at now, from its stored downtimes. */
int slasvc_uptime(const char *host_id, int64_t a, int64_t b, int64_t now, struct sla_uptime *out);

/* ---- enforcement (§26.5) ---- */

struct slasvc_enforce_req {
    const char *host_id;
    struct sla_month month;
    bool has_tier;
    enum sla_tier tier;  /* else the host's tier, else community */
    bool has_spend;
    int64_t spend_ucad;  /* else Σ cost of billing records on the host completed in the month */
};

/* Evaluates and upserts the (host, month) record. When the credit band is above 0, every customer
 * with billing records on the host in the month gets RHU(their spend in cents × pct, 100) cents
 * into their wallet (a deposit with reference sla:<month>:<customer>:<host>, so a repeated or
 * concurrent enforcement credits nothing more), and the first such enforcement of the month
 * records the sla_breach penalty (event host.sla_breach). *credited (new reference): the
 * [{customer_id, credit_cad, duplicate}] of this call. */
int slasvc_enforce(const struct slasvc_enforce_req *q, int64_t now, const char *actor, struct sla_monthly_row *out,
                   json_t **credited);

/* ---- views (api §8.12) ---- */

json_t *slasvc_downtime_view(const struct sla_downtime_row *d);
json_t *slasvc_violation_view(const struct sla_violation_row *v);
/* SlaMonthly (api §6). */
json_t *slasvc_monthly_view(const struct sla_monthly_row *m);
/* A tier's targets as GET /api/sla/targets shows them. */
json_t *slasvc_targets_view(enum sla_tier t);

#endif
