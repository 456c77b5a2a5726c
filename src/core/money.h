#ifndef XC_MONEY_H
#define XC_MONEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"
#include "common/fixed.h"
#include "core/jobstate.h"

/* µCAD arithmetic for billing (domain §0.1–0.2, §25.4–25.9). Pure: no I/O, no globals, no clocks.
 * Amounts are int64 µCAD (1 CAD = 1 000 000 µCAD, 1 cent = 10 000 µCAD); ratios are int64 ppm.
 * Every product is formed in 128 bits with overflow checks and rounded once with RHU (§0.2).
 * Nothing here ever wraps: a result that does not fit in int64 is MONEY_EOVERFLOW.
 *
 * Status codes: 0 is success, every error is negative. The billing modules (money_, tax_, pricing_,
 * invoice_) return the MONEY_* codes below; those that have a counterpart in the project-wide table
 * (common/errors.h) share its value, the two billing-specific ones sit outside that table's range. */

#define MONEY_ERRORS(X)                                                                            \
    X(MONEY_OK, XC_OK, "ok")                                                                       \
    X(MONEY_EINVAL, XC_EINVAL, "invalid argument")                                                 \
    X(MONEY_EUNKNOWN, XC_ENOTFOUND, "unknown code or model")                                       \
    X(MONEY_EOVERFLOW, -40, "amount out of range")                                                 \
    X(MONEY_ELIMIT, -41, "output limit exceeded")

enum money_status {
#define MONEY_X_ENUM(name, value, text) name = value,
    MONEY_ERRORS(MONEY_X_ENUM)
#undef MONEY_X_ENUM
};

/* Static text for a status code ("unknown status" for anything else). */
const char *money_strerror(int rc);

#define MONEY_UCAD_PER_CAD MONEY_ONE
#define MONEY_UCAD_PER_CENT INT64_C(10000)
#define MONEY_PPM_ONE INT64_C(1000000)
#define MONEY_US_PER_HOUR INT64_C(3600000000)

/* ---- rounding and checked arithmetic ---- */

/* *out = RHU(num, den) (§0.2), den > 0. MONEY_EOVERFLOW when the quotient does not fit in int64
 * (never wraps), MONEY_EINVAL when den <= 0. Safe for any 128-bit num. */
int money_rhu128(__int128 num, __int128 den, int64_t *out);

/* Cents of a µCAD amount: RHU(ucad, 10 000). Always fits. (37 500 µCAD → 4; 1 865 000 → 187.) */
int64_t money_to_cents(int64_t ucad);

/* *ucad = cents × 10 000, or MONEY_EOVERFLOW. */
int money_cents_to_ucad(int64_t cents, int64_t *ucad);

/* *out = ucad rounded half-up to a whole cent, still in µCAD (1 865 000 → 1 870 000). */
int money_round_cent_ucad(int64_t ucad, int64_t *out);

/* Overflow-checked a + b and a − b. */
int money_add(int64_t a, int64_t b, int64_t *out);
int money_sub(int64_t a, int64_t b, int64_t *out);

/* *out = RHU(ucad × ppm, 10^6): one ppm factor (fees, refunds, tax on a µCAD amount). */
int money_mul_ppm(int64_t ucad, int64_t ppm, int64_t *out);

/* *out = RHU(ucad × ppm[0] × … × ppm[n−1], 10^(6n)): several ppm factors, one final rounding over
 * the full 128-bit numerator (never rounding intermediate factors). n ≤ 4; ppm values ≥ 0. */
int money_apply_ppm(int64_t ucad, const int64_t *ppm, size_t n, int64_t *out);

/* ---- metering (§25.4) ---- */

/* What a job pays per unit of run time: the captured rate and its multipliers. */
typedef struct {
    int64_t num_gpus;          /* ≥ 1 */
    int64_t rate_ucad_per_hour; /* captured rate_per_hour (or the spot price), ≥ 0 */
    int64_t tier_ppm;          /* priority-tier multiplier, ≥ 0 (1.5 → 1 500 000) */
    int64_t trust_ppm;         /* trust-tier multiplier, ≥ 0 (1.15 → 1 150 000) */
} money_rate;

/* metered_cost = RHU(duration_us × num_gpus × rate_µ × tier_ppm × trust_ppm, 3.6·10^9 × 10^12).
 * duration_us ≥ 0. Examples: 3600 s × 0.50 × residency → 575 000; 1.1 s × 1.00 × premium → 458. */
int money_meter(const money_rate *r, int64_t duration_us, int64_t *out);

/* effective_rate_per_hour = RHU(rate_µ × tier_ppm × trust_ppm, 10^12) (per GPU-hour). */
int money_effective_rate(const money_rate *r, int64_t *out);

/* gpu_hours in millionths of an hour: RHU(duration_us × num_gpus, 3600) (§25.4, 6 decimals). */
int money_gpu_hours_e6(int64_t duration_us, int64_t num_gpus, int64_t *out);

/* Hours in 1/10 000 h, half-up to 4 decimals: RHU(duration_us × num_gpus × 10^4, 3.6·10^9)
 * (invoice quantity with num_gpus; CAF wall-clock duration with num_gpus = 1). */
int money_hours_e4(int64_t duration_us, int64_t num_gpus, int64_t *out);

/* ---- platform cut and payouts (§25.4, §25.9) ---- */

typedef struct {
    int64_t platform_fee; /* RHU(amount × cut_ppm, 10^6) */
    int64_t host_payout;  /* amount − platform_fee */
} money_split;

/* Splits a cost (or, negative, a refund clawback) into platform fee and host payout.
 * cut_ppm must satisfy 0 ≤ cut < 10^6 (§25.9). 1.0 CAD at 0.20 → fee 200 000, payout 800 000. */
int money_platform_split(int64_t amount, int64_t cut_ppm, money_split *out);

/* GST/HST a provider charges on top of a payout: RHU(payout × rate_ppm, 10^6) when registered,
 * else 0. (80.00 CAD in ON → 10.40.) */
int money_payout_gst(int64_t provider_payout, int64_t rate_ppm, bool has_gst_number, int64_t *out);

/* A payout transfer pays Σ amounts rounded half-up to the cent; *carry_ucad = Σ − transfer is the
 * sub-cent remainder left as a pending carry row (it is negative when the sum rounded up). */
int money_payout_transfer(const int64_t *amounts, size_t n, int64_t *transfer_ucad, int64_t *carry_ucad);

/* ---- escrow (§25.6) ---- */

/* One escrow block: the cost of min(hold_us, max_duration_us) of run time for rate r.
 * max_duration_us ≤ 0 means the job has no maximum. hold_us > 0 (1 h = 3 600 000 000). */
int money_escrow_block(const money_rate *r, int64_t hold_us, int64_t max_duration_us, int64_t *out);

/* Top-up rule: when metered-so-far + the cost of 600 s ≥ held, one more block, limited so that the
 * total held never exceeds the cost of max_duration_us (≤ 0: no limit). *topup = 0 when nothing is
 * needed or the cap is already reached. elapsed_us ≥ 0 is run time so far, held ≥ 0. */
int money_escrow_topup(const money_rate *r, int64_t elapsed_us, int64_t held, int64_t hold_us,
                       int64_t max_duration_us, int64_t *topup);

typedef struct {
    int64_t cost;        /* charged: min(metered, held) */
    int64_t uncollected; /* metered − cost (> 0 only when metering exceeded the hold) */
    int64_t release;     /* held − cost, returned to the balance */
} money_settlement;

/* Settlement of an owned job's attempt: charge min(metered, held), release the rest, record any
 * shortfall as uncollected. An attempt that never ran settles with metered = 0 (full release).
 * held ≥ 0, metered ≥ 0. Operator jobs have no escrow: their cost is simply metered. */
int money_escrow_settle(int64_t held, int64_t metered, money_settlement *out);

/* ---- refunds (§25.7; classes and percentages from the §10.2 table in core/jobstate.h) ---- */

/* Refund share of a failure class in ppm: hardware_error, gpu_error, host_lost 10^6; network_error,
 * unknown 500 000; user classes 0. Out-of-range classes read as unknown. */
int64_t money_refund_ppm(enum jobstate_failure_class c);

/* is_host_fault of a refund: the class's fault is the host (hardware_error, gpu_error,
 * network_error, host_lost). */
bool money_refund_is_host_fault(enum jobstate_failure_class c);

typedef struct {
    int64_t amount;          /* RHU(cost × pct_ppm, 10^6) */
    int64_t fee_refund;      /* RHU(amount × cut_ppm, 10^6): platform fee given back */
    int64_t payout_clawback; /* amount − fee_refund: taken back from the host payout */
} money_refund;

/* Refund amounts for a billing record's cost at pct_ppm (0..10^6) with the platform cut at cut_ppm.
 * Example: 575 000 at 100 % → 575 000. Use money_refund_ppm for the class's percentage. */
int money_refund_compute(int64_t cost, int64_t pct_ppm, int64_t cut_ppm, money_refund *out);

/* ---- rendering for humans (§27) and documents ---- */

/* Human display: 2 decimals, half-up to the cent ("1.87", "-0.50", "0.00"), except a non-zero value
 * below one cent in magnitude, shown with 6 decimals ("0.000458"). Returns buf; bufsz ≥ 32. */
char *money_display(int64_t ucad, char *buf, size_t bufsz);

/* Whole cents with exactly 2 decimals ("0.68", "-1.50", "0.00"). Returns buf; bufsz ≥ 32. */
char *money_fmt_cents(int64_t cents, char *buf, size_t bufsz);

/* Whole cents with thousands separators and 2 decimals ("30,000.00", "1,234,567.89"). Returns buf;
 * bufsz ≥ 40. */
char *money_fmt_cents_grouped(int64_t cents, char *buf, size_t bufsz);

#endif
