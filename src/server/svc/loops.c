/* The background loops: the sweep and the queue passes, each on its own interval. */
#include "server/svc/loops.h"

#include <pthread.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "server/app.h"
#include "server/svc/accounts.h"
#include "server/svc/billing_svc.h"
#include "server/svc/engine.h"
#include "server/svc/tx.h"
#include "server/svc/verification.h"

static pthread_t thread;
static bool started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool stop;
static bool kicked; /* new work or freed capacity since the last queue pass (under mu) */
#define KICK_GAP_US 100000
/* API key last_used is written in batches (domain §24: at most once per 60 s per key); expired
 * sessions, reset tokens, device codes and old login failures are purged less often. */
#define KEY_FLUSH_US (5 * 1000000LL)
#define ACCOUNTS_SWEEP_US (60 * 1000000LL)
/* Verified hosts whose next check is due are marked every 10 min (domain §18.4). */
#define VERIFY_SWEEP_US (600 * 1000000LL)

void loops_kick(void)
{
    pthread_mutex_lock(&mu);
    kicked = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void *run(void *arg)
{
    (void)arg;
    int64_t next_sweep = 0, next_queue = 0, next_spot = 0, next_kick_ok = 0;
    int64_t next_key_flush = clock_mono_us() + KEY_FLUSH_US, next_acct_sweep = clock_mono_us() + ACCOUNTS_SWEEP_US;
    int64_t next_verify = clock_mono_us() + VERIFY_SWEEP_US;
    bool kick = false;
    /* Spot repricing + preemption: off in test unless its interval was set (domain §1.3). */
    const struct billing_config *bc = billing_cfg();
    int64_t spot = (g_app->cfg.env == ENV_TEST && !bc->spot_interval_set) ? 0 : bc->spot_interval_sec * 1000000;
    next_spot = clock_mono_us() + spot;
    pthread_mutex_lock(&mu);
    while (!stop) {
        int64_t now = clock_mono_us();
        int64_t sweep = g_app->cfg.sweep_interval_sec * 1000000, queue = g_app->cfg.queue_interval_sec * 1000000;
        pthread_mutex_unlock(&mu);
        if (sweep > 0 && now >= next_sweep) {
            if (engine_sweep(NULL) < 0)
                log_warn("sweep failed; retrying next interval");
            next_sweep = now + sweep;
        }
        /* Queue passes follow each other while they place work, and start early when new work
         * or freed capacity was signalled; otherwise once per interval. */
        bool again = false;
        pthread_mutex_lock(&mu);
        kick = kick || kicked;
        kicked = false;
        pthread_mutex_unlock(&mu);
        /* After a pass that placed nothing, kicks wait KICK_GAP_US: a burst of submissions that
         * cannot fit does not turn into back-to-back passes over the whole queue. */
        if (queue > 0 && (now >= next_queue || (kick && now >= next_kick_ok))) {
            kick = false;
            json_t *assigned = json_array();
            size_t placed = 0;
            if (engine_queue_pass(false, assigned) < 0)
                log_warn("queue pass failed; retrying next interval");
            else if ((placed = json_array_size(assigned)) > 0)
                log_info("queue pass assigned %zu job(s)", placed);
            json_decref(assigned);
            next_queue = placed > 0 ? now : now + queue;
            next_kick_ok = placed > 0 ? now : clock_mono_us() + KICK_GAP_US;
            again = placed > 0;
        }
        if (spot > 0 && now >= next_spot) {
            json_t *prices = NULL, *preempted = NULL;
            if (bsvc_spot_cycle(&prices, &preempted) < 0)
                log_warn("spot cycle failed; retrying next interval");
            json_decref(prices);
            json_decref(preempted);
            next_spot = now + spot;
        }
        if (now >= next_key_flush) {
            (void)accounts_key_flush(NULL); /* logs its own failure; last_used is advisory */
            next_key_flush = now + KEY_FLUSH_US;
        }
        if (now >= next_verify) { /* re-verification schedule (domain §18.4) */
            if (verif_sweep(app_now()) < 0)
                log_warn("verification sweep failed; retrying next interval");
            next_verify = now + VERIFY_SWEEP_US;
        }
        if (now >= next_acct_sweep) {
            if (accounts_sweep(app_now()) < 0)
                log_warn("accounts sweep failed; retrying next interval");
            next_acct_sweep = now + ACCOUNTS_SWEEP_US;
        }
        pthread_mutex_lock(&mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (kick ? KICK_GAP_US / 2 : 250000) * 1000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (!stop && !kicked && !again)
            pthread_cond_timedwait(&cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

void loops_start(void)
{
    tx_set_kick_hook(loops_kick);
    stop = false;
    started = pthread_create(&thread, NULL, run, NULL) == 0;
}

void loops_stop(void)
{
    pthread_mutex_lock(&mu);
    stop = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (started)
        pthread_join(thread, NULL);
    /* Key uses noted since the last flush are written before the store closes. */
    (void)accounts_key_flush(NULL);
}
