/* The crypto-mining heuristic: sustained high GPU load with almost no PCIe traffic. */
#include "agent/mining.h"

#include <stdio.h>
#include <string.h>

void mining_init(struct mining_detector *d, const struct mining_cfg *cfg)
{
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
}

/* Shortest of %.0f/%.1f/%.2f that shows tx to two decimals. */
static void fmt_mb(double v, char *out, size_t n)
{
    snprintf(out, n, "%.2f", v);
    char *dot = strchr(out, '.');
    if (!dot)
        return;
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '0')
        out[--len] = '\0';
    if (len > 0 && out[len - 1] == '.')
        out[len++] = '0', out[len] = '\0';
}

void mining_evaluate(const struct mining_cfg *cfg, const struct mining_sample *s, struct mining_verdict *v)
{
    memset(v, 0, sizeof *v);
    if (!s->has_tx) {
        v->result = MINING_UNKNOWN;
        snprintf(v->reason, sizeof v->reason, "PCIe throughput unavailable: mining check skipped");
        return;
    }
    if (!((double)s->util > (double)cfg->util_pct && s->tx_mb < cfg->tx_mb)) {
        v->result = MINING_NEGATIVE;
        snprintf(v->reason, sizeof v->reason, "Normal GPU usage pattern");
        return;
    }
    double a = ((double)s->util - 90.0) / 10.0;
    if (a < 0)
        a = 0;
    double b = cfg->tx_mb > 0 ? 1.0 - s->tx_mb / cfg->tx_mb : 1.0;
    double c = a * b;
    if (c > 1)
        c = 1;
    if (c < 0)
        c = 0;
    v->confidence = (double)(long long)(c * 10000.0 + 0.5) / 10000.0;
    v->result = MINING_POSITIVE;
    char tx[32];
    fmt_mb(s->tx_mb, tx, sizeof tx);
    snprintf(v->reason, sizeof v->reason,
             "GPU util=%u%% mem=%u%% pcie_tx=%sMB/s \xe2\x80\x94 matches mining signature (high compute, low PCIe)",
             s->util, s->mem_util, tx);
    snprintf(v->job_reason, sizeof v->job_reason, "mining_detected: util=%u%% pcie_tx=%sMB/s", s->util, tx);
}

enum mining_result mining_observe(struct mining_detector *d, const struct mining_sample *s, struct mining_verdict *v)
{
    mining_evaluate(&d->cfg, s, v);
    if (s->index < 0 || s->index >= 64)
        return v->result;
    if (v->result != MINING_POSITIVE) {
        d->counter[s->index] = 0;
        return v->result;
    }
    d->counter[s->index]++;
    if ((long)d->counter[s->index] * d->cfg.interval_s >= d->cfg.duration_s) {
        d->counter[s->index] = 0;
        v->result = MINING_SUSTAINED;
    }
    return v->result;
}

void mining_reset(struct mining_detector *d, int index)
{
    if (index >= 0 && index < 64)
        d->counter[index] = 0;
}
