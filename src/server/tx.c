#include "server/tx.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/ids.h"
#include "common/log.h"
#include "core/hashchain.h"
#include "server/app.h"
#include "server/metrics.h"
#include "server/sse.h"

/* Per-thread: transactions are never shared between threads (the store lock serialises them). */
static _Thread_local json_t *pending_sse;
static _Thread_local int pending_events;

int tx_begin(void)
{
    int rc = store_tx_begin(g_app->store);
    if (rc == 0) {
        pending_sse = json_array();
        pending_events = 0;
    }
    return rc;
}

int tx_commit(void)
{
    int rc = store_tx_commit(g_app->store);
    json_t *msgs = pending_sse;
    pending_sse = NULL;
    if (rc == 0) {
        metrics_add_events(pending_events);
        size_t i;
        json_t *m;
        json_array_foreach(msgs, i, m)
        {
            sse_publish(json_string_value(json_array_get(m, 0)), json_incref(json_array_get(m, 1)));
        }
    }
    json_decref(msgs);
    return rc;
}

void tx_rollback(void)
{
    store_tx_rollback(g_app->store);
    json_decref(pending_sse);
    pending_sse = NULL;
}

void tx_sse(const char *event, json_t *data)
{
    if (!pending_sse) {
        sse_publish(event, data);
        return;
    }
    json_array_append_new(pending_sse, json_pack("[s,o]", event, data));
}

int tx_event(const char *event_type, const char *entity_type, const char *entity_id, const char *actor,
             json_t *data)
{
    struct event_row e = {0};
    char prev[65];
    json_t *meta = json_object();
    int rc = store_event_head(g_app->store, &e.seq, prev);
    if (rc < 0)
        goto out;
    e.seq++;
    ids_uuid4(e.event_id);
    e.ts_us = app_now();
    struct chain_event ce = {e.seq, e.event_id, event_type, entity_type, entity_id, actor, e.ts_us, data, meta, prev};
    if (hashchain_event_hash(g_app->event_key, &ce, e.event_hash) < 0) {
        log_error("event %s: data is not canonical (contains a real number)", event_type);
        rc = XC_EINVAL;
        goto out;
    }
    char *d = NULL, *m = NULL;
    hashchain_canonical(data, &d);
    hashchain_canonical(meta, &m);
    memcpy(e.prev_hash, prev, sizeof prev);
    e.event_type = event_type;
    e.entity_type = entity_type;
    e.entity_id = entity_id;
    e.actor = actor;
    e.data = d;
    e.metadata = m;
    char mac[65];
    hashchain_head_mac(g_app->event_key, e.seq, e.event_hash, mac);
    rc = store_event_append(g_app->store, &e, mac);
    free(d);
    free(m);
    if (rc == 0)
        pending_events++;
out:
    json_decref(meta);
    json_decref(data);
    return rc;
}
