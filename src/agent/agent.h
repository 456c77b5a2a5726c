#ifndef XC_AGENT_AGENT_H
#define XC_AGENT_AGENT_H
#include "agent/agent_config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Runs the agent until SIGTERM/SIGINT or too many consecutive control-plane failures.
 * Returns the process exit status (0 after a graceful shutdown, 1 on a startup failure). */
int agent_run(struct agent_config *cfg);

/* Detects GPUs and probes versions, prints them as JSON to stdout (for `--probe`). */
int agent_probe_print(struct agent_config *cfg);

/* The terminal report for a job attempt whose container ended (pure; unit-tested).
 * stop_reason: "" (ran to the end), a server stop reason (preempt, cancel,
 * insufficient_funds, max_duration, mining), "mining_local" (this agent's detector; reason in
 * mining_reason), "shutdown" or "lost" (nothing is reported: returns NULL).
 * Returns the PATCH body (caller owns) without host_id. */
json_t *agent_final_report(const char *stop_reason, int exit_code, bool oom_killed, const char *mining_reason);

/* Picks GPU indices for a job: the `want` devices with the fewest active jobs (ties: lowest
 * index). load[i] is the active job count of GPU i. Returns 0 and fills out, or -1. */
int agent_pick_gpus(const int *load, int ngpu, int want, int *out);

/* Replaces bytes that are not valid UTF-8 (and NUL) with '?'; returns a new string. */
char *agent_utf8_sanitize(const char *s, size_t n);

#endif
