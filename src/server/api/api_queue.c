/* Queue passes, failover and Canada-only mode (domain §7, §10.4, §14). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "server/app.h"
#include "server/svc/engine.h"
#include "server/api/handlers.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"

#include "common/units.h" /* SEC */

static void queue_pass_reply(struct req *r, bool canada)
{
    json_t *assigned = json_array();
    int rc = engine_queue_pass(canada, assigned);
    if (rc < 0) {
        json_decref(assigned);
        reply_status(r, rc, "queue pass failed");
        return;
    }
    if (canada)
        reply_ok(r, 200, json_pack("{s:b,s:o}", "canada_only", 1, "assigned", assigned));
    else
        reply_ok(r, 200, json_pack("{s:o}", "assigned", assigned));
}

void h_queue_process(struct req *r) { queue_pass_reply(r, false); }
void h_queue_process_ca(struct req *r) { queue_pass_reply(r, true); }

static json_t *list_or_empty(json_t *report, const char *key)
{
    json_t *a = json_object_get(report, key);
    return a ? json_incref(a) : json_array();
}

void h_failover(struct req *r)
{
    const char *host_id = NULL;
    body_str(r, "host_id", &host_id);
    int rc;
    if (host_id) {
        struct host h;
        if (!valid_host_id(host_id) || (rc = store_host_get(g_app->store, host_id, &h)) == XC_ENOTFOUND) {
            reply_error(r, 404, "Host %.80s not found", host_id);
            return;
        }
        if (rc < 0) {
            reply_status(r, rc, "host read failed");
            return;
        }
        /* Declare it lost now: its heartbeat is older than the dead-after threshold. */
        h.last_seen = app_now() - (g_app->cfg.host_dead_after_sec + 1) * SEC;
        if ((rc = tx_begin()) == 0)
            rc = store_host_put(g_app->store, &h) == 0 ? tx_commit() : (tx_rollback(), XC_EDB);
        host_free(&h);
        if (rc < 0) {
            reply_status(r, rc, "host update failed");
            return;
        }
    }
    json_t *report = json_object(), *assigned = json_array();
    if ((rc = engine_sweep(report)) == 0 && json_array_size(json_object_get(report, "requeued")) > 0)
        rc = engine_queue_pass(false, assigned);
    if (rc < 0) {
        reply_status(r, rc, "failover failed");
    } else {
        reply_ok(r, 200,
                 json_pack("{s:o,s:o,s:o,s:O}", "dead_hosts", list_or_empty(report, "dead_hosts"), "requeued",
                           list_or_empty(report, "requeued"), "failed", list_or_empty(report, "failed"), "assigned",
                           assigned));
    }
    json_decref(report);
    json_decref(assigned);
}

void h_canada_get(struct req *r)
{
    reply_ok(r, 200, json_pack("{s:b}", "canada_only", atomic_load(&g_app->canada_only)));
}

void h_canada_put(struct req *r)
{
    bool on = false;
    body_bool(r, "enabled", &on);
    int rc = tx_begin();
    if (rc == 0)
        rc = store_setting_set(g_app->store, "canada_only", on ? "true" : "false") == 0 ? tx_commit() : (tx_rollback(), XC_EDB);
    if (rc < 0) {
        reply_status(r, rc, "setting write failed");
        return;
    }
    atomic_store(&g_app->canada_only, on);
    reply_ok(r, 200, json_pack("{s:b}", "canada_only", on));
}
