#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "core/admit.h"

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    cr_assert_not_null(v, "bad test JSON: %s", err.text);
    return v;
}

#define GOOD "{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\",\"nvidia_driver\":\"560.35.03\",\"docker\":\"27.1.1\"}"
#define BAD "{\"runc\":\"1.0.0\",\"nvidia_ctk\":\"1.10.0\",\"nvidia_driver\":\"520.0\",\"docker\":\"20.0.0\"}"

static struct admit_result eval(const char *versions, const char *runtimes, const char *model)
{
    struct admit_result r;
    json_t *v = versions ? J(versions) : NULL, *rt = runtimes ? J(runtimes) : NULL;
    cr_assert_eq(admit_evaluate(v, rt, model, NULL, &r), 0);
    json_decref(v);
    json_decref(rt);
    return r;
}

Test(admit, good_is_admitted)
{
    struct admit_result r = eval(GOOD, NULL, "RTX 4090");
    cr_assert(r.admitted);
    cr_assert_eq(r.nreasons, 0);
    cr_assert_eq(r.runtime, ADMIT_RT_RUNC);
    cr_assert_str_eq(admit_runtime_name(r.runtime), "runc");
    cr_assert_str_eq(r.runtime_reason, "Hardened runc (gVisor not available on host)");
    admit_result_free(&r);
}

Test(admit, adm01_nvidia_toolkit_key)
{
    struct admit_result r = eval("{\"runc\":\"1.2.4\",\"nvidia_toolkit\":\"1.17.8\","
                                 "\"nvidia_driver\":\"555.0\",\"docker\":\"25.0.0\"}",
                                 NULL, "RTX 4090");
    cr_assert(r.admitted);
    cr_assert_eq(r.nreasons, 0);
    admit_result_free(&r);
}

Test(admit, bad_four_reasons_in_order_exact)
{
    struct admit_result r = eval(BAD, NULL, "RTX 4090");
    cr_assert_not(r.admitted);
    cr_assert_eq(r.nreasons, 4);
    cr_assert_str_eq(r.reasons[0],
                     "runc 1.0.0 is below minimum 1.1.14 (CVE-2024-21626, CVE-2024-45310)");
    cr_assert_str_eq(r.reasons[1],
                     "NVIDIA Container Toolkit 1.10.0 is below minimum 1.17.8 (CVE-2025-23266)");
    cr_assert_str_eq(r.reasons[2], "NVIDIA driver 520.0 is below minimum 535.0");
    cr_assert_str_eq(r.reasons[3], "Docker 20.0.0 is below minimum 24.0.0");
    cr_assert_str_eq(r.runtime_reason, "Hardened runc (gVisor not available on host)");
    admit_result_free(&r);
}

Test(admit, single_component_failures)
{
    struct admit_result r = eval("{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\","
                                 "\"nvidia_driver\":\"400.0\",\"docker\":\"19.0.0\"}",
                                 NULL, "x");
    cr_assert_eq(r.nreasons, 2);
    cr_assert_str_eq(r.reasons[0], "NVIDIA driver 400.0 is below minimum 535.0");
    cr_assert_str_eq(r.reasons[1], "Docker 19.0.0 is below minimum 24.0.0");
    admit_result_free(&r);
    r = eval("{\"runc\":\"0.0.1\",\"nvidia_ctk\":\"1.17.8\",\"nvidia_driver\":\"535\","
             "\"docker\":\"24\"}",
             NULL, "x");
    cr_assert_eq(r.nreasons, 1);
    cr_assert(strstr(r.reasons[0], "runc") == r.reasons[0]);
    admit_result_free(&r);
}

Test(admit, host15_container_toolkit_key)
{
    struct admit_result r = eval("{\"runc\":\"1.2.0\",\"nvidia_container_toolkit\":\"1.17.0\","
                                 "\"nvidia_driver\":\"550.0\",\"docker\":\"27.0.0\"}",
                                 NULL, "x");
    cr_assert_not(r.admitted);
    cr_assert_eq(r.nreasons, 1);
    cr_assert_str_eq(r.reasons[0],
                     "NVIDIA Container Toolkit 1.17.0 is below minimum 1.17.8 (CVE-2025-23266)");
    admit_result_free(&r);
}

Test(admit, empty_and_missing)
{
    struct admit_result r = eval("{}", NULL, "x");
    cr_assert_not(r.admitted);
    cr_assert_eq(r.nreasons, 4);
    cr_assert_str_eq(r.reasons[0], "runc version not reported");
    cr_assert_str_eq(r.reasons[1], "NVIDIA Container Toolkit version not reported");
    cr_assert_str_eq(r.reasons[2], "NVIDIA driver version not reported");
    cr_assert_str_eq(r.reasons[3], "Docker version not reported");
    admit_result_free(&r);
    r = eval(NULL, NULL, "x");
    cr_assert_eq(r.nreasons, 4);
    admit_result_free(&r);
    r = eval("{\"runc\":\"1.2.4\"}", NULL, "x");
    cr_assert_not(r.admitted);
    cr_assert_eq(r.nreasons, 3);
    admit_result_free(&r);
    /* null, empty and blank strings count as not reported */
    r = eval("{\"runc\":null,\"nvidia_ctk\":\"\",\"nvidia_driver\":\"  \",\"docker\":\"24.0.0\"}",
             NULL, "x");
    cr_assert_eq(r.nreasons, 3);
    cr_assert_str_eq(r.reasons[0], "runc version not reported");
    cr_assert_str_eq(r.reasons[1], "NVIDIA Container Toolkit version not reported");
    cr_assert_str_eq(r.reasons[2], "NVIDIA driver version not reported");
    admit_result_free(&r);
}

Test(admit, adm09_every_toolkit_key_must_pass)
{
    struct admit_result r = eval("{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\","
                                 "\"nvidia_toolkit\":\"1.17.7\",\"nvidia_driver\":\"560.0\","
                                 "\"docker\":\"27.0.0\"}",
                                 NULL, "x");
    cr_assert_not(r.admitted);
    cr_assert_eq(r.nreasons, 1);
    cr_assert_str_eq(r.reasons[0],
                     "NVIDIA Container Toolkit 1.17.7 is below minimum 1.17.8 (CVE-2025-23266)");
    admit_result_free(&r);
    r = eval("{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\",\"nvidia_toolkit\":\"1.18\","
             "\"nvidia_container_toolkit\":\"1.17.9\",\"nvidia_driver\":\"560.0\","
             "\"docker\":\"27.0.0\"}",
             NULL, "x");
    cr_assert(r.admitted);
    admit_result_free(&r);
}

Test(admit, unparseable)
{
    struct admit_result r = eval("{\"runc\":\"1.x\",\"nvidia_ctk\":\"1..17\","
                                 "\"nvidia_driver\":\"1234567890.0\",\"docker\":true}",
                                 NULL, "x");
    cr_assert_eq(r.nreasons, 4);
    cr_assert_str_eq(r.reasons[0], "runc version '1.x' could not be parsed");
    cr_assert_str_eq(r.reasons[1], "NVIDIA Container Toolkit version '1..17' could not be parsed");
    cr_assert_str_eq(r.reasons[2], "NVIDIA driver version '1234567890.0' could not be parsed");
    cr_assert_str_eq(r.reasons[3], "Docker version 'true' could not be parsed");
    admit_result_free(&r);
}

Test(admit, version_parse_rules)
{
    cr_assert(admit_version_valid("1.2.4"));
    cr_assert(admit_version_valid(" v1.2.4 "));
    cr_assert(admit_version_valid("V535"));
    cr_assert(admit_version_valid("1.17.8-1"));
    cr_assert(admit_version_valid("24.0.7+dfsg1"));
    cr_assert(admit_version_valid("1.1.14~rc1"));
    cr_assert(admit_version_valid("27.1.1 build 6312585"));
    cr_assert(admit_version_valid("123456789"));
    cr_assert_not(admit_version_valid("1234567890"));
    cr_assert_not(admit_version_valid("vv1"));
    cr_assert_not(admit_version_valid(""));
    cr_assert_not(admit_version_valid("-1"));
    cr_assert_not(admit_version_valid("1."));
    cr_assert_not(admit_version_valid(".1"));
    cr_assert_not(admit_version_valid("1.a"));
    cr_assert_not(admit_version_valid("release-20240101"));
    cr_assert_not(admit_version_valid(NULL));
}

static int cmpv(const char *a, const char *b)
{
    int c = 99;
    cr_assert_eq(admit_version_cmp(a, b, &c), 0, "%s vs %s", a, b);
    return c;
}

Test(admit, version_compare)
{
    cr_assert_eq(cmpv("535", "535.0"), 0);
    cr_assert_eq(cmpv("535.0.0", "535"), 0);
    cr_assert_eq(cmpv("1.1", "1.1.0"), 0);
    cr_assert_eq(cmpv("560.35.03", "535.0"), 1);
    cr_assert_eq(cmpv("560.35.03", "560.35.3"), 0);
    cr_assert_eq(cmpv("1.1.13", "1.1.14"), -1);
    cr_assert_eq(cmpv("1.1.14", "1.1.14"), 0);
    cr_assert_eq(cmpv("1.10", "1.9"), 1);
    cr_assert_eq(cmpv("v1.17.8-rc2", "1.17.8"), 0);
    cr_assert_eq(cmpv("1.0.0.1", "1"), 1);
    cr_assert_eq(cmpv("999999999", "1000.0"), 1);
    int c;
    cr_assert_eq(admit_version_cmp("x", "1", &c), XC_EINVAL);
}

Test(admit, boundaries_exactly_minimum_pass)
{
    struct admit_result r = eval("{\"runc\":\"1.1.14\",\"nvidia_ctk\":\"v1.17.8\","
                                 "\"nvidia_driver\":\"535\",\"docker\":\"24.0\"}",
                                 NULL, "x");
    cr_assert(r.admitted, "%zu reasons, first: %s", r.nreasons, r.nreasons ? r.reasons[0] : "");
    admit_result_free(&r);
    r = eval("{\"runc\":\"1.1.13\",\"nvidia_ctk\":\"1.17.7\",\"nvidia_driver\":\"534.99\","
             "\"docker\":\"23.99.99\"}",
             NULL, "x");
    cr_assert_eq(r.nreasons, 4);
    cr_assert_str_eq(r.reasons[2], "NVIDIA driver 534.99 is below minimum 535.0");
    admit_result_free(&r);
}

Test(admit, lowered_minimums_named_in_reason)
{
    struct admit_minimums m = admit_default_minimums();
    cr_assert_str_eq(m.min[ADMIT_RUNC], "1.1.14");
    cr_assert_str_eq(m.min[ADMIT_CTK], "1.17.8");
    cr_assert_str_eq(m.min[ADMIT_DRIVER], "535.0");
    cr_assert_str_eq(m.min[ADMIT_DOCKER], "24.0.0");
    m.min[ADMIT_DRIVER] = "470";
    m.min[ADMIT_DOCKER] = "20.10";
    json_t *v = J("{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\",\"nvidia_driver\":\"460.1\","
                  "\"docker\":\"20.10.0\"}");
    struct admit_result r;
    cr_assert_eq(admit_evaluate(v, NULL, "x", &m, &r), 0);
    cr_assert_eq(r.nreasons, 1);
    cr_assert_str_eq(r.reasons[0], "NVIDIA driver 460.1 is below minimum 470");
    admit_result_free(&r);
    m.min[ADMIT_RUNC] = "bogus";
    cr_assert_eq(admit_minimums_check(&m), XC_EINVAL);
    cr_assert_eq(admit_evaluate(v, NULL, "x", &m, &r), XC_EINVAL);
    cr_assert_eq(r.nreasons, 0);
    cr_assert_null(r.runtime_reason);
    json_decref(v);
}

Test(admit, versions_not_object)
{
    json_t *v = J("[1]");
    struct admit_result r;
    cr_assert_eq(admit_evaluate(v, NULL, "x", NULL, &r), XC_EINVAL);
    json_decref(v);
}

Test(admit, numeric_values_accepted)
{
    struct admit_result r = eval("{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\","
                                 "\"nvidia_driver\":560,\"docker\":27.1}",
                                 NULL, "x");
    cr_assert(r.admitted);
    admit_result_free(&r);
    r = eval("{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\",\"nvidia_driver\":520,"
             "\"docker\":27.1}",
             NULL, "x");
    cr_assert_eq(r.nreasons, 1);
    cr_assert_str_eq(r.reasons[0], "NVIDIA driver 520 is below minimum 535.0");
    admit_result_free(&r);
}

Test(admit, runtime_recommendation)
{
    struct admit_result r = eval("{\"runc\":\"1.2.4\",\"nvidia_ctk\":\"1.17.8\","
                                 "\"nvidia_driver\":\"560.35.03\",\"docker\":\"27.1.1\","
                                 "\"runsc\":\"release-20240101\"}",
                                 NULL, "RTX 4090");
    cr_assert(r.admitted);
    cr_assert_eq(r.runtime, ADMIT_RT_RUNSC);
    cr_assert_str_eq(r.runtime_reason, "gVisor with nvproxy (GPU RTX 4090 supported)");
    cr_assert(admit_runtime_sandboxed(r.runtime));
    admit_result_free(&r);

    r = eval("{\"gvisor\":\"20240101\"}", NULL, "GTX 1080");
    cr_assert_eq(r.runtime, ADMIT_RT_RUNC);
    cr_assert_str_eq(r.runtime_reason,
                     "Hardened runc (GPU GTX 1080 not supported by gVisor nvproxy)");
    cr_assert_not(admit_runtime_sandboxed(r.runtime));
    admit_result_free(&r);

    /* runtimes array alone marks runsc available */
    r = eval("{}", "[\"runc\",\"runsc\"]", "NVIDIA A100-SXM4-80GB");
    cr_assert_eq(r.runtime, ADMIT_RT_RUNSC);
    cr_assert_str_eq(r.runtime_reason, "gVisor with nvproxy (GPU NVIDIA A100-SXM4-80GB supported)");
    admit_result_free(&r);

    /* kata beats runsc-with-unsupported-GPU */
    r = eval("{\"runsc\":\"1\",\"kata_runtime\":\"3.2.0\"}", NULL, "NVIDIA L40S");
    cr_assert_eq(r.runtime, ADMIT_RT_KATA);
    cr_assert_str_eq(admit_runtime_name(r.runtime), "kata");
    cr_assert_str_eq(r.runtime_reason, "Kata Containers (VM-isolated)");
    admit_result_free(&r);

    /* runsc + supported GPU beats kata */
    r = eval("{\"runsc\":\"1\",\"kata\":\"3.2.0\"}", NULL, "H100");
    cr_assert_eq(r.runtime, ADMIT_RT_RUNSC);
    admit_result_free(&r);

    r = eval("{}", "[\"kata-runtime\"]", "H100");
    cr_assert_eq(r.runtime, ADMIT_RT_KATA);
    admit_result_free(&r);

    /* an empty runsc string is not a report */
    r = eval("{\"runsc\":\"\"}", "[\"runc\"]", "RTX 4090");
    cr_assert_eq(r.runtime, ADMIT_RT_RUNC);
    cr_assert_str_eq(r.runtime_reason, "Hardened runc (gVisor not available on host)");
    admit_result_free(&r);
}

Test(admit, component_names)
{
    cr_assert_str_eq(admit_component_name(ADMIT_RUNC), "runc");
    cr_assert_str_eq(admit_component_name(ADMIT_CTK), "NVIDIA Container Toolkit");
    cr_assert_str_eq(admit_component_name(ADMIT_DRIVER), "NVIDIA driver");
    cr_assert_str_eq(admit_component_name(ADMIT_DOCKER), "Docker");
    cr_assert_null(admit_component_name(ADMIT__COUNT));
}

Test(admit, runtime_names_round_trip)
{
    enum admit_runtime rt;
    for (int i = 0; i < ADMIT_RT__COUNT; i++) {
        cr_assert_eq(admit_runtime_parse(admit_runtime_name((enum admit_runtime)i), &rt), 0);
        cr_assert_eq(rt, (enum admit_runtime)i);
    }
    cr_assert_neq(admit_runtime_parse("gvisor", &rt), 0);
    cr_assert_neq(admit_runtime_parse(NULL, &rt), 0);
}
