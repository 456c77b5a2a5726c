/* Spot market routes (api §8.3, §7.2 GET /spot-prices; domain §11–12): current prices and
 * history, repricing on demand, spot job submission, the preemption cycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/billing_svc.h"
#include "server/handlers_billing.h"
#include "server/tx.h"
#include "server/validate.h"
#include "server/views.h"
#include "store/billing_store.h"

#define MAX_BID_UCAD (INT64_C(1000) * 1000000)
#define MAX_VRAM_MGB (INT64_C(4096) * 1000)

static json_t *spot_entry_view(const struct spot_entry *e)
{
    return json_pack("{s:s,s:o,s:o,s:I,s:I,s:o}", "gpu_model", e->gpu_model, "price", jx_money(e->price), "base",
                     jx_money(e->base), "supply", (json_int_t)e->supply, "demand", (json_int_t)e->demand,
                     "computed_at", jx_ts(e->computed_at));
}

void h_spot_prices(struct req *r)
{
    bool history;
    int64_t limit;
    if (req_query_bool(r, "history", false, &history) < 0 || req_query_int(r, "limit", 100, 1, 1000, &limit) < 0)
        return;
    struct spot_entry *es = NULL;
    size_t n = 0;
    int rc = bstore_spot_latest_all(g_app->store, &es, &n);
    if (rc < 0) {
        reply_status(r, rc, "spot read failed");
        return;
    }
    json_t *prices = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(prices, es[i].gpu_model, jx_money(es[i].price));
    free(es);
    json_t *o = json_pack("{s:o}", "prices", prices);
    if (history) {
        if ((rc = bstore_spot_history(g_app->store, (int)limit, &es, &n)) < 0) {
            json_decref(o);
            reply_status(r, rc, "spot history failed");
            return;
        }
        json_t *h = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(h, spot_entry_view(&es[i]));
        free(es);
        json_object_set_new(o, "history", h);
    }
    reply_ok(r, 200, o);
}

void h_spot_update(struct req *r)
{
    json_t *prices = NULL;
    int rc = tx_begin();
    if (rc == 0) {
        if ((rc = bsvc_spot_recompute(app_now(), &prices)) == 0)
            rc = tx_commit();
        else
            tx_rollback();
    }
    if (rc < 0) {
        json_decref(prices);
        reply_status(r, rc, "spot update failed");
    } else {
        reply_ok(r, 200, json_pack("{s:o}", "prices", prices));
    }
}

void h_spot_cycle(struct req *r)
{
    json_t *prices, *preempted;
    int rc = bsvc_spot_cycle(&prices, &preempted);
    if (rc < 0)
        reply_status(r, rc, "preemption cycle failed");
    else
        reply_ok(r, 200, json_pack("{s:o,s:o}", "prices", prices, "preempted", preempted));
}

/* Body fields of POST /spot/job (those of POST /job that apply; tier/priority are ignored). */
static int parse_spot_job(struct req *r, struct job *j)
{
    const char *name, *image = NULL, *trust = NULL, *owner = NULL;
    int64_t vram, gpus = 1, bid, hours;
    json_t *cmd = NULL, *env = NULL;
    int rc;
    if (v_str(r, "name", true, 1, 128, &name) < 0)
        return -1;
    if (!valid_job_name(name)) {
        reply_invalid(r, "body", "name", "pattern", "must match ^[A-Za-z0-9][A-Za-z0-9._:/@ -]{0,127}$");
        return -1;
    }
    if (v_fixed(r, "vram_needed_gb", true, 3, 0, true, MAX_VRAM_MGB, &vram) < 0 ||
        v_fixed(r, "max_bid", true, 6, 0, true, MAX_BID_UCAD, &bid) < 0 || v_int(r, "num_gpus", false, 1, 64, &gpus) < 0 ||
        v_str(r, "image", false, 0, 255, &image) < 0 || v_str(r, "trust_tier", false, 0, 32, &trust) < 0 ||
        v_array(r, "command", false, &cmd) < 0 || v_object(r, "environment", false, &env) < 0 ||
        v_str(r, "owner", false, 0, 64, &owner) < 0)
        return -1;
    enum jobstate_trust tt = JOB_TRUST_COMMUNITY;
    if (trust && jobstate_trust_parse(trust, &tt) < 0) {
        reply_invalid(r, "body", "trust_tier", "enum", "must be one of community, residency, sovereignty, regulated");
        return -1;
    }
    if (image && *image && !valid_image_ref(image)) {
        reply_invalid(r, "body", "image", "pattern", "must be a Docker image reference");
        return -1;
    }
    if (cmd) {
        size_t i;
        json_t *a;
        if (json_array_size(cmd) > 64) {
            reply_invalid(r, "body", "command", "too_long", "at most 64 arguments");
            return -1;
        }
        json_array_foreach(cmd, i, a)
        {
            if (!json_is_string(a) || json_string_length(a) > 4096) {
                reply_invalid(r, "body", "command", "type_error", "every argument must be a string of at most 4096 bytes");
                return -1;
            }
        }
        free(j->command);
        j->command = jsonx_dump(cmd, NULL);
    }
    if (env) {
        const char *k;
        json_t *v;
        if (json_object_size(env) > 64) {
            reply_invalid(r, "body", "environment", "too_long", "at most 64 variables");
            return -1;
        }
        json_object_foreach(env, k, v)
        {
            if (!valid_env_key(k) || !json_is_string(v) || json_string_length(v) > 4096) {
                reply_invalid(r, "body", "environment", "type_error",
                              "names must match ^[A-Za-z_][A-Za-z0-9_]{0,127}$ and values be strings of at most 4096 bytes");
                return -1;
            }
        }
        free(j->environment);
        j->environment = jsonx_dump(env, NULL);
    }
    if ((rc = v_fixed(r, "max_duration_hours", false, 5, 0, true, 720 * 100000LL, &hours)) < 0)
        return -1;
    if (rc) {
        j->has_max_duration = true;
        j->max_duration_ms = hours * 36;
    }
    if (owner && *owner) {
        if (strncmp(owner, "cust-", 5) != 0 || !valid_job_id(owner + 5)) {
            reply_invalid(r, "body", "owner", "pattern", "must be a customer id: cust- followed by 32 hex characters");
            return -1;
        }
        snprintf(j->owner, sizeof j->owner, "%s", owner);
    }
    snprintf(j->name, sizeof j->name, "%s", name);
    j->vram_mgb = vram;
    j->num_gpus = (int)gpus;
    snprintf(j->tier, sizeof j->tier, "free");
    j->priority = 0;
    snprintf(j->trust_tier, sizeof j->trust_tier, "%s", jobstate_trust_name(tt));
    snprintf(j->image, sizeof j->image, "%s", image && *image ? image : g_app->cfg.default_image);
    j->spot = true;
    j->has_max_bid = true;
    j->max_bid = bid;
    return 0;
}

void h_spot_job(struct req *r)
{
    if (r->who.kind == PRINCIPAL_AGENT) {
        reply_error(r, 403, "Agents cannot submit jobs");
        return;
    }
    if (req_parse_json(r) < 0)
        return;
    struct job j;
    job_init(&j);
    if (parse_spot_job(r, &j) < 0)
        goto out;
    if (j.owner[0] && billing_customer_suspended(j.owner)) {
        reply_error(r, 403, "Account suspended: top up your wallet");
        goto out;
    }
    ids_hex128(j.job_id);
    j.submitted_at = app_now();
    j.max_retries = (int)g_app->cfg.max_retries;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    int rc = tx_begin();
    if (rc == 0) {
        if ((rc = store_job_put(g_app->store, &j)) == 0)
            rc = tx_event("job.submitted", "job", j.job_id, actor,
                          json_pack("{s:s,s:I,s:i,s:s,s:s,s:b,s:I}", "name", j.name, "vram_mgb", (json_int_t)j.vram_mgb,
                                    "num_gpus", j.num_gpus, "tier", j.tier, "trust_tier", j.trust_tier, "spot", 1,
                                    "max_bid_ucad", (json_int_t)j.max_bid));
        if (rc == 0) {
            tx_sse("job_submitted", json_pack("{s:s,s:s,s:s,s:s,s:b}", "job_id", j.job_id, "name", j.name, "tier",
                                              j.tier, "trust_tier", j.trust_tier, "spot", 1));
            tx_sse("spot_job_submitted",
                   json_pack("{s:s,s:s,s:o}", "job_id", j.job_id, "name", j.name, "max_bid", jx_money(j.max_bid)));
            rc = tx_commit();
        } else {
            tx_rollback();
        }
    }
    if (rc < 0)
        reply_status(r, rc, "spot job submit failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "job", view_job(&j, false)));
out:
    job_free(&j);
}
