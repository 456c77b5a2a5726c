/* The agent's benchmark and verification report (domain §17.10): built from the fake
 * libnvidia-ml.so.1 loaded through the real dlopen path (XCELSIOR_NVML_LIB), the benchmark
 * container's output line and the network figures; what was not measured is null and listed. */
#include "agent/agent_verify.h"
#include "agent/nvml.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEC_US INT64_C(1000000)

static int open_fake(struct nvml_ctx *ctx, struct nvml_gpu *g, int max)
{
    setenv("XCELSIOR_NVML_LIB", XC_FAKE_NVML, 1);
    cr_assert_eq(nvml_open(ctx, getenv("XCELSIOR_NVML_LIB")), 0, "nvml_open: %s", ctx->error);
    int n = nvml_collect(ctx, g, max);
    cr_assert_gt(n, 0);
    return n;
}

static double rnum(json_t *r, const char *k)
{
    json_t *v = json_object_get(r, k);
    cr_assert(json_is_number(v), "%s is a number", k);
    return json_number_value(v);
}

static const char *rstr(json_t *r, const char *k)
{
    json_t *v = json_object_get(r, k);
    cr_assert(json_is_string(v), "%s is a string", k);
    return json_string_value(v);
}

static bool listed(json_t *r, const char *k)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(r, "not_measured"), i, v)
        if (strcmp(json_string_value(v), k) == 0)
            return true;
    return false;
}

static void assert_unmeasured(json_t *r, const char *k)
{
    cr_assert(json_is_null(json_object_get(r, k)), "%s is null", k);
    cr_assert(listed(r, k), "%s is listed as not measured", k);
}

Test(agent_verify, report_from_fake_nvml_bench_and_network)
{
    unsetenv("FAKE_NVML_TEMP");
    setenv("FAKE_NVML_COUNT", "2", 1);
    struct nvml_ctx ctx;
    struct nvml_gpu g[8];
    int n = open_fake(&ctx, g, 8);
    cr_assert_eq(n, 2);
    struct agent_bench b;
    cr_assert_eq(agent_bench_parse("warming up\n{\"tflops\": 82.6, \"pcie_h2d_gbps\": 24.1, \"pcie_d2h_gbps\": 25.9,"
                                   " \"gpu_temp_max_c\": 77, \"gpu_temp_avg_c\": 70.5}\n",
                                   &b),
                 0);
    struct agent_temps t = {0};
    agent_temps_add(&t, 60);
    agent_temps_add(&t, 0); /* an unreadable sample */
    struct agent_netq q = {.has_throughput = true, .throughput_mbps = 940.0};
    double rtt[] = {2.0, 4.0, 3.0};
    agent_netq_from_rtts(rtt, 3, 3, &q);
    json_t *versions = json_pack("{s:s}", "runc", "1.1.12");
    struct agent_verify_in in = {
        .ctx = &ctx, .gpus = g, .ngpu = n, .bench = &b, .temps = &t, .net = &q, .versions = versions};
    json_t *r = agent_verify_report(&in);
    cr_assert_str_eq(rstr(r, "gpu_model"), "NVIDIA GeForce RTX 4090");
    cr_assert_float_eq(rnum(r, "total_vram_gb"), 48.0, 1e-9, "two GPUs of the fake library");
    cr_assert_str_eq(rstr(r, "serial"), "1324024000000");
    cr_assert_str_eq(rstr(r, "driver_version"), "550.54.14");
    cr_assert_str_eq(rstr(r, "cuda_version"), "12.4");
    cr_assert_str_eq(rstr(r, "compute_capability"), "8.9");
    cr_assert_float_eq(rnum(r, "pcie_bandwidth_gbps"), 25.0, 1e-9, "mean of H2D and D2H");
    cr_assert_float_eq(rnum(r, "gpu_temp_celsius"), 77.0, 1e-9, "the benchmark's own load maximum");
    cr_assert_float_eq(rnum(r, "gpu_temp_avg_celsius"), 70.5, 1e-9);
    cr_assert_float_eq(rnum(r, "packet_loss_pct"), 0.0, 1e-9);
    cr_assert_float_eq(rnum(r, "latency_ms"), 3.0, 1e-9);
    cr_assert_float_eq(rnum(r, "jitter_ms"), 1.5, 1e-9);
    cr_assert_float_eq(rnum(r, "throughput_mbps"), 940.0, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(r, "torch_memory_allocated_bytes")), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "torch_memory_reserved_bytes")), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "memory_errors")), 2, "uncorrected ECC of both GPUs");
    cr_assert_str_eq(rstr(json_object_get(r, "versions"), "runc"), "1.1.12");
    assert_unmeasured(r, "memory_fragmentation_pct");
    cr_assert_eq(json_array_size(json_object_get(r, "not_measured")), 1);
    json_t *body = agent_bench_body("h1", "NVIDIA GeForce RTX 4090", &b);
    cr_assert_not_null(body);
    cr_assert_float_eq(rnum(body, "tflops"), 82.6, 1e-9);
    cr_assert_float_eq(rnum(json_object_get(body, "details"), "pcie_d2h_gbps"), 25.9, 1e-9);
    json_decref(body);
    json_decref(r);
    json_decref(versions);
    unsetenv("FAKE_NVML_COUNT");
    nvml_close(&ctx);
}

Test(agent_verify, without_benchmark_or_network_nothing_is_invented)
{
    setenv("FAKE_NVML_TEMP", "64", 1);
    struct nvml_ctx ctx;
    struct nvml_gpu g[8];
    int n = open_fake(&ctx, g, 8);
    struct agent_bench b;
    cr_assert_eq(agent_bench_parse("no json here\n", &b), -1);
    struct agent_temps t = {0};
    agent_temps_add(&t, g[0].temp_c);
    agent_temps_add(&t, 66);
    struct agent_netq q = {0};
    agent_netq_from_rtts(NULL, 0, 20, &q); /* every /healthz failed */
    struct agent_verify_in in = {.ctx = &ctx, .gpus = g, .ngpu = n, .bench = &b, .temps = &t, .net = &q};
    json_t *r = agent_verify_report(&in);
    /* Measured through NVML. */
    cr_assert_str_eq(rstr(r, "gpu_model"), "NVIDIA GeForce RTX 4090");
    cr_assert_float_eq(rnum(r, "total_vram_gb"), 24.0, 1e-9);
    cr_assert_float_eq(rnum(r, "gpu_temp_celsius"), 66.0, 1e-9, "the NVML samples");
    cr_assert_float_eq(rnum(r, "gpu_temp_avg_celsius"), 65.0, 1e-9);
    cr_assert_float_eq(rnum(r, "packet_loss_pct"), 100.0, 1e-9);
    /* Not measured: null, listed, never a declared or default value. */
    assert_unmeasured(r, "pcie_bandwidth_gbps");
    assert_unmeasured(r, "latency_ms");
    assert_unmeasured(r, "jitter_ms");
    assert_unmeasured(r, "throughput_mbps");
    assert_unmeasured(r, "memory_fragmentation_pct");
    cr_assert(json_is_object(json_object_get(r, "versions")));
    cr_assert_null(agent_bench_body("h1", "NVIDIA GeForce RTX 4090", &b), "no TFLOPS: no benchmark post");
    json_decref(r);
    unsetenv("FAKE_NVML_TEMP");
    nvml_close(&ctx);
}

Test(agent_verify, unreadable_temperature_is_not_measured)
{
    setenv("FAKE_NVML_TEMP", "0", 1);
    struct nvml_ctx ctx;
    struct nvml_gpu g[8];
    int n = open_fake(&ctx, g, 8);
    struct agent_temps t = {0};
    agent_temps_add(&t, g[0].temp_c);
    struct agent_verify_in in = {.ctx = &ctx, .gpus = g, .ngpu = n, .temps = &t};
    json_t *r = agent_verify_report(&in);
    assert_unmeasured(r, "gpu_temp_celsius");
    assert_unmeasured(r, "gpu_temp_avg_celsius");
    assert_unmeasured(r, "packet_loss_pct");
    json_decref(r);
    unsetenv("FAKE_NVML_TEMP");
    nvml_close(&ctx);
}

Test(agent_verify, simulated_gpus_measure_nothing)
{
    struct nvml_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    nvml_simulate(&ctx, 1, 24000);
    struct nvml_gpu g[2];
    int n = nvml_collect(&ctx, g, 2);
    cr_assert_eq(n, 1);
    struct agent_temps t = {0};
    agent_temps_add(&t, g[0].temp_c);
    struct agent_verify_in in = {.ctx = &ctx, .gpus = g, .ngpu = n, .temps = &t};
    json_t *r = agent_verify_report(&in);
    const char *keys[] = {"gpu_model",    "total_vram_gb",      "serial",           "driver_version",
                          "cuda_version", "compute_capability", "gpu_temp_celsius", "memory_errors"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_unmeasured(r, keys[i]);
    json_decref(r);
}

Test(agent_verify, bench_output_parsing)
{
    struct agent_bench b;
    cr_assert_eq(agent_bench_parse("{\"tflops\": 10}\n{\"tflops\": -3, \"pcie_h2d_gbps\": \"fast\","
                                   " \"compute_capability\": \"8.6\", \"cuda_version\": 12.2}",
                                   &b),
                 0);
    cr_assert_not(b.has_tflops, "the last JSON line counts; a negative number is not a measurement");
    cr_assert_not(b.has_h2d);
    cr_assert_str_eq(b.compute_capability, "8.6");
    cr_assert_str_eq(b.cuda_version, "12.2");
    cr_assert_eq(agent_bench_parse(NULL, &b), -1);
    cr_assert_eq(agent_bench_parse("[1,2]\n", &b), -1);
}

Test(agent_verify, network_figures)
{
    struct agent_netq q = {0};
    double rtt[] = {10.0, 12.0, 11.0};
    agent_netq_from_rtts(rtt, 3, 4, &q);
    cr_assert(q.has_rtt);
    cr_assert_float_eq(q.packet_loss_pct, 25.0, 1e-9);
    cr_assert_float_eq(q.latency_ms, 11.0, 1e-9);
    cr_assert_float_eq(q.jitter_ms, 1.5, 1e-9);
    cr_assert_not(q.has_throughput);
    double one[] = {7.0};
    agent_netq_from_rtts(one, 1, 1, &q);
    cr_assert_float_eq(q.jitter_ms, 0.0, 1e-9);
    cr_assert_float_eq(agent_throughput_mbps(10000000, 0.8), 100.0, 1e-9);
    cr_assert_float_eq(agent_throughput_mbps(10000000, 0), -1.0, 1e-9);
}

Test(agent_verify, when_to_run)
{
    int64_t now = INT64_C(1800000000) * SEC_US, day = 86400 * SEC_US;
    cr_assert(agent_verify_due(false, false, 0, 0, now), "no score, never ran");
    cr_assert_not(agent_verify_due(true, false, 0, 0, now), "a score and no local record: the server schedules");
    cr_assert(agent_verify_due(true, false, now - 8 * day, 0, now), "older than 7 days");
    cr_assert_not(agent_verify_due(false, false, now - 6 * day, 0, now), "ran (nothing to score) 6 days ago");
    cr_assert(agent_verify_due(true, true, now - day, 0, now), "the server asks");
    cr_assert_not(agent_verify_due(true, true, now - day, now - 599 * SEC_US, now), "at most one try per 600 s");
    cr_assert(agent_verify_due(true, true, now - day, now - 600 * SEC_US, now));
}
