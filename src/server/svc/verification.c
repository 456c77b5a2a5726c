/* Host verification and benchmarks (domain §16, §18): the measured report in, core/verify and
 * core/xcu decide, the record, the host's mirror fields and the audit events out. */
#include "server/svc/verification.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/fixed.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "server/app.h"
#include "server/svc/jurisdiction.h"
#include "server/svc/tx.h"
#include "store/store.h"

static const char *st_name(enum verify_state s) { return verify_state_name(s); }

static enum verify_state rec_state(const struct host_verif *v)
{
    enum verify_state s;
    return verify_state_parse(v->state, &s) == 0 ? s : VERIFY_UNVERIFIED;
}

static int64_t tnull(int64_t v) { return v == VERIFY_NO_TIME ? 0 : v; }
static int64_t tin(int64_t v) { return v ? v : VERIFY_NO_TIME; }

/* Loads the host, or answers 404. */
static int load_host(const char *host_id, struct host *h, struct svc_err *e)
{
    int rc = store_host_get(g_app->store, host_id, h);
    if (rc == XC_ENOTFOUND)
        return svc_fail(e, 404, "Host %s not found", host_id);
    return rc;
}

/* Mirrors the record on the host (state, reverify_due), reclassifies and stores it. */
static int mirror(struct host *h, const struct host_verif *v)
{
    snprintf(h->verification_state, sizeof h->verification_state, "%s", v->state);
    h->reverify_due = v->reverify_due;
    int rc = juris_reclassify(h);
    return rc < 0 ? rc : store_host_put(g_app->store, h);
}

static int state_events(const struct host_verif *v, bool changed, const char *actor)
{
    tx_sse("verification_update", json_pack("{s:s,s:s,s:o}", "host_id", v->host_id, "state", v->state, "score",
                                            jx_fixed(v->score_e2, 2)));
    if (!changed)
        return 0;
    bool ok = strcmp(v->state, st_name(VERIFY_VERIFIED)) == 0;
    if (ok || strcmp(v->state, st_name(VERIFY_DEVERIFIED)) == 0) {
        tx_kick_scheduler();
        return tx_event(ok ? "host.verified" : "host.deverified", "host", v->host_id, actor,
                        json_pack("{s:s,s:s}", "state", v->state, "reason", v->deverify_reason));
    }
    return 0;
}

/* ---- benchmark (§16) ---- */

int verif_benchmark(const char *host_id, const char *reported_model, int64_t tflops_c, const json_t *details,
                    const char *actor, int64_t now, struct xcu_bench *out, struct svc_err *e)
{
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    struct host h;
    if ((rc = load_host(host_id, &h, e)) < 0) {
        tx_rollback();
        return rc;
    }
    if ((rc = xcu_judge_benchmark(h.gpu_model, reported_model, tflops_c, out)) < 0)
        goto fail;
    if (out->store) {
        struct benchmark_row b = {.score_c = out->xcu_c, .tflops_c = out->accepted_tflops_c, .run_at = now};
        snprintf(b.host_id, sizeof b.host_id, "%s", host_id);
        snprintf(b.gpu_model, sizeof b.gpu_model, "%s", reported_model);
        char *dj = details && json_is_object(details) ? json_dumps(details, JSON_COMPACT) : NULL;
        rc = tstore_bench_put(g_app->store, &b, dj);
        free(dj);
        if (rc < 0)
            goto fail;
        h.has_score = true;
        h.compute_score = out->xcu_c;
        if ((rc = store_host_put(g_app->store, &h)) < 0)
            goto fail;
        tx_sse("benchmark_result", json_pack("{s:s,s:s,s:o,s:o}", "host_id", host_id, "gpu_model", reported_model,
                                             "xcu", jx_fixed(out->xcu_c, 2), "tflops",
                                             jx_fixed(out->accepted_tflops_c, 2)));
    }
    rc = tx_event("host.benchmark", "host", host_id, actor,
                  json_pack("{s:I,s:I,s:b}", "xcu_c", (json_int_t)out->xcu_c, "tflops_c",
                            (json_int_t)out->accepted_tflops_c, "stored", out->store));
    if (rc < 0)
        goto fail;
    host_free(&h);
    return tx_commit();
fail:
    host_free(&h);
    tx_rollback();
    return rc;
}

/* ---- the measured report (§17.10) ---- */

static const char *rstr(const json_t *r, const char *k)
{
    const json_t *v = json_object_get(r, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t rnum(const json_t *r, const char *k)
{
    const json_t *v = json_object_get(r, k);
    int64_t out;
    if (!json_is_number(v) || fixed_from_double(json_number_value(v), 3, &out) < 0)
        return VERIFY_MISSING;
    return out;
}

static int64_t rep_int(const json_t *r, const char *k)
{
    const json_t *v = json_object_get(r, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v)
           : json_is_real(v)  ? (int64_t)json_real_value(v)
                              : VERIFY_MISSING;
}

static void read_report(const json_t *r, struct verify_report *rep)
{
    int64_t vram = rnum(r, "total_vram_gb");
    *rep = (struct verify_report){.gpu_model = rstr(r, "gpu_model"),
                                  .total_vram_mgb = vram == VERIFY_MISSING ? 0 : vram,
                                  .serial = rstr(r, "serial"),
                                  .driver_version = rstr(r, "driver_version"),
                                  .cuda_version = rstr(r, "cuda_version"),
                                  .compute_capability = rstr(r, "compute_capability"),
                                  .pcie_gbps_e3 = rnum(r, "pcie_bandwidth_gbps"),
                                  .temp_c_e3 = rnum(r, "gpu_temp_celsius"),
                                  .packet_loss_pct_e3 = rnum(r, "packet_loss_pct"),
                                  .jitter_ms_e3 = rnum(r, "jitter_ms"),
                                  .throughput_mbps_e3 = rnum(r, "throughput_mbps"),
                                  .fragmentation_pct_e3 = rnum(r, "memory_fragmentation_pct"),
                                  .torch_allocated_bytes = rep_int(r, "torch_memory_allocated_bytes"),
                                  .torch_reserved_bytes = rep_int(r, "torch_memory_reserved_bytes"),
                                  .versions = json_object_get(r, "versions")};
}

static char *checks_json(const struct verify_outcome *o, int64_t now)
{
    json_t *a = json_array();
    for (int i = 0; i < VERIFY_CHECK__COUNT; i++) {
        const struct verify_check *c = &o->checks[i];
        json_array_append_new(a, json_pack("{s:s,s:b,s:s,s:s,s:s,s:I}", "check_name", verify_check_name(c->id),
                                           "passed", c->passed, "expected", c->expected ? c->expected : "",
                                           "actual", c->actual ? c->actual : "", "details",
                                           c->details ? c->details : "", "timestamp_us", (json_int_t)now));
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

int verif_report(const char *host_id, const json_t *report, const char *actor, int64_t now, struct host_verif *out,
                 struct svc_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    struct host h;
    if ((rc = load_host(host_id, &h, e)) < 0) {
        tx_rollback();
        return rc;
    }
    rc = tstore_verif_get(g_app->store, host_id, out);
    bool exists = rc == 0;
    if (rc == XC_ENOTFOUND) {
        snprintf(out->host_id, sizeof out->host_id, "%s", host_id);
        ids_hex128(out->verification_id);
        snprintf(out->state, sizeof out->state, "%s", st_name(VERIFY_UNVERIFIED));
        rc = 0;
    }
    if (rc < 0)
        goto fail;
    struct verify_prior prior = {.exists = exists,
                                 .state = rec_state(out),
                                 .fingerprint = out->fingerprint,
                                 .serial = out->serial,
                                 .verified_at_us = tin(out->verified_at),
                                 .deverified_at_us = tin(out->deverified_at),
                                 .cooldown_until_us = tin(out->cooldown_until)};
    struct verify_registered reg = {.gpu_model = h.gpu_model, .total_vram_mgb = h.total_mgb};
    struct verify_report rep;
    read_report(report, &rep);
    struct verify_outcome o;
    if ((rc = verify_evaluate(&reg, &rep, &prior, &g_app->cfg.minimums, now, &o)) < 0)
        goto fail;
    if (!o.evaluated) { /* cool-down: the stored record, unchanged */
        verify_outcome_free(&o);
        host_free(&h);
        tx_rollback();
        return 0;
    }
    free(out->checks);
    out->checks = checks_json(&o, now);
    snprintf(out->state, sizeof out->state, "%s", st_name(o.state));
    out->score_e2 = o.score_e2;
    snprintf(out->fingerprint, sizeof out->fingerprint, "%s", o.fingerprint);
    snprintf(out->serial, sizeof out->serial, "%s", rep.serial ? rep.serial : "");
    snprintf(out->deverify_reason, sizeof out->deverify_reason, "%s", o.deverify_reason ? o.deverify_reason : "");
    out->last_check_at = o.last_check_at_us;
    out->next_check_at = o.next_check_at_us;
    out->reverify_due = o.reverify_due;
    out->verified_at = tnull(o.verified_at_us);
    out->deverified_at = tnull(o.deverified_at_us);
    out->cooldown_until = tnull(o.cooldown_until_us);
    bool changed = o.state_changed;
    verify_outcome_free(&o);
    int64_t lat = rnum(report, "latency_ms");
    if (lat != VERIFY_MISSING && lat >= 0) {
        h.has_latency = true;
        h.latency_ms = (int)fixed_rhu(lat, 1000);
    }
    if ((rc = tstore_verif_put(g_app->store, out)) < 0 ||
        (rc = tstore_verif_history_add(g_app->store, host_id, out->state, out->score_e2, out->deverify_reason, now)) < 0 ||
        (rc = mirror(&h, out)) < 0 || (rc = state_events(out, changed, actor)) < 0)
        goto fail;
    host_free(&h);
    return tx_commit();
fail:
    host_free(&h);
    host_verif_free(out);
    tx_rollback();
    return rc;
}

/* ---- admin ---- */

/* Loads host and record for an admin change; a missing record is created unverified. */
static int admin_load(const char *host_id, struct host *h, struct host_verif *v, struct svc_err *e)
{
    memset(v, 0, sizeof *v);
    int rc = load_host(host_id, h, e);
    if (rc < 0)
        return rc;
    rc = tstore_verif_get(g_app->store, host_id, v);
    if (rc == XC_ENOTFOUND) {
        snprintf(v->host_id, sizeof v->host_id, "%s", host_id);
        ids_hex128(v->verification_id);
        snprintf(v->state, sizeof v->state, "%s", st_name(VERIFY_UNVERIFIED));
        rc = 0;
    }
    if (rc < 0)
        host_free(h);
    return rc;
}

/* Applies ev; stores record and host; events. mutate runs after the transition. */
static int admin_apply(const char *host_id, enum verify_event ev, const char *reason, const char *note,
                       const char *actor, int64_t now, struct host_verif *out, struct svc_err *e)
{
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    struct host h;
    struct host_verif v;
    if ((rc = admin_load(host_id, &h, &v, e)) < 0) {
        tx_rollback();
        return rc;
    }
    enum verify_state from = rec_state(&v), to = from;
    int t = verify_transition(from, ev, &to);
    if (t < 0 && t != XC_ECONFLICT) {
        rc = t;
        goto fail;
    }
    snprintf(v.state, sizeof v.state, "%s", st_name(to));
    if (ev == VERIFY_EV_ADMIN_APPROVE) {
        v.deverify_reason[0] = '\0';
        v.verified_at = now;
        v.deverified_at = 0;
        v.cooldown_until = 0;
        v.next_check_at = now + VERIFY_INTERVAL_US;
        v.reverify_due = false;
    } else if (ev == VERIFY_EV_ADMIN_REJECT) {
        snprintf(v.deverify_reason, sizeof v.deverify_reason, "%s", reason);
        v.deverified_at = now;
    } else { /* REVERIFY_DUE forced by an admin */
        v.reverify_due = true;
    }
    if ((rc = tstore_verif_put(g_app->store, &v)) < 0 ||
        (rc = tstore_verif_history_add(g_app->store, host_id, v.state, v.score_e2, note, now)) < 0 ||
        (rc = mirror(&h, &v)) < 0 || (rc = state_events(&v, to != from, actor)) < 0)
        goto fail;
    host_free(&h);
    if ((rc = tx_commit()) < 0) {
        host_verif_free(&v);
        return rc;
    }
    if (out)
        *out = v;
    else
        host_verif_free(&v);
    return 0;
fail:
    host_free(&h);
    host_verif_free(&v);
    tx_rollback();
    return rc;
}

int verif_force(const char *host_id, const char *actor, int64_t now, struct host_verif *out, struct svc_err *e)
{
    return admin_apply(host_id, VERIFY_EV_REVERIFY_DUE, "", "Admin requested re-verification", actor, now, out, e);
}

int verif_approve(const char *host_id, const char *notes, const char *actor, int64_t now, struct svc_err *e)
{
    char *note = verify_admin_approve_note(notes);
    int rc = admin_apply(host_id, VERIFY_EV_ADMIN_APPROVE, "", note, actor, now, NULL, e);
    free(note);
    return rc;
}

int verif_reject(const char *host_id, const char *reason, const char *actor, int64_t now, struct svc_err *e)
{
    char *r = verify_admin_reject_reason(reason);
    int rc = admin_apply(host_id, VERIFY_EV_ADMIN_REJECT, r, r, actor, now, NULL, e);
    free(r);
    return rc;
}

/* ---- identity changes, failures, the schedule ---- */

int verif_host_changed(const char *host_id, int64_t now)
{
    struct host_verif v;
    int rc = tstore_verif_get(g_app->store, host_id, &v);
    if (rc == XC_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    snprintf(v.state, sizeof v.state, "%s", st_name(VERIFY_UNVERIFIED));
    v.reverify_due = true;
    if ((rc = tstore_verif_put(g_app->store, &v)) == 0)
        rc = tstore_verif_history_add(g_app->store, host_id, v.state, v.score_e2, "Host identity changed", now);
    host_verif_free(&v);
    return rc;
}

/* De-verifies a record (threshold or overdue) and mirrors it on the host. */
static int deverify(struct host_verif *v, const char *reason, int64_t now)
{
    snprintf(v->state, sizeof v->state, "%s", st_name(VERIFY_DEVERIFIED));
    snprintf(v->deverify_reason, sizeof v->deverify_reason, "%s", reason);
    v->deverified_at = now;
    v->cooldown_until = now + VERIFY_COOLDOWN_US;
    struct host h;
    int rc = tstore_verif_put(g_app->store, v);
    if (rc == 0)
        rc = tstore_verif_history_add(g_app->store, v->host_id, v->state, v->score_e2, reason, now);
    if (rc == 0 && store_host_get(g_app->store, v->host_id, &h) == 0) {
        rc = mirror(&h, v);
        host_free(&h);
    }
    return rc < 0 ? rc : state_events(v, true, "system");
}

int verif_host_failure(const char *host_id, const char *job_id, const char *reason, int64_t now)
{
    int rc = tstore_failure_add(g_app->store, host_id, job_id, now, reason);
    if (rc < 0)
        return rc;
    struct host_verif v;
    if ((rc = tstore_verif_get(g_app->store, host_id, &v)) < 0)
        return rc == XC_ENOTFOUND ? 0 : rc;
    int64_t *at = NULL;
    size_t n = 0;
    if ((rc = tstore_failures_since(g_app->store, host_id, now - VERIFY_FAILURE_WINDOW_US, &at, &n)) == 0) {
        int count = verify_failures_in_window(at, n, now);
        if (verify_failure_trips(rec_state(&v), count)) {
            char *why = verify_failure_reason(count);
            v.failure_count = count;
            rc = deverify(&v, why, now);
            free(why);
        }
    }
    free(at);
    host_verif_free(&v);
    return rc;
}

int verif_sweep(int64_t now)
{
    struct host_verif *v = NULL;
    size_t n = 0;
    int rc = tstore_verif_list(g_app->store, NULL, &v, &n);
    if (rc < 0)
        return rc;
    bool any = false;
    for (size_t i = 0; i < n && rc == 0; i++) {
        enum verify_due d = verify_schedule(rec_state(&v[i]), tin(v[i].next_check_at), now);
        if (d == VERIFY_DUE_NONE)
            continue;
        if (!any && (rc = tx_begin()) < 0)
            break;
        any = true;
        if (d == VERIFY_DUE_MARK) {
            snprintf(v[i].state, sizeof v[i].state, "%s", st_name(VERIFY_VERIFYING));
            v[i].reverify_due = true;
            struct host h;
            if ((rc = tstore_verif_put(g_app->store, &v[i])) == 0 &&
                store_host_get(g_app->store, v[i].host_id, &h) == 0) {
                rc = mirror(&h, &v[i]);
                host_free(&h);
            }
            if (rc == 0)
                rc = state_events(&v[i], true, "system");
        } else {
            rc = deverify(&v[i], VERIFY_REASON_OVERDUE, now);
        }
    }
    for (size_t i = 0; i < n; i++)
        host_verif_free(&v[i]);
    free(v);
    if (!any)
        return rc;
    return rc < 0 ? (tx_rollback(), rc) : tx_commit();
}
