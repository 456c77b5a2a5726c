/* Spot market routes (api §8.3, §7.2 GET /spot-prices; domain §11–12): current prices and
 * history, repricing on demand, spot job submission, the preemption cycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/billing_svc.h"
#include "server/api/handlers_billing.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"
#include "store/billing_store.h"


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
    query_bool(r, "history", &history);
    query_int(r, "limit", &limit);
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

