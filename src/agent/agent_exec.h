#ifndef XC_AGENT_EXEC_H
#define XC_AGENT_EXEC_H
#include <stdbool.h>
#include <stddef.h>

/* Result of running one program. out/err are NUL-terminated, owned by the result, and hold at
 * most the max_out bytes asked for (the rest of the stream is read and discarded). */
struct agent_exec_result {
    int exit_code;  /* exit status; -1 when killed by a signal or never started */
    bool timed_out; /* killed after timeout_ms */
    bool not_found; /* the program could not be executed (missing binary) */
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
};

/* Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, never through a shell.
 * The child gets its own process group, which is killed with SIGKILL after timeout_ms.
 * Returns 0 when the program ran to completion (whatever its exit status), -1 otherwise
 * (not found, spawn failure, timeout); r is filled in every case. Free r with
 * agent_exec_free. */
int agent_exec(const char *const argv[], int timeout_ms, size_t max_out, struct agent_exec_result *r);
void agent_exec_free(struct agent_exec_result *r);

/* Writes data to a new file in dir (mode 0600, name from prefix + random suffix) and returns its
 * path (caller frees and unlinks), or NULL on failure. */
char *agent_write_temp(const char *dir, const char *prefix, const char *data, size_t len);

#endif
