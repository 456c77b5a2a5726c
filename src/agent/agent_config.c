/* The agent's configuration: XCELSIOR_* variables and flags parsed and checked into struct
 * agent_config. */
#include "agent/agent_config.h"

#include "common/ids.h"
#include "common/xalloc.h"
#include "common/fixed.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL; /* empty counts as unset */
}

int agent_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off", ""};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (strcasecmp(s, yes[i]) == 0)
            return (*out = true), 0;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (strcasecmp(s, no[i]) == 0)
            return (*out = false), 0;
    return -1;
}

int agent_parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int agent_parse_size(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v <= 0)
        return -1;
    int64_t mul = 1;
    if (*end) {
        switch (tolower((unsigned char)*end)) {
        case 'k': mul = 1024; break;
        case 'm': mul = 1024 * 1024; break;
        case 'g': mul = 1024LL * 1024 * 1024; break;
        case 't': mul = 1024LL * 1024 * 1024 * 1024; break;
        case 'b': mul = 1; break;
        default: return -1;
        }
        end++;
        if (*end == 'b' || *end == 'B')
            end++;
        if (*end)
            return -1;
    }
    if (v > INT64_MAX / mul)
        return -1;
    *out = (int64_t)v * mul;
    return 0;
}

char *agent_url_join(const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    return xasprintf("%.*s%s", (int)n, base, path);
}

static char *dup_env(const char *name, const char *dflt)
{
    const char *v = env(name);
    return v ? xstrdup(v) : (dflt ? xstrdup(dflt) : NULL);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -1;                                                                                 \
    } while (0)

static int get_int(const char *name, int dflt, int lo, int hi, int *out, char *err, size_t errlen)
{
    const char *v = env(name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (agent_parse_int(v, lo, hi, out) != 0)
        FAIL("%s must be an integer in %d..%d (got '%s')", name, lo, hi, v);
    return 0;
}

static int get_bool(const char *name, bool dflt, bool *out, char *err, size_t errlen)
{
    const char *v = env(name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (agent_parse_bool(v, out) != 0)
        FAIL("%s must be a boolean (1/true/yes or 0/false/no), got '%s'", name, v);
    return 0;
}

static bool valid_user(const char *s)
{
    /* "uid" or "uid:gid", numeric, uid != 0: the job never runs as root. */
    char *end;
    errno = 0;
    long uid = strtol(s, &end, 10);
    if (errno || end == s || uid <= 0 || uid > 0x7fffffff)
        return false;
    if (*end == '\0')
        return true;
    if (*end != ':')
        return false;
    const char *g = end + 1;
    long gid = strtol(g, &end, 10);
    return !(errno || end == g || *end || gid < 0 || gid > 0x7fffffff);
}

int agent_config_load(struct agent_config *c, char *err, size_t errlen)
{
    if (!c->host_id)
        c->host_id = dup_env("XCELSIOR_HOST_ID", NULL);
    if (!c->host_id)
        FAIL("XCELSIOR_HOST_ID is required");
    if (!ids_valid_host_id(c->host_id))
        FAIL("XCELSIOR_HOST_ID '%s' is invalid (1..64 of A-Z a-z 0-9 . _ -, starting alphanumeric)", c->host_id);
    if (!c->scheduler_url)
        c->scheduler_url = dup_env("XCELSIOR_SCHEDULER_URL", NULL);
    if (!c->scheduler_url)
        FAIL("XCELSIOR_SCHEDULER_URL is required");
    size_t n = strlen(c->scheduler_url);
    while (n > 0 && c->scheduler_url[n - 1] == '/')
        c->scheduler_url[--n] = '\0';
    if (strncmp(c->scheduler_url, "http://", 7) != 0 && strncmp(c->scheduler_url, "https://", 8) != 0)
        FAIL("XCELSIOR_SCHEDULER_URL must start with http:// or https:// (got '%s')", c->scheduler_url);
    if (!c->api_token) {
        c->api_token_var = env(AGENT_TOKEN_VAR)     ? AGENT_TOKEN_VAR
                           : env(AGENT_TOKEN_ALIAS) ? AGENT_TOKEN_ALIAS
                                                    : NULL;
        c->api_token = dup_env(c->api_token_var ? c->api_token_var : AGENT_TOKEN_VAR, "");
    }

    const char *cost = env("XCELSIOR_COST_PER_HOUR");
    c->cost_per_hour_ucad = 500000;
    if (cost && (fixed_parse(cost, MONEY_SCALE, &c->cost_per_hour_ucad) != 0 || c->cost_per_hour_ucad < 0 ||
                 c->cost_per_hour_ucad > 1000 * MONEY_ONE))
        FAIL("XCELSIOR_COST_PER_HOUR must be a number in 0..1000 (got '%s')", cost);
    c->country = dup_env("XCELSIOR_COUNTRY", "");
    c->host_ip = dup_env("XCELSIOR_HOST_IP", "");
    c->province = dup_env("XCELSIOR_PROVINCE", "");

    if (get_int("XCELSIOR_HEARTBEAT_INTERVAL", 10, 1, 3600, &c->heartbeat_s, err, errlen) ||
        get_int("XCELSIOR_POLL_INTERVAL", 5, 1, 3600, &c->poll_s, err, errlen) ||
        get_int("XCELSIOR_TELEMETRY_INTERVAL", 5, 1, 3600, &c->telemetry_s, err, errlen) ||
        get_int("XCELSIOR_MINING_CHECK_INTERVAL", 60, 1, 3600, &c->mining_check_s, err, errlen) ||
        get_int("XCELSIOR_MINING_GPU_UTIL", 95, 0, 100, &c->mining_util_pct, err, errlen) ||
        get_int("XCELSIOR_MINING_DURATION_SEC", 300, 1, 86400, &c->mining_duration_s, err, errlen) ||
        get_int("XCELSIOR_MAX_FAILURES", 30, 1, 1000000, &c->max_failures, err, errlen) ||
        get_int("XCELSIOR_MAX_CONCURRENT_JOBS", 8, 1, 256, &c->max_concurrent, err, errlen) ||
        get_int("XCELSIOR_PREEMPTION_GRACE_SEC", 30, 0, 3600, &c->grace_s, err, errlen) ||
        get_int("XCELSIOR_JOB_PIDS_LIMIT", 4096, 16, 1 << 22, &c->pids_limit, err, errlen) ||
        get_int("XCELSIOR_THERMAL_HISTORY_SIZE", 60, 1, 10000, &c->thermal_history, err, errlen) ||
        get_int("XCELSIOR_SIM_GPUS", 1, 1, 64, &c->sim_gpus, err, errlen) ||
        get_int("XCELSIOR_ADMISSION_RETRY_MAX", 600, 1, 86400, &c->admission_retry_max_s, err, errlen) ||
        get_int("XCELSIOR_JOB_TMPFS_MB", 1024, 1, 1 << 20, &c->tmpfs_tmp_mb, err, errlen) ||
        get_int("XCELSIOR_JOB_WORKSPACE_MB", 4096, 1, 1 << 22, &c->tmpfs_workspace_mb, err, errlen))
        return -1;

    const char *tx = env("XCELSIOR_MINING_PCIE_TX_MB");
    c->mining_pcie_tx_mb = 5.0;
    if (tx) {
        char *end;
        errno = 0;
        c->mining_pcie_tx_mb = strtod(tx, &end);
        if (errno || end == tx || *end || c->mining_pcie_tx_mb < 0 || c->mining_pcie_tx_mb > 1e6)
            FAIL("XCELSIOR_MINING_PCIE_TX_MB must be a number >= 0 (got '%s')", tx);
    }
    const char *vram = env("XCELSIOR_SIM_VRAM_GB");
    c->sim_vram_mgb = 24000;
    if (vram && (fixed_parse(vram, VRAM_SCALE, &c->sim_vram_mgb) != 0 || c->sim_vram_mgb <= 0 ||
                 c->sim_vram_mgb > 4096000))
        FAIL("XCELSIOR_SIM_VRAM_GB must be a number in (0, 4096] (got '%s')", vram);

    if (get_bool("XCELSIOR_PREFER_GVISOR", true, &c->prefer_gvisor, err, errlen) ||
        get_bool("XCELSIOR_TAILSCALE_ENABLED", false, &c->tailscale_enabled, err, errlen) ||
        get_bool("XCELSIOR_EGRESS_MASQUERADE", true, &c->egress_masquerade, err, errlen))
        return -1;
    bool sim_env = false;
    if (get_bool("XCELSIOR_SIMULATE", false, &sim_env, err, errlen))
        return -1;
    c->simulate = c->simulate || sim_env;

    const char *mem = env("XCELSIOR_JOB_MEMORY_LIMIT");
    c->memory_limit_bytes = 32LL * 1024 * 1024 * 1024;
    if (mem && (agent_parse_size(mem, &c->memory_limit_bytes) != 0 || c->memory_limit_bytes < 6 * 1024 * 1024))
        FAIL("XCELSIOR_JOB_MEMORY_LIMIT must be a size like 32g or 512m, at least 6m (got '%s')", mem);

    c->job_user = dup_env("XCELSIOR_JOB_USER", "65534:65534");
    if (!valid_user(c->job_user))
        FAIL("XCELSIOR_JOB_USER must be a numeric non-root uid[:gid] (got '%s')", c->job_user);
    c->work_dir = dup_env("XCELSIOR_WORK_DIR", "/var/lib/xcelsior");

    const char *dh = env("XCELSIOR_DOCKER_HOST");
    if (!dh)
        dh = "unix:///var/run/docker.sock";
    if (strncmp(dh, "unix://", 7) != 0 || dh[7] != '/')
        FAIL("XCELSIOR_DOCKER_HOST must be unix:///path/to/socket (got '%s')", dh);
    c->docker_socket = xstrdup(dh + 7);

    const char *pp = env("XCELSIOR_PULL_POLICY");
    c->pull_policy = PULL_IF_NOT_PRESENT;
    if (pp) {
        if (strcmp(pp, "always") == 0)
            c->pull_policy = PULL_ALWAYS;
        else if (strcmp(pp, "never") == 0)
            c->pull_policy = PULL_NEVER;
        else if (strcmp(pp, "if-not-present") != 0)
            FAIL("XCELSIOR_PULL_POLICY must be always, if-not-present or never (got '%s')", pp);
    }
    const char *em = env("XCELSIOR_EGRESS_MODE");
    c->egress_mode = EGRESS_NETNS;
    if (em) {
        if (strcmp(em, "none") == 0)
            c->egress_mode = EGRESS_NONE;
        else if (strcmp(em, "netns") != 0)
            FAIL("XCELSIOR_EGRESS_MODE must be netns or none (got '%s')", em);
    }
    c->nfs_server = dup_env("XCELSIOR_NFS_SERVER", "");
    c->nfs_path = dup_env("XCELSIOR_NFS_PATH", "");
    c->nfs_mount = dup_env("XCELSIOR_NFS_MOUNT", "/mnt/xcelsior-nfs");
    c->egress_dns = dup_env("XCELSIOR_EGRESS_DNS", "");
    c->egress_allowlist = dup_env("XCELSIOR_EGRESS_ALLOWLIST", NULL);
    c->egress_extra_hosts = dup_env("XCELSIOR_EGRESS_EXTRA_HOSTS", "");
    c->egress_ports = dup_env("XCELSIOR_EGRESS_PORTS", "80,443");
    c->job_subnet = dup_env("XCELSIOR_JOB_SUBNET", "10.213.0.0/16");
    c->tailscale_authkey = dup_env("XCELSIOR_TAILSCALE_AUTHKEY", "");
    c->headscale_url = dup_env("XCELSIOR_HEADSCALE_URL", "");
    c->nvml_lib = dup_env("XCELSIOR_NVML_LIB", "libnvidia-ml.so.1");
    c->bench_image = dup_env("XCELSIOR_BENCH_IMAGE", "");
    return 0;
}

void agent_config_free(struct agent_config *c)
{
    char **strs[] = {&c->host_id, &c->scheduler_url, &c->api_token, &c->country, &c->province, &c->host_ip,
                     &c->job_user, &c->work_dir, &c->docker_socket, &c->nfs_server, &c->nfs_path,
                     &c->nfs_mount, &c->egress_dns, &c->egress_allowlist, &c->egress_extra_hosts,
                     &c->egress_ports, &c->job_subnet, &c->tailscale_authkey, &c->headscale_url,
                     &c->nvml_lib, &c->bench_image};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
}
