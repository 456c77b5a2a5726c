#ifndef XC_AGENT_MINING_H
#define XC_AGENT_MINING_H
#include <stdbool.h>
#include <stddef.h>

/* Crypto-mining heuristic (domain §17.6): sustained high GPU utilisation with almost no PCIe
 * traffic. Missing PCIe data is "unknown" and never counts towards a detection. */
struct mining_cfg {
    int util_pct;     /* positive when util > this (strict) */
    double tx_mb;     /* ... and tx < this MB/s (strict) */
    int duration_s;   /* sustained when positives × interval >= duration */
    int interval_s;
};

struct mining_sample {
    int index;
    unsigned util, mem_util;
    bool has_tx;
    double tx_mb;
};

enum mining_result { MINING_UNKNOWN, MINING_NEGATIVE, MINING_POSITIVE, MINING_SUSTAINED };

struct mining_verdict {
    enum mining_result result;
    double confidence;
    char reason[256];     /* alert reason text */
    char job_reason[160]; /* "mining_detected: util=<u>% pcie_tx=<tx>MB/s" */
};

struct mining_detector {
    struct mining_cfg cfg;
    int counter[64];
};

void mining_init(struct mining_detector *d, const struct mining_cfg *cfg);
/* Classifies one sample without state (UNKNOWN, NEGATIVE or POSITIVE). */
void mining_evaluate(const struct mining_cfg *cfg, const struct mining_sample *s, struct mining_verdict *v);
/* Feeds one sample of a GPU in use: updates that GPU's counter and returns SUSTAINED (and
 * resets the counter) once the positives cover the configured duration. */
enum mining_result mining_observe(struct mining_detector *d, const struct mining_sample *s, struct mining_verdict *v);
void mining_reset(struct mining_detector *d, int index);

#endif
