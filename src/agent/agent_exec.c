/* Running helper programs (mount, nft, ip, tailscale) without a shell: bounded output and a
 * timeout. */
#include "agent/agent_exec.h"

#include "common/clock.h"
#include "common/buf.h"
#include "common/ids.h"
#include "common/units.h"
#include "common/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Keeps the first max bytes of a stream; the rest is read and dropped. */
static void keep(struct buf *b, size_t max, const char *data, size_t n)
{
    if (b->len >= max)
        return;
    if (n > max - b->len)
        n = max - b->len;
    buf_put(b, data, n);
}

int agent_exec(const char *const argv[], int timeout_ms, size_t max_out, struct agent_exec_result *r)
{
    int rc = -1;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    struct buf so = BUF_INIT, se = BUF_INIT;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_init = false, attr_init = false;
    pid_t pid = -1;

    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
        goto out;
    if (posix_spawn_file_actions_init(&fa) != 0)
        goto out;
    fa_init = true;
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
    if (posix_spawnattr_init(&attr) != 0)
        goto out;
    attr_init = true;
    sigset_t none, deflt;
    sigemptyset(&none);
    sigemptyset(&deflt);
    sigaddset(&deflt, SIGPIPE);
    sigaddset(&deflt, SIGTERM);
    sigaddset(&deflt, SIGINT);
    sigaddset(&deflt, SIGHUP);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &deflt);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    int e = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
    if (e != 0) {
        r->not_found = (e == ENOENT || e == EACCES || e == ENOTDIR);
        pid = -1;
        goto out;
    }
    close(outp[1]);
    outp[1] = -1;
    close(errp[1]);
    errp[1] = -1;

    int64_t deadline = clock_mono_us() + timeout_ms * MSEC;
    struct pollfd pf[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
    int open_fds = 2;
    while (open_fds > 0) {
        int64_t left = (deadline - clock_mono_us()) / MSEC;
        if (left <= 0) {
            r->timed_out = true;
            break;
        }
        int n = poll(pf, 2, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t k = read(pf[i].fd, buf, sizeof buf);
            if (k > 0) {
                keep(i == 0 ? &so : &se, max_out, buf, (size_t)k);
            } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
                pf[i].fd = -1;
                open_fds--;
            }
        }
    }
    int status = 0;
    if (r->timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        goto out;
    }
    /* Output is closed: the program has exited or is about to; still bound the wait. */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            goto out;
        if (clock_mono_us() > deadline) {
            r->timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            goto out;
        }
        usleep(2000);
    }
    if (WIFEXITED(status)) {
        r->exit_code = WEXITSTATUS(status);
        rc = 0;
    }
out:
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_init)
        posix_spawnattr_destroy(&attr);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    r->out = buf_take(&so, &r->out_len);
    r->err = buf_take(&se, &r->err_len);
    return rc;
}

void agent_exec_free(struct agent_exec_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

char *agent_write_temp(const char *dir, const char *prefix, const char *data, size_t len)
{
    char rnd[33];
    ids_hex128(rnd);
    char *path = xasprintf("%s/%s%.16s", dir && *dir ? dir : "/tmp", prefix, rnd);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            unlink(path);
            free(path);
            return NULL;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}
