/* The benchmark and verification report (domain §17.10), pure parts: see agent_verify.h. */
#include "agent/agent_verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A finite, non-negative JSON number. */
static bool num(json_t *o, const char *k, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        return false;
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0)
        return false;
    *out = d;
    return true;
}

/* A short version-like string ("8.9", "12.4"), or a number written as one. */
static void ver(json_t *o, const char *k, char *out, size_t n)
{
    json_t *v = json_object_get(o, k);
    out[0] = '\0';
    if (json_is_string(v) && strlen(json_string_value(v)) < n)
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_number(v) && isfinite(json_number_value(v)) && json_number_value(v) > 0)
        snprintf(out, n, "%g", json_number_value(v));
}

static void bench_from(json_t *o, struct agent_bench *b)
{
    memset(b, 0, sizeof *b);
    b->has_tflops = num(o, "tflops", &b->tflops);
    b->has_h2d = num(o, "pcie_h2d_gbps", &b->h2d_gbps);
    b->has_d2h = num(o, "pcie_d2h_gbps", &b->d2h_gbps);
    b->has_temp_max = num(o, "gpu_temp_max_c", &b->temp_max_c);
    b->has_temp_avg = num(o, "gpu_temp_avg_c", &b->temp_avg_c);
    ver(o, "compute_capability", b->compute_capability, sizeof b->compute_capability);
    ver(o, "cuda_version", b->cuda_version, sizeof b->cuda_version);
}

int agent_bench_parse(const char *out, struct agent_bench *b)
{
    memset(b, 0, sizeof *b);
    int found = -1;
    const char *p = out ? out : "";
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        json_t *o = json_loadb(p, len, 0, NULL);
        if (json_is_object(o)) {
            bench_from(o, b);
            found = 0;
        }
        json_decref(o);
        p += len + (e ? 1 : 0);
    }
    return found;
}

void agent_temps_add(struct agent_temps *t, unsigned temp_c)
{
    if (temp_c == 0)
        return;
    if (t->n == 0 || temp_c > t->max_c)
        t->max_c = temp_c;
    t->sum_c += temp_c;
    t->n++;
}

void agent_netq_from_rtts(const double *rtt_ms, int nok, int sent, struct agent_netq *q)
{
    bool thr = q->has_throughput;
    double mbps = q->throughput_mbps;
    memset(q, 0, sizeof *q);
    q->has_throughput = thr;
    q->throughput_mbps = mbps;
    if (sent <= 0)
        return;
    if (nok > sent)
        nok = sent;
    q->packet_loss_pct = (double)(sent - nok) / sent * 100.0;
    if (nok <= 0)
        return;
    double sum = 0, dev = 0;
    for (int i = 0; i < nok; i++) {
        sum += rtt_ms[i];
        if (i > 0)
            dev += fabs(rtt_ms[i] - rtt_ms[i - 1]);
    }
    q->has_rtt = true;
    q->latency_ms = sum / nok;
    q->jitter_ms = nok > 1 ? dev / (nok - 1) : 0;
}

double agent_throughput_mbps(uint64_t bytes, double seconds)
{
    return seconds > 0 ? (double)bytes * 8.0 / seconds / 1e6 : -1;
}

static double r2(double v)
{
    return round(v * 100.0) / 100.0;
}

/* Sets k to a measured number, or null and lists k as not measured. */
static void put(json_t *r, json_t *nm, const char *k, bool has, double v)
{
    if (has) {
        json_object_set_new(r, k, json_real(r2(v)));
    } else {
        json_object_set_new(r, k, json_null());
        json_array_append_new(nm, json_string(k));
    }
}

static void put_str(json_t *r, json_t *nm, const char *k, const char *v)
{
    if (v && *v) {
        json_object_set_new(r, k, json_string(v));
    } else {
        json_object_set_new(r, k, json_null());
        json_array_append_new(nm, json_string(k));
    }
}

json_t *agent_verify_report(const struct agent_verify_in *in)
{
    static const struct agent_bench no_bench;
    static const struct agent_temps no_temps;
    static const struct agent_netq no_net;
    const struct agent_bench *b = in->bench ? in->bench : &no_bench;
    const struct agent_temps *t = in->temps ? in->temps : &no_temps;
    const struct agent_netq *q = in->net ? in->net : &no_net;
    /* Simulated GPUs measure nothing: their readings are synthetic. */
    bool gpu = in->ctx && in->ctx->source != GPU_SRC_SIM && in->ctx->source != GPU_SRC_NONE && in->ngpu > 0 &&
               !in->gpus[0].simulated;
    const struct nvml_gpu *g0 = gpu ? &in->gpus[0] : NULL;
    json_t *r = json_object(), *nm = json_array();

    put_str(r, nm, "gpu_model", g0 ? g0->name : NULL);
    int64_t cgb = 0;
    uint64_t ecc = 0;
    for (int i = 0; gpu && i < in->ngpu; i++) {
        cgb += nvml_bytes_to_cgb(in->gpus[i].mem_total);
        ecc += in->gpus[i].ecc_double;
    }
    put(r, nm, "total_vram_gb", gpu && cgb > 0, (double)cgb / 100.0);
    put_str(r, nm, "serial", g0 ? (g0->serial[0] ? g0->serial : g0->uuid) : NULL);
    put_str(r, nm, "driver_version", gpu ? in->ctx->driver_version : NULL);
    char cuda[24] = "", cc[24] = "";
    if (gpu && in->ctx->cuda_version > 0)
        snprintf(cuda, sizeof cuda, "%d.%d", in->ctx->cuda_version / 1000, (in->ctx->cuda_version % 1000) / 10);
    else
        snprintf(cuda, sizeof cuda, "%s", b->cuda_version);
    if (g0 && g0->cc_major >= 0)
        snprintf(cc, sizeof cc, "%d.%d", g0->cc_major, g0->cc_minor);
    else
        snprintf(cc, sizeof cc, "%s", b->compute_capability);
    put_str(r, nm, "cuda_version", cuda);
    put_str(r, nm, "compute_capability", cc);
    bool pcie = b->has_h2d && b->has_d2h;
    put(r, nm, "pcie_bandwidth_gbps", pcie, pcie ? (b->h2d_gbps + b->d2h_gbps) / 2.0 : 0);
    /* The benchmark's own temperatures under load, else the NVML samples of the window. */
    bool tmax = b->has_temp_max || (gpu && t->n > 0), tavg = b->has_temp_avg || (gpu && t->n > 0);
    put(r, nm, "gpu_temp_celsius", tmax, b->has_temp_max ? b->temp_max_c : (double)t->max_c);
    put(r, nm, "gpu_temp_avg_celsius", tavg, b->has_temp_avg ? b->temp_avg_c : t->n ? t->sum_c / t->n : 0);
    put(r, nm, "packet_loss_pct", in->net != NULL, q->packet_loss_pct);
    put(r, nm, "jitter_ms", q->has_rtt, q->jitter_ms);
    put(r, nm, "latency_ms", q->has_rtt, q->latency_ms);
    put(r, nm, "throughput_mbps", q->has_throughput, q->throughput_mbps);
    /* No PyTorch allocator here: fragmentation is not measured and the counters are 0 (§17.10). */
    put(r, nm, "memory_fragmentation_pct", false, 0);
    json_object_set_new(r, "torch_memory_allocated_bytes", json_integer(0));
    json_object_set_new(r, "torch_memory_reserved_bytes", json_integer(0));
    if (gpu && in->ctx->source == GPU_SRC_NVML)
        json_object_set_new(r, "memory_errors", json_integer((json_int_t)ecc));
    else
        put(r, nm, "memory_errors", false, 0);
    json_object_set_new(r, "versions", in->versions ? json_deep_copy(in->versions) : json_object());
    json_object_set_new(r, "not_measured", nm);
    return r;
}

json_t *agent_bench_body(const char *host_id, const char *gpu_model, const struct agent_bench *b)
{
    if (!b || !b->has_tflops || !gpu_model || !*gpu_model)
        return NULL;
    json_t *d = json_object();
    if (b->has_h2d)
        json_object_set_new(d, "pcie_h2d_gbps", json_real(r2(b->h2d_gbps)));
    if (b->has_d2h)
        json_object_set_new(d, "pcie_d2h_gbps", json_real(r2(b->d2h_gbps)));
    if (*b->compute_capability)
        json_object_set_new(d, "compute_capability", json_string(b->compute_capability));
    if (*b->cuda_version)
        json_object_set_new(d, "cuda_version", json_string(b->cuda_version));
    if (b->has_temp_max)
        json_object_set_new(d, "gpu_temp_max_c", json_real(r2(b->temp_max_c)));
    if (b->has_temp_avg)
        json_object_set_new(d, "gpu_temp_avg_c", json_real(r2(b->temp_avg_c)));
    return json_pack("{s:s,s:s,s:f,s:o}", "host_id", host_id, "gpu_model", gpu_model, "tflops", r2(b->tflops),
                     "details", d);
}

bool agent_verify_due(bool has_score, bool reverify_due, int64_t last_run_us, int64_t last_try_us, int64_t now_us)
{
    if (last_try_us && now_us - last_try_us < AGENT_VERIFY_RETRY_US)
        return false;
    if (reverify_due)
        return true;
    if (!last_run_us)
        return !has_score;
    return now_us - last_run_us >= AGENT_BENCH_MAX_AGE_US;
}
