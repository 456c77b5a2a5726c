/* Host and operations verbs: host-add, host-rm, hosts, check, failover, autoscale, canada-only. */
#include "cli/cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_config.h" /* AGENT_TOKEN_VAR: one name for the agent token */
#include "common/fixed.h"
#include "core/states.h"

#define NOPT {NULL, 0, 0, NULL, NULL}
#define EM_DASH "\xe2\x80\x94"

/* ---------- host-add ---------- */

int cli_cmd_host_add(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *id = NULL, *ip = NULL, *gpu = NULL, *vram_s = NULL, *free_s = NULL, *rate_s = NULL;
    const char *country = NULL, *province = NULL, *gpus_s = NULL;
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"id", 0, 1, &id, NULL},
        {"ip", 0, 1, &ip, NULL},
        {"gpu", 0, 1, &gpu, NULL},
        {"vram", 0, 1, &vram_s, NULL},
        {"free-vram", 0, 1, &free_s, NULL},
        {"rate", 0, 1, &rate_s, NULL},
        {"country", 0, 1, &country, NULL},
        {"province", 0, 1, &province, NULL},
        {"gpus", 0, 1, &gpus_s, NULL},
        NOPT,
    };
    int show;
    int64_t vram, freev, rate = 0;
    long gpus = 0;
    struct cli_body b;
    struct cli_resp r = {0};

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (!id)
        return cli_usage_error(cmd, "missing --id");
    if (!ip)
        return cli_usage_error(cmd, "missing --ip");
    if (!gpu)
        return cli_usage_error(cmd, "missing --gpu");
    if (!vram_s)
        return cli_usage_error(cmd, "missing --vram");
    if ((rc = cli_arg_fixed(cmd, "--vram", vram_s, VRAM_SCALE, 1, &vram)))
        return rc;
    freev = vram;
    if (free_s && (rc = cli_arg_fixed(cmd, "--free-vram", free_s, VRAM_SCALE, 0, &freev)))
        return rc;
    if (rate_s && (rc = cli_arg_fixed(cmd, "--rate", rate_s, MONEY_SCALE, 0, &rate)))
        return rc;
    if (gpus_s && (rc = cli_arg_int(cmd, "--gpus", gpus_s, 1, INT_MAX, &gpus)))
        return rc;

    cli_body_init(&b);
    cli_body_str(&b, "host_id", id);
    cli_body_str(&b, "ip", ip);
    cli_body_str(&b, "gpu_model", gpu);
    cli_body_fixed(&b, "total_vram_gb", vram, VRAM_SCALE);
    cli_body_fixed(&b, "free_vram_gb", freev, VRAM_SCALE);
    if (gpus_s)
        cli_body_int(&b, "gpu_count", gpus);
    if (rate_s)
        cli_body_fixed(&b, "cost_per_hour", rate, MONEY_SCALE);
    if (country)
        cli_body_str(&b, "country", country);
    if (province)
        cli_body_str(&b, "province", province);
    show = cli_call_out(ctx, "PUT", "/host", cli_body_finish(&b), &r, &rc);
    cli_body_free(&b);
    if (show) {
        const json_t *h = json_object_get(r.json, "host");
        const char *tok = json_string_value(json_object_get(r.json, "agent_token"));
        const char *cc = cli_jstr(h, "country"), *pp = cli_jstr(h, "province");
        char loc[160], vb[48], rb[48];

        if (*cc && *pp)
            snprintf(loc, sizeof loc, "%s %s", cc, pp);
        else if (*cc || *pp)
            snprintf(loc, sizeof loc, "%s", *cc ? cc : pp);
        else
            snprintf(loc, sizeof loc, EM_DASH);
        printf("Host registered: %s | %s | %s | %s | %sGB | $%s/hr | %s\n", cli_jstr(h, "host_id"),
               cli_jstr(h, "ip"), cli_jstr(h, "gpu_model"), loc,
               cli_jvram(h, "total_vram_gb", vb, sizeof vb),
               cli_jmoney(h, "cost_per_hour", rb, sizeof rb), cli_jstr(h, "status"));
        if (tok && *tok) {
            /* The token variable is the one xcelsior-agent reads; the three lines can be pasted
             * into the agent's environment file as they stand. */
            printf("Agent token: %s\n", tok);
            printf("Shown once. On the host, put these lines in the agent's environment\n"
                   "(/etc/xcelsior/agent.env for deploy/xcelsior-agent.service), then start xcelsior-agent:\n");
            printf("XCELSIOR_HOST_ID=%s\n", cli_jstr(h, "host_id"));
            printf("XCELSIOR_SCHEDULER_URL=%s\n", ctx->base_url ? ctx->base_url : CLI_DEFAULT_URL);
            printf(AGENT_TOKEN_VAR "=%s\n", tok);
        }
    }
    cli_resp_free(&r);
    return rc;
}

/* ---------- host-rm ---------- */

int cli_cmd_host_rm(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_resp r = {0};
    char *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, pos, 1, 1, &npos, &done)) || done)
        return rc;
    path = cli_path_fmt("/host/%s", pos[0]);
    if (cli_call_out(ctx, "DELETE", path, NULL, &r, &rc)) {
        const json_t *req = json_object_get(r.json, "requeued"), *j;
        size_t i;
        const char *removed = cli_jstr(r.json, "removed");
        printf("Host removed: %s\n", *removed ? removed : pos[0]);
        json_array_foreach(req, i, j)
            if (json_is_string(j))
                printf("  Requeued: %s\n", json_string_value(j));
    }
    free(path);
    cli_resp_free(&r);
    return rc;
}

/* ---------- hosts ---------- */

/* Whether a host object of the server's JSON is in the active status. */
static bool host_is_active(const json_t *h)
{
    enum hoststate st;
    return hoststate_parse(cli_jstr(h, "status"), &st) == 0 && st == HOST_ACTIVE;
}

/* Tells on stderr what the default (active-only) listing left out, so a host that was just added
 * and is still pending does not seem lost: "1 pending host not shown; use --all". */
static void note_hidden_hosts(const json_t *hosts)
{
    const char *names[8];
    size_t counts[8], nnames = 0, total = 0, i, k;
    const json_t *h;
    char detail[256] = "";
    size_t used = 0;

    json_array_foreach(hosts, i, h) {
        const char *st = cli_jstr(h, "status");
        if (host_is_active(h))
            continue;
        total++;
        for (k = 0; k < nnames && strcmp(names[k], st) != 0; k++)
            ;
        if (k == nnames && nnames < sizeof names / sizeof names[0]) {
            names[nnames] = st;
            counts[nnames++] = 0;
        }
        if (k < nnames)
            counts[k]++;
    }
    if (total == 0)
        return;
    if (nnames == 1 && counts[0] == total) {
        fprintf(stderr, "%zu %s host%s not shown; use --all\n", total, *names[0] ? names[0] : "inactive",
                total == 1 ? "" : "s");
        return;
    }
    for (k = 0; k < nnames && used < sizeof detail; k++)
        used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%zu %s", k ? ", " : "", counts[k],
                                 names[k]);
    fprintf(stderr, "%zu hosts not shown (%s); use --all\n", total, detail);
}

int cli_cmd_hosts(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int all = 0, done = 0, npos = 0, rc;
    struct cli_opt opts[] = {{"all", 'a', 0, NULL, &all}, NOPT};
    static const char *const seps[] = {"", " ", " | ", " | ", " | ", " | "};
    struct cli_resp r = {0};
    const json_t *hosts, *h;
    size_t i, shown = 0;
    struct cli_table *t = NULL;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    /* People get every host and see the active ones (plus a note about the rest); --json keeps the
     * server's own answer for the filter asked for. */
    if (!cli_call_out(ctx, "GET", all || !ctx->json ? "/hosts?active_only=false" : "/hosts?active_only=true",
                      NULL, &r, &rc))
        goto out;
    hosts = json_object_get(r.json, "hosts");
    t = cli_table_new(6, seps);
    json_array_foreach(hosts, i, h) {
        char st[64], fb[48], fcell[80], rb[48], rcell[80];
        const char *cells[6];
        enum cli_color col[6] = {cli_status_color(cli_jstr(h, "status")), 0, 0, 0, 0, 0};
        const char *ratekey = json_object_get(h, "effective_rate_per_hour") ? "effective_rate_per_hour"
                                                                            : "cost_per_hour";

        if (!all && !host_is_active(h))
            continue;
        snprintf(st, sizeof st, "[%s]", cli_jstr(h, "status"));
        snprintf(fcell, sizeof fcell, "%sGB free", cli_jvram(h, "free_vram_gb", fb, sizeof fb));
        snprintf(rcell, sizeof rcell, "$%s/hr", cli_jmoney(h, ratekey, rb, sizeof rb));
        cells[0] = st;
        cells[1] = cli_jstr(h, "host_id");
        cells[2] = cli_jstr(h, "ip");
        cells[3] = cli_jstr(h, "gpu_model");
        cells[4] = fcell;
        cells[5] = rcell;
        cli_table_add(t, cells, col);
        shown++;
    }
    if (shown)
        cli_table_print(t, stdout, ctx->color);
    else
        printf("No hosts.\n");
    fflush(stdout);
    if (!all && json_is_array(hosts))
        note_hidden_hosts(hosts);
out:
    if (t)
        cli_table_free(t);
    cli_resp_free(&r);
    return rc;
}

/* ---------- check ---------- */

int cli_cmd_check(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    struct cli_resp r = {0};
    const json_t *res, *v;
    const char *k;

    if (!cli_verb_simple(ctx, cmd, argc, argv, "POST", "/hosts/check", &r, &rc) ||
        !(res = cli_jitems(r.json, "results", JSON_OBJECT, "No hosts.")))
        goto out;
    json_object_foreach((json_t *)res, k, v) {
        const char *st = json_is_string(v) ? json_string_value(v) : "?";
        enum cli_color c = cli_status_color(st);
        if (ctx->color && c != CLI_C_NONE)
            printf("  %s: %s%s\033[0m\n", k, c == CLI_C_GREEN ? "\033[32m" : "\033[31m", st);
        else
            printf("  %s: %s\n", k, st);
    }
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- failover ---------- */

int cli_cmd_failover(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *host = NULL;
    int done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_opt opts[] = {{"host", 0, 1, &host, NULL}, NOPT};
    struct cli_resp r = {0};
    struct cli_body b;
    const json_t *dead, *req, *failed, *assigned, *x;
    size_t i;
    int show;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 0, 1, &npos, &done)) || done)
        return rc;
    if (npos == 1) {
        if (host && strcmp(host, pos[0]) != 0)
            return cli_usage_error(cmd, "give the host id once (--host HOST_ID)");
        host = pos[0];
    }
    if (host && !*host)
        return cli_usage_error(cmd, "--host must not be empty");
    cli_body_init(&b);
    if (host)
        cli_body_str(&b, "host_id", host);
    show = cli_call_out(ctx, "POST", "/failover", host ? cli_body_finish(&b) : NULL, &r, &rc);
    cli_body_free(&b);
    if (!show)
        goto out;
    dead = json_object_get(r.json, "dead_hosts");
    req = json_object_get(r.json, "requeued");
    failed = json_object_get(r.json, "failed");
    assigned = json_object_get(r.json, "assigned");
    if (json_array_size(dead) > 0) {
        printf("Dead hosts:");
        json_array_foreach(dead, i, x)
            printf(" %s", json_is_string(x) ? json_string_value(x) : cli_jstr(x, "host_id"));
        printf("\n");
    }
    if (json_array_size(req) + json_array_size(failed) + json_array_size(assigned) == 0) {
        printf("No jobs to failover.\n");
        goto out;
    }
    if (json_array_size(req) > 0) {
        printf("Requeued:\n");
        json_array_foreach(req, i, x)
            printf("  %s (%s) retry %lld\n", cli_jstr(x, "name"), cli_jstr(x, "job_id"),
                   cli_jint(x, "retries"));
    }
    if (json_array_size(failed) > 0) {
        printf("Failed (retry limit reached):\n");
        json_array_foreach(failed, i, x)
            printf("  %s (%s): %s\n", cli_jstr(x, "name"), cli_jstr(x, "job_id"), cli_jstr(x, "reason"));
    }
    if (json_array_size(assigned) > 0) {
        printf("Reassigned:\n");
        json_array_foreach(assigned, i, x)
            printf("  %s (%s) -> %s\n", cli_jstr(x, "job"), cli_jstr(x, "job_id"), cli_jstr(x, "host"));
    }
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- autoscale ---------- */

int cli_cmd_autoscale(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    struct cli_resp r = {0};
    const json_t *prov, *assigned, *deprov, *x;
    size_t i;

    if (!cli_verb_simple(ctx, cmd, argc, argv, "POST", "/autoscale/cycle", &r, &rc))
        goto out;
    prov = json_object_get(r.json, "provisioned");
    assigned = json_object_get(r.json, "assigned");
    deprov = json_object_get(r.json, "deprovisioned");
    if (json_array_size(prov) + json_array_size(assigned) + json_array_size(deprov) == 0) {
        printf("No scaling actions.\n");
        goto out;
    }
    json_array_foreach(prov, i, x)
        printf("Provisioned: %s (%s)\n", cli_jstr(x, "host_id"), cli_jstr(x, "gpu"));
    json_array_foreach(assigned, i, x)
        printf("Assigned: %s (%s) -> %s\n", cli_jstr(x, "job"), cli_jstr(x, "job_id"), cli_jstr(x, "host"));
    json_array_foreach(deprov, i, x)
        printf("Deprovisioned: %s\n", json_is_string(x) ? json_string_value(x) : cli_jstr(x, "host_id"));
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- canada-only ---------- */

int cli_cmd_canada_only(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int en = 0, dis = 0, done = 0, npos = 0, rc;
    struct cli_opt opts[] = {{"enable", 0, 0, NULL, &en}, {"disable", 0, 0, NULL, &dis}, NOPT};
    struct cli_resp r = {0};
    const json_t *v;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (en && dis)
        return cli_usage_error(cmd, "--enable and --disable are mutually exclusive");
    if (!cli_call_out(ctx, en || dis ? "PUT" : "GET", "/canada",
                      en ? "{\"enabled\":true}" : dis ? "{\"enabled\":false}" : NULL, &r, &rc))
        goto out;
    v = json_object_get(r.json, "canada_only");
    if (!json_is_boolean(v))
        v = json_object_get(r.json, "enabled");
    printf("Canada-only mode: %s\n", json_is_true(v) ? "ON" : "OFF");
out:
    cli_resp_free(&r);
    return rc;
}
