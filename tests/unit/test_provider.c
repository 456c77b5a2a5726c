/* core/provider: business numbers, provider states, and the payout arithmetic of domain §25.9
 * (platform split and transfer rounding) as properties over random records. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/money.h"
#include "core/provider.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

Test(provider, business_numbers)
{
    char out[16];
    cr_assert_eq(provider_bn_normalise("123456789", out, sizeof out), 0);
    cr_assert_str_eq(out, "123456789");
    cr_assert_eq(provider_bn_normalise("123 456 789 rc 0001", out, sizeof out), 0);
    cr_assert_str_eq(out, "123456789RC0001");
    const char *bad_bn[] = {"", "12345678", "1234567890", "12345678X", "123456789R0001", "123456789RC001",
                            "123456789R10001", "123456789RC00011", "１２３４５６７８９", NULL};
    for (int i = 0; bad_bn[i]; i++)
        cr_assert_lt(provider_bn_normalise(bad_bn[i], out, sizeof out), 0, "%s", bad_bn[i]);
    cr_assert_eq(provider_gst_normalise("123456789RT0001", out, sizeof out), 0);
    cr_assert_str_eq(out, "123456789RT0001");
    cr_assert_eq(provider_gst_normalise("123-456-789-rt-0001", out, sizeof out), 0);
    cr_assert_str_eq(out, "123456789RT0001");
    const char *bad_gst[] = {"", "123456789", "123456789RC0001", "123456789RT001", "12345678RT0001",
                             "123456789RTX001", "A23456789RT0001", "123456789RT00010", NULL};
    for (int i = 0; bad_gst[i]; i++)
        cr_assert_lt(provider_gst_normalise(bad_gst[i], out, sizeof out), 0, "%s", bad_gst[i]);
    cr_assert(provider_gst_matches_bn("123456789RT0001", "123456789"));
    cr_assert(provider_gst_matches_bn("123456789RT0001", "123456789RC0001"));
    cr_assert_not(provider_gst_matches_bn("123456789RT0001", "987654321"));
}

Test(provider, states_and_types_round_trip)
{
    for (int i = 0; i < PROVIDER__COUNT; i++) {
        enum providerstate s;
        cr_assert_eq(providerstate_parse(providerstate_name((enum providerstate)i), &s), 0);
        cr_assert_eq((int)s, i);
    }
    enum provider_type t;
    cr_assert_eq(provider_type_parse("company", &t), 0);
    cr_assert_eq(t, PROVIDER_TYPE_COMPANY);
    cr_assert_lt(provider_type_parse("Company", &t), 0);
    cr_assert_lt(providerstate_parse(NULL, &(enum providerstate){0}), 0);
    cr_assert_null(providerstate_name(PROVIDER__COUNT));
}

/* Over random records: fee + payout = gross exactly; the GST/HST is RHU(payout × rate); and a
 * transfer of any set of rows pays Σ rounded half-up to the cent, the carry making up the rest
 * exactly, never more than half a cent. */
Test(provider, payout_arithmetic_property)
{
    rng_state = 11;
    for (int round = 0; round < 2000; round++) {
        int64_t due[64], sum = 0;
        size_t n = 1 + rnd() % 64;
        int64_t cut = (int64_t)(rnd() % 1000000);
        for (size_t i = 0; i < n; i++) {
            int64_t gross = (int64_t)(rnd() % INT64_C(5000000000)); /* up to 5000 CAD */
            if (rnd() % 8 == 0)
                gross = -gross; /* a clawback */
            money_split sp;
            cr_assert_eq(money_platform_split(gross, cut, &sp), MONEY_OK);
            cr_assert_eq(sp.platform_fee + sp.host_payout, gross);
            int64_t gst, want;
            int64_t rate = (int64_t)(rnd() % 160000); /* up to 16 % */
            cr_assert_eq(money_payout_gst(sp.host_payout, rate, true, &gst), MONEY_OK);
            cr_assert_eq(money_mul_ppm(sp.host_payout, rate, &want), MONEY_OK);
            cr_assert_eq(gst, want);
            cr_assert_eq(money_payout_gst(sp.host_payout, rate, false, &gst), MONEY_OK);
            cr_assert_eq(gst, 0);
            cr_assert_eq(money_payout_gst(sp.host_payout, rate, round % 2, &gst), MONEY_OK);
            cr_assert_eq(provider_payout_due(sp.host_payout, gst, &due[i]), MONEY_OK);
            cr_assert_eq(due[i], sp.host_payout + gst);
            sum += due[i];
        }
        int64_t transfer, carry;
        cr_assert_eq(money_payout_transfer(due, n, &transfer, &carry), MONEY_OK);
        cr_assert_eq(transfer + carry, sum);
        cr_assert_eq(transfer % MONEY_UCAD_PER_CENT, 0);
        cr_assert(carry >= -5000 && carry < 5000, "carry %lld", (long long)carry);
        cr_assert_eq(transfer, money_to_cents(sum) * MONEY_UCAD_PER_CENT);
        /* Paying the carry later with new rows keeps the books exact: Σ transfers + carry = Σ rows. */
        int64_t next[2] = {carry, due[0]}, t2, c2;
        cr_assert_eq(money_payout_transfer(next, 2, &t2, &c2), MONEY_OK);
        cr_assert_eq(transfer + t2 + c2, sum + due[0]);
    }
    int64_t t, c, v = INT64_MAX;
    int64_t two[2] = {v, 1};
    cr_assert_eq(money_payout_transfer(two, 2, &t, &c), MONEY_EOVERFLOW);
    cr_assert_eq(provider_payout_due(INT64_MAX, 1, &t), MONEY_EOVERFLOW);
}
