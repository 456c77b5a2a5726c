/* Prices and multipliers: reference GPU rates, tiers, trust, spot and savings (pure). */
#include "core/pricing.h"

#include <math.h>
#include <string.h>

#include "core/gpu.h"
#include "core/money.h"

/* ---- reference prices ---- */

/* X(model, base, subsidized starter, premium, min, max) in µCAD per GPU-hour, table order. */
#define PRICING_REF_TABLE(X)                                                                       \
    X("RTX 3090", 350000, 300000, 450000, 200000, 800000)                                          \
    X("RTX 4090", 450000, 400000, 700000, 300000, 1200000)                                         \
    X("RTX 4080", 380000, 330000, 550000, 250000, 1000000)                                         \
    X("A100", 1500000, 1200000, 2000000, 900000, 3500000)                                          \
    X("H100", 3500000, 3000000, 4500000, 2500000, 6000000)                                         \
    X("L40", 1200000, 1000000, 1600000, 800000, 2500000)

static const pricing_ref ref_table[PRICING_REF_COUNT] = {
#define PRICING_X_REF(m, b, s, p, lo, hi) {m, b, s, p, lo, hi},
    PRICING_REF_TABLE(PRICING_X_REF)
#undef PRICING_X_REF
};

static const char *const ref_keys[PRICING_REF_COUNT] = {
#define PRICING_X_KEY(m, b, s, p, lo, hi) m,
    PRICING_REF_TABLE(PRICING_X_KEY)
#undef PRICING_X_KEY
};

const pricing_ref *pricing_ref_at(size_t i)
{
    return i < PRICING_REF_COUNT ? &ref_table[i] : NULL;
}

const pricing_ref *pricing_ref_match(const char *model)
{
    if (!model)
        return NULL;
    int i = gpu_match_table(model, ref_keys, PRICING_REF_COUNT);
    return i < 0 ? NULL : &ref_table[i];
}

const pricing_ref *pricing_ref_exact(const char *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; i < PRICING_REF_COUNT; i++)
        if (strcmp(ref_table[i].model, key) == 0)
            return &ref_table[i];
    return NULL;
}

/* ---- multipliers ---- */

int pricing_tier_multiplier(enum jobstate_tier t, int64_t *ppm)
{
    if ((unsigned)t >= JOB_TIER__COUNT || !ppm)
        return MONEY_EINVAL;
    *ppm = jobstate_tier_multiplier_ppm(t);
    return MONEY_OK;
}

int pricing_trust_multiplier(enum jobstate_trust t, int64_t *ppm)
{
    if ((unsigned)t >= JOB_TRUST__COUNT || !ppm)
        return MONEY_EINVAL;
    *ppm = jobstate_trust_multiplier_ppm(t);
    return MONEY_OK;
}

/* ---- spot ---- */

int pricing_spot_base(int64_t on_demand_ucad, int64_t discount_ppm, int64_t *out)
{
    if (on_demand_ucad < 0 || discount_ppm < 0 || discount_ppm > MONEY_PPM_ONE || !out)
        return MONEY_EINVAL;
    return money_mul_ppm(on_demand_ucad, MONEY_PPM_ONE - discount_ppm, out);
}

/* Bases above 2^50 µCAD (about 1.1·10^9 CAD) are refused: the double product must stay exact
 * to well under one µCAD and 3 × base must fit. */
#define SPOT_MAX_BASE (INT64_C(1) << 50)

int pricing_spot_price(int64_t base_ucad, int64_t demand, int64_t supply, double k, double t, int64_t *out)
{
    if (!out || base_ucad < 0 || demand < 0 || supply < 0 || !isfinite(k) || !isfinite(t))
        return MONEY_EINVAL;
    if (base_ucad > SPOT_MAX_BASE)
        return MONEY_EOVERFLOW;
    int64_t cap = 3 * base_ucad;
    if (supply == 0) {
        *out = cap;
        return MONEY_OK;
    }
    double excess = (double)demand / (double)supply - t;
    double factor = exp(k * (excess > 0 ? excess : 0.0));
    if (!isfinite(factor) || factor >= 3.0) {
        *out = cap;
        return MONEY_OK;
    }
    int64_t p = (int64_t)llround((double)base_ucad * factor); /* half away from zero */
    if (p > cap)
        p = cap;
    if (p < base_ucad)
        p = base_ucad;
    *out = p;
    return MONEY_OK;
}

/* ---- estimator ---- */

int pricing_fund_reimbursable(int64_t gross_ucad, bool is_canadian, int64_t at_us, int64_t *out_ucad,
                              const char **label)
{
    if (!out_ucad || gross_ucad < 0)
        return MONEY_EINVAL;
    int64_t cents = 0;
    const char *l;
    int rc = MONEY_OK;
    if (is_canadian) {
        l = "Canadian AI Compute (67% eligible)";
        rc = money_rhu128((__int128)gross_ucad * 2, (__int128)3 * MONEY_UCAD_PER_CENT, &cents);
    } else if (at_us < PRICING_FUND_CUTOFF_US) {
        l = "Non-Canadian Compute (50% eligible until Mar 31, 2027)";
        rc = money_rhu128(gross_ucad, (__int128)2 * MONEY_UCAD_PER_CENT, &cents);
    } else {
        l = "Non-Canadian Compute (not eligible from Apr 1, 2027)";
    }
    if (rc || (rc = money_cents_to_ucad(cents, out_ucad)))
        return rc;
    if (label)
        *label = l;
    return MONEY_OK;
}

int pricing_estimate(const pricing_estimate_in *in, pricing_estimate_out *out)
{
    if (!in || !out || in->duration_uh <= 0 || in->num_gpus < 1)
        return MONEY_EINVAL;
    int64_t trust_ppm, tier_ppm;
    if (pricing_trust_multiplier(in->trust_tier, &trust_ppm) || pricing_tier_multiplier(in->tier, &tier_ppm))
        return MONEY_EINVAL;
    const pricing_ref *ref = pricing_ref_match(in->gpu_model);
    if (!ref)
        return MONEY_EUNKNOWN;
    memset(out, 0, sizeof *out);
    out->matched = ref;

    int64_t factors[3] = {in->spot ? PRICING_SPOT_FACTOR_PPM : MONEY_PPM_ONE, trust_ppm, tier_ppm};
    int rc = money_apply_ppm(ref->base_rate, factors, 3, &out->rate_ucad);
    if (rc)
        return rc;
    __int128 g = out->rate_ucad;
    if (__builtin_mul_overflow(g, (__int128)in->duration_uh, &g) ||
        __builtin_mul_overflow(g, (__int128)in->num_gpus, &g))
        return MONEY_EOVERFLOW;
    if ((rc = money_rhu128(g, MONEY_PPM_ONE, &out->gross_ucad)))
        return rc;
    if ((rc = pricing_fund_reimbursable(out->gross_ucad, in->is_canadian, in->now_us, &out->reimbursable_ucad,
                                        &out->fund_rate)))
        return rc;
    out->fund_eligible = out->reimbursable_ucad > 0;
    out->effective_ucad = out->gross_ucad - out->reimbursable_ucad; /* reimbursable ≤ gross + ½ cent */
    if (out->gross_ucad > 0 &&
        (rc = money_rhu128((__int128)out->reimbursable_ucad * 1000, out->gross_ucad, &out->savings_pct_tenths)))
        return rc;
    return MONEY_OK;
}

/* ---- reserved plans ---- */

static const pricing_plan_info plan_table[PRICING_PLAN_COUNT] = {
#define PRICING_X_PLAN_ROW(id, key, commit, pct, minh, desc) [id] = {key, commit, pct, minh, desc},
    PRICING_RESERVED_PLANS(PRICING_X_PLAN_ROW)
#undef PRICING_X_PLAN_ROW
};

const pricing_plan_info *pricing_plan_info_of(pricing_plan p)
{
    if ((int)p < 0 || p >= PRICING_PLAN_COUNT)
        return NULL;
    return &plan_table[p];
}

int pricing_plan_from_key(const char *key, pricing_plan *out)
{
    if (!key || !out)
        return MONEY_EINVAL;
    for (int i = 0; i < PRICING_PLAN_COUNT; i++)
        if (strcmp(plan_table[i].key, key) == 0) {
            *out = (pricing_plan)i;
            return MONEY_OK;
        }
    return MONEY_EUNKNOWN;
}

int pricing_reserve(int64_t base_rate_ucad, pricing_plan plan, int64_t quantity, int64_t tax_rate_ppm,
                    pricing_reserve_quote *out)
{
    const pricing_plan_info *p = pricing_plan_info_of(plan);
    if (!p || !out || base_rate_ucad < 0 || quantity < 1 || tax_rate_ppm < 0 ||
        tax_rate_ppm > MONEY_PPM_ONE)
        return MONEY_EINVAL;
    int rc;
    if ((rc = money_rhu128((__int128)base_rate_ucad * (100 - p->discount_pct), 100, &out->discounted_rate_ucad)))
        return rc;
    __int128 m = out->discounted_rate_ucad;
    if (__builtin_mul_overflow(m, (__int128)quantity * 720, &m))
        return MONEY_EOVERFLOW;
    if ((rc = money_rhu128(m, MONEY_UCAD_PER_CENT, &out->monthly_cents)))
        return rc;
    return money_rhu128((__int128)out->monthly_cents * (MONEY_PPM_ONE + tax_rate_ppm), MONEY_PPM_ONE,
                        &out->monthly_with_tax_cents);
}
