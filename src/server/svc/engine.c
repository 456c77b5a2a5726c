/* The jobs engine: transitions with their side effects, queue passes, the lease sweep and failover. */
#include "server/svc/engine.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/states.h"
#include "core/jobstate.h"
#include "core/pricing.h"
#include "core/reputation.h"
#include "core/sched.h"
#include "core/sched_sov.h"
#include "core/xcu.h"
#include "server/app.h"
#include "server/svc/billing_hooks.h"
#include "server/svc/billing_svc.h"
#include "server/svc/reputation.h"
#include "server/svc/sla_svc.h"
#include "server/http/metrics.h"
#include "server/http/sse.h"
#include "server/svc/tx.h"
#include "server/svc/jurisdiction.h"
#include "server/svc/verification.h"

#include "common/units.h" /* SEC */
#define AVOID_WINDOW_US (600 * SEC)
#define AVOID_MAX 8
/* A pass plans the whole queue at once, then commits its placements in transactions of at most
 * PASS_CHUNK writes so that submissions and heartbeats interleave with a long pass. */
#define PASS_CHUNK 500
/* Pending reasons that merely changed wording are rewritten for at most this many jobs a pass
 * (queue order); a job that becomes blocked, or blocked for another cause, always gets its own. */
#define REASON_REFRESH_MAX 2000
/* Jobs a sovereign pass considers, in queue order (domain §7.1's bound). */
#define SOV_MAX_JOBS 1000

static int host_adjust_reserved(const char *host_id, int64_t delta)
{
    if (!host_id[0] || delta == 0)
        return 0;
    return store_host_reserve(g_app->store, host_id, delta);
}

int engine_release_reservation(struct job *j)
{
    int rc = host_adjust_reserved(j->host_id, -j->vram_reserved_mgb);
    j->vram_reserved_mgb = 0;
    return rc;
}

/* Adds host_id to the job's avoid list (domain §6 filter 2), keeping the newest 8. */
static void avoid_add(struct job *j, const char *host_id, int64_t now)
{
    json_t *a = jx_parse_or(j->avoid_hosts, json_array());
    json_array_append_new(a, json_pack("[s,I]", host_id, (json_int_t)now));
    while (json_array_size(a) > AVOID_MAX)
        json_array_remove(a, 0);
    free(j->avoid_hosts);
    j->avoid_hosts = jsonx_dump(a, NULL);
    json_decref(a);
}

static const char *event_type_for(enum jobstate to)
{
    switch (to) {
    case JOB_QUEUED: return "job.requeued";
    case JOB_ASSIGNED: return "job.assigned";
    case JOB_LEASED: return "job.lease.granted";
    case JOB_RUNNING: return "job.running";
    case JOB_COMPLETED: return "job.completed";
    case JOB_FAILED: return "job.failed";
    case JOB_PREEMPTED: return "job.preempted";
    default: return "job.cancelled";
    }
}

static void clear_payload(struct job *j)
{
    free(j->command);
    free(j->environment);
    j->command = xstrdup("[]");
    j->environment = xstrdup("{}");
}

static int grant_lease(struct job *j, int64_t now)
{
    struct lease l = {0};
    ids_hex128(l.lease_id);
    snprintf(l.job_id, sizeof l.job_id, "%s", j->job_id);
    snprintf(l.host_id, sizeof l.host_id, "%s", j->host_id);
    l.granted_at = l.last_renewed = now;
    l.duration_sec = (int)g_app->cfg.lease_duration_sec;
    l.expires_at = now + l.duration_sec * SEC;
    l.status = LEASE_ACTIVE;
    int rc = store_lease_put(g_app->store, &l);
    if (rc < 0)
        return rc;
    snprintf(j->lease_id, sizeof j->lease_id, "%s", l.lease_id);
    tx_sse("lease_granted", json_pack("{s:s,s:s,s:s,s:o}", "job_id", j->job_id, "host_id", j->host_id, "lease_id",
                                      l.lease_id, "expires_at", jx_ts(l.expires_at)));
    return 0;
}

/* Ends the job's active lease (if any) with the attempt. A release is silent (the terminal
 * transition's own event records it, domain §23.3); an expiry that nobody recorded yet (a lost
 * host: the sweep and a late renew expire the lease themselves first) appends job.lease.expired
 * and queues the SSE lease_expired, as the lease sweep does (§9.1). */
static int end_lease(struct job *j, bool expired, const char *actor, const char *reason)
{
    struct lease l;
    int rc = store_lease_active(g_app->store, j->job_id, &l);
    if (rc == XC_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    l.status = expired ? LEASE_EXPIRED : LEASE_RELEASED;
    if ((rc = store_lease_put(g_app->store, &l)) < 0 || !expired)
        return rc;
    json_t *data = json_pack("{s:s,s:s}", "lease_id", l.lease_id, "host_id", l.host_id);
    if (reason)
        json_object_set_new(data, "reason", json_string(reason));
    tx_sse("lease_expired", json_pack("{s:s,s:s,s:s}", "job_id", j->job_id, "host_id", l.host_id, "lease_id", l.lease_id));
    return tx_event("job.lease.expired", "job", j->job_id, actor, data);
}

static void report_add(json_t *report, const char *key, json_t *item)
{
    if (!report) {
        json_decref(item);
        return;
    }
    json_t *a = json_object_get(report, key);
    if (!a) {
        a = json_array();
        json_object_set_new(report, key, a);
    }
    json_array_append_new(a, item);
}

int engine_transition(struct job *j, enum jobstate to, const char *actor, const struct trans_opts *o)
{
    static const struct trans_opts none = {0};
    if (!o)
        o = &none;
    enum jobstate from = j->status;
    if ((unsigned)from >= JOB__COUNT)
        return XC_EINVAL;
    /* A pending stop request decides how the attempt ends, whatever ended it: a cancelled job
     * never comes back through a host loss, a lease expiry or a retry (jobstate_stop_outcome). */
    enum jobstate_stop stop = JOB_STOP_PREEMPT;
    struct trans_opts stopped;
    const char *cause = NULL;
    if (jobstate_is_active(from) && !jobstate_is_active(to) && j->has_stop_request) {
        stop = j->stop_requested;
        enum jobstate end = jobstate_stop_outcome(stop, to);
        if (end != to || (stop == JOB_STOP_MINING && end == JOB_FAILED)) {
            stopped = *o;
            if (end == JOB_FAILED && (!o->reason || strncmp(o->reason, "mining_detected", 15) != 0))
                stopped.reason = "mining_detected: stop requested";
            cause = jobstate_name(to);
            to = end;
            o = &stopped;
        }
    }
    int64_t now = app_now();
    int rc = 0;
    char host_before[65];
    snprintf(host_before, sizeof host_before, "%s", j->host_id);
    json_t *data = json_pack("{s:s,s:s}", "previous_state", jobstate_name(from), "new_state", jobstate_name(to));
    if (cause) /* the audit trail says why the attempt did not end as its cause alone would have */
        json_object_set_new(data, "stop_requested",
                            json_pack("{s:s,s:s}", "reason", jobstate_stop_name(stop), "instead_of", cause));

    if (jobstate_is_active(from) && !jobstate_is_active(to)) {
        if ((rc = engine_release_reservation(j)) < 0 || (rc = end_lease(j, o->lease_expired, actor, o->reason)) < 0)
            goto out;
        j->has_stop_request = false;
        j->stop_requested_at = 0;
        if (from == JOB_RUNNING) {
            if ((rc = store_run_end(g_app->store, j->job_id, j->attempt, now, to)) < 0)
                goto out;
        } else if ((rc = billing_on_release_unstarted(j, now)) < 0) {
            goto out;
        }
    }

    switch (to) {
    case JOB_ASSIGNED:
        snprintf(j->host_id, sizeof j->host_id, "%s", o->host_id);
        j->assigned_at = now;
        j->has_rate = true;
        j->rate_per_hour = o->rate_ucad;
        j->vram_reserved_mgb = j->vram_mgb;
        j->hold_reason[0] = j->pending_reason[0] = '\0';
        if ((rc = host_adjust_reserved(j->host_id, j->vram_mgb)) < 0)
            goto out;
        tx_sse("job_assigned", json_pack("{s:s,s:s}", "job_id", j->job_id, "host_id", j->host_id));
        if (o->runtime)
            json_object_set_new(data, "runtime", json_string(o->runtime));
        break;
    case JOB_LEASED:
        if ((rc = grant_lease(j, now)) < 0)
            goto out;
        break;
    case JOB_RUNNING:
        if (from == JOB_ASSIGNED) {
            /* Implicit claim: assigned → leased → running in one transaction, two events. */
            if ((rc = grant_lease(j, now)) < 0)
                goto out;
            rc = tx_event("job.lease.granted", "job", j->job_id, actor,
                          json_pack("{s:s,s:s,s:s,s:s}", "previous_state", jobstate_name(JOB_ASSIGNED), "new_state",
                                    jobstate_name(JOB_LEASED),
                                    "host_id", j->host_id, "lease_id", j->lease_id));
            if (rc < 0)
                goto out;
            json_object_set_new(data, "previous_state", json_string(jobstate_name(JOB_LEASED)));
        }
        j->started_at = now;
        if ((rc = store_run_start(g_app->store, j->job_id, j->attempt, j->host_id, now)) < 0)
            goto out;
        break;
    case JOB_COMPLETED:
    case JOB_CANCELLED:
        j->completed_at = now;
        if (o->has_exit_code) {
            j->has_exit_code = true;
            j->exit_code = o->exit_code;
        }
        clear_payload(j);
        if (to == JOB_COMPLETED && (rc = reputation_on_job_completed(host_before, j->job_id, j->attempt, now)) < 0)
            goto out;
        break;
    case JOB_FAILED: {
        j->has_exit_code = o->has_exit_code;
        j->exit_code = o->exit_code;
        snprintf(j->failure_reason, sizeof j->failure_reason, "%s", o->reason ? o->reason : "");
        struct jobstate_failure f = jobstate_classify(o->has_exit_code, o->exit_code, j->failure_reason);
        snprintf(j->failure_class, sizeof j->failure_class, "%s", jobstate_failure_class_name(f.cls));
        j->completed_at = now;
        if (f.fault == JOB_FAULT_HOST && host_before[0]) {
            avoid_add(j, host_before, now);
            /* The failure threshold (domain §18.5) counts host-fault failures. */
            if ((rc = verif_host_failure(host_before, j->job_id, j->failure_reason, now)) < 0)
                goto out;
        }
        if ((rc = reputation_on_job_failed(host_before, j->owner, j->job_id, j->attempt, f.cls, now)) < 0)
            goto out;
        json_object_set_new(data, "failure_class", json_string(j->failure_class));
        if (o->has_exit_code)
            json_object_set_new(data, "exit_code", json_integer(o->exit_code));
        break;
    }
    case JOB_PREEMPTED:
        j->preempted_at = now;
        j->completed_at = now;
        break;
    case JOB_QUEUED:
        if (from == JOB_FAILED)
            j->retries++;
        if (from == JOB_FAILED || from == JOB_PREEMPTED)
            j->attempt++;
        j->host_id[0] = j->lease_id[0] = '\0';
        j->assigned_at = j->started_at = j->completed_at = 0;
        j->has_exit_code = false;
        j->has_rate = false;
        json_object_set_new(data, "retries", json_integer(j->retries));
        break;
    default:
        break;
    }

    j->status = to;
    if (host_before[0])
        json_object_set_new(data, "host_id", json_string(host_before));
    else if (j->host_id[0])
        json_object_set_new(data, "host_id", json_string(j->host_id));
    if (j->lease_id[0])
        json_object_set_new(data, "lease_id", json_string(j->lease_id));
    if ((rc = store_job_put(g_app->store, j)) < 0)
        goto out;
    if (to == JOB_QUEUED || !jobstate_is_active(to))
        tx_kick_scheduler(); /* work to place, or capacity freed */
    if (from == JOB_RUNNING && !jobstate_is_active(to) && (rc = billing_on_attempt_end(j, to, now)) < 0)
        goto out;
    rc = tx_event(event_type_for(to), "job", j->job_id, actor, data);
    data = NULL;
    if (rc < 0)
        goto out;
    tx_sse("job_status", json_pack("{s:s,s:s,s:s,s:o}", "job_id", j->job_id, "status", jobstate_name(to), "previous_status",
                                    jobstate_name(from), "host_id",
                                    jx_str_or_null(j->host_id[0] ? j->host_id : host_before)));

    /* Follow-on transitions made by the scheduler in the same transaction. */
    if (to == JOB_PREEMPTED)
        return engine_transition(j, JOB_QUEUED, "scheduler", NULL);
    if (to == JOB_FAILED && !o->no_retry) {
        struct jobstate_failure f = jobstate_classify(o->has_exit_code, o->exit_code, j->failure_reason);
        if (f.retryable && j->retries < j->max_retries) {
            rc = engine_transition(j, JOB_QUEUED, "scheduler", NULL);
            report_add(o->report, "requeued",
                       json_pack("{s:s,s:s,s:i}", "job_id", j->job_id, "name", j->name, "retries", j->retries));
            return rc;
        }
        if (f.retryable) {
            size_t n = strlen(j->failure_reason);
            snprintf(j->failure_reason + n, sizeof j->failure_reason - n, "; max retries exceeded");
        }
        if (j->retries + 1 > j->max_retries)
            clear_payload(j); /* no retry left, not even a manual one (domain §21.1 job_payload) */
        report_add(o->report, "failed",
                   json_pack("{s:s,s:s,s:s}", "job_id", j->job_id, "name", j->name, "reason", j->failure_reason));
        rc = store_job_put(g_app->store, j);
    }
    if (to == JOB_COMPLETED || to == JOB_CANCELLED || to == JOB_FAILED)
        sse_close_job_streams(j->job_id, 5 * SEC);
out:
    json_decref(data);
    return rc;
}

/* ---- queue pass ---- */

void engine_sched_host(struct sched_host *sh, const struct host *h)
{
    memset(sh, 0, sizeof *sh);
    sh->host_id = h->host_id;
    sh->gpu_count = h->gpu_count;
    sh->total_mgb = h->total_mgb;
    sh->free_mgb = host_free_mgb(h);
    sh->active = h->status == HOST_ACTIVE;
    sh->admitted = h->admitted;
    sh->canadian = strcmp(h->country, "CA") == 0;
    sh->sandboxed = strcmp(h->recommended_runtime, "runsc") == 0 || strcmp(h->recommended_runtime, "kata") == 0;
    sh->latency_ms = h->has_latency ? h->latency_ms : -1;
    bool listed;
    billing_effective_rate(h, &sh->rate_ucad, &listed);
    /* A model with no spot price yet is priced at its spot base (domain §6 filter 7). */
    if (billing_spot_price(h->gpu_model, &sh->spot_price_ucad) < 0 &&
        pricing_spot_base(sh->rate_ucad, billing_cfg()->spot_discount_ppm, &sh->spot_price_ucad) < 0)
        sh->spot_price_ucad = sh->rate_ucad;
    sh->registered_at_us = h->registered_at;
    sh->trust_ok_mask = 1u; /* community; attested jurisdictions (domain §20) raise it */
}

/* Avoid-list host ids still inside the 600 s window. Returns an array of strings borrowed from
 * *holder (caller json_decref's it and frees the array); NULL (and no holder) when there are none. */
static const char **avoid_list(const char *avoid_json, int64_t now, json_t **holder, int *n)
{
    *n = 0;
    *holder = NULL;
    if (!avoid_json)
        return NULL;
    json_t *a = jx_parse_or(avoid_json, json_array());
    const char **out = xcalloc(json_array_size(a) + 1, sizeof *out);
    size_t i;
    json_t *e;
    *n = 0;
    json_array_foreach(a, i, e)
    {
        json_int_t at = json_integer_value(json_array_get(e, 1));
        if (now - at <= AVOID_WINDOW_US)
            out[(*n)++] = json_string_value(json_array_get(e, 0));
    }
    *holder = a;
    return out;
}

struct pass {
    const struct engine_sov *sov; /* NULL: the standard pass (§7.1); else the sovereign one (§7.3) */
    bool canada;                  /* the Canada pass (§7.2) */
    struct sched_sov_host *sv;    /* sovereign pass: per host, parallel to sh */
    struct juris_index jx; /* attested jurisdictions, for the trust masks and reasons */
    struct host *hosts;
    size_t nh;
    struct job_brief *jobs;
    size_t nj;
    struct sched_host *sh;
    struct sched_job *sj;
    json_t **avoid_holders;
    const char ***avoids;
    int *placement;
    char **reasons;
    size_t *order;
};

static void pass_free(struct pass *p)
{
    for (size_t i = 0; i < p->nj; i++) {
        if (p->reasons)
            free(p->reasons[i]);
        if (p->avoids)
            free(p->avoids[i]);
        if (p->avoid_holders)
            json_decref(p->avoid_holders[i]);
        free(p->jobs[i].avoid_hosts);
    }
    for (size_t i = 0; i < p->nh; i++)
        host_free(&p->hosts[i]);
    free(p->order);
    free(p->reasons);
    free(p->placement);
    free(p->avoids);
    free(p->avoid_holders);
    free(p->sj);
    free(p->sv);
    free(p->sh);
    free(p->jobs);
    free(p->hosts);
    juris_index_free(&p->jx);
}

/* A job above community that no host's trust meets waits with the exact §20.3 reason of the first
 * host (in host order) that is otherwise able to take it; the counts reason stays otherwise. */
static void trust_reason(struct pass *p, size_t i, bool canada_only)
{
    const struct sched_job *sj = &p->sj[i];
    uint32_t bit = 1u << sj->trust_tier;
    const struct host *first = NULL;
    for (size_t k = 0; k < p->nh; k++) {
        const struct sched_host *sh = &p->sh[k];
        if (sh->trust_ok_mask & bit)
            return; /* some host meets the tier: capacity, not trust, holds the job */
        if (!first && sh->admitted && sh->active && sh->gpu_count >= sj->num_gpus && sh->total_mgb >= sj->vram_mgb)
            first = &p->hosts[k];
    }
    if (!first)
        return;
    struct trust_verdict v = juris_verdict(&p->jx, first, (enum jobstate_trust)sj->trust_tier, canada_only);
    if (v.ok)
        return;
    free(p->reasons[i]);
    p->reasons[i] = xstrdup(v.reason);
}

/* The search boost of a host's reputation tier (§19.6), as the reputation service scores it now
 * (new_user when it has no facts or they cannot be read). */
static int64_t host_boost_ppm(const struct host *h)
{
    int64_t final_tenths;
    enum rep_tier tier = REP_TIER_NEW_USER;
    if (reputation_host_score(h->host_id, app_now(), &final_tenths, &tier) < 0)
        tier = REP_TIER_NEW_USER;
    return rep_tier_boost_ppm(tier);
}

/* The sovereign pass's view of each host: the pass's extra constraint (§20.3 with the attested
 * records), the verified state and the efficiency inputs (§7.3). */
static void sov_hosts(struct pass *p)
{
    struct trust_constraint c = {.canada_only = p->sov->canada_only, .province = p->sov->province};
    p->sv = xcalloc(p->nh + 1, sizeof *p->sv);
    for (size_t i = 0; i < p->nh; i++) {
        const struct host *h = &p->hosts[i];
        enum verify_state vs = VERIFY_UNVERIFIED;
        verify_state_parse(h->verification_state, &vs);
        p->sv[i] = (struct sched_sov_host){.eligible = juris_check(&p->jx, h, &c).ok,
                                           .verified = vs == VERIFY_VERIFIED,
                                           .xcu_c = h->has_score ? h->compute_score : xcu_estimate_c(h->gpu_model),
                                           .boost_ppm = host_boost_ppm(h)};
    }
}

/* Loads active hosts and the head of the queue and runs the allocator. */
static int pass_plan(struct pass *p, int64_t now)
{
    bool canada = p->canada;
    int rc;
    if ((rc = store_host_list(g_app->store, true, &p->hosts, &p->nh)) < 0 ||
        (rc = store_jobs_queued_brief(g_app->store, 0, &p->jobs, &p->nj)) < 0)
        return rc;
    if (p->nj == 0)
        return 0;
    if ((rc = juris_index_load(&p->jx)) < 0)
        return rc;
    bool canada_only = canada || atomic_load(&g_app->canada_only);
    p->sh = xcalloc(p->nh + 1, sizeof *p->sh);
    for (size_t i = 0; i < p->nh; i++) {
        engine_sched_host(&p->sh[i], &p->hosts[i]);
        p->sh[i].trust_ok_mask = juris_ok_mask(&p->jx, &p->hosts[i], canada_only);
    }
    p->sj = xcalloc(p->nj, sizeof *p->sj);
    p->avoid_holders = xcalloc(p->nj, sizeof *p->avoid_holders);
    p->avoids = xcalloc(p->nj, sizeof *p->avoids);
    for (size_t i = 0; i < p->nj; i++) {
        const struct job_brief *b = &p->jobs[i];
        enum jobstate_trust tt = JOB_TRUST_COMMUNITY;
        jobstate_trust_parse(b->trust_tier, &tt);
        if (p->sov && p->sov->min_tier > tt)
            tt = p->sov->min_tier; /* the stricter of the pass's and the job's tier (§7.3) */
        p->sj[i] = (struct sched_job){.job_id = b->job_id,
                                      .priority = b->priority,
                                      .submitted_at_us = b->submitted_at,
                                      .num_gpus = b->num_gpus,
                                      .vram_mgb = b->vram_mgb,
                                      .trust_tier = (int)tt,
                                      .isolation_preferred = jobstate_trust_isolation_preferred(tt),
                                      .spot = b->spot,
                                      .max_bid_ucad = b->max_bid};
        p->avoids[i] = avoid_list(b->avoid_hosts, now, &p->avoid_holders[i], &p->sj[i].navoid);
        p->sj[i].avoid = p->avoids[i];
    }
    struct sched_opts opts = {.canada_only = canada_only,
                              .max_jobs = p->nj,
                              .reserve_after_us = g_app->cfg.backfill_reserve_after_sec * SEC,
                              .now_us = now};
    p->placement = xcalloc(p->nj, sizeof *p->placement);
    p->reasons = xcalloc(p->nj, sizeof *p->reasons);
    p->order = xcalloc(p->nj, sizeof *p->order);
    sched_sort(p->sj, p->nj, p->order);
    if (p->sov) {
        sov_hosts(p);
        opts.max_jobs = p->nj < SOV_MAX_JOBS ? p->nj : SOV_MAX_JOBS;
        return sched_sovereign_pass(p->sh, p->sv, p->nh, p->sj, p->nj, &opts, p->placement, NULL);
    }
    if ((rc = sched_pass(p->sh, p->nh, p->sj, p->nj, &opts, p->placement, p->reasons, NULL)) < 0)
        return rc;
    for (size_t i = 0; i < p->nj; i++)
        if (p->placement[i] < 0 && p->sj[i].trust_tier > JOB_TRUST_COMMUNITY)
            trust_reason(p, i, canada_only);
    return 0;
}

/* Records why a queued job waits. *wrote tells whether a row was written; refresh_left bounds
 * the rewrites of a reason whose cause (hold) did not change. */
static int set_hold(struct job_brief *b, const char *hold, const char *pending, int *refresh_left, bool *wrote)
{
    bool newly = strcmp(b->hold_reason, hold) != 0;
    *wrote = false;
    if (!newly && (b->pending_hash == job_reason_hash(pending) || *refresh_left <= 0))
        return 0;
    if (!newly)
        (*refresh_left)--;
    int rc = store_job_set_pending(g_app->store, b->job_id, hold, pending);
    *wrote = rc == 0;
    if (rc == 0 && newly)
        tx_sse("job_blocked", json_pack("{s:s,s:s}", "job_id", b->job_id, "reason", hold));
    return rc;
}

/* Commits one placement: escrow hold for owned jobs, then queued → assigned. The plan was made
 * from a snapshot, so the job and the host are checked again here: a job that is no longer
 * queued, or a host that left or filled up meanwhile, is skipped (the next pass replans it). */
static int pass_assign(struct pass *p, size_t i, int64_t now, json_t *assigned)
{
    const struct host *planned = &p->hosts[p->placement[i]];
    struct job j;
    struct host h;
    int rc = store_job_get(g_app->store, p->jobs[i].job_id, &j);
    if (rc == XC_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    if (j.status != JOB_QUEUED) {
        job_free(&j);
        return 0;
    }
    if ((rc = store_host_get(g_app->store, planned->host_id, &h)) < 0) {
        job_free(&j);
        return rc == XC_ENOTFOUND ? 0 : rc;
    }
    bool fits = h.admitted && h.status == HOST_ACTIVE && host_free_mgb(&h) >= j.vram_mgb;
    bool refused = false;
    if (!fits)
        goto out;
    if (j.owner[0] && (rc = billing_on_assign(&j, &h, now, &refused)) < 0)
        goto out;
    if (refused) {
        int left = 1;
        bool wrote;
        rc = set_hold(&p->jobs[i], "insufficient_funds", "wallet balance cannot cover the escrow hold", &left, &wrote);
        goto out;
    }
    const struct sched_host *sh = &p->sh[p->placement[i]];
    /* The rate captured now is what the attempt is billed at: spot jobs pay the spot price. */
    struct trans_opts o = {.host_id = h.host_id, .rate_ucad = p->sj[i].spot ? sh->spot_price_ucad : sh->rate_ucad};
    /* Isolation preference (domain §20.1): tiers above community run sandboxed where offered. */
    enum admit_runtime rec = sh->sandboxed && strcmp(h.recommended_runtime, "kata") == 0 ? ADMIT_RT_KATA
                             : sh->sandboxed                                             ? ADMIT_RT_RUNSC
                                                                                         : ADMIT_RT_RUNC;
    o.runtime = admit_runtime_name(trust_runtime_for((enum jobstate_trust)p->sj[i].trust_tier, rec));
    if ((rc = engine_transition(&j, JOB_ASSIGNED, "scheduler", &o)) < 0)
        goto out;
    json_t *a;
    if (p->sov) {
        a = json_pack("{s:s,s:s,s:s,s:o,s:s}", "job_id", j.job_id, "job_name", j.name, "host_id", h.host_id,
                      "gpu_model", jx_str_lossy(h.gpu_model), "country", h.country);
    } else {
        a = json_pack("{s:s,s:s,s:s}", "job", j.name, "job_id", j.job_id, "host", h.host_id);
        if (p->canada)
            json_object_set_new(a, "country", json_string(h.country));
    }
    json_array_append_new(assigned, a);
out:
    host_free(&h);
    job_free(&j);
    return rc;
}

/* Passes never overlap: each plans against the capacity the previous one left. */
static pthread_mutex_t pass_mu = PTHREAD_MUTEX_INITIALIZER;

/* Applies the plan in queue order, PASS_CHUNK writes per transaction. */
static int pass_apply(struct pass *p, int64_t now, json_t *assigned)
{
    int rc = 0, refresh_left = REASON_REFRESH_MAX;
    size_t k = 0;
    while (k < p->nj && rc == 0) {
        if ((rc = tx_begin()) < 0)
            break;
        for (size_t writes = 0; k < p->nj && writes < PASS_CHUNK && rc == 0; k++) {
            size_t i = p->order[k];
            bool wrote = false;
            if (p->placement[i] >= 0) {
                rc = pass_assign(p, i, now, assigned);
                wrote = true;
            } else if (p->reasons[i]) {
                rc = set_hold(&p->jobs[i], "no_eligible_host", p->reasons[i], &refresh_left, &wrote);
            }
            writes += wrote;
        }
        if (rc < 0)
            tx_rollback();
        else
            rc = tx_commit();
    }
    return rc;
}

static int run_pass(bool canada, const struct engine_sov *sov, json_t *assigned)
{
    int64_t t0 = clock_mono_us(), now = app_now();
    struct pass p = {.sov = sov, .canada = canada};
    pthread_mutex_lock(&pass_mu);
    /* Plan from a read-only snapshot, so that reading the whole queue never holds the writer;
     * first make this request's own earlier writes (a sweep's requeues) visible to it. */
    tx_sync();
    bool reader = store_read_begin(g_app->store);
    int rc = pass_plan(&p, now);
    if (reader)
        store_read_end(g_app->store);
    size_t before = json_array_size(assigned);
    if (rc == 0 && p.nj > 0)
        rc = pass_apply(&p, now, assigned);
    size_t placed = json_array_size(assigned) - before;
    if (rc == 0 && placed > 0) {
        tx_sse("queue_processed", json_pack("{s:I}", "assigned_count", (json_int_t)placed));
        metrics_add_placements((int64_t)placed, clock_mono_us() - t0);
    }
    bool large = p.nj > 10000;
    pass_free(&p);
    if (large)
        malloc_trim(0); /* a pass over a large queue: give its arrays back to the system */
    pthread_mutex_unlock(&pass_mu);
    return rc;
}

int engine_queue_pass(bool canada, json_t *assigned)
{
    return run_pass(canada, NULL, assigned);
}

int engine_sovereign_pass(const struct engine_sov *c, json_t *jobs)
{
    return run_pass(false, c, jobs);
}

/* ---- sweep ---- */

int engine_host_jobs_lost(const char *host_id, const char *reason, const char *actor, json_t *report)
{
    struct job *jobs = NULL;
    size_t n = 0;
    int rc = store_jobs_active_on_host(g_app->store, host_id, &jobs, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct job *j = &jobs[i];
        if (j->status == JOB_ASSIGNED) {
            rc = engine_transition(j, JOB_QUEUED, actor, NULL);
            if (j->status == JOB_QUEUED) /* not when a pending stop ended it instead */
                report_add(report, "requeued",
                           json_pack("{s:s,s:s,s:i}", "job_id", j->job_id, "name", j->name, "retries", j->retries));
        } else {
            struct trans_opts o = {.reason = reason, .lease_expired = true, .report = report};
            rc = engine_transition(j, JOB_FAILED, actor, &o);
        }
    }
    for (size_t i = 0; i < n; i++)
        job_free(&jobs[i]);
    free(jobs);
    return rc;
}

static int sweep_dead_hosts(int64_t now, json_t *report)
{
    struct host *hosts = NULL;
    size_t n = 0;
    int rc = store_host_list(g_app->store, false, &hosts, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct host *h = &hosts[i];
        /* The timeout is min(XCELSIOR_HOST_DEAD_AFTER_SEC, the host's SLA tier grace) (D§26.1). */
        if (h->status == HOST_DEAD || now - h->last_seen <= slasvc_heartbeat_timeout_us(h))
            continue;
        h->status = HOST_DEAD;
        if ((rc = store_host_put(g_app->store, h)) < 0 || (rc = slasvc_host_dead(h)) < 0)
            break;
        rc = tx_event("host.dead", "host", h->host_id, "scheduler",
                      json_pack("{s:I}", "last_seen_us", (json_int_t)h->last_seen));
        tx_sse("host_dead", json_pack("{s:s,s:o}", "host_id", h->host_id, "last_seen", jx_ts(h->last_seen)));
        tx_sse("host_update", json_pack("{s:s,s:s,s:b,s:s,s:s}", "host_id", h->host_id, "status", hoststate_name(HOST_DEAD), "admitted",
                                        h->admitted, "gpu_model", h->gpu_model, "country", h->country));
        report_add(report, "dead_hosts", json_string(h->host_id));
        if (rc == 0)
            rc = engine_host_jobs_lost(h->host_id, "host_lost", "scheduler", report);
    }
    for (size_t i = 0; i < n; i++)
        host_free(&hosts[i]);
    free(hosts);
    return rc;
}

static int sweep_leases(int64_t now, json_t *report)
{
    struct lease *ls = NULL;
    size_t n = 0;
    int rc = store_leases_expired(g_app->store, now - g_app->cfg.lease_grace_sec * SEC, &ls, &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct job j;
        ls[i].status = LEASE_EXPIRED;
        if ((rc = store_lease_put(g_app->store, &ls[i])) < 0)
            break;
        rc = tx_event("job.lease.expired", "job", ls[i].job_id, "scheduler",
                      json_pack("{s:s,s:s}", "lease_id", ls[i].lease_id, "host_id", ls[i].host_id));
        tx_sse("lease_expired", json_pack("{s:s,s:s,s:s}", "job_id", ls[i].job_id, "host_id", ls[i].host_id,
                                          "lease_id", ls[i].lease_id));
        if (rc == 0 && store_job_get(g_app->store, ls[i].job_id, &j) == 0) {
            if (j.status == JOB_LEASED || j.status == JOB_RUNNING) {
                struct trans_opts o = {.reason = "lease_expired", .lease_expired = true, .report = report};
                rc = engine_transition(&j, JOB_FAILED, "scheduler", &o);
            }
            job_free(&j);
        }
    }
    free(ls);
    return rc;
}

static int sweep_jobs(enum jobstate status, int64_t now, json_t *report)
{
    struct job *jobs = NULL;
    size_t n = 0;
    struct job_filter f = {.has_status = true, .status = status};
    int rc = store_job_list(g_app->store, &f, &jobs, &n, NULL);
    int64_t grace = (g_app->cfg.preemption_grace_sec + 60) * SEC;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct job *j = &jobs[i];
        if (status == JOB_ASSIGNED) {
            if (now - j->assigned_at > g_app->cfg.assign_timeout_sec * SEC) {
                char host[65];
                snprintf(host, sizeof host, "%s", j->host_id);
                avoid_add(j, host, now);
                rc = engine_transition(j, JOB_QUEUED, "scheduler", NULL);
                report_add(report, "requeued",
                           json_pack("{s:s,s:s,s:i}", "job_id", j->job_id, "name", j->name, "retries", j->retries));
            }
            continue;
        }
        /* running: forced stop requests, then max-duration stop requests */
        if (j->has_stop_request && now - j->stop_requested_at > grace) {
            enum jobstate_stop why = j->stop_requested;
            if (why == JOB_STOP_PREEMPT) {
                rc = engine_transition(j, JOB_PREEMPTED, "scheduler", NULL);
            } else if (why == JOB_STOP_MINING) {
                struct trans_opts o = {.reason = "mining_detected: stop not acknowledged", .report = report};
                rc = engine_transition(j, JOB_FAILED, "scheduler", &o);
            } else {
                rc = engine_transition(j, JOB_CANCELLED, "scheduler", NULL);
            }
        } else if (!j->has_stop_request && j->has_max_duration && j->started_at &&
                   now - j->started_at >= j->max_duration_ms * 1000) {
            const char *why = jobstate_stop_name(JOB_STOP_MAX_DURATION);
            j->has_stop_request = true;
            j->stop_requested = JOB_STOP_MAX_DURATION;
            j->stop_requested_at = now;
            if ((rc = store_job_put(g_app->store, j)) == 0)
                rc = tx_event("job.stop_requested", "job", j->job_id, "scheduler",
                              json_pack("{s:s,s:s}", "reason", why, "host_id", j->host_id));
            tx_sse("preemption_scheduled",
                   json_pack("{s:s,s:s,s:s}", "host_id", j->host_id, "job_id", j->job_id, "reason", why));
        }
    }
    for (size_t i = 0; i < n; i++)
        job_free(&jobs[i]);
    free(jobs);
    return rc;
}

int engine_sweep(json_t *report)
{
    int64_t now = app_now();
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if ((rc = sweep_dead_hosts(now, report)) < 0 || (rc = sweep_leases(now, report)) < 0 ||
        (rc = sweep_jobs(JOB_ASSIGNED, now, report)) < 0 || (rc = sweep_jobs(JOB_RUNNING, now, report)) < 0 ||
        (rc = billing_sweep(now)) < 0) {
        tx_rollback();
        return rc;
    }
    return tx_commit();
}
