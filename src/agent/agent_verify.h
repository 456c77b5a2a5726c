#ifndef XC_AGENT_VERIFY_H
#define XC_AGENT_VERIFY_H
/* The benchmark and verification report (domain §17.10), pure parts: the benchmark container's
 * output, the network figures, the report built from what was measured, and when to run again.
 * What was not measured is reported as null (or, for the torch counters, 0) and listed in the
 * report's "not_measured": a declared value is never passed off as a measurement.
 * The measuring itself (container, NVML sampling, HTTP) is agent_measure.c. */
#include "agent/nvml.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define AGENT_BENCH_MAX_AGE_US (INT64_C(7) * 86400 * 1000000) /* re-benchmark after 7 days */
#define AGENT_VERIFY_RETRY_US (INT64_C(600) * 1000000)        /* at most one run per 600 s */
#define AGENT_NET_PINGS 20                                    /* GET /healthz round trips */
#define AGENT_SPEEDTEST_BYTES 10000000
#define AGENT_THERMAL_WINDOW_MS 15000
#define AGENT_THERMAL_STEP_MS 500

/* What the benchmark measured; has_* false = not measured. */
struct agent_bench {
    bool has_tflops, has_h2d, has_d2h, has_temp_max, has_temp_avg;
    double tflops, h2d_gbps, d2h_gbps, temp_max_c, temp_avg_c;
    char compute_capability[16]; /* "" = not measured */
    char cuda_version[16];
};

/* Reads the benchmark container's output: the last line that is a JSON object with the §17.10
 * fields (tflops, pcie_h2d_gbps, pcie_d2h_gbps, compute_capability, cuda_version,
 * gpu_temp_max_c, gpu_temp_avg_c). Non-finite or negative numbers count as not measured.
 * Returns 0, or -1 when no line is such an object (*b then says nothing was measured). */
int agent_bench_parse(const char *out, struct agent_bench *b);

/* GPU temperatures sampled through NVML while the benchmark ran. */
struct agent_temps {
    int n;
    unsigned max_c;
    double sum_c;
};
/* Adds one reading; 0 °C (NVML could not read it) is not a reading. */
void agent_temps_add(struct agent_temps *t, unsigned temp_c);

/* Network figures; has_* false = not measured. */
struct agent_netq {
    bool has_rtt, has_throughput;
    double packet_loss_pct, latency_ms, jitter_ms, throughput_mbps;
};
/* From `sent` round trips of which the successful ones took rtt_ms[0..nok-1] in order:
 * loss = (sent − nok)/sent × 100, latency = mean RTT, jitter = mean |RTT[i] − RTT[i−1]|
 * (0 with one RTT). Loss is measured whenever sent > 0; latency and jitter need nok > 0. */
void agent_netq_from_rtts(const double *rtt_ms, int nok, int sent, struct agent_netq *q);
/* bits / seconds / 10^6; -1 when seconds <= 0. */
double agent_throughput_mbps(uint64_t bytes, double seconds);

/* Everything one report is built from (borrowed). gpus: the NVML readings (simulated GPUs
 * measure nothing); versions: the gathered component versions. */
struct agent_verify_in {
    const struct nvml_ctx *ctx;
    const struct nvml_gpu *gpus;
    int ngpu;
    const struct agent_bench *bench;
    const struct agent_temps *temps;
    const struct agent_netq *net;
    json_t *versions;
};
/* The verification report (§17.10 fields plus "not_measured", the names left null). */
json_t *agent_verify_report(const struct agent_verify_in *in);
/* The POST /agent/benchmark body, or NULL when the benchmark measured no TFLOPS. */
json_t *agent_bench_body(const char *host_id, const char *gpu_model, const struct agent_bench *b);

/* Whether to benchmark and report now. last_run_us: wall time of the last completed run, as
 * recorded in the work directory (0 = none); last_try_us: the last attempt in this process
 * (0 = none). Due when no attempt was made in the last 600 s and: the server asks
 * (reverify_due), or no run is recorded and the host has no compute score, or the recorded run
 * is older than 7 days. */
bool agent_verify_due(bool has_score, bool reverify_due, int64_t last_run_us, int64_t last_try_us, int64_t now_us);

#endif
