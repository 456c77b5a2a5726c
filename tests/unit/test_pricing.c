#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/money.h"
#include "core/pricing.h"

#define NOW2026 INT64_C(1781532000000000)  /* 2026-06-15T14:00:00Z */
#define AFTER_CUTOFF INT64_C(1806624000000000) /* 2027-04-02T00:00:00Z */

Test(pricing, reference_table)
{
    static const struct {
        const char *m;
        int64_t b, s, p, lo, hi;
    } want[] = {
        {"RTX 3090", 350000, 300000, 450000, 200000, 800000},
        {"RTX 4090", 450000, 400000, 700000, 300000, 1200000},
        {"RTX 4080", 380000, 330000, 550000, 250000, 1000000},
        {"A100", 1500000, 1200000, 2000000, 900000, 3500000},
        {"H100", 3500000, 3000000, 4500000, 2500000, 6000000},
        {"L40", 1200000, 1000000, 1600000, 800000, 2500000},
    };
    for (size_t i = 0; i < PRICING_REF_COUNT; i++) {
        const pricing_ref *r = pricing_ref_at(i);
        cr_assert_str_eq(r->model, want[i].m);
        cr_assert_eq(r->base_rate, want[i].b);
        cr_assert_eq(r->subsidized_starter, want[i].s);
        cr_assert_eq(r->premium_rate, want[i].p);
        cr_assert_eq(r->min_rate, want[i].lo);
        cr_assert_eq(r->max_rate, want[i].hi);
    }
    cr_assert_null(pricing_ref_at(PRICING_REF_COUNT));
}

Test(pricing, model_matching)
{
    struct {
        const char *in, *want;
    } cases[] = {
        {"RTX 4090", "RTX 4090"},
        {"RTX 4090 24GB", "RTX 4090"},
        {"NVIDIA GeForce RTX 4090", "RTX 4090"},
        {"nvidia-geforce-rtx-4080", "RTX 4080"},
        {"A100-SXM4-80GB", "A100"},
        {"NVIDIA A100 80GB PCIe", "A100"},
        {"H100", "H100"},
        {"NVIDIA L40", "L40"},
        {"rtx 3090 ti", "RTX 3090"},
        {"L40S", NULL},
        {"NVIDIA L40S", NULL},
        {"Tesla T4", NULL},
        {"", NULL},
        {"   ", NULL},
        {"RTX 40900", NULL},
        {"A1000", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pricing_ref *r = pricing_ref_match(cases[i].in);
        if (!cases[i].want)
            cr_assert_null(r, "case %zu (%s)", i, cases[i].in ? cases[i].in : "NULL");
        else {
            cr_assert_not_null(r, "case %zu (%s)", i, cases[i].in);
            cr_assert_str_eq(r->model, cases[i].want);
        }
    }
    cr_assert_not_null(pricing_ref_exact("RTX 4090"));
    cr_assert_null(pricing_ref_exact("rtx 4090"));
    cr_assert_null(pricing_ref_exact("RTX 9999"));
}

Test(pricing, multipliers)
{
    /* §25.3: free 1.0, standard 1.0, premium 1.5, urgent 2.0; community 1.00, residency 1.15,
     * sovereignty 1.35, regulated 1.60 */
    const struct {
        enum jobstate_tier t;
        int64_t ppm;
    } tiers[] = {{JOB_TIER_FREE, 1000000}, {JOB_TIER_STANDARD, 1000000}, {JOB_TIER_PREMIUM, 1500000},
                 {JOB_TIER_URGENT, 2000000}};
    const struct {
        enum jobstate_trust t;
        int64_t ppm;
    } trust[] = {{JOB_TRUST_COMMUNITY, 1000000}, {JOB_TRUST_RESIDENCY, 1150000}, {JOB_TRUST_SOVEREIGNTY, 1350000},
                 {JOB_TRUST_REGULATED, 1600000}};
    int64_t v;
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(pricing_tier_multiplier(tiers[i].t, &v), 0);
        cr_assert_eq(v, tiers[i].ppm);
        cr_assert_eq(pricing_trust_multiplier(trust[i].t, &v), 0);
        cr_assert_eq(v, trust[i].ppm);
    }
    cr_assert_eq(pricing_tier_multiplier(JOB_TIER__COUNT, &v), MONEY_EINVAL);
    cr_assert_eq(pricing_trust_multiplier(JOB_TRUST__COUNT, &v), MONEY_EINVAL);
    cr_assert_eq(pricing_trust_multiplier((enum jobstate_trust)-1, &v), MONEY_EINVAL);
}

static int64_t spot(int64_t base, int64_t d, int64_t s, double k, double t)
{
    int64_t v = -1;
    cr_assert_eq(pricing_spot_price(base, d, s, k, t, &v), 0);
    return v;
}

Test(pricing, spot_spec_examples)
{
    cr_assert_eq(spot(1000000, 1, 10, 0.5, 0.8), 1000000);
    cr_assert_eq(spot(1000000, 10, 10, 0.5, 0.8), 1105171);
    cr_assert_eq(spot(1000000, 5, 10, 0.5, 0.8), 1000000);
    cr_assert_eq(spot(1000000, 50, 10, 0.5, 0.8), 3000000); /* uncapped would be 8.166170 */
    cr_assert_eq(spot(1000000, 50, 10, 0.5, 0.8) > spot(1000000, 5, 10, 0.5, 0.8), 1);
    cr_assert_eq(spot(1000000, 5, 0, 0.5, 0.8), 3000000);
    cr_assert_eq(spot(1000000, 10, 10, 0.1, 0.8), 1020201);
    cr_assert_eq(spot(1000000, 10, 10, 2.0, 0.8), 1491825);
    /* one RTX 4090 host at 0.30, one queued job: spot base 0.21, D/S = 1 → 0.232086 */
    int64_t base;
    cr_assert_eq(pricing_spot_base(300000, 300000, &base), 0);
    cr_assert_eq(base, 210000);
    cr_assert_eq(spot(base, 1, 1, 0.5, 0.8), 232086);
    /* floor and cap */
    cr_assert_eq(spot(base, 0, 5, 0.5, 0.8), base);
    cr_assert_eq(spot(base, 0, 0, 0.5, 0.8), 3 * base);
    cr_assert_eq(spot(base, 1000000, 1, 0.5, 0.8), 3 * base);
    cr_assert_eq(spot(base, 10, 10, -5.0, 0.8), base);
    cr_assert_eq(spot(0, 10, 10, 0.5, 0.8), 0);
    /* monotone in demand */
    int64_t prev = 0;
    for (int64_t d = 0; d <= 100; d++) {
        int64_t p = spot(base, d, 10, 0.5, 0.8);
        cr_assert(p >= prev && p >= base && p <= 3 * base);
        prev = p;
    }
}

Test(pricing, spot_rejects_bad_input)
{
    int64_t v;
    cr_assert_eq(pricing_spot_price(-1, 1, 1, 0.5, 0.8, &v), MONEY_EINVAL);
    cr_assert_eq(pricing_spot_price(1, -1, 1, 0.5, 0.8, &v), MONEY_EINVAL);
    cr_assert_eq(pricing_spot_price(1, 1, -1, 0.5, 0.8, &v), MONEY_EINVAL);
    cr_assert_eq(pricing_spot_price(1, 1, 1, NAN, 0.8, &v), MONEY_EINVAL);
    cr_assert_eq(pricing_spot_price(1, 1, 1, 0.5, INFINITY, &v), MONEY_EINVAL);
    cr_assert_eq(pricing_spot_price(INT64_MAX, 1, 1, 0.5, 0.8, &v), MONEY_EOVERFLOW);
    cr_assert_eq(pricing_spot_price(1, INT64_MAX, 1, 1e300, 0.8, &v), 0);
    cr_assert_eq(v, 3);
    cr_assert_eq(pricing_spot_base(300000, 1000001, &v), MONEY_EINVAL);
}

static pricing_estimate_in est(const char *model, double hours, bool spot_, enum jobstate_trust tt, bool ca)
{
    return (pricing_estimate_in){.gpu_model = model,
                                 .duration_uh = (int64_t)(hours * 1000000),
                                 .num_gpus = 1,
                                 .spot = spot_,
                                 .trust_tier = tt,
                                 .tier = JOB_TIER_FREE,
                                 .is_canadian = ca,
                                 .now_us = NOW2026};
}

Test(pricing, estimator_spec_examples)
{
    pricing_estimate_out o;
    pricing_estimate_in in = est("RTX 4090", 1, false, JOB_TRUST_COMMUNITY, true);
    cr_assert_eq(pricing_estimate(&in, &o), 0);
    cr_assert_str_eq(o.matched->model, "RTX 4090");
    cr_assert_eq(o.rate_ucad, 450000);
    cr_assert_eq(o.gross_ucad, 450000);
    cr_assert_eq(o.reimbursable_ucad, 300000);
    cr_assert_eq(o.effective_ucad, 150000);
    cr_assert_eq(o.savings_pct_tenths, 667);
    cr_assert(o.fund_eligible);
    cr_assert_str_eq(o.fund_rate, "Canadian AI Compute (67% eligible)");

    in = est("A100", 10, false, JOB_TRUST_COMMUNITY, true);
    cr_assert_eq(pricing_estimate(&in, &o), 0);
    cr_assert_eq(o.rate_ucad, 1500000);
    cr_assert_eq(o.gross_ucad, 15000000);
    cr_assert_eq(o.reimbursable_ucad, 10000000);
    cr_assert_eq(o.effective_ucad, 5000000);
    cr_assert_eq(o.savings_pct_tenths, 667);

    in = est("RTX 4090", 2, true, JOB_TRUST_COMMUNITY, true);
    cr_assert_eq(pricing_estimate(&in, &o), 0);
    cr_assert_eq(o.rate_ucad, 315000);
    cr_assert_eq(o.gross_ucad, 630000);
    cr_assert_eq(o.reimbursable_ucad, 420000);
    cr_assert_eq(o.effective_ucad, 210000);

    in = est("RTX 4090", 1, false, JOB_TRUST_SOVEREIGNTY, true);
    cr_assert_eq(pricing_estimate(&in, &o), 0);
    cr_assert_eq(o.rate_ucad, 607500);
    cr_assert_eq(o.gross_ucad, 607500);
    cr_assert_eq(o.reimbursable_ucad, 410000); /* 0.405 → 0.41 */
    cr_assert_eq(o.effective_ucad, 197500);

    in = est("RTX 4090", 1, false, JOB_TRUST_COMMUNITY, false);
    cr_assert_eq(pricing_estimate(&in, &o), 0);
    cr_assert_eq(o.reimbursable_ucad, 230000); /* 0.225 → 0.23 */
    cr_assert_str_eq(o.fund_rate, "Non-Canadian Compute (50% eligible until Mar 31, 2027)");
    cr_assert(o.fund_eligible);

    in.now_us = AFTER_CUTOFF;
    cr_assert_eq(pricing_estimate(&in, &o), 0);
    cr_assert_eq(o.reimbursable_ucad, 0);
    cr_assert(!o.fund_eligible);
    cr_assert_eq(o.effective_ucad, 450000);
    cr_assert_eq(o.savings_pct_tenths, 0);
    cr_assert_str_eq(o.fund_rate, "Non-Canadian Compute (not eligible from Apr 1, 2027)");

    /* priority tier and GPU count multiply in: urgent, 2 GPUs, regulated, 1.5 h of H100 */
    in = est("NVIDIA H100 80GB HBM3", 1.5, false, JOB_TRUST_REGULATED, true);
    in.tier = JOB_TIER_URGENT;
    in.num_gpus = 2;
    cr_assert_eq(pricing_estimate(&in, &o), 0);
    cr_assert_eq(o.rate_ucad, 11200000); /* 3.5 × 1.6 × 2 */
    cr_assert_eq(o.gross_ucad, 33600000);
}

Test(pricing, estimator_errors)
{
    pricing_estimate_out o;
    pricing_estimate_in in = est("Tesla T4", 1, false, JOB_TRUST_COMMUNITY, true);
    cr_assert_eq(pricing_estimate(&in, &o), MONEY_EUNKNOWN);
    in.gpu_model = "";
    cr_assert_eq(pricing_estimate(&in, &o), MONEY_EUNKNOWN);
    in.gpu_model = NULL;
    cr_assert_eq(pricing_estimate(&in, &o), MONEY_EUNKNOWN);
    in = est("RTX 4090", 0, false, JOB_TRUST_COMMUNITY, true);
    cr_assert_eq(pricing_estimate(&in, &o), MONEY_EINVAL);
    in = est("RTX 4090", 1, false, JOB_TRUST_COMMUNITY, true);
    in.num_gpus = 0;
    cr_assert_eq(pricing_estimate(&in, &o), MONEY_EINVAL);
    in.num_gpus = INT64_MAX;
    in.duration_uh = INT64_MAX;
    cr_assert_eq(pricing_estimate(&in, &o), MONEY_EOVERFLOW);
    in = est("RTX 4090", 1, false, (enum jobstate_trust)99, true);
    cr_assert_eq(pricing_estimate(&in, &o), MONEY_EINVAL);
}

Test(pricing, fund_share)
{
    int64_t v;
    const char *l;
    cr_assert_eq(pricing_fund_reimbursable(100000000, true, NOW2026, &v, &l), 0);
    cr_assert_eq(v, 66670000); /* 100.00 → 66.67 */
    cr_assert_eq(pricing_fund_reimbursable(100000000, false, INT64_C(1806451200000000), &v, &l), 0);
    cr_assert_eq(v, 50000000);
    cr_assert_eq(pricing_fund_reimbursable(100000000, false, PRICING_FUND_CUTOFF_US - 1, &v, &l), 0);
    cr_assert_eq(v, 50000000);
    cr_assert_eq(pricing_fund_reimbursable(100000000, false, PRICING_FUND_CUTOFF_US, &v, &l), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(pricing_fund_reimbursable(0, true, NOW2026, &v, &l), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(pricing_fund_reimbursable(-1, true, NOW2026, &v, &l), MONEY_EINVAL);
    cr_assert_eq(pricing_fund_reimbursable(INT64_MAX, true, NOW2026, &v, &l), 0);
    cr_assert_eq(v, fixed_rhu128((__int128)INT64_MAX * 2, 30000) * 10000);
    cr_assert(v <= INT64_MAX / 3 * 2 + 10000);
}

Test(pricing, reserved_plans)
{
    const char *keys[] = {"1_month", "3_month", "1_year"};
    const int pct[] = {20, 30, 45}, minh[] = {4, 4, 0};
    const char *desc[] = {"20% off on-demand rates for 1-month commitment",
                          "30% off on-demand rates for 3-month commitment",
                          "45% off on-demand rates for 1-year commitment"};
    const char *commit[] = {"1 month", "3 months", "1 year"};
    for (int i = 0; i < PRICING_PLAN_COUNT; i++) {
        pricing_plan p;
        cr_assert_eq(pricing_plan_from_key(keys[i], &p), 0);
        const pricing_plan_info *info = pricing_plan_info_of(p);
        cr_assert_eq(info->discount_pct, pct[i]);
        cr_assert_eq(info->min_hours_per_day, minh[i]);
        cr_assert_str_eq(info->description, desc[i]);
        cr_assert_str_eq(info->commitment, commit[i]);
    }
    pricing_plan p;
    cr_assert_eq(pricing_plan_from_key("5_year", &p), MONEY_EUNKNOWN);
    pricing_reserve_quote q;
    cr_assert_eq(pricing_reserve(450000, PRICING_PLAN_1_MONTH, 1, 130000, &q), 0);
    cr_assert_eq(q.discounted_rate_ucad, 360000);
    cr_assert_eq(q.monthly_cents, 25920);
    cr_assert_eq(q.monthly_with_tax_cents, 29290);
    cr_assert_eq(pricing_reserve(1500000, PRICING_PLAN_1_YEAR, 3, 149750, &q), 0);
    cr_assert_eq(q.discounted_rate_ucad, 825000);
    cr_assert_eq(q.monthly_cents, 178200);
    cr_assert_eq(q.monthly_with_tax_cents, 204885); /* 1782.00 × 1.14975 = 2048.8545 */
    cr_assert_eq(pricing_reserve(450000, PRICING_PLAN_1_MONTH, 0, 130000, &q), MONEY_EINVAL);
    cr_assert_eq(pricing_reserve(INT64_MAX, PRICING_PLAN_1_MONTH, INT64_MAX, 130000, &q), MONEY_EOVERFLOW);
}
