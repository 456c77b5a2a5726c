/* Compliance, reservation and analytics operations with store access (api §8.5). */
#include "server/svc/compliance_svc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "core/money.h"
#include "server/app.h"
#include "server/svc/tx.h"
#include "store/accounts_store.h"

int csvc_gst_platform(int64_t now, tax_threshold *out)
{
    int64_t bounds[TAX_THRESHOLD_QUARTERS + 1], sums[TAX_THRESHOLD_QUARTERS];
    tax_threshold_window(now, bounds);
    int rc = cstore_owned_revenue(g_app->store, bounds, sums);
    if (rc < 0)
        return rc;
    return tax_threshold_assess(sums, TAX_THRESHOLD_PLATFORM, out) == MONEY_OK ? 0 : XC_EINVAL;
}

int csvc_reserve(const char *customer_id, pricing_plan plan, const pricing_ref *ref, int64_t quantity,
                 const char *province, int64_t now, const char *actor, struct reservation *out)
{
    const pricing_plan_info *info = pricing_plan_info_of(plan);
    tax_rates tax;
    pricing_reserve_quote quote;
    if (!info || !ref || quantity < 1 || quantity > 1000 || tax_lookup(province, now, &tax) != MONEY_OK ||
        pricing_reserve(ref->base_rate, plan, quantity, tax.rate_ppm, &quote) != MONEY_OK)
        return XC_EINVAL;
    memset(out, 0, sizeof *out);
    snprintf(out->customer_id, sizeof out->customer_id, "%s", customer_id);
    snprintf(out->commitment_type, sizeof out->commitment_type, "%s", info->key);
    snprintf(out->gpu_model, sizeof out->gpu_model, "%s", ref->model);
    snprintf(out->province, sizeof out->province, "%s", tax.code);
    out->quantity = quantity;
    out->base_rate = ref->base_rate;
    out->discounted_rate = quote.discounted_rate_ucad;
    out->discount_pct = info->discount_pct;
    out->min_hours_per_day = info->min_hours_per_day;
    out->tax_rate_ppm = tax.rate_ppm;
    out->monthly_cents = quote.monthly_cents;
    out->monthly_with_tax_cents = quote.monthly_with_tax_cents;
    out->created_at = now;
    int rc;
    do { /* a 128-bit id collision is astronomically unlikely; draw again if it happens */
        ids_hex128(out->commitment_id);
        rc = cstore_reservation_insert(g_app->store, out);
    } while (rc == XC_ECONFLICT);
    if (rc < 0)
        return rc;
    rc = tx_event("billing.reservation_created", "customer", customer_id, actor,
                  json_pack("{s:s,s:s,s:s,s:I}", "commitment_id", out->commitment_id, "commitment_type",
                            out->commitment_type, "gpu_model", out->gpu_model, "quantity", (json_int_t)quantity));
    if (rc < 0)
        return rc;
    tx_sse("reservation_created", json_pack("{s:s,s:s,s:s}", "commitment_id", out->commitment_id, "customer_id",
                                            customer_id, "type", out->commitment_type));
    return 0;
}

int csvc_provider_user(const char *provider_id, char *user_id, size_t n)
{
    struct acct_user u;
    int rc = astore_user_by_provider(g_app->store, provider_id, &u);
    if (rc < 0)
        return rc;
    if (u.deleted_at)
        return XC_ENOTFOUND;
    snprintf(user_id, n, "%s", u.user_id);
    return 0;
}

static json_t *row_view(const char *period, const struct usage_row *u)
{
    return json_pack("{s:s,s:I,s:o,s:o,s:I,s:I}", "period", period, "job_count", (json_int_t)u->jobs,
                     "total_cost_cad", jx_money(u->cost), "total_gpu_hours", jx_fixed(u->gpu_hours_e6, 6),
                     "canadian_jobs", (json_int_t)u->canadian, "international_jobs", (json_int_t)u->international);
}

int csvc_usage(const struct usage_filter *f, usage_group g, json_t **analytics, int64_t *jobs, int64_t *cost,
               int64_t *gpu_hours_e6)
{
    enum cstore_usage_key key = g == USAGE_BY_GPU_MODEL ? CSTORE_BY_GPU_MODEL
                                : g == USAGE_BY_PROVINCE ? CSTORE_BY_PROVINCE
                                                         : CSTORE_BY_DAY;
    struct usage_row *rows = NULL;
    size_t n = 0;
    int rc = cstore_usage(g_app->store, f, key, &rows, &n);
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    *jobs = *cost = *gpu_hours_e6 = 0;
    /* Days arrive in order, so the days of one ISO week are adjacent: fold each run of equal
     * periods into one row. */
    struct usage_row acc;
    char period[16] = "", next[16];
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        const struct usage_row *u = &rows[i];
        *jobs += u->jobs;
        *cost += u->cost;
        *gpu_hours_e6 += u->gpu_hours_e6;
        if (key != CSTORE_BY_DAY) {
            json_array_append_new(arr, row_view(usage_period_of_value(u->key), u));
            continue;
        }
        usage_period_of_day(g, u->day, next, sizeof next);
        if (open && strcmp(next, period) == 0) {
            acc.jobs += u->jobs;
            acc.cost += u->cost;
            acc.gpu_hours_e6 += u->gpu_hours_e6;
            acc.canadian += u->canadian;
            acc.international += u->international;
            continue;
        }
        if (open)
            json_array_append_new(arr, row_view(period, &acc));
        acc = *u;
        memcpy(period, next, sizeof period);
        open = true;
    }
    if (open)
        json_array_append_new(arr, row_view(period, &acc));
    free(rows);
    *analytics = arr;
    return 0;
}
