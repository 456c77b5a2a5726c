/* µCAD arithmetic for billing: rounding, cents, escrow and refunds (pure). */
#include "core/money.h"

#include <stdio.h>

const char *money_strerror(int rc)
{
    switch (rc) {
#define MONEY_X_STR(name, value, text)                                                             \
    case value:                                                                                    \
        return text;
        MONEY_ERRORS(MONEY_X_STR)
#undef MONEY_X_STR
    default:
        return "unknown status";
    }
}

/* ---- rounding and checked arithmetic ---- */

int money_rhu128(__int128 num, __int128 den, int64_t *out)
{
    if (den <= 0)
        return MONEY_EINVAL;
    /* Work on the magnitude as unsigned so that the most negative value is safe too. */
    unsigned __int128 mag = num < 0 ? (unsigned __int128)0 - (unsigned __int128)num : (unsigned __int128)num;
    unsigned __int128 d = (unsigned __int128)den;
    unsigned __int128 q = mag / d, r = mag % d;
    if (r >= d - r) /* 2r ≥ d without overflow: half rounds away from zero */
        q++;
    if (q > (unsigned __int128)INT64_MAX)
        return MONEY_EOVERFLOW;
    *out = num < 0 ? -(int64_t)q : (int64_t)q;
    return MONEY_OK;
}

int64_t money_to_cents(int64_t ucad)
{
    return fixed_rhu(ucad, MONEY_UCAD_PER_CENT);
}

int money_cents_to_ucad(int64_t cents, int64_t *ucad)
{
    int64_t v;
    if (__builtin_mul_overflow(cents, MONEY_UCAD_PER_CENT, &v))
        return MONEY_EOVERFLOW;
    *ucad = v;
    return MONEY_OK;
}

int money_round_cent_ucad(int64_t ucad, int64_t *out)
{
    return money_cents_to_ucad(money_to_cents(ucad), out);
}

int money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t v;
    if (__builtin_add_overflow(a, b, &v))
        return MONEY_EOVERFLOW;
    *out = v;
    return MONEY_OK;
}

int money_sub(int64_t a, int64_t b, int64_t *out)
{
    int64_t v;
    if (__builtin_sub_overflow(a, b, &v))
        return MONEY_EOVERFLOW;
    *out = v;
    return MONEY_OK;
}

/* acc *= f in 128 bits, reporting overflow instead of wrapping. */
static int mul128(__int128 *acc, __int128 f)
{
    __int128 v;
    if (__builtin_mul_overflow(*acc, f, &v))
        return MONEY_EOVERFLOW;
    *acc = v;
    return MONEY_OK;
}

int money_mul_ppm(int64_t ucad, int64_t ppm, int64_t *out)
{
    return money_apply_ppm(ucad, &ppm, 1, out);
}

int money_apply_ppm(int64_t ucad, const int64_t *ppm, size_t n, int64_t *out)
{
    if (n > 4 || (n > 0 && !ppm))
        return MONEY_EINVAL;
    __int128 num = ucad, den = 1;
    for (size_t i = 0; i < n; i++) {
        if (ppm[i] < 0)
            return MONEY_EINVAL;
        if (mul128(&num, ppm[i]) || mul128(&den, MONEY_PPM_ONE))
            return MONEY_EOVERFLOW;
    }
    return money_rhu128(num, den, out);
}

/* ---- metering ---- */

static int rate_valid(const money_rate *r)
{
    return r && r->num_gpus >= 1 && r->rate_ucad_per_hour >= 0 && r->tier_ppm >= 0 && r->trust_ppm >= 0;
}

/* *out = RHU(a × b, d) for a, b ≥ 0 and d > 0, exact even when a × b does not fit in 128 bits:
 * with a = q·d + r, a × b / d = q·b + r·b / d, and only the second term needs rounding. */
static int muldiv_rhu(__int128 a, __int128 b, __int128 d, int64_t *out)
{
    __int128 p;
    if (!__builtin_mul_overflow(a, b, &p))
        return money_rhu128(p, d, out);
    __int128 q = a / d, r = a % d, hi, lo;
    int64_t frac;
    if (__builtin_mul_overflow(q, b, &hi) || __builtin_mul_overflow(r, b, &lo) || money_rhu128(lo, d, &frac) ||
        hi > INT64_MAX - frac)
        return MONEY_EOVERFLOW;
    *out = (int64_t)hi + frac;
    return MONEY_OK;
}

int money_meter(const money_rate *r, int64_t duration_us, int64_t *out)
{
    if (!rate_valid(r) || duration_us < 0)
        return MONEY_EINVAL;
    /* duration × GPUs × rate, times tier × trust, over 3.6·10^9 µs per hour × 10^12 (two ppm). */
    __int128 a = duration_us, b = r->tier_ppm;
    if (mul128(&a, r->num_gpus) || mul128(&a, r->rate_ucad_per_hour) || mul128(&b, r->trust_ppm))
        return MONEY_EOVERFLOW;
    return muldiv_rhu(a, b, (__int128)MONEY_US_PER_HOUR * MONEY_PPM_ONE * MONEY_PPM_ONE, out);
}

int money_effective_rate(const money_rate *r, int64_t *out)
{
    if (!rate_valid(r))
        return MONEY_EINVAL;
    __int128 acc = r->rate_ucad_per_hour;
    if (mul128(&acc, r->tier_ppm) || mul128(&acc, r->trust_ppm))
        return MONEY_EOVERFLOW;
    return money_rhu128(acc, (__int128)MONEY_PPM_ONE * MONEY_PPM_ONE, out);
}

int money_gpu_hours_e6(int64_t duration_us, int64_t num_gpus, int64_t *out)
{
    if (duration_us < 0 || num_gpus < 0)
        return MONEY_EINVAL;
    return money_rhu128((__int128)duration_us * num_gpus, 3600, out);
}

int money_hours_e4(int64_t duration_us, int64_t num_gpus, int64_t *out)
{
    if (duration_us < 0 || num_gpus < 0)
        return MONEY_EINVAL;
    return money_rhu128((__int128)duration_us * num_gpus * 10000, MONEY_US_PER_HOUR, out);
}

/* ---- platform cut and payouts ---- */

int money_platform_split(int64_t amount, int64_t cut_ppm, money_split *out)
{
    if (cut_ppm < 0 || cut_ppm >= MONEY_PPM_ONE || !out)
        return MONEY_EINVAL;
    int64_t fee;
    int rc = money_mul_ppm(amount, cut_ppm, &fee);
    if (rc)
        return rc;
    /* |fee| ≤ |amount| because cut < 1, so the difference cannot overflow. */
    out->platform_fee = fee;
    out->host_payout = amount - fee;
    return MONEY_OK;
}

int money_payout_gst(int64_t provider_payout, int64_t rate_ppm, bool has_gst_number, int64_t *out)
{
    if (rate_ppm < 0)
        return MONEY_EINVAL;
    if (!has_gst_number) {
        *out = 0;
        return MONEY_OK;
    }
    return money_mul_ppm(provider_payout, rate_ppm, out);
}

int money_payout_transfer(const int64_t *amounts, size_t n, int64_t *transfer_ucad, int64_t *carry_ucad)
{
    if (n > 0 && !amounts)
        return MONEY_EINVAL;
    int64_t sum = 0, transfer;
    for (size_t i = 0; i < n; i++)
        if (money_add(sum, amounts[i], &sum))
            return MONEY_EOVERFLOW;
    int rc = money_round_cent_ucad(sum, &transfer);
    if (rc)
        return rc;
    *transfer_ucad = transfer;
    *carry_ucad = sum - transfer; /* |carry| ≤ 5 000 */
    return MONEY_OK;
}

/* ---- escrow ---- */

int money_escrow_block(const money_rate *r, int64_t hold_us, int64_t max_duration_us, int64_t *out)
{
    if (hold_us <= 0)
        return MONEY_EINVAL;
    int64_t span = hold_us;
    if (max_duration_us > 0 && max_duration_us < span)
        span = max_duration_us;
    return money_meter(r, span, out);
}

int money_escrow_topup(const money_rate *r, int64_t elapsed_us, int64_t held, int64_t hold_us,
                       int64_t max_duration_us, int64_t *topup)
{
    if (elapsed_us < 0 || held < 0 || hold_us <= 0)
        return MONEY_EINVAL;
    int64_t so_far, next600, need, block;
    int rc;
    if ((rc = money_meter(r, elapsed_us, &so_far)) || (rc = money_meter(r, INT64_C(600000000), &next600)))
        return rc;
    if ((rc = money_add(so_far, next600, &need)))
        return rc;
    *topup = 0;
    if (need < held)
        return MONEY_OK;
    /* The block is the full hold period here: max_duration only caps the total. */
    if ((rc = money_meter(r, hold_us, &block)))
        return rc;
    if (max_duration_us > 0) {
        int64_t cap;
        if ((rc = money_meter(r, max_duration_us, &cap)))
            return rc;
        if (held >= cap)
            return MONEY_OK;
        if (block > cap - held)
            block = cap - held;
    }
    *topup = block;
    return MONEY_OK;
}

int money_escrow_settle(int64_t held, int64_t metered, money_settlement *out)
{
    if (held < 0 || metered < 0 || !out)
        return MONEY_EINVAL;
    out->cost = metered < held ? metered : held;
    out->uncollected = metered - out->cost;
    out->release = held - out->cost;
    return MONEY_OK;
}

/* ---- refunds ---- */

int64_t money_refund_ppm(enum jobstate_failure_class c)
{
    return (int64_t)jobstate_failure_of(c).refund_pct * 10000;
}

bool money_refund_is_host_fault(enum jobstate_failure_class c)
{
    return jobstate_failure_of(c).fault == JOB_FAULT_HOST;
}

int money_refund_compute(int64_t cost, int64_t pct_ppm, int64_t cut_ppm, money_refund *out)
{
    if (pct_ppm < 0 || pct_ppm > MONEY_PPM_ONE || cut_ppm < 0 || cut_ppm >= MONEY_PPM_ONE || !out)
        return MONEY_EINVAL;
    int64_t amount;
    money_split s;
    int rc;
    if ((rc = money_mul_ppm(cost, pct_ppm, &amount)) || (rc = money_platform_split(amount, cut_ppm, &s)))
        return rc;
    out->amount = amount;
    out->fee_refund = s.platform_fee;
    out->payout_clawback = s.host_payout;
    return MONEY_OK;
}

/* ---- rendering ---- */

/* Magnitude of v as unsigned, safe for INT64_MIN. */
static unsigned long long mag64(int64_t v)
{
    return v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
}

char *money_fmt_cents(int64_t cents, char *buf, size_t bufsz)
{
    unsigned long long m = mag64(cents);
    snprintf(buf, bufsz, "%s%llu.%02llu", cents < 0 ? "-" : "", m / 100, m % 100);
    return buf;
}

char *money_fmt_cents_grouped(int64_t cents, char *buf, size_t bufsz)
{
    unsigned long long m = mag64(cents), whole = m / 100;
    char digits[32], grouped[48];
    int nd = snprintf(digits, sizeof digits, "%llu", whole);
    size_t g = 0;
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    snprintf(buf, bufsz, "%s%s.%02llu", cents < 0 ? "-" : "", grouped, m % 100);
    return buf;
}

char *money_display(int64_t ucad, char *buf, size_t bufsz)
{
    unsigned long long m = mag64(ucad);
    if (m != 0 && m < (unsigned long long)MONEY_UCAD_PER_CENT) {
        snprintf(buf, bufsz, "%s0.%06llu", ucad < 0 ? "-" : "", m);
        return buf;
    }
    return money_fmt_cents(money_to_cents(ucad), buf, bufsz);
}
