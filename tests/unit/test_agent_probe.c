/* Version probes parsed from real tool output (tests/fixtures/probe) and the subprocess runner. */
#include "agent/agent_exec.h"
#include "agent/probe.h"

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

Test(agent_probe, runc_version_from_real_output)
{
    char v[64];
    cr_assert_eq(probe_parse_runc(slurp("runc_version.txt"), v, sizeof v), 0);
    cr_assert_str_eq(v, "1.1.5+ds1");
    cr_assert_eq(probe_parse_runc("runc version 1.2.4\ncommit: v1.2.4-0-g6c52b3fc\n", v, sizeof v), 0);
    cr_assert_str_eq(v, "1.2.4");
    cr_assert_eq(probe_parse_runc("something else\n", v, sizeof v), -1);
}

Test(agent_probe, nvidia_ctk_kata_runsc)
{
    char v[64];
    cr_assert_eq(probe_parse_first_semver(slurp("nvidia_ctk_version.txt"), v, sizeof v), 0);
    cr_assert_str_eq(v, "1.17.8");
    cr_assert_eq(probe_parse_first_semver(slurp("kata_version.txt"), v, sizeof v), 0);
    cr_assert_str_eq(v, "3.2.0");
    cr_assert_eq(probe_parse_runsc(slurp("runsc_version.txt"), v, sizeof v), 0);
    cr_assert_str_eq(v, "release-20240807.0");
    cr_assert_eq(probe_parse_runsc("runsc version 0.0.1\n", v, sizeof v), 0);
    cr_assert_str_eq(v, "0.0.1");
    cr_assert_eq(probe_parse_first_semver("version 12.4 only", v, sizeof v), -1);
}

Test(agent_probe, engine_version_docker_and_podman)
{
    char v[64], api[32];
    bool podman;
    cr_assert_eq(probe_parse_engine_version(slurp("docker_version.json"), v, sizeof v, api, sizeof api, &podman), 0);
    cr_assert_str_eq(v, "27.3.1");
    cr_assert_str_eq(api, "1.47");
    cr_assert_not(podman);
    cr_assert_eq(probe_parse_engine_version(slurp("podman_version.json"), v, sizeof v, api, sizeof api, &podman), 0);
    cr_assert_str_eq(v, "4.3.1");
    cr_assert_str_eq(api, "1.41");
    cr_assert(podman);
    cr_assert_eq(probe_parse_engine_version("not json", v, sizeof v, api, sizeof api, &podman), -1);
}

Test(agent_probe, tailscale_ip)
{
    char ip[64];
    cr_assert_eq(probe_parse_tailscale_ip(slurp("tailscale_ip4.txt"), ip, sizeof ip), 0);
    cr_assert_str_eq(ip, "100.64.0.7");
    cr_assert_eq(probe_parse_tailscale_ip("not-an-ip\n", ip, sizeof ip), -1);
    cr_assert_eq(probe_parse_tailscale_ip("", ip, sizeof ip), -1);
}

Test(agent_probe, real_runc_on_this_machine)
{
    const char *argv[] = {"runc", "--version", NULL};
    struct agent_exec_result r;
    if (agent_exec(argv, 5000, 4096, &r) != 0) {
        agent_exec_free(&r);
        cr_skip_test("runc is not installed");
    }
    char expect[64];
    cr_assert_eq(probe_parse_runc(r.out, expect, sizeof expect), 0);
    agent_exec_free(&r);
    json_t *v = json_object();
    probe_local_versions(v);
    cr_assert_str_eq(json_string_value(json_object_get(v, "runc")), expect);
    json_decref(v);
}

static char dir[64];

static void fake_tool(const char *name, const char *body)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/xc-probe-XXXXXX");
        cr_assert(mkdtemp(dir));
        setenv("PATH", dir, 1); /* only the fakes (and absolute /bin/sh) */
    }
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0755);
}

Test(agent_probe, ctk_fallback_chain_and_missing_tools)
{
    char cat[512];
    snprintf(cat, sizeof cat, "/bin/cat '%s/probe/runc_version.txt'", XC_FIXTURES_DIR);
    fake_tool("runc", cat);
    fake_tool("nvidia-ctk", "exit 1");
    snprintf(cat, sizeof cat, "/bin/cat '%s/probe/nvidia_ctk_version.txt' >&2", XC_FIXTURES_DIR);
    fake_tool("nvidia-container-toolkit", cat);
    json_t *v = json_object();
    probe_local_versions(v);
    cr_assert_str_eq(json_string_value(json_object_get(v, "runc")), "1.1.5+ds1");
    cr_assert_str_eq(json_string_value(json_object_get(v, "nvidia_ctk")), "1.17.8", "stderr, second tool");
    cr_assert_null(json_object_get(v, "runsc"), "missing binary leaves the key out");
    cr_assert_null(json_object_get(v, "kata"));
    json_decref(v);
}

Test(agent_probe, host_ip_from_hostname_or_route)
{
    fake_tool("hostname", "echo '192.168.1.50 10.0.0.1 '");
    char ip[64];
    probe_host_ip(ip, sizeof ip);
    cr_assert_str_eq(ip, "192.168.1.50");
}

Test(agent_probe, host_ip_unknown_when_all_fail)
{
    fake_tool("hostname", "exit 1");
    fake_tool("ip", "exit 1");
    char ip[64];
    probe_host_ip(ip, sizeof ip);
    cr_assert_str_eq(ip, "unknown");
}

Test(agent_exec, status_output_timeout_and_missing)
{
    struct agent_exec_result r;
    const char *ok[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    cr_assert_eq(agent_exec(ok, 5000, 1024, &r), 0);
    cr_assert_eq(r.exit_code, 3);
    cr_assert_str_eq(r.out, "out\n");
    cr_assert_str_eq(r.err, "err\n");
    agent_exec_free(&r);

    const char *slow[] = {"/bin/sh", "-c", "sleep 5", NULL};
    cr_assert_eq(agent_exec(slow, 200, 1024, &r), -1);
    cr_assert(r.timed_out);
    agent_exec_free(&r);

    const char *none[] = {"/nonexistent/tool", NULL};
    cr_assert_eq(agent_exec(none, 1000, 1024, &r), -1);
    cr_assert(r.not_found);
    agent_exec_free(&r);

    const char *big[] = {"/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done", NULL};
    cr_assert_eq(agent_exec(big, 5000, 100, &r), 0);
    cr_assert_eq(r.out_len, 100, "output is bounded");
    agent_exec_free(&r);
}

Test(agent_exec, argv_is_never_a_shell)
{
    struct agent_exec_result r;
    const char *argv[] = {"/bin/echo", "$(id); rm -rf /", NULL};
    cr_assert_eq(agent_exec(argv, 5000, 1024, &r), 0);
    cr_assert_str_eq(r.out, "$(id); rm -rf /\n");
    agent_exec_free(&r);
}
