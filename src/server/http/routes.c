#include "server/http/routes.h"

#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "server/api/handlers.h"
#include "server/api/handlers_billing.h"

#define KB(n) ((size_t)(n) << 10)

/* THE route table: method, path, handler, auth mark, body limit, rate-limit exemption.
 * Static segments beat parameters wherever both match (api §1). */
const struct route routes_table[] = {
    {"GET", "/", h_root, AUTH_PUBLIC, 0, true},
    {"GET", "/healthz", h_healthz, AUTH_PUBLIC, 0, true},
    {"GET", "/readyz", h_readyz, AUTH_PUBLIC, 0, true},
    {"GET", "/metrics", h_metrics, AUTH_PUBLIC, 0, true},
    {"GET", "/dashboard", h_dashboard, AUTH_PUBLIC, 0, true},
    {"GET", "/api/stream", h_stream, AUTH_PUBLIC, 0, true},

    {"PUT", "/host", h_host_put, AUTH_SIGNED, KB(64), false},
    {"DELETE", "/host/{host_id}", h_host_delete, AUTH_HOST, 0, false},
    {"POST", "/host/{host_id}/agent-token", h_host_agent_token, AUTH_HOST, 0, false},
    {"GET", "/hosts", h_hosts_list, AUTH_SIGNED, 0, false},
    {"GET", "/hosts/ca", h_hosts_ca, AUTH_SIGNED, 0, false},
    {"POST", "/hosts/check", h_hosts_check, AUTH_ADMIN, 0, false},
    {"POST", "/agent/versions", h_agent_versions, AUTH_HOST, KB(64), false},

    {"POST", "/job", h_job_submit, AUTH_SIGNED, 0, false},
    {"GET", "/jobs", h_jobs_list, AUTH_SIGNED, 0, false},
    {"GET", "/job/{job_id}", h_job_get, AUTH_SIGNED, 0, false},
    {"PATCH", "/job/{job_id}", h_job_patch, AUTH_SIGNED, KB(64), false},
    {"PATCH", "/job/{job_id}/status", h_job_patch, AUTH_SIGNED, KB(64), false},
    {"POST", "/job/{job_id}/requeue", h_job_requeue, AUTH_SIGNED, 0, false},
    {"GET", "/jobs/{job_id}/logs", h_job_logs, AUTH_SIGNED, 0, false},
    {"GET", "/jobs/{job_id}/logs/stream", h_job_logs_stream, AUTH_SIGNED, 0, false},
    {"GET", "/tiers", h_tiers, AUTH_SIGNED, 0, false},

    {"POST", "/queue/process", h_queue_process, AUTH_ADMIN, 0, false},
    {"POST", "/queue/process/ca", h_queue_process_ca, AUTH_ADMIN, 0, false},
    {"POST", "/failover", h_failover, AUTH_ADMIN, KB(4), false},
    {"GET", "/canada", h_canada_get, AUTH_SIGNED, 0, false},
    {"PUT", "/canada", h_canada_put, AUTH_ADMIN, KB(4), false},

    {"POST", "/autoscale/pool", h_pool_put, AUTH_ADMIN, KB(16), false},
    {"GET", "/autoscale/pool", h_pool_list, AUTH_ADMIN, 0, false},
    {"DELETE", "/autoscale/pool/{host_id}", h_pool_delete, AUTH_ADMIN, 0, false},
    {"POST", "/autoscale/cycle", h_autoscale_cycle, AUTH_ADMIN, 0, false},
    {"POST", "/autoscale/up", h_autoscale_up, AUTH_ADMIN, 0, false},
    {"POST", "/autoscale/down", h_autoscale_down, AUTH_ADMIN, 0, false},

    {"GET", "/agent/work/{host_id}", h_agent_work, AUTH_HOST, 0, false},
    {"POST", "/agent/lease/claim", h_lease_claim, AUTH_HOST, KB(4), false},
    {"POST", "/agent/lease/renew", h_lease_renew, AUTH_HOST, KB(4), false},
    {"POST", "/agent/lease/release", h_lease_release, AUTH_HOST, KB(4), false},
    {"GET", "/agent/preempt/{host_id}", h_agent_preempt_list, AUTH_HOST, 0, false},
    {"POST", "/agent/preempt/{host_id}/{job_id}", h_agent_preempt_request, AUTH_ADMIN, KB(4), false},
    {"POST", "/agent/logs", h_agent_logs, AUTH_HOST, 0, false},
    {"POST", "/agent/telemetry", h_agent_telemetry, AUTH_HOST, KB(64), false},
    {"GET", "/agent/telemetry/{host_id}", h_agent_telemetry_get, AUTH_SIGNED, 0, false},
    {"GET", "/api/telemetry/all", h_telemetry_all, AUTH_SIGNED, 0, false},
    {"POST", "/agent/mining-alert", h_mining_alert, AUTH_HOST, KB(8), false},

    {"GET", "/api/audit/verify-chain", h_event_chain_verify, AUTH_ADMIN, 0, false},
    {"GET", "/api/audit/job/{job_id}", h_audit_job, AUTH_SIGNED, 0, false},
    {"POST", "/api/test/clock", h_test_clock, AUTH_ADMIN, KB(4), false},
    {"POST", "/api/test/sweep", h_test_sweep, AUTH_ADMIN, 0, false},
    /* Billing, marketplace and spot routes (api §7.2, §7.3, §8.3, §8.5, §8.6). Customer routes
     * (mark O) are admin-only until user accounts exist. */
    {"POST", "/billing/bill-all", h_bill_all, AUTH_ADMIN, 0, false},
    {"POST", "/billing/bill/{job_id}", h_bill_job, AUTH_ADMIN, 0, false},
    {"GET", "/billing", h_billing_list, AUTH_SIGNED, 0, false},
    {"GET", "/billing/revenue", h_billing_revenue, AUTH_ADMIN, 0, false},
    {"GET", "/api/billing/wallet/{customer_id}", h_wallet_get, AUTH_ADMIN, 0, false},
    {"POST", "/api/billing/wallet/{customer_id}/deposit", h_wallet_deposit, AUTH_ADMIN, KB(4), false},
    {"GET", "/api/billing/wallet/{customer_id}/history", h_wallet_history, AUTH_ADMIN, 0, false},
    {"GET", "/api/billing/customers/{customer_id}", h_customer_get, AUTH_ADMIN, 0, false},
    {"PUT", "/api/billing/customers/{customer_id}", h_customer_put, AUTH_ADMIN, KB(4), false},
    {"GET", "/api/billing/usage/{customer_id}", h_billing_usage, AUTH_ADMIN, 0, false},
    {"GET", "/api/billing/invoice/{customer_id}", h_invoice_preview, AUTH_ADMIN, 0, false},
    {"GET", "/api/billing/invoices/{customer_id}", h_invoice_list, AUTH_ADMIN, 0, false},
    {"GET", "/api/billing/invoices/{customer_id}/{invoice_id}", h_invoice_get, AUTH_ADMIN, 0, false},
    {"POST", "/api/billing/refund", h_billing_refund, AUTH_ADMIN, KB(4), false},
    {"GET", "/api/billing/export/caf/{customer_id}", h_caf_export, AUTH_ADMIN, 0, false},
    {"GET", "/api/billing/attestation", h_attestation, AUTH_SIGNED, 0, false},
    {"POST", "/api/billing/attestation/verify", h_attestation_verify, AUTH_SIGNED, KB(16), false},
    {"GET", "/api/pricing/reference", h_pricing_reference, AUTH_SIGNED, 0, false},
    {"POST", "/api/pricing/estimate", h_pricing_estimate, AUTH_SIGNED, KB(4), false},
    {"POST", "/marketplace/list", h_market_list, AUTH_ADMIN, KB(4), false},
    {"DELETE", "/marketplace/{host_id}", h_market_unlist, AUTH_ADMIN, 0, false},
    {"GET", "/marketplace", h_market_browse, AUTH_SIGNED, 0, false},
    {"GET", "/marketplace/search", h_market_search, AUTH_SIGNED, 0, false},
    {"GET", "/marketplace/stats", h_market_stats, AUTH_SIGNED, 0, false},
    {"POST", "/marketplace/bill/{job_id}", h_market_bill, AUTH_ADMIN, 0, false},
    {"GET", "/spot-prices", h_spot_prices, AUTH_SIGNED, 0, false},
    {"POST", "/spot-prices/update", h_spot_update, AUTH_ADMIN, 0, false},
    {"POST", "/spot/job", h_spot_job, AUTH_SIGNED, KB(64), false},
    {"POST", "/spot/preemption-cycle", h_spot_cycle, AUTH_ADMIN, 0, false},
};
const size_t routes_count = sizeof routes_table / sizeof routes_table[0];

/* Matches path against pattern. Returns -1 on mismatch, else a specificity score (static
 * segments weigh more the earlier they are); fills params when out != NULL. */
static int match(const char *pattern, const char *path, char **params, int *nparams)
{
    int score = 0, np = 0, depth = 0;
    const char *p = pattern, *u = path;
    while (*p == '/' && *u == '/') {
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        if (pl > 0 && p[0] == '{') {
            if (ul == 0 || np >= REQ_MAX_PARAMS)
                goto fail;
            if (params)
                params[np] = xstrndup(u, ul); /* already percent-decoded by the HTTP layer */
            np++;
        } else {
            if (pl != ul || memcmp(p, u, pl) != 0)
                goto fail;
            score += 1 << (10 - (depth < 10 ? depth : 10));
        }
        depth++;
        p += pl;
        u += ul;
    }
    if (*p || *u)
        goto fail;
    if (nparams)
        *nparams = np;
    return score;
fail:
    if (params)
        for (int i = 0; i < np; i++) {
            free(params[i]);
            params[i] = NULL;
        }
    return -1;
}

const struct route *routes_match(const char *method, const char *path, char **params, int *nparams,
                                 bool *path_known, char *allow, size_t allow_n)
{
    /* A single trailing slash is ignored (/hosts/ == /hosts). */
    char norm[1024];
    snprintf(norm, sizeof norm, "%s", path);
    size_t n = strlen(norm);
    if (n > 1 && norm[n - 1] == '/')
        norm[n - 1] = '\0';

    const struct route *best = NULL;
    int best_score = -1;
    *path_known = false;
    size_t ao = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *rt = &routes_table[i];
        int sc = match(rt->pattern, norm, NULL, NULL);
        if (sc < 0)
            continue;
        if (strcmp(rt->method, method) == 0) {
            if (sc > best_score) {
                best = rt;
                best_score = sc;
            }
        } else if (!strstr(allow, rt->method)) {
            ao += (size_t)snprintf(allow + ao, ao < allow_n ? allow_n - ao : 0, "%s%s", ao ? ", " : "", rt->method);
        }
        *path_known = true;
    }
    if (best)
        match(best->pattern, norm, params, nparams);
    return best;
}
