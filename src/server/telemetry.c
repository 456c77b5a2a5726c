#include "server/telemetry.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "common/jsonx.h"
#include "server/tx.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *latest; /* host_id -> {"metrics":{}, "received_at":us, "sse_at":us} */

void telemetry_put(const char *host_id, json_t *metrics, int64_t now)
{
    pthread_mutex_lock(&mu);
    if (!latest)
        latest = json_object();
    json_t *prev = json_object_get(latest, host_id);
    int64_t sse_at = prev ? json_integer_value(json_object_get(prev, "sse_at")) : 0;
    bool emit = now - sse_at >= 5000000;
    json_object_set_new(latest, host_id,
                        json_pack("{s:O,s:I,s:I}", "metrics", metrics, "received_at", (json_int_t)now, "sse_at",
                                  (json_int_t)(emit ? now : sse_at)));
    pthread_mutex_unlock(&mu);
    if (emit) {
        json_t *d = json_pack("{s:s}", "host_id", host_id);
        const char *keys[] = {"utilization", "temp", "memory_used_gb", "power_draw_w"};
        for (int i = 0; i < 4; i++) {
            json_t *v = json_object_get(metrics, keys[i]);
            json_object_set_new(d, keys[i], v ? json_incref(v) : json_null());
        }
        tx_sse("telemetry_update", d);
    }
}

static json_t *view(const char *host_id, json_t *rec)
{
    json_t *o = json_pack("{s:s,s:o}", "host_id", host_id, "timestamp",
                          jx_ts(json_integer_value(json_object_get(rec, "received_at"))));
    json_object_update(o, json_object_get(rec, "metrics"));
    return o;
}

json_t *telemetry_get(const char *host_id)
{
    pthread_mutex_lock(&mu);
    json_t *rec = latest ? json_object_get(latest, host_id) : NULL;
    json_t *out = rec ? view(host_id, rec) : NULL;
    pthread_mutex_unlock(&mu);
    return out;
}

json_t *telemetry_all(const char *only)
{
    json_t *out = json_object();
    pthread_mutex_lock(&mu);
    const char *k;
    json_t *rec;
    if (latest)
        json_object_foreach(latest, k, rec)
        {
            if (!only || strcmp(only, k) == 0)
                json_object_set_new(out, k, view(k, rec));
        }
    pthread_mutex_unlock(&mu);
    return out;
}

void telemetry_drop(const char *host_id)
{
    pthread_mutex_lock(&mu);
    if (latest)
        json_object_del(latest, host_id);
    pthread_mutex_unlock(&mu);
}
