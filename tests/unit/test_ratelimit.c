#include <criterion/criterion.h>

#include "server/http/ratelimit.h"

#define SEC 1000000LL

Test(ratelimit, limit_then_retry_after_then_recovery)
{
    ratelimit_init(3, 60);
    int64_t t = 1000 * 60 * SEC; /* start of a window */
    int64_t retry = 0;
    for (int i = 0; i < 3; i++)
        cr_assert(ratelimit_allow("10.0.0.1", t + i, &retry));
    cr_assert_not(ratelimit_allow("10.0.0.1", t + 10, &retry));
    cr_assert_geq(retry, 1);
    cr_assert_leq(retry, 60);
    /* Other clients are independent. */
    cr_assert(ratelimit_allow("10.0.0.2", t + 11, &retry));
    /* Long after the window, the client is allowed again. */
    cr_assert(ratelimit_allow("10.0.0.1", t + 125 * SEC, &retry));
}

Test(ratelimit, sliding_estimate_counts_previous_window)
{
    ratelimit_init(10, 60);
    int64_t t = 2000 * 60 * SEC;
    int64_t retry;
    for (int i = 0; i < 10; i++)
        cr_assert(ratelimit_allow("c", t + 59 * SEC, &retry));
    /* One second into the next window the previous one still weighs 59/60 of 10. */
    cr_assert_not(ratelimit_allow("c", t + 61 * SEC, &retry));
    cr_assert_geq(retry, 1);
}

Test(ratelimit, zero_disables)
{
    ratelimit_init(0, 60);
    int64_t retry;
    for (int i = 0; i < 1000; i++)
        cr_assert(ratelimit_allow("x", i, &retry));
}
