#ifndef XC_CORE_SETTLE_H
#define XC_CORE_SETTLE_H
#include <stdbool.h>
#include <stdint.h>

#include "core/money.h"

/* The amounts of one billed attempt (domain §25): what the run metered, what is charged, what
 * stays uncollected, and how the charge splits between platform and provider. Pure. */

struct settle_in {
    money_rate rate;         /* GPUs, rate per GPU-hour, tier and trust multipliers */
    int64_t duration_us;     /* the recorded run interval (≥ 0) */
    bool escrowed;           /* an owned job: the charge is capped by its escrow holds */
    int64_t held;            /* µCAD held in escrow for the attempt (escrowed only) */
    bool host_lost;          /* lost with its host: never charged (100 % refund class) */
    int64_t platform_cut_ppm;
};

struct settle_out {
    int64_t effective_rate;  /* µCAD per hour for all GPUs, multipliers applied */
    int64_t gpu_hours_e6;
    int64_t metered_cost;    /* what the run is worth */
    int64_t cost;            /* what is charged: 0 when host_lost, ≤ held when escrowed */
    int64_t uncollected;     /* metered − cost, except for host_lost (0) */
    int64_t platform_fee;    /* fee + payout = cost */
    int64_t host_payout;
};

/* 0, or XC_EINVAL for inputs out of range (negative duration or hold, bad rate or cut). */
int settle_attempt(const struct settle_in *in, struct settle_out *out);

#endif
