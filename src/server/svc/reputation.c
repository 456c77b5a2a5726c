/* Reputation (see reputation.h): the fact hooks the job engine, the mining alert and the
 * provider review call inside their transactions, the admin grants and penalties, and the
 * read-time score. Only facts are stored (store/reputation_store.h); core/reputation computes
 * decay, reliability, score and tier from them at the `now` it is given. */
#include "server/svc/reputation.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/units.h"
#include "common/xalloc.h"
#include "core/sla.h"
#include "core/verify.h"
#include "server/app.h"
#include "server/svc/tx.h"
#include "store/sla_store.h"
#include "store/trust_store.h"

#define S() (g_app->store)
#define WINDOW_90D (INT64_C(90) * 86400 * SEC)
#define WINDOW_30D (INT64_C(30) * 86400 * SEC)
#define DAY (INT64_C(86400) * SEC)

/* What one fact does to the entity's row. */
struct op {
    enum rep_fact_kind kind;
    int type;           /* enum rep_verification or enum rep_penalty */
    const char *reason; /* penalties: the admin's reason (NULL = core's default) */
};

/* Applies one fact to the entity's stored row and appends its history event, in the open
 * transaction. A ref seen before (same event type) and a verification already granted change
 * nothing. metadata is stolen (NULL = {}). */
static int record(enum rep_entity_type t, const char *id, const struct op *op, const char *ref, json_t *metadata,
                  int64_t now)
{
    struct rep_row r;
    struct rep_event ev = {0};
    int rc = rstore_get(S(), t, id, &r);
    if (rc == XC_ENOTFOUND) {
        memset(&r, 0, sizeof r);
        r.type = t;
        snprintf(r.entity_id, sizeof r.entity_id, "%s", id);
        r.f = rep_facts_new();
        r.created_at = now;
        rc = 0;
    }
    if (rc < 0)
        goto out;
    switch (op->kind) {
    case REP_FACT_VERIFICATION: rc = rep_grant_verification(&r.f, (enum rep_verification)op->type, &ev); break;
    case REP_FACT_JOB_COMPLETED: rc = rep_job_completed(&r.f, now, &ev); break;
    case REP_FACT_JOB_FAILURE_HOST: rc = rep_job_failed_host(&r.f, now, &ev); break;
    case REP_FACT_JOB_FAILURE_USER: rc = rep_job_failed_user(&r.f, now, &ev); break;
    case REP_FACT_PENALTY: rc = rep_penalize(&r.f, (enum rep_penalty)op->type, op->reason, &ev); break;
    default: rc = XC_EINVAL; break;
    }
    if (rc == XC_ECONFLICT) { /* a repeated verification records nothing (§19.2) */
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    if (ref && *ref) {
        bool seen;
        if ((rc = rstore_event_exists(S(), t, id, ev.event_type, ref, &seen)) < 0 || seen)
            goto out; /* the same fact reported twice is stored once */
    }
    struct rep_event_row er = {.type = t, .points_delta = ev.points_delta, .created_at = now};
    snprintf(er.entity_id, sizeof er.entity_id, "%s", id);
    snprintf(er.event_type, sizeof er.event_type, "%s", ev.event_type);
    snprintf(er.reason, sizeof er.reason, "%s", ev.reason);
    snprintf(er.ref, sizeof er.ref, "%s", ref ? ref : "");
    if (!metadata)
        metadata = json_object();
    er.metadata = json_dumps(metadata, JSON_COMPACT);
    rc = rstore_event_insert(S(), &er);
    free(er.metadata);
    if (rc == 0) {
        r.updated_at = now;
        rc = rstore_put(S(), &r);
    }
out:
    json_decref(metadata);
    return rc;
}

static json_t *job_meta(const char *job_id, int attempt)
{
    return json_pack("{s:s,s:i}", "job_id", job_id ? job_id : "", "attempt", attempt);
}

/* ref of one attempt of a job: completions and failures are facts per attempt. */
static void attempt_ref(char *out, size_t n, const char *job_id, int attempt)
{
    snprintf(out, n, "%.32s#%d", job_id ? job_id : "", attempt);
}

int reputation_on_job_completed(const char *host_id, const char *job_id, int attempt, int64_t now)
{
    if (!host_id || !*host_id)
        return 0;
    char ref[48];
    attempt_ref(ref, sizeof ref, job_id, attempt);
    struct op op = {.kind = REP_FACT_JOB_COMPLETED};
    return record(REP_ENTITY_HOST, host_id, &op, ref, job_meta(job_id, attempt), now);
}

int reputation_on_mining_kill(const char *owner, const char *job_id, int64_t now)
{
    if (!owner || !*owner || !job_id || !*job_id)
        return 0;
    struct op op = {.kind = REP_FACT_PENALTY, .type = REP_PEN_TERMS_VIOLATION,
                    .reason = "Mining detected: job terminated (terms violation)"};
    return record(REP_ENTITY_USER, owner, &op, job_id, json_pack("{s:s}", "job_id", job_id), now);
}

int reputation_on_job_failed(const char *host_id, const char *owner, const char *job_id, int attempt,
                             enum jobstate_failure_class cls, int64_t now)
{
    struct jobstate_failure f = jobstate_failure_of(cls);
    char ref[48];
    attempt_ref(ref, sizeof ref, job_id, attempt);
    int rc = 0;
    if (f.fault == JOB_FAULT_HOST && host_id && *host_id) {
        struct op op = {.kind = REP_FACT_JOB_FAILURE_HOST};
        rc = record(REP_ENTITY_HOST, host_id, &op, ref, job_meta(job_id, attempt), now);
    } else if (f.fault == JOB_FAULT_USER && owner && *owner) {
        struct op op = {.kind = REP_FACT_JOB_FAILURE_USER};
        rc = record(REP_ENTITY_USER, owner, &op, ref, job_meta(job_id, attempt), now);
    }
    if (rc == 0 && cls == JOB_FAIL_POLICY_VIOLATION)
        rc = reputation_on_mining_kill(owner, job_id, now);
    return rc;
}

int reputation_on_sla_breach(const char *host_id, const char *month, int64_t now)
{
    if (!host_id || !*host_id || !month || !*month)
        return 0;
    char ref[REP_ID_MAX], reason[REP_REASON_MAX];
    snprintf(ref, sizeof ref, "sla:%.16s", month);
    snprintf(reason, sizeof reason, "SLA target missed in %.16s", month);
    struct op op = {.kind = REP_FACT_PENALTY, .type = REP_PEN_SLA_BREACH, .reason = reason};
    return record(REP_ENTITY_HOST, host_id, &op, ref, json_pack("{s:s}", "month", month), now);
}

int reputation_grant(enum rep_entity_type type, const char *entity_id, enum rep_verification v, const char *actor,
                     int64_t now)
{
    struct op op = {.kind = REP_FACT_VERIFICATION, .type = (int)v};
    return record(type, entity_id, &op, NULL, json_pack("{s:s}", "actor", actor ? actor : ""), now);
}

/* ---- reads ---- */

/* u of §19.5: the host's uptime over the last 30 days from its stored downtimes (§26.3), in ppm,
 * computed by core/sla exactly as the SLA routes compute it. */
static int host_uptime_ppm(const char *host_id, int64_t now, int64_t *out)
{
    struct sla_downtime_filter f = {.host_id = host_id, .since = now - WINDOW_30D};
    struct sla_downtime_row *rows = NULL;
    size_t n = 0;
    *out = 1000000;
    int rc = slastore_downtime_list(S(), &f, &rows, &n);
    if (rc < 0)
        return rc;
    struct sla_downtime *d = n ? xcalloc(n, sizeof *d) : NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = (struct sla_downtime){.start_us = rows[i].start_ts, .end_us = rows[i].end_ts, .open = rows[i].end_ts == 0};
    *out = sla_uptime(d, n, now - WINDOW_30D, now, now).uptime_pct_e4;
    free(d);
    free(rows);
    return 0;
}

/* n of §19.5: whether the host's latest verification passed network_quality (never verified:
 * REP_NET_NEVER). */
static int host_network(const char *host_id, enum rep_network *out)
{
    struct host_verif v;
    *out = REP_NET_NEVER;
    int rc = tstore_verif_get(S(), host_id, &v);
    if (rc == XC_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    json_t *checks = jx_parse_or(v.checks, json_array()), *c;
    const char *want = verify_check_name(VERIFY_CHECK_NETWORK_QUALITY);
    size_t i;
    json_array_foreach(checks, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "check_name"));
        if (name && strcmp(name, want) == 0)
            *out = json_is_true(json_object_get(c, "passed")) ? REP_NET_PASSED : REP_NET_FAILED;
    }
    json_decref(checks);
    host_verif_free(&v);
    return 0;
}

/* Host reliability (§19.5) at now: u from the 30-day downtimes, s from the last 90 days of
 * completions and host faults (counted already by a list read), n from the latest verification.
 * Computed at read time from stored facts; nothing is written back. */
static int host_reliability(const char *host_id, int64_t now, int64_t completed, int64_t failed, bool counted,
                            int64_t *out)
{
    int64_t u = 1000000;
    enum rep_network net = REP_NET_NEVER;
    int rc = 0;
    if (!counted)
        rc = rstore_window(S(), REP_ENTITY_HOST, host_id, now - WINDOW_90D, &completed, &failed);
    if (rc == 0)
        rc = host_uptime_ppm(host_id, now, &u);
    if (rc == 0)
        rc = host_network(host_id, &net);
    *out = rep_reliability_e4(u, completed, failed, net);
    return rc;
}

static int derive(struct rep_view *v, int64_t now, bool counted, int64_t completed, int64_t failed)
{
    int rc = 0;
    v->f.reliability_e4 = 10000;
    if (v->type == REP_ENTITY_HOST && v->stored)
        rc = host_reliability(v->entity_id, now, completed, failed, counted, &v->f.reliability_e4);
    if (rc == 0)
        rc = rep_score(&v->f, v->type, now, &v->sc);
    v->days_active = v->stored && now > v->created_at ? (now - v->created_at) / DAY : 0;
    return rc;
}

static void view_from_row(struct rep_view *v, const struct rep_row *r)
{
    memset(v, 0, sizeof *v);
    v->type = r->type;
    snprintf(v->entity_id, sizeof v->entity_id, "%s", r->entity_id);
    v->stored = true;
    v->f = r->f;
    v->created_at = r->created_at;
}

int reputation_get(enum rep_entity_type type, const char *entity_id, int64_t now, struct rep_view *out)
{
    struct rep_row r;
    int rc = rstore_get(S(), type, entity_id, &r);
    if (rc == XC_ENOTFOUND) { /* a zero score, not stored */
        memset(out, 0, sizeof *out);
        out->type = type;
        snprintf(out->entity_id, sizeof out->entity_id, "%s", entity_id);
        out->f = rep_facts_new();
        rc = 0;
    } else if (rc == 0) {
        view_from_row(out, &r);
    }
    return rc < 0 ? rc : derive(out, now, false, 0, 0);
}

int reputation_host_score(const char *host_id, int64_t now, int64_t *final_tenths, enum rep_tier *tier)
{
    struct rep_view v;
    int rc = reputation_get(REP_ENTITY_HOST, host_id, now, &v);
    *final_tenths = rc == 0 ? v.sc.final_score : 0;
    *tier = rc == 0 ? v.sc.tier : REP_TIER_NEW_USER;
    return rc;
}

int reputation_history(enum rep_entity_type type, const char *entity_id, int limit, struct rep_event_row **out,
                       size_t *n)
{
    return rstore_events(S(), type, entity_id, limit, out, n);
}

static int leader_cmp(const void *pa, const void *pb)
{
    const struct rep_view *a = pa, *b = pb;
    return rep_leader_cmp(a->sc.final_score, a->entity_id, b->sc.final_score, b->entity_id);
}

int reputation_leaderboard(enum rep_entity_type type, int limit, int64_t now, struct rep_view **out, size_t *n)
{
    struct rep_row *rows = NULL;
    size_t nr = 0;
    *out = NULL;
    *n = 0;
    int rc = rstore_list(S(), type, now - WINDOW_90D, &rows, &nr);
    if (rc < 0)
        return rc;
    struct rep_view *v = xcalloc(nr ? nr : 1, sizeof *v);
    for (size_t i = 0; i < nr && rc == 0; i++) {
        view_from_row(&v[i], &rows[i]);
        rc = derive(&v[i], now, true, rows[i].completed_90d, rows[i].failed_host_90d);
    }
    free(rows);
    if (rc < 0) {
        free(v);
        return rc;
    }
    qsort(v, nr, sizeof *v, leader_cmp);
    *out = v;
    *n = nr < (size_t)limit ? nr : (size_t)limit;
    return 0;
}

/* ---- admin writes ---- */

static int finish(int rc)
{
    if (rc < 0) {
        tx_rollback();
        return rc;
    }
    return tx_commit();
}

static int admin_apply(const char *entity_type, const char *entity_id, const struct op *op, const char *event,
                       json_t *data, const char *actor, int64_t now, struct rep_view *out, struct svc_err *e)
{
    enum rep_entity_type t;
    if (rep_entity_type_parse(entity_type ? entity_type : "host", &t) < 0) {
        json_decref(data);
        return svc_fail(e, 400, "Invalid entity_type: %.32s", entity_type);
    }
    int rc = tx_begin();
    if (rc < 0) {
        json_decref(data);
        return rc;
    }
    json_t *meta = json_pack("{s:s}", "actor", actor ? actor : "");
    rc = record(t, entity_id, op, NULL, meta, now);
    if (rc == 0)
        rc = tx_event(event, rep_entity_type_name(t), entity_id, actor, data);
    else
        json_decref(data);
    if (rc == 0) /* read inside the transaction: the writer sees what was just recorded */
        rc = reputation_get(t, entity_id, now, out);
    return finish(rc);
}

int reputation_verify(const char *entity_type, const char *entity_id, const char *verification_type,
                      const char *actor, int64_t now, struct rep_view *out, struct svc_err *e)
{
    enum rep_verification v;
    if (rep_verification_parse(verification_type, &v) < 0)
        return svc_fail(e, 400, "Invalid verification type: %.64s", verification_type ? verification_type : "");
    struct op op = {.kind = REP_FACT_VERIFICATION, .type = (int)v};
    return admin_apply(entity_type, entity_id, &op, "reputation.verified",
                       json_pack("{s:s}", "verification_type", rep_verification_name(v)), actor, now, out, e);
}

int reputation_penalty(const char *entity_type, const char *entity_id, const char *penalty_type, const char *reason,
                       const char *actor, int64_t now, struct rep_view *out, struct svc_err *e)
{
    enum rep_penalty p;
    if (rep_penalty_parse(penalty_type, &p) < 0)
        return svc_fail(e, 400, "Invalid penalty type: %.64s", penalty_type ? penalty_type : "");
    struct op op = {.kind = REP_FACT_PENALTY, .type = (int)p, .reason = reason && *reason ? reason : NULL};
    return admin_apply(entity_type, entity_id, &op, "reputation.penalized",
                       json_pack("{s:s,s:s}", "penalty_type", rep_penalty_name(p), "reason", reason ? reason : ""),
                       actor, now, out, e);
}
