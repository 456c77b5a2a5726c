/* Server configuration from the environment (.env first) and command-line flags. */
#include "server/config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/env.h"
#include "common/log.h"

#define DEV_SECRET "xcelsior-dev-secret-do-not-use-in-production"

static int bad(const char *name)
{
    fprintf(stderr, "xcelsior: invalid value for %s\n", name);
    return -1;
}

static int parse_env_name(struct server_config *cfg)
{
    const char *v = env_get("XCELSIOR_ENV");
    if (!v || strcasecmp(v, "dev") == 0 || strcasecmp(v, "development") == 0) {
        cfg->env = ENV_DEV;
        cfg->env_name = "dev";
    } else if (strcasecmp(v, "test") == 0) {
        cfg->env = ENV_TEST;
        cfg->env_name = "test";
    } else if (strcasecmp(v, "production") == 0 || strcasecmp(v, "prod") == 0) {
        cfg->env = ENV_PRODUCTION;
        cfg->env_name = "production";
    } else {
        fprintf(stderr, "xcelsior: invalid XCELSIOR_ENV '%s' (expected dev, test or production)\n", v);
        return -1;
    }
    return 0;
}

/* An http(s) base URL setting (dflt when unset) into out, without trailing slashes. Returns -1
 * when it is not http:// or https://, holds a space or control character, or does not fit. */
static int url_setting(const char *name, const char *dflt, char *out, size_t n)
{
    const char *v = env_get(name);
    if (!v)
        v = dflt;
    size_t l = strlen(v);
    while (l > 0 && v[l - 1] == '/')
        l--;
    if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) || l >= n || l <= 8)
        return -1;
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
            return -1;
    snprintf(out, n, "%.*s", (int)l, v);
    return 0;
}

int config_from_env(struct server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    if (parse_env_name(cfg) < 0)
        return -1;
    const char *v;
    cfg->api_token = (v = env_get("XCELSIOR_API_TOKEN")) ? v : "";
    cfg->secret_key = (v = env_get("XCELSIOR_SECRET_KEY")) ? v : (cfg->env == ENV_PRODUCTION ? "" : DEV_SECRET);
    snprintf(cfg->host, sizeof cfg->host, "%s",
             (v = env_get("XCELSIOR_HOST")) ? v : ((v = env_get("XCELSIOR_BIND")) ? v : "127.0.0.1"));
    snprintf(cfg->db_path, sizeof cfg->db_path, "%s", (v = env_get("XCELSIOR_DB_PATH")) ? v : "./xcelsior.db");
    cfg->autoscale_hook = env_get("XCELSIOR_AUTOSCALE_HOOK");
    cfg->default_image = (v = env_get("XCELSIOR_DEFAULT_IMAGE")) ? v : "";
    cfg->nfs_server = (v = env_get("XCELSIOR_NFS_SERVER")) ? v : "";
    cfg->nfs_allowed = (v = env_get("XCELSIOR_NFS_ALLOWED_SERVERS")) ? v : "";
    if (url_setting("XCELSIOR_STRIPE_API_BASE", "https://api.stripe.com", cfg->stripe_api_base,
                    sizeof cfg->stripe_api_base) < 0)
        return bad("XCELSIOR_STRIPE_API_BASE");
    if (url_setting("XCELSIOR_PUBLIC_URL", "http://localhost:8000", cfg->public_url, sizeof cfg->public_url) < 0)
        return bad("XCELSIOR_PUBLIC_URL");
    cfg->stripe_secret_key = (v = env_get("XCELSIOR_STRIPE_SECRET_KEY")) ? v : "";
    cfg->stripe_webhook_secret = (v = env_get("XCELSIOR_STRIPE_WEBHOOK_SECRET")) ? v : "";
    if ((v = env_get("XCELSIOR_LOG_LEVEL")) && log_set_level(v) < 0)
        return bad("XCELSIOR_LOG_LEVEL");

    int64_t port;
    struct {
        const char *name;
        int64_t dflt, min, max, *out;
    } ints[] = {
        {"XCELSIOR_PORT", 8000, 0, 65535, &port},
        {"XCELSIOR_QUEUE_INTERVAL", 5, 0, 86400, &cfg->queue_interval_sec},
        {"XCELSIOR_SWEEP_INTERVAL", 10, 0, 86400, &cfg->sweep_interval_sec},
        {"XCELSIOR_HOST_DEAD_AFTER_SEC", 90, 1, 86400, &cfg->host_dead_after_sec},
        {"XCELSIOR_ASSIGN_TIMEOUT_SEC", 120, 1, 86400, &cfg->assign_timeout_sec},
        {"XCELSIOR_LEASE_DURATION_SEC", 300, 1, 86400, &cfg->lease_duration_sec},
        {"XCELSIOR_LEASE_GRACE_SEC", 60, 0, 86400, &cfg->lease_grace_sec},
        {"XCELSIOR_MAX_RETRIES", 3, 0, 100, &cfg->max_retries},
        {"XCELSIOR_PREEMPTION_GRACE_SEC", 30, 0, 3600, &cfg->preemption_grace_sec},
        {"XCELSIOR_SSE_MAX_CLIENTS", 1000, 1, 100000, &cfg->sse_max_clients},
        {"XCELSIOR_RATE_LIMIT_REQUESTS", 120, 0, 1000000000, &cfg->rate_limit_requests},
        {"XCELSIOR_RATE_LIMIT_WINDOW_SEC", 60, 1, 86400, &cfg->rate_limit_window_sec},
        {"XCELSIOR_THREADS", 16, 1, 256, &cfg->threads},
        {"XCELSIOR_AUTOSCALE_MAX", 20, 0, 100000, &cfg->autoscale_max},
        {"XCELSIOR_AUTOSCALE_IDLE_SEC", 600, 0, 864000, &cfg->autoscale_idle_sec},
        {"XCELSIOR_BACKFILL_RESERVE_AFTER_SEC", 600, 0, 864000, &cfg->backfill_reserve_after_sec},
        {"XCELSIOR_DB_READERS", 4, 0, 16, &cfg->db_readers},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (env_int(ints[i].name, ints[i].dflt, ints[i].min, ints[i].max, ints[i].out) < 0)
            return bad(ints[i].name);
    cfg->port = (int)port;
    /* In test, the queue loop runs only when its interval was set explicitly (domain §1.3). */
    cfg->queue_interval_set = env_get("XCELSIOR_QUEUE_INTERVAL") != NULL;
    if (cfg->env == ENV_TEST && !cfg->queue_interval_set)
        cfg->queue_interval_sec = 0;
    if (env_bool("XCELSIOR_CANADA_ONLY", false, &cfg->canada_only) < 0)
        return bad("XCELSIOR_CANADA_ONLY");
    if (env_bool("XCELSIOR_TRUST_PROXY", false, &cfg->trust_proxy) < 0)
        return bad("XCELSIOR_TRUST_PROXY");

    cfg->minimums = admit_default_minimums();
    static const char *const min_vars[ADMIT__COUNT] = {"XCELSIOR_MIN_RUNC", "XCELSIOR_MIN_NVIDIA_CTK",
                                                       "XCELSIOR_MIN_NVIDIA_DRIVER", "XCELSIOR_MIN_DOCKER"};
    for (int i = 0; i < ADMIT__COUNT; i++) {
        if ((v = env_get(min_vars[i]))) {
            cfg->minimums.min[i] = v;
            if (!admit_version_valid(v))
                return bad(min_vars[i]);
            log_warn("admission minimum for %s lowered/overridden by %s=%s", admit_component_name(i), min_vars[i], v);
        }
    }
    return 0;
}

int config_check_production(const struct server_config *cfg)
{
    if (cfg->env != ENV_PRODUCTION)
        return 0;
    if (strlen(cfg->api_token) < 32) {
        fprintf(stderr, "xcelsior: XCELSIOR_API_TOKEN must be set (at least 32 characters) when XCELSIOR_ENV=production\n");
        return -1;
    }
    if (strlen(cfg->secret_key) < 32) {
        fprintf(stderr, "xcelsior: XCELSIOR_SECRET_KEY must be set (at least 32 characters) when XCELSIOR_ENV=production\n");
        return -1;
    }
    return 0;
}
