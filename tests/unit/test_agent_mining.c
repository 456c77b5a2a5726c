/* Mining heuristic rules (domain §17.6, acceptance AG-22). */
#include "agent/mining.h"

#include <criterion/criterion.h>
#include <string.h>

static const struct mining_cfg cfg = {.util_pct = 95, .tx_mb = 5.0, .duration_s = 300, .interval_s = 60};

static struct mining_sample sample(int idx, unsigned util, bool has_tx, double tx)
{
    return (struct mining_sample){.index = idx, .util = util, .mem_util = 10, .has_tx = has_tx, .tx_mb = tx};
}

Test(agent_mining, single_samples)
{
    struct mining_verdict v;
    struct mining_sample s = sample(0, 85, true, 500);
    mining_evaluate(&cfg, &s, &v);
    cr_assert_eq(v.result, MINING_NEGATIVE);
    cr_assert_str_eq(v.reason, "Normal GPU usage pattern");
    cr_assert_float_eq(v.confidence, 0.0, 1e-9);

    s = sample(0, 99, true, 1);
    mining_evaluate(&cfg, &s, &v);
    cr_assert_eq(v.result, MINING_POSITIVE);
    cr_assert_float_eq(v.confidence, 0.72, 1e-9);
    cr_assert(strstr(v.reason, "GPU util=99% mem=10% pcie_tx=1.0MB/s"), "%s", v.reason);
    cr_assert(strstr(v.reason, "matches mining signature (high compute, low PCIe)"));
    cr_assert_str_eq(v.job_reason, "mining_detected: util=99% pcie_tx=1.0MB/s");

    s = sample(0, 96, true, 0);
    mining_evaluate(&cfg, &s, &v);
    cr_assert_float_eq(v.confidence, 0.6, 1e-9);

    s = sample(0, 95, true, 0);
    mining_evaluate(&cfg, &s, &v);
    cr_assert_eq(v.result, MINING_NEGATIVE, "util threshold is strict");
    s = sample(0, 99, true, 5.0);
    mining_evaluate(&cfg, &s, &v);
    cr_assert_eq(v.result, MINING_NEGATIVE, "tx threshold is strict");
}

Test(agent_mining, unavailable_pcie_is_unknown_never_mining)
{
    struct mining_detector d;
    mining_init(&d, &cfg);
    struct mining_verdict v;
    struct mining_sample s = sample(0, 100, false, 0);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(mining_observe(&d, &s, &v), MINING_UNKNOWN);
    cr_assert_eq(d.counter[0], 0);
}

Test(agent_mining, five_consecutive_positives_at_60s_trigger)
{
    struct mining_detector d;
    mining_init(&d, &cfg);
    struct mining_verdict v;
    struct mining_sample s = sample(0, 99, true, 1);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(mining_observe(&d, &s, &v), MINING_POSITIVE);
    cr_assert_eq(mining_observe(&d, &s, &v), MINING_SUSTAINED);
    cr_assert_eq(d.counter[0], 0, "counter resets after a detection");
}

Test(agent_mining, negative_or_unknown_sample_resets_only_that_gpu)
{
    struct mining_detector d;
    mining_init(&d, &cfg);
    struct mining_verdict v;
    struct mining_sample hot0 = sample(0, 99, true, 1), hot1 = sample(1, 99, true, 1);
    struct mining_sample cool0 = sample(0, 50, true, 100), unk0 = sample(0, 99, false, 0);
    for (int i = 0; i < 4; i++) {
        mining_observe(&d, &hot0, &v);
        mining_observe(&d, &hot1, &v);
    }
    mining_observe(&d, &cool0, &v);
    cr_assert_eq(d.counter[0], 0);
    cr_assert_eq(d.counter[1], 4);
    cr_assert_eq(mining_observe(&d, &hot1, &v), MINING_SUSTAINED);
    for (int i = 0; i < 3; i++)
        mining_observe(&d, &hot0, &v);
    mining_observe(&d, &unk0, &v);
    cr_assert_eq(d.counter[0], 0, "missing data resets, never counts");
}

Test(agent_mining, duration_setting_governs)
{
    struct mining_cfg c = cfg;
    c.interval_s = 1;
    c.duration_s = 3;
    struct mining_detector d;
    mining_init(&d, &c);
    struct mining_verdict v;
    struct mining_sample s = sample(2, 100, true, 0);
    cr_assert_eq(mining_observe(&d, &s, &v), MINING_POSITIVE);
    cr_assert_eq(mining_observe(&d, &s, &v), MINING_POSITIVE);
    cr_assert_eq(mining_observe(&d, &s, &v), MINING_SUSTAINED);
    cr_assert_float_eq(v.confidence, 1.0, 1e-9);
}
