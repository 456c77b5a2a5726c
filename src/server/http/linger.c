/* Lingering close of refused uploads (see linger.h): one thread, poll() over a small table. */
#include "server/http/linger.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

#define LINGER_MAX 64                      /* sockets held at once; more close at once */
#define LINGER_US (2 * INT64_C(1000000))   /* how long one socket is drained at most */
#define LINGER_BYTES ((int64_t)16 << 20)   /* how much of it is read and dropped at most */

struct lsock {
    int fd;
    int64_t deadline_us, bytes;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct lsock socks[LINGER_MAX];
static int nsocks;
static int wake[2] = {-1, -1};
static bool running;
static pthread_t thread;

static void *run(void *arg)
{
    (void)arg;
    static char sink[65536];
    for (;;) {
        struct pollfd p[LINGER_MAX + 1];
        int n;
        int64_t now = clock_mono_us(), next = now + LINGER_US;
        pthread_mutex_lock(&mu);
        if (!running) {
            pthread_mutex_unlock(&mu);
            break;
        }
        /* Drop the sockets whose time or byte budget is spent. */
        for (int i = 0; i < nsocks;) {
            if (socks[i].deadline_us <= now || socks[i].bytes >= LINGER_BYTES) {
                close(socks[i].fd);
                socks[i] = socks[--nsocks];
                continue;
            }
            if (socks[i].deadline_us < next)
                next = socks[i].deadline_us;
            i++;
        }
        n = nsocks;
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = socks[i].fd, .events = POLLIN};
        pthread_mutex_unlock(&mu);
        p[n] = (struct pollfd){.fd = wake[0], .events = POLLIN};
        int timeout_ms = (int)((next - now) / 1000) + 1;
        if (poll(p, (nfds_t)n + 1, timeout_ms) < 0 && errno != EINTR)
            break;
        if (p[n].revents & POLLIN)
            while (read(wake[0], sink, sizeof sink) > 0) {
            }
        pthread_mutex_lock(&mu);
        /* Entries 0..n-1 are still the polled sockets: only this thread removes entries, and
         * linger_add() appends past n. Walk backwards so a removal keeps the unvisited ones. */
        for (int i = n - 1; i >= 0; i--) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = recv(socks[i].fd, sink, sizeof sink, MSG_DONTWAIT);
            if (got > 0) {
                socks[i].bytes += got;
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(socks[i].fd); /* the peer closed (or reset): done */
                socks[i] = socks[--nsocks];
            }
        }
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int linger_start(void)
{
    int rc = -1;
    pthread_mutex_lock(&mu);
    if (running) {
        rc = 0;
        goto out;
    }
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        log_warn("linger: pipe: %s; refused uploads will be closed at once", strerror(errno));
        goto out;
    }
    running = true;
    if (pthread_create(&thread, NULL, run, NULL) != 0) {
        running = false;
        close(wake[0]);
        close(wake[1]);
        wake[0] = wake[1] = -1;
        log_warn("linger: cannot start its thread; refused uploads will be closed at once");
        goto out;
    }
    rc = 0;
out:
    pthread_mutex_unlock(&mu);
    return rc;
}

void linger_add(int fd)
{
    shutdown(fd, SHUT_WR); /* the reply has gone out: FIN after it */
    pthread_mutex_lock(&mu);
    if (!running || nsocks == LINGER_MAX) {
        pthread_mutex_unlock(&mu);
        close(fd);
        return;
    }
    socks[nsocks++] = (struct lsock){fd, clock_mono_us() + LINGER_US, 0};
    pthread_mutex_unlock(&mu);
    ssize_t w = write(wake[1], "", 1);
    (void)w; /* a full pipe already wakes the thread */
}

void linger_stop(void)
{
    pthread_mutex_lock(&mu);
    bool was = running;
    running = false;
    pthread_mutex_unlock(&mu);
    if (!was)
        return;
    ssize_t w = write(wake[1], "", 1);
    (void)w;
    pthread_join(thread, NULL);
    for (int i = 0; i < nsocks; i++)
        close(socks[i].fd);
    nsocks = 0;
    close(wake[0]);
    close(wake[1]);
    wake[0] = wake[1] = -1;
}
