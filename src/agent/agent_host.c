/* Host facts the agent reports: the GPUs (NVML, nvidia-smi or simulated), the versions of the
 * GPU and container stack, and the sandbox runtimes the container engine offers. */
#include "agent/agent_internal.h"
#include "agent/probe.h"
#include "common/fixed.h"
#include "common/log.h"
#include "core/admit.h"
#include "core/jobstate.h"
#include "core/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int agent_detect_gpus(struct agent *a)
{
    struct agent_config *c = a->cfg;
    char err[256] = "";
    if (c->simulate) {
        nvml_simulate(&a->gpu, c->sim_gpus, c->sim_vram_mgb);
        log_warn("SIMULATED GPUs: %d x %s GB (--simulate); this host runs no real GPU work", c->sim_gpus,
                 vram_fmt(c->sim_vram_mgb, err, sizeof err));
    } else if (nvml_open(&a->gpu, c->nvml_lib) == 0) {
        log_info("NVML loaded from %s (driver %s)", c->nvml_lib, a->gpu.driver_version);
    } else {
        log_warn("NVML unavailable (%s); falling back to nvidia-smi", a->gpu.error);
        char model[128];
        int count;
        int64_t tot, fr;
        if (nvml_smi_discover(model, sizeof model, &count, &tot, &fr, err, sizeof err) != 0) {
            log_error("no GPU found: %s (use --simulate to run without a GPU)", err);
            return -1;
        }
        a->gpu.source = GPU_SRC_SMI;
        nvml_smi_driver_version(a->gpu.driver_version, sizeof a->gpu.driver_version);
    }
    struct nvml_gpu g[MAX_GPUS];
    int n = nvml_collect(&a->gpu, g, MAX_GPUS);
    if (n <= 0) {
        log_error("no GPU found: %s", n < 0 ? "GPU query failed" : "the driver reports 0 devices");
        return -1;
    }
    snprintf(a->gpu_model, sizeof a->gpu_model, "%s", g[0].name[0] ? g[0].name : "Unknown GPU");
    a->gpu_count = n;
    a->total_cgb = a->free_cgb = 0;
    for (int i = 0; i < n; i++) {
        a->total_cgb += nvml_bytes_to_cgb(g[i].mem_total);
        a->free_cgb += nvml_bytes_to_cgb(g[i].mem_free);
    }
    memcpy(a->last, g, sizeof(struct nvml_gpu) * (size_t)n);
    a->nlast = n;
    log_info("GPUs: %d x %s, %.2f GB total", n, a->gpu_model, agent_centi(a->total_cgb));
    return 0;
}

void agent_gather_versions(struct agent *a)
{
    json_t *v = json_object();
    probe_local_versions(v);
    char *ver = docker_version_json(a->docker);
    if (ver) {
        char version[64], api[32];
        if (probe_parse_engine_version(ver, version, sizeof version, api, sizeof api, &a->engine_podman) == 0)
            json_object_set_new(v, "docker", json_string(version));
        free(ver);
    } else {
        log_warn("container engine at %s is not answering", a->cfg->docker_socket);
    }
    if (a->gpu.driver_version[0])
        json_object_set_new(v, "nvidia_driver", json_string(a->gpu.driver_version));
    if (a->gpu.cuda_version > 0) {
        char cuda[24];
        snprintf(cuda, sizeof cuda, "%d.%d", a->gpu.cuda_version / 1000, (a->gpu.cuda_version % 1000) / 10);
        json_object_set_new(v, "cuda", json_string(cuda));
    }
    if (a->cfg->simulate) {
        /* A simulated host shows it: the GPU stack versions are placeholders an operator must
         * explicitly accept by lowering the admission minimums. */
        json_object_set_new(v, "nvidia_ctk", json_string("0.0.0-simulated"));
        json_object_set_new(v, "simulated", json_string("true"));
    }
    json_object_set_new(v, "agent", json_string("xcelsior-agent " XC_VERSION));

    json_t *rt = json_pack("[s]", "runc");
    json_decref(a->engine_runtimes);
    a->engine_runtimes = docker_runtimes(a->docker);
    size_t i;
    json_t *e;
    json_array_foreach(a->engine_runtimes, i, e) {
        const char *name = json_string_value(e);
        if ((strcmp(name, "runsc") == 0 && json_object_get(v, "runsc")) ||
            ((strcmp(name, "kata") == 0 || strcmp(name, "kata-runtime") == 0) && json_object_get(v, "kata") &&
             json_array_size(rt) < 3))
            json_array_append_new(rt, json_string(strcmp(name, "runsc") == 0 ? "runsc" : "kata"));
    }
    json_decref(a->versions);
    json_decref(a->runtimes);
    a->versions = v;
    a->runtimes = rt;
}

static bool runtime_available(struct agent *a, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(a->runtimes, i, e) if (strcmp(json_string_value(e), name) == 0) return true;
    return false;
}

/* The engine's name for a sandbox runtime ("kata" may be registered as kata-runtime). */
static const char *engine_runtime_name(struct agent *a, const char *which)
{
    size_t i;
    json_t *e;
    json_array_foreach(a->engine_runtimes, i, e) {
        const char *n = json_string_value(e);
        if (strcmp(which, "runsc") == 0 && strcmp(n, "runsc") == 0)
            return "runsc";
        if (strcmp(which, "kata") == 0 && (strcmp(n, "kata") == 0 || strcmp(n, "kata-runtime") == 0))
            return strcmp(n, "kata") == 0 ? "kata" : "kata-runtime";
    }
    return NULL;
}

/* NULL = the engine default (hardened runc). */
const char *agent_choose_runtime(struct agent *a, const char *tier)
{
    /* The server's rule (core/trust trust_runtime_for, domain §20.1: isolation "preferred" above
     * community): such a job runs sandboxed where this host's own recommendation (§3.4) is a
     * sandbox; XCELSIOR_PREFER_GVISOR asks the same for community jobs. Otherwise, and whenever
     * the sandbox is not installed here, hardened runc (NULL): a preference, never a refusal. */
    enum jobstate_trust t = JOB_TRUST_COMMUNITY;
    enum admit_runtime rec = ADMIT_RT_RUNC;
    jobstate_trust_parse(tier, &t);
    admit_runtime_parse(a->recommended_runtime, &rec);
    if (a->cfg->simulate && runtime_available(a, "runsc"))
        rec = ADMIT_RT_RUNSC; /* simulated GPUs are in no gVisor list; the engine's runsc is real */
    enum admit_runtime rt = trust_runtime_for(t, rec);
    if (rt == ADMIT_RT_RUNC && a->cfg->prefer_gvisor && admit_runtime_sandboxed(rec))
        rt = rec;
    const char *name = admit_runtime_name(rt);
    return rt != ADMIT_RT_RUNC && runtime_available(a, name) ? engine_runtime_name(a, name) : NULL;
}
