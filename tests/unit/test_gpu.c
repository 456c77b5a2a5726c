#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/gpu.h"

static void expect_norm(const char *in, const char *want)
{
    char buf[256];
    cr_assert_eq(gpu_norm(in, buf, sizeof buf), 0, "norm(%s) failed", in);
    cr_assert_str_eq(buf, want, "norm(%s)", in);
    char *d = gpu_norm_dup(in);
    cr_assert_str_eq(d, want);
    free(d);
}

Test(gpu, norm_examples)
{
    expect_norm("NVIDIA GeForce RTX 3060 Ti", "RTX 3060 TI");
    expect_norm("A100-SXM4-80GB", "A100 SXM4 80GB");
    expect_norm("  nvidia   tesla_t4  ", "T4");
    expect_norm("rtx 3090 ti", "RTX 3090 TI");
    expect_norm("NVIDIA L40S", "L40S");
    expect_norm("", "");
    expect_norm(NULL, "");
    expect_norm("NVIDIA", "");
    /* Whole words only: NVIDIAX and GEFORCE2 stay. */
    expect_norm("NVIDIAX GEFORCE2 Tesla", "NVIDIAX GEFORCE2");
    expect_norm("h100__pcie--80gb", "H100 PCIE 80GB");
}

Test(gpu, norm_buffer_too_small)
{
    char buf[4];
    cr_assert_eq(gpu_norm("RTX 4090", buf, sizeof buf), XC_EINVAL);
    cr_assert_eq(strlen(buf) < sizeof buf, 1);
    char exact[9];
    cr_assert_eq(gpu_norm("RTX 4090", exact, sizeof exact), 0);
    cr_assert_str_eq(exact, "RTX 4090");
}

Test(gpu, ident)
{
    char buf[64];
    cr_assert_eq(gpu_ident("NVIDIA GeForce RTX 4090", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "RTX4090");
    cr_assert_eq(gpu_ident("a100-sxm4-80gb", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "A100SXM480GB");
}

Test(gpu, matches)
{
    cr_assert(gpu_matches("A100-SXM4-80GB", "A100"));
    cr_assert(gpu_matches("NVIDIA A100", "a100"));
    cr_assert_not(gpu_matches("NVIDIA L40S", "L4"));
    cr_assert_not(gpu_matches("NVIDIA L40S", "L40"));
    cr_assert_not(gpu_matches("A1000", "A100"));
    cr_assert(gpu_matches("NVIDIA L4", "L4"));
}

Test(gpu, longest_entry_wins)
{
    const char *t1[] = {"RTX 3060", "RTX 3060 Ti"};
    cr_assert_eq(gpu_match_table("NVIDIA GeForce RTX 3060 Ti", t1, 2), 1);
    cr_assert_eq(gpu_match_table("NVIDIA GeForce RTX 3060", t1, 2), 0);
    const char *t2[] = {"RTX 3090 Ti", "RTX 3090"};
    cr_assert_eq(gpu_match_table("rtx 3090 ti", t2, 2), 0);
    cr_assert_eq(gpu_match_table("rtx 3090 ti", t2 + 1, 1), 0); /* only RTX 3090: still matches */
    const char *t3[] = {"L4", "L40"};
    cr_assert_eq(gpu_match_table("NVIDIA L40S", t3, 2), -1);
    cr_assert_eq(gpu_match_table("NVIDIA L40 48GB", t3, 2), 1);
    cr_assert_eq(gpu_match_table("anything", t3, 0), -1);
}

Test(gpu, gvisor_list)
{
    cr_assert_eq(GPU_GVISOR_COUNT, 16);
    cr_assert_str_eq(gpu_gvisor_supported[0], "T4");
    cr_assert_str_eq(gpu_gvisor_supported[15], "RTX 4090");
    cr_assert(gpu_gvisor_ok("NVIDIA GeForce RTX 4090"));
    cr_assert(gpu_gvisor_ok("A100-SXM4-80GB"));
    cr_assert(gpu_gvisor_ok("NVIDIA A10G"));
    cr_assert(gpu_gvisor_ok("Tesla T4"));
    cr_assert_not(gpu_gvisor_ok("NVIDIA L40S"));
    cr_assert_not(gpu_gvisor_ok("GTX 1080"));
    cr_assert_not(gpu_gvisor_ok("H200"));
    cr_assert_not(gpu_gvisor_ok(""));
    cr_assert_not(gpu_gvisor_ok(NULL));
}
