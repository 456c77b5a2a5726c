#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "core/verify.h"

#define GOOD "{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\",\"nvidia_driver\":\"560.35.03\",\"docker\":\"27.1.1\"}"
#define T0 (INT64_C(1767225600) * SEC)
#define S(x) ((int64_t)(x) * SEC)

static json_t *good_versions;
static json_t *empty_versions;

static void setup(void)
{
    good_versions = json_loads(GOOD, 0, NULL);
    empty_versions = json_object();
}

static void teardown(void)
{
    json_decref(good_versions);
    json_decref(empty_versions);
}

TestSuite(verify, .init = setup, .fini = teardown);

static const struct verify_registered reg4090 = {"NVIDIA RTX 4090", 24000};

/* VER-01's good report. */
static struct verify_report good(void)
{
    struct verify_report r = {
        .gpu_model = "NVIDIA RTX 4090",
        .total_vram_mgb = 24000,
        .serial = "GPU-SN-4090-001",
        .driver_version = "550.54",
        .cuda_version = "12.4",
        .compute_capability = "8.9",
        .pcie_gbps_e3 = 15000,
        .temp_c_e3 = 65000,
        .packet_loss_pct_e3 = 100,
        .jitter_ms_e3 = 5000,
        .throughput_mbps_e3 = 500000,
        .fragmentation_pct_e3 = VERIFY_MISSING,
        .torch_allocated_bytes = VERIFY_MISSING,
        .torch_reserved_bytes = VERIFY_MISSING,
        .versions = good_versions,
    };
    return r;
}

static struct verify_report empty(void)
{
    struct verify_report r = {NULL, VERIFY_MISSING, NULL, NULL, NULL, NULL, VERIFY_MISSING,
                              VERIFY_MISSING, VERIFY_MISSING, VERIFY_MISSING, VERIFY_MISSING,
                              VERIFY_MISSING, VERIFY_MISSING, VERIFY_MISSING, NULL};
    return r;
}

static bool run(enum verify_check_id id, const struct verify_registered *reg,
                const struct verify_report *rep, const char *serial)
{
    struct verify_check c;
    cr_assert_eq(verify_run_check(id, reg, rep, serial, NULL, &c), 0);
    bool ok = c.passed;
    verify_check_free(&c);
    return ok;
}

Test(verify, names)
{
    const char *checks[] = {"gpu_identity",      "cuda_readiness",       "pcie_bandwidth",
                            "thermal_stability", "network_quality",      "memory_fragmentation",
                            "security_posture"};
    const char *states[] = {"unverified", "verifying", "verified", "deverified"};
    cr_assert_eq(VERIFY_CHECK__COUNT, 7);
    for (int i = 0; i < 7; i++)
        cr_assert_str_eq(verify_check_name((enum verify_check_id)i), checks[i]);
    for (int i = 0; i < VERIFY__COUNT; i++) {
        enum verify_state s;
        cr_assert_str_eq(verify_state_name((enum verify_state)i), states[i]);
        cr_assert_eq(verify_state_parse(states[i], &s), 0);
        cr_assert_eq(s, (enum verify_state)i);
    }
    enum verify_state s;
    cr_assert_eq(verify_state_parse("Verified", &s), XC_EINVAL);
    cr_assert_eq(verify_state_parse(NULL, &s), XC_EINVAL);
    cr_assert_null(verify_state_name(VERIFY__COUNT));
    cr_assert_null(verify_check_name(VERIFY_CHECK__COUNT));
    cr_assert_str_eq(verify_event_name(VERIFY_EV_FAILURE_THRESHOLD), "failure_threshold");
    cr_assert_str_eq(verify_due_name(VERIFY_DUE_OVERDUE), "overdue");
    cr_assert(verify_state_counts_verified(VERIFY_VERIFIED));
    cr_assert(verify_state_counts_verified(VERIFY_VERIFYING));
    cr_assert_not(verify_state_counts_verified(VERIFY_UNVERIFIED));
    cr_assert_not(verify_state_counts_verified(VERIFY_DEVERIFIED));
}

Test(verify, fingerprint_vector)
{
    char fp[17];
    cr_assert_eq(verify_fingerprint("RTX 4090", 24000, "GPU-SN-4090-001", fp), 0);
    cr_assert_str_eq(fp, "673faa842221ce47"); /* RTX4090|24576|GPU-SN-4090-001 */
    cr_assert_eq(verify_fingerprint("NVIDIA GeForce RTX 4090", 24000, "GPU-SN-4090-001", fp), 0);
    cr_assert_str_eq(fp, "673faa842221ce47");
    cr_assert_eq(verify_fingerprint("RTX 4090", 24000, "GPU-SN-4090-002", fp), 0);
    cr_assert_str_neq(fp, "673faa842221ce47");
    cr_assert_eq(verify_fingerprint("RTX 4090", -1, "x", fp), XC_EINVAL);
}

Test(verify, fingerprint_ignores_driver_and_cuda)
{
    struct verify_report a = good(), b = good();
    struct verify_outcome oa, ob;
    b.driver_version = "560.1";
    b.cuda_version = "12.6";
    cr_assert_eq(verify_evaluate(&reg4090, &a, NULL, NULL, T0, &oa), 0);
    cr_assert_eq(verify_evaluate(&reg4090, &b, NULL, NULL, T0, &ob), 0);
    cr_assert_str_eq(oa.fingerprint, ob.fingerprint);
    cr_assert_str_eq(oa.fingerprint, "673faa842221ce47");
    verify_outcome_free(&oa);
    verify_outcome_free(&ob);
}

Test(verify, ver01_good_report)
{
    struct verify_report r = good();
    struct verify_outcome o;
    cr_assert_eq(verify_evaluate(&reg4090, &r, NULL, NULL, T0, &o), 0);
    cr_assert(o.evaluated);
    cr_assert_eq(o.passed, 7);
    cr_assert_eq(o.score_e2, 10000);
    cr_assert_eq(o.state, VERIFY_VERIFIED);
    cr_assert(o.state_changed);
    cr_assert_not(o.drift);
    cr_assert_str_eq(o.deverify_reason, "");
    cr_assert_eq(o.last_check_at_us, T0);
    cr_assert_eq(o.next_check_at_us, T0 + S(86400));
    cr_assert_eq(o.verified_at_us, T0);
    cr_assert_eq(o.deverified_at_us, VERIFY_NO_TIME);
    cr_assert_eq(o.cooldown_until_us, VERIFY_NO_TIME);
    cr_assert_not(o.reverify_due);
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(o.checks[i].id, (enum verify_check_id)i);
        cr_assert(o.checks[i].passed, "%s: %s", verify_check_name(o.checks[i].id), o.checks[i].details);
    }
    cr_assert_str_eq(o.checks[0].expected, "NVIDIA RTX 4090 / 24.0GB");
    cr_assert_str_eq(o.checks[0].actual, "NVIDIA RTX 4090 / 24.0GB");
    cr_assert_str_eq(o.checks[0].details, "Model match: true, VRAM: 100.00%");
    cr_assert_str_eq(o.checks[1].actual, "CUDA 12.4, driver 550.54, compute capability 8.9");
    cr_assert_str_eq(o.checks[2].expected, ">= 8.0 GB/s");
    cr_assert_str_eq(o.checks[2].actual, "15.0 GB/s");
    cr_assert_str_eq(o.checks[3].actual, "65.0 C");
    cr_assert_str_eq(o.checks[4].actual, "loss 0.1%, jitter 5.0ms, throughput 500.0Mbps");
    cr_assert_str_eq(o.checks[5].details, "check skipped");
    cr_assert_str_eq(o.checks[6].actual, "admitted");
    cr_assert_str_eq(o.checks[6].details, "");
    verify_outcome_free(&o);
}

Test(verify, identity_check_texts_api_example)
{
    struct verify_registered reg = {"RTX 4090", 24000};
    struct verify_report r = good();
    struct verify_check c;
    r.gpu_model = "NVIDIA GeForce RTX 4090";
    r.total_vram_mgb = 23990;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_GPU_IDENTITY, &reg, &r, NULL, NULL, &c), 0);
    cr_assert(c.passed);
    cr_assert_str_eq(c.expected, "RTX 4090 / 24.0GB");
    cr_assert_str_eq(c.actual, "NVIDIA GeForce RTX 4090 / 23.99GB");
    cr_assert_str_eq(c.details, "Model match: true, VRAM: 99.96%");
    verify_check_free(&c);
}

Test(verify, ver02_identity)
{
    struct verify_report r = good();
    cr_assert(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, NULL));
    r.gpu_model = "NVIDIA RTX 3090";
    cr_assert_not(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, NULL));
    r = good();
    r.total_vram_mgb = 20000; /* 83 % */
    struct verify_check c;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.details, "Model match: true, VRAM: 83.33%");
    verify_check_free(&c);
    /* the 95.0 % edge: 22 800 of 24 000 exactly passes, 22 799 fails */
    r.total_vram_mgb = 22800;
    cr_assert(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, NULL));
    r.total_vram_mgb = 22799;
    cr_assert_not(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, NULL));
    /* empty models fail, on either side */
    r = good();
    r.gpu_model = "";
    cr_assert_not(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, NULL));
    struct verify_registered empty_reg = {"", 24000};
    struct verify_report r2 = good();
    r2.gpu_model = "";
    cr_assert_not(run(VERIFY_CHECK_GPU_IDENTITY, &empty_reg, &r2, NULL));
    /* host total 0 -> VRAM 0 % -> fails */
    struct verify_registered zero = {"NVIDIA RTX 4090", 0};
    r = good();
    cr_assert_eq(verify_run_check(VERIFY_CHECK_GPU_IDENTITY, &zero, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.details, "Model match: true, VRAM: 0.00%");
    verify_check_free(&c);
    /* a recorded serial must match */
    r = good();
    cr_assert(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, "GPU-SN-4090-001"));
    cr_assert_not(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, "GPU-SN-OTHER"));
    r.serial = NULL;
    cr_assert_not(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, "GPU-SN-4090-001"));
    cr_assert(run(VERIFY_CHECK_GPU_IDENTITY, &reg4090, &r, ""));
}

Test(verify, ver02_cuda)
{
    struct verify_report r = good();
    struct verify_check c;
    const char *ok_cc[] = {"7.0", "8.9", "9.0", "10.0", "7.5"};
    for (size_t i = 0; i < sizeof ok_cc / sizeof ok_cc[0]; i++) {
        r.compute_capability = ok_cc[i];
        cr_assert(run(VERIFY_CHECK_CUDA_READINESS, &reg4090, &r, NULL), "%s", ok_cc[i]);
    }
    struct {
        const char *cc, *why;
    } bad[] = {{"5.0", "compute capability below 7.0"},  {"6.9", "compute capability below 7.0"},
               {"abc", "compute capability unparseable"}, {"8", "compute capability unparseable"},
               {"8.", "compute capability unparseable"},  {".9", "compute capability unparseable"},
               {"8.9.1", "compute capability unparseable"}, {"", "compute capability unparseable"},
               {NULL, "compute capability unparseable"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.compute_capability = bad[i].cc;
        cr_assert_eq(verify_run_check(VERIFY_CHECK_CUDA_READINESS, &reg4090, &r, NULL, NULL, &c), 0);
        cr_assert_not(c.passed, "%s", bad[i].cc ? bad[i].cc : "(null)");
        cr_assert_str_eq(c.details, bad[i].why);
        verify_check_free(&c);
    }
    r = good();
    r.cuda_version = "";
    cr_assert_eq(verify_run_check(VERIFY_CHECK_CUDA_READINESS, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.details, "CUDA version missing");
    verify_check_free(&c);
    r = good();
    r.driver_version = NULL;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_CUDA_READINESS, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.details, "driver version missing");
    cr_assert_str_eq(c.expected, "CUDA and driver present, compute capability >= 7.0");
    verify_check_free(&c);
}

Test(verify, ver02_pcie_thermal)
{
    struct verify_report r = good();
    struct verify_check c;
    r.pcie_gbps_e3 = 15000;
    cr_assert(run(VERIFY_CHECK_PCIE_BANDWIDTH, &reg4090, &r, NULL));
    r.pcie_gbps_e3 = 2000;
    cr_assert_not(run(VERIFY_CHECK_PCIE_BANDWIDTH, &reg4090, &r, NULL));
    r.pcie_gbps_e3 = 8000;
    cr_assert(run(VERIFY_CHECK_PCIE_BANDWIDTH, &reg4090, &r, NULL));
    r.pcie_gbps_e3 = 7999;
    cr_assert_not(run(VERIFY_CHECK_PCIE_BANDWIDTH, &reg4090, &r, NULL));
    r.pcie_gbps_e3 = VERIFY_MISSING;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_PCIE_BANDWIDTH, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.actual, "0.0 GB/s");
    verify_check_free(&c);

    r.temp_c_e3 = 65000;
    cr_assert(run(VERIFY_CHECK_THERMAL_STABILITY, &reg4090, &r, NULL));
    r.temp_c_e3 = 95000;
    cr_assert_not(run(VERIFY_CHECK_THERMAL_STABILITY, &reg4090, &r, NULL));
    r.temp_c_e3 = 90000;
    cr_assert(run(VERIFY_CHECK_THERMAL_STABILITY, &reg4090, &r, NULL));
    r.temp_c_e3 = 90001;
    cr_assert_not(run(VERIFY_CHECK_THERMAL_STABILITY, &reg4090, &r, NULL));
    r.temp_c_e3 = VERIFY_MISSING;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_THERMAL_STABILITY, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.details, "not measured");
    verify_check_free(&c);
}

Test(verify, ver02_network)
{
    struct verify_report r = good();
    cr_assert(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r.packet_loss_pct_e3 = 10000;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r.packet_loss_pct_e3 = 2000;
    cr_assert(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r.packet_loss_pct_e3 = 2001;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r = good();
    r.jitter_ms_e3 = 200000;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r.jitter_ms_e3 = 50000;
    cr_assert(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r.jitter_ms_e3 = 50001;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r = good();
    r.throughput_mbps_e3 = 10000;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r.throughput_mbps_e3 = 100000;
    cr_assert(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r.throughput_mbps_e3 = 99999;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    /* each missing value takes its failing default */
    r = good();
    r.packet_loss_pct_e3 = VERIFY_MISSING;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r = good();
    r.jitter_ms_e3 = VERIFY_MISSING;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    r = good();
    r.throughput_mbps_e3 = VERIFY_MISSING;
    cr_assert_not(run(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &r, NULL));
    struct verify_report e = empty();
    struct verify_check c;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_NETWORK_QUALITY, &reg4090, &e, NULL, NULL, &c), 0);
    cr_assert_str_eq(c.actual, "loss 100.0%, jitter 999.0ms, throughput 0.0Mbps");
    verify_check_free(&c);
}

Test(verify, memory_fragmentation)
{
    struct verify_report r = good();
    struct verify_check c;
    cr_assert(run(VERIFY_CHECK_MEMORY_FRAGMENTATION, &reg4090, &r, NULL));
    r.torch_allocated_bytes = 0;
    r.torch_reserved_bytes = 0;
    r.fragmentation_pct_e3 = 90000;
    cr_assert(run(VERIFY_CHECK_MEMORY_FRAGMENTATION, &reg4090, &r, NULL)); /* skipped */
    r.torch_reserved_bytes = 1 << 20;
    cr_assert_not(run(VERIFY_CHECK_MEMORY_FRAGMENTATION, &reg4090, &r, NULL));
    r.fragmentation_pct_e3 = 50000;
    cr_assert_not(run(VERIFY_CHECK_MEMORY_FRAGMENTATION, &reg4090, &r, NULL));
    r.fragmentation_pct_e3 = 49999;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_MEMORY_FRAGMENTATION, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert(c.passed);
    cr_assert_str_eq(c.actual, "49.999%");
    cr_assert_str_eq(c.details, "");
    verify_check_free(&c);
    r.torch_reserved_bytes = VERIFY_MISSING;
    r.torch_allocated_bytes = 1;
    r.fragmentation_pct_e3 = 60000;
    cr_assert_not(run(VERIFY_CHECK_MEMORY_FRAGMENTATION, &reg4090, &r, NULL));
}

Test(verify, security_posture)
{
    struct verify_report r = good();
    struct verify_check c;
    cr_assert(run(VERIFY_CHECK_SECURITY_POSTURE, &reg4090, &r, NULL));
    r.versions = empty_versions;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_SECURITY_POSTURE, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.actual, "not admitted");
    cr_assert_not_null(strstr(c.details, "runc version not reported"));
    verify_check_free(&c);
    r.versions = NULL;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_SECURITY_POSTURE, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.details, "no versions reported");
    verify_check_free(&c);
    json_t *bad = json_loads("{\"runc\":\"1.0.0\",\"nvidia_ctk\":\"1.17.8\",\"nvidia_driver\":\"560.35.03\","
                             "\"docker\":\"27.1.1\"}",
                             0, NULL);
    r.versions = bad;
    cr_assert_eq(verify_run_check(VERIFY_CHECK_SECURITY_POSTURE, &reg4090, &r, NULL, NULL, &c), 0);
    cr_assert_not(c.passed);
    cr_assert_str_eq(c.details, "runc 1.0.0 is below minimum 1.1.14 (CVE-2024-21626, CVE-2024-45310)");
    verify_check_free(&c);
    json_decref(bad);
}

Test(verify, score)
{
    int64_t want[] = {0, 1429, 2857, 4286, 5714, 7143, 8571, 10000};
    for (int i = 0; i <= 7; i++)
        cr_assert_eq(verify_score_e2(i), want[i], "%d", i);
}

Test(verify, ver03_fake_gpu)
{
    struct verify_report r = good();
    struct verify_outcome o;
    r.gpu_model = "FAKE GPU";
    cr_assert_eq(verify_evaluate(&reg4090, &r, NULL, NULL, T0, &o), 0);
    cr_assert_eq(o.state, VERIFY_DEVERIFIED);
    cr_assert_eq(o.score_e2, 8571);
    cr_assert_str_eq(o.deverify_reason, "Failed checks: gpu_identity");
    cr_assert_eq(o.deverified_at_us, T0);
    cr_assert_eq(o.cooldown_until_us, T0 + S(1800));
    cr_assert_eq(o.verified_at_us, VERIFY_NO_TIME);
    cr_assert_eq(o.next_check_at_us, T0 + S(86400));
    verify_outcome_free(&o);
}

Test(verify, ver04_empty_report)
{
    struct verify_report r = empty();
    struct verify_outcome o;
    cr_assert_eq(verify_evaluate(&reg4090, &r, NULL, NULL, T0, &o), 0);
    cr_assert_eq(o.state, VERIFY_DEVERIFIED);
    cr_assert_eq(o.passed, 1);
    cr_assert_eq(o.score_e2, 1429);
    cr_assert(o.checks[VERIFY_CHECK_MEMORY_FRAGMENTATION].passed);
    cr_assert_str_eq(o.deverify_reason, "Failed checks: gpu_identity, cuda_readiness, pcie_bandwidth, "
                                        "thermal_stability, network_quality, security_posture");
    verify_outcome_free(&o);
    r.versions = empty_versions; /* an empty versions object fails too */
    cr_assert_eq(verify_evaluate(&reg4090, &r, NULL, NULL, T0, &o), 0);
    cr_assert_eq(o.score_e2, 1429);
    verify_outcome_free(&o);
}

Test(verify, ver06_cooldown)
{
    struct verify_report r = good();
    struct verify_prior p = {true, VERIFY_DEVERIFIED, "673faa842221ce47", "GPU-SN-4090-001",
                             VERIFY_NO_TIME, T0, T0 + S(1800)};
    struct verify_outcome o;
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0, &o), 0);
    cr_assert_not(o.evaluated);
    cr_assert_null(o.deverify_reason);
    verify_outcome_free(&o);
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0 + S(1800) - 1, &o), 0);
    cr_assert_not(o.evaluated);
    verify_outcome_free(&o);
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0 + S(1800), &o), 0);
    cr_assert(o.evaluated);
    verify_outcome_free(&o);
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0 + S(1801), &o), 0);
    cr_assert(o.evaluated);
    cr_assert_eq(o.state, VERIFY_VERIFIED);
    cr_assert(o.state_changed);
    cr_assert_eq(o.verified_at_us, T0 + S(1801));
    cr_assert_eq(o.deverified_at_us, VERIFY_NO_TIME);
    cr_assert_eq(o.cooldown_until_us, VERIFY_NO_TIME);
    verify_outcome_free(&o);
}

Test(verify, ver07_serial_drift)
{
    struct verify_report r = good();
    struct verify_prior p = {true, VERIFY_VERIFIED, "673faa842221ce47", "GPU-SN-4090-001",
                             T0, VERIFY_NO_TIME, VERIFY_NO_TIME};
    struct verify_outcome o;
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0 + S(100), &o), 0);
    cr_assert_eq(o.state, VERIFY_VERIFIED);
    cr_assert_not(o.state_changed);
    cr_assert_not(o.drift);
    verify_outcome_free(&o);
    r.serial = "GPU-SN-4090-999";
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0 + S(100), &o), 0);
    cr_assert_eq(o.state, VERIFY_DEVERIFIED);
    cr_assert(o.state_changed);
    cr_assert(o.drift);
    cr_assert_str_eq(o.deverify_reason, "Failed checks: gpu_identity + GPU fingerprint drift");
    cr_assert_str_neq(o.fingerprint, "673faa842221ce47");
    cr_assert_eq(o.verified_at_us, T0); /* kept */
    verify_outcome_free(&o);
}

Test(verify, drift_alone)
{
    /* a stored fingerprint that differs while every check passes (no trusted serial) */
    struct verify_report r = good();
    struct verify_prior p = {true, VERIFY_DEVERIFIED, "0000000000000000", "old", T0,
                             T0, T0 + S(1800)};
    struct verify_outcome o;
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0 + S(3600), &o), 0);
    cr_assert_eq(o.passed, 7);
    cr_assert(o.drift);
    cr_assert_eq(o.state, VERIFY_DEVERIFIED);
    cr_assert_not(o.state_changed);
    cr_assert_str_eq(o.deverify_reason, "GPU fingerprint drift");
    verify_outcome_free(&o);
    /* no stored fingerprint: never drift */
    p.fingerprint = "";
    cr_assert_eq(verify_evaluate(&reg4090, &r, &p, NULL, T0 + S(3600), &o), 0);
    cr_assert_not(o.drift);
    cr_assert_eq(o.state, VERIFY_VERIFIED);
    verify_outcome_free(&o);
}

Test(verify, transitions)
{
    enum verify_state U = VERIFY_UNVERIFIED, I = VERIFY_VERIFYING, V = VERIFY_VERIFIED,
                      D = VERIFY_DEVERIFIED;
    enum verify_state all[] = {U, I, V, D};
    /* expected[event][from], -1 = conflict */
    int want[VERIFY_EV__COUNT][4] = {
        [VERIFY_EV_REPORT_PASSED] = {V, V, V, V},
        [VERIFY_EV_REPORT_FAILED] = {D, D, D, D},
        [VERIFY_EV_REVERIFY_DUE] = {U, I, I, D},
        [VERIFY_EV_REVERIFY_OVERDUE] = {-1, D, -1, -1},
        [VERIFY_EV_FAILURE_THRESHOLD] = {-1, D, D, -1},
        [VERIFY_EV_HOST_CHANGED] = {U, U, U, U},
        [VERIFY_EV_ADMIN_APPROVE] = {V, V, V, V},
        [VERIFY_EV_ADMIN_REJECT] = {D, D, D, D},
    };
    for (int e = 0; e < VERIFY_EV__COUNT; e++)
        for (int f = 0; f < 4; f++) {
            enum verify_state to = (enum verify_state)99;
            int rc = verify_transition(all[f], (enum verify_event)e, &to);
            if (want[e][f] < 0) {
                cr_assert_eq(rc, XC_ECONFLICT, "%s from %s", verify_event_name(e), verify_state_name(all[f]));
                cr_assert_eq(to, (enum verify_state)99);
            } else {
                cr_assert_eq(rc, 0, "%s from %s", verify_event_name(e), verify_state_name(all[f]));
                cr_assert_eq(to, (enum verify_state)want[e][f], "%s from %s", verify_event_name(e),
                             verify_state_name(all[f]));
            }
        }
    enum verify_state to;
    cr_assert_eq(verify_transition(VERIFY__COUNT, VERIFY_EV_REPORT_PASSED, &to), XC_EINVAL);
    cr_assert_eq(verify_transition(V, VERIFY_EV__COUNT, &to), XC_EINVAL);
}

Test(verify, ver12_schedule)
{
    int64_t next = T0 + S(86400);
    cr_assert_eq(verify_schedule(VERIFY_VERIFIED, next, next - 1), VERIFY_DUE_NONE);
    cr_assert_eq(verify_schedule(VERIFY_VERIFIED, next, next), VERIFY_DUE_MARK);
    cr_assert_eq(verify_schedule(VERIFY_VERIFIED, next, next + 1), VERIFY_DUE_MARK);
    cr_assert_eq(verify_schedule(VERIFY_VERIFYING, next, next), VERIFY_DUE_NONE);
    cr_assert_eq(verify_schedule(VERIFY_VERIFYING, next, T0 + S(172800) - 1), VERIFY_DUE_NONE);
    cr_assert_eq(verify_schedule(VERIFY_VERIFYING, next, T0 + S(172800)), VERIFY_DUE_OVERDUE);
    cr_assert_eq(verify_schedule(VERIFY_DEVERIFIED, next, T0 + S(999999)), VERIFY_DUE_NONE);
    cr_assert_eq(verify_schedule(VERIFY_UNVERIFIED, next, T0 + S(999999)), VERIFY_DUE_NONE);
    cr_assert_str_eq(VERIFY_REASON_OVERDUE, "Re-verification overdue");
}

Test(verify, ver08_failure_threshold)
{
    int64_t now = T0 + S(10000);
    int64_t f[] = {now - S(3600), now - S(100), now, now - S(3601)};
    cr_assert_eq(verify_failures_in_window(f, 4, now), 3);
    cr_assert_eq(verify_failures_in_window(f, 2, now), 2);
    cr_assert_eq(verify_failures_in_window(NULL, 0, now), 0);
    cr_assert(verify_failure_trips(VERIFY_VERIFIED, 3));
    cr_assert(verify_failure_trips(VERIFY_VERIFYING, 4));
    cr_assert_not(verify_failure_trips(VERIFY_VERIFIED, 2));
    cr_assert_not(verify_failure_trips(VERIFY_DEVERIFIED, 4)); /* a fourth changes nothing more */
    cr_assert_not(verify_failure_trips(VERIFY_UNVERIFIED, 9));
    char *reason = verify_failure_reason(3);
    cr_assert_str_eq(reason, "Exceeded failure threshold: 3 failures in 3600s window");
    free(reason);
}

Test(verify, admin_texts)
{
    char *a = verify_admin_approve_note("looks fine"), *r = verify_admin_reject_reason("x");
    cr_assert_str_eq(a, "Admin approved: looks fine");
    cr_assert_str_eq(r, "Admin: x");
    free(a);
    free(r);
    a = verify_admin_approve_note(NULL);
    cr_assert_str_eq(a, "Admin approved: ");
    free(a);
}
