/* xcelsior-agent: the worker agent of each GPU host (domain §17). */
#include "agent/agent.h"
#include "agent/agent_config.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Says where the token came from: a token under an unexpected name is the usual reason an agent
 * cannot authenticate. */
static void log_token_source(const struct agent_config *c)
{
    if (!c->api_token_var)
        log_info("no token: " AGENT_TOKEN_VAR " is unset, so calls are anonymous (a production control "
                 "plane refuses them; put the line printed by `xcelsior host-add` in the environment)");
    else if (strcmp(c->api_token_var, AGENT_TOKEN_VAR) == 0)
        log_info("token from " AGENT_TOKEN_VAR);
    else
        log_warn("token from " AGENT_TOKEN_ALIAS " (an alias); name it " AGENT_TOKEN_VAR " instead");
    if (c->api_token_var && strcmp(c->api_token_var, AGENT_TOKEN_VAR) == 0 && getenv(AGENT_TOKEN_ALIAS) &&
        *getenv(AGENT_TOKEN_ALIAS))
        log_warn(AGENT_TOKEN_ALIAS " is ignored: " AGENT_TOKEN_VAR " is set");
}

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: xcelsior-agent [options]\n"
        "\n"
        "Worker agent for an Xcelsior GPU host. It registers the host with the control plane\n"
        "(PUT /host), reports its software versions for admission (POST /agent/versions), and once\n"
        "admitted pulls leased jobs and runs them in hardened containers through the Docker Engine\n"
        "API, each in its own network namespace behind an nftables egress allow-list. It pushes GPU\n"
        "telemetry (NVML) and stops jobs that look like crypto-mining.\n"
        "\n"
        "Options:\n"
        "  --host-id ID          host identifier (overrides XCELSIOR_HOST_ID)\n"
        "  --scheduler-url URL   control-plane base URL (overrides XCELSIOR_SCHEDULER_URL)\n"
        "  --simulate            no GPU needed: register one or more simulated GPUs (shown as\n"
        "                        \"Simulated GPU\"; versions marked simulated)\n"
        "  --probe               detect GPUs and versions, print them as JSON, and exit\n"
        "  --log-level LEVEL     debug, info, warn or error (XCELSIOR_LOG_LEVEL)\n"
        "  --version             print the version and exit\n"
        "  -h, --help            this help\n"
        "\n"
        "Required environment:\n"
        "  XCELSIOR_HOST_ID              unique host id ([A-Za-z0-9][A-Za-z0-9._-]{0,63})\n"
        "  XCELSIOR_SCHEDULER_URL        e.g. http://scheduler:8000\n"
        "Common environment (defaults in brackets):\n"
        "  XCELSIOR_API_TOKEN            agent token (xh-...) printed by `xcelsior host-add`, or the\n"
        "                                operator token [none]; XCELSIOR_AGENT_TOKEN is read as an\n"
        "                                alias when it is unset (the log says which one was used)\n"
        "  XCELSIOR_COST_PER_HOUR        CAD per GPU-hour [0.50]\n"
        "  XCELSIOR_COUNTRY, XCELSIOR_PROVINCE   declared location [unset]\n"
        "  XCELSIOR_HOST_IP              address to register [mesh IP, else hostname -I, else ip route]\n"
        "  XCELSIOR_PREFER_GVISOR        use runsc when the engine offers it [true]\n"
        "  XCELSIOR_HEARTBEAT_INTERVAL / XCELSIOR_POLL_INTERVAL / XCELSIOR_TELEMETRY_INTERVAL  [10/5/5 s]\n"
        "  XCELSIOR_MINING_CHECK_INTERVAL, _MINING_GPU_UTIL, _MINING_PCIE_TX_MB, _MINING_DURATION_SEC\n"
        "                                [60 s, 95 %%, 5 MB/s, 300 s]\n"
        "  XCELSIOR_MAX_CONCURRENT_JOBS  [8]      XCELSIOR_MAX_FAILURES  [30]\n"
        "  XCELSIOR_PREEMPTION_GRACE_SEC SIGTERM to SIGKILL [30]\n"
        "  XCELSIOR_JOB_MEMORY_LIMIT     container memory = swap limit [32g]\n"
        "  XCELSIOR_JOB_PIDS_LIMIT       [4096]   XCELSIOR_JOB_USER  non-root uid:gid [65534:65534]\n"
        "  XCELSIOR_DOCKER_HOST          Engine API socket [unix:///var/run/docker.sock]\n"
        "  XCELSIOR_PULL_POLICY          always | if-not-present | never [if-not-present]\n"
        "  XCELSIOR_WORK_DIR             [/var/lib/xcelsior]\n"
        "  XCELSIOR_EGRESS_MODE          netns (allow-listed egress) | none (no network) [netns]\n"
        "  XCELSIOR_EGRESS_ALLOWLIST     comma-separated hosts/addresses replacing the built-in list\n"
        "  XCELSIOR_EGRESS_EXTRA_HOSTS   added to the allow-list     XCELSIOR_EGRESS_PORTS [80,443]\n"
        "  XCELSIOR_EGRESS_DNS           the only resolver jobs may use [first resolv.conf nameserver]\n"
        "  XCELSIOR_JOB_SUBNET           IPv4 subnet for job namespaces [10.213.0.0/16]\n"
        "  XCELSIOR_NVML_LIB             NVML library to dlopen [libnvidia-ml.so.1]\n"
        "  XCELSIOR_BENCH_IMAGE          benchmark container printing one JSON line [none: built-in]\n"
        "  XCELSIOR_TAILSCALE_ENABLED, XCELSIOR_TAILSCALE_AUTHKEY, XCELSIOR_HEADSCALE_URL  mesh\n"
        "  XCELSIOR_SIM_GPUS, XCELSIOR_SIM_VRAM_GB   simulated GPUs with --simulate [1, 24]\n"
        "\n"
        "Exit status: 0 after a graceful shutdown (SIGTERM/SIGINT), 1 on a configuration error or\n"
        "when no GPU is found. Running jobs are stopped and reported preempted (agent_shutdown).\n");
}

int main(int argc, char **argv)
{
    struct agent_config cfg = {0};
    bool probe = false;
    const char *level = getenv("XCELSIOR_LOG_LEVEL");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("xcelsior-agent %s\n", XC_VERSION);
            return 0;
        } else if (strcmp(a, "--simulate") == 0) {
            cfg.simulate = true;
        } else if (strcmp(a, "--probe") == 0) {
            probe = true;
        } else if ((strcmp(a, "--host-id") == 0 || strcmp(a, "--scheduler-url") == 0 ||
                    strcmp(a, "--log-level") == 0) && val) {
            if (strcmp(a, "--host-id") == 0)
                cfg.host_id = xstrdup(val);
            else if (strcmp(a, "--scheduler-url") == 0)
                cfg.scheduler_url = xstrdup(val);
            else
                level = val;
            i++;
        } else {
            fprintf(stderr, "xcelsior-agent: unknown or incomplete option '%s' (see --help)\n", a);
            return 1;
        }
    }
    if (level && *level && log_set_level(level) != 0) {
        fprintf(stderr, "xcelsior-agent: invalid log level '%s'\n", level);
        return 1;
    }
    if (probe) {
        /* Probing needs no control plane. */
        if (!cfg.host_id && !getenv("XCELSIOR_HOST_ID"))
            cfg.host_id = xstrdup("probe");
        if (!cfg.scheduler_url && !getenv("XCELSIOR_SCHEDULER_URL"))
            cfg.scheduler_url = xstrdup("http://127.0.0.1:0");
    }
    char err[512];
    if (agent_config_load(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "xcelsior-agent: %s\n", err);
        agent_config_free(&cfg);
        return 1;
    }
    if (!probe)
        log_token_source(&cfg);
    int rc = probe ? agent_probe_print(&cfg) : agent_run(&cfg);
    agent_config_free(&cfg);
    return rc;
}
