/* xcelsiord: the Xcelsior control plane. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/env.h"
#include "common/log.h"
#include "core/hashchain.h"
#include "server/app.h"
#include "server/svc/billing_svc.h"
#include "server/svc/engine.h"
#include "server/http/http.h"
#include "server/svc/loops.h"
#include "server/svc/providers.h"
#include "server/svc/stripe.h"
#include "server/http/ratelimit.h"
#include "server/http/routes.h"
#include "server/http/sse.h"
#include "server/svc/tx.h"

#define EX_CONFIG 78


static void usage(FILE *out)
{
    fprintf(out,
            "Usage: xcelsiord [OPTIONS] [migrate status|up]\n"
            "\n"
            "The Xcelsior control plane: HTTP API, event stream, scheduler and sweeps.\n"
            "\n"
            "Options:\n"
            "  --host ADDR     listen address (env XCELSIOR_HOST, default 127.0.0.1)\n"
            "  --port N        listen port (env XCELSIOR_PORT, default 8000; 0 = pick a free port)\n"
            "  --db PATH       SQLite database file (env XCELSIOR_DB_PATH, default ./xcelsior.db)\n"
            "  --env-file F    read KEY=VALUE settings from F (default ./.env when present)\n"
            "  -h, --help      show this help\n"
            "  -V, --version   print the version\n"
            "\n"
            "Commands:\n"
            "  migrate status  print the schema version and pending migrations, then exit\n"
            "  migrate up      apply pending migrations, then exit (the server also applies them at start)\n"
            "\n"
            "Configuration is by XCELSIOR_* environment variables; see README.md.\n");
}

static int migrate_cmd(const char *what)
{
    int cur, latest, applied;
    if (store_schema_version(g_app->store, &cur, &latest) < 0)
        return 1;
    if (strcmp(what, "status") == 0) {
        printf("schema version %d of %d (%d pending)\n", cur, latest, latest - cur);
        return 0;
    }
    if (strcmp(what, "up") == 0) {
        if (store_migrate_up(g_app->store, &applied) < 0)
            return 1;
        printf("applied %d migration(s); schema version %d\n", applied, cur + applied);
        return 0;
    }
    fprintf(stderr, "xcelsiord: unknown migrate command '%s' (expected status or up)\n", what);
    return 2;
}

int main(int argc, char **argv)
{
    static struct app app;
    g_app = &app;
    const char *host = NULL, *db = NULL, *env_file = ".env";
    long port = -1;
    static const struct option opts[] = {{"host", required_argument, NULL, 'H'}, {"port", required_argument, NULL, 'p'},
                                         {"db", required_argument, NULL, 'd'},   {"env-file", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},       {"version", no_argument, NULL, 'V'},
                                         {"check-routes", no_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
    /* The route table must be sound (every route has a permission mark): checked by the build
     * (--check-routes runs after linking) and again before serving. */
    char route_err[256];
    if (routes_check(route_err, sizeof route_err) < 0) {
        fprintf(stderr, "xcelsiord: %s\n", route_err);
        return 70;
    }
    int c;
    while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (c) {
        case 'H': host = optarg; break;
        case 'p': {
            char *end;
            port = strtol(optarg, &end, 10);
            if (*end || port < 0 || port > 65535) {
                fprintf(stderr, "xcelsiord: --port must be 0..65535\n");
                return 2;
            }
            break;
        }
        case 'd': db = optarg; break;
        case 'e': env_file = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("xcelsiord %s\n", XC_VERSION); return 0;
        case 'R': printf("xcelsiord: %zu routes, every one marked\n", routes_count); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (env_load_dotenv(env_file) < 0)
        fprintf(stderr, "xcelsiord: warning: ignored malformed lines in %s\n", env_file);
    if (config_from_env(&app.cfg) < 0)
        return EX_CONFIG;
    if (host)
        snprintf(app.cfg.host, sizeof app.cfg.host, "%s", host);
    if (port >= 0)
        app.cfg.port = (int)port;
    if (db)
        snprintf(app.cfg.db_path, sizeof app.cfg.db_path, "%s", db);
    if (config_check_production(&app.cfg) < 0 || billing_init() < 0)
        return EX_CONFIG;
    stripe_init(); /* before any thread: curl_global_init is not thread-safe everywhere */
    if (!app.cfg.stripe_secret_key[0])
        log_info("payments: XCELSIOR_STRIPE_SECRET_KEY is not set, providers and payouts run in stub mode");

    /* SIGTERM/SIGINT are taken by sigwait in this thread only: blocked before any thread starts,
     * so no thread is interrupted and nothing is shared with a signal handler. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    if (store_open(app.cfg.db_path, &app.store) < 0)
        return 1;
    store_set_readers(app.store, (int)app.cfg.db_readers);
    if (optind < argc) {
        int rc = strcmp(argv[optind], "migrate") == 0 && optind + 1 < argc ? migrate_cmd(argv[optind + 1]) : 2;
        if (rc == 2 && strcmp(argv[optind], "migrate") != 0)
            fprintf(stderr, "xcelsiord: unknown command '%s' (try --help)\n", argv[optind]);
        store_close(app.store);
        return rc;
    }
    int applied;
    if (store_migrate_up(app.store, &applied) < 0) {
        store_close(app.store);
        return 1;
    }
    hashchain_key(app.cfg.secret_key, app.event_key);
    char flag[16];
    atomic_store(&app.canada_only, app.cfg.canada_only);
    if (store_setting_get(app.store, "canada_only", flag, sizeof flag) == 0)
        atomic_store(&app.canada_only, strcmp(flag, "true") == 0);
    app.started_at_us = clock_wall_us();

    signal(SIGPIPE, SIG_IGN);

    ratelimit_init(app.cfg.rate_limit_requests, app.cfg.rate_limit_window_sec);
    tx_init();
    if (sse_init((int)app.cfg.sse_max_clients) < 0)
        return 1;
    struct http_server *http = http_start(app.cfg.host, app.cfg.port, (int)app.cfg.threads);
    if (!http) {
        sse_shutdown();
        store_close(app.store);
        return 1;
    }
    log_info("xcelsiord %s listening on http://%s:%d (env=%s, db=%s)", XC_VERSION, app.cfg.host,
             http_port(http), app.cfg.env_name, app.cfg.db_path);
    /* Payout transfers a previous process left in flight finish before new payouts can start. */
    if (providers_resume_transfers(app_now()) < 0)
        log_warn("payouts: resuming in-flight transfers failed; they are retried at the next start");
    loops_start();
    int sig = 0;
    while (sigwait(&stop_set, &sig) != 0)
        ;
    log_info("shutting down (signal %d): finishing in-flight requests", sig);
    atomic_store(&app.stopping, true);
    loops_stop();
    http_stop(http);
    store_close(app.store);
    log_info("stopped cleanly");
    return 0;
}
