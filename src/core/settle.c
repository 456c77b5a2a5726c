/* The arithmetic of billing one attempt (see settle.h). */
#include "core/settle.h"

#include <string.h>

#include "common/errors.h"

int settle_attempt(const struct settle_in *in, struct settle_out *out)
{
    memset(out, 0, sizeof *out);
    if (in->duration_us < 0 || (in->escrowed && in->held < 0))
        return XC_EINVAL;
    if (money_effective_rate(&in->rate, &out->effective_rate) < 0 ||
        money_gpu_hours_e6(in->duration_us, in->rate.num_gpus, &out->gpu_hours_e6) < 0 ||
        money_meter(&in->rate, in->duration_us, &out->metered_cost) < 0)
        return XC_EINVAL;
    if (in->host_lost)
        out->cost = 0;
    else if (in->escrowed)
        out->cost = out->metered_cost < in->held ? out->metered_cost : in->held;
    else
        out->cost = out->metered_cost;
    out->uncollected = in->host_lost ? 0 : out->metered_cost - out->cost;
    money_split sp;
    if (money_platform_split(out->cost, in->platform_cut_ppm, &sp) < 0)
        return XC_EINVAL;
    out->platform_fee = sp.platform_fee;
    out->host_payout = sp.host_payout;
    return 0;
}
