/* GPU telemetry (POST /agent/telemetry) and the mining detector: a GPU flagged for sustained
 * mining-like load has its jobs killed and reported (POST /agent/mining-alert). */
#include "agent/agent_internal.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>

static void collect_gpus(struct agent *a)
{
    struct nvml_gpu g[MAX_GPUS];
    int n = nvml_collect(&a->gpu, g, MAX_GPUS);
    if (n <= 0)
        return;
    int64_t fr = 0;
    for (int i = 0; i < n; i++)
        fr += nvml_bytes_to_cgb(g[i].mem_free);
    pthread_mutex_lock(&a->mu);
    memcpy(a->last, g, sizeof(struct nvml_gpu) * (size_t)n);
    a->nlast = n;
    a->free_cgb = fr;
    pthread_mutex_unlock(&a->mu);
}

void agent_telemetry(struct agent *a)
{
    collect_gpus(a);
    json_t *gpus = json_array(), *metrics = json_object();
    double ts = agent_now_s();
    pthread_mutex_lock(&a->mu);
    int n = a->nlast, active = agent_active_jobs(a);
    struct nvml_gpu g[MAX_GPUS];
    memcpy(g, a->last, sizeof(struct nvml_gpu) * (size_t)n);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        int avg = nvml_thermal_add(&a->thermal, g[i].index, g[i].temp_c);
        json_t *o = nvml_gpu_json(&a->gpu, &g[i], avg, ts);
        if (i == 0) {
            static const char *const flat[][2] = {
                {"utilization", "utilization"}, {"memory_util", "memory_util"}, {"temp", "temperature_c"},
                {"temp_avg", "temperature_avg_c"}, {"power_draw_w", "power_draw_w"}, {"power_limit_w", "power_limit_w"},
                {"pcie_gen", "pcie_gen"}, {"pcie_width", "pcie_width"}, {"pcie_tx_mb_s", "pcie_tx_mb_s"},
                {"pcie_rx_mb_s", "pcie_rx_mb_s"}, {"memory_total_gb", "memory_total_gb"},
                {"memory_used_gb", "memory_used_gb"}, {"memory_free_gb", "memory_free_gb"},
                {"memory_errors", "memory_errors"}, {"ecc_errors_single", "ecc_errors_single"},
                {"ecc_errors_double", "ecc_errors_double"}};
            for (size_t k = 0; k < sizeof flat / sizeof *flat; k++)
                json_object_set(metrics, flat[k][0], json_object_get(o, flat[k][1]));
        }
        json_array_append_new(gpus, o);
    }
    json_object_set_new(metrics, "gpu_count", json_integer(n));
    json_object_set_new(metrics, "active_jobs", json_integer(active));
    json_object_set_new(metrics, "egress_enforced", json_boolean(a->egress_enforced));
    json_object_set_new(metrics, "gpus", gpus);
    json_t *b = json_pack("{s:s,s:f,s:o}", "host_id", a->cfg->host_id, "timestamp", ts, "metrics", metrics);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "POST", "/agent/telemetry", b, 5000, &st, &resp) == 0 && st / 100 != 2)
        log_debug("telemetry: HTTP %ld", st);
    json_decref(resp);
    json_decref(b);
}

void agent_mining_check(struct agent *a)
{
    collect_gpus(a);
    struct nvml_gpu g[MAX_GPUS];
    int load[MAX_GPUS];
    pthread_mutex_lock(&a->mu);
    int n = a->nlast;
    memcpy(g, a->last, sizeof(struct nvml_gpu) * (size_t)n);
    memcpy(load, a->gpu_load, sizeof load);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        int idx = g[i].index;
        if (idx < 0 || idx >= MAX_GPUS || load[idx] == 0) {
            mining_reset(&a->mining, idx);
            continue;
        }
        struct mining_sample s = {.index = idx, .util = g[i].util_gpu, .mem_util = g[i].util_mem,
                                  .has_tx = g[i].has_pcie_tput, .tx_mb = nvml_kbs_to_mbs(g[i].pcie_tx_kbs)};
        struct mining_verdict v;
        if (mining_observe(&a->mining, &s, &v) != MINING_SUSTAINED)
            continue;
        log_warn("GPU %d: %s", idx, v.reason);
        char victims[64][80];
        int nv = 0;
        pthread_mutex_lock(&a->mu);
        for (struct agent_job *j = a->jobs; j; j = j->next) {
            if (j->done)
                continue;
            for (int k = 0; k < j->ngpus; k++) {
                if (j->gpus[k] == idx && nv < 64) {
                    snprintf(j->mining_reason, sizeof j->mining_reason, "%s", v.job_reason);
                    agent_initiate_stop(a, j, "mining_local", 0, true);
                    snprintf(victims[nv++], sizeof victims[0], "%s", j->job_id);
                    break;
                }
            }
        }
        pthread_mutex_unlock(&a->mu);
        for (int k = 0; k < nv; k++) {
            json_t *b = json_pack("{s:s,s:i,s:f,s:s,s:f,s:s,s:s,s:i,s:f}", "host_id", a->cfg->host_id, "gpu_index", idx,
                                  "confidence", v.confidence, "reason", v.reason, "timestamp", agent_now_s(), "job_id",
                                  victims[k], "action", "terminated", "utilization", (int)s.util, "pcie_tx_mb_s", s.tx_mb);
            long st;
            json_t *resp = NULL;
            if (agent_http_call(a->http, "POST", "/agent/mining-alert", b, 10000, &st, &resp) != 0 || st / 100 != 2)
                log_warn("mining alert for job %s was not accepted", victims[k]);
            json_decref(resp);
            json_decref(b);
        }
    }
}
