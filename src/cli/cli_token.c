/* The stored credential of `xcelsior login`: ~/.xcelsior/token (domain §27), one line, mode 0600
 * in a 0700 directory, written atomically (temporary file + rename) so a reader never sees half a
 * token. --token and XCELSIOR_API_TOKEN win over it (cli_ctx_resolve). */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

#define CLI_TOKEN_FILE_MAX 4096

static int token_dir(char *out, size_t n)
{
    const char *home = getenv("HOME");

    if (!home || !*home) {
        errno = ENOENT;
        return -1;
    }
    if (snprintf(out, n, "%s/.xcelsior", home) >= (int)n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int cli_token_path(char *out, size_t n)
{
    char dir[4096];

    if (token_dir(dir, sizeof dir) != 0)
        return -1;
    if (snprintf(out, n, "%s/token", dir) >= (int)n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

char *cli_token_read(void)
{
    char path[4096], buf[CLI_TOKEN_FILE_MAX];
    char *tok, *s, *e;
    FILE *f;
    size_t n;

    if (cli_token_path(path, sizeof path) != 0)
        return NULL;
    f = fopen(path, "re");
    if (!f)
        return NULL;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    for (s = buf; *s == ' ' || *s == '\t'; s++)
        ;
    for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
        ;
    tok = e > s ? xstrndup(s, (size_t)(e - s)) : NULL;
    explicit_bzero(buf, sizeof buf);
    return tok;
}

int cli_token_save(const char *token, char *where, size_t wn)
{
    char dir[4096], tmp[4200], path[4200];
    int fd = -1, ret = -1, saved;
    size_t len = strlen(token);

    if (token_dir(dir, sizeof dir) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/token", dir);
    snprintf(tmp, sizeof tmp, "%s/.token.%ld", dir, (long)getpid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    if (fchmod(fd, 0600) != 0 || write(fd, token, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
        fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto out;
    snprintf(where, wn, "%s", path);
    ret = 0;
out:
    saved = errno;
    if (fd >= 0)
        close(fd);
    if (ret != 0)
        unlink(tmp);
    errno = saved;
    return ret;
}

int cli_token_remove(void)
{
    char path[4096];

    if (cli_token_path(path, sizeof path) != 0)
        return -1;
    if (unlink(path) == 0)
        return 0;
    return errno == ENOENT ? 1 : -1;
}
