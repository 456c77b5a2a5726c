/* The agent's pure decisions, unit-tested directly: the final report of a job attempt, which GPUs a
 * job gets, and cleaning container output to valid UTF-8. */
#include "agent/agent_internal.h"
#include "common/xalloc.h"
#include "core/jobstate.h"

#include <stdio.h>
#include <string.h>

int agent_pick_gpus(const int *load, int ngpu, int want, int *out)
{
    if (want <= 0 || want > ngpu || ngpu > MAX_GPUS)
        return -1;
    bool used[MAX_GPUS] = {false};
    for (int k = 0; k < want; k++) {
        int best = -1;
        for (int i = 0; i < ngpu; i++)
            if (!used[i] && (best < 0 || load[i] < load[best]))
                best = i;
        if (best < 0)
            return -1; /* cannot happen while want <= ngpu */
        used[best] = true;
    }
    int n = 0;
    for (int i = 0; i < ngpu; i++)
        if (used[i])
            out[n++] = i;
    return 0;
}

json_t *agent_final_report(const char *stop_reason, int exit_code, bool oom_killed, const char *mining_reason)
{
    const char *r = stop_reason ? stop_reason : "";
    enum jobstate_stop stop;
    if (strcmp(r, "lost") == 0)
        return NULL;
    if (jobstate_stop_parse(r, &stop) == 0) {
        /* A stop the control plane asked for ends as core says: preempted, cancelled (by its
         * owner, for lack of funds, at its maximum duration), or failed for mining. */
        const char *why = stop == JOB_STOP_PREEMPT ? "preempted" : stop == JOB_STOP_MINING ? "mining_detected" : r;
        return json_pack("{s:s,s:s}", "status", jobstate_name(jobstate_stop_outcome(stop, JOB_PREEMPTED)),
                         "failure_reason", why);
    }
    if (strcmp(r, "shutdown") == 0)
        return json_pack("{s:s,s:s}", "status", "preempted", "failure_reason", "agent_shutdown");
    if (strcmp(r, "mining_local") == 0)
        return json_pack("{s:s,s:i,s:s}", "status", "failed", "exit_code", exit_code, "failure_reason",
                         mining_reason && *mining_reason ? mining_reason : "mining_detected");
    if (exit_code == 0 && !oom_killed)
        return json_pack("{s:s,s:i}", "status", "completed", "exit_code", 0);
    if (oom_killed)
        return json_pack("{s:s,s:i,s:s}", "status", "failed", "exit_code", 137, "failure_reason", "oom_killed");
    char reason[48];
    snprintf(reason, sizeof reason, "exit code %d", exit_code);
    return json_pack("{s:s,s:i,s:s}", "status", "failed", "exit_code", exit_code, "failure_reason", reason);
}

char *agent_utf8_sanitize(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= n && c != 0;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len == 2 && c < 0xC2)
            ok = false; /* overlong */
        if (ok && len == 3) {
            unsigned cp = (c & 0x0F) << 12 | (p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
            ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (ok && len == 4) {
            unsigned cp = (c & 0x07) << 18 | (p[i + 1] & 0x3F) << 12 | (p[i + 2] & 0x3F) << 6 | (p[i + 3] & 0x3F);
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (ok) {
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
        } else {
            out[o++] = '?';
            i++;
        }
    }
    out[o] = '\0';
    return out;
}
