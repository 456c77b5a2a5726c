/* Settling one attempt: charge, uncollected remainder and split, by example and as properties over
 * many random inputs (fee + payout = cost to the µCAD; cost ≤ metered; escrow caps; host loss). */
#include <criterion/criterion.h>

#include "common/errors.h"
#include "core/settle.h"

static money_rate R(int64_t gpus, int64_t rate) { return (money_rate){gpus, rate, 1000000, 1000000}; }

Test(settle, one_gpu_hour_operator_job)
{
    struct settle_in in = {.rate = R(1, 1500000), .duration_us = 3600000000LL, .platform_cut_ppm = 200000};
    struct settle_out o;
    cr_assert_eq(settle_attempt(&in, &o), 0);
    cr_assert_eq(o.metered_cost, 1500000);
    cr_assert_eq(o.cost, 1500000);
    cr_assert_eq(o.uncollected, 0);
    cr_assert_eq(o.platform_fee, 300000);
    cr_assert_eq(o.host_payout, 1200000);
}

Test(settle, escrow_caps_the_charge_and_the_rest_is_uncollected)
{
    struct settle_in in = {.rate = R(2, 1000000), .duration_us = 3600000000LL, .escrowed = true, .held = 1500000,
                           .platform_cut_ppm = 200000};
    struct settle_out o;
    cr_assert_eq(settle_attempt(&in, &o), 0);
    cr_assert_eq(o.metered_cost, 2000000);
    cr_assert_eq(o.cost, 1500000);
    cr_assert_eq(o.uncollected, 500000);
}

Test(settle, host_lost_is_never_charged)
{
    struct settle_in in = {.rate = R(1, 1000000), .duration_us = 7200000000LL, .escrowed = true, .held = 9000000,
                           .host_lost = true, .platform_cut_ppm = 200000};
    struct settle_out o;
    cr_assert_eq(settle_attempt(&in, &o), 0);
    cr_assert(o.metered_cost > 0);
    cr_assert_eq(o.cost, 0);
    cr_assert_eq(o.uncollected, 0);
    cr_assert_eq(o.platform_fee + o.host_payout, 0);
}

Test(settle, bad_inputs)
{
    struct settle_out o;
    struct settle_in in = {.rate = R(1, 1000000), .duration_us = -1, .platform_cut_ppm = 200000};
    cr_assert_eq(settle_attempt(&in, &o), XC_EINVAL);
    in.duration_us = 1;
    in.platform_cut_ppm = 1000000;
    cr_assert_eq(settle_attempt(&in, &o), XC_EINVAL);
    in.platform_cut_ppm = 0;
    in.escrowed = true;
    in.held = -5;
    cr_assert_eq(settle_attempt(&in, &o), XC_EINVAL);
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

Test(settle, properties_over_random_inputs)
{
    for (int i = 0; i < 200000; i++) {
        struct settle_in in = {.rate = {1 + (int64_t)(next() % 8), (int64_t)(next() % 50000000),
                                        500000 + (int64_t)(next() % 1500000), 1000000 + (int64_t)(next() % 500000)},
                               .duration_us = (int64_t)(next() % (30LL * 24 * 3600 * 1000000)),
                               .escrowed = next() % 2,
                               .held = (int64_t)(next() % 100000000000LL),
                               .host_lost = next() % 10 == 0,
                               .platform_cut_ppm = (int64_t)(next() % 1000000)};
        struct settle_out o;
        cr_assert_eq(settle_attempt(&in, &o), 0);
        cr_assert_eq(o.platform_fee + o.host_payout, o.cost, "split must add up to the cent");
        cr_assert(o.cost >= 0 && o.cost <= o.metered_cost);
        cr_assert(!in.escrowed || o.cost <= in.held);
        cr_assert(!in.host_lost || o.cost == 0);
        cr_assert_eq(o.uncollected, in.host_lost ? 0 : o.metered_cost - o.cost);
        cr_assert(o.platform_fee >= 0 && o.host_payout >= 0);
    }
}
