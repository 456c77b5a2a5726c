/* Compute score: the reference table, estimates and benchmark acceptance (domain §16, pure). */
#include "core/xcu.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"
#include "common/xalloc.h"
#include "core/gpu.h"

static const char *const ref_models[] = {
#define X(model, tf) model,
    XCU_REFERENCE(X)
#undef X
};

static const int64_t ref_tf_c[] = {
#define X(model, tf) tf,
    XCU_REFERENCE(X)
#undef X
};

#define REF_COUNT (sizeof ref_models / sizeof ref_models[0])

static const char *const flag_names[XCU_FLAG__COUNT] = {
#define X(id, name) name,
    XCU_FLAGS(X)
#undef X
};

const char *xcu_flag_name(enum xcu_flag f)
{
    const char *name = NULL;
    for (int i = 0; i < XCU_FLAG__COUNT && !name; i++)
        if ((unsigned)f == 1u << i)
            name = flag_names[i];
    return name;
}

int64_t xcu_from_tflops_c(int64_t tf_c)
{
    return fixed_rhu(tf_c, 10);
}

int xcu_table_tflops_c(const char *model, int64_t *tf_c)
{
    int i = gpu_match_table(model, ref_models, REF_COUNT);
    if (i < 0)
        return XC_ENOTFOUND;
    *tf_c = ref_tf_c[i];
    return 0;
}

int64_t xcu_estimate_c(const char *model)
{
    int64_t tf_c;
    return xcu_table_tflops_c(model, &tf_c) == 0 ? xcu_from_tflops_c(tf_c) : XCU_DEFAULT_C;
}

/* ident(a) == ident(b). */
static bool same_ident(const char *a, const char *b)
{
    size_t na = a ? strlen(a) + 1 : 1, nb = b ? strlen(b) + 1 : 1;
    char *ia = xmalloc(na), *ib = xmalloc(nb);
    gpu_ident(a, ia, na);
    gpu_ident(b, ib, nb);
    bool same = strcmp(ia, ib) == 0;
    free(ib);
    free(ia);
    return same;
}

int xcu_judge_benchmark(const char *registered_model, const char *reported_model,
                        int64_t reported_tf_c, struct xcu_bench *out)
{
    if (!out || reported_tf_c < 0)
        return XC_EINVAL;
    memset(out, 0, sizeof *out);
    int64_t table, cap;
    bool known = xcu_table_tflops_c(registered_model, &table) == 0;
    cap = known ? fixed_rhu(table * 125, 100) : XCU_UNKNOWN_MAX_TF_C;
    out->accepted_tflops_c = reported_tf_c;
    if (reported_tf_c > cap) {
        out->accepted_tflops_c = cap;
        out->flags |= XCU_FLAG_CLAMPED_HIGH;
    }
    if (known && reported_tf_c * 2 < table)
        out->flags |= XCU_FLAG_BELOW_EXPECTED;
    if (reported_model && !same_ident(reported_model, registered_model))
        out->flags |= XCU_FLAG_MODEL_MISMATCH;
    out->xcu_c = xcu_from_tflops_c(out->accepted_tflops_c);
    out->store = !(out->flags & XCU_FLAG_MODEL_MISMATCH);
    return 0;
}
