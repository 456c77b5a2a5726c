/* The autoscale pool and its up/down/cycle (domain §13). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/svc/engine.h"
#include "server/api/handlers.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"

#include "common/units.h" /* SEC */

extern char **environ;

void h_pool_put(struct req *r)
{
    struct pool_entry p = {0};
    const char *id, *ip, *model, *country = "", *province = "";
    int64_t vram, gpus = 1, cost = 200000;
    body_str(r, "host_id", &id);
    body_str(r, "ip", &ip);
    body_str(r, "gpu_model", &model);
    body_int(r, "vram_gb", &vram);
    body_int(r, "gpu_count", &gpus);
    body_int(r, "cost_per_hour", &cost);
    body_str(r, "country", &country);
    body_str(r, "province", &province);
    struct pool_entry old;
    if (store_pool_get(g_app->store, id, &old) == 0) {
        p.provisioned = old.provisioned;
        p.provisioned_at = old.provisioned_at;
    }
    snprintf(p.host_id, sizeof p.host_id, "%s", id);
    snprintf(p.ip, sizeof p.ip, "%s", ip);
    snprintf(p.gpu_model, sizeof p.gpu_model, "%s", model);
    p.vram_mgb = vram;
    p.gpu_count = (int)gpus;
    p.cost_per_hour = cost;
    for (int i = 0; i < 2 && country[i]; i++)
        p.country[i] = (char)(country[i] >= 'a' && country[i] <= 'z' ? country[i] - 32 : country[i]);
    for (int i = 0; i < 64 && province[i]; i++)
        p.province[i] = (char)(province[i] >= 'a' && province[i] <= 'z' ? province[i] - 32 : province[i]);
    int rc = tx_begin();
    if (rc == 0)
        rc = store_pool_put(g_app->store, &p) == 0 ? tx_commit() : (tx_rollback(), XC_EDB);
    if (rc < 0)
        reply_status(r, rc, "pool write failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "pool_entry", view_pool_entry(&p)));
}

void h_pool_list(struct req *r)
{
    struct pool_entry *p = NULL;
    size_t n = 0;
    int rc = store_pool_list(g_app->store, &p, &n);
    if (rc < 0) {
        reply_status(r, rc, "pool read failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_pool_entry(&p[i]));
    free(p);
    reply_ok(r, 200, json_pack("{s:o}", "pool", arr));
}

void h_pool_delete(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    struct pool_entry p;
    int rc = store_pool_get(g_app->store, id, &p);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Pool entry %s not found", id);
        return;
    }
    if (rc == 0 && p.provisioned) {
        struct job *jobs = NULL;
        size_t n = 0;
        if ((rc = store_jobs_active_on_host(g_app->store, id, &jobs, &n)) == 0) {
            for (size_t i = 0; i < n; i++)
                job_free(&jobs[i]);
            free(jobs);
            if (n > 0) {
                reply_error(r, 409, "Pool entry %s is provisioned with %zu active job(s)", id, n);
                return;
            }
        }
    }
    if (rc == 0 && (rc = tx_begin()) == 0)
        rc = store_pool_delete(g_app->store, id) == 0 ? tx_commit() : (tx_rollback(), XC_EDB);
    if (rc < 0)
        reply_status(r, rc, "pool delete failed");
    else
        reply_ok(r, 200, json_pack("{s:s}", "removed", id));
}

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

/* Filters 1–5 of domain §6 against one host, with full free VRAM. */
static bool host_can_serve(const struct host *h, const struct job *j, bool need_active)
{
    if (need_active && (h->status != HOST_ACTIVE || !h->admitted))
        return false;
    if (h->gpu_count < j->num_gpus || (need_active ? host_free_mgb(h) : h->total_mgb) < j->vram_mgb)
        return false;
    return !atomic_load(&g_app->canada_only) || strcmp(h->country, "CA") == 0;
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

static json_t *empty_skip;
static int scale_down_noskip(json_t *out, json_t *hooks) { return scale_down(out, hooks, empty_skip); }
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

void h_autoscale_up(struct req *r)
{
    json_t *prov = json_array(), *hooks = json_array();
    int rc = scale_tx(scale_up, prov, hooks);
    run_hooks(hooks);
    json_decref(hooks);
    if (rc < 0) {
        json_decref(prov);
        reply_status(r, rc, "autoscale up failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "provisioned", prov));
}

void h_autoscale_down(struct req *r)
{
    json_t *dep = json_array(), *hooks = json_array();
    empty_skip = NULL;
    int rc = scale_tx(scale_down_noskip, dep, hooks);
    run_hooks(hooks);
    json_decref(hooks);
    if (rc < 0) {
        json_decref(dep);
        reply_status(r, rc, "autoscale down failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "deprovisioned", dep));
}

void h_autoscale_cycle(struct req *r)
{
    json_t *prov = json_array(), *assigned = json_array(), *dep = json_array(), *hooks = json_array();
    int rc = scale_tx(scale_up, prov, hooks);
    if (rc == 0)
        rc = engine_queue_pass(false, assigned);
    cycle_skip = prov;
    if (rc == 0)
        rc = scale_tx(scale_down_cycle, dep, hooks);
    cycle_skip = NULL;
    run_hooks(hooks);
    json_decref(hooks);
    if (rc < 0) {
        json_decref(prov);
        json_decref(assigned);
        json_decref(dep);
        reply_status(r, rc, "autoscale cycle failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o,s:o,s:o}", "provisioned", prov, "assigned", assigned, "deprovisioned", dep));
}
