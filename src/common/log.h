#ifndef XC_LOG_H
#define XC_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the threshold from "debug", "info", "warn" or "error"; returns -1 on an unknown name. */
int log_set_level(const char *name);
void log_set_level_value(enum log_level lvl);
/* One line to stderr: "<iso8601> <LEVEL> <message>". Thread-safe (one write per line). */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
