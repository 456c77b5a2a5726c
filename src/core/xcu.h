#ifndef XC_CORE_XCU_H
#define XC_CORE_XCU_H
#include <stdbool.h>
#include <stdint.h>

#include "common/errors.h"

/* Compute score (XCU, domain §16). Pure. TFLOPS and XCU are integers in hundredths
 * (103.25 TFLOPS -> tf_c 10325; 10.33 XCU -> 1033); XCU = RHU(tf_c, 10). */

/* The reference TFLOPS table: model entry (matched with gpu_match_table, §0.5: longest entry
 * wins) and TFLOPS in hundredths. */
#define XCU_REFERENCE(X)                                                                           \
    X("RTX 2060", 1300)                                                                            \
    X("RTX 2070", 1490)                                                                            \
    X("RTX 2080", 2030)                                                                            \
    X("RTX 2080 Ti", 2690)                                                                         \
    X("RTX 3060", 1270)                                                                            \
    X("RTX 3060 Ti", 1620)                                                                         \
    X("RTX 3070", 2030)                                                                            \
    X("RTX 3070 Ti", 2170)                                                                         \
    X("RTX 3080", 2980)                                                                            \
    X("RTX 3080 Ti", 3410)                                                                         \
    X("RTX 3090", 3560)                                                                            \
    X("RTX 3090 Ti", 4000)                                                                         \
    X("RTX 4060", 1510)                                                                            \
    X("RTX 4060 Ti", 2210)                                                                         \
    X("RTX 4070", 2910)                                                                            \
    X("RTX 4070 Ti", 4010)                                                                         \
    X("RTX 4080", 4870)                                                                            \
    X("RTX 4090", 8260)                                                                            \
    X("A100", 31200)                                                                               \
    X("A10G", 3120)                                                                                \
    X("H100", 98950)                                                                               \
    X("L4", 3030)                                                                                  \
    X("T4", 810)

/* XCU 1.0: the estimate for a model the table does not know. */
#define XCU_DEFAULT_C INT64_C(100)
/* Accepted TFLOPS ceiling for a model the table does not know: 2000.00. */
#define XCU_UNKNOWN_MAX_TF_C INT64_C(200000)

/* Benchmark flags (bits of xcu_bench.flags), with their wire names, in reporting order. */
#define XCU_FLAGS(X)                                                                               \
    X(CLAMPED_HIGH, "clamped_high")                                                                \
    X(BELOW_EXPECTED, "below_expected")                                                            \
    X(MODEL_MISMATCH, "model_mismatch")

enum xcu_flag_bit {
#define X(id, name) XCU_FLAG_BIT_##id,
    XCU_FLAGS(X)
#undef X
    XCU_FLAG__COUNT
};
enum xcu_flag {
#define X(id, name) XCU_FLAG_##id = 1u << XCU_FLAG_BIT_##id,
    XCU_FLAGS(X)
#undef X
};

/* Wire name of one flag (a single XCU_FLAG_* value), or NULL for anything else. */
const char *xcu_flag_name(enum xcu_flag f);

/* XCU in hundredths of a TFLOPS value in hundredths: RHU(tf_c, 10) (10325 -> 1033). tf_c >= 0. */
int64_t xcu_from_tflops_c(int64_t tf_c);

/* Reference TFLOPS (hundredths) of the table entry model matches (§0.5, longest entry wins).
 * Returns 0 and sets *tf_c, or XC_ENOTFOUND ("NVIDIA L40S" matches neither L4 nor L40). */
int xcu_table_tflops_c(const char *model, int64_t *tf_c);

/* Estimate without a benchmark, in hundredths: table TFLOPS / 10 (RTX 4090 -> 826, A100 -> 3120),
 * XCU_DEFAULT_C (1.0) when no entry matches. With an explicit TFLOPS value use
 * xcu_from_tflops_c (100.00 -> 1000). */
int64_t xcu_estimate_c(const char *model);

/* What POST /agent/benchmark accepts (§16). The client's score is never an input. */
struct xcu_bench {
    int64_t accepted_tflops_c; /* min(reported, 1.25 × table) for a known model, else ≤ 2000.00 */
    int64_t xcu_c;             /* RHU(accepted_tflops_c, 10) */
    unsigned flags;            /* XCU_FLAG_* bits */
    bool store;                /* false when MODEL_MISMATCH: the score is not stored */
};

/* Judges a benchmark. registered_model: the host record's gpu_model (drives the table lookup);
 * reported_model: the report's gpu_model, NULL when the report names none (no identity check; an
 * empty string is compared and mismatches a non-empty registered model); reported_tf_c: the
 * reported TFLOPS in hundredths, >= 0. The cap for a known model is RHU(table × 125, 100);
 * BELOW_EXPECTED when reported < table / 2 (exact). Returns 0, or XC_EINVAL for a negative value
 * or NULL out. */
int xcu_judge_benchmark(const char *registered_model, const char *reported_model,
                        int64_t reported_tf_c, struct xcu_bench *out);

#endif
