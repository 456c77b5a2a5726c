/* Marketplace routes (api §7.2, §8.6; domain §15): list/unlist a rig, browse, search, stats and
 * the marketplace view of a billing record. With Canada-only mode on (XCELSIOR_CANADA_ONLY or
 * PUT /canada), browse and search show only listings of hosts whose country is CA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/xalloc.h"
#include "common/fixed.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/billing_svc.h"
#include "server/svc/reputation.h"
#include "server/api/handlers_billing.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "store/billing_store.h"


void h_market_list(struct req *r)
{
    const char *host_id, *model = NULL, *desc = "";
    int64_t price, vram = 0;
    body_str(r, "host_id", &host_id);
    body_int(r, "price_per_hour", &price);
    body_str(r, "gpu_model", &model);
    bool hv = body_int(r, "vram_gb", &vram);
    body_str(r, "description", &desc);
    if (auth_host_owner(r, host_id) < 0) /* O on the host named in the body */
        return;
    struct host h;
    int rc = valid_host_id(host_id) ? store_host_get(g_app->store, host_id, &h) : XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Host %.64s not found", host_id);
        return;
    }
    if (rc < 0) {
        reply_status(r, rc, "host read failed");
        return;
    }
    int64_t now = app_now();
    struct listing l;
    if ((rc = tx_begin()) < 0)
        goto out;
    bool had = bstore_listing_get(g_app->store, host_id, &l) == 0;
    if (!had || !l.active) {
        memset(&l, 0, sizeof l);
        snprintf(l.host_id, sizeof l.host_id, "%s", host_id);
        l.listed_at = now;
    }
    snprintf(l.owner, sizeof l.owner, "%s", h.owner);
    snprintf(l.gpu_model, sizeof l.gpu_model, "%s", model ? model : h.gpu_model);
    l.vram_mgb = hv ? vram : h.total_mgb;
    l.price_per_hour = price;
    snprintf(l.description, sizeof l.description, "%s", desc);
    l.updated_at = now;
    l.active = true;
    if ((rc = bstore_listing_put(g_app->store, &l)) == 0)
        rc = tx_event("host.updated", "host", host_id, "admin",
                      json_pack("{s:b,s:I}", "listed", 1, "price_per_hour_ucad", (json_int_t)price));
    if (rc == 0) {
        tx_sse("host_update", json_pack("{s:s,s:s,s:b,s:s,s:s}", "host_id", h.host_id, "status", hoststate_name(h.status), "admitted",
                                        h.admitted, "gpu_model", h.gpu_model, "country", h.country));
        if ((rc = tx_commit()) == 0)
            store_hosts_touch(g_app->store); /* the host view's rate and `listed` changed */
    } else {
        tx_rollback();
    }
out:
    if (rc < 0)
        reply_status(r, rc, "listing failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "listing", bsvc_listing_view(&l, &h)));
    host_free(&h);
}

void h_market_unlist(struct req *r)
{
    const char *host_id = r->nparams > 0 ? r->params[0] : "";
    struct listing l;
    int rc = valid_host_id(host_id) ? bstore_listing_get(g_app->store, host_id, &l) : XC_ENOTFOUND;
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Listing %.64s not found", host_id);
        return;
    }
    if (rc == 0 && l.active) {
        l.active = false;
        l.updated_at = app_now();
        if ((rc = tx_begin()) == 0) {
            if ((rc = bstore_listing_put(g_app->store, &l)) == 0 &&
                (rc = tx_event("host.updated", "host", host_id, "admin", json_pack("{s:b}", "listed", 0))) == 0) {
                if ((rc = tx_commit()) == 0)
                    store_hosts_touch(g_app->store);
            }
            else
                tx_rollback();
        }
    }
    if (rc < 0)
        reply_status(r, rc, "unlist failed");
    else
        reply_ok(r, 200, json_pack("{s:s}", "unlisted", host_id));
}

/* Listings with their hosts (NULL when the host is gone), Canada-only filtered. */
struct market_item {
    struct listing l;
    struct host h;
    bool has_host;
    int64_t rep; /* the host's live reputation final_score (tenths) */
};

static int load_items(bool active_only, struct market_item **out, size_t *n)
{
    struct listing *ls = NULL;
    size_t nl = 0;
    *out = NULL;
    *n = 0;
    int rc = bstore_listing_list(g_app->store, active_only, &ls, &nl);
    if (rc < 0)
        return rc;
    bool ca_only = atomic_load(&g_app->canada_only);
    int64_t now = app_now();
    struct market_item *it = xcalloc(nl + 1, sizeof *it);
    size_t k = 0;
    for (size_t i = 0; i < nl; i++) {
        it[k].l = ls[i];
        it[k].has_host = store_host_get(g_app->store, ls[i].host_id, &it[k].h) == 0;
        enum rep_tier tier;
        reputation_host_score(ls[i].host_id, now, &it[k].rep, &tier);
        if (!it[k].has_host)
            host_init(&it[k].h);
        if (ca_only && (!it[k].has_host || strcmp(it[k].h.country, "CA") != 0)) {
            host_free(&it[k].h);
            continue;
        }
        k++;
    }
    free(ls);
    *out = it;
    *n = k;
    return 0;
}

static void free_items(struct market_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++)
        host_free(&it[i].h);
    free(it);
}

void h_market_browse(struct req *r)
{
    bool active_only;
    query_bool(r, "active_only", &active_only);
    struct market_item *it;
    size_t n;
    int rc = load_items(active_only, &it, &n);
    if (rc < 0) {
        reply_status(r, rc, "listing read failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, bsvc_listing_view(&it[i].l, it[i].has_host ? &it[i].h : NULL));
    free_items(it, n);
    reply_ok(r, 200, json_pack("{s:o}", "listings", arr));
}

enum sort_key { SORT_PRICE, SORT_VRAM, SORT_REPUTATION, SORT_SCORE };
static enum sort_key g_sort; /* qsort context; set under the store-independent sort below */

static int item_cmp_key(const struct market_item *a, const struct market_item *b, enum sort_key k)
{
    int64_t x = 0, y = 0;
    switch (k) {
    case SORT_PRICE: return a->l.price_per_hour < b->l.price_per_hour ? -1 : a->l.price_per_hour > b->l.price_per_hour;
    case SORT_VRAM: x = a->l.vram_mgb, y = b->l.vram_mgb; break;
    case SORT_SCORE:
        x = a->has_host && a->h.has_score ? a->h.compute_score : -1;
        y = b->has_host && b->h.has_score ? b->h.compute_score : -1;
        break;
    case SORT_REPUTATION: x = a->rep, y = b->rep; break;
    }
    return x > y ? -1 : x < y; /* descending */
}

static _Thread_local enum sort_key tl_sort;

static int item_cmp(const void *pa, const void *pb)
{
    const struct market_item *a = pa, *b = pb;
    int c = item_cmp_key(a, b, tl_sort);
    return c ? c : strcmp(a->l.host_id, b->l.host_id);
}

void h_market_search(struct req *r)
{
    const char *model = NULL, *prov = NULL, *country = NULL, *sort = NULL;
    int64_t min_vram = 0, max_price = 0, min_rep = 0, limit;
    query_str(r, "gpu_model", &model);
    query_str(r, "province", &prov);
    query_str(r, "country", &country);
    query_str(r, "sort_by", &sort);
    bool h_vram = query_int(r, "min_vram", &min_vram), h_price = query_int(r, "max_price", &max_price),
         h_rep = query_int(r, "min_reputation", &min_rep);
    query_int(r, "limit", &limit);
    enum sort_key key = SORT_PRICE;
    if (!sort || strcmp(sort, "price") == 0)
        key = SORT_PRICE;
    else if (strcmp(sort, "vram") == 0)
        key = SORT_VRAM;
    else if (strcmp(sort, "reputation") == 0)
        key = SORT_REPUTATION;
    else if (strcmp(sort, "score") == 0)
        key = SORT_SCORE;
    else {
        reply_invalid(r, "query", "sort_by", "enum", "must be one of price, vram, reputation, score");
        return;
    }
    (void)g_sort;
    struct market_item *it;
    size_t n;
    int rc = load_items(true, &it, &n);
    if (rc < 0) {
        reply_status(r, rc, "listing read failed");
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct market_item *m = &it[i];
        const char *hp = m->has_host ? m->h.province : "", *hc = m->has_host ? m->h.country : "";
        bool ok = (!model || strcasestr(m->l.gpu_model, model)) && (!h_vram || m->l.vram_mgb >= min_vram) &&
                  (!h_price || m->l.price_per_hour <= max_price) && (!prov || strcasecmp(hp, prov) == 0) &&
                  (!country || strcasecmp(hc, country) == 0) && (!h_rep || m->rep >= min_rep);
        if (ok) {
            if (k != i) {
                struct market_item tmp = it[k];
                it[k] = *m;
                *m = tmp;
            }
            k++;
        }
    }
    tl_sort = key;
    qsort(it, k, sizeof *it, item_cmp);
    json_t *arr = json_array();
    for (size_t i = 0; i < k && (int64_t)i < limit; i++)
        json_array_append_new(arr, bsvc_listing_view(&it[i].l, it[i].has_host ? &it[i].h : NULL));
    free_items(it, n);
    json_t *fa = json_object();
    json_object_set_new(fa, "gpu_model", jx_str_or_null(model));
    json_object_set_new(fa, "min_vram", h_vram ? jx_fixed(min_vram, 3) : json_null());
    json_object_set_new(fa, "max_price", h_price ? jx_money(max_price) : json_null());
    json_object_set_new(fa, "province", jx_str_or_null(prov));
    json_object_set_new(fa, "country", jx_str_or_null(country));
    json_object_set_new(fa, "min_reputation", h_rep ? jx_fixed(min_rep, 1) : json_null());
    json_object_set_new(fa, "sort_by", json_string(sort ? sort : "price"));
    reply_ok(r, 200, json_pack("{s:I,s:o,s:o}", "total", (json_int_t)k, "listings", arr, "filters_applied", fa));
}

void h_market_stats(struct req *r)
{
    struct listing *ls = NULL;
    size_t n = 0;
    int rc = bstore_listing_list(g_app->store, false, &ls, &n);
    if (rc < 0) {
        reply_status(r, rc, "stats failed");
        return;
    }
    int64_t active = 0, jobs = 0, earned = 0, fee = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t j = 0, e = 0, f = 0, rf = 0;
        active += ls[i].active;
        bstore_host_earnings(g_app->store, ls[i].host_id, ls[i].listed_at, &j, &e, &f, &rf);
        jobs += j;
        earned += e;
        fee += f - rf;
    }
    free(ls);
    reply_ok(r, 200,
             json_pack("{s:{s:I,s:I,s:I,s:o,s:o,s:o}}", "stats", "total_listings", (json_int_t)n, "active_listings",
                       (json_int_t)active, "total_jobs_completed", (json_int_t)jobs, "total_host_payouts",
                       jx_money(earned), "platform_revenue", jx_money(fee), "default_platform_cut_pct",
                       jx_fixed(billing_cfg()->platform_cut_ppm, 6)));
}

void h_market_bill(struct req *r)
{
    const char *id;
    if (v_path_job_id(r, 0, &id) < 0)
        return;
    struct job j;
    int rc = store_job_get(g_app->store, id, &j);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Job %s not found", id);
        return;
    }
    if (rc < 0) {
        reply_status(r, rc, "job read failed");
        return;
    }
    struct bill_record rec;
    struct listing l;
    bool already = false;
    rc = bill_job_latest(&j, &rec, &already);
    if (rc == 1 || (rc == 0 && bstore_listing_get(g_app->store, rec.host_id, &l) != 0)) {
        reply_error(r, 400, "Could not bill marketplace job %s", j.job_id);
    } else if (rc < 0) {
        reply_status(r, rc, "billing failed");
    } else {
        reply_ok(r, 200,
                 json_pack("{s:{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:b}}", "bill", "job_id", rec.job_id, "host_id",
                           rec.host_id, "total_cost", jx_money(rec.cost), "platform_fee", jx_money(rec.platform_fee),
                           "host_payout", jx_money(rec.host_payout), "platform_cut_pct",
                           jx_fixed(rec.platform_cut_ppm, 6), "duration_sec", jx_fixed(fixed_rhu(rec.duration_us, 1000), 3),
                           "tier", rec.tier, "already_billed", already));
    }
    job_free(&j);
}
