#ifndef XC_SERVER_CONFIG_H
#define XC_SERVER_CONFIG_H
#include <stdbool.h>
#include <stdint.h>

#include "core/admit.h"

enum xc_env { ENV_DEV, ENV_TEST, ENV_PRODUCTION };

/* Server configuration: environment variables (domain §1.1; .env loaded first), then flags. */
struct server_config {
    enum xc_env env;
    const char *env_name;
    const char *api_token;  /* "" = none */
    const char *secret_key;
    char host[64];
    int port;
    char db_path[512];
    bool canada_only;
    bool queue_interval_set;
    int64_t queue_interval_sec, sweep_interval_sec;
    int64_t host_dead_after_sec, assign_timeout_sec;
    int64_t lease_duration_sec, lease_grace_sec;
    int64_t max_retries, preemption_grace_sec;
    int64_t sse_max_clients;
    int64_t rate_limit_requests, rate_limit_window_sec;
    bool trust_proxy;
    int64_t threads;
    int64_t autoscale_max, autoscale_idle_sec;
    int64_t backfill_reserve_after_sec; /* queued this long, a job reserves the host it waits for */
    int64_t db_readers;                 /* read-only SQLite connections serving GET requests */
    const char *autoscale_hook;
    const char *default_image;
    const char *nfs_server, *nfs_allowed;
    /* Payments (api §8.7): without a secret key the server runs in stub mode (no Stripe call);
     * without a webhook secret the webhook answers "Stripe not enabled". */
    char stripe_api_base[256];         /* XCELSIOR_STRIPE_API_BASE, no trailing slash */
    const char *stripe_secret_key;     /* XCELSIOR_STRIPE_SECRET_KEY, "" = stub mode */
    const char *stripe_webhook_secret; /* XCELSIOR_STRIPE_WEBHOOK_SECRET, "" = webhook off */
    char public_url[256];              /* XCELSIOR_PUBLIC_URL (links we hand out), no trailing slash */
    struct admit_minimums minimums; /* XCELSIOR_MIN_RUNC, _MIN_NVIDIA_CTK, _MIN_NVIDIA_DRIVER, _MIN_DOCKER */
};

/* Fills cfg from the environment. On an invalid value prints one line naming the variable to
 * stderr and returns -1 (the caller exits 78). */
int config_from_env(struct server_config *cfg);

/* Production safety checks (api §2.1). Prints the exact message and returns -1 on failure. */
int config_check_production(const struct server_config *cfg);

#endif
