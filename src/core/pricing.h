#ifndef XC_PRICING_H
#define XC_PRICING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jobstate.h"

/* Prices and multipliers (domain §12, §25.1, §25.3, §25.12, §25.14). Pure: no I/O, no
 * globals, no clocks. Money is int64 µCAD, ratios int64 ppm. Status codes are the MONEY_* codes of
 * core/money.h (MONEY_EUNKNOWN for an unknown model or plan). */

/* ---- reference GPU prices (§25.1), µCAD per GPU-hour, in table order ---- */

typedef struct {
    const char *model; /* table key: "RTX 4090" */
    int64_t base_rate;
    int64_t subsidized_starter;
    int64_t premium_rate;
    int64_t min_rate;
    int64_t max_rate;
} pricing_ref;

#define PRICING_REF_COUNT 6
/* Row i (0 ≤ i < PRICING_REF_COUNT) in table order; NULL past the end. */
const pricing_ref *pricing_ref_at(size_t i);
/* Row matched by §0.5 (longest matching entry wins): "RTX 4090 24GB" → RTX 4090; "L40S",
 * "Tesla T4", "" → NULL. */
const pricing_ref *pricing_ref_match(const char *model);
/* Row whose key is exactly `key` (reservations, A§8.5); NULL otherwise. */
const pricing_ref *pricing_ref_exact(const char *key);

/* ---- multipliers (§25.3) ----
 * Priority tiers (§4.2) and trust tiers (§20.1) have one table, in core/jobstate.h; these read
 * their billing multipliers from it. MONEY_EINVAL for a tier out of range. */
int pricing_tier_multiplier(enum jobstate_tier t, int64_t *ppm);
int pricing_trust_multiplier(enum jobstate_trust t, int64_t *ppm);

/* ---- spot pricing (§12) ---- */

/* spot_base = RHU(on_demand × (10^6 − discount_ppm), 10^6); discount 0.30 → × 0.70. */
int pricing_spot_base(int64_t on_demand_ucad, int64_t discount_ppm, int64_t *out);

/* price = min(3 × base, base × e^(k × max(0, demand/supply − t))) computed in double and rounded
 * half away from zero to µCAD; supply = 0 → 3 × base; never below base. base ≥ 0 in µCAD,
 * demand ≥ 0, supply ≥ 0, k and t finite. (1.0 CAD, 10, 10, 0.5, 0.8) → 1 105 171 µCAD. */
int pricing_spot_price(int64_t base_ucad, int64_t demand, int64_t supply, double k, double t, int64_t *out);

/* ---- cost estimator (§25.12) ---- */

/* Non-Canadian compute stops being fund-eligible at 2027-04-01T00:00:00Z. */
#define PRICING_FUND_CUTOFF_US INT64_C(1806537600000000)
#define PRICING_SPOT_FACTOR_PPM INT64_C(700000)

typedef struct {
    const char *gpu_model;         /* requested model text */
    int64_t duration_uh;           /* hours × 10^6 (1.0 h → 1 000 000), > 0 */
    int64_t num_gpus;              /* ≥ 1 */
    bool spot;                     /* rate × 0.70 */
    enum jobstate_trust trust_tier;
    enum jobstate_tier tier;       /* priority tier */
    bool is_canadian;
    int64_t now_us;                /* service date for the fund cut-off */
} pricing_estimate_in;

typedef struct {
    const pricing_ref *matched;    /* static row */
    int64_t rate_ucad;             /* per GPU-hour, all factors, one RHU */
    int64_t gross_ucad;            /* RHU(rate × hours × num_gpus) */
    int64_t reimbursable_ucad;     /* whole cents (a multiple of 10 000) */
    int64_t effective_ucad;        /* gross − reimbursable */
    int64_t savings_pct_tenths;    /* reimbursable / gross × 100 to 1 decimal, ×10 (667 = 66.7 %) */
    bool fund_eligible;
    const char *fund_rate;         /* static label */
} pricing_estimate_out;

/* MONEY_EUNKNOWN when the model matches no reference row (the route answers 400
 * `Unknown GPU model: <m>`); MONEY_EINVAL for bad inputs; MONEY_EOVERFLOW for absurd ones. */
int pricing_estimate(const pricing_estimate_in *in, pricing_estimate_out *out);

/* Fund share of a µCAD gross for the estimator, to the cent: Canadian 2/3, non-Canadian 1/2 before
 * the cut-off, else 0. *label gets the §25.12 label. */
int pricing_fund_reimbursable(int64_t gross_ucad, bool is_canadian, int64_t at_us, int64_t *out_ucad,
                              const char **label);

/* ---- reserved plans (§25.14): key, commitment, discount %, min hours/day, description ---- */

#define PRICING_RESERVED_PLANS(X)                                                                  \
    X(PRICING_PLAN_1_MONTH, "1_month", "1 month", 20, 4, "20% off on-demand rates for 1-month commitment")    \
    X(PRICING_PLAN_3_MONTH, "3_month", "3 months", 30, 4, "30% off on-demand rates for 3-month commitment")   \
    X(PRICING_PLAN_1_YEAR, "1_year", "1 year", 45, 0, "45% off on-demand rates for 1-year commitment")

typedef enum {
#define PRICING_X_PLAN_ENUM(id, key, commit, pct, minh, desc) id,
    PRICING_RESERVED_PLANS(PRICING_X_PLAN_ENUM)
#undef PRICING_X_PLAN_ENUM
        PRICING_PLAN_COUNT
} pricing_plan;

typedef struct {
    const char *key;
    const char *commitment;
    int discount_pct;
    int min_hours_per_day;
    const char *description;
} pricing_plan_info;

const pricing_plan_info *pricing_plan_info_of(pricing_plan p); /* NULL when out of range */
int pricing_plan_from_key(const char *key, pricing_plan *out); /* MONEY_EUNKNOWN otherwise */

typedef struct {
    int64_t discounted_rate_ucad;       /* RHU(base × (100 − pct), 100) */
    int64_t monthly_cents;              /* discounted × quantity × 720 h, to the cent */
    int64_t monthly_with_tax_cents;     /* RHU(monthly cents × (10^6 + tax ppm), 10^6) */
} pricing_reserve_quote;

/* RTX 4090 (0.45), 1_month, 1, ON (130 000 ppm) → 0.36, 259.20, 292.90. quantity ≥ 1. */
int pricing_reserve(int64_t base_rate_ucad, pricing_plan plan, int64_t quantity, int64_t tax_rate_ppm,
                    pricing_reserve_quote *out);

#endif
