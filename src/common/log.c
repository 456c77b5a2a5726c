/* Logging: one timestamped line per message to stderr, with a level threshold. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level threshold = LOG_INFO;
static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int log_set_level(const char *name)
{
    for (int i = 0; i <= LOG_ERROR; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            threshold = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_level_value(enum log_level lvl)
{
    threshold = lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (lvl < threshold)
        return;
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ %s ", ts.tv_nsec / 1000000, names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
