/* The main thread's part in running jobs: pulling work, renewing leases, applying stop requests
 * (SIGTERM, then SIGKILL after the grace period) and reaping the threads of finished jobs. */
#include "agent/agent_internal.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/jobstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int agent_active_jobs(struct agent *a)
{
    int n = 0;
    for (struct agent_job *j = a->jobs; j; j = j->next)
        if (!j->done)
            n++;
    return n;
}

static struct agent_job *find_job(struct agent *a, const char *id)
{
    for (struct agent_job *j = a->jobs; j; j = j->next)
        if (strcmp(j->job_id, id) == 0)
            return j;
    return NULL;
}

/* Starts stopping a job: SIGTERM now (SIGKILL when kill_now), SIGKILL after grace. Called with
 * a->mu held. */
void agent_initiate_stop(struct agent *a, struct agent_job *j, const char *reason, int grace_s, bool kill_now)
{
    if (j->done)
        return;
    /* A later reason replaces an earlier one only when it is stronger (mining, lost). */
    if (j->stop_reason[0] && strcmp(reason, "mining_local") != 0 && strcmp(reason, "lost") != 0)
        return;
    if (!j->stop_reason[0] || strcmp(j->stop_reason, reason) != 0)
        log_info("job %s: stopping (%s)", j->job_id, reason);
    snprintf(j->stop_reason, sizeof j->stop_reason, "%s", reason);
    j->stop_grace_s = grace_s;
    if (!j->container_id[0])
        return; /* the job thread checks the reason before starting */
    if (kill_now) {
        docker_kill(a->docker, j->container_id, "SIGKILL");
        j->sigkill_sent = true;
    } else if (!j->stop_sent_us) {
        docker_kill(a->docker, j->container_id, "SIGTERM");
    }
    if (!j->stop_sent_us)
        j->stop_sent_us = clock_mono_us();
}

void agent_escalate_stops(struct agent *a)
{
    int64_t now = clock_mono_us();
    pthread_mutex_lock(&a->mu);
    for (struct agent_job *j = a->jobs; j; j = j->next) {
        if (j->done || !j->stop_reason[0] || j->sigkill_sent)
            continue;
        if (!j->stop_sent_us && j->container_id[0]) {
            docker_kill(a->docker, j->container_id, "SIGTERM");
            j->stop_sent_us = now;
        } else if (j->stop_sent_us && now - j->stop_sent_us >= j->stop_grace_s * SEC) {
            log_info("job %s: grace of %d s over; SIGKILL", j->job_id, j->stop_grace_s);
            docker_kill(a->docker, j->container_id, "SIGKILL");
            j->sigkill_sent = true;
        }
    }
    pthread_mutex_unlock(&a->mu);
}

static void apply_stop_request(struct agent *a, const char *job_id, const char *reason)
{
    enum jobstate_stop stop = JOB_STOP_PREEMPT;
    if (jobstate_stop_parse(reason, &stop) < 0)
        stop = JOB_STOP_PREEMPT; /* a reason this agent does not know: stop gracefully */
    reason = jobstate_stop_name(stop);
    pthread_mutex_lock(&a->mu);
    struct agent_job *j = find_job(a, job_id);
    if (j && !j->done && strcmp(j->stop_reason, reason) != 0 && strcmp(j->stop_reason, "mining_local") != 0)
        agent_initiate_stop(a, j, reason, a->cfg->grace_s, stop == JOB_STOP_MINING);
    pthread_mutex_unlock(&a->mu);
}

int agent_poll_preempt(struct agent *a)
{
    char path[160];
    snprintf(path, sizeof path, "/agent/preempt/%s", a->cfg->host_id);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "GET", path, NULL, 10000, &st, &resp) != 0 || st != 200) {
        json_decref(resp);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(resp, "stop_requests"), i, e) {
        const char *id = agent_json_str(e, "job_id", NULL);
        if (id)
            apply_stop_request(a, id, agent_json_str(e, "reason", "preempt"));
    }
    json_array_foreach(json_object_get(resp, "preempt_jobs"), i, e) {
        if (json_is_string(e))
            apply_stop_request(a, json_string_value(e), "preempt");
    }
    json_decref(resp);
    return 0;
}

static void spawn_job(struct agent *a, json_t *job)
{
    const char *id = agent_json_str(job, "job_id", NULL);
    if (!id || strlen(id) >= 80 || strchr(id, '/') || strchr(id, '?'))
        return;
    pthread_mutex_lock(&a->mu);
    bool dup = find_job(a, id) != NULL;
    bool full = agent_active_jobs(a) >= a->cfg->max_concurrent;
    pthread_mutex_unlock(&a->mu);
    if (dup || full)
        return;
    struct agent_job *j = xcalloc(1, sizeof *j);
    j->a = a;
    snprintf(j->job_id, sizeof j->job_id, "%s", id);
    j->job = json_deep_copy(job);
    log_info("job %s: received (%s, image %s)", id, agent_json_str(job, "name", ""), agent_json_str(job, "image", ""));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_mutex_lock(&a->mu);
    j->next = a->jobs;
    a->jobs = j;
    if (pthread_create(&j->thread, &attr, agent_job_main, j) == 0) {
        j->thread_started = true;
    } else {
        log_error("job %s: cannot start a thread", id);
        j->done = true;
    }
    pthread_mutex_unlock(&a->mu);
    pthread_attr_destroy(&attr);
}

int agent_poll_work(struct agent *a)
{
    char path[160];
    snprintf(path, sizeof path, "/agent/work/%s", a->cfg->host_id);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "GET", path, NULL, 10000, &st, &resp) != 0) {
        json_decref(resp);
        return -1;
    }
    int rc = 0;
    if (st == 200) {
        size_t i;
        json_t *job;
        json_array_foreach(json_object_get(resp, "jobs"), i, job) spawn_job(a, job);
    } else if (st == 404) {
        a->registered = false;
        rc = -1;
    } else if (st != 204) {
        rc = -1;
    }
    json_decref(resp);
    return rc;
}

void agent_renew_leases(struct agent *a)
{
    int64_t now = clock_mono_us();
    char ids[64][80];
    int n = 0;
    pthread_mutex_lock(&a->mu);
    for (struct agent_job *j = a->jobs; j && n < 64; j = j->next)
        if (!j->done && j->leased && now >= j->next_renew_us && strcmp(j->stop_reason, "lost") != 0)
            snprintf(ids[n++], sizeof ids[0], "%s", j->job_id);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        json_t *b = json_pack("{s:s,s:s}", "host_id", a->cfg->host_id, "job_id", ids[i]), *resp = NULL;
        long st;
        int rc = agent_http_call(a->http, "POST", "/agent/lease/renew", b, 10000, &st, &resp);
        json_decref(b);
        pthread_mutex_lock(&a->mu);
        struct agent_job *j = find_job(a, ids[i]);
        if (j && !j->done) {
            if (rc == 0 && st == 200) {
                j->next_renew_us = clock_mono_us() + j->lease_duration_s * SEC / 2;
                const char *sr = agent_json_str(resp, "stop_requested", NULL);
                enum jobstate_stop stop;
                bool mining = sr && jobstate_stop_parse(sr, &stop) == 0 && stop == JOB_STOP_MINING;
                if (sr && !j->stop_reason[0])
                    agent_initiate_stop(a, j, sr, a->cfg->grace_s, mining);
            } else if (rc == 0 && (st == 410 || st == 404)) {
                log_warn("job %s: lease renewal refused (HTTP %ld): the control plane gave the job up", ids[i], st);
                agent_initiate_stop(a, j, "lost", 0, true);
            } else {
                j->next_renew_us = clock_mono_us() + 5 * SEC; /* retry soon */
            }
        }
        pthread_mutex_unlock(&a->mu);
        json_decref(resp);
    }
}

void agent_reap_jobs(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    struct agent_job **pp = &a->jobs;
    while (*pp) {
        struct agent_job *j = *pp;
        if (j->done) {
            *pp = j->next;
            pthread_mutex_unlock(&a->mu);
            if (j->thread_started)
                pthread_join(j->thread, NULL);
            json_decref(j->job);
            free(j);
            pthread_mutex_lock(&a->mu);
            pp = &a->jobs;
            continue;
        }
        pp = &j->next;
    }
    pthread_mutex_unlock(&a->mu);
}
