/* Docker Engine API pieces: log demultiplexing, the hardened create body, input validation. */
#include "agent/docker.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct got {
    int n;
    int stream[16];
    char line[16][10050];
    size_t len[16];
};

static void collect(void *ud, int stream, const char *line, size_t len)
{
    struct got *g = ud;
    cr_assert(g->n < 16);
    g->stream[g->n] = stream;
    memcpy(g->line[g->n], line, len);
    g->line[g->n][len] = '\0';
    g->len[g->n] = len;
    g->n++;
}

static size_t fixture(const char *name, char *buf, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/probe/%s", XC_FIXTURES_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    size_t k = fread(buf, 1, n, f);
    fclose(f);
    return k;
}

static void check_fixture_lines(struct got *g)
{
    cr_assert_eq(g->n, 3);
    cr_assert_eq(g->stream[0], 1);
    cr_assert_str_eq(g->line[0], "line-one");
    cr_assert_eq(g->stream[1], 2);
    cr_assert_str_eq(g->line[1], "err-one");
    cr_assert_eq(g->stream[2], 1);
    cr_assert_str_eq(g->line[2], "partial-no-newline", "flushed at the end");
}

Test(agent_docker, demux_real_engine_stream)
{
    char buf[4096];
    size_t n = fixture("docker_logs_stream.bin", buf, sizeof buf);
    struct got g = {0};
    struct docker_demux d;
    docker_demux_init(&d, 10000, collect, &g);
    docker_demux_feed(&d, buf, n);
    docker_demux_finish(&d);
    check_fixture_lines(&g);
}

Test(agent_docker, demux_byte_at_a_time)
{
    char buf[4096];
    size_t n = fixture("docker_logs_stream.bin", buf, sizeof buf);
    struct got g = {0};
    struct docker_demux d;
    docker_demux_init(&d, 10000, collect, &g);
    for (size_t i = 0; i < n; i++)
        docker_demux_feed(&d, buf + i, 1);
    docker_demux_finish(&d);
    check_fixture_lines(&g);
}

static size_t frame(char *out, int stream, const char *payload, size_t len)
{
    out[0] = (char)stream;
    out[1] = out[2] = out[3] = 0;
    out[4] = (char)(len >> 24);
    out[5] = (char)(len >> 16);
    out[6] = (char)(len >> 8);
    out[7] = (char)len;
    memcpy(out + 8, payload, len);
    return len + 8;
}

Test(agent_docker, demux_caps_long_lines_and_strips_cr)
{
    static char payload[15001], stream[20000];
    memset(payload, 'x', 15000);
    payload[14999] = '\n';
    size_t n = frame(stream, 1, payload, 15000);
    n += frame(stream + n, 2, "windows\r\nsplit ", 15);
    n += frame(stream + n, 2, "across frames\n", 14);
    struct got *g = calloc(1, sizeof *g);
    struct docker_demux d;
    docker_demux_init(&d, 10000, collect, g);
    docker_demux_feed(&d, stream, n);
    docker_demux_finish(&d);
    cr_assert_eq(g->n, 3);
    cr_assert_eq(g->len[0], 10000, "cut at 10 000 characters");
    cr_assert_str_eq(g->line[1], "windows");
    cr_assert_str_eq(g->line[2], "split across frames");
    free(g);
}

static int in_array(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

static struct docker_job_spec base_spec(void)
{
    return (struct docker_job_spec){.job_id = "9f0c2a1e4b7d4f1e8a3b6c5d2e1f0a9b", .host_id = "rig-01", .attempt = 2,
                                    .image = "python:3.12", .user = "65534:65534", .memory_bytes = 1LL << 30,
                                    .pids_limit = 4096, .network_mode = "ns:/run/netns/xcj-x-2", .stop_timeout = 30,
                                    .tmpfs_tmp_mb = 1024, .tmpfs_workspace_mb = 4096};
}

Test(agent_docker, hardened_host_config)
{
    struct docker_job_spec s = base_spec();
    json_t *env = json_pack("{s:s,s:s}", "ZED", "2", "ALPHA", "1");
    json_t *cmd = json_pack("[s,s,s]", "python", "-c", "print(1)");
    s.env = env;
    s.command = cmd;
    json_t *b;
    char err[256];
    cr_assert_eq(docker_build_create_body(&s, &b, err, sizeof err), 0, "%s", err);
    json_t *hc = json_object_get(b, "HostConfig");
    cr_assert(in_array(json_object_get(hc, "CapDrop"), "ALL"));
    cr_assert(in_array(json_object_get(hc, "SecurityOpt"), "no-new-privileges"));
    cr_assert(json_is_true(json_object_get(hc, "ReadonlyRootfs")));
    cr_assert(json_is_false(json_object_get(hc, "Privileged")));
    cr_assert_null(json_object_get(hc, "CapAdd"));
    cr_assert_null(json_object_get(hc, "Binds"), "no host bind mounts");
    cr_assert_null(json_object_get(hc, "Mounts"));
    cr_assert_null(json_object_get(hc, "Devices"));
    cr_assert_null(json_object_get(hc, "DeviceRequests"), "no GPU request for simulated GPUs");
    cr_assert_null(json_object_get(hc, "Runtime"), "engine default (hardened runc)");
    cr_assert_str_eq(json_string_value(json_object_get(b, "User")), "65534:65534");
    cr_assert_eq(json_integer_value(json_object_get(hc, "Memory")), 1LL << 30);
    cr_assert_eq(json_integer_value(json_object_get(hc, "MemorySwap")), 1LL << 30);
    cr_assert_eq(json_integer_value(json_object_get(hc, "PidsLimit")), 4096);
    cr_assert_str_eq(json_string_value(json_object_get(hc, "NetworkMode")), "ns:/run/netns/xcj-x-2");
    const char *tmp = json_string_value(json_object_get(json_object_get(hc, "Tmpfs"), "/tmp"));
    cr_assert(tmp && strstr(tmp, "noexec") && strstr(tmp, "nosuid") && strstr(tmp, "mode=1777"), "%s", tmp);
    json_t *e = json_object_get(b, "Env");
    cr_assert_str_eq(json_string_value(json_array_get(e, 0)), "ALPHA=1", "environment in key order");
    cr_assert_str_eq(json_string_value(json_array_get(e, 1)), "ZED=2");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(b, "Cmd"), 2)), "print(1)", "argv, no shell");
    json_t *labels = json_object_get(b, "Labels");
    cr_assert_str_eq(json_string_value(json_object_get(labels, "xcelsior.job_id")), s.job_id);
    cr_assert_str_eq(json_string_value(json_object_get(labels, "xcelsior.host_id")), "rig-01");
    cr_assert_str_eq(json_string_value(json_object_get(labels, "xcelsior.attempt")), "2");
    cr_assert_eq(json_integer_value(json_object_get(b, "StopTimeout")), 30);
    json_decref(b);
    json_decref(env);
    json_decref(cmd);
}

Test(agent_docker, gpus_runtime_and_readonly_nfs)
{
    struct docker_job_spec s = base_spec();
    int ids[] = {0, 3};
    s.gpu_ids = ids;
    s.ngpu = 2;
    s.gpu_devices = true;
    s.runtime = "runsc";
    s.nfs_source = "/var/lib/xcelsior/nfs/job";
    json_t *b;
    char err[256];
    cr_assert_eq(docker_build_create_body(&s, &b, err, sizeof err), 0, "%s", err);
    json_t *hc = json_object_get(b, "HostConfig");
    cr_assert_str_eq(json_string_value(json_object_get(hc, "Runtime")), "runsc");
    json_t *dr = json_array_get(json_object_get(hc, "DeviceRequests"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(dr, "Driver")), "nvidia");
    json_t *dev = json_object_get(dr, "DeviceIDs");
    cr_assert_eq(json_array_size(dev), 2, "explicit device list, never all");
    cr_assert_str_eq(json_string_value(json_array_get(dev, 1)), "3");
    cr_assert(in_array(json_array_get(json_object_get(dr, "Capabilities"), 0), "gpu"));
    json_t *m = json_array_get(json_object_get(hc, "Mounts"), 0);
    cr_assert(json_is_true(json_object_get(m, "ReadOnly")), "host paths are never read-write");
    cr_assert_str_eq(json_string_value(json_object_get(m, "Target")), "/data/nfs");
    cr_assert_eq(json_array_size(json_object_get(hc, "Mounts")), 1);
    json_decref(b);
}

Test(agent_docker, refuses_unsafe_specs)
{
    json_t *b;
    char err[256];
    struct docker_job_spec s = base_spec();
    s.user = "0:0";
    cr_assert_eq(docker_build_create_body(&s, &b, err, sizeof err), -1);
    s = base_spec();
    s.user = "root";
    cr_assert_eq(docker_build_create_body(&s, &b, err, sizeof err), -1);
    s = base_spec();
    s.network_mode = "host";
    cr_assert_eq(docker_build_create_body(&s, &b, err, sizeof err), -1);
    s = base_spec();
    s.image = "Not/Valid Image";
    cr_assert_eq(docker_build_create_body(&s, &b, err, sizeof err), -1);
    cr_assert(strstr(err, "image"));
    s = base_spec();
    json_t *env = json_pack("{s:s}", "BAD-KEY", "x");
    s.env = env;
    cr_assert_eq(docker_build_create_body(&s, &b, err, sizeof err), -1);
    json_decref(env);
}

Test(agent_docker, image_reference_validation)
{
    const char *ok[] = {"python:3.12", "nvcr.io/nvidia/pytorch:24.01-py3", "localhost/xc-busybox:latest",
                        "localhost:5000/team/app:v1", "ubuntu",
                        "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        cr_assert(docker_valid_image(ok[i]), "%s", ok[i]);
    const char *bad[] = {"", "UPPER/case", "a b", "../etc", "x;rm -rf /", "-flag", "image:", "a//b",
                         "img?x=1", "img#frag", "img%2f", "busybox@sha256:short"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_not(docker_valid_image(bad[i]), "%s", bad[i]);
    char longname[300];
    memset(longname, 'a', 256);
    longname[256] = '\0';
    cr_assert_not(docker_valid_image(longname), "over 255 characters");
}

Test(agent_docker, env_and_command_validation)
{
    char err[256];
    json_t *ok = json_pack("{s:s,s:s}", "_X", "1", "HF_TOKEN", "secret");
    cr_assert_eq(docker_validate_env(ok, err, sizeof err), 0);
    json_decref(ok);
    json_t *badkey = json_pack("{s:s}", "1ABC", "x");
    cr_assert_eq(docker_validate_env(badkey, err, sizeof err), -1);
    json_decref(badkey);
    json_t *badval = json_pack("{s:i}", "N", 3);
    cr_assert_eq(docker_validate_env(badval, err, sizeof err), -1, "values are strings");
    json_decref(badval);
    json_t *nul = json_object();
    json_object_set_new(nul, "K", json_stringn("a\0b", 3));
    cr_assert_eq(docker_validate_env(nul, err, sizeof err), -1, "no NUL bytes");
    json_decref(nul);
    static char big[5000];
    memset(big, 'v', 4097);
    json_t *long_val = json_pack("{s:s}", "K", big);
    cr_assert_eq(docker_validate_env(long_val, err, sizeof err), -1);
    json_decref(long_val);
    json_t *many = json_object();
    for (int i = 0; i < 65; i++) {
        char k[16];
        snprintf(k, sizeof k, "K%d", i);
        json_object_set_new(many, k, json_string("v"));
    }
    cr_assert_eq(docker_validate_env(many, err, sizeof err), -1, "at most 64 entries");
    json_decref(many);

    json_t *cmd = json_pack("[s,i]", "echo", 1);
    cr_assert_eq(docker_validate_command(cmd, err, sizeof err), -1);
    json_decref(cmd);
    cr_assert_eq(docker_validate_command(NULL, err, sizeof err), 0);
}

Test(agent_docker, pull_failure_classification)
{
    char r[512];
    docker_pull_failure_reason("manifest unknown: manifest unknown", r, sizeof r);
    cr_assert_str_eq(r, "image_error: manifest unknown: manifest unknown");
    docker_pull_failure_reason("pull access denied for x, repository does not exist", r, sizeof r);
    cr_assert(strncmp(r, "image_error: ", 13) == 0);
    docker_pull_failure_reason("dial tcp 10.0.0.1:443: connect: connection refused\nmore", r, sizeof r);
    cr_assert_str_eq(r, "network_error: pull failed");
}

Test(agent_docker, container_names_are_per_attempt)
{
    char n[128];
    docker_container_name("abc", 3, n, sizeof n);
    cr_assert_str_eq(n, "xcelsior-abc-3");
}
