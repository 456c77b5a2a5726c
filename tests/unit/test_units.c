#include <criterion/criterion.h>

#include "common/fixed.h"
#include "common/units.h"

/* The factors and the decimal scales describe the same units. */
Test(units, factors_match_scales)
{
    int64_t v;
    cr_assert_eq(fixed_parse("1", MONEY_SCALE, &v), 0);
    cr_assert_eq(v, MONEY_ONE);
    cr_assert_eq(fixed_parse("1", VRAM_SCALE, &v), 0);
    cr_assert_eq(v, VRAM_ONE);
    cr_assert_eq(fixed_parse("1", TS_SCALE, &v), 0);
    cr_assert_eq(v, SEC);
    cr_assert_eq(SEC, 1000 * MSEC);
}
