#ifndef XC_AGENT_CONFIG_H
#define XC_AGENT_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum agent_pull_policy { PULL_IF_NOT_PRESENT, PULL_ALWAYS, PULL_NEVER };
enum agent_egress_mode { EGRESS_NETNS, EGRESS_NONE };

/* Worker agent configuration (domain §17.1), from XCELSIOR_* environment variables with
 * command-line overrides. Strings are owned by the struct (agent_config_free). */
struct agent_config {
    char *host_id;
    char *scheduler_url;         /* trailing '/' stripped */
    char *api_token;             /* "" = no Authorization header */
    const char *api_token_var;   /* the variable the token came from (static), NULL = none */
    int64_t cost_per_hour_ucad;  /* µCAD per GPU-hour */
    char *country, *province;
    char *host_ip;               /* "" = detect (mesh, hostname -I, ip route) */
    int heartbeat_s, poll_s, telemetry_s;
    int mining_check_s, mining_util_pct, mining_duration_s;
    double mining_pcie_tx_mb;
    int max_failures, max_concurrent;
    bool prefer_gvisor;
    int grace_s;
    int64_t memory_limit_bytes;
    int pids_limit;
    char *job_user;              /* "uid:gid", never root */
    char *work_dir;
    char *docker_socket;         /* filesystem path of the Engine API socket */
    enum agent_pull_policy pull_policy;
    char *nfs_server, *nfs_path, *nfs_mount;
    enum agent_egress_mode egress_mode;
    char *egress_dns;            /* "" = first resolv.conf nameserver */
    char *egress_allowlist;      /* comma-separated; NULL = the built-in list */
    char *egress_extra_hosts;
    char *egress_ports;          /* comma-separated TCP ports, default "80,443" */
    char *job_subnet;            /* IPv4 CIDR carved into /30s, one per job */
    bool egress_masquerade;
    bool tailscale_enabled;
    char *tailscale_authkey, *headscale_url;
    int thermal_history;
    char *nvml_lib;              /* dlopen path, default libnvidia-ml.so.1 */
    char *bench_image;           /* XCELSIOR_BENCH_IMAGE: benchmark container, "" = built-in measurement */
    bool simulate;
    int sim_gpus;
    int64_t sim_vram_mgb;
    int admission_retry_max_s;
    int tmpfs_tmp_mb;
    int tmpfs_workspace_mb;
};

/* The agent's token variable: the name `xcelsior host-add` prints. XCELSIOR_AGENT_TOKEN is read
 * only as an alias when the main one is unset (older instructions named it). */
#define AGENT_TOKEN_VAR "XCELSIOR_API_TOKEN"
#define AGENT_TOKEN_ALIAS "XCELSIOR_AGENT_TOKEN"

/* Loads from the environment; returns 0, or -1 with a one-line message in err naming the
 * variable. Flags already set by the caller (non-NULL strings, simulate) are kept. */
int agent_config_load(struct agent_config *c, char *err, size_t errlen);
void agent_config_free(struct agent_config *c);

/* Parses "32g", "512m", "1024k", "1073741824" (binary multiples) into bytes; -1 when invalid. */
int agent_parse_size(const char *s, int64_t *out);
/* Booleans: 1/true/yes/on → true, 0/false/no/off/"" → false (case-insensitive); -1 otherwise. */
int agent_parse_bool(const char *s, bool *out);
/* A whole decimal integer within [lo, hi]; -1 otherwise. */
int agent_parse_int(const char *s, int lo, int hi, int *out);

/* Returns "<base><path>" with every trailing '/' of base removed. Caller frees. */
char *agent_url_join(const char *base, const char *path);

#endif
