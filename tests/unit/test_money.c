#include <criterion/criterion.h>
#include <string.h>

#include "common/fixed.h"
#include "core/money.h"

#define CAD(x) ((int64_t)((x) * 1000000LL))
#define S_(s) ((int64_t)(s) * 1000000)

/* Deterministic PRNG (splitmix64) for property tests. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static money_rate rate(int64_t gpus, int64_t rate_ucad, int64_t tier, int64_t trust)
{
    return (money_rate){gpus, rate_ucad, tier, trust};
}

Test(money, rhu_spec_examples)
{
    int64_t v;
    cr_assert_eq(money_rhu128(4583, 10, &v), 0);
    cr_assert_eq(v, 458);
    cr_assert_eq(money_rhu128(4585, 10, &v), 0);
    cr_assert_eq(v, 459);
    cr_assert_eq(money_rhu128(-4585, 10, &v), 0);
    cr_assert_eq(v, -459);
    cr_assert_eq(money_rhu128(-4584, 10, &v), 0);
    cr_assert_eq(v, -458);
    cr_assert_eq(money_to_cents(37500), 4); /* 0.0375 CAD → 4 cents */
    cr_assert_eq(money_to_cents(1865000), 187); /* 1.865 → 1.87, not 1.86 */
    cr_assert_eq(money_to_cents(-1865000), -187);
    cr_assert_eq(money_to_cents(5000), 1);
    cr_assert_eq(money_to_cents(4999), 0);
    cr_assert_eq(money_to_cents(INT64_MAX), 922337203685478);
    cr_assert_eq(money_to_cents(INT64_MIN), -922337203685478);
    cr_assert_eq(money_round_cent_ucad(1865000, &v), 0);
    cr_assert_eq(v, 1870000);
    /* agrees with fixed_rhu on ordinary values */
    rng_state = 7;
    for (int i = 0; i < 10000; i++) {
        int64_t n = (int64_t)(rnd() % 2000000000000ULL) - 1000000000000LL;
        int64_t d = (int64_t)(rnd() % 1000000) + 1;
        cr_assert_eq(money_rhu128(n, d, &v), 0);
        cr_assert_eq(v, fixed_rhu(n, d), "n=%lld d=%lld", (long long)n, (long long)d);
    }
}

Test(money, rhu_overflow_and_invalid)
{
    int64_t v = 42;
    cr_assert_eq(money_rhu128((__int128)INT64_MAX * 4, 2, &v), MONEY_EOVERFLOW);
    cr_assert_eq(v, 42, "untouched on error");
    cr_assert_eq(money_rhu128(-((__int128)INT64_MAX * 4), 2, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_rhu128((__int128)INT64_MAX, 1, &v), 0);
    cr_assert_eq(v, INT64_MAX);
    cr_assert_eq(money_rhu128(1, 0, &v), MONEY_EINVAL);
    cr_assert_eq(money_rhu128(1, -3, &v), MONEY_EINVAL);
    __int128 huge = ((__int128)1 << 126);
    cr_assert_eq(money_rhu128(huge, huge, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(money_rhu128(huge, 3, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_cents_to_ucad(INT64_MAX / 10000 + 1, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_cents_to_ucad(-(INT64_MAX / 10000) - 2, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_round_cent_ucad(INT64_MAX, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_add(INT64_MAX, 1, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_sub(INT64_MIN, 1, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_add(2, 3, &v), 0);
    cr_assert_eq(v, 5);
    cr_assert_str_eq(money_strerror(MONEY_EOVERFLOW), "amount out of range");
    cr_assert_str_eq(money_strerror(-99), "unknown status");
}

Test(money, ppm_multipliers_single_rounding)
{
    int64_t v;
    int64_t f[3] = {1150000, 1500000, 700000};
    /* 0.000001 CAD × 1.15 × 1.5 × 0.7 = 1.2075 µ → 1 (one rounding); rounding each step would give 2. */
    cr_assert_eq(money_apply_ppm(1, f, 3, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(money_apply_ppm(450000, (int64_t[]){1350000}, 1, &v), 0);
    cr_assert_eq(v, 607500);
    cr_assert_eq(money_apply_ppm(450000, NULL, 0, &v), 0);
    cr_assert_eq(v, 450000);
    cr_assert_eq(money_mul_ppm(100000000, 200000, &v), 0);
    cr_assert_eq(v, 20000000);
    cr_assert_eq(money_mul_ppm(-575000, 500000, &v), 0);
    cr_assert_eq(v, -287500);
    cr_assert_eq(money_mul_ppm(1, -1, &v), MONEY_EINVAL);
    cr_assert_eq(money_apply_ppm(1, f, 5, &v), MONEY_EINVAL);
    cr_assert_eq(money_mul_ppm(INT64_MAX, 2000000, &v), MONEY_EOVERFLOW);
    int64_t big[4] = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    cr_assert_eq(money_apply_ppm(INT64_MAX, big, 4, &v), MONEY_EOVERFLOW);
}

Test(money, metering_spec_examples)
{
    int64_t v;
    money_rate r = rate(1, CAD(0.50), 1000000, 1150000);
    cr_assert_eq(money_meter(&r, S_(3600), &v), 0);
    cr_assert_eq(v, 575000); /* 3600 s × 0.50 × residency */
    r = rate(1, CAD(1.50), 1000000, 1000000);
    cr_assert_eq(money_meter(&r, S_(1800), &v), 0);
    cr_assert_eq(v, 750000);
    r = rate(1, CAD(0.50), 1000000, 1350000);
    cr_assert_eq(money_meter(&r, S_(3600), &v), 0);
    cr_assert_eq(v, 675000);
    r = rate(1, CAD(1.00), 1500000, 1000000);
    cr_assert_eq(money_meter(&r, 1100000, &v), 0);
    cr_assert_eq(v, 458); /* 1.1 s × 1.00 × premium */
    money_split s;
    cr_assert_eq(money_platform_split(v, 200000, &s), 0);
    cr_assert_eq(s.platform_fee, 92);
    cr_assert_eq(s.host_payout, 366);
    cr_assert_eq(money_effective_rate(&r, &v), 0);
    cr_assert_eq(v, 1500000);
    cr_assert_eq(money_gpu_hours_e6(1100000, 1, &v), 0);
    cr_assert_eq(v, 306); /* 0.000306 */
    /* urgent, 4 GPUs, regulated, 2 h at 3.50 → 3.5 × 2 × 4 × 2.0 × 1.6 = 89.6 */
    r = rate(4, CAD(3.50), 2000000, 1600000);
    cr_assert_eq(money_meter(&r, S_(7200), &v), 0);
    cr_assert_eq(v, 89600000);
    cr_assert_eq(money_meter(&r, 0, &v), 0);
    cr_assert_eq(v, 0);
    /* MK-06: 1.00 for 3600 s, cut 0.20 */
    r = rate(1, CAD(1.00), 1000000, 1000000);
    cr_assert_eq(money_meter(&r, S_(3600), &v), 0);
    cr_assert_eq(v, 1000000);
    cr_assert_eq(money_platform_split(v, 200000, &s), 0);
    cr_assert_eq(s.platform_fee, 200000);
    cr_assert_eq(s.host_payout, 800000);
    char buf[32];
    cr_assert_str_eq(money_fmt(458, buf, sizeof buf), "0.000458");
    cr_assert_str_eq(money_fmt(200000, buf, sizeof buf), "0.2");
}

Test(money, hours_e4)
{
    int64_t v;
    cr_assert_eq(money_hours_e4(S_(3600), 1, &v), 0);
    cr_assert_eq(v, 10000);
    cr_assert_eq(money_hours_e4(S_(1800), 1, &v), 0);
    cr_assert_eq(v, 5000);
    cr_assert_eq(money_hours_e4(S_(1800), 2, &v), 0);
    cr_assert_eq(v, 10000);
    cr_assert_eq(money_hours_e4(180000, 1, &v), 0); /* 0.18 s = 0.00005 h → 0.0001 half-up */
    cr_assert_eq(v, 1);
    cr_assert_eq(money_hours_e4(-1, 1, &v), MONEY_EINVAL);
}

Test(money, metering_rejects_bad_and_absurd_input)
{
    int64_t v = 7;
    money_rate r = rate(1, CAD(1.0), 1000000, 1000000);
    cr_assert_eq(money_meter(&r, -1, &v), MONEY_EINVAL);
    cr_assert_eq(money_meter(NULL, 1, &v), MONEY_EINVAL);
    money_rate bad = rate(0, CAD(1.0), 1000000, 1000000);
    cr_assert_eq(money_meter(&bad, 1, &v), MONEY_EINVAL);
    bad = rate(1, -1, 1000000, 1000000);
    cr_assert_eq(money_meter(&bad, 1, &v), MONEY_EINVAL);
    money_rate absurd = rate(INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX);
    cr_assert_eq(money_meter(&absurd, INT64_MAX, &v), MONEY_EOVERFLOW);
    cr_assert_eq(money_effective_rate(&absurd, &v), MONEY_EOVERFLOW);
    /* product fits in 128 bits but the result does not fit in int64 */
    money_rate big = rate(1000000, INT64_C(1000000000000000), 2000000, 1600000);
    cr_assert_eq(money_meter(&big, INT64_C(3600000000000000), &v), MONEY_EOVERFLOW);
    cr_assert_eq(v, 7, "output untouched on error");
    /* ten years of 1024 GPUs at 1000 CAD/h urgent regulated still computes */
    money_rate large = rate(1024, CAD(1000), 2000000, 1600000);
    cr_assert_eq(money_meter(&large, INT64_C(315360000000000), &v), 0);
    cr_assert_eq(v, INT64_C(87600) * 1024 * 1000 * 32 / 10 * 1000000);
    /* numerator beyond 128 bits, exact rounding (reference value computed with big integers) */
    money_rate odd = rate(1024, 999999999, 1500000, 1150000);
    cr_assert_eq(money_meter(&odd, INT64_C(315360000000001), &v), 0);
    cr_assert_eq(v, INT64_C(154736639845263851));
    odd = rate(7, 333333333, 1999999, 1600001);
    cr_assert_eq(money_meter(&odd, INT64_C(123456789012345), &v), 0);
    cr_assert_eq(v, INT64_C(256058557110115));
}

Test(money, platform_split_and_payouts)
{
    money_split s;
    cr_assert_eq(money_platform_split(CAD(100), 200000, &s), 0);
    cr_assert_eq(s.platform_fee, CAD(20));
    cr_assert_eq(s.host_payout, CAD(80));
    cr_assert_eq(money_platform_split(CAD(1), 1000000, &s), MONEY_EINVAL);
    cr_assert_eq(money_platform_split(CAD(1), -1, &s), MONEY_EINVAL);
    cr_assert_eq(money_platform_split(-575000, 200000, &s), 0);
    cr_assert_eq(s.platform_fee, -115000);
    cr_assert_eq(s.host_payout, -460000);
    cr_assert_eq(money_platform_split(INT64_MIN, 999999, &s), 0);
    cr_assert_eq(s.platform_fee + s.host_payout, INT64_MIN);
    int64_t g;
    cr_assert_eq(money_payout_gst(CAD(80), 130000, true, &g), 0);
    cr_assert_eq(g, CAD(10.40));
    cr_assert_eq(money_payout_gst(CAD(80), 130000, false, &g), 0);
    cr_assert_eq(g, 0);
    int64_t t, carry;
    int64_t amounts[] = {5000, 3, 800000};
    cr_assert_eq(money_payout_transfer(amounts, 3, &t, &carry), 0);
    cr_assert_eq(t, 810000);
    cr_assert_eq(carry, -4997);
    int64_t a2[] = {366, 366, 366};
    cr_assert_eq(money_payout_transfer(a2, 3, &t, &carry), 0);
    cr_assert_eq(t, 0);
    cr_assert_eq(carry, 1098);
    int64_t a3[] = {INT64_MAX, 1};
    cr_assert_eq(money_payout_transfer(a3, 2, &t, &carry), MONEY_EOVERFLOW);
    cr_assert_eq(money_payout_transfer(NULL, 0, &t, &carry), 0);
    cr_assert_eq(t, 0);
    /* property: split and transfer conserve money */
    rng_state = 11;
    for (int i = 0; i < 5000; i++) {
        int64_t amt = (int64_t)(rnd() % 2000000000000ULL) - 1000000000000LL;
        int64_t cut = (int64_t)(rnd() % 1000000);
        cr_assert_eq(money_platform_split(amt, cut, &s), 0);
        cr_assert_eq(s.platform_fee + s.host_payout, amt);
        int64_t xs[4];
        for (int j = 0; j < 4; j++)
            xs[j] = (int64_t)(rnd() % 100000000ULL) - 50000000;
        cr_assert_eq(money_payout_transfer(xs, 4, &t, &carry), 0);
        cr_assert_eq(t % 10000, 0);
        cr_assert_eq(t + carry, xs[0] + xs[1] + xs[2] + xs[3]);
        cr_assert(carry <= 5000 && carry >= -5000);
    }
}

Test(money, escrow_block)
{
    int64_t b;
    money_rate a100 = rate(1, CAD(1.50), 1000000, 1000000);
    cr_assert_eq(money_escrow_block(&a100, MONEY_US_PER_HOUR, 0, &b), 0);
    cr_assert_eq(b, 1500000); /* ESC-01: held 1.5 */
    cr_assert_eq(money_escrow_block(&a100, MONEY_US_PER_HOUR, MONEY_US_PER_HOUR / 2, &b), 0);
    cr_assert_eq(b, 750000); /* max_duration 0.5 h < 1 h */
    cr_assert_eq(money_escrow_block(&a100, MONEY_US_PER_HOUR, 3 * MONEY_US_PER_HOUR, &b), 0);
    cr_assert_eq(b, 1500000);
    money_rate r2 = rate(2, CAD(0.50), 1500000, 1150000);
    cr_assert_eq(money_escrow_block(&r2, 2 * MONEY_US_PER_HOUR, 0, &b), 0);
    cr_assert_eq(b, 3450000); /* 2 h × 2 GPUs × 0.5 × 1.5 × 1.15 */
    cr_assert_eq(money_escrow_block(&r2, 0, 0, &b), MONEY_EINVAL);
}

Test(money, escrow_settle_flows)
{
    money_settlement s;
    /* ESC-02: held 1.50, ran 1800 s at 1.50 → cost 0.75, release 0.75 */
    cr_assert_eq(money_escrow_settle(1500000, 750000, &s), 0);
    cr_assert_eq(s.cost, 750000);
    cr_assert_eq(s.release, 750000);
    cr_assert_eq(s.uncollected, 0);
    /* never ran: full release, no charge */
    cr_assert_eq(money_escrow_settle(1500000, 0, &s), 0);
    cr_assert_eq(s.cost, 0);
    cr_assert_eq(s.release, 1500000);
    /* settle > hold: capped at the hold, shortfall recorded as uncollected */
    cr_assert_eq(money_escrow_settle(1000000, 1200000, &s), 0);
    cr_assert_eq(s.cost, 1000000);
    cr_assert_eq(s.release, 0);
    cr_assert_eq(s.uncollected, 200000);
    cr_assert_eq(money_escrow_settle(-1, 0, &s), MONEY_EINVAL);
    cr_assert_eq(money_escrow_settle(0, -1, &s), MONEY_EINVAL);
    rng_state = 3;
    for (int i = 0; i < 5000; i++) {
        int64_t held = (int64_t)(rnd() % 100000000000ULL), metered = (int64_t)(rnd() % 100000000000ULL);
        cr_assert_eq(money_escrow_settle(held, metered, &s), 0);
        cr_assert(s.cost <= held && s.cost <= metered && s.cost >= 0);
        cr_assert_eq(s.cost + s.release, held);
        cr_assert_eq(s.cost + s.uncollected, metered);
        cr_assert(s.release >= 0 && s.uncollected >= 0);
        cr_assert(s.release == 0 || s.uncollected == 0);
    }
}

Test(money, escrow_topup)
{
    int64_t t;
    money_rate a100 = rate(1, CAD(1.50), 1000000, 1000000);
    /* held 1.5; at 2999 s metered 1.249375 + 0.25 < 1.5 → nothing */
    cr_assert_eq(money_escrow_topup(&a100, S_(2999), 1500000, MONEY_US_PER_HOUR, 0, &t), 0);
    cr_assert_eq(t, 0);
    /* at 3000 s: 1.25 + 0.25 = 1.5 ≥ 1.5 → one more block */
    cr_assert_eq(money_escrow_topup(&a100, S_(3000), 1500000, MONEY_US_PER_HOUR, 0, &t), 0);
    cr_assert_eq(t, 1500000);
    /* max 1.5 h caps the total hold at 2.25 → top-up 0.75 */
    cr_assert_eq(money_escrow_topup(&a100, S_(3000), 1500000, MONEY_US_PER_HOUR, 3 * MONEY_US_PER_HOUR / 2, &t), 0);
    cr_assert_eq(t, 750000);
    /* already at the cap → nothing */
    cr_assert_eq(money_escrow_topup(&a100, S_(5000), 2250000, MONEY_US_PER_HOUR, 3 * MONEY_US_PER_HOUR / 2, &t), 0);
    cr_assert_eq(t, 0);
    cr_assert_eq(money_escrow_topup(&a100, -1, 0, MONEY_US_PER_HOUR, 0, &t), MONEY_EINVAL);
}

Test(money, refund_percentages_by_class)
{
    /* §25.7: hardware_error 1.0, gpu_error 1.0, host_lost 1.0, network_error 0.5, unknown 0.5,
     * user classes 0; is_host_fault for hardware_error, gpu_error, network_error, host_lost */
    const struct {
        enum jobstate_failure_class c;
        int64_t ppm;
        bool host;
    } rows[] = {
        {JOB_FAIL_HARDWARE_ERROR, 1000000, true}, {JOB_FAIL_GPU_ERROR, 1000000, true},
        {JOB_FAIL_HOST_LOST, 1000000, true},      {JOB_FAIL_NETWORK_ERROR, 500000, true},
        {JOB_FAIL_UNKNOWN, 500000, false},        {JOB_FAIL_USER_OOM, 0, false},
        {JOB_FAIL_USER_CODE_ERROR, 0, false},     {JOB_FAIL_IMAGE_ERROR, 0, false},
        {JOB_FAIL_POLICY_VIOLATION, 0, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cr_assert_eq(money_refund_ppm(rows[i].c), rows[i].ppm, "row %zu", i);
        cr_assert_eq(money_refund_is_host_fault(rows[i].c), rows[i].host, "row %zu", i);
    }
    /* §25.7 example: metered 0.575, exit −1, `hardware failure` → hardware_error, refund 0.575 */
    struct jobstate_failure f = jobstate_classify(true, -1, "hardware failure");
    cr_assert_eq(f.cls, JOB_FAIL_HARDWARE_ERROR);
    money_refund r;
    cr_assert_eq(money_refund_compute(575000, money_refund_ppm(f.cls), 200000, &r), 0);
    cr_assert_eq(r.amount, 575000);
    /* exit 137 → user_oom, nothing */
    f = jobstate_classify(true, 137, "");
    cr_assert_eq(money_refund_compute(575000, money_refund_ppm(f.cls), 200000, &r), 0);
    cr_assert_eq(r.amount, 0);
    /* exit 1, `GPU timeout` → network_error, half */
    f = jobstate_classify(true, 1, "GPU timeout");
    cr_assert_eq(money_refund_compute(575000, money_refund_ppm(f.cls), 200000, &r), 0);
    cr_assert_eq(r.amount, 287500);
    /* exit 0, "" → unknown, half */
    f = jobstate_classify(true, 0, "");
    cr_assert_eq(money_refund_ppm(f.cls), 500000);
}

Test(money, refunds)
{
    money_refund r;
    /* metered 0.575, hardware_error → 100 % */
    cr_assert_eq(money_refund_compute(575000, 1000000, 200000, &r), 0);
    cr_assert_eq(r.amount, 575000);
    cr_assert_eq(r.fee_refund, 115000);
    cr_assert_eq(r.payout_clawback, 460000);
    cr_assert_eq(money_refund_compute(750000, 500000, 200000, &r), 0);
    cr_assert_eq(r.amount, 375000);
    cr_assert_eq(money_refund_compute(458, 500000, 200000, &r), 0);
    cr_assert_eq(r.amount, 229);
    cr_assert_eq(r.fee_refund, 46); /* 45.8 → 46 */
    cr_assert_eq(r.payout_clawback, 183);
    cr_assert_eq(money_refund_compute(575000, 0, 200000, &r), 0);
    cr_assert_eq(r.amount, 0);
    cr_assert_eq(money_refund_compute(1, 1000001, 0, &r), MONEY_EINVAL);
    cr_assert_eq(money_refund_compute(1, 1000000, 1000000, &r), MONEY_EINVAL);
}

Test(money, display_for_humans)
{
    char b[48];
    cr_assert_str_eq(money_display(1865000, b, sizeof b), "1.87");
    cr_assert_str_eq(money_display(458, b, sizeof b), "0.000458");
    cr_assert_str_eq(money_display(-458, b, sizeof b), "-0.000458");
    cr_assert_str_eq(money_display(9999, b, sizeof b), "0.009999");
    cr_assert_str_eq(money_display(10000, b, sizeof b), "0.01");
    cr_assert_str_eq(money_display(0, b, sizeof b), "0.00");
    cr_assert_str_eq(money_display(-500000, b, sizeof b), "-0.50");
    cr_assert_str_eq(money_display(100000000, b, sizeof b), "100.00");
    cr_assert_str_eq(money_display(37500, b, sizeof b), "0.04");
    cr_assert_str_eq(money_display(INT64_MAX, b, sizeof b), "9223372036854.78");
    cr_assert_str_eq(money_display(INT64_MIN, b, sizeof b), "-9223372036854.78");
    cr_assert_str_eq(money_fmt_cents(68, b, sizeof b), "0.68");
    cr_assert_str_eq(money_fmt_cents(-150, b, sizeof b), "-1.50");
    cr_assert_str_eq(money_fmt_cents(5, b, sizeof b), "0.05");
    cr_assert_str_eq(money_fmt_cents_grouped(0, b, sizeof b), "0.00");
    cr_assert_str_eq(money_fmt_cents_grouped(3000000, b, sizeof b), "30,000.00");
    cr_assert_str_eq(money_fmt_cents_grouped(99999, b, sizeof b), "999.99");
    cr_assert_str_eq(money_fmt_cents_grouped(100000, b, sizeof b), "1,000.00");
    cr_assert_str_eq(money_fmt_cents_grouped(123456789, b, sizeof b), "1,234,567.89");
    cr_assert_str_eq(money_fmt_cents_grouped(-123456789, b, sizeof b), "-1,234,567.89");
    cr_assert_str_eq(money_fmt_cents_grouped(INT64_MIN, b, sizeof b), "-92,233,720,368,547,758.08");
}
