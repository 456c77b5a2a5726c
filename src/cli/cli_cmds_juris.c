/* Sovereignty, user-facing (issue 12): jurisdiction (a host's admin-attested record and trust
 * tier; `--set key=value` writes it; `trace JOB_ID` a job's residency trace) and sla (a host's
 * uptime, monthly record and violations; `targets`; `enforce` for the operator), api.md §8.4,
 * §8.12, §6.12. Human output by default, --json the server's answer. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fixed.h"
#include "common/xalloc.h"

#define NOPT {NULL, 0, 0, NULL, NULL}
#define MAX_SETS 32

/* The HostJurisdiction fields an admin writes (api.md §8.4), in display order; bools marked. */
static const struct {
    const char *key;
    int is_bool;
} juris_fields[] = {
    {"country", 0}, {"province", 0}, {"city", 0}, {"data_center_name", 0}, {"data_center_class", 0},
    {"operator_name", 0}, {"operator_incorporated_in", 0}, {"operator_registered_canada", 1},
    {"foreign_control", 1}, {"sovereignty_vetted", 1}, {"supports_audit_trail", 1}, {"supports_data_residency", 1},
};
#define NJURIS (sizeof juris_fields / sizeof juris_fields[0])

static const char *yes_no(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key)) ? "yes" : "no";
}

static const char *or_dash(const char *s)
{
    return *s ? s : "-";
}

/* ---------- jurisdiction ---------- */

static void print_juris(const json_t *r)
{
    const json_t *j = json_object_get(r, "jurisdiction");
    char at[40], when[40];

    printf("Host %s: trust tier %s\n", cli_jstr(j, "host_id"), cli_jstr(r, "trust_tier"));
    for (size_t i = 0; i < NJURIS; i++) {
        const char *k = juris_fields[i].key;
        printf("  %-27s %s\n", k, juris_fields[i].is_bool ? yes_no(j, k) : or_dash(cli_jstr(j, k)));
    }
    if (json_is_number(json_object_get(j, "sovereignty_vetted_at")))
        printf("  %-27s %s\n", "sovereignty_vetted_at", cli_jtime(j, "sovereignty_vetted_at", at, sizeof at));
    if (*cli_jstr(j, "updated_by"))
        printf("Attested by %s at %s\n", cli_jstr(j, "updated_by"), cli_jtime(j, "updated_at", when, sizeof when));
    else
        printf("No attested record yet: an admin writes it with 'xcelsior jurisdiction %s --set key=value'.\n",
               cli_jstr(j, "host_id"));
}

static int parse_bool(const char *v, int *out)
{
    static const char *const t[] = {"true", "yes", "1", "on"}, *const f[] = {"false", "no", "0", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, t[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, f[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* Adds one `key=value` to the body, or prints a usage error. */
static int add_set(const struct cli_cmd *cmd, struct cli_body *b, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : 0;

    for (size_t i = 0; eq && i < NJURIS; i++) {
        int bv;
        if (strlen(juris_fields[i].key) != kl || strncmp(juris_fields[i].key, kv, kl) != 0)
            continue;
        if (!juris_fields[i].is_bool) {
            cli_body_str(b, juris_fields[i].key, eq + 1);
            return 0;
        }
        if (parse_bool(eq + 1, &bv) != 0)
            return cli_usage_error(cmd, "%s is true or false, got '%s'", juris_fields[i].key, eq + 1);
        cli_body_bool(b, juris_fields[i].key, bv);
        return 0;
    }
    return cli_usage_error(cmd, "--set takes key=value with key one of: country, province, city, data_center_name, "
                                "data_center_class, operator_name, operator_incorporated_in, operator_registered_canada, "
                                "foreign_control, sovereignty_vetted, supports_audit_trail, supports_data_residency "
                                "(got '%s')", kv);
}

static void print_trace(const json_t *r)
{
    const json_t *t = json_object_get(r, "trace");
    char a[40], b[40], d[32];
    static const char *const strs[] = {"host_id", "country", "province", "city", "data_center", "data_center_class",
                                       "operator", "operator_incorporated_in"};

    printf("Residency trace of job %s: %s\n", cli_jstr(r, "job_id"),
           json_is_true(json_object_get(t, "is_canadian_compute")) ? "Canadian compute" : "not shown to be Canadian compute");
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        printf("  %-29s %s\n", strs[i], or_dash(cli_jstr(t, strs[i])));
    printf("  %-29s %s\n", "operator_canadian_registered", yes_no(t, "operator_canadian_registered"));
    printf("  %-29s %s\n", "sovereignty_vetted", yes_no(t, "sovereignty_vetted"));
    printf("  %-29s %s\n", "started_at", cli_jtime(t, "started_at", a, sizeof a));
    printf("  %-29s %s\n", "completed_at", cli_jtime(t, "completed_at", b, sizeof b));
    printf("  %-29s %s\n", "duration_sec",
           json_is_number(json_object_get(t, "duration_sec")) ? cli_jdec(t, "duration_sec", 1, d, sizeof d) : "-");
}

int cli_cmd_jurisdiction(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL}, *sets[MAX_SETS];
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, nsets = 0, done = 0, npos = 0, rc = 0, only_pos = 0;
    struct cli_resp r = {0};
    struct cli_body b;
    char *path = NULL;

    cli_body_init(&b);
    /* --set may repeat: take every one out before the common parser sees the rest. */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0)
            only_pos = 1;
        if (!only_pos && (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0)) {
            const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                rc = cli_usage_error(cmd, "option '--set' needs key=value");
                goto out;
            }
            if (nsets == MAX_SETS) {
                rc = cli_usage_error(cmd, "at most %d --set options", MAX_SETS);
                goto out;
            }
            sets[nsets++] = v;
            continue;
        }
        rest[nrest++] = argv[i];
    }
    if ((rc = cli_parse_args(ctx, cmd, nrest, rest, NULL, pos, 1, 2, &npos, &done)) || done)
        goto out;
    if (strcmp(pos[0], "trace") == 0) {
        if (npos != 2 || nsets)
            rc = cli_usage_error(cmd, npos != 2 ? "missing JOB_ID ('xcelsior jurisdiction trace JOB_ID')"
                                                : "'jurisdiction trace' takes no --set");
        else if (cli_call_out(ctx, "GET", (path = cli_path_fmt("/api/jurisdiction/residency-trace/%s", pos[1])), NULL,
                              &r, &rc))
            print_trace(r.json);
        goto out;
    }
    if (npos > 1) {
        rc = cli_usage_error(cmd, "unexpected argument '%s'", pos[1]);
        goto out;
    }
    for (int i = 0; i < nsets; i++)
        if ((rc = add_set(cmd, &b, sets[i])))
            goto out;
    path = cli_path_fmt("/api/jurisdiction/hosts/%s", pos[0]);
    if (cli_call_out(ctx, nsets ? "PUT" : "GET", path, nsets ? cli_body_finish(&b) : NULL, &r, &rc))
        print_juris(r.json);
out:
    cli_body_free(&b);
    free(rest);
    free(path);
    cli_resp_free(&r);
    return rc;
}

/* ---------- sla ---------- */

static int month_ok(const char *m)
{
    return strlen(m) == 7 && m[4] == '-' && strspn(m, "0123456789-") == 7 && strchr(m, '-') == m + 4 &&
           ((m[5] == '0' && m[6] >= '1') || (m[5] == '1' && m[6] <= '2'));
}

static void print_month(const json_t *m)
{
    char up[32], tg[32], dt[32], cr[48];

    printf("  %s: uptime %s%% (target %s%%), %s s down in %lld incident%s, credit %lld%% ($%s CAD)\n",
           cli_jstr(m, "month"), cli_jdec(m, "uptime_pct", 4, up, sizeof up), cli_jdec(m, "target_pct", 1, tg, sizeof tg),
           cli_jdec(m, "downtime_seconds", 0, dt, sizeof dt), cli_jint(m, "incidents"),
           cli_jint(m, "incidents") == 1 ? "" : "s", cli_jint(m, "credit_pct"), cli_jmoney(m, "credit_cad", cr, sizeof cr));
}

static void print_violations(const json_t *vs, int color)
{
    static const char *const seps[] = {"  ", " | ", " | ", " | value ", " | threshold ", " | "};
    const json_t *v;
    size_t i;

    printf("Violations (newest first):\n");
    if (!json_is_array(vs) || json_array_size(vs) == 0) {
        printf("  none\n");
        return;
    }
    struct cli_table *t = cli_table_new(6, seps);
    json_array_foreach(vs, i, v) {
        char when[40], val[32], thr[32];
        const char *cells[6] = {cli_jtime(v, "timestamp", when, sizeof when), cli_jstr(v, "violation_type"),
                                cli_jstr(v, "severity"), cli_jdec(v, "metric_value", 2, val, sizeof val),
                                cli_jdec(v, "threshold", 2, thr, sizeof thr), cli_jstr(v, "details")};
        cli_table_add(t, cells, NULL);
    }
    cli_table_print(t, stdout, color);
    cli_table_free(t);
}

static int sla_targets(struct cli_ctx *ctx)
{
    static const char *const tiers[] = {"community", "secure", "sovereign"};
    static const char *const seps[] = {"", " | availability ", "% | TTFT ", " ms | throughput floor ",
                                       "% | response ", " h | heartbeat grace ", " s | max "};
    struct cli_resp r = {0};
    int rc;

    if (cli_call_out(ctx, "GET", "/api/sla/targets", NULL, &r, &rc)) {
        const json_t *all = json_object_get(r.json, "targets");
        struct cli_table *t = cli_table_new(7, seps);
        for (size_t i = 0; i < 3; i++) {
            const json_t *x = json_object_get(all, tiers[i]);
            char av[32], tt[24], fl[32], rs[24], hb[24], th[24];
            snprintf(tt, sizeof tt, "%lld", cli_jint(x, "latency_ttft_ms"));
            snprintf(rs, sizeof rs, "%lld", cli_jint(x, "response_time_hours"));
            snprintf(hb, sizeof hb, "%lld", cli_jint(x, "heartbeat_grace_sec"));
            snprintf(th, sizeof th, "%lld C", cli_jint(x, "max_thermal_c"));
            const char *cells[7] = {tiers[i], cli_jdec(x, "availability_pct", 1, av, sizeof av), tt,
                                    cli_jdec(x, "throughput_floor_pct", 1, fl, sizeof fl), rs, hb, th};
            cli_table_add(t, cells, NULL);
        }
        cli_table_print(t, stdout, ctx->color);
        cli_table_free(t);
    }
    cli_resp_free(&r);
    return rc;
}

static int sla_enforce(struct cli_ctx *ctx, const struct cli_cmd *cmd, const char *host, const char *month,
                       const char *tier, const char *spend)
{
    struct cli_resp r = {0};
    struct cli_body b;
    int64_t sp = 0;
    int rc;

    if (spend && (rc = cli_arg_fixed(cmd, "--spend", spend, MONEY_SCALE, 0, &sp)))
        return rc;
    cli_body_init(&b);
    cli_body_str(&b, "host_id", host);
    cli_body_str(&b, "month", month);
    if (tier)
        cli_body_str(&b, "tier", tier);
    if (spend)
        cli_body_fixed(&b, "monthly_spend_cad", sp, MONEY_SCALE);
    if (cli_call_out(ctx, "POST", "/api/sla/enforce", cli_body_finish(&b), &r, &rc)) {
        const json_t *cs = json_object_get(r.json, "credits"), *c;
        size_t i;
        printf("SLA enforced for %s (%s tier):\n", cli_jstr(r.json, "host_id"), cli_jstr(r.json, "tier"));
        print_month(r.json);
        json_array_foreach(cs, i, c) {
            char amt[48];
            printf("  credited $%s CAD to %s\n", cli_jmoney(c, "credit_cad", amt, sizeof amt), cli_jstr(c, "customer_id"));
        }
    }
    cli_body_free(&b);
    cli_resp_free(&r);
    return rc;
}

int cli_cmd_sla(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *month = NULL, *tier = NULL, *spend = NULL, *pos[3] = {NULL, NULL, NULL};
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"month", 'm', 1, &month, NULL}, {"tier", 0, 1, &tier, NULL}, {"spend", 0, 1, &spend, NULL}, NOPT,
    };
    struct cli_resp s = {0}, v = {0};
    char *p1 = NULL, *p2 = NULL, *id;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 1, 3, &npos, &done)) || done)
        return rc;
    if (strcmp(pos[0], "targets") == 0) {
        if (npos > 1 || month || tier || spend)
            return cli_usage_error(cmd, "'sla targets' takes no arguments");
        return sla_targets(ctx);
    }
    if (strcmp(pos[0], "enforce") == 0) {
        if (npos != 3)
            return cli_usage_error(cmd, "usage: 'xcelsior sla enforce HOST_ID YYYY-MM [--tier T] [--spend CAD]'");
        if (month)
            return cli_usage_error(cmd, "give the month as the MONTH argument");
        if (!month_ok(pos[2]))
            return cli_usage_error(cmd, "MONTH is YYYY-MM, got '%s'", pos[2]);
        return sla_enforce(ctx, cmd, pos[1], pos[2], tier, spend);
    }
    if (npos > 1)
        return cli_usage_error(cmd, "unexpected argument '%s'", pos[1]);
    if (tier || spend)
        return cli_usage_error(cmd, "--tier and --spend go with 'sla enforce'");
    if (month && !month_ok(month))
        return cli_usage_error(cmd, "--month is YYYY-MM, got '%s'", month);
    id = cli_path_escape(pos[0]);
    p1 = month ? xasprintf("/api/sla/%s?month=%s", id, month) : xasprintf("/api/sla/%s", id);
    p2 = xasprintf("/api/sla/violations/%s", id);
    free(id);
    if ((rc = cli_call(ctx, "GET", p1, NULL, &s)) || (rc = cli_call(ctx, "GET", p2, NULL, &v)))
        goto out;
    if (ctx->json) {
        /* One object: the host's SLA answer with its violations added. */
        json_object_set(s.json, "violations", json_object_get(v.json, "violations"));
        cli_json_pretty(stdout, s.json);
    } else {
        const json_t *m = json_object_get(s.json, "monthly_record");
        char up[32];
        printf("Host %s: SLA tier %s\n", cli_jstr(s.json, "host_id"), cli_jstr(s.json, "sla_tier"));
        printf("  30-day uptime: %s%%\n", cli_jdec(s.json, "uptime_30d_pct", 4, up, sizeof up));
        if (json_is_object(m))
            print_month(m);
        else
            printf("  %s: no monthly record yet (the operator runs 'xcelsior sla enforce')\n",
                   month ? month : "this month");
        print_violations(json_object_get(v.json, "violations"), ctx->color);
    }
out:
    free(p1);
    free(p2);
    cli_resp_free(&s);
    cli_resp_free(&v);
    return rc;
}
