/* Command table, help texts and the top-level argument handling of `xcelsior`. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#ifndef XC_VERSION
#define XC_VERSION "0.0.0"
#endif

static const struct cli_cmd commands[] = {
    /* Provider */
    {"host-add", "--id ID --ip IP --gpu MODEL --vram GB [--free-vram GB] [--rate R] [--country CC] [--province PP] [--gpus N]",
     "Register (or update) a GPU host",
     "Registers a host (PUT /host). --free-vram defaults to --vram; --rate is CAD per GPU-hour.\n"
     "A new host starts pending until its agent reports versions that pass admission.\n"
     "When the server issues an agent token it is printed once, with the lines to put in the\n"
     "agent's environment (XCELSIOR_HOST_ID, XCELSIOR_SCHEDULER_URL, XCELSIOR_API_TOKEN).\n",
     cli_cmd_host_add},
    {"hosts", "[--all]", "List hosts",
     "Lists the active hosts (those that get work); a note on stderr counts the others, e.g.\n"
     "\"1 pending host not shown\". --all lists every host with its status (pending, dead, ...).\n"
     "With --json: the server's GET /hosts?active_only=<not --all> answer.\n",
     cli_cmd_hosts},
    {"host-rm", "HOST_ID", "Remove a host",
     "Removes a host (DELETE /host/{id}); its jobs are sent back to the queue.\n", cli_cmd_host_rm},
    {"list-rig", "--host ID --rate R [--description D] [--gpu MODEL] [--vram GB]", "List a host on the marketplace",
     "Creates or updates a marketplace listing (POST /marketplace/list); --rate is CAD per hour.\n",
     cli_cmd_list_rig},
    {"unlist-rig", "--host ID", "Remove a marketplace listing",
     "Deactivates a host's listing (DELETE /marketplace/{id}).\n", cli_cmd_unlist_rig},
    {"provider", "[show | register [--company NAME] [--gst NUMBER] [--province XX]]", "Open or show your provider account",
     "  provider               shows your provider account (GET /api/providers/{id}); the\n"
     "                         operator gives --provider ID\n"
     "  provider register      opens your provider account (POST /api/providers/register), the\n"
     "                         one your hosts' earnings are paid to, and prints its payout\n"
     "                         onboarding link. Options:\n"
     "    --company NAME          register as a company (default: an individual)\n"
     "    --gst NUMBER            GST/HST registration number, e.g. 123456789RT0001\n"
     "    --business-number BN    CRA business number (9 digits, or 123456789RC0001)\n"
     "    --province XX           AB BC MB NB NL NS NT NU ON PE QC SK YT\n"
     "    --email EMAIL           payout contact (default: your account's e-mail)\n",
     cli_cmd_provider},
    {"earnings", "[--provider ID]", "Show your earnings and recent payouts",
     "Prints the signed-in provider's totals (earned, platform fee, GST/HST, pending, paid) and\n"
     "newest payouts (GET /api/providers/{id}/earnings). Users without a provider account are\n"
     "told to run 'xcelsior provider register'. The operator gives --provider ID.\n",
     cli_cmd_earnings},
    {"verify", "HOST_ID [--approve [--notes N] | --reject [--reason R] | --request]", "Show a host's verification, or approve/reject it",
     "Prints the host's verification record (GET /api/verify/{id}/status): state, score, GPU\n"
     "fingerprint, last and next check, and the seven checks with what was expected and measured.\n"
     "Operator actions:\n"
     "  --approve [--notes N]   marks the host verified (POST /api/verify/{id}/approve)\n"
     "  --reject [--reason R]   de-verifies it (POST /api/verify/{id}/reject)\n"
     "  --request               asks its agent for a new report now (POST /api/verify/{id})\n",
     cli_cmd_verify},
    {"reputation", "ENTITY_ID [--type host|user] [--history [--limit N]] [--breakdown] | leaderboard [--type T] [--limit N]",
     "Show a reputation score, or the leaderboard",
     "  reputation ENTITY_ID    the score of a host (or, with --type user, a user): points by kind,\n"
     "                          reliability, tier and its effects (GET /api/reputation/{id})\n"
     "    --history             also the newest events (GET /api/reputation/{id}/history, --limit N)\n"
     "    --breakdown           also the breakdown (GET /api/reputation/{id}/breakdown)\n"
     "  reputation leaderboard  the top scores (GET /api/reputation/leaderboard, --limit N <= 100)\n"
     "With --json: the score's answer with \"events\" and \"breakdown\" added when asked for.\n",
     cli_cmd_reputation},
    {"sla", "HOST_ID [--month YYYY-MM] | targets | enforce HOST_ID YYYY-MM [--tier T] [--spend CAD]",
     "Show a host's SLA, the SLA targets, or enforce a month",
     "  sla HOST_ID             the host's SLA tier, 30-day uptime, the month's record (--month,\n"
     "                          default the current one) and its violations (GET /api/sla/{id},\n"
     "                          GET /api/sla/violations/{id}); --json adds \"violations\"\n"
     "  sla targets             the targets of the three SLA tiers (GET /api/sla/targets)\n"
     "  sla enforce HOST_ID M   operator: evaluates month M and credits the host's customers once\n"
     "                          (POST /api/sla/enforce); --tier T overrides the host's tier,\n"
     "                          --spend CAD the month's spend\n",
     cli_cmd_sla},
    /* Submitter */
    {"run", "MODEL VRAM_GB [--tier T] [--priority N] [--gpus N] [--image IMG] [--trust-tier T] [--no-assign] [-- COMMAND [ARG...]]",
     "Submit a job, then run a queue pass",
     "Submits a job (POST /job) and, unless --no-assign is given, runs one queue pass\n"
     "(POST /queue/process) and reports where it was placed.\n"
     "\n"
     "  MODEL              job name (usually the model), e.g. llama3\n"
     "  VRAM_GB            VRAM needed per job, in GB (up to 3 decimals)\n"
     "  --tier T           free, standard, premium or urgent\n"
     "  --priority N       legacy numeric priority (used only without --tier)\n"
     "  --gpus N           number of GPUs (default 1)\n"
     "  --image IMG        container image\n"
     "  --trust-tier T     community, residency, sovereignty or regulated\n"
     "  --no-assign        do not run a queue pass after submitting\n"
     "  -- COMMAND ARG...  the job's command (its argv, at most 64 words), e.g.\n"
     "                     xcelsior run demo 1 --image IMG -- /bin/sh -c 'echo hello'\n",
     cli_cmd_run},
    {"jobs", "[--status S] [--host HOST_ID]", "List jobs",
     "Lists jobs (GET /jobs), optionally only those with status S (queued, assigned, leased,\n"
     "running, completed, failed, preempted, cancelled) or on one host.\n",
     cli_cmd_jobs},
    {"job", "JOB_ID", "Show one job in detail",
     "Prints the job (GET /job/{id}) as indented JSON. For a queued job the server's reason\n"
     "for not placing it (pending_reason) is also printed on stderr.\n",
     cli_cmd_job},
    {"logs", "JOB_ID [-f] [--limit N]", "Show (or follow) a job's log lines",
     "Prints the job's buffered log lines (GET /jobs/{id}/logs, last N, default 100).\n"
     "With -f/--follow, streams them (GET /jobs/{id}/logs/stream) until the job ends;\n"
     "--timeout SEC stops following after SEC seconds.\n",
     cli_cmd_logs},
    {"cancel", "JOB_ID", "Cancel a job",
     "Cancels a job (PATCH /job/{id} {\"status\":\"cancelled\"}). Cancelling a running job is\n"
     "asynchronous: the agent is asked to stop it.\n",
     cli_cmd_cancel},
    {"requeue", "--job JOB_ID", "Send a failed or preempted job back to the queue",
     "Requeues a job (POST /job/{id}/requeue). The job id may also be given as a plain argument.\n",
     cli_cmd_requeue},
    {"bill", "JOB_ID", "Show the billing record of a finished job",
     "Bills a job (POST /billing/bill/{id}); returns the existing record if already billed.\n",
     cli_cmd_bill},
    {"marketplace", "[--all]", "Browse marketplace listings",
     "Lists active listings (GET /marketplace); --all includes inactive ones.\n", cli_cmd_marketplace},
    {"spot-prices", "", "Show current spot prices", "Prints spot prices per GPU model (GET /spot-prices).\n",
     cli_cmd_spot_prices},
    {"wallet", "[--customer ID]", "Show your wallet and recent transactions",
     "Prints the signed-in user's wallet (GET /api/billing/wallet/{customer_id}): balance, held,\n"
     "outstanding, deposited and spent, then the 10 newest transactions\n"
     "(GET /api/billing/wallet/{customer_id}/history). The operator gives --customer ID.\n"
     "With --json: the wallet answer with the history's \"transactions\" added.\n",
     cli_cmd_wallet},
    {"topup", "AMOUNT [--customer ID]", "Top up your wallet by card",
     "Starts a card top-up of AMOUNT CAD (whole cents, at most 10000) for the signed-in user's\n"
     "customer (POST /api/billing/wallet/{customer_id}/topup): prints the Stripe payment intent\n"
     "and its client secret, with which the payment is confirmed (Stripe.js or the dashboard's\n"
     "Top up button); the wallet is credited when Stripe reports it succeeded. When the server\n"
     "has no Stripe keys (stub mode) it refuses with its message and the exit status is 1: ask\n"
     "the operator for a deposit instead.\n",
     cli_cmd_topup},
    /* Operator */
    {"process", "", "Run one queue pass (assign queued jobs to hosts)",
     "Runs one scheduling pass (POST /queue/process) and lists the assignments.\n", cli_cmd_process},
    {"check", "", "Health-check all hosts (heartbeat based)",
     "Runs the heartbeat check (POST /hosts/check) and prints alive/dead per host.\n", cli_cmd_check},
    {"failover", "[--host HOST_ID]", "Requeue jobs of dead hosts",
     "Runs failover (POST /failover): with --host, that host is declared lost now. Jobs on dead\n"
     "hosts are requeued and reassigned.\n",
     cli_cmd_failover},
    {"autoscale", "", "Run one autoscale cycle",
     "Runs one autoscale cycle (POST /autoscale/cycle) and lists what was provisioned, assigned\n"
     "and deprovisioned.\n",
     cli_cmd_autoscale},
    {"canada-only", "[--enable | --disable]", "Show or set Canada-only scheduling",
     "With --enable or --disable sets the mode (PUT /canada); without, shows it (GET /canada).\n",
     cli_cmd_canada_only},
    {"jurisdiction", "HOST_ID [--set KEY=VALUE ...] | trace JOB_ID", "Show or attest a host's jurisdiction; trace a job",
     "  jurisdiction HOST_ID    the host's attested jurisdiction record and classified trust tier\n"
     "                          (GET /api/jurisdiction/hosts/{id})\n"
     "    --set KEY=VALUE       operator: writes fields of the record (PUT, repeatable). Keys:\n"
     "                          country, province, city, data_center_name, data_center_class\n"
     "                          (commercial, residential, colocation), operator_name,\n"
     "                          operator_incorporated_in, and the yes/no facts\n"
     "                          operator_registered_canada, foreign_control, sovereignty_vetted,\n"
     "                          supports_audit_trail, supports_data_residency\n"
     "  jurisdiction trace JOB  where a job ran, with the facts attested at that time\n"
     "                          (GET /api/jurisdiction/residency-trace/{job_id})\n",
     cli_cmd_jurisdiction},
    {"events", "[-f] [--count N] [--timeout SEC]", "Watch the live event stream",
     "Prints events from the server's event stream (GET /api/stream), one per line.\n"
     "Without -f it listens for 5 seconds; with -f/--follow until interrupted.\n"
     "--count N stops after N events; --timeout SEC after SEC seconds.\n",
     cli_cmd_events},
    {"billing", "", "List billing records",
     "Lists billing records and their total (GET /billing).\n", cli_cmd_billing},
    {"bill-all", "", "Bill every finished job that has no billing record",
     "Creates missing billing records (POST /billing/bill-all).\n", cli_cmd_bill_all},
    {"revenue", "", "Show total revenue", "Prints revenue totals (GET /billing/revenue).\n", cli_cmd_revenue},
    {"payouts", "[list [--provider ID] | pay PROVIDER_ID [--ids ID,...] [--reference R]]", "List or pay provider payouts",
     "  payouts                       the newest payouts of the signed-in provider, or of\n"
     "                                --provider ID (GET /api/providers/{id}/earnings)\n"
     "  payouts pay PROVIDER_ID       operator: pays every pending payout of the provider\n"
     "                                (POST /api/providers/{id}/payout), each exactly once;\n"
     "                                --ids PAY-…,PAY-… pays only those payouts (as listed);\n"
     "                                --reference R records the transfer made outside Stripe\n",
     cli_cmd_payouts},
    /* General */
    {"login", "[--email EMAIL [--password-stdin]]", "Sign in and store the session token",
     "Without --email, runs the device flow: asks the server for a code (POST /api/auth/device),\n"
     "prints it with the page where a signed-in user approves it (GET /api/auth/verify, or the\n"
     "dashboard's Account panel), and polls POST /api/auth/token at the interval the server\n"
     "gives until the code is approved, expires or is refused. Ctrl-C cancels (exit 130).\n"
     "\n"
     "With --email, signs in with a password (POST /api/auth/login). The password is read from\n"
     "standard input with --password-stdin, else from XCELSIOR_PASSWORD, else asked for on the\n"
     "terminal without echo.\n"
     "\n"
     "The session token is stored in ~/.xcelsior/token (mode 0600, directory 0700) and used by\n"
     "later commands unless --token or XCELSIOR_API_TOKEN is given.\n"
     "With --json: {\"ok\":true,\"token_file\":PATH,\"user\":{...}} on stdout; the device-flow\n"
     "instructions go to stderr.\n",
     cli_cmd_login},
    {"logout", "", "End the stored session and remove the token file",
     "Ends the stored session on the server (POST /api/auth/logout) and removes\n"
     "~/.xcelsior/token. With --token, ends that session instead. XCELSIOR_API_TOKEN is never\n"
     "revoked by logout. A session that had already ended still counts as logged out.\n",
     cli_cmd_logout},
    {"whoami", "", "Show the signed-in user",
     "Prints the user the credential belongs to (GET /api/auth/me): `EMAIL (ROLE)`, then the\n"
     "user, customer and (for providers) provider ids. Needs a user credential: a session\n"
     "from 'xcelsior login' or an API key; the operator token is not a user.\n",
     cli_cmd_whoami},
    {"keys", "[list | create [NAME] | revoke PREVIEW]", "List, create or revoke your API keys",
     "  keys                  lists your API keys by preview (GET /api/keys)\n"
     "  keys create [NAME]    creates one (POST /api/keys/generate, name default \"default\");\n"
     "                        the key (xc-...) is printed once and cannot be shown again\n"
     "  keys revoke PREVIEW   revokes the key with that preview (DELETE /api/keys/{preview})\n"
     "An API key works wherever a session does: --token KEY or XCELSIOR_API_TOKEN=KEY.\n",
     cli_cmd_keys},
    {"version", "", "Show client and server versions",
     "Prints the client version and, when reachable, the server's (GET /).\n", cli_cmd_version},
    {"help", "[COMMAND]", "Show help for the tool or one command", NULL, cli_cmd_help},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

const struct cli_cmd *cli_find_cmd(const char *name)
{
    size_t i;
    for (i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static const char global_options_help[] =
    "Global options (before or after the command):\n"
    "  --url URL, --api-url URL  server URL (env XCELSIOR_API_URL, default " CLI_DEFAULT_URL ")\n"
    "  --token TOKEN             API token, session or API key (env XCELSIOR_API_TOKEN,\n"
    "                            else ~/.xcelsior/token from 'xcelsior login')\n"
    "  --json                    print the server's raw JSON response\n"
    "  --no-color                no colours (also NO_COLOR=1; colour is only used on a terminal)\n"
    "  -h, --help                show help\n";

void cli_print_cmd_help(const struct cli_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: xcelsior %s%s%s\n\n%s.\n", cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis,
            cmd->summary);
    if (cmd->help)
        fprintf(f, "\n%s", cmd->help);
    fprintf(f, "\n%s", global_options_help);
}

void cli_print_tool_help(FILE *f)
{
    static const struct {
        const char *title;
        const char *first;
    } groups[] = {
        {"Provider (you own GPUs: register hosts, run xcelsior-agent on them, list them)", "host-add"},
        {"Submitter (you need GPUs: submit jobs, follow their logs, see the bill)", "run"},
        {"Operator (you run the control plane: scheduling, health, money)", "process"},
        {"General", "login"},
    };
    size_t i, g = 0;

    fprintf(f, "usage: xcelsior [OPTIONS] COMMAND [ARGS...]\n\n"
               "Command-line client of the Xcelsior GPU scheduling API.\n");
    for (i = 0; i < NCOMMANDS; i++) {
        if (g < sizeof groups / sizeof groups[0] && strcmp(commands[i].name, groups[g].first) == 0)
            fprintf(f, "\n%s:\n", groups[g++].title);
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "\n%s", global_options_help);
    fprintf(f, "  -V, --version             show the client version\n"
               "\nExit status: 0 success, 1 the server refused the request, 2 usage error,\n"
               "3 the server could not be reached, 130 cancelled with Ctrl-C (login).\n"
               "Run 'xcelsior help COMMAND' for the options of one command.\n");
}

/* Global options before the verb. Returns the index of the verb, or -1 with *rc set. */
static int parse_globals(struct cli_ctx *ctx, int argc, char **argv, int *rc)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        const char *name = NULL;

        if (a[0] != '-' || a[1] == '\0')
            return i;
        if (strcmp(a, "--") == 0)
            return i + 1 < argc ? i + 1 : argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_print_tool_help(stdout);
            *rc = CLI_EXIT_OK;
            return -1;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("xcelsior %s\n", XC_VERSION);
            *rc = CLI_EXIT_OK;
            return -1;
        }
        if (strcmp(a, "--json") == 0) {
            ctx->json = 1;
            continue;
        }
        if (strcmp(a, "--no-color") == 0 || strcmp(a, "--no-colour") == 0) {
            ctx->no_color = 1;
            continue;
        }
        if (strncmp(a, "--url", 5) == 0 && (a[5] == '\0' || a[5] == '=')) {
            slot = &ctx->url_opt;
            name = "--url";
        } else if (strncmp(a, "--api-url", 9) == 0 && (a[9] == '\0' || a[9] == '=')) {
            slot = &ctx->url_opt;
            name = "--api-url";
        } else if (strncmp(a, "--token", 7) == 0 && (a[7] == '\0' || a[7] == '=')) {
            slot = &ctx->token_opt;
            name = "--token";
        }
        if (slot) {
            const char *eq = strchr(a, '=');
            if (eq) {
                *slot = eq + 1;
            } else if (i + 1 < argc) {
                *slot = argv[++i];
            } else {
                *rc = cli_usage_error(NULL, "option '%s' needs a value", name);
                return -1;
            }
            continue;
        }
        *rc = cli_usage_error(NULL, "unknown option '%s'", a);
        return -1;
    }
    return argc;
}

int cli_main(int argc, char **argv)
{
    struct cli_ctx ctx;
    const struct cli_cmd *cmd;
    int rc = CLI_EXIT_OK, v;

    memset(&ctx, 0, sizeof ctx);
    v = parse_globals(&ctx, argc, argv, &rc);
    if (v < 0)
        goto out;
    if (v >= argc) {
        cli_print_tool_help(stderr);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    cmd = cli_find_cmd(argv[v]);
    if (!cmd) {
        rc = cli_usage_error(NULL, "unknown command '%s'", argv[v]);
        goto out;
    }
    cli_http_global_init();
    rc = cmd->run(&ctx, cmd, argc - v - 1, argv + v + 1);
    cli_http_global_cleanup();
out:
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
        rc = CLI_EXIT_API;
    cli_ctx_free(&ctx);
    return rc;
}
