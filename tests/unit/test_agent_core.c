/* Agent configuration, control-plane client details and the job report rules. */
#include "agent/agent.h"
#include "agent/agent_config.h"
#include "agent/agent_http.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void clear_env(void)
{
    unsetenv("XCELSIOR_HOST_ID");
    unsetenv("XCELSIOR_SCHEDULER_URL");
    unsetenv("XCELSIOR_API_TOKEN");
    unsetenv("XCELSIOR_POLL_INTERVAL");
}

Test(agent_config, required_variables_and_defaults)
{
    clear_env();
    struct agent_config c = {0};
    char err[256];
    cr_assert_eq(agent_config_load(&c, err, sizeof err), -1);
    cr_assert_str_eq(err, "XCELSIOR_HOST_ID is required");
    agent_config_free(&c);
    memset(&c, 0, sizeof c);
    setenv("XCELSIOR_HOST_ID", "rig-01", 1);
    cr_assert_eq(agent_config_load(&c, err, sizeof err), -1);
    cr_assert_str_eq(err, "XCELSIOR_SCHEDULER_URL is required");
    agent_config_free(&c);
    memset(&c, 0, sizeof c);
    setenv("XCELSIOR_SCHEDULER_URL", "http://api:8000///", 1);
    cr_assert_eq(agent_config_load(&c, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.scheduler_url, "http://api:8000");
    cr_assert_str_eq(c.api_token, "", "a missing token is allowed");
    cr_assert_eq(c.cost_per_hour_ucad, 500000);
    cr_assert_eq(c.heartbeat_s, 10);
    cr_assert_eq(c.poll_s, 5);
    cr_assert_eq(c.telemetry_s, 5);
    cr_assert_eq(c.mining_check_s, 60);
    cr_assert_eq(c.mining_duration_s, 300);
    cr_assert(c.prefer_gvisor);
    cr_assert_eq(c.grace_s, 30);
    cr_assert_eq(c.memory_limit_bytes, 32LL << 30);
    cr_assert_eq(c.pull_policy, PULL_IF_NOT_PRESENT);
    cr_assert_str_eq(c.docker_socket, "/var/run/docker.sock");
    cr_assert_str_neq(c.job_user, "0:0");
    agent_config_free(&c);
}

Test(agent_config, invalid_values_are_refused)
{
    clear_env();
    setenv("XCELSIOR_HOST_ID", "rig-01", 1);
    setenv("XCELSIOR_SCHEDULER_URL", "http://api:8000", 1);
    const char *cases[][2] = {
        {"XCELSIOR_POLL_INTERVAL", "abc"}, {"XCELSIOR_PREFER_GVISOR", "maybe"},
        {"XCELSIOR_PULL_POLICY", "sometimes"}, {"XCELSIOR_JOB_USER", "0:0"},
        {"XCELSIOR_JOB_MEMORY_LIMIT", "lots"}, {"XCELSIOR_DOCKER_HOST", "tcp://1.2.3.4:2375"},
        {"XCELSIOR_COST_PER_HOUR", "free"}, {"XCELSIOR_MAX_CONCURRENT_JOBS", "0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        setenv(cases[i][0], cases[i][1], 1);
        struct agent_config c = {0};
        char err[256];
        cr_assert_eq(agent_config_load(&c, err, sizeof err), -1, "%s=%s accepted", cases[i][0], cases[i][1]);
        cr_assert(strstr(err, cases[i][0]), "message names the variable: %s", err);
        agent_config_free(&c);
        unsetenv(cases[i][0]);
    }
    setenv("XCELSIOR_HOST_ID", "bad id!", 1);
    struct agent_config c = {0};
    char err[256];
    cr_assert_eq(agent_config_load(&c, err, sizeof err), -1);
    agent_config_free(&c);
}

Test(agent_config, parsers)
{
    bool b;
    cr_assert_eq(agent_parse_bool("YES", &b), 0);
    cr_assert(b);
    cr_assert_eq(agent_parse_bool("0", &b), 0);
    cr_assert_not(b);
    cr_assert_eq(agent_parse_bool("2", &b), -1);
    int64_t s;
    cr_assert_eq(agent_parse_size("32g", &s), 0);
    cr_assert_eq(s, 32LL << 30);
    cr_assert_eq(agent_parse_size("512m", &s), 0);
    cr_assert_eq(s, 512LL << 20);
    cr_assert_eq(agent_parse_size("12x", &s), -1);
    int v;
    cr_assert_eq(agent_parse_int("12", 1, 20, &v), 0);
    cr_assert_eq(agent_parse_int("12a", 1, 20, &v), -1);
    cr_assert_eq(agent_parse_int("21", 1, 20, &v), -1);
}

Test(agent_http, url_join_and_headers)
{
    char *u = agent_url_join("http://api:8000/", "/host");
    cr_assert_str_eq(u, "http://api:8000/host");
    free(u);
    u = agent_url_join("http://api:8000///", "/host");
    cr_assert_str_eq(u, "http://api:8000/host");
    free(u);
    const char *h[4];
    struct agent_http *c = agent_http_new("http://api:8000", "");
    cr_assert_eq(agent_http_headers(c, h, 4), 1);
    cr_assert_str_eq(h[0], "Content-Type: application/json");
    agent_http_free(c);
    c = agent_http_new("http://api:8000", "secret-tok");
    cr_assert_eq(agent_http_headers(c, h, 4), 2);
    cr_assert_str_eq(h[1], "Authorization: Bearer secret-tok");
    agent_http_free(c);
}

Test(agent_http, connection_error_is_a_failure_not_a_crash)
{
    struct agent_http *c = agent_http_new("http://127.0.0.1:1", "");
    long st = 99;
    json_t *resp = NULL;
    cr_assert_eq(agent_http_call(c, "PUT", "/host", NULL, 2000, &st, &resp), -1);
    cr_assert_eq(st, 0);
    cr_assert_null(resp);
    agent_http_free(c);
}

static const char *status_of(json_t *r)
{
    return json_string_value(json_object_get(r, "status"));
}

static const char *reason_of(json_t *r)
{
    return json_string_value(json_object_get(r, "failure_reason"));
}

Test(agent_report, final_status_mapping)
{
    json_t *r = agent_final_report("", 0, false, NULL);
    cr_assert_str_eq(status_of(r), "completed");
    json_decref(r);
    r = agent_final_report("", 3, false, NULL);
    cr_assert_str_eq(status_of(r), "failed");
    cr_assert_eq(json_integer_value(json_object_get(r, "exit_code")), 3);
    cr_assert_str_eq(reason_of(r), "exit code 3");
    json_decref(r);
    r = agent_final_report("", 137, true, NULL);
    cr_assert_str_eq(reason_of(r), "oom_killed");
    cr_assert_eq(json_integer_value(json_object_get(r, "exit_code")), 137);
    json_decref(r);
    r = agent_final_report("preempt", 143, false, NULL);
    cr_assert_str_eq(status_of(r), "preempted");
    json_decref(r);
    r = agent_final_report("shutdown", 143, false, NULL);
    cr_assert_str_eq(status_of(r), "preempted");
    cr_assert_str_eq(reason_of(r), "agent_shutdown");
    json_decref(r);
    const char *cancels[] = {"cancel", "insufficient_funds", "max_duration"};
    for (int i = 0; i < 3; i++) {
        r = agent_final_report(cancels[i], 143, false, NULL);
        cr_assert_str_eq(status_of(r), "cancelled", "a stopped container's exit is not a failure");
        json_decref(r);
    }
    r = agent_final_report("mining", 137, false, NULL);
    cr_assert_str_eq(status_of(r), "failed");
    cr_assert_str_eq(reason_of(r), "mining_detected");
    json_decref(r);
    r = agent_final_report("mining_local", 137, false, "mining_detected: util=99% pcie_tx=1.0MB/s");
    cr_assert_str_eq(reason_of(r), "mining_detected: util=99% pcie_tx=1.0MB/s");
    json_decref(r);
    cr_assert_null(agent_final_report("lost", 137, false, NULL), "nothing is reported for a job given up");
}

Test(agent_report, gpu_picking_and_tiers)
{
    int load[4] = {2, 0, 1, 0}, out[4];
    cr_assert_eq(agent_pick_gpus(load, 4, 1, out), 0);
    cr_assert_eq(out[0], 1, "fewest jobs, lowest index");
    cr_assert_eq(agent_pick_gpus(load, 4, 2, out), 0);
    cr_assert_eq(out[0], 1);
    cr_assert_eq(out[1], 3);
    cr_assert_eq(agent_pick_gpus(load, 4, 5, out), -1);
}

Test(agent_report, utf8_sanitizing)
{
    char *s = agent_utf8_sanitize("ok \xc3\xa9 \xff\xfe end", 12);
    cr_assert_str_eq(s, "ok \xc3\xa9 ?? end");
    free(s);
    s = agent_utf8_sanitize("a\0b", 3);
    cr_assert_str_eq(s, "a?b");
    free(s);
    s = agent_utf8_sanitize("\xe2\x82", 2);
    cr_assert_str_eq(s, "??", "truncated sequence");
    free(s);
}
