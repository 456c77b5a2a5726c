/* Prometheus metrics: lock-free request counters and the /metrics text rendering. */
#include "server/http/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "core/states.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/http/routes.h"
#include "server/http/sse.h"

#define MAX_ROUTES 128
#define CLASSES 5 /* 1xx..5xx */

static atomic_llong req_count[MAX_ROUTES + 1][CLASSES];
static atomic_llong req_dur_us[MAX_ROUTES + 1];
static atomic_llong placements, pass_count, pass_us_total, events_total;

void metrics_observe_request(const struct route *rt, unsigned status, int64_t dur_us)
{
    size_t idx = rt ? (size_t)(rt - routes_table) : MAX_ROUTES;
    if (idx > MAX_ROUTES)
        idx = MAX_ROUTES;
    unsigned cls = status >= 100 && status < 600 ? status / 100 - 1 : 4;
    atomic_fetch_add(&req_count[idx][cls], 1);
    atomic_fetch_add(&req_dur_us[idx], dur_us);
}

void metrics_add_placements(int64_t n, int64_t pass_us)
{
    atomic_fetch_add(&placements, n);
    atomic_fetch_add(&pass_count, 1);
    atomic_fetch_add(&pass_us_total, pass_us);
}

void metrics_add_events(int64_t n)
{
    atomic_fetch_add(&events_total, n);
}

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *metrics_render(void)
{
    struct buf b = BUF_INIT;
    buf_reserve(&b, 8192);
    put(&b, "# HELP xcelsior_http_requests_total HTTP requests served, by route and status class.\n"
            "# TYPE xcelsior_http_requests_total counter\n");
    for (size_t i = 0; i <= MAX_ROUTES; i++) {
        if (i < MAX_ROUTES && i >= routes_count)
            continue;
        const char *method = i < routes_count ? routes_table[i].method : "any";
        const char *path = i < routes_count ? routes_table[i].pattern : "unmatched";
        for (int c = 0; c < CLASSES; c++) {
            long long v = atomic_load(&req_count[i][c]);
            if (v)
                put(&b, "xcelsior_http_requests_total{method=\"%s\",route=\"%s\",code=\"%dxx\"} %lld\n", method, path,
                    c + 1, v);
        }
    }
    put(&b, "# HELP xcelsior_http_request_duration_seconds_total Time spent serving requests, by route.\n"
            "# TYPE xcelsior_http_request_duration_seconds_total counter\n");
    for (size_t i = 0; i < routes_count && i < MAX_ROUTES; i++) {
        long long v = atomic_load(&req_dur_us[i]);
        if (v)
            put(&b, "xcelsior_http_request_duration_seconds_total{method=\"%s\",route=\"%s\"} %lld.%06lld\n",
                routes_table[i].method, routes_table[i].pattern, v / 1000000, v % 1000000);
    }
    int64_t hc[HOST__COUNT] = {0};
    store_host_counts(g_app->store, hc);
    put(&b, "# HELP xcelsior_hosts Registered hosts by status.\n# TYPE xcelsior_hosts gauge\n");
    for (int i = 0; i < HOST__COUNT; i++)
        put(&b, "xcelsior_hosts{status=\"%s\"} %lld\n", hoststate_name((enum hoststate)i), (long long)hc[i]);
    int64_t counts[JOB__COUNT];
    if (store_job_counts(g_app->store, counts) == 0) {
        put(&b, "# HELP xcelsior_jobs Jobs by status.\n# TYPE xcelsior_jobs gauge\n");
        for (int i = 0; i < JOB__COUNT; i++)
            put(&b, "xcelsior_jobs{status=\"%s\"} %lld\n", jobstate_name((enum jobstate)i), (long long)counts[i]);
        put(&b, "# HELP xcelsior_queue_depth Jobs waiting in the queue.\n# TYPE xcelsior_queue_depth gauge\n"
                "xcelsior_queue_depth %lld\n",
            (long long)counts[JOB_QUEUED]);
    }
    put(&b, "# HELP xcelsior_scheduler_placements_total Jobs placed by queue passes.\n"
            "# TYPE xcelsior_scheduler_placements_total counter\nxcelsior_scheduler_placements_total %lld\n",
        (long long)atomic_load(&placements));
    put(&b, "# HELP xcelsior_scheduler_passes_total Queue passes run.\n"
            "# TYPE xcelsior_scheduler_passes_total counter\nxcelsior_scheduler_passes_total %lld\n",
        (long long)atomic_load(&pass_count));
    long long pu = atomic_load(&pass_us_total);
    put(&b, "# HELP xcelsior_scheduler_pass_seconds_total Time spent in queue passes.\n"
            "# TYPE xcelsior_scheduler_pass_seconds_total counter\nxcelsior_scheduler_pass_seconds_total %lld.%06lld\n",
        pu / 1000000, pu % 1000000);
    put(&b, "# HELP xcelsior_events_total Audit events appended since start.\n"
            "# TYPE xcelsior_events_total counter\nxcelsior_events_total %lld\n",
        (long long)atomic_load(&events_total));
    put(&b, "# HELP xcelsior_sse_clients Connected event-stream subscribers.\n"
            "# TYPE xcelsior_sse_clients gauge\nxcelsior_sse_clients %d\n",
        sse_client_count());
    return buf_take(&b, NULL);
}
