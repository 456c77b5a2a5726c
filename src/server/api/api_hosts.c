/* Hosts: registration/heartbeat, removal, listing, liveness check, version reports. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/xalloc.h"
#include "server/svc/admission.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/engine.h"
#include "server/svc/sla_svc.h"
#include "server/api/handlers.h"
#include "server/svc/telemetry.h"
#include "server/svc/tx.h"
#include "server/svc/jurisdiction.h"
#include "server/svc/verification.h"
#include "server/http/validate.h"
#include "server/api/views.h"

#include "common/units.h" /* SEC */

static void sse_host_update(const struct host *h)
{
    tx_sse("host_update", json_pack("{s:s,s:s,s:b,s:s,s:s}", "host_id", h->host_id, "status", hoststate_name(h->status), "admitted",
                                    h->admitted, "gpu_model", h->gpu_model, "country", h->country));
}

/* versions: at most 32 components, each a string (or null = not reported) of ≤ 64 chars. */
static int check_versions(struct req *r, json_t *versions)
{
    if (json_object_size(versions) > 32) {
        reply_invalid(r, "body", "versions", "too_long", "at most 32 components");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(versions, k, v)
    {
        if (!json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 64)) {
            reply_invalid(r, "body", "versions", "type_error", "component versions must be strings of at most 64 characters");
            return -1;
        }
    }
    return 0;
}

static int check_runtimes(struct req *r, json_t *runtimes)
{
    size_t i;
    json_t *v;
    if (json_array_size(runtimes) > 16) {
        reply_invalid(r, "body", "runtimes", "too_long", "at most 16 runtimes");
        return -1;
    }
    json_array_foreach(runtimes, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > 32) {
            reply_invalid(r, "body", "runtimes", "type_error", "runtimes must be strings such as \"runc\" or \"runsc\"");
            return -1;
        }
    }
    return 0;
}

/* Validated PUT /host body. */
struct host_body {
    const char *host_id, *ip, *gpu_model, *country, *province;
    int64_t total, free_, gpu_count, cost;
    bool has_gpu_count, has_cost, has_country, has_province;
    json_t *versions, *runtimes;
    const char *corp[4];
    const char *sla_tier; /* admin only (D§26.1); NULL when absent */
};

static const char *const corp_fields[4] = {"corporation_name", "business_number", "gst_hst_number", "legal_name"};

static int parse_host_body(struct req *r, struct host_body *b)
{
    memset(b, 0, sizeof *b);
    body_str(r, "host_id", &b->host_id);
    body_str(r, "ip", &b->ip);
    body_str(r, "gpu_model", &b->gpu_model);
    body_int(r, "total_vram_gb", &b->total);
    body_int(r, "free_vram_gb", &b->free_);
    if (b->free_ > b->total) {
        reply_invalid(r, "body", "free_vram_gb", "less_equal", "must not exceed total_vram_gb");
        return -1;
    }
    b->has_gpu_count = body_int(r, "gpu_count", &b->gpu_count);
    b->has_cost = body_int(r, "cost_per_hour", &b->cost);
    b->has_country = body_str(r, "country", &b->country);
    if (b->has_country && strlen(b->country) != 0 && strlen(b->country) != 2) {
        reply_invalid(r, "body", "country", "pattern", "must be a 2-letter country code");
        return -1;
    }
    b->has_province = body_str(r, "province", &b->province);
    body_json(r, "versions", &b->versions);
    body_json(r, "runtimes", &b->runtimes);
    if (b->versions && check_versions(r, b->versions) < 0)
        return -1;
    if (b->runtimes && check_runtimes(r, b->runtimes) < 0)
        return -1;
    for (int i = 0; i < 4; i++)
        body_str(r, corp_fields[i], &b->corp[i]);
    if (body_str(r, "sla_tier", &b->sla_tier) && !r->who.is_admin) {
        reply_error(r, 403, "sla_tier is set by an admin");
        return -1;
    }
    return 0;
}

static void upper_copy(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = (char)((src[i] >= 'a' && src[i] <= 'z') ? src[i] - 32 : src[i]);
    dst[i] = '\0';
}

/* Applies the optional location fields; replies 422 on a bad province and returns -1. */
static int apply_location(struct req *r, struct host *h, const struct host_body *b, bool *changed)
{
    char country[3], province[65];
    snprintf(country, sizeof country, "%s", h->country);
    snprintf(province, sizeof province, "%s", h->province);
    if (b->has_country)
        upper_copy(country, sizeof country, b->country);
    if (b->has_province)
        upper_copy(province, sizeof province, b->province);
    if ((strcmp(country, "CA") == 0 || country[0] == '\0') && province[0] && !valid_ca_province(province)) {
        reply_invalid(r, "body", "province", "enum",
                      "must be one of AB BC MB NB NL NS NT NU ON PE QC SK YT for Canadian hosts");
        return -1;
    }
    *changed = strcmp(country, h->country) != 0 || strcmp(province, h->province) != 0;
    memcpy(h->country, country, sizeof country);
    memcpy(h->province, province, sizeof province);
    return 0;
}

void h_host_put(struct req *r)
{
    struct host_body b;
    if (parse_host_body(r, &b) < 0)
        return;
    if (r->who.kind == PRINCIPAL_AGENT && auth_host(r, b.host_id) < 0)
        return;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    int64_t now = app_now();
    struct host h = {0}; /* host_free() is safe on a zeroed host */
    bool created = false, loc_changed = false, changed = false;
    char token[64] = "";
    if (tx_begin() < 0) {
        reply_status(r, XC_EDB, "begin");
        return;
    }
    int rc = store_host_get(g_app->store, b.host_id, &h);
    if (rc == XC_ENOTFOUND) {
        created = true;
        host_init(&h);
        snprintf(h.host_id, sizeof h.host_id, "%s", b.host_id);
        h.registered_at = now;
        /* The registering user owns the host (domain §2.1); operator and agent hosts have none. */
        if (r->who.kind == PRINCIPAL_USER)
            snprintf(h.owner, sizeof h.owner, "%s", r->who.user.user.user_id);
    } else if (rc < 0) {
        goto fail;
    } else if (r->who.kind == PRINCIPAL_USER && !r->who.is_admin && !auth_owns_host(&r->who, &h)) {
        tx_rollback();
        host_free(&h);
        reply_error(r, 403, "Host %s is owned by another provider", b.host_id);
        return;
    }
    int64_t old_total = h.total_mgb, old_gpus = h.gpu_count;
    char old_model[129];
    snprintf(old_model, sizeof old_model, "%s", h.gpu_model);
    snprintf(h.ip, sizeof h.ip, "%s", b.ip);
    snprintf(h.gpu_model, sizeof h.gpu_model, "%s", b.gpu_model);
    h.total_mgb = b.total;
    h.reported_free_mgb = b.free_;
    h.last_seen = now;
    if (b.has_gpu_count)
        h.gpu_count = (int)b.gpu_count;
    if (b.has_cost && h.cost_per_hour != b.cost) {
        h.cost_per_hour = b.cost;
        changed = true;
    }
    if (apply_location(r, &h, &b, &loc_changed) < 0) {
        tx_rollback();
        host_free(&h);
        return;
    }
    char *corp_dst[4] = {h.corporation_name, h.business_number, h.gst_hst_number, h.legal_name};
    for (int i = 0; i < 4; i++)
        if (b.corp[i] && *b.corp[i] && strcmp(corp_dst[i], b.corp[i]) != 0) {
            snprintf(corp_dst[i], 201, "%s", b.corp[i]);
            changed = true;
        }
    if (b.sla_tier && strcmp(b.sla_tier, h.sla_tier) != 0) {
        snprintf(h.sla_tier, sizeof h.sla_tier, "%s", b.sla_tier); /* one of the declared enum */
        changed = true;
    }
    bool identity_changed = !created && (loc_changed || old_total != h.total_mgb || old_gpus != h.gpu_count ||
                                         strcmp(old_model, h.gpu_model) != 0);
    if (identity_changed) {
        snprintf(h.verification_state, sizeof h.verification_state, "unverified");
        h.reverify_due = true;
        changed = true;
        if ((rc = verif_host_changed(h.host_id, now)) < 0 || (rc = juris_reclassify(&h)) < 0)
            goto fail;
    }
    if (!created && h.status == HOST_DEAD) {
        h.status = h.admitted ? HOST_ACTIVE : HOST_PENDING;
        if ((rc = tx_event("host.revived", "host", h.host_id, actor, json_object())) < 0 ||
            (rc = slasvc_host_back(h.host_id, now, actor)) < 0)
            goto fail;
        changed = true;
    }
    if (b.versions && (rc = admission_apply(&h, b.versions, b.runtimes, actor)) < 0)
        goto fail;
    if ((rc = store_host_put(g_app->store, &h)) < 0)
        goto fail;
    if (created) {
        rc = tx_event("host.registered", "host", h.host_id, actor,
                      json_pack("{s:s,s:I,s:i,s:s}", "gpu_model", h.gpu_model, "total_vram_mgb",
                                (json_int_t)h.total_mgb, "gpu_count", h.gpu_count, "country", h.country));
        if (rc < 0)
            goto fail;
        if (r->who.kind != PRINCIPAL_AGENT && (rc = auth_issue_agent_token(h.host_id, token, sizeof token)) < 0)
            goto fail;
    } else if (changed) {
        if ((rc = tx_event("host.updated", "host", h.host_id, actor, json_object())) < 0)
            goto fail;
    }
    if (created || changed || b.versions)
        sse_host_update(&h);
    if ((rc = tx_commit()) < 0) {
        host_free(&h);
        reply_status(r, rc, "commit");
        return;
    }
    json_t *out = json_object();
    json_object_set_new(out, "host", view_host(&h));
    json_object_set_new(out, "created", json_boolean(created));
    json_object_set_new(out, "agent_token", jx_str_or_null(token));
    json_object_set_new(out, "reverify_due", json_boolean(h.reverify_due));
    host_free(&h);
    reply_ok(r, 200, out);
    return;
fail:
    tx_rollback();
    host_free(&h);
    reply_status(r, rc, "host update failed");
}

void h_host_delete(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0 || auth_host(r, id) < 0)
        return;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    json_t *report = json_object();
    struct host h;
    int rc = tx_begin();
    if (rc < 0)
        goto reply;
    if ((rc = store_host_get(g_app->store, id, &h)) < 0) {
        tx_rollback();
        goto reply;
    }
    host_free(&h);
    if ((rc = engine_host_jobs_lost(id, "host_removed", actor, report)) < 0 ||
        (rc = store_agent_tokens_revoke(g_app->store, id)) < 0 || (rc = store_host_delete(g_app->store, id)) < 0 ||
        (rc = slasvc_host_back(id, app_now(), actor)) < 0 ||
        (rc = tx_event("host.removed", "host", id, actor, json_pack("{s:s}", "reason", "deleted"))) < 0) {
        tx_rollback();
        goto reply;
    }
    tx_sse("host_removed", json_pack("{s:s,s:s}", "host_id", id, "reason", "deleted"));
    if ((rc = tx_commit()) == 0)
        telemetry_drop(id);
reply:
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Host %s not found", id);
    } else if (rc < 0) {
        reply_status(r, rc, "host delete failed");
    } else {
        json_t *ids = json_array(), *rq = json_object_get(report, "requeued");
        size_t i;
        json_t *e;
        json_array_foreach(rq, i, e) json_array_append(ids, json_object_get(e, "job_id"));
        reply_ok(r, 200, json_pack("{s:s,s:o}", "removed", id, "requeued", ids));
    }
    json_decref(report);
}

static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uint64_t version;
    struct shared_body *body;
} list_cache[4];

#define HOST_PAGE_MAX 5000

/* One page of the host list, in registered_at, host_id order (keyset: rows after the cursor). */
struct host_page {
    bool active_only, canada;
    const char *only_host; /* an agent sees its own host only */
    const char *viewer;    /* a user (not admin) sees hosts they own, plus active ones with active_only */
    int64_t after_registered;
    const char *after_id;
    int limit;
};

static char *render_host_list(const struct host_page *pg, size_t *len, int *rc)
{
    struct host *hosts = NULL;
    size_t n = 0;
    int64_t counts[HOST__COUNT] = {0}, all = 0;
    if (pg->canada)
        *rc = store_host_list(g_app->store, true, &hosts, &n);
    else if ((*rc = store_host_counts(g_app->store, counts)) == 0)
        *rc = store_host_page(g_app->store, pg->active_only && !pg->viewer, pg->after_registered, pg->after_id,
                              pg->limit, &hosts, &n);
    if (*rc < 0)
        return NULL;
    json_t *arr = json_array(), *next = json_null();
    if (!pg->canada && n > 0 && (int)n == pg->limit) {
        char *c = xasprintf("%lld.%s", (long long)hosts[n - 1].registered_at, hosts[n - 1].host_id);
        next = json_string(c);
        free(c);
    }
    for (size_t i = 0; i < n; i++) {
        bool visible = !pg->only_host || strcmp(pg->only_host, hosts[i].host_id) == 0;
        if (pg->viewer)
            visible = (hosts[i].owner[0] && strcmp(hosts[i].owner, pg->viewer) == 0) ||
                      (pg->active_only && hosts[i].status == HOST_ACTIVE);
        if (visible && (!pg->canada || strcmp(hosts[i].country, "CA") == 0))
            json_array_append_new(arr, view_host(&hosts[i]));
        host_free(&hosts[i]);
    }
    free(hosts);
    for (int i = 0; i < HOST__COUNT; i++)
        all += counts[i];
    int64_t total = pg->only_host || pg->viewer || pg->canada ? (int64_t)json_array_size(arr)
                                                : pg->active_only ? counts[HOST_ACTIVE] : all;
    json_t *out = json_pack("{s:b,s:o,s:I,s:o}", "ok", 1, "hosts", arr, "total", (json_int_t)total, "next_cursor", next);
    char *body = jsonx_dump(out, len);
    json_decref(out);
    return body;
}

/* Renders the page fresh (agents, later pages, other sizes). */
static void reply_host_page(struct req *r, const struct host_page *pg)
{
    int rc = 0;
    size_t len;
    char *body = render_host_list(pg, &len, &rc);
    if (!body) {
        reply_status(r, rc, "host list failed");
        return;
    }
    reply_raw(r, 200, "application/json; charset=utf-8", body, len);
    free(body);
}

/* The operator's first pages of the default size are cached as rendered bodies, keyed by the
 * store's host version: such a page is rebuilt only after some host write was committed. */
static void reply_host_list(struct req *r, const struct host_page *pg)
{
    int rc = 0;
    size_t len;
    const char *viewer = pg->canada ? NULL : auth_view_user(&r->who);
    if (r->who.kind == PRINCIPAL_AGENT || viewer || pg->after_id || pg->limit != HOST_PAGE_MAX) {
        struct host_page own = *pg;
        if (r->who.kind == PRINCIPAL_AGENT)
            own.only_host = r->who.host_id;
        own.viewer = viewer;
        reply_host_page(r, &own);
        return;
    }
    int slot = (pg->active_only ? 1 : 0) + (pg->canada ? 2 : 0);
    pthread_mutex_lock(&list_mu);
    uint64_t v = store_hosts_version(g_app->store);
    if (!list_cache[slot].body || list_cache[slot].version != v) {
        char *body = render_host_list(pg, &len, &rc);
        if (!body) {
            pthread_mutex_unlock(&list_mu);
            reply_status(r, rc, "host list failed");
            return;
        }
        shared_body_unref(list_cache[slot].body);
        list_cache[slot].body = shared_body_new(body, len);
        list_cache[slot].version = v;
    }
    reply_shared(r, 200, "application/json; charset=utf-8", list_cache[slot].body);
    pthread_mutex_unlock(&list_mu);
}

void h_hosts_list(struct req *r)
{
    struct host_page pg = {0};
    int64_t limit;
    char after[65];
    const char *cursor = NULL;
    query_bool(r, "active_only", &pg.active_only);
    query_int(r, "limit", &limit);
    query_str(r, "cursor", &cursor);
    pg.limit = (int)limit;
    if (cursor) {
        char *dot = NULL;
        long long at = strtoll(cursor, &dot, 10);
        size_t n = dot && *dot == '.' ? strlen(dot + 1) : 0;
        if (!dot || dot == cursor || *dot != '.' || n == 0 || n >= sizeof after || !valid_host_id(dot + 1)) {
            reply_invalid(r, "query", "cursor", "pattern", "must be a next_cursor value from a previous page");
            return;
        }
        memcpy(after, dot + 1, n + 1);
        pg.after_registered = at;
        pg.after_id = after;
    }
    reply_host_list(r, &pg);
}

void h_hosts_ca(struct req *r)
{
    struct host_page pg = {.active_only = true, .canada = true, .limit = HOST_PAGE_MAX};
    reply_host_list(r, &pg);
}

void h_hosts_check(struct req *r)
{
    int rc = engine_sweep(NULL);
    if (rc == 0) /* the re-verification schedule (domain §18.4) rides on an explicit sweep too */
        rc = verif_sweep(app_now());
    if (rc < 0) {
        reply_status(r, rc, "sweep failed");
        return;
    }
    struct host *hosts = NULL;
    size_t n = 0;
    if ((rc = store_host_list(g_app->store, false, &hosts, &n)) < 0) {
        reply_status(r, rc, "host list failed");
        return;
    }
    int64_t now = app_now();
    json_t *res = json_object();
    for (size_t i = 0; i < n; i++) {
        bool alive = now - hosts[i].last_seen <= slasvc_heartbeat_timeout_us(&hosts[i]);
        json_object_set_new(res, hosts[i].host_id, json_string(alive ? "alive" : "dead"));
        host_free(&hosts[i]);
    }
    free(hosts);
    reply_ok(r, 200, json_pack("{s:o}", "results", res));
}

void h_agent_versions(struct req *r)
{
    const char *id = "";
    json_t *versions = NULL, *runtimes = NULL;
    body_str(r, "host_id", &id);
    body_json(r, "versions", &versions);
    body_json(r, "runtimes", &runtimes);
    if (runtimes && check_runtimes(r, runtimes) < 0)
        return;
    if (check_versions(r, versions) < 0)
        return;
    if (!valid_host_id(id)) {
        reply_error(r, 404, "Host %.80s not found", id);
        return;
    }
    if (auth_host(r, id) < 0)
        return;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct host h;
    int rc = tx_begin();
    if (rc < 0) {
        reply_status(r, rc, "begin");
        return;
    }
    if ((rc = store_host_get(g_app->store, id, &h)) < 0) {
        tx_rollback();
        if (rc == XC_ENOTFOUND)
            reply_error(r, 404, "Host %s not found", id);
        else
            reply_status(r, rc, "host get");
        return;
    }
    h.last_seen = app_now();
    if (h.status == HOST_DEAD) {
        h.status = HOST_PENDING;
        if ((rc = slasvc_host_back(h.host_id, h.last_seen, actor)) < 0) {
            tx_rollback();
            host_free(&h);
            reply_status(r, rc, "downtime close failed");
            return;
        }
    }
    if ((rc = admission_apply(&h, versions, runtimes, actor)) < 0 || (rc = store_host_put(g_app->store, &h)) < 0) {
        tx_rollback();
        host_free(&h);
        reply_status(r, rc, "admission failed");
        return;
    }
    sse_host_update(&h);
    if ((rc = tx_commit()) < 0) {
        host_free(&h);
        reply_status(r, rc, "commit");
        return;
    }
    json_t *out = json_object();
    json_object_set_new(out, "admitted", json_boolean(h.admitted));
    json_object_set_new(out, "details", view_admission_details(h.admission_details));
    json_object_set_new(out, "host", view_host(&h));
    host_free(&h);
    reply_ok(r, 200, out);
}

void h_host_agent_token(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0 || auth_host(r, id) < 0)
        return;
    char token[64], actor[80];
    struct host h;
    int rc = tx_begin();
    if (rc < 0) {
        reply_status(r, rc, "begin");
        return;
    }
    if ((rc = store_host_get(g_app->store, id, &h)) < 0) {
        tx_rollback();
        if (rc == XC_ENOTFOUND)
            reply_error(r, 404, "Host %s not found", id);
        else
            reply_status(r, rc, "host read failed");
        return;
    }
    host_free(&h);
    /* A new token replaces every earlier one of the host. */
    if ((rc = store_agent_tokens_revoke(g_app->store, id)) < 0 ||
        (rc = auth_issue_agent_token(id, token, sizeof token)) < 0 ||
        (rc = tx_event("host.updated", "host", id, auth_actor(r, actor, sizeof actor),
                       json_pack("{s:s}", "change", "agent_token_rotated"))) < 0) {
        tx_rollback();
        reply_status(r, rc, "token issue failed");
        return;
    }
    if ((rc = tx_commit()) < 0) {
        reply_status(r, rc, "commit");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s}", "host_id", id, "agent_token", token));
}
