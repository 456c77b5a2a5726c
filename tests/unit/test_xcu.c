#include <criterion/criterion.h>

#include "core/xcu.h"

Test(xcu, from_tflops_rounds_half_up)
{
    cr_assert_eq(xcu_from_tflops_c(10325), 1033); /* 103.25 -> 10.33 */
    cr_assert_eq(xcu_from_tflops_c(8260), 826);
    cr_assert_eq(xcu_from_tflops_c(10000), 1000); /* estimate(model, 100.0) -> 10.0 */
    cr_assert_eq(xcu_from_tflops_c(8000), 800);   /* XCU-04: 80.0 -> 8.0 */
    cr_assert_eq(xcu_from_tflops_c(4), 0);
    cr_assert_eq(xcu_from_tflops_c(5), 1);
    cr_assert_eq(xcu_from_tflops_c(0), 0);
}

Test(xcu, estimate_vectors)
{
    cr_assert_eq(xcu_estimate_c("RTX 4090"), 826);
    cr_assert_eq(xcu_estimate_c("A100"), 3120);
    cr_assert_eq(xcu_estimate_c("Unknown GPU XYZ"), 100);
    cr_assert_eq(xcu_estimate_c("NVIDIA GeForce RTX 3060 Ti"), 162);
    cr_assert_eq(xcu_estimate_c("NVIDIA GeForce RTX 3060"), 127);
    cr_assert_eq(xcu_estimate_c("NVIDIA L40S"), 100);
    cr_assert_eq(xcu_estimate_c("A100-SXM4-80GB"), 3120);
    cr_assert_eq(xcu_estimate_c("rtx 3090 ti"), 400);
    cr_assert_eq(xcu_estimate_c("H100"), 9895); /* 989.5 -> 98.95 */
    cr_assert_eq(xcu_estimate_c("Tesla T4"), 81);
    cr_assert_eq(xcu_estimate_c(""), 100);
    cr_assert_eq(xcu_estimate_c(NULL), 100);
}

Test(xcu, whole_table)
{
    struct {
        const char *m;
        int64_t tf;
    } rows[] = {{"RTX 2060", 1300},    {"RTX 2070", 1490},    {"RTX 2080", 2030},
                {"RTX 2080 Ti", 2690}, {"RTX 3060", 1270},    {"RTX 3060 Ti", 1620},
                {"RTX 3070", 2030},    {"RTX 3070 Ti", 2170}, {"RTX 3080", 2980},
                {"RTX 3080 Ti", 3410}, {"RTX 3090", 3560},    {"RTX 3090 Ti", 4000},
                {"RTX 4060", 1510},    {"RTX 4060 Ti", 2210}, {"RTX 4070", 2910},
                {"RTX 4070 Ti", 4010}, {"RTX 4080", 4870},    {"RTX 4090", 8260},
                {"A100", 31200},       {"A10G", 3120},        {"H100", 98950},
                {"L4", 3030},          {"T4", 810}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t tf = -1;
        cr_assert_eq(xcu_table_tflops_c(rows[i].m, &tf), 0, "%s", rows[i].m);
        cr_assert_eq(tf, rows[i].tf, "%s", rows[i].m);
    }
    int64_t tf = 7;
    cr_assert_eq(xcu_table_tflops_c("L40", &tf), XC_ENOTFOUND);
    cr_assert_eq(tf, 7);
}

Test(xcu, benchmark_plain)
{
    struct xcu_bench b;
    /* XCU-02: the client's score 8.5 is ignored; tflops 82.6 -> 8.26 */
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "RTX 4090", 8260, &b), 0);
    cr_assert_eq(b.accepted_tflops_c, 8260);
    cr_assert_eq(b.xcu_c, 826);
    cr_assert_eq(b.flags, 0);
    cr_assert(b.store);
}

Test(xcu, benchmark_clamped_high)
{
    struct xcu_bench b;
    /* XCU-03: 200 TFLOPS on an RTX 4090 -> 103.25, xcu 10.33, clamped_high */
    cr_assert_eq(xcu_judge_benchmark("NVIDIA GeForce RTX 4090", "RTX 4090", 20000, &b), 0);
    cr_assert_eq(b.accepted_tflops_c, 10325);
    cr_assert_eq(b.xcu_c, 1033);
    cr_assert_eq(b.flags, XCU_FLAG_CLAMPED_HIGH);
    cr_assert(b.store);
    /* exactly at the cap: not clamped; one hundredth above: clamped */
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "RTX 4090", 10325, &b), 0);
    cr_assert_eq(b.flags, 0);
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "RTX 4090", 10326, &b), 0);
    cr_assert_eq(b.flags, XCU_FLAG_CLAMPED_HIGH);
    cr_assert_eq(b.accepted_tflops_c, 10325);
    /* 1.25 × 12.7 = 15.875 -> RHU to hundredths 15.88 */
    cr_assert_eq(xcu_judge_benchmark("RTX 3060", NULL, 9999, &b), 0);
    cr_assert_eq(b.accepted_tflops_c, 1588);
}

Test(xcu, benchmark_below_expected)
{
    struct xcu_bench b;
    /* half of 82.6 is 41.3: 41.29 is below, 41.30 is not */
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "RTX 4090", 4129, &b), 0);
    cr_assert_eq(b.flags, XCU_FLAG_BELOW_EXPECTED);
    cr_assert_eq(b.xcu_c, 413);
    cr_assert(b.store);
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "RTX 4090", 4130, &b), 0);
    cr_assert_eq(b.flags, 0);
}

Test(xcu, benchmark_model_mismatch)
{
    struct xcu_bench b;
    /* XCU-05 */
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "RTX 3090", 3560, &b), 0);
    cr_assert(b.flags & XCU_FLAG_MODEL_MISMATCH);
    cr_assert_not(b.store);
    /* ident() comparison: vendor words, case and separators do not matter */
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "nvidia geforce rtx-4090", 8260, &b), 0);
    cr_assert_eq(b.flags, 0);
    cr_assert(b.store);
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", "", 8260, &b), 0);
    cr_assert_eq(b.flags, XCU_FLAG_MODEL_MISMATCH);
}

Test(xcu, benchmark_unknown_model)
{
    struct xcu_bench b;
    cr_assert_eq(xcu_judge_benchmark("Mystery GPU", "Mystery GPU", 150000, &b), 0);
    cr_assert_eq(b.accepted_tflops_c, 150000);
    cr_assert_eq(b.flags, 0);
    cr_assert_eq(xcu_judge_benchmark("Mystery GPU", "Mystery GPU", 200000, &b), 0);
    cr_assert_eq(b.flags, 0);
    cr_assert_eq(xcu_judge_benchmark("Mystery GPU", "Mystery GPU", 200001, &b), 0);
    cr_assert_eq(b.accepted_tflops_c, 200000);
    cr_assert_eq(b.xcu_c, 20000);
    cr_assert_eq(b.flags, XCU_FLAG_CLAMPED_HIGH);
    cr_assert_eq(xcu_judge_benchmark("Mystery GPU", "Mystery GPU", 1, &b), 0);
    cr_assert_eq(b.flags, 0); /* no below_expected without a table value */
}

Test(xcu, invalid_and_flag_names)
{
    struct xcu_bench b;
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", NULL, -1, &b), XC_EINVAL);
    cr_assert_eq(xcu_judge_benchmark("RTX 4090", NULL, 1, NULL), XC_EINVAL);
    cr_assert_str_eq(xcu_flag_name(XCU_FLAG_CLAMPED_HIGH), "clamped_high");
    cr_assert_str_eq(xcu_flag_name(XCU_FLAG_BELOW_EXPECTED), "below_expected");
    cr_assert_str_eq(xcu_flag_name(XCU_FLAG_MODEL_MISMATCH), "model_mismatch");
    cr_assert_null(xcu_flag_name((enum xcu_flag)3));
    cr_assert_null(xcu_flag_name((enum xcu_flag)0));
}
