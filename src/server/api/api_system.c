/* Operations routes: liveness, readiness, metrics, dashboard, the event stream, audit, the
 * test clock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/embedded.h"
#include "common/errors.h"
#include "common/jsonx.h"
#include "core/hashchain.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/svc/engine.h"
#include "server/api/handlers.h"
#include "server/api/jobs_common.h"
#include "server/api/views.h"
#include "server/http/metrics.h"
#include "server/http/sse.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"

void h_root(struct req *r)
{
    reply_ok(r, 200, json_pack("{s:s,s:s,s:s}", "name", "Xcelsior", "status", "running", "version", XC_VERSION));
}

/* Liveness only (no storage access): the body never changes, so it is rendered once and
 * shared by every reply. */
static struct shared_body *healthz_body;
static pthread_once_t healthz_once = PTHREAD_ONCE_INIT;

static void render_healthz(void)
{
    json_t *o = json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "status", "healthy", "env", g_app->cfg.env_name, "version",
                          XC_VERSION);
    size_t len;
    char *text = jsonx_dump(o, &len);
    json_decref(o);
    healthz_body = shared_body_new(text, len);
}

void h_healthz(struct req *r)
{
    pthread_once(&healthz_once, render_healthz);
    reply_shared(r, 200, "application/json; charset=utf-8", healthz_body);
}

void h_readyz(struct req *r)
{
    int rc = tx_begin();
    if (rc == 0)
        rc = store_healthcheck(g_app->store, app_now()) == 0 ? tx_commit() : (tx_rollback(), XC_EDB);
    if (rc < 0) {
        reply_error(r, 503, "Storage not ready: %s", xc_strerror(rc));
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:{s:b,s:s,s:s}}", "status", "ready", "storage", "ok", 1, "backend", "sqlite",
                               "detail", g_app->cfg.db_path));
}

/* Prometheus text by default (what scrapers expect); ?format=json gives the summary object. */
void h_metrics(struct req *r)
{
    const char *fmt = NULL;
    query_str(r, "format", &fmt);
    if (fmt && strcmp(fmt, "json") == 0) {
        int64_t c[JOB__COUNT], hc[HOST__COUNT] = {0};
        store_job_counts(g_app->store, c);
        store_host_counts(g_app->store, hc);
        reply_ok(r, 200,
                 json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:I}}", "metrics", "queue_depth",
                           (json_int_t)c[JOB_QUEUED], "assigned_jobs", (json_int_t)c[JOB_ASSIGNED], "running_jobs",
                           (json_int_t)c[JOB_RUNNING], "failed_jobs", (json_int_t)c[JOB_FAILED], "active_hosts",
                           (json_int_t)hc[HOST_ACTIVE], "pending_hosts", (json_int_t)hc[HOST_PENDING], "dead_hosts",
                           (json_int_t)hc[HOST_DEAD],
                           "sse_clients", sse_client_count(), "uptime_sec",
                           (json_int_t)((clock_wall_us() - g_app->started_at_us) / 1000000)));
        return;
    }
    char *text = metrics_render();
    reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}

void h_dashboard(struct req *r)
{
    for (const struct embedded_file *f = embedded_web; f->name; f++) {
        if (strcmp(f->name, "dashboard.html") == 0) {
            reply_raw(r, 200, "text/html; charset=utf-8", f->data, f->size);
            return;
        }
    }
    reply_error(r, 404, "Dashboard not built into this binary");
}

void h_stream(struct req *r)
{
    sse_reply_stream(r, NULL, NULL, json_pack("{s:s}", "status", "connected"));
}

void h_tiers(struct req *r)
{
    json_t *t = json_object();
    for (int i = 0; i < JOB_TIER__COUNT; i++)
        json_object_set_new(t, jobstate_tier_name(i),
                            json_pack("{s:i,s:o,s:s}", "priority", jobstate_tier_priority(i), "multiplier",
                                      jx_fixed(jobstate_tier_multiplier_ppm(i), 6), "label", jobstate_tier_label(i)));
    reply_ok(r, 200, json_pack("{s:o}", "tiers", t));
}

static bool test_env(struct req *r)
{
    if (g_app->cfg.env != ENV_TEST) {
        reply_error(r, 404, "Not found: %s", r->path);
        return false;
    }
    return true;
}

void h_test_clock(struct req *r)
{
    int64_t adv = 0;
    if (!test_env(r))
        return;
    body_int(r, "advance_sec", &adv);
    int64_t off = atomic_fetch_add(&g_app->clock_offset_us, adv * 1000000) + adv * 1000000;
    reply_ok(r, 200, json_pack("{s:I,s:o}", "offset_sec", (json_int_t)(off / 1000000), "now", jx_ts(app_now())));
}

void h_test_sweep(struct req *r)
{
    if (!test_env(r))
        return;
    int rc = engine_sweep(NULL);
    if (rc < 0)
        reply_status(r, rc, "sweep failed");
    else
        reply_ok(r, 200, NULL);
}

/* ---- audit ---- */

struct verify_ctx {
    int64_t checked, expect_seq;
    char prev[65];
    json_t *fail;
};

static int verify_row(void *vctx, const struct event_row *e)
{
    struct verify_ctx *c = vctx;
    c->checked++;
    char why[160] = "";
    if (e->seq != c->expect_seq)
        snprintf(why, sizeof why, "seq gap at %lld", (long long)c->expect_seq);
    else if (strlen(e->event_hash) != 64)
        snprintf(why, sizeof why, "missing hash at event %s", e->event_id);
    else if (strcmp(e->prev_hash, c->prev) != 0)
        snprintf(why, sizeof why, "prev_hash mismatch at event %s", e->event_id);
    else {
        json_t *d = json_loads(e->data, 0, NULL), *m = json_loads(e->metadata, 0, NULL);
        struct chain_event ce = {e->seq, e->event_id, e->event_type, e->entity_type, e->entity_id, e->actor,
                                 e->ts_us, d, m, e->prev_hash};
        char h[65] = "";
        if (!d || !m || hashchain_event_hash(g_app->event_key, &ce, h) < 0 || strcmp(h, e->event_hash) != 0)
            snprintf(why, sizeof why, "event_hash mismatch at event %s", e->event_id);
        json_decref(d);
        json_decref(m);
    }
    if (why[0]) {
        c->fail = json_pack("{s:b,s:I,s:s,s:I,s:s}", "valid", 0, "events_checked", (json_int_t)c->checked, "broken_at",
                            e->event_id, "broken_seq", (json_int_t)e->seq, "reason", why);
        return 1;
    }
    memcpy(c->prev, e->event_hash, 65);
    c->expect_seq++;
    return 0;
}

static json_t *integrity(bool valid, const struct verify_ctx *c, int64_t head_seq, const char *head_hash,
                         const char *broken_at, int64_t broken_seq, const char *reason)
{
    return json_pack("{s:{s:b,s:I,s:I,s:s,s:o,s:o,s:o}}", "chain_integrity", "valid", valid, "events_checked",
                     (json_int_t)c->checked, "head_seq", (json_int_t)head_seq, "head_hash", head_hash, "broken_at",
                     jx_str_or_null(broken_at), "broken_seq", broken_seq ? json_integer(broken_seq) : json_null(),
                     "reason", jx_str_or_null(reason));
}

void h_event_chain_verify(struct req *r)
{
    struct verify_ctx c = {0, 1, "", NULL};
    memset(c.prev, '0', 64);
    int64_t head_seq = 0;
    char head_hash[65], head_mac[65];
    int rc = store_event_head_mac(g_app->store, &head_seq, head_hash, head_mac);
    if (rc == 0)
        rc = store_events(g_app->store, NULL, NULL, 0, verify_row, &c);
    if (rc < 0) {
        reply_status(r, rc, "chain read failed");
        return;
    }
    if (c.fail) {
        json_t *f = c.fail;
        reply_ok(r, 200,
                 integrity(false, &c, head_seq, head_hash, json_string_value(json_object_get(f, "broken_at")),
                           json_integer_value(json_object_get(f, "broken_seq")),
                           json_string_value(json_object_get(f, "reason"))));
        json_decref(f);
        return;
    }
    char want[65] = "", why[160] = "";
    if (c.checked > 0 || head_mac[0]) {
        hashchain_head_mac(g_app->event_key, head_seq, head_hash, want);
        if (strcmp(want, head_mac) != 0)
            snprintf(why, sizeof why, "chain head MAC invalid");
        else if (head_seq != c.checked || strcmp(head_hash, c.prev) != 0)
            snprintf(why, sizeof why, "chain head mismatch (head seq %lld, last event seq %lld)", (long long)head_seq,
                     (long long)c.checked);
    }
    reply_ok(r, 200, integrity(why[0] == '\0', &c, head_seq, head_hash, NULL, why[0] ? head_seq : 0, why[0] ? why : NULL));
}

static int collect_event(void *ctx, const struct event_row *e)
{
    json_array_append_new(ctx, view_event(e));
    return 0;
}

void h_audit_job(struct req *r)
{
    struct job j;
    if (jobs_load_visible(r, 0, &j) < 0)
        return;
    json_t *events = json_array();
    int rc = store_events(g_app->store, "job", j.job_id, 1000, collect_event, events);
    if (rc < 0) {
        json_decref(events);
        reply_status(r, rc, "event read failed");
    } else {
        size_t n = json_array_size(events);
        reply_ok(r, 200, json_pack("{s:s,s:o,s:I}", "job_id", j.job_id, "events", events, "count", (json_int_t)n));
    }
    job_free(&j);
}
