/* The telemetry service: latest readings per host in memory, and their rate-limited SSE updates. */
#include "server/svc/telemetry.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "common/jsonx.h"
#include "common/units.h"
#include "server/svc/tx.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *latest; /* host_id -> {"metrics":{}, "received_at":us, "sse_at":us} */

static const char *const known[] = {"utilization", "memory_util", "temp", "temp_avg", "power_draw_w",
                                    "power_limit_w", "pcie_gen", "pcie_width", "pcie_tx_mb_s", "pcie_rx_mb_s",
                                    "gpu_count", "memory_total_gb", "memory_used_gb", "memory_free_gb",
                                    "memory_errors", "ecc_errors_single", "ecc_errors_double", "active_jobs",
                                    "egress_enforced", "gpus"};

void telemetry_put(const char *host_id, json_t *raw, int64_t agent_ts, int64_t now)
{
    json_t *metrics = json_object();
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        json_t *v = json_object_get(raw, known[i]);
        if (v)
            json_object_set(metrics, known[i], v);
    }
    pthread_mutex_lock(&mu);
    if (!latest)
        latest = json_object();
    json_t *prev = json_object_get(latest, host_id);
    int64_t sse_at = prev ? json_integer_value(json_object_get(prev, "sse_at")) : 0;
    bool emit = now - sse_at >= 5000000;
    json_object_set_new(latest, host_id,
                        json_pack("{s:O,s:I,s:I,s:I}", "metrics", metrics, "received_at", (json_int_t)now, "timestamp",
                                  (json_int_t)(agent_ts ? agent_ts : now), "sse_at", (json_int_t)(emit ? now : sse_at)));
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
    json_decref(metrics);
}

#define STALE_US (30 * SEC)

static json_t *view(json_t *rec, int64_t now)
{
    int64_t received = json_integer_value(json_object_get(rec, "received_at"));
    return json_pack("{s:b,s:o,s:o,s:O}", "stale", now - received > STALE_US, "timestamp",
                     jx_ts(json_integer_value(json_object_get(rec, "timestamp"))), "received_at", jx_ts(received),
                     "metrics", json_object_get(rec, "metrics"));
}

json_t *telemetry_get(const char *host_id, int64_t now)
{
    pthread_mutex_lock(&mu);
    json_t *rec = latest ? json_object_get(latest, host_id) : NULL;
    json_t *out = rec ? view(rec, now) : NULL;
    pthread_mutex_unlock(&mu);
    return out;
}

json_t *telemetry_all(const char *only, int64_t now)
{
    json_t *out = json_object();
    pthread_mutex_lock(&mu);
    const char *k;
    json_t *rec;
    if (latest)
        json_object_foreach(latest, k, rec)
        {
            if (!only || strcmp(only, k) == 0)
                json_object_set_new(out, k, view(rec, now));
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
