/* Compliance routes (api §8.5; domain §20.1, §20.4, §21.5, §25.2, §25.13, §25.14): the tax table,
 * the provincial matrix, trust tier requirements, the Québec PIA check, the platform's GST/HST
 * threshold, reserved plans and commitments, and usage analytics. Thin: declared input → core
 * rules or compliance_svc → JSON. */
#include <stdio.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "core/compliance.h"
#include "core/money.h"
#include "core/pricing.h"
#include "core/tax.h"
#include "core/usage.h"
#include "server/api/handlers_compliance.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/compliance_svc.h"
#include "server/svc/tx.h"

/* A ppm ratio as a JSON number (0.14975). */
static json_t *jx_rate(int64_t ppm)
{
    return jx_fixed(ppm, 6);
}

static json_t *tax_view(const tax_rates *t)
{
    json_t *comps = json_array();
    for (size_t i = 0; i < t->ncomponents; i++)
        json_array_append_new(comps, json_pack("{s:s,s:o}", "name", t->components[i].name, "rate",
                                               jx_rate(t->components[i].rate_ppm)));
    return json_pack("{s:o,s:s,s:o,s:s}", "rate", jx_rate(t->rate_ppm), "description", t->description,
                     "components", comps, "effective_from", t->effective_from_date);
}

void h_tax_rates(struct req *r)
{
    int64_t at = app_now();
    query_int(r, "at", &at);
    json_t *rates = json_object();
    for (size_t i = 0; i < TAX_PROVINCE_COUNT; i++) {
        tax_rates t;
        tax_lookup(tax_province_code(i), at, &t);
        json_object_set_new(rates, tax_province_code(i), tax_view(&t));
    }
    /* jx_ts would print the epoch itself as null ("not yet happened"); `at` is an instant. */
    reply_ok(r, 200, json_pack("{s:o,s:o}", "at", jx_fixed(at, 6), "rates", rates));
}

void h_compliance_provinces(struct req *r)
{
    int64_t now = app_now();
    json_t *out = json_object();
    for (size_t i = 0; i < COMP_PROVINCE_COUNT; i++) {
        const comp_province *p = comp_province_at(i);
        tax_rates t;
        tax_lookup(p->code, now, &t);
        json_t *o = json_pack("{s:s,s:s}", "regime", p->regime, "key_rule", p->key_rule);
        if (p->max_penalty)
            json_object_set_new(o, "max_penalty", json_string(p->max_penalty));
        json_object_set_new(o, "scheduling_impact", json_string(p->scheduling_impact));
        json_object_set_new(o, "tax_rate", jx_rate(t.rate_ppm));
        json_object_set_new(o, "tax_description", json_string(t.description));
        json_object_set_new(out, p->code, o);
    }
    reply_ok(r, 200, json_pack("{s:o}", "provinces", out));
}

void h_trust_tier_requirements(struct req *r)
{
    json_t *tiers = json_array();
    for (int t = 0; t < JOB_TRUST__COUNT; t++) {
        comp_tier_req q;
        comp_tier_requirements((enum jobstate_trust)t, &q);
        json_array_append_new(
            tiers, json_pack("{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:o,s:s}", "tier", q.name, "label", q.label, "description",
                             q.description, "requires_canada", q.requires_canada, "requires_verified",
                             q.requires_verified, "requires_sovereignty_vetting", q.requires_sovereignty_vetting,
                             "requires_audit_trail", q.requires_audit_trail, "pricing_multiplier",
                             jx_rate(q.pricing_multiplier_ppm), "isolation", q.isolation));
    }
    reply_ok(r, 200, json_pack("{s:o}", "tiers", tiers));
}

void h_quebec_pia_check(struct req *r)
{
    const char *origin = "QC", *processing = "ON";
    bool pi = false;
    body_str(r, "data_origin_province", &origin);
    body_str(r, "processing_province", &processing);
    body_bool(r, "data_contains_pi", &pi);
    comp_pia c;
    comp_pia_check(origin, processing, pi, &c);
    json_t *o = json_pack("{s:b,s:o,s:o}", "pia_required", c.pia_required, "reason", jx_str_lossy(c.reason),
                          "recommendation", jx_str_or_null(c.recommendation));
    if (c.max_penalty)
        json_object_set_new(o, "max_penalty", json_string(c.max_penalty));
    if (c.law_reference)
        json_object_set_new(o, "law_reference", json_string(c.law_reference));
    reply_ok(r, 200, o);
}

void h_gst_threshold(struct req *r)
{
    tax_threshold t;
    int rc = csvc_gst_platform(app_now(), &t);
    if (rc < 0) {
        reply_status(r, rc, "GST threshold failed");
        return;
    }
    reply_ok(r, 200,
             json_pack("{s:b,s:o,s:o,s:o,s:i,s:b,s:s}", "exceeded", t.exceeded, "total_revenue_cad",
                       jx_money(t.total_ucad), "current_quarter_revenue_cad", jx_money(t.current_quarter_ucad),
                       "threshold_cad", jx_money(TAX_SMALL_SUPPLIER_THRESHOLD_UCAD), "quarters_assessed",
                       t.quarters_assessed, "must_register", t.exceeded, "message", t.message));
}

/* ---- reserved plans (§25.14) ---- */

void h_reserved_plans(struct req *r)
{
    json_t *tiers = json_object();
    for (int p = 0; p < PRICING_PLAN_COUNT; p++) {
        const pricing_plan_info *info = pricing_plan_info_of((pricing_plan)p);
        json_t *rates = json_object();
        for (size_t i = 0; i < PRICING_REF_COUNT; i++) {
            const pricing_ref *ref = pricing_ref_at(i);
            pricing_reserve_quote q;
            if (pricing_reserve(ref->base_rate, (pricing_plan)p, 1, 0, &q) == 0)
                json_object_set_new(rates, ref->model, jx_money(q.discounted_rate_ucad));
        }
        json_object_set_new(tiers, info->key,
                            json_pack("{s:s,s:i,s:s,s:i,s:o}", "commitment", info->commitment, "discount_pct",
                                      info->discount_pct, "description", info->description, "min_hours_per_day",
                                      info->min_hours_per_day, "sample_hourly_rates_cad", rates));
    }
    reply_ok(r, 200, json_pack("{s:s,s:o}", "currency", "CAD", "reserved_tiers", tiers));
}

static json_t *reservation_view(const struct reservation *v, const tax_rates *tax, const pricing_plan_info *info)
{
    json_t *o = json_object();
    json_object_set_new(o, "commitment_id", json_string(v->commitment_id));
    json_object_set_new(o, "customer_id", json_string(v->customer_id));
    json_object_set_new(o, "commitment_type", json_string(v->commitment_type));
    json_object_set_new(o, "gpu_model", json_string(v->gpu_model));
    json_object_set_new(o, "quantity", json_integer(v->quantity));
    json_object_set_new(o, "base_rate_cad", jx_money(v->base_rate));
    json_object_set_new(o, "discounted_rate_cad", jx_money(v->discounted_rate));
    json_object_set_new(o, "discount_pct", json_integer(v->discount_pct));
    json_object_set_new(o, "province", json_string(v->province));
    json_object_set_new(o, "tax_rate", jx_rate(v->tax_rate_ppm));
    json_object_set_new(o, "tax_description", json_string(tax->description));
    json_object_set_new(o, "commitment_description", json_string(info->description));
    json_object_set_new(o, "min_hours_per_day", json_integer(v->min_hours_per_day));
    json_object_set_new(o, "created_at", jx_ts(v->created_at));
    json_object_set_new(o, "status", json_string("active"));
    json_object_set_new(o, "monthly_estimate_cad", jx_money(v->monthly_cents * MONEY_UCAD_PER_CENT));
    json_object_set_new(o, "monthly_estimate_with_tax_cad", jx_money(v->monthly_with_tax_cents * MONEY_UCAD_PER_CENT));
    return o;
}

void h_pricing_reserve(struct req *r)
{
    const char *cust = NULL, *model = "RTX 4090", *type = "1_month", *province = "ON";
    int64_t quantity = 1;
    body_str(r, "customer_id", &cust);
    body_str(r, "gpu_model", &model);
    body_str(r, "commitment_type", &type);
    body_int(r, "quantity", &quantity);
    body_str(r, "province", &province);
    /* O(customer) with the customer in the body: the gate's own check, after validation. */
    if (auth_customer(r, cust) < 0)
        return;
    pricing_plan plan;
    if (pricing_plan_from_key(type, &plan) != MONEY_OK) {
        reply_error(r, 400, "Invalid commitment_type: %.64s. Valid: 1_month, 3_month, 1_year", type);
        return;
    }
    const pricing_ref *ref = pricing_ref_exact(model);
    if (!ref) {
        reply_error(r, 400, "Unknown GPU model: %.128s", model);
        return;
    }
    int64_t now = app_now();
    char actor[96];
    struct reservation v;
    int rc = tx_begin();
    if (rc < 0)
        goto err;
    if ((rc = csvc_reserve(cust, plan, ref, quantity, province, now, auth_actor(r, actor, sizeof actor), &v)) < 0) {
        tx_rollback();
        goto err;
    }
    if ((rc = tx_commit()) < 0)
        goto err;
    tax_rates tax;
    tax_lookup(v.province, now, &tax);
    reply_ok(r, 200, reservation_view(&v, &tax, pricing_plan_info_of(plan)));
    return;
err:
    reply_status(r, rc, "reservation failed");
}

/* ---- usage analytics ---- */

void h_analytics_usage(struct req *r)
{
    const char *cust = NULL, *provider = NULL, *group = "day";
    int64_t days = 30;
    query_str(r, "customer_id", &cust);
    query_str(r, "provider_id", &provider);
    query_int(r, "days", &days);
    query_str(r, "group_by", &group);
    usage_group g;
    if (usage_group_parse(group, &g) < 0) { /* the declared enum refused it already */
        reply_invalid(r, "query", "group_by", "enum", "must be one of day, week, gpu_model, province");
        return;
    }
    struct usage_filter f = {.since = usage_window_start(app_now(), days)};
    char host_owner[64];
    if (!r->who.is_admin) {
        /* O(customer) with the customer in the query: a user sees their own usage only (the
         * gate refused agents). With their own provider id and no customer, a provider sees the
         * records of their hosts, as GET /billing shows them. */
        if (!cust && !provider)
            cust = r->who.user.user.customer_id;
        if (cust && auth_customer(r, cust) < 0)
            return;
        if (provider && (!r->who.user.user.provider_id[0] || strcmp(provider, r->who.user.user.provider_id) != 0)) {
            reply_error(r, 404, "Provider %.64s not found", provider);
            return;
        }
    }
    if (provider) {
        int rc = csvc_provider_user(provider, host_owner, sizeof host_owner);
        if (rc == XC_ENOTFOUND) {
            reply_error(r, 404, "Provider %.64s not found", provider);
            return;
        }
        if (rc < 0) {
            reply_status(r, rc, "analytics failed");
            return;
        }
        f.host_owner = host_owner;
    }
    f.owner = cust;
    json_t *rows;
    int64_t jobs, cost, hours;
    int rc = csvc_usage(&f, g, &rows, &jobs, &cost, &hours);
    if (rc < 0) {
        reply_status(r, rc, "analytics failed");
        return;
    }
    reply_ok(r, 200,
             json_pack("{s:I,s:s,s:o,s:{s:I,s:o,s:o}}", "days", (json_int_t)days, "group_by", usage_group_name(g),
                       "analytics", rows, "summary", "total_jobs", (json_int_t)jobs, "total_spend_cad", jx_money(cost),
                       "total_gpu_hours", jx_fixed(hours, 6)));
}
