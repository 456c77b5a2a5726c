/* The job runner: one thread per job attempt, from the lease claim through image, share, GPUs,
 * network and container to the log stream and the final report; each step is a function below. */
#include "agent/agent_exec.h"
#include "agent/agent_internal.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 10000
#define LOG_BATCH_LINES 200
#define LOG_FLUSH_US (2 * SEC)

/* PATCH /job/{id} until the control plane gives a definitive answer. Returns the HTTP status
 * (0 when it gave up). */
static long report_status(struct agent *a, struct agent_http *h, const char *job_id, json_t *body, int max_tries)
{
    char path[160];
    snprintf(path, sizeof path, "/job/%s", job_id);
    json_object_set_new(body, "host_id", json_string(a->cfg->host_id));
    int delay = 1;
    for (int t = 0; t < max_tries; t++) {
        long st;
        json_t *resp = NULL;
        int rc = agent_http_call(h, "PATCH", path, body, 10000, &st, &resp);
        if (rc == 0 && st / 100 == 2) {
            if (st == 202)
                log_warn("job %s: report '%s' was taken as a new stop request (HTTP 202): this agent is not "
                         "acting as the host's agent principal", job_id, agent_json_str(body, "status", "?"));
            json_decref(resp);
            return st;
        }
        if (rc == 0 && st >= 400 && st < 500 && st != 429 && st != 408) {
            log_warn("job %s: report '%s' refused: HTTP %ld: %s", job_id, agent_json_str(body, "status", "?"), st,
                     agent_http_error_message(resp));
            json_decref(resp);
            return st;
        }
        json_decref(resp);
        log_warn("job %s: report '%s' failed (%s); retrying in %d s", job_id, agent_json_str(body, "status", "?"),
                 rc == 0 ? "server error" : "control plane unreachable", delay);
        for (int k = 0; k < delay * 5; k++) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
        delay = delay < 30 ? delay * 2 : 30;
    }
    return 0;
}

struct log_batch {
    struct agent *a;
    struct agent_http *h;
    const char *job_id;
    json_t *lines;
    int64_t last_flush;
    int dropped;
    /* The follow stream of some engines (podman 4.3) can stay open after a very short container
     * exits: every LOG_PROBE_US the container is inspected on a second engine connection, and
     * LOG_EXIT_GRACE_US after it is seen stopped the stream is abandoned (the wait step follows). */
    const char *socket, *cid;
    int64_t next_probe, exited_at;
};

static void flush_logs(struct log_batch *lb)
{
    if (json_array_size(lb->lines) == 0) {
        lb->last_flush = clock_mono_us();
        return;
    }
    json_t *b = json_pack("{s:s,s:s,s:O}", "host_id", lb->a->cfg->host_id, "job_id", lb->job_id, "lines", lb->lines);
    long st;
    json_t *resp = NULL;
    int rc = agent_http_call(lb->h, "POST", "/agent/logs", b, 10000, &st, &resp);
    json_decref(b);
    json_decref(resp);
    if (rc != 0 || st / 100 != 2) {
        /* Keep at most 500 lines for the next try; older ones are dropped. */
        size_t n = json_array_size(lb->lines);
        if (n > 500) {
            lb->dropped += (int)(n - 500);
            while (json_array_size(lb->lines) > 500)
                json_array_remove(lb->lines, 0);
        }
        if (rc == 0)
            json_array_clear(lb->lines); /* the server refused them: do not resend */
    } else {
        json_array_clear(lb->lines);
    }
    lb->last_flush = clock_mono_us();
}

static void on_log_line(void *ud, int stream, const char *line, size_t len)
{
    struct log_batch *lb = ud;
    char *clean = agent_utf8_sanitize(line, len);
    json_array_append_new(lb->lines, json_pack("{s:f,s:s,s:s}", "timestamp", agent_now_s(), "line", clean, "level",
                                               stream == 2 ? "warn" : "info"));
    free(clean);
    if (json_array_size(lb->lines) >= LOG_BATCH_LINES)
        flush_logs(lb);
}

#define LOG_PROBE_US (2 * SEC)
#define LOG_EXIT_GRACE_US (3 * SEC)

static int log_tick(void *ud)
{
    struct log_batch *lb = ud;
    int64_t now = clock_mono_us();
    if (now - lb->last_flush >= LOG_FLUSH_US)
        flush_logs(lb);
    if (lb->exited_at)
        return now - lb->exited_at >= LOG_EXIT_GRACE_US; /* non-zero ends the follow */
    if (lb->socket && now >= lb->next_probe) {
        lb->next_probe = now + LOG_PROBE_US;
        struct docker *probe = docker_new(lb->socket);
        struct docker_state ds;
        if (probe && docker_inspect(probe, lb->cid, &ds) == 0 && strcmp(ds.status, "running") != 0 && /* foreign state: Docker's */
            strcmp(ds.status, "created") != 0)
            lb->exited_at = now;
        docker_free(probe);
    }
    return 0;
}

static void job_stop_reason(struct agent_job *j, char *out, size_t n)
{
    pthread_mutex_lock(&j->a->mu);
    snprintf(out, n, "%s", j->stop_reason);
    pthread_mutex_unlock(&j->a->mu);
}

static void fail_job(struct agent *a, struct agent_http *h, struct agent_job *j, const char *reason)
{
    log_warn("job %s: failing: %s", j->job_id, reason);
    json_t *b = json_pack("{s:s,s:s}", "status", "failed", "failure_reason", reason);
    report_status(a, h, j->job_id, b, 60);
    json_decref(b);
}

/* POST /agent/lease/claim. Returns 1 claimed, 0 dropped. */
static int claim(struct agent *a, struct agent_http *h, struct agent_job *j)
{
    json_t *b = json_pack("{s:s,s:s}", "host_id", a->cfg->host_id, "job_id", j->job_id), *resp = NULL;
    long st;
    int rc = agent_http_call(h, "POST", "/agent/lease/claim", b, 10000, &st, &resp);
    json_decref(b);
    if (rc != 0 || st / 100 != 2) {
        if (rc == 0)
            log_info("job %s: claim refused (HTTP %ld: %s); dropping", j->job_id, st, agent_http_error_message(resp));
        else
            log_warn("job %s: claim failed: control plane unreachable", j->job_id);
        json_decref(resp);
        return 0;
    }
    int dur = (int)json_integer_value(json_object_get(resp, "duration_sec"));
    if (dur <= 0)
        dur = 300;
    json_t *fresh = json_object_get(resp, "job");
    if (json_is_object(fresh)) {
        json_decref(j->job);
        j->job = json_incref(fresh);
    }
    pthread_mutex_lock(&a->mu);
    j->leased = true;
    j->lease_duration_s = dur;
    j->next_renew_us = clock_mono_us() + dur * SEC / 2;
    pthread_mutex_unlock(&a->mu);
    log_info("job %s: lease %s for %d s", j->job_id, agent_json_str(resp, "lease_id", "?"), dur);
    json_decref(resp);
    return 1;
}

static int mount_nfs(struct agent *a, struct agent_job *j, char *mp, size_t mplen)
{
    const char *server = agent_json_str(j->job, "nfs_server", ""), *path = agent_json_str(j->job, "nfs_path", "");
    if (!*server) {
        server = a->cfg->nfs_server;
        path = a->cfg->nfs_path;
    }
    if (!*server || !*path)
        return 0;
    if (path[0] != '/' || strstr(path, "..") || strchr(server, ':') || server[0] == '-') {
        log_warn("job %s: refusing NFS share %s:%s", j->job_id, server, path);
        return -1;
    }
    snprintf(mp, mplen, "%s/nfs/%s", a->cfg->work_dir, j->job_id);
    char nfsdir[512];
    snprintf(nfsdir, sizeof nfsdir, "%s/nfs", a->cfg->work_dir);
    mkdir(nfsdir, 0700);
    if (mkdir(mp, 0700) != 0 && errno != EEXIST)
        return -1;
    char *src = xasprintf("%s:%s", server, path);
    const char *argv[] = {"mount", "-t", "nfs", "-o", "ro,noatime,nodiratime,rsize=65536,wsize=65536,hard,timeo=600",
                          src, mp, NULL};
    struct agent_exec_result r;
    int rc = agent_exec(argv, 30000, 4096, &r);
    if (rc == 0 && r.exit_code != 0)
        rc = -1;
    agent_exec_free(&r);
    free(src);
    if (rc != 0) {
        rmdir(mp);
        mp[0] = '\0';
    }
    return rc;
}

static void unmount_nfs(const char *mp)
{
    if (!mp || !*mp)
        return;
    const char *argv[] = {"umount", "-l", mp, NULL};
    struct agent_exec_result r;
    agent_exec(argv, 30000, 4096, &r);
    agent_exec_free(&r);
    rmdir(mp);
}

/* ---------------------------------------------------------------- one attempt, step by step */

/* What one attempt holds while it runs; job_release gives it all back. */
struct job_run {
    struct agent_job *j;
    struct agent *a;
    struct agent_config *c;
    struct agent_http *h; /* the thread's own control-plane connection */
    struct docker *d;     /* and its own engine connection */
    struct fw_job_net net;
    json_t *body; /* the container create body */
    const char *tier, *runtime, *image;
    char reason[600], err[512], nfs_mp[512], stop[32];
    char cid[96];
    bool have_gpus;
    bool attach_after_start; /* Docker: the egress policy goes into the container's namespace once it runs */
    int exit_code;
    bool oom;
};

/* How a step ends: go on, fail the attempt (reason set), fail it after the container ran (a stop
 * request then wins), report its end, or drop the job without a report. */
enum step { STEP_NEXT, STEP_FAIL, STEP_FAIL_AFTER_RUN, STEP_FINISHED, STEP_DROP };

static enum step fail_with(struct job_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static enum step fail_with(struct job_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    return STEP_FAIL;
}

/* Checks that need no lease answer before the claim, so the job goes elsewhere at once. */
static enum step job_admit_and_claim(struct job_run *r)
{
    struct agent_job *j = r->j;
    r->runtime = agent_choose_runtime(r->a, r->tier);
    if (!r->a->egress_enforced && strcmp(r->tier, "community") != 0) {
        fail_job(r->a, r->h, j, "network_error: egress firewall unavailable on this host");
        return STEP_DROP;
    }
    if (!claim(r->a, r->h, j))
        return STEP_DROP;
    j->attempt = (int)json_integer_value(json_object_get(j->job, "attempt"));
    if (j->attempt <= 0)
        j->attempt = 1;
    return STEP_NEXT;
}

/* The image: a valid reference, present or pulled as the pull policy says. */
static enum step job_prepare_image(struct job_run *r)
{
    struct agent_job *j = r->j;
    r->image = agent_json_str(j->job, "image", "");
    if (!*r->image)
        return fail_with(r, "image_error: no image");
    if (!docker_valid_image(r->image))
        return fail_with(r, "image_error: invalid image reference");
    int present = docker_image_present(r->d, r->image);
    if (present < 0)
        return fail_with(r, "runtime_error: container engine unavailable");
    if (r->c->pull_policy == PULL_ALWAYS || (r->c->pull_policy == PULL_IF_NOT_PRESENT && !present)) {
        log_info("job %s: pulling %s", j->job_id, r->image);
        if (docker_pull(r->d, r->image, 600000, r->reason, sizeof r->reason) != 0)
            return STEP_FAIL;
    } else if (!present) {
        return fail_with(r, "image_error: image %s is not present and the pull policy is never", r->image);
    }
    return STEP_NEXT;
}

static enum step job_mount_share(struct job_run *r)
{
    if (mount_nfs(r->a, r->j, r->nfs_mp, sizeof r->nfs_mp) != 0)
        return fail_with(r, "network_error: nfs mount failed");
    return STEP_NEXT;
}

/* The least loaded GPUs, counted in a->gpu_load until job_release. */
static enum step job_take_gpus(struct job_run *r)
{
    struct agent *a = r->a;
    struct agent_job *j = r->j;
    int want = (int)json_integer_value(json_object_get(j->job, "num_gpus"));
    if (want <= 0)
        want = 1;
    pthread_mutex_lock(&a->mu);
    if (agent_pick_gpus(a->gpu_load, a->gpu_count, want, j->gpus) == 0) {
        j->ngpus = want;
        for (int i = 0; i < want; i++)
            a->gpu_load[j->gpus[i]]++;
        r->have_gpus = true;
    }
    pthread_mutex_unlock(&a->mu);
    if (!r->have_gpus)
        return fail_with(r, "runtime_error: job needs %d GPUs, host has %d", want, a->gpu_count);
    return STEP_NEXT;
}

/* The job's network namespace with its egress policy. pid 0: a fresh namespace (podman joins it);
 * otherwise the namespace of that (started) container process (Docker). */
static int job_firewall(struct job_run *r, int pid)
{
    struct agent *a = r->a;
    pthread_mutex_lock(&a->mu);
    char *rules = fw_build_ruleset(&a->allow, &a->dns, a->ports, a->nports);
    pthread_mutex_unlock(&a->mu);
    int rc = fw_job_setup(r->c->job_subnet, r->c->work_dir, r->j->job_id, r->j->attempt, rules, pid, &r->net, r->err,
                          sizeof r->err);
    free(rules);
    return rc;
}

/* Creates the container: its own network namespace with the egress policy, or no network at all.
 * A stop request that came meanwhile ends the attempt here. */
static enum step job_create_container(struct job_run *r)
{
    struct agent *a = r->a;
    struct agent_job *j = r->j;
    struct agent_config *c = r->c;
    const char *netmode = "none";
    char nsmode[160];
    if (a->egress_enforced && c->egress_mode == EGRESS_NETNS) {
        if (a->engine_podman) {
            if (job_firewall(r, 0) != 0)
                return fail_with(r, "network_error: egress firewall setup failed: %.200s", r->err);
            snprintf(nsmode, sizeof nsmode, "ns:%s", r->net.netns_path);
            netmode = nsmode;
        } else {
            r->attach_after_start = true;
        }
    }
    char name[160];
    docker_container_name(j->job_id, j->attempt, name, sizeof name);
    struct docker_job_spec spec = {
        .job_id = j->job_id, .host_id = c->host_id, .attempt = j->attempt, .image = r->image,
        .command = json_object_get(j->job, "command"), .env = json_object_get(j->job, "environment"),
        .user = c->job_user, .memory_bytes = c->memory_limit_bytes, .pids_limit = c->pids_limit,
        .runtime = r->runtime, .network_mode = netmode, .gpu_ids = j->gpus, .ngpu = j->ngpus,
        .gpu_devices = a->gpu.source != GPU_SRC_SIM, .nfs_source = r->nfs_mp[0] ? r->nfs_mp : NULL,
        .stop_timeout = c->grace_s, .tmpfs_tmp_mb = c->tmpfs_tmp_mb, .tmpfs_workspace_mb = c->tmpfs_workspace_mb};
    if (docker_build_create_body(&spec, &r->body, r->err, sizeof r->err) != 0)
        return fail_with(r, "%s: %.200s", strstr(r->err, "image") ? "image_error" : "runtime_error", r->err);
    docker_remove(r->d, name); /* a leftover of the same attempt */
    long st;
    if (docker_create(r->d, name, r->body, r->cid, sizeof r->cid, &st, r->err, sizeof r->err) != 0)
        return fail_with(r, "%s: %.200s", st == 404 ? "image_error" : "runtime_error", r->err);
    pthread_mutex_lock(&a->mu);
    snprintf(j->container_id, sizeof j->container_id, "%s", r->cid);
    snprintf(r->stop, sizeof r->stop, "%s", j->stop_reason);
    pthread_mutex_unlock(&a->mu);
    if (r->stop[0]) {
        log_info("job %s: stop requested (%s) before start", j->job_id, r->stop);
        r->exit_code = 0;
        return STEP_FINISHED;
    }
    return STEP_NEXT;
}

/* Starts the container (Docker: then puts it behind the egress policy) and reports it running;
 * a control plane that no longer gives us the job has it killed. */
static enum step job_start_container(struct job_run *r)
{
    struct agent *a = r->a;
    struct agent_job *j = r->j;
    if (docker_start(r->d, r->cid, r->err, sizeof r->err) != 0)
        return fail_with(r, "runtime_error: %.200s", r->err);
    if (r->attach_after_start) {
        struct docker_state ds;
        int rc = -1;
        if (docker_inspect(r->d, r->cid, &ds) == 0 && ds.pid > 0)
            rc = job_firewall(r, ds.pid);
        if (rc != 0) {
            docker_kill(r->d, r->cid, "SIGKILL");
            return fail_with(r, "network_error: egress firewall setup failed: %.200s", r->err);
        }
    }
    log_info("job %s: container %.12s started (%s, runtime %s, network %s)", j->job_id, r->cid, r->image,
             r->runtime ? r->runtime : "runc (hardened)", r->net.active ? r->net.netns : "none");

    json_t *rb = json_pack("{s:s}", "status", "running");
    long rst = report_status(a, r->h, j->job_id, rb, 40);
    json_decref(rb);
    if (rst == 409 || rst == 404 || rst == 403) {
        log_warn("job %s: the control plane no longer gives this job to us; killing it", j->job_id);
        pthread_mutex_lock(&a->mu);
        snprintf(j->stop_reason, sizeof j->stop_reason, "lost");
        pthread_mutex_unlock(&a->mu);
        docker_kill(r->d, r->cid, "SIGKILL");
    }
    return STEP_NEXT;
}

/* Ships the container's output to the control plane until the container exits. */
static enum step job_stream_logs(struct job_run *r)
{
    struct agent_job *j = r->j;
    struct log_batch lb = {.a = r->a,
                           .h = r->h,
                           .job_id = j->job_id,
                           .lines = json_array(),
                           .last_flush = clock_mono_us(),
                           .socket = r->c->docker_socket,
                           .cid = r->cid,
                           .next_probe = clock_mono_us() + LOG_PROBE_US};
    struct docker_demux dm;
    docker_demux_init(&dm, LOG_LINE_MAX, on_log_line, &lb);
    int fr = docker_follow_logs(r->d, r->cid, &dm, log_tick, &lb);
    docker_demux_finish(&dm);
    flush_logs(&lb);
    if (lb.dropped)
        log_warn("job %s: %d log lines dropped while the control plane was unreachable", j->job_id, lb.dropped);
    json_decref(lb.lines);
    if (fr != 0 && lb.exited_at)
        log_info("job %s: the container stopped but its log stream stayed open; closed it", j->job_id);
    else if (fr != 0)
        log_warn("job %s: log stream ended abnormally; waiting on the container", j->job_id);
    return STEP_NEXT;
}

/* The container's exit code and OOM flag, once it has stopped. */
static enum step job_wait_exit(struct job_run *r)
{
    for (int tries = 0;; tries++) {
        r->exit_code = docker_wait(r->d, r->cid, 24L * 3600 * 1000);
        struct docker_state ds;
        int ir = docker_inspect(r->d, r->cid, &ds);
        if (ir == 1) {
            snprintf(r->reason, sizeof r->reason, "hardware: container lost");
            return STEP_FAIL_AFTER_RUN;
        }
        if (ir == 0 && strcmp(ds.status, "running") != 0 && /* foreign state: Docker's */
            strcmp(ds.status, "created") != 0) {
            r->exit_code = ds.exit_code;
            r->oom = ds.oom_killed;
            return STEP_NEXT;
        }
        if (tries >= 3 && ir < 0) {
            snprintf(r->reason, sizeof r->reason, "network_error: docker inspect timeout");
            return STEP_FAIL_AFTER_RUN;
        }
        agent_nap_ms(5000);
    }
}

/* The terminal report of an attempt whose container ended (nothing when the job was lost). */
static void job_report_end(struct job_run *r)
{
    struct agent *a = r->a;
    struct agent_job *j = r->j;
    job_stop_reason(j, r->stop, sizeof r->stop);
    char mr[160];
    pthread_mutex_lock(&a->mu);
    snprintf(mr, sizeof mr, "%s", j->mining_reason);
    pthread_mutex_unlock(&a->mu);
    json_t *fb = agent_final_report(r->stop, r->exit_code, r->oom, mr);
    if (fb) {
        log_info("job %s: %s (exit %d%s%s%s)", j->job_id, agent_json_str(fb, "status", "?"), r->exit_code,
                 r->oom ? ", OOM" : "", r->stop[0] ? ", stop " : "", r->stop);
        report_status(a, r->h, j->job_id, fb, agent_stopping ? 5 : 120);
        json_decref(fb);
    } else {
        log_info("job %s: abandoned (the control plane gave it up)", j->job_id);
    }
}

/* Reports how the attempt ended. A failure after the container ran is a stop when one was
 * requested; a lost job is not reported at all. */
static void job_conclude(struct job_run *r, enum step how)
{
    switch (how) {
    case STEP_NEXT:
    case STEP_FINISHED:
        job_report_end(r);
        break;
    case STEP_FAIL_AFTER_RUN:
        job_stop_reason(r->j, r->stop, sizeof r->stop);
        if (r->stop[0]) {
            job_report_end(r);
            break;
        }
        /* fall through */
    case STEP_FAIL:
        job_stop_reason(r->j, r->stop, sizeof r->stop);
        if (strcmp(r->stop, "lost") != 0)
            fail_job(r->a, r->h, r->j, r->reason);
        break;
    case STEP_DROP:
        break;
    }
}

/* Gives back what the attempt holds (container, namespace, share, GPUs) and marks it done. */
static void job_release(struct job_run *r)
{
    struct agent *a = r->a;
    struct agent_job *j = r->j;
    if (r->cid[0])
        docker_remove(r->d, r->cid);
    if (r->net.active)
        fw_job_teardown(&r->net);
    unmount_nfs(r->nfs_mp);
    json_decref(r->body);
    pthread_mutex_lock(&a->mu);
    if (r->have_gpus)
        for (int i = 0; i < j->ngpus; i++)
            a->gpu_load[j->gpus[i]]--;
    j->done = true;
    pthread_mutex_unlock(&a->mu);
    docker_free(r->d);
    agent_http_free(r->h);
}

void *agent_job_main(void *arg)
{
    static enum step (*const steps[])(struct job_run *) = {
        job_admit_and_claim, job_prepare_image,    job_mount_share, job_take_gpus,
        job_create_container, job_start_container, job_stream_logs, job_wait_exit,
    };
    struct agent_job *j = arg;
    struct agent *a = j->a;
    struct job_run r = {.j = j, .a = a, .c = a->cfg, .exit_code = -1};
    char token[160];
    pthread_mutex_lock(&a->mu);
    snprintf(token, sizeof token, "%s", a->token);
    pthread_mutex_unlock(&a->mu);
    r.h = agent_http_new(r.c->scheduler_url, token);
    memset(token, 0, sizeof token);
    r.d = docker_new(r.c->docker_socket);
    r.tier = agent_json_str(j->job, "trust_tier", "community");

    enum step how = STEP_NEXT;
    for (size_t i = 0; how == STEP_NEXT && i < sizeof steps / sizeof *steps; i++)
        how = steps[i](&r);
    job_conclude(&r, how);
    job_release(&r);
    agent_wake_main(a);
    return NULL;
}
