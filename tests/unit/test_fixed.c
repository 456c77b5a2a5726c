#include <criterion/criterion.h>

#include "common/fixed.h"

Test(fixed, format_trims_and_keeps_one_decimal)
{
    char b[40];
    cr_assert_str_eq(money_fmt(305, b, sizeof b), "0.000305");
    cr_assert_str_eq(money_fmt(200000, b, sizeof b), "0.2");
    cr_assert_str_eq(money_fmt(0, b, sizeof b), "0.0");
    cr_assert_str_eq(money_fmt(-1500000, b, sizeof b), "-1.5");
    cr_assert_str_eq(vram_fmt(24000, b, sizeof b), "24.0");
    cr_assert_str_eq(vram_fmt(23990, b, sizeof b), "23.99");
    cr_assert_str_eq(ts_fmt(1767225600500000, b, sizeof b), "1767225600.5");
    cr_assert_str_eq(fixed_fmt(INT64_MIN, 6, b, sizeof b), "-9223372036854.775808");
}

Test(fixed, parse_is_exact_and_rounds_half_away)
{
    int64_t v;
    cr_assert_eq(fixed_parse("0.1", 6, &v), 0);
    cr_assert_eq(v, 100000);
    cr_assert_eq(fixed_parse("1.0000005", 6, &v), 0);
    cr_assert_eq(v, 1000001);
    cr_assert_eq(fixed_parse("-1.0000005", 6, &v), 0);
    cr_assert_eq(v, -1000001);
    cr_assert_eq(fixed_parse("5e-07", 6, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(fixed_parse("1.5E3", 3, &v), 0);
    cr_assert_eq(v, 1500000);
    cr_assert_eq(fixed_parse("007.25", 2, &v), 0);
    cr_assert_eq(v, 725);
    cr_assert_lt(fixed_parse("abc", 6, &v), 0);
    cr_assert_lt(fixed_parse("1.2.3", 6, &v), 0);
    cr_assert_lt(fixed_parse("", 6, &v), 0);
    cr_assert_lt(fixed_parse("99999999999999999999", 6, &v), 0);
    cr_assert_lt(fixed_parse("1e400", 6, &v), 0);
}

Test(fixed, doubles_recover_their_shortest_text)
{
    int64_t v;
    cr_assert_eq(fixed_from_double(0.1, 6, &v), 0);
    cr_assert_eq(v, 100000);
    cr_assert_eq(fixed_from_double(1.865, 6, &v), 0);
    cr_assert_eq(v, 1865000);
    cr_assert_eq(fixed_from_double(23.99, 3, &v), 0);
    cr_assert_eq(v, 23990);
    cr_assert_lt(fixed_from_double(1e300, 6, &v), 0);
}

Test(fixed, rhu_examples)
{
    cr_assert_eq(fixed_rhu(4583, 10), 458);
    cr_assert_eq(fixed_rhu(37500, 10000), 4);
    cr_assert_eq(fixed_rhu(-37500, 10000), -4);
    cr_assert_eq(fixed_rhu(5, 10), 1);
}
