/* Trust, user-facing (issue 12): verify (a host's verification record; admin approve, reject,
 * request) and reputation (a score, its history and breakdown; the leaderboard), api.md §8.8,
 * §8.9, §6.8, §6.9. Human output by default, --json the server's answer. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define NOPT {NULL, 0, 0, NULL, NULL}

/* A number field with `d` decimals, "-" when null or absent. */
static const char *num_or_dash(const json_t *o, const char *key, int d, char *buf, size_t n)
{
    if (!json_is_number(json_object_get(o, key)))
        return "-";
    return cli_jdec(o, key, d, buf, n);
}

/* ---------- verify ---------- */

static void print_checks(const json_t *checks, int color)
{
    static const char *const seps[] = {"  ", " ", " | expected ", " | actual ", " | "};
    const json_t *c;
    size_t i;

    if (!json_is_array(checks) || json_array_size(checks) == 0) {
        printf("  none\n");
        return;
    }
    struct cli_table *t = cli_table_new(5, seps);
    json_array_foreach(checks, i, c) {
        int pass = json_is_true(json_object_get(c, "passed"));
        const char *cells[5] = {pass ? "PASS" : "FAIL", cli_jstr(c, "check_name"), cli_jstr(c, "expected"),
                                cli_jstr(c, "actual"), *cli_jstr(c, "details") ? cli_jstr(c, "details") : "-"};
        enum cli_color colors[5] = {pass ? CLI_C_GREEN : CLI_C_RED, CLI_C_NONE, CLI_C_NONE, CLI_C_NONE, CLI_C_NONE};
        cli_table_add(t, cells, colors);
    }
    cli_table_print(t, stdout, color);
    cli_table_free(t);
}

static void print_verification(const json_t *r, int color)
{
    const json_t *v = json_object_get(r, "verification");
    char sc[32], a[40], b[40], c[40];
    const char *reason;

    if (!json_is_object(v)) {
        printf("Host %s: %s (no verification report yet)\n", cli_jstr(r, "host_id"), cli_jstr(r, "status"));
        return;
    }
    reason = cli_jstr(v, "deverify_reason");
    printf("Host %s: %s (score %s%%)\n", cli_jstr(r, "host_id"), cli_jstr(r, "status"),
           num_or_dash(v, "overall_score", 2, sc, sizeof sc));
    printf("  fingerprint:   %s\n", *cli_jstr(v, "gpu_fingerprint") ? cli_jstr(v, "gpu_fingerprint") : "-");
    printf("  verified at:   %s\n", cli_jtime(v, "verified_at", a, sizeof a));
    printf("  last check:    %s\n", cli_jtime(v, "last_check_at", b, sizeof b));
    printf("  next check:    %s\n", cli_jtime(v, "next_check_at", c, sizeof c));
    if (*reason)
        printf("  deverified:    %s (%s)\n", reason, cli_jtime(v, "deverified_at", a, sizeof a));
    if (json_is_number(json_object_get(v, "cooldown_until")))
        printf("  cool-down:     until %s\n", cli_jtime(v, "cooldown_until", b, sizeof b));
    if (json_is_true(json_object_get(v, "reverify_due")))
        printf("  re-verification due: the agent submits a new report\n");
    printf("Checks:\n");
    print_checks(json_object_get(v, "checks"), color);
}

static int verify_action(struct cli_ctx *ctx, const char *host, const char *action, const char *key,
                         const char *val)
{
    struct cli_resp r = {0};
    struct cli_body b;
    char *path = cli_path_fmt(action ? "/api/verify/%s/" : "/api/verify/%s", host);
    char *full = xasprintf("%s%s", path, action ? action : "");
    int rc;

    cli_body_init(&b);
    if (key && val)
        cli_body_str(&b, key, val);
    if (cli_call_out(ctx, "POST", full, cli_body_finish(&b), &r, &rc)) {
        if (!action) {
            const json_t *v = json_object_get(r.json, "verification");
            printf("Re-verification requested for %s: state %s; its agent submits a new report.\n",
                   cli_jstr(r.json, "host_id"), cli_jstr(v, "state"));
        } else if (strcmp(action, "approve") == 0) {
            printf("Host %s %s (approved by %s)\n", cli_jstr(r.json, "host_id"), cli_jstr(r.json, "status"),
                   cli_jstr(r.json, "approved_by"));
        } else {
            printf("Host %s %s: %s\n", cli_jstr(r.json, "host_id"), cli_jstr(r.json, "status"),
                   cli_jstr(r.json, "reason"));
        }
    }
    cli_body_free(&b);
    free(full);
    free(path);
    cli_resp_free(&r);
    return rc;
}

int cli_cmd_verify(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *notes = NULL, *reason = NULL, *pos[1] = {NULL};
    int approve = 0, reject = 0, request = 0, done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"approve", 0, 0, NULL, &approve}, {"reject", 0, 0, NULL, &reject},
        {"request", 0, 0, NULL, &request}, {"notes", 0, 1, &notes, NULL},
        {"reason", 0, 1, &reason, NULL},   NOPT,
    };
    struct cli_resp r = {0};
    char *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 1, 1, &npos, &done)) || done)
        return rc;
    if (approve + reject + request > 1)
        return cli_usage_error(cmd, "give one of --approve, --reject and --request");
    if (notes && !approve)
        return cli_usage_error(cmd, "--notes goes with --approve");
    if (reason && !reject)
        return cli_usage_error(cmd, "--reason goes with --reject");
    if (approve)
        return verify_action(ctx, pos[0], "approve", "notes", notes);
    if (reject)
        return verify_action(ctx, pos[0], "reject", "reason", reason);
    if (request)
        return verify_action(ctx, pos[0], NULL, NULL, NULL);
    path = cli_path_fmt("/api/verify/%s/status", pos[0]);
    if (cli_call_out(ctx, "GET", path, NULL, &r, &rc))
        print_verification(r.json, ctx->color);
    free(path);
    cli_resp_free(&r);
    return rc;
}

/* ---------- reputation ---------- */

static void print_score(const json_t *s)
{
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], when[40];
    const json_t *vs = json_object_get(s, "verifications"), *x;
    size_t i;

    printf("%s (%s): %s points, tier %s\n", cli_jstr(s, "entity_id"), cli_jstr(s, "entity_type"),
           num_or_dash(s, "final_score", 1, a, sizeof a), cli_jstr(s, "tier"));
    printf("  verification: %s  activity: %s  decay: %s  penalties: %s\n",
           num_or_dash(s, "verification_points", 1, b, sizeof b), num_or_dash(s, "activity_points", 1, c, sizeof c),
           num_or_dash(s, "decay_points", 1, d, sizeof d), num_or_dash(s, "penalty_points", 1, e, sizeof e));
    printf("  raw score:    %s  reliability: %s\n", num_or_dash(s, "raw_score", 1, f, sizeof f),
           num_or_dash(s, "reliability_score", 4, g, sizeof g));
    printf("  jobs:         %lld completed, %lld failed (host), %lld failed (user); %lld days active\n",
           cli_jint(s, "jobs_completed"), cli_jint(s, "jobs_failed_host"), cli_jint(s, "jobs_failed_user"),
           cli_jint(s, "days_active"));
    printf("  last active:  %s\n", cli_jtime(s, "last_activity_at", when, sizeof when));
    printf("  verified by:  ");
    if (!json_is_array(vs) || json_array_size(vs) == 0)
        printf("none");
    json_array_foreach(vs, i, x) printf("%s%s", i ? ", " : "", json_is_string(x) ? json_string_value(x) : "?");
    printf("\n  effects:      search boost %s, pricing premium %s\n", num_or_dash(s, "search_boost", 2, a, sizeof a),
           num_or_dash(s, "pricing_premium_pct", 2, h, sizeof h));
}

static void print_history(const json_t *events, int color)
{
    static const char *const seps[] = {"  ", " | ", " | ", " | "};
    const json_t *ev;
    size_t i;

    printf("History:\n");
    if (!json_is_array(events) || json_array_size(events) == 0) {
        printf("  none\n");
        return;
    }
    struct cli_table *t = cli_table_new(4, seps);
    json_array_foreach(events, i, ev) {
        char when[40], pts[32];
        const char *cells[4] = {cli_jtime(ev, "created_at", when, sizeof when), cli_jstr(ev, "event_type"),
                                num_or_dash(ev, "points_delta", 1, pts, sizeof pts), cli_jstr(ev, "reason")};
        cli_table_add(t, cells, NULL);
    }
    cli_table_print(t, stdout, color);
    cli_table_free(t);
}

static void print_breakdown(const json_t *r)
{
    const json_t *b = json_object_get(r, "breakdown");
    static const char *const keys[] = {"verification", "jobs_completed", "uptime_bonus", "penalties", "decay"};
    char tot[32];

    printf("Breakdown (%lld events analysed, total %s, tier %s):\n", cli_jint(r, "events_analyzed"),
           num_or_dash(r, "total_score", 1, tot, sizeof tot), cli_jstr(r, "tier"));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char v[32];
        printf("  %-15s %s\n", keys[i], num_or_dash(b, keys[i], 1, v, sizeof v));
    }
}

static int leaderboard(struct cli_ctx *ctx, const char *type, const char *limit)
{
    static const char *const seps[] = {"", " | ", " | ", " | ", " | jobs ", " | reliability "};
    struct cli_resp r = {0};
    char *path = xasprintf("/api/reputation/leaderboard?entity_type=%s&limit=%s", type ? type : "host",
                           limit ? limit : "20");
    const json_t *rows, *e;
    size_t i;
    int rc;

    if (cli_call_out(ctx, "GET", path, NULL, &r, &rc) &&
        (rows = cli_jitems(r.json, "leaderboard", JSON_ARRAY, "No reputation scores yet."))) {
        struct cli_table *t = cli_table_new(6, seps);
        json_array_foreach(rows, i, e) {
            char rank[24], sc[32], jobs[24], rel[32];
            snprintf(rank, sizeof rank, "#%lld", cli_jint(e, "rank"));
            snprintf(jobs, sizeof jobs, "%lld", cli_jint(e, "jobs_completed"));
            const char *cells[6] = {rank, cli_jstr(e, "entity_id"), num_or_dash(e, "final_score", 1, sc, sizeof sc),
                                    cli_jstr(e, "tier"), jobs, num_or_dash(e, "reliability_score", 4, rel, sizeof rel)};
            cli_table_add(t, cells, NULL);
        }
        cli_table_print(t, stdout, ctx->color);
        cli_table_free(t);
    }
    free(path);
    cli_resp_free(&r);
    return rc;
}

int cli_cmd_reputation(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *type = NULL, *limit = NULL, *pos[1] = {NULL};
    int history = 0, breakdown = 0, done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"type", 't', 1, &type, NULL}, {"history", 0, 0, NULL, &history},
        {"breakdown", 0, 0, NULL, &breakdown}, {"limit", 'n', 1, &limit, NULL}, NOPT,
    };
    struct cli_resp s = {0}, hi = {0}, br = {0};
    char *id = NULL, *p1 = NULL, *p2 = NULL, *p3 = NULL;
    long n = 0;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 1, 1, &npos, &done)) || done)
        return rc;
    if (type && strcmp(type, "host") != 0 && strcmp(type, "user") != 0)
        return cli_usage_error(cmd, "--type must be host or user, got '%s'", type);
    if (limit && (rc = cli_arg_int(cmd, "--limit", limit, 1, 500, &n)))
        return rc;
    if (strcmp(pos[0], "leaderboard") == 0) {
        if (history || breakdown)
            return cli_usage_error(cmd, "'reputation leaderboard' takes only --type and --limit");
        if (n > 100)
            return cli_usage_error(cmd, "the leaderboard shows at most 100 entries");
        return leaderboard(ctx, type, limit);
    }
    if (limit && !history)
        return cli_usage_error(cmd, "--limit goes with --history or leaderboard");
    id = cli_path_escape(pos[0]);
    p1 = xasprintf("/api/reputation/%s?entity_type=%s", id, type ? type : "host");
    p2 = xasprintf("/api/reputation/%s/history?limit=%s", id, limit ? limit : "20");
    p3 = xasprintf("/api/reputation/%s/breakdown", id);
    if ((rc = cli_call(ctx, "GET", p1, NULL, &s)) || (history && (rc = cli_call(ctx, "GET", p2, NULL, &hi))) ||
        (breakdown && (rc = cli_call(ctx, "GET", p3, NULL, &br))))
        goto out;
    if (ctx->json) {
        /* One object: the score's answer, with the history's events and the breakdown added. */
        if (history)
            json_object_set(s.json, "events", json_object_get(hi.json, "events"));
        if (breakdown)
            json_object_set(s.json, "breakdown", br.json);
        cli_json_pretty(stdout, s.json);
    } else {
        print_score(json_object_get(s.json, "reputation"));
        if (breakdown)
            print_breakdown(br.json);
        if (history)
            print_history(json_object_get(hi.json, "events"), ctx->color);
    }
out:
    free(id);
    free(p1);
    free(p2);
    free(p3);
    cli_resp_free(&s);
    cli_resp_free(&hi);
    cli_resp_free(&br);
    return rc;
}
