#ifndef XC_AGENT_NVML_H
#define XC_AGENT_NVML_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One GPU reading (domain §17.8). Fields a source could not supply keep their fallback; the
 * has_* flags say which optional groups were read. */
struct nvml_gpu {
    int index;
    char name[96];
    char uuid[96];
    char serial[64];
    char bus_id[32];
    char device_id[16];    /* hex, e.g. "0x268410de" */
    char subsystem_id[16];
    unsigned util_gpu, util_mem;   /* % */
    uint64_t mem_total, mem_used, mem_free; /* bytes */
    unsigned temp_c;
    unsigned power_mw, power_limit_mw;
    unsigned pcie_gen, pcie_width;
    bool has_pcie_tput;            /* false = unavailable (never treated as 0) */
    unsigned pcie_tx_kbs, pcie_rx_kbs;
    uint64_t ecc_single, ecc_double;
    int cc_major, cc_minor;        /* -1 = unknown */
    bool simulated;
};

enum nvml_source { GPU_SRC_NONE, GPU_SRC_NVML, GPU_SRC_SMI, GPU_SRC_SIM };

/* Loaded NVML (or the fallback), process-wide. */
struct nvml_ctx {
    enum nvml_source source;
    void *lib;
    char driver_version[64];
    int cuda_version; /* NVML CUDA driver version integer, 0 = unknown */
    char error[256];  /* why NVML could not be used */
    int sim_count;
    int64_t sim_vram_mgb;
};

/* Loads the library at path with dlopen and initialises it. Required symbols (init, count,
 * handle by index) must resolve, preferring the _v2 names; everything else is optional.
 * Returns 0, or -1 with ctx->error set. */
int nvml_open(struct nvml_ctx *ctx, const char *path);
void nvml_close(struct nvml_ctx *ctx);
/* Configures ctx to report `count` simulated GPUs of vram_mgb milli-GB each. */
void nvml_simulate(struct nvml_ctx *ctx, int count, int64_t vram_mgb);

/* Reads every GPU into out (at most max). NVML source: through the library; SMI source: runs
 * the nvidia-smi telemetry query; SIM: synthetic. Returns the count (>= 0) or -1. */
int nvml_collect(struct nvml_ctx *ctx, struct nvml_gpu *out, int max);

/* Discovery through `nvidia-smi --query-gpu=name,memory.total,memory.free` (domain §17.8):
 * parses its output. Returns 0 and fills model (first GPU), count, total/free centi-GB
 * summed; or -1 with err set to one of the exact error texts. */
int nvml_smi_parse_discovery(const char *out, char *model, size_t modellen, int *count,
                             int64_t *total_cgb, int64_t *free_cgb, char *err, size_t errlen);
/* Parses the nvidia-smi telemetry query (13 fields per line); returns the GPU count. */
int nvml_smi_parse_telemetry(const char *out, struct nvml_gpu *gpus, int max);
/* Runs nvidia-smi discovery. Same results as nvml_smi_parse_discovery plus the timeout and
 * failure texts. */
int nvml_smi_discover(char *model, size_t modellen, int *count, int64_t *total_cgb,
                      int64_t *free_cgb, char *err, size_t errlen);
/* Runs `nvidia-smi --query-gpu=driver_version`; returns 0 with the first line in out. */
int nvml_smi_driver_version(char *out, size_t n);

/* Rolling temperature average per GPU index (domain §17.8). */
struct nvml_thermal {
    int capacity;
    int ngpu;
    struct { unsigned *v; int n, next; } gpu[64];
};
void nvml_thermal_init(struct nvml_thermal *t, int capacity);
void nvml_thermal_free(struct nvml_thermal *t);
/* Records reading for GPU index and returns the mean of its history × 10 (one decimal, half up). */
int nvml_thermal_add(struct nvml_thermal *t, int index, unsigned temp_c);

/* Helpers for unit conversion: round-half-up centi-units. */
int64_t nvml_bytes_to_cgb(uint64_t bytes);
int64_t nvml_mib_to_cgb(int64_t mib);
/* KB/s → MB/s, 2 decimals, as a double for JSON. */
double nvml_kbs_to_mbs(unsigned kbs);

/* The per-GPU telemetry object of domain §17.8 (caller owns it). temp_avg_x10 from the
 * thermal history. */
json_t *nvml_gpu_json(const struct nvml_ctx *ctx, const struct nvml_gpu *g, int temp_avg_x10, double now_s);

#endif
