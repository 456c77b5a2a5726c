/* Job verbs: run, jobs, job, cancel, requeue, process, logs. */
#include "cli/cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/fixed.h"
#include "core/jobstate.h"

#define NOPT {NULL, 0, 0, NULL, NULL}

/* Prints "<prefix><name> (<id>) -> <host>" lines for an `assigned` array; returns the count. */
static size_t print_assignments(struct cli_ctx *ctx, const json_t *assigned, const char *prefix)
{
    const char *seps[] = {prefix, " (", ") -> "};
    struct cli_table *t;
    size_t i, n = 0;
    const json_t *a;

    if (!json_is_array(assigned) || json_array_size(assigned) == 0)
        return 0;
    t = cli_table_new(3, seps);
    json_array_foreach(assigned, i, a) {
        const char *cells[3] = {cli_jstr(a, "job"), cli_jstr(a, "job_id"), cli_jstr(a, "host")};
        cli_table_add(t, cells, NULL);
        n++;
    }
    cli_table_print(t, stdout, ctx->color);
    cli_table_free(t);
    return n;
}

/* ---------- run ---------- */

/* The job's command follows "--": only then are words after MODEL VRAM_GB taken as its argv. */
static int has_separator(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--") == 0)
            return 1;
    return 0;
}

int cli_cmd_run(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *tier = NULL, *prio = NULL, *gpus = NULL, *image = NULL, *trust = NULL;
    int no_assign = 0, done = 0, npos = 0, rc;
    const char *pos[2 + CLI_MAX_COMMAND_ARGS];
    struct cli_opt opts[] = {
        {"tier", 't', 1, &tier, NULL},
        {"priority", 'p', 1, &prio, NULL},
        {"gpus", 0, 1, &gpus, NULL},
        {"image", 0, 1, &image, NULL},
        {"trust-tier", 0, 1, &trust, NULL},
        {"no-assign", 0, 0, NULL, &no_assign},
        NOPT,
    };
    int64_t vram;
    long priority = 0, ngpus = 0;
    struct cli_body b;
    struct cli_resp r = {0}, q = {0};
    const json_t *job;
    char vbuf[48];
    const char *job_id;
    int show;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 2, 2 + CLI_MAX_COMMAND_ARGS, &npos, &done)) ||
        done)
        return rc;
    if (npos > 2 && !has_separator(argc, argv))
        return cli_usage_error(cmd, "unexpected argument '%s' (put the job's command after --)", pos[2]);
    if ((rc = cli_arg_fixed(cmd, "VRAM_GB", pos[1], VRAM_SCALE, 1, &vram)))
        return rc;
    if (prio && (rc = cli_arg_int(cmd, "--priority", prio, INT_MIN, INT_MAX, &priority)))
        return rc;
    if (gpus && (rc = cli_arg_int(cmd, "--gpus", gpus, 1, INT_MAX, &ngpus)))
        return rc;
    if (!*pos[0])
        return cli_usage_error(cmd, "MODEL must not be empty");

    cli_body_init(&b);
    cli_body_str(&b, "name", pos[0]);
    cli_body_fixed(&b, "vram_needed_gb", vram, VRAM_SCALE);
    if (tier)
        cli_body_str(&b, "tier", tier);
    if (prio)
        cli_body_int(&b, "priority", priority);
    if (gpus)
        cli_body_int(&b, "num_gpus", ngpus);
    if (image)
        cli_body_str(&b, "image", image);
    if (trust)
        cli_body_str(&b, "trust_tier", trust);
    if (npos > 2)
        cli_body_strv(&b, "command", pos + 2, (size_t)npos - 2);
    show = cli_call_out(ctx, "POST", "/job", cli_body_finish(&b), &r, &rc);
    cli_body_free(&b);
    if (rc)
        goto out;

    job = json_object_get(r.json, "job");
    job_id = cli_jstr(job, "job_id");
    if (show) {
        printf("Job submitted: %s | %s | %sGB | tier=%s (priority %lld)\n", job_id,
               cli_jstr(job, "name"), cli_jvram(job, "vram_needed_gb", vbuf, sizeof vbuf),
               cli_jstr(job, "tier"), cli_jint(job, "priority"));
    }
    fflush(stdout);
    if (no_assign)
        goto out;

    if (cli_http_request(ctx, "POST", "/queue/process", NULL, &q) < 0) {
        rc = CLI_EXIT_UNREACH;
        goto out;
    }
    if (q.status == 403 || q.status == 401) {
        /* Only operators may run a queue pass; the job stays queued for the scheduler loop. */
        if (!ctx->json)
            printf("  Job queued.\n");
        goto out;
    }
    if (q.status < 200 || q.status >= 300 || !json_is_object(q.json)) {
        cli_print_api_error(&q);
        rc = CLI_EXIT_API;
        goto out;
    }
    if (ctx->json) {
        cli_print_raw(&q);
    } else {
        const json_t *assigned = json_object_get(q.json, "assigned");
        const json_t *a;
        size_t i;
        int mine = 0;

        json_array_foreach(assigned, i, a) {
            printf("  Assigned: %s -> %s\n", cli_jstr(a, "job"), cli_jstr(a, "host"));
            if (strcmp(cli_jstr(a, "job_id"), job_id) == 0)
                mine = 1;
        }
        if (!mine)
            printf("  No host available. Job queued.\n");
    }
out:
    cli_resp_free(&r);
    cli_resp_free(&q);
    return rc;
}

/* ---------- jobs ---------- */

int cli_cmd_jobs(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *status = NULL, *host = NULL;
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"status", 's', 1, &status, NULL},
        {"host", 0, 1, &host, NULL},
        NOPT,
    };
    static const char *const seps[] = {"", " ", " | ", " | ", " | ", " | "};
    struct cli_resp r = {0};
    char path[1024];
    size_t len;
    const json_t *jobs, *j;
    size_t i;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    len = (size_t)snprintf(path, sizeof path, "/jobs");
    if (status) {
        char *e = cli_path_escape(status);
        len += (size_t)snprintf(path + len, sizeof path - len, "?status=%s", e);
        free(e);
    }
    if (host && len < sizeof path) {
        char *e = cli_path_escape(host);
        snprintf(path + len, sizeof path - len, "%chost_id=%s", status ? '&' : '?', e);
        free(e);
    }
    if (!cli_call_out(ctx, "GET", path, NULL, &r, &rc) ||
        !(jobs = cli_jitems(r.json, "jobs", JSON_ARRAY, "No jobs.")))
        goto out;
    {
        struct cli_table *t = cli_table_new(6, seps);
        json_array_foreach(jobs, i, j) {
            char st[64], vram[48], vcell[64], hcell[192];
            const char *h = cli_jstr(j, "host_id");
            const char *cells[6];
            enum cli_color col[6] = {cli_status_color(cli_jstr(j, "status")), 0, 0, 0, 0, 0};

            snprintf(st, sizeof st, "[%s]", cli_jstr(j, "status"));
            snprintf(vcell, sizeof vcell, "%sGB", cli_jvram(j, "vram_needed_gb", vram, sizeof vram));
            snprintf(hcell, sizeof hcell, "host: %s", *h ? h : "\xe2\x80\x94");
            cells[0] = st;
            cells[1] = cli_jstr(j, "job_id");
            cells[2] = cli_jstr(j, "name");
            cells[3] = vcell;
            cells[4] = cli_jstr(j, "tier");
            cells[5] = hcell;
            cli_table_add(t, cells, col);
        }
        cli_table_print(t, stdout, ctx->color);
        cli_table_free(t);
    }
    {
        long long total = cli_jint(r.json, "total");
        if (total > (long long)json_array_size(jobs))
            fprintf(stderr, "note: showing %zu of %lld jobs\n", json_array_size(jobs), total);
    }
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- job ---------- */

int cli_cmd_job(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_resp r = {0};
    char *path;
    const json_t *job;
    int show;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, pos, 1, 1, &npos, &done)) || done)
        return rc;
    path = cli_path_fmt("/job/%s", pos[0]);
    show = cli_call_out(ctx, "GET", path, NULL, &r, &rc);
    free(path);
    if (!show)
        goto out;
    job = json_object_get(r.json, "job");
    cli_json_pretty(stdout, job ? job : r.json);
    {
        const char *why = cli_jstr(job, "pending_reason");
        enum jobstate js;
        if (!*why && jobstate_parse(cli_jstr(job, "status"), &js) == 0 && js == JOB_QUEUED)
            why = cli_jstr(job, "hold_reason");
        if (*why) {
            fflush(stdout);
            fprintf(stderr, "pending: %s\n", why);
        }
    }
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- cancel ---------- */

int cli_cmd_cancel(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_resp r = {0};
    char *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, pos, 1, 1, &npos, &done)) || done)
        return rc;
    path = cli_path_fmt("/job/%s", pos[0]);
    if (cli_call_out(ctx, "PATCH", path, "{\"status\":\"cancelled\"}", &r, &rc))
        printf(r.status == 202 ? "Job %s cancellation requested.\n" : "Job %s cancelled.\n",
               pos[0]);
    free(path);
    cli_resp_free(&r);
    return rc;
}

/* ---------- requeue ---------- */

int cli_cmd_requeue(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *jobopt = NULL, *id;
    int done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_opt opts[] = {{"job", 'j', 1, &jobopt, NULL}, NOPT};
    struct cli_resp r = {0};
    char *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 0, 1, &npos, &done)) || done)
        return rc;
    if (jobopt && npos == 1 && strcmp(jobopt, pos[0]) != 0)
        return cli_usage_error(cmd, "give the job id once (--job JOB_ID or JOB_ID)");
    id = jobopt ? jobopt : npos ? pos[0] : NULL;
    if (!id || !*id)
        return cli_usage_error(cmd, "missing --job JOB_ID");
    path = cli_path_fmt("/job/%s/requeue", id);
    if (cli_call_out(ctx, "POST", path, NULL, &r, &rc))
        printf("Job %s requeued (retry %lld)\n", id, cli_jint(json_object_get(r.json, "job"), "retries"));
    free(path);
    cli_resp_free(&r);
    return rc;
}

/* ---------- process ---------- */

int cli_cmd_process(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    struct cli_resp r = {0};

    if (cli_verb_simple(ctx, cmd, argc, argv, "POST", "/queue/process", &r, &rc) &&
        print_assignments(ctx, json_object_get(r.json, "assigned"), "  ") == 0)
        printf("Nothing to assign.\n");
    cli_resp_free(&r);
    return rc;
}

/* ---------- logs ---------- */

static void print_log_line(const json_t *l)
{
    char ts[64];
    printf("%s %-5s %s\n", cli_jtime(l, "timestamp", ts, sizeof ts), cli_jstr(l, "level"),
           cli_jstr(l, "line"));
}

struct logs_follow {
    struct cli_ctx *ctx;
};

static int logs_event(void *arg, const char *event, const char *data)
{
    struct logs_follow *lf = arg;
    json_t *d;

    if (lf->ctx->json) {
        if (strcmp(event, "connected") != 0) {
            json_t *ev = json_string(event);
            char *enc = ev ? json_dumps(ev, JSON_ENCODE_ANY) : NULL;
            printf("{\"event\":%s,\"data\":%s}\n", enc ? enc : "\"\"", *data ? data : "null");
            free(enc);
            json_decref(ev);
        }
        fflush(stdout);
        return 0;
    }
    d = json_loads(data, JSON_DECODE_ANY, NULL);
    if (strcmp(event, "job_log") == 0 && json_is_object(d)) {
        print_log_line(d);
    } else if (strcmp(event, "job_status") == 0 && json_is_object(d)) {
        printf("--- status: %s\n", cli_jstr(d, "status"));
    } else if (strcmp(event, "job_preempted") == 0 && json_is_object(d)) {
        printf("--- preempted: %s\n", cli_jstr(d, "reason"));
    }
    json_decref(d);
    fflush(stdout);
    return 0;
}

int cli_cmd_logs(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *limit = NULL, *timeout = NULL;
    int follow = 0, done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_opt opts[] = {
        {"follow", 'f', 0, NULL, &follow},
        {"limit", 'n', 1, &limit, NULL},
        {"timeout", 0, 1, &timeout, NULL},
        NOPT,
    };
    struct cli_resp r = {0};
    long lim = 0, tmo = 0;
    char *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 1, 1, &npos, &done)) || done)
        return rc;
    if (limit && (rc = cli_arg_int(cmd, "--limit", limit, 1, 500, &lim)))
        return rc;
    if (timeout && (rc = cli_arg_int(cmd, "--timeout", timeout, 1, INT_MAX, &tmo)))
        return rc;
    if (follow) {
        struct logs_follow lf = {ctx};
        path = cli_path_fmt("/jobs/%s/logs/stream", pos[0]);
        rc = cli_sse_stream(ctx, path, tmo, logs_event, &lf);
        free(path);
        return rc;
    }
    {
        char *e = cli_path_escape(pos[0]);
        path = lim ? xasprintf("/jobs/%s/logs?limit=%ld", e, lim) : xasprintf("/jobs/%s/logs", e);
        free(e);
    }
    if (cli_call_out(ctx, "GET", path, NULL, &r, &rc)) {
        const json_t *logs = json_object_get(r.json, "logs"), *l;
        size_t i;
        if (!json_is_array(logs) || json_array_size(logs) == 0)
            printf("No logs.\n");
        json_array_foreach(logs, i, l)
            print_log_line(l);
    }
    free(path);
    cli_resp_free(&r);
    return rc;
}
