/* Server transactions: one store transaction with its audit events and the SSE messages sent on
 * commit. */
#include "server/svc/tx.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/hashchain.h"
#include "server/app.h"
#include "server/http/metrics.h"
#include "server/http/sse.h"

/* Per-thread: transactions are never shared between threads (the store lock serialises them). */
static _Thread_local json_t *pending_sse;
static _Thread_local int pending_events;
static _Thread_local uint64_t *deferred; /* the running request's wait epoch, or NULL */
static void (*kick_hook_fn)(void); /* set once at start, read by every thread: atomic */

static void kick(void)
{
    void (*fn)(void) = __atomic_load_n(&kick_hook_fn, __ATOMIC_ACQUIRE);
    if (fn)
        fn();
}
static _Thread_local bool pending_kick;

/* Waiters of not-yet-committed epochs: SSE messages to publish and parked requests to resume.
 * Guarded by wait_mu; a waiter's suspend and resume happen only with it held. */
struct waiter {
    struct waiter *next;
    uint64_t epoch;
    json_t *msgs;                 /* or NULL */
    bool kick;                    /* wake the queue loop once durable */
    void (*resume)(void *arg);    /* or NULL */
    void *arg;
};
static pthread_mutex_t wait_mu = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *waiters;

static void publish(json_t *msgs)
{
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        sse_publish(json_string_value(json_array_get(m, 0)), json_incref(json_array_get(m, 1)));
    }
}

static void on_commit(void *ctx, uint64_t epoch, int rc)
{
    (void)ctx;
    pthread_mutex_lock(&wait_mu);
    struct waiter **p = &waiters, *done = NULL;
    while (*p) {
        struct waiter *w = *p;
        if (w->epoch <= epoch) {
            *p = w->next;
            w->next = done;
            done = w;
            if (w->resume)
                w->resume(w->arg);
        } else {
            p = &w->next;
        }
    }
    pthread_mutex_unlock(&wait_mu);
    while (done) {
        struct waiter *w = done;
        done = w->next;
        if (w->msgs && rc == 0)
            publish(w->msgs);
        if (w->kick && rc == 0)
            kick();
        json_decref(w->msgs);
        free(w);
    }
}

void tx_init(void)
{
    store_set_commit_hook(g_app->store, on_commit, NULL);
}

void tx_set_kick_hook(void (*fn)(void))
{
    __atomic_store_n(&kick_hook_fn, fn, __ATOMIC_RELEASE);
}

void tx_defer_begin(uint64_t *wait_epoch)
{
    deferred = wait_epoch;
}

void tx_defer_end(void)
{
    deferred = NULL;
}

bool tx_wait(uint64_t epoch, void (*suspend)(void *), void (*resume)(void *), void *arg)
{
    int rc;
    pthread_mutex_lock(&wait_mu);
    if (store_epoch_poll(g_app->store, epoch, &rc)) {
        pthread_mutex_unlock(&wait_mu);
        return false;
    }
    struct waiter *w = xcalloc(1, sizeof *w);
    w->epoch = epoch;
    w->resume = resume;
    w->arg = arg;
    suspend(arg);
    w->next = waiters;
    waiters = w;
    pthread_mutex_unlock(&wait_mu);
    return true;
}

void tx_sync(void)
{
    if (deferred && *deferred)
        store_epoch_wait(g_app->store, *deferred);
}

int tx_epoch_result(uint64_t epoch)
{
    int rc = 0;
    return store_epoch_poll(g_app->store, epoch, &rc) ? rc : XC_EDB;
}

/* Publishes msgs (and wakes the queue loop when kick) once epoch is durable (now, if it already
 * is). Steals msgs. */
static void publish_after(uint64_t epoch, json_t *msgs, bool kick_wanted)
{
    int rc;
    pthread_mutex_lock(&wait_mu);
    if (epoch == 0 || store_epoch_poll(g_app->store, epoch, &rc)) {
        pthread_mutex_unlock(&wait_mu);
        if (epoch == 0 || rc == 0) {
            publish(msgs);
            if (kick_wanted)
                kick();
        }
        json_decref(msgs);
        return;
    }
    struct waiter *w = xcalloc(1, sizeof *w);
    w->epoch = epoch;
    w->msgs = msgs;
    w->kick = kick_wanted;
    w->next = waiters;
    waiters = w;
    pthread_mutex_unlock(&wait_mu);
}

int tx_begin(void)
{
    int rc = store_tx_begin(g_app->store);
    if (rc == 0) {
        pending_sse = json_array();
        pending_events = 0;
        pending_kick = false;
    }
    return rc;
}

int tx_commit(void)
{
    uint64_t epoch;
    int rc = store_tx_commit_async(g_app->store, &epoch);
    json_t *msgs = pending_sse;
    pending_sse = NULL;
    if (rc == 0 && deferred) {
        if (epoch > *deferred)
            *deferred = epoch;
    } else if (rc == 0) {
        rc = store_epoch_wait(g_app->store, epoch);
    }
    if (rc < 0) {
        json_decref(msgs);
        return rc;
    }
    metrics_add_events(pending_events);
    publish_after(epoch, msgs, pending_kick);
    pending_kick = false;
    return 0;
}

void tx_rollback(void)
{
    store_tx_rollback(g_app->store);
    json_decref(pending_sse);
    pending_sse = NULL;
}

void tx_kick_scheduler(void)
{
    if (pending_sse)
        pending_kick = true;
    else
        kick();
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
