/* Server-Sent Events: suspended MHD connections resumed by publishes, with keepalives. */
#include "server/http/sse.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/jsonx.h"
#include "common/units.h"
#include "common/log.h"
#include "common/xalloc.h"

#define QUEUE_MAX 256
#define KEEPALIVE_US (30 * SEC)

struct client {
    struct client *next;
    struct MHD_Connection *conn;
    char job_id[33]; /* "" = all events */
    char *queue[QUEUE_MAX];
    size_t head, len;
    char *cur; /* message being written */
    size_t cur_off;
    bool suspended, closing;
    long long last_write_us, close_at_us;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tick_cv = PTHREAD_COND_INITIALIZER;
static struct client *clients;
static int nclients, max_clients = 1000;
static bool stopping, ticker_started;
static pthread_t ticker;

static void wake(struct client *c)
{
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
    }
}

/* Queues msg (owned) on c; a full queue disconnects the subscriber (api §5.1). */
static void push(struct client *c, char *msg)
{
    if (c->len == QUEUE_MAX) {
        free(msg);
        c->closing = true;
    } else {
        c->queue[(c->head + c->len) % QUEUE_MAX] = msg;
        c->len++;
    }
    wake(c);
}

static char *frame(const char *event, const json_t *data)
{
    char *d = jsonx_dump(data, NULL);
    char *m = xasprintf("event: %s\ndata: %s\n\n", event, d);
    free(d);
    return m;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct client *c = cls;
    pthread_mutex_lock(&mu);
    ssize_t n = 0;
    while ((size_t)n < max) {
        if (!c->cur) {
            if (c->len == 0)
                break;
            c->cur = c->queue[c->head];
            c->cur_off = 0;
            c->head = (c->head + 1) % QUEUE_MAX;
            c->len--;
        }
        size_t left = strlen(c->cur + c->cur_off), take = left < max - (size_t)n ? left : max - (size_t)n;
        memcpy(buf + n, c->cur + c->cur_off, take);
        n += (ssize_t)take;
        c->cur_off += take;
        if (c->cur[c->cur_off] == '\0') {
            free(c->cur);
            c->cur = NULL;
        }
    }
    if (n > 0) {
        c->last_write_us = clock_mono_us();
    } else if (c->closing || stopping) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        c->suspended = true;
        MHD_suspend_connection(c->conn);
    }
    pthread_mutex_unlock(&mu);
    return n;
}

static void release(void *cls)
{
    struct client *c = cls;
    pthread_mutex_lock(&mu);
    for (struct client **p = &clients; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            nclients--;
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < c->len; i++)
        free(c->queue[(c->head + i) % QUEUE_MAX]);
    free(c->cur);
    free(c);
}

static void *tick(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&tick_cv, &mu, &ts);
        long long now = clock_mono_us();
        for (struct client *c = clients; c; c = c->next) {
            if (c->close_at_us && now >= c->close_at_us && !c->closing) {
                c->closing = true;
                wake(c);
            } else if (now - c->last_write_us >= KEEPALIVE_US && c->len == 0) {
                c->last_write_us = now;
                push(c, xstrdup(": keepalive\n\n"));
            }
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int sse_init(int max)
{
    max_clients = max;
    stopping = false;
    if (pthread_create(&ticker, NULL, tick, NULL) != 0)
        return -1;
    ticker_started = true;
    return 0;
}

void sse_shutdown(void)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    for (struct client *c = clients; c; c = c->next) {
        c->closing = true;
        wake(c);
    }
    pthread_cond_broadcast(&tick_cv);
    pthread_mutex_unlock(&mu);
    if (ticker_started) {
        pthread_join(ticker, NULL);
        ticker_started = false;
    }
    /* Give resumed streams a moment to write their end before the daemon stops. */
    for (int i = 0; i < 50; i++) {
        pthread_mutex_lock(&mu);
        int n = nclients;
        pthread_mutex_unlock(&mu);
        if (n == 0)
            break;
        usleep(10000);
    }
}

void sse_publish(const char *event, json_t *data)
{
    const char *jid = json_string_value(json_object_get(data, "job_id"));
    char *msg = frame(event, data);
    pthread_mutex_lock(&mu);
    for (struct client *c = clients; c; c = c->next) {
        if (c->closing)
            continue;
        if (c->job_id[0] && (!jid || strcmp(jid, c->job_id) != 0))
            continue;
        push(c, xstrdup(msg));
    }
    pthread_mutex_unlock(&mu);
    free(msg);
    json_decref(data);
}

void sse_close_job_streams(const char *job_id, long long delay_us)
{
    pthread_mutex_lock(&mu);
    for (struct client *c = clients; c; c = c->next)
        if (c->job_id[0] && strcmp(c->job_id, job_id) == 0 && !c->close_at_us)
            c->close_at_us = clock_mono_us() + delay_us;
    pthread_mutex_unlock(&mu);
}

int sse_client_count(void)
{
    pthread_mutex_lock(&mu);
    int n = nclients;
    pthread_mutex_unlock(&mu);
    return n;
}

void sse_reply_stream(struct req *r, const char *job_id, json_t *replay, json_t *connected)
{
    pthread_mutex_lock(&mu);
    bool full = nclients >= max_clients || stopping;
    pthread_mutex_unlock(&mu);
    if (full) {
        json_decref(replay);
        json_decref(connected);
        reply_error(r, 503, "Too many event-stream subscribers");
        return;
    }
    struct client *c = xcalloc(1, sizeof *c);
    c->conn = r->conn;
    c->last_write_us = clock_mono_us();
    if (job_id)
        snprintf(c->job_id, sizeof c->job_id, "%s", job_id);
    size_t i;
    json_t *line;
    json_array_foreach(replay, i, line)
    {
        if (c->len < QUEUE_MAX - 1) {
            c->queue[c->len++] = frame("job_log", line);
        }
    }
    json_decref(replay);
    c->queue[(c->head + c->len++) % QUEUE_MAX] = frame("connected", connected);
    json_decref(connected);

    r->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, c, release);
    MHD_add_response_header(r->response, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r->response, "Cache-Control", "no-cache");
    MHD_add_response_header(r->response, "Connection", "keep-alive");
    MHD_add_response_header(r->response, "X-Accel-Buffering", "no");
    r->status = 200;
    req_detach_in_flight(r);
    pthread_mutex_lock(&mu);
    c->next = clients;
    clients = c;
    nclients++;
    pthread_mutex_unlock(&mu);
}
