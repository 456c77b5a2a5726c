/* The autoscale service (domain §13): provisions pool entries for queued jobs no active host can
 * serve, deprovisions idle autoscaled hosts no queued job needs, and runs the operator's hook. It
 * judges "can serve" with the scheduler's own filters (core/sched through engine_sched_host). */
#include "server/svc/autoscale.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/units.h"
#include "common/xalloc.h"
#include "core/jobstate.h"
#include "core/sched.h"
#include "server/app.h"
#include "server/svc/engine.h"
#include "server/svc/tx.h"

extern char **environ;

/* Runs XCELSIOR_AUTOSCALE_HOOK as <hook> up|down <host_id> <ip> (argv, never a shell). */
static void run_hook(const char *verb, const char *host_id, const char *ip)
{
    const char *hook = g_app->cfg.autoscale_hook;
    if (!hook)
        return;
    char *argv[] = {(char *)hook, (char *)verb, (char *)host_id, (char *)ip, NULL};
    pid_t pid;
    if (posix_spawn(&pid, hook, NULL, NULL, argv, environ) != 0) {
        log_warn("autoscale: cannot run hook %s", hook);
        return;
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        log_warn("autoscale: hook %s %s %s failed (status %d)", hook, verb, host_id, st);
}

struct scale_state {
    struct host *hosts;
    size_t nh;
    struct job *queued;
    size_t nq;
};

static void scale_load(struct scale_state *s)
{
    struct job_filter f = {.has_status = true, .status = JOB_QUEUED, .queue_order = true, .limit = 1000};
    store_host_list(g_app->store, false, &s->hosts, &s->nh);
    store_job_list(g_app->store, &f, &s->queued, &s->nq, NULL);
}

static void scale_free(struct scale_state *s)
{
    for (size_t i = 0; i < s->nh; i++)
        host_free(&s->hosts[i]);
    for (size_t i = 0; i < s->nq; i++)
        job_free(&s->queued[i]);
    free(s->hosts);
    free(s->queued);
    memset(s, 0, sizeof *s);
}

/* Whether host h passes the scheduler's own filters (domain §6) for job j: as it is now
 * (need_active), or as it would be once active, admitted and empty (a host to keep). */
static bool host_can_serve(const struct host *h, const struct job *j, bool need_active)
{
    struct sched_host sh;
    engine_sched_host(&sh, h);
    if (!need_active) {
        sh.active = sh.admitted = true;
        sh.free_mgb = sh.total_mgb;
    }
    enum jobstate_trust tt = JOB_TRUST_COMMUNITY;
    jobstate_trust_parse(j->trust_tier, &tt);
    struct sched_job sj = {.job_id = j->job_id,
                           .priority = j->priority,
                           .num_gpus = j->num_gpus,
                           .vram_mgb = j->vram_mgb,
                           .trust_tier = (int)tt,
                           .spot = j->spot,
                           .max_bid_ucad = j->max_bid};
    struct sched_opts o = {.canada_only = atomic_load(&g_app->canada_only)};
    return sched_best_host(&sh, 1, &sj, &o) == 0;
}

static int scale_up(json_t *provisioned, json_t *hooks)
{
    struct scale_state s = {0};
    struct pool_entry *pool = NULL;
    size_t np = 0;
    int rc = 0, active = 0;
    scale_load(&s);
    store_pool_list(g_app->store, &pool, &np);
    for (size_t i = 0; i < s.nh; i++)
        active += s.hosts[i].status == HOST_ACTIVE;
    bool *waiting = xcalloc(s.nq + 1, sizeof *waiting);
    size_t nwaiting = 0;
    for (size_t q = 0; q < s.nq; q++) {
        bool served = false;
        for (size_t i = 0; i < s.nh && !served; i++)
            served = host_can_serve(&s.hosts[i], &s.queued[q], true);
        if (!served) {
            waiting[q] = true;
            nwaiting++;
        }
    }
    int64_t budget = g_app->cfg.autoscale_max - active;
    /* Entries able to serve a waiting job, largest VRAM first, then host id. */
    for (size_t a = 0; a < np; a++)
        for (size_t b = a + 1; b < np; b++)
            if (pool[b].vram_mgb > pool[a].vram_mgb ||
                (pool[b].vram_mgb == pool[a].vram_mgb && strcmp(pool[b].host_id, pool[a].host_id) < 0)) {
                struct pool_entry t = pool[a];
                pool[a] = pool[b];
                pool[b] = t;
            }
    size_t done = 0;
    int64_t now = app_now();
    for (size_t e = 0; e < np && rc == 0 && (int64_t)done < budget && done < nwaiting; e++) {
        struct pool_entry *p = &pool[e];
        if (p->provisioned)
            continue;
        bool useful = false;
        for (size_t q = 0; q < s.nq && !useful; q++)
            useful = waiting[q] && p->vram_mgb >= s.queued[q].vram_mgb && p->gpu_count >= s.queued[q].num_gpus;
        if (!useful)
            continue;
        struct host h;
        host_init(&h);
        snprintf(h.host_id, sizeof h.host_id, "%s", p->host_id);
        snprintf(h.ip, sizeof h.ip, "%s", p->ip);
        snprintf(h.gpu_model, sizeof h.gpu_model, "%s", p->gpu_model);
        h.gpu_count = p->gpu_count;
        h.total_mgb = h.reported_free_mgb = p->vram_mgb;
        h.cost_per_hour = p->cost_per_hour;
        memcpy(h.country, p->country, sizeof h.country);
        memcpy(h.province, p->province, sizeof h.province);
        h.registered_at = h.last_seen = now;
        h.autoscaled = true;
        rc = store_host_put(g_app->store, &h);
        if (rc == 0)
            rc = tx_event("host.registered", "host", h.host_id, "system", json_pack("{s:b}", "autoscaled", 1));
        tx_sse("host_update", json_pack("{s:s,s:s,s:b,s:s,s:s}", "host_id", h.host_id, "status",
                                        hoststate_name(h.status), "admitted", 0, "gpu_model", h.gpu_model, "country", h.country));
        host_free(&h);
        p->provisioned = true;
        p->provisioned_at = now;
        if (rc == 0)
            rc = store_pool_put(g_app->store, p);
        json_array_append_new(provisioned, json_pack("{s:s,s:s}", "host_id", p->host_id, "gpu", p->gpu_model));
        json_array_append_new(hooks, json_pack("[s,s,s]", "up", p->host_id, p->ip));
        done++;
    }
    free(waiting);
    free(pool);
    scale_free(&s);
    return rc;
}

static int scale_down(json_t *deprovisioned, json_t *hooks, json_t *skip)
{
    struct scale_state s = {0};
    int rc = 0;
    int64_t now = app_now(), idle = g_app->cfg.autoscale_idle_sec * SEC;
    scale_load(&s);
    for (size_t i = 0; i < s.nh && rc == 0; i++) {
        struct host *h = &s.hosts[i];
        if (!h->autoscaled)
            continue;
        bool fresh = false;
        size_t k;
        json_t *e;
        json_array_foreach(skip, k, e) fresh |= strcmp(json_string_value(json_object_get(e, "host_id")), h->host_id) == 0;
        if (fresh)
            continue;
        struct pool_entry p;
        int64_t last = h->registered_at;
        if (store_pool_get(g_app->store, h->host_id, &p) == 0 && p.provisioned_at > last)
            last = p.provisioned_at;
        struct job *jobs = NULL;
        size_t n = 0;
        struct job_filter f = {.host_id = h->host_id};
        bool busy = false;
        if (store_job_list(g_app->store, &f, &jobs, &n, NULL) == 0) {
            for (size_t j = 0; j < n; j++) {
                busy |= jobstate_is_active(jobs[j].status);
                if (jobs[j].completed_at > last)
                    last = jobs[j].completed_at;
                job_free(&jobs[j]);
            }
            free(jobs);
        }
        if (busy || now - last < idle)
            continue;
        /* Keep it when some queued job could be served by this host alone. */
        bool needed = false;
        for (size_t q = 0; q < s.nq && !needed; q++) {
            if (!host_can_serve(h, &s.queued[q], false))
                continue;
            bool other = false;
            for (size_t o = 0; o < s.nh && !other; o++)
                other = o != i && host_can_serve(&s.hosts[o], &s.queued[q], false);
            needed = !other;
        }
        if (needed)
            continue;
        if ((rc = store_host_delete(g_app->store, h->host_id)) == 0 &&
            (rc = store_agent_tokens_revoke(g_app->store, h->host_id)) == 0)
            rc = tx_event("host.removed", "host", h->host_id, "system", json_pack("{s:s}", "reason", "deprovisioned"));
        tx_sse("host_removed", json_pack("{s:s,s:s}", "host_id", h->host_id, "reason", "deprovisioned"));
        if (rc == 0 && store_pool_get(g_app->store, h->host_id, &p) == 0) {
            p.provisioned = false;
            p.provisioned_at = 0;
            rc = store_pool_put(g_app->store, &p);
        }
        json_array_append_new(deprovisioned, json_string(h->host_id));
        json_array_append_new(hooks, json_pack("[s,s,s]", "down", h->host_id, h->ip));
    }
    scale_free(&s);
    return rc;
}

static int scale_tx(int (*fn)(json_t *, json_t *), json_t *out, json_t *hooks)
{
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if ((rc = fn(out, hooks)) < 0) {
        tx_rollback();
        return rc;
    }
    return tx_commit();
}

static int scale_down_noskip(json_t *out, json_t *hooks) { return scale_down(out, hooks, NULL); }
static _Thread_local json_t *cycle_skip;
static int scale_down_cycle(json_t *out, json_t *hooks) { return scale_down(out, hooks, cycle_skip); }

static void run_hooks(json_t *hooks)
{
    size_t i;
    json_t *h;
    json_array_foreach(hooks, i, h)
    {
        run_hook(json_string_value(json_array_get(h, 0)), json_string_value(json_array_get(h, 1)),
                 json_string_value(json_array_get(h, 2)));
    }
}

int autoscale_up(json_t *provisioned)
{
    json_t *hooks = json_array();
    int rc = scale_tx(scale_up, provisioned, hooks);
    run_hooks(hooks);
    json_decref(hooks);
    return rc;
}

int autoscale_down(json_t *deprovisioned)
{
    json_t *hooks = json_array();
    int rc = scale_tx(scale_down_noskip, deprovisioned, hooks);
    run_hooks(hooks);
    json_decref(hooks);
    return rc;
}

int autoscale_cycle(json_t *provisioned, json_t *assigned, json_t *deprovisioned)
{
    json_t *hooks = json_array();
    int rc = scale_tx(scale_up, provisioned, hooks);
    if (rc == 0)
        rc = engine_queue_pass(false, assigned);
    cycle_skip = provisioned; /* hosts provisioned by this cycle are not idle */
    if (rc == 0)
        rc = scale_tx(scale_down_cycle, deprovisioned, hooks);
    cycle_skip = NULL;
    run_hooks(hooks);
    json_decref(hooks);
    return rc;
}
