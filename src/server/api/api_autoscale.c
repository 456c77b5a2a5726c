/* The autoscale pool and its up/down/cycle (domain §13). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/svc/autoscale.h"
#include "server/api/handlers.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"

#include "common/units.h" /* SEC */

void h_pool_put(struct req *r)
{
    struct pool_entry p = {0};
    const char *id, *ip, *model, *country = "", *province = "";
    int64_t vram, gpus = 1, cost = 200000;
    body_str(r, "host_id", &id);
    body_str(r, "ip", &ip);
    body_str(r, "gpu_model", &model);
    body_int(r, "vram_gb", &vram);
    body_int(r, "gpu_count", &gpus);
    body_int(r, "cost_per_hour", &cost);
    body_str(r, "country", &country);
    body_str(r, "province", &province);
    struct pool_entry old;
    if (store_pool_get(g_app->store, id, &old) == 0) {
        p.provisioned = old.provisioned;
        p.provisioned_at = old.provisioned_at;
    }
    snprintf(p.host_id, sizeof p.host_id, "%s", id);
    snprintf(p.ip, sizeof p.ip, "%s", ip);
    snprintf(p.gpu_model, sizeof p.gpu_model, "%s", model);
    p.vram_mgb = vram;
    p.gpu_count = (int)gpus;
    p.cost_per_hour = cost;
    for (int i = 0; i < 2 && country[i]; i++)
        p.country[i] = (char)(country[i] >= 'a' && country[i] <= 'z' ? country[i] - 32 : country[i]);
    for (int i = 0; i < 64 && province[i]; i++)
        p.province[i] = (char)(province[i] >= 'a' && province[i] <= 'z' ? province[i] - 32 : province[i]);
    int rc = tx_begin();
    if (rc == 0)
        rc = store_pool_put(g_app->store, &p) == 0 ? tx_commit() : (tx_rollback(), XC_EDB);
    if (rc < 0)
        reply_status(r, rc, "pool write failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "pool_entry", view_pool_entry(&p)));
}

void h_pool_list(struct req *r)
{
    struct pool_entry *p = NULL;
    size_t n = 0;
    int rc = store_pool_list(g_app->store, &p, &n);
    if (rc < 0) {
        reply_status(r, rc, "pool read failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_pool_entry(&p[i]));
    free(p);
    reply_ok(r, 200, json_pack("{s:o}", "pool", arr));
}

void h_pool_delete(struct req *r)
{
    const char *id;
    if (v_path_host_id(r, 0, &id) < 0)
        return;
    struct pool_entry p;
    int rc = store_pool_get(g_app->store, id, &p);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Pool entry %s not found", id);
        return;
    }
    if (rc == 0 && p.provisioned) {
        struct job *jobs = NULL;
        size_t n = 0;
        if ((rc = store_jobs_active_on_host(g_app->store, id, &jobs, &n)) == 0) {
            for (size_t i = 0; i < n; i++)
                job_free(&jobs[i]);
            free(jobs);
            if (n > 0) {
                reply_error(r, 409, "Pool entry %s is provisioned with %zu active job(s)", id, n);
                return;
            }
        }
    }
    if (rc == 0 && (rc = tx_begin()) == 0)
        rc = store_pool_delete(g_app->store, id) == 0 ? tx_commit() : (tx_rollback(), XC_EDB);
    if (rc < 0)
        reply_status(r, rc, "pool delete failed");
    else
        reply_ok(r, 200, json_pack("{s:s}", "removed", id));
}

void h_autoscale_up(struct req *r)
{
    json_t *prov = json_array();
    int rc = autoscale_up(prov);
    if (rc < 0) {
        json_decref(prov);
        reply_status(r, rc, "autoscale up failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "provisioned", prov));
}

void h_autoscale_down(struct req *r)
{
    json_t *dep = json_array();
    int rc = autoscale_down(dep);
    if (rc < 0) {
        json_decref(dep);
        reply_status(r, rc, "autoscale down failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "deprovisioned", dep));
}

void h_autoscale_cycle(struct req *r)
{
    json_t *prov = json_array(), *assigned = json_array(), *dep = json_array();
    int rc = autoscale_cycle(prov, assigned, dep);
    if (rc < 0) {
        json_decref(prov);
        json_decref(assigned);
        json_decref(dep);
        reply_status(r, rc, "autoscale cycle failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o,s:o,s:o}", "provisioned", prov, "assigned", assigned, "deprovisioned", dep));
}
