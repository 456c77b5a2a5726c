/* GPU readings: NVML loaded with dlopen, nvidia-smi as the fallback, and simulated GPUs. */
#include "agent/nvml.h"

#include "agent/agent_exec.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few NVML types the agent needs (ABI-stable parts of nvml.h). */
typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;
typedef struct {
    char busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;
enum { NVML_SUCCESS = 0, NVML_TEMPERATURE_GPU = 0, NVML_PCIE_UTIL_TX_BYTES = 0, NVML_PCIE_UTIL_RX_BYTES = 1,
       NVML_MEMORY_ERROR_TYPE_CORRECTED = 0, NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1, NVML_VOLATILE_ECC = 0 };

/* Resolved entry points. Required ones are non-NULL after nvml_open succeeds. */
static struct {
    nvmlReturn_t (*init)(void);
    nvmlReturn_t (*shutdown)(void);
    nvmlReturn_t (*count)(unsigned *);
    nvmlReturn_t (*handle)(unsigned, nvmlDevice_t *);
    const char *(*error_string)(nvmlReturn_t);
    nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned);
    nvmlReturn_t (*uuid)(nvmlDevice_t, char *, unsigned);
    nvmlReturn_t (*serial)(nvmlDevice_t, char *, unsigned);
    nvmlReturn_t (*pci)(nvmlDevice_t, nvmlPciInfo_t *);
    nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t *);
    nvmlReturn_t (*util)(nvmlDevice_t, nvmlUtilization_t *);
    nvmlReturn_t (*temp)(nvmlDevice_t, int, unsigned *);
    nvmlReturn_t (*power)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*pcie_gen)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*pcie_width)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*pcie_tput)(nvmlDevice_t, int, unsigned *);
    nvmlReturn_t (*ecc)(nvmlDevice_t, int, int, unsigned long long *);
    nvmlReturn_t (*cc)(nvmlDevice_t, int *, int *);
    nvmlReturn_t (*driver)(char *, unsigned);
    nvmlReturn_t (*cuda)(int *);
} fn;

/* dlsym of the first name that resolves. */
static void *sym(void *lib, const char *a, const char *b, const char *c)
{
    const char *names[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        if (!names[i])
            continue;
        void *p = dlsym(lib, names[i]);
        if (p)
            return p;
    }
    return NULL;
}

#define LOAD(field, ...) (*(void **)&fn.field = sym(lib, __VA_ARGS__))

static const char *errstr(nvmlReturn_t r)
{
    static char buf[32];
    if (fn.error_string) {
        const char *s = fn.error_string(r);
        if (s)
            return s;
    }
    snprintf(buf, sizeof buf, "NVML error %d", r);
    return buf;
}

int nvml_open(struct nvml_ctx *ctx, const char *path)
{
    memset(ctx, 0, sizeof *ctx);
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(ctx->error, sizeof ctx->error, "cannot load %s: %s", path, dlerror());
        return -1;
    }
    memset(&fn, 0, sizeof fn);
    LOAD(init, "nvmlInit_v2", "nvmlInit", NULL);
    LOAD(shutdown, "nvmlShutdown", NULL, NULL);
    LOAD(count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount", NULL);
    LOAD(handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex", NULL);
    const char *missing = !fn.init ? "nvmlInit_v2" : !fn.shutdown ? "nvmlShutdown"
                          : !fn.count ? "nvmlDeviceGetCount_v2" : !fn.handle ? "nvmlDeviceGetHandleByIndex_v2" : NULL;
    if (missing) {
        snprintf(ctx->error, sizeof ctx->error, "%s lacks required symbol %s", path, missing);
        dlclose(lib);
        return -1;
    }
    LOAD(error_string, "nvmlErrorString", NULL, NULL);
    LOAD(name, "nvmlDeviceGetName", NULL, NULL);
    LOAD(uuid, "nvmlDeviceGetUUID", NULL, NULL);
    LOAD(serial, "nvmlDeviceGetSerial", NULL, NULL);
    LOAD(pci, "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2", NULL);
    LOAD(memory, "nvmlDeviceGetMemoryInfo", NULL, NULL);
    LOAD(util, "nvmlDeviceGetUtilizationRates", NULL, NULL);
    LOAD(temp, "nvmlDeviceGetTemperature", NULL, NULL);
    LOAD(power, "nvmlDeviceGetPowerUsage", NULL, NULL);
    LOAD(power_limit, "nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetPowerManagementLimit", NULL);
    LOAD(pcie_gen, "nvmlDeviceGetCurrPcieLinkGeneration", NULL, NULL);
    LOAD(pcie_width, "nvmlDeviceGetCurrPcieLinkWidth", NULL, NULL);
    LOAD(pcie_tput, "nvmlDeviceGetPcieThroughput", NULL, NULL);
    LOAD(ecc, "nvmlDeviceGetTotalEccErrors", NULL, NULL);
    LOAD(cc, "nvmlDeviceGetCudaComputeCapability", NULL, NULL);
    LOAD(driver, "nvmlSystemGetDriverVersion", NULL, NULL);
    LOAD(cuda, "nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion", NULL);

    nvmlReturn_t r = fn.init();
    if (r != NVML_SUCCESS) {
        snprintf(ctx->error, sizeof ctx->error, "nvmlInit failed: %s", errstr(r));
        dlclose(lib);
        memset(&fn, 0, sizeof fn);
        return -1;
    }
    ctx->lib = lib;
    ctx->source = GPU_SRC_NVML;
    if (fn.driver && fn.driver(ctx->driver_version, sizeof ctx->driver_version) != NVML_SUCCESS)
        ctx->driver_version[0] = '\0';
    ctx->driver_version[sizeof ctx->driver_version - 1] = '\0';
    if (fn.cuda && fn.cuda(&ctx->cuda_version) != NVML_SUCCESS)
        ctx->cuda_version = 0;
    return 0;
}

void nvml_close(struct nvml_ctx *ctx)
{
    if (ctx->source == GPU_SRC_NVML && ctx->lib) {
        fn.shutdown();
        dlclose(ctx->lib);
        memset(&fn, 0, sizeof fn);
    }
    ctx->lib = NULL;
    ctx->source = GPU_SRC_NONE;
}

void nvml_simulate(struct nvml_ctx *ctx, int count, int64_t vram_mgb)
{
    ctx->source = GPU_SRC_SIM;
    ctx->sim_count = count;
    ctx->sim_vram_mgb = vram_mgb;
    snprintf(ctx->driver_version, sizeof ctx->driver_version, "0.0.0-simulated");
}

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src);
}

static void gpu_defaults(struct nvml_gpu *g, int index)
{
    memset(g, 0, sizeof *g);
    g->index = index;
    g->cc_major = g->cc_minor = -1;
}

static int collect_nvml(struct nvml_gpu *out, int max)
{
    unsigned count = 0;
    if (fn.count(&count) != NVML_SUCCESS)
        return -1;
    int n = 0;
    for (unsigned i = 0; i < count && n < max; i++) {
        nvmlDevice_t d;
        struct nvml_gpu *g = &out[n];
        gpu_defaults(g, (int)i);
        if (fn.handle(i, &d) != NVML_SUCCESS)
            continue;
        n++;
        if (fn.name && fn.name(d, g->name, sizeof g->name) != NVML_SUCCESS)
            g->name[0] = '\0';
        if (fn.uuid && fn.uuid(d, g->uuid, sizeof g->uuid) != NVML_SUCCESS)
            g->uuid[0] = '\0';
        if (fn.serial && fn.serial(d, g->serial, sizeof g->serial) != NVML_SUCCESS)
            g->serial[0] = '\0';
        g->name[sizeof g->name - 1] = g->uuid[sizeof g->uuid - 1] = g->serial[sizeof g->serial - 1] = '\0';
        nvmlPciInfo_t pci;
        memset(&pci, 0, sizeof pci);
        if (fn.pci && fn.pci(d, &pci) == NVML_SUCCESS) {
            pci.busId[sizeof pci.busId - 1] = pci.busIdLegacy[sizeof pci.busIdLegacy - 1] = '\0';
            copy_str(g->bus_id, sizeof g->bus_id, pci.busId[0] ? pci.busId : pci.busIdLegacy);
            snprintf(g->device_id, sizeof g->device_id, "0x%08x", pci.pciDeviceId);
            snprintf(g->subsystem_id, sizeof g->subsystem_id, "0x%08x", pci.pciSubSystemId);
        }
        nvmlMemory_t mem;
        if (fn.memory && fn.memory(d, &mem) == NVML_SUCCESS) {
            g->mem_total = mem.total;
            g->mem_used = mem.used;
            g->mem_free = mem.free;
        }
        nvmlUtilization_t u;
        if (fn.util && fn.util(d, &u) == NVML_SUCCESS) {
            g->util_gpu = u.gpu;
            g->util_mem = u.memory;
        }
        if (fn.temp && fn.temp(d, NVML_TEMPERATURE_GPU, &g->temp_c) != NVML_SUCCESS)
            g->temp_c = 0;
        if (fn.power && fn.power(d, &g->power_mw) != NVML_SUCCESS)
            g->power_mw = 0;
        if (fn.power_limit && fn.power_limit(d, &g->power_limit_mw) != NVML_SUCCESS)
            g->power_limit_mw = 0;
        if (fn.pcie_gen && fn.pcie_gen(d, &g->pcie_gen) != NVML_SUCCESS)
            g->pcie_gen = 0;
        if (fn.pcie_width && fn.pcie_width(d, &g->pcie_width) != NVML_SUCCESS)
            g->pcie_width = 0;
        if (fn.pcie_tput && fn.pcie_tput(d, NVML_PCIE_UTIL_TX_BYTES, &g->pcie_tx_kbs) == NVML_SUCCESS &&
            fn.pcie_tput(d, NVML_PCIE_UTIL_RX_BYTES, &g->pcie_rx_kbs) == NVML_SUCCESS)
            g->has_pcie_tput = true;
        else
            g->pcie_tx_kbs = g->pcie_rx_kbs = 0;
        unsigned long long e;
        if (fn.ecc && fn.ecc(d, NVML_MEMORY_ERROR_TYPE_CORRECTED, NVML_VOLATILE_ECC, &e) == NVML_SUCCESS)
            g->ecc_single = e;
        if (fn.ecc && fn.ecc(d, NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_VOLATILE_ECC, &e) == NVML_SUCCESS)
            g->ecc_double = e;
        if (fn.cc && fn.cc(d, &g->cc_major, &g->cc_minor) != NVML_SUCCESS)
            g->cc_major = g->cc_minor = -1;
    }
    return n;
}

static int collect_sim(const struct nvml_ctx *ctx, struct nvml_gpu *out, int max)
{
    int n = ctx->sim_count < max ? ctx->sim_count : max;
    for (int i = 0; i < n; i++) {
        struct nvml_gpu *g = &out[i];
        gpu_defaults(g, i);
        g->simulated = true;
        copy_str(g->name, sizeof g->name, "Simulated GPU");
        snprintf(g->uuid, sizeof g->uuid, "GPU-SIMULATED-%04d", i);
        snprintf(g->serial, sizeof g->serial, "SIMULATED-%04d", i);
        g->mem_total = (uint64_t)ctx->sim_vram_mgb * 1073741824ULL / 1000ULL;
        g->mem_free = g->mem_total;
        g->temp_c = 40;
    }
    return n;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Splits line at commas into at most max trimmed fields; returns the field count. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *c = strchr(p, ',');
        if (n < max)
            f[n] = p;
        n++;
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    for (int i = 0; i < n && i < max; i++)
        f[i] = trim(f[i]);
    return n;
}

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *v = x;
    return true;
}

int64_t nvml_mib_to_cgb(int64_t mib)
{
    return (mib * 100 * 2 + 1024) / (2 * 1024); /* RHU(mib*100, 1024), mib >= 0 */
}

int64_t nvml_bytes_to_cgb(uint64_t bytes)
{
    unsigned __int128 n = (unsigned __int128)bytes * 100;
    return (int64_t)((n * 2 + (1ULL << 30)) / (2ULL << 30));
}

double nvml_kbs_to_mbs(unsigned kbs)
{
    int64_t c = ((int64_t)kbs * 100 * 2 + 1024) / 2048; /* centi-MB/s, half up */
    return (double)c / 100.0;
}

int nvml_smi_parse_discovery(const char *out, char *model, size_t modellen, int *count,
                             int64_t *total_cgb, int64_t *free_cgb, char *err, size_t errlen)
{
    int rc = -1;
    char *copy = xstrdup(out);
    char *save = NULL;
    *count = 0;
    *total_cgb = *free_cgb = 0;
    model[0] = '\0';
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *t = trim(line);
        if (!*t)
            continue;
        char shown[200];
        snprintf(shown, sizeof shown, "%s", t);
        char *f[4];
        if (split_csv(t, f, 4) != 3) {
            snprintf(err, errlen, "Unexpected nvidia-smi format: %s", shown);
            goto out;
        }
        int64_t tot, fr;
        if (!parse_i64(f[1], &tot) || !parse_i64(f[2], &fr) || tot < 0 || fr < 0) {
            snprintf(err, errlen, "Failed to parse nvidia-smi output: invalid memory value in '%s'", shown);
            goto out;
        }
        if (*count == 0)
            snprintf(model, modellen, "%s", f[0]);
        (*count)++;
        *total_cgb += nvml_mib_to_cgb(tot);
        *free_cgb += nvml_mib_to_cgb(fr);
    }
    if (*count == 0) {
        snprintf(err, errlen, "No GPU found in nvidia-smi output");
        goto out;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

static unsigned num_or_zero(const char *s, double scale)
{
    if (!*s || s[0] == '[')
        return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || d < 0)
        return 0;
    return (unsigned)(d * scale + 0.5);
}

int nvml_smi_parse_telemetry(const char *out, struct nvml_gpu *gpus, int max)
{
    char *copy = xstrdup(out);
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(copy, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        char *f[16];
        if (split_csv(line, f, 16) < 13)
            continue;
        struct nvml_gpu *g = &gpus[n];
        gpu_defaults(g, (int)num_or_zero(f[0], 1));
        g->util_gpu = num_or_zero(f[1], 1);
        g->util_mem = num_or_zero(f[2], 1);
        g->pcie_gen = num_or_zero(f[3], 1);
        g->pcie_width = num_or_zero(f[4], 1);
        g->power_mw = num_or_zero(f[5], 1000);
        g->temp_c = num_or_zero(f[6], 1);
        copy_str(g->name, sizeof g->name, f[7]);
        copy_str(g->serial, sizeof g->serial, f[8][0] == '[' ? "" : f[8]);
        copy_str(g->uuid, sizeof g->uuid, f[9][0] == '[' ? "" : f[9]);
        g->mem_total = (uint64_t)num_or_zero(f[10], 1) << 20;
        g->mem_used = (uint64_t)num_or_zero(f[11], 1) << 20;
        g->mem_free = (uint64_t)num_or_zero(f[12], 1) << 20;
        g->has_pcie_tput = false; /* nvidia-smi gives no throughput counters: unknown, not 0 */
        n++;
    }
    free(copy);
    return n;
}

static const char *const smi_telemetry_argv[] = {
    "nvidia-smi",
    "--query-gpu=index,utilization.gpu,utilization.memory,pcie.link.gen.current,pcie.link.width.current,"
    "power.draw,temperature.gpu,name,serial,uuid,memory.total,memory.used,memory.free",
    "--format=csv,noheader,nounits", NULL};

static int collect_smi(struct nvml_gpu *out, int max)
{
    struct agent_exec_result r;
    int n = 0;
    if (agent_exec(smi_telemetry_argv, 10000, 1 << 16, &r) == 0 && r.exit_code == 0)
        n = nvml_smi_parse_telemetry(r.out, out, max);
    agent_exec_free(&r);
    return n;
}

int nvml_collect(struct nvml_ctx *ctx, struct nvml_gpu *out, int max)
{
    switch (ctx->source) {
    case GPU_SRC_NVML: return collect_nvml(out, max);
    case GPU_SRC_SMI: return collect_smi(out, max);
    case GPU_SRC_SIM: return collect_sim(ctx, out, max);
    default: return -1;
    }
}

static void first_line(const char *s, char *out, size_t n)
{
    size_t len = strcspn(s, "\n");
    snprintf(out, n, "%.*s", (int)len, s);
    char *t = trim(out);
    memmove(out, t, strlen(t) + 1);
}

int nvml_smi_discover(char *model, size_t modellen, int *count, int64_t *total_cgb, int64_t *free_cgb,
                      char *err, size_t errlen)
{
    static const char *const argv[] = {"nvidia-smi", "--query-gpu=name,memory.total,memory.free",
                                       "--format=csv,noheader,nounits", NULL};
    struct agent_exec_result r;
    int rc = -1;
    int e = agent_exec(argv, 10000, 1 << 16, &r);
    if (r.timed_out) {
        snprintf(err, errlen, "nvidia-smi timed out");
    } else if (r.not_found) {
        snprintf(err, errlen, "nvidia-smi failed: not found in PATH");
    } else if (e != 0 || r.exit_code != 0) {
        char line[200];
        first_line(r.err, line, sizeof line);
        snprintf(err, errlen, "nvidia-smi failed: %s", line);
    } else {
        rc = nvml_smi_parse_discovery(r.out, model, modellen, count, total_cgb, free_cgb, err, errlen);
    }
    agent_exec_free(&r);
    return rc;
}

int nvml_smi_driver_version(char *out, size_t n)
{
    static const char *const argv[] = {"nvidia-smi", "--query-gpu=driver_version",
                                       "--format=csv,noheader,nounits", NULL};
    struct agent_exec_result r;
    int rc = -1;
    if (agent_exec(argv, 10000, 4096, &r) == 0 && r.exit_code == 0) {
        first_line(r.out, out, n);
        rc = *out ? 0 : -1;
    }
    agent_exec_free(&r);
    return rc;
}

void nvml_thermal_init(struct nvml_thermal *t, int capacity)
{
    memset(t, 0, sizeof *t);
    t->capacity = capacity > 0 ? capacity : 60;
}

void nvml_thermal_free(struct nvml_thermal *t)
{
    for (int i = 0; i < 64; i++)
        free(t->gpu[i].v);
    memset(t->gpu, 0, sizeof t->gpu);
}

int nvml_thermal_add(struct nvml_thermal *t, int index, unsigned temp_c)
{
    if (index < 0 || index >= 64)
        return (int)temp_c * 10;
    typeof(t->gpu[0]) *h = &t->gpu[index];
    if (!h->v)
        h->v = xcalloc((size_t)t->capacity, sizeof *h->v);
    h->v[h->next] = temp_c;
    h->next = (h->next + 1) % t->capacity;
    if (h->n < t->capacity)
        h->n++;
    uint64_t sum = 0;
    for (int i = 0; i < h->n; i++)
        sum += h->v[i];
    return (int)((sum * 10 * 2 + (uint64_t)h->n) / (2 * (uint64_t)h->n)); /* RHU(sum*10, n) */
}

static double cents(int64_t c)
{
    return (double)c / 100.0;
}

static double tenths_w(unsigned mw)
{
    return (double)(((uint64_t)mw * 2 + 100) / 200) / 10.0; /* mW → W, 1 decimal, half up */
}

json_t *nvml_gpu_json(const struct nvml_ctx *ctx, const struct nvml_gpu *g, int temp_avg_x10, double now_s)
{
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(g->index));
    json_object_set_new(o, "timestamp", json_real(now_s));
    json_object_set_new(o, "gpu_model", json_string(g->name));
    json_object_set_new(o, "serial", json_string(g->serial[0] ? g->serial : g->uuid));
    json_object_set_new(o, "uuid", json_string(g->uuid));
    json_object_set_new(o, "pci_info", json_pack("{s:s,s:s,s:s}", "bus_id", g->bus_id, "device_id", g->device_id,
                                                 "subsystem_id", g->subsystem_id));
    json_object_set_new(o, "utilization", json_integer(g->util_gpu));
    json_object_set_new(o, "memory_util", json_integer(g->util_mem));
    json_object_set_new(o, "memory_total_bytes", json_integer((json_int_t)g->mem_total));
    json_object_set_new(o, "memory_used_bytes", json_integer((json_int_t)g->mem_used));
    json_object_set_new(o, "memory_free_bytes", json_integer((json_int_t)g->mem_free));
    json_object_set_new(o, "memory_total_gb", json_real(cents(nvml_bytes_to_cgb(g->mem_total))));
    json_object_set_new(o, "memory_used_gb", json_real(cents(nvml_bytes_to_cgb(g->mem_used))));
    json_object_set_new(o, "memory_free_gb", json_real(cents(nvml_bytes_to_cgb(g->mem_free))));
    json_object_set_new(o, "temperature_c", json_integer(g->temp_c));
    json_object_set_new(o, "temperature_avg_c", json_real((double)temp_avg_x10 / 10.0));
    json_object_set_new(o, "power_draw_w", json_real(tenths_w(g->power_mw)));
    json_object_set_new(o, "power_limit_w", json_real(tenths_w(g->power_limit_mw)));
    json_object_set_new(o, "pcie_gen", json_integer(g->pcie_gen));
    json_object_set_new(o, "pcie_width", json_integer(g->pcie_width));
    json_object_set_new(o, "pcie_tx_mb_s", g->has_pcie_tput ? json_real(nvml_kbs_to_mbs(g->pcie_tx_kbs)) : json_null());
    json_object_set_new(o, "pcie_rx_mb_s", g->has_pcie_tput ? json_real(nvml_kbs_to_mbs(g->pcie_rx_kbs)) : json_null());
    json_object_set_new(o, "ecc_errors_single", json_integer((json_int_t)g->ecc_single));
    json_object_set_new(o, "ecc_errors_double", json_integer((json_int_t)g->ecc_double));
    json_object_set_new(o, "memory_errors", json_integer((json_int_t)g->ecc_double));
    char cc[24] = "";
    if (g->cc_major >= 0)
        snprintf(cc, sizeof cc, "%d.%d", g->cc_major, g->cc_minor);
    json_object_set_new(o, "compute_capability", json_string(cc));
    json_object_set_new(o, "driver_version", json_string(ctx->driver_version));
    char cuda[24] = "";
    if (ctx->cuda_version > 0)
        snprintf(cuda, sizeof cuda, "%d.%d", ctx->cuda_version / 1000, (ctx->cuda_version % 1000) / 10);
    json_object_set_new(o, "cuda_version", json_string(cuda));
    if (g->simulated)
        json_object_set_new(o, "simulated", json_true());
    return o;
}
