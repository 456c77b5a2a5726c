/* NVML through the fake libnvidia-ml.so.1 (tests/fixtures/fake_nvml.c), loaded with dlopen from
 * the path in XCELSIOR_NVML_LIB exactly like the agent does; plus the nvidia-smi fallback. */
#include "agent/nvml.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/probe/%s", XC_FIXTURES_DIR, name);
    FILE *f = fopen(path, "r");
    cr_assert(f, "fixture %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void open_fake(struct nvml_ctx *ctx)
{
    setenv("XCELSIOR_NVML_LIB", XC_FAKE_NVML, 1);
    cr_assert_eq(nvml_open(ctx, getenv("XCELSIOR_NVML_LIB")), 0, "nvml_open: %s", ctx->error);
}

Test(agent_nvml, loads_fake_library_through_dlopen)
{
    struct nvml_ctx ctx;
    open_fake(&ctx);
    cr_assert_eq(ctx.source, GPU_SRC_NVML);
    cr_assert_str_eq(ctx.driver_version, "550.54.14");
    cr_assert_eq(ctx.cuda_version, 12040);
    nvml_close(&ctx);
}

Test(agent_nvml, reads_all_fields_with_spec_example_values)
{
    struct nvml_ctx ctx;
    unsetenv("FAKE_NVML_PCIE");
    open_fake(&ctx);
    struct nvml_gpu g[8];
    cr_assert_eq(nvml_collect(&ctx, g, 8), 1);
    cr_assert_str_eq(g[0].name, "NVIDIA GeForce RTX 4090");
    cr_assert_str_eq(g[0].serial, "1324024000000");
    cr_assert(strncmp(g[0].uuid, "GPU-", 4) == 0);
    cr_assert_str_eq(g[0].bus_id, "00000000:01:00.0"); /* from the _v2 fallback of PciInfo */
    cr_assert_str_eq(g[0].device_id, "0x268410de");
    cr_assert_eq(g[0].util_gpu, 65);
    cr_assert_eq(g[0].util_mem, 42);
    cr_assert(g[0].has_pcie_tput);

    json_t *o = nvml_gpu_json(&ctx, &g[0], 720, 1767225600.0);
    cr_assert_eq(json_integer_value(json_object_get(o, "utilization")), 65);
    cr_assert_float_eq(json_real_value(json_object_get(o, "memory_total_gb")), 24.0, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(o, "memory_used_gb")), 8.0, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(o, "memory_free_gb")), 16.0, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(o, "temperature_c")), 72);
    cr_assert_float_eq(json_real_value(json_object_get(o, "power_draw_w")), 285.0, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(o, "power_limit_w")), 450.0, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(o, "pcie_gen")), 4);
    cr_assert_eq(json_integer_value(json_object_get(o, "pcie_width")), 16);
    cr_assert_float_eq(json_real_value(json_object_get(o, "pcie_tx_mb_s")), 500.0, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(o, "pcie_rx_mb_s")), 375.0, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(o, "ecc_errors_single")), 3);
    cr_assert_eq(json_integer_value(json_object_get(o, "ecc_errors_double")), 1);
    cr_assert_eq(json_integer_value(json_object_get(o, "memory_errors")), 1, "uncorrectable only");
    cr_assert_str_eq(json_string_value(json_object_get(o, "compute_capability")), "8.9");
    cr_assert_str_eq(json_string_value(json_object_get(o, "cuda_version")), "12.4");
    cr_assert_str_eq(json_string_value(json_object_get(o, "driver_version")), "550.54.14");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "pci_info"), "bus_id")), "00000000:01:00.0");
    cr_assert_float_eq(json_real_value(json_object_get(o, "temperature_avg_c")), 72.0, 1e-9);
    json_decref(o);
    nvml_close(&ctx);
}

Test(agent_nvml, unsupported_pcie_counters_are_null_not_zero)
{
    struct nvml_ctx ctx;
    setenv("FAKE_NVML_PCIE", "unsupported", 1);
    open_fake(&ctx);
    struct nvml_gpu g[8];
    cr_assert_eq(nvml_collect(&ctx, g, 8), 1);
    cr_assert_not(g[0].has_pcie_tput);
    json_t *o = nvml_gpu_json(&ctx, &g[0], 0, 0);
    cr_assert(json_is_null(json_object_get(o, "pcie_tx_mb_s")));
    cr_assert(json_is_null(json_object_get(o, "pcie_rx_mb_s")));
    json_decref(o);
    unsetenv("FAKE_NVML_PCIE");
    nvml_close(&ctx);
}

Test(agent_nvml, several_devices)
{
    struct nvml_ctx ctx;
    setenv("FAKE_NVML_COUNT", "3", 1);
    open_fake(&ctx);
    struct nvml_gpu g[8];
    cr_assert_eq(nvml_collect(&ctx, g, 8), 3);
    cr_assert_eq(g[2].index, 2);
    cr_assert_str_eq(g[2].bus_id, "00000000:03:00.0");
    cr_assert_str_neq(g[0].serial, g[1].serial);
    unsetenv("FAKE_NVML_COUNT");
    nvml_close(&ctx);
}

Test(agent_nvml, missing_required_symbol_is_refused)
{
    struct nvml_ctx ctx;
    cr_assert_eq(nvml_open(&ctx, XC_FAKE_NVML_MIN), -1);
    cr_assert(strstr(ctx.error, "required symbol nvmlDeviceGetCount_v2"), "%s", ctx.error);
    cr_assert_eq(ctx.source, GPU_SRC_NONE);
}

Test(agent_nvml, missing_library_and_failed_init)
{
    struct nvml_ctx ctx;
    cr_assert_eq(nvml_open(&ctx, "/nonexistent/libnvidia-ml.so.1"), -1);
    cr_assert(strstr(ctx.error, "cannot load"), "%s", ctx.error);
    setenv("FAKE_NVML_INIT_FAIL", "1", 1);
    cr_assert_eq(nvml_open(&ctx, XC_FAKE_NVML), -1);
    cr_assert(strstr(ctx.error, "nvmlInit failed: Driver Not Loaded"), "%s", ctx.error);
    unsetenv("FAKE_NVML_INIT_FAIL");
}

Test(agent_nvml, thermal_rolling_average_per_gpu)
{
    struct nvml_thermal t;
    nvml_thermal_init(&t, 60);
    nvml_thermal_add(&t, 0, 70);
    nvml_thermal_add(&t, 0, 80);
    cr_assert_eq(nvml_thermal_add(&t, 0, 75), 750);
    cr_assert_eq(nvml_thermal_add(&t, 1, 40), 400, "histories are per GPU");
    nvml_thermal_free(&t);
    nvml_thermal_init(&t, 3);
    nvml_thermal_add(&t, 0, 60);
    nvml_thermal_add(&t, 0, 70);
    nvml_thermal_add(&t, 0, 80);
    cr_assert_eq(nvml_thermal_add(&t, 0, 90), 800);
    nvml_thermal_free(&t);
}

Test(agent_nvml, smi_discovery_parsing)
{
    char model[128], err[256];
    int count;
    int64_t tot, fr;
    cr_assert_eq(nvml_smi_parse_discovery(slurp("nvidia_smi_discovery.csv"), model, sizeof model, &count, &tot, &fr,
                                          err, sizeof err), 0);
    cr_assert_str_eq(model, "NVIDIA GeForce RTX 4090");
    cr_assert_eq(count, 1);
    cr_assert_eq(tot, 2399);
    cr_assert_eq(fr, 2148);
    cr_assert_eq(nvml_smi_parse_discovery(slurp("nvidia_smi_discovery_2gpu.csv"), model, sizeof model, &count, &tot,
                                          &fr, err, sizeof err), 0);
    cr_assert_eq(count, 2);
    cr_assert_eq(tot, 16000);
    cr_assert_eq(nvml_smi_parse_discovery("\n", model, sizeof model, &count, &tot, &fr, err, sizeof err), -1);
    cr_assert_str_eq(err, "No GPU found in nvidia-smi output");
    cr_assert_eq(nvml_smi_parse_discovery("only-one-field\n", model, sizeof model, &count, &tot, &fr, err, sizeof err), -1);
    cr_assert_str_eq(err, "Unexpected nvidia-smi format: only-one-field");
    cr_assert_eq(nvml_smi_parse_discovery("GPU, x, 1\n", model, sizeof model, &count, &tot, &fr, err, sizeof err), -1);
    cr_assert(strncmp(err, "Failed to parse nvidia-smi output:", 34) == 0, "%s", err);
}

Test(agent_nvml, smi_telemetry_parsing_has_no_pcie_data)
{
    struct nvml_gpu g[4];
    cr_assert_eq(nvml_smi_parse_telemetry(slurp("nvidia_smi_telemetry.csv"), g, 4), 1);
    cr_assert_eq(g[0].util_gpu, 97);
    cr_assert_eq(g[0].util_mem, 41);
    cr_assert_eq(g[0].power_mw, 285500);
    cr_assert_str_eq(g[0].name, "NVIDIA GeForce RTX 4090");
    cr_assert_str_eq(g[0].serial, "", "[N/A] serial");
    cr_assert_not(g[0].has_pcie_tput, "nvidia-smi gives no PCIe throughput: unknown, never 0");
    cr_assert_eq(g[0].mem_total, 24564ULL << 20);
    cr_assert_eq(nvml_smi_parse_telemetry("1, 2, 3\n", g, 4), 0, "short lines are skipped");
}

static char tmpdir[64];

static void fake_smi(const char *body)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/xc-smi-XXXXXX");
    cr_assert(mkdtemp(tmpdir));
    char path[128];
    snprintf(path, sizeof path, "%s/nvidia-smi", tmpdir);
    FILE *f = fopen(path, "w");
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0755);
    char *p = getenv("PATH");
    char newpath[4096];
    snprintf(newpath, sizeof newpath, "%s:%s", tmpdir, p ? p : "/usr/bin:/bin");
    setenv("PATH", newpath, 1);
}

Test(agent_nvml, smi_discovery_runs_the_tool)
{
    fake_smi("echo 'NVIDIA GeForce RTX 4090, 24564, 22000'");
    char model[128], err[256] = "";
    int count;
    int64_t tot, fr;
    cr_assert_eq(nvml_smi_discover(model, sizeof model, &count, &tot, &fr, err, sizeof err), 0, "%s", err);
    cr_assert_eq(tot, 2399);
}

Test(agent_nvml, smi_discovery_failure_text)
{
    fake_smi("echo 'driver error' >&2; exit 9");
    char model[128], err[256] = "";
    int count;
    int64_t tot, fr;
    cr_assert_eq(nvml_smi_discover(model, sizeof model, &count, &tot, &fr, err, sizeof err), -1);
    cr_assert_str_eq(err, "nvidia-smi failed: driver error");
}

Test(agent_nvml, simulated_gpus_are_marked)
{
    struct nvml_ctx ctx = {0};
    nvml_simulate(&ctx, 2, 16000);
    struct nvml_gpu g[4];
    cr_assert_eq(nvml_collect(&ctx, g, 4), 2);
    cr_assert(g[0].simulated);
    cr_assert_str_eq(g[0].name, "Simulated GPU");
    cr_assert_not(g[0].has_pcie_tput);
    json_t *o = nvml_gpu_json(&ctx, &g[1], 400, 0);
    cr_assert(json_is_true(json_object_get(o, "simulated")));
    cr_assert_float_eq(json_real_value(json_object_get(o, "memory_total_gb")), 16.0, 0.01);
    json_decref(o);
}

Test(agent_nvml, unit_conversions_round_half_up)
{
    cr_assert_eq(nvml_mib_to_cgb(24564), 2399);
    cr_assert_eq(nvml_mib_to_cgb(22000), 2148);
    cr_assert_eq(nvml_bytes_to_cgb(24ULL << 30), 2400);
    cr_assert_float_eq(nvml_kbs_to_mbs(512000), 500.0, 1e-9);
    cr_assert_float_eq(nvml_kbs_to_mbs(1000), 0.98, 1e-9);
}
