/* The per-client request limit (per address and per identity): a sliding window estimated from
 * two fixed windows. */
#include "server/http/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define MAX_CLIENTS 100000
#define NBUCKETS 131071

struct client {
    struct client *next;
    char addr[96]; /* a client address, or an identity key ("user:<id>", "agent:<host>") */
    int64_t win_start, cur, prev, last_seen;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct client *table[NBUCKETS];
static int64_t limit = 120, window_us = 60000000;
static size_t count;

void ratelimit_init(int64_t lim, int64_t window_sec)
{
    limit = lim;
    window_us = window_sec * 1000000;
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

/* Drops the least recently seen client (a full scan; only when 100 000 are tracked). */
static void evict_oldest(void)
{
    struct client **victim = NULL;
    for (unsigned b = 0; b < NBUCKETS; b++)
        for (struct client **p = &table[b]; *p; p = &(*p)->next)
            if (!victim || (*p)->last_seen < (*victim)->last_seen)
                victim = p;
    if (victim) {
        struct client *c = *victim;
        *victim = c->next;
        free(c);
        count--;
    }
}

bool ratelimit_allow(const char *addr, int64_t now, int64_t *retry_after)
{
    if (limit <= 0)
        return true;
    pthread_mutex_lock(&mu);
    unsigned b = hash(addr);
    struct client *c = table[b];
    while (c && strcmp(c->addr, addr) != 0)
        c = c->next;
    if (!c) {
        if (count >= MAX_CLIENTS)
            evict_oldest();
        c = xcalloc(1, sizeof *c);
        snprintf(c->addr, sizeof c->addr, "%s", addr);
        c->win_start = now - now % window_us;
        c->next = table[b];
        table[b] = c;
        count++;
    }
    int64_t start = now - now % window_us;
    if (start != c->win_start) {
        c->prev = start - c->win_start == window_us ? c->cur : 0;
        c->cur = 0;
        c->win_start = start;
    }
    c->last_seen = now;
    /* Weighted estimate of the requests in the last window_us. */
    int64_t elapsed = now - start;
    __int128 est = ((__int128)c->prev * (window_us - elapsed) + window_us - 1) / window_us + c->cur; /* ceiling */
    bool ok = est < limit;
    if (ok) {
        c->cur++;
    } else {
        /* When the weighted estimate next drops below the limit. */
        int64_t wait_us;
        if (c->cur < limit && c->prev > 0)
            wait_us = window_us - (int64_t)((__int128)window_us * (limit - c->cur) / c->prev) - elapsed + 1;
        else
            wait_us = window_us - elapsed + window_us - (int64_t)((__int128)window_us * limit / c->cur);
        if (wait_us > window_us)
            wait_us = window_us;
        *retry_after = (wait_us + 999999) / 1000000;
        if (*retry_after < 1)
            *retry_after = 1;
    }
    pthread_mutex_unlock(&mu);
    return ok;
}
