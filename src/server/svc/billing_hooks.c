/* Lifecycle hooks of domain §25 (escrow hold at assignment, settlement and billing record when
 * an attempt leaves running, release of never-run holds, top-ups on renewal). The engine calls
 * them inside the transition's transaction; they write through billing_svc.c. */
#include "server/svc/billing_hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "core/money.h"
#include "server/svc/billing_svc.h"
#include "store/billing_store.h"
#include "server/app.h"

int billing_on_assign(struct job *j, const struct host *h, int64_t now, bool *refused)
{
    *refused = false;
    if (!j->owner[0])
        return 0; /* operator jobs have no escrow */
    int64_t rate, block = 0;
    int rc = j->has_rate ? (rate = j->rate_per_hour, 0) : bsvc_capture_rate(j, h, &rate);
    if (rc < 0)
        return rc;
    enum jobstate_tier t = JOB_TIER_FREE;
    enum jobstate_trust tt = JOB_TRUST_COMMUNITY;
    jobstate_tier_parse(j->tier, &t);
    jobstate_trust_parse(j->trust_tier, &tt);
    money_rate mr = {j->num_gpus > 0 ? j->num_gpus : 1, rate,
                     j->spot ? MONEY_PPM_ONE : jobstate_tier_multiplier_ppm(t), jobstate_trust_multiplier_ppm(tt)};
    if (money_escrow_block(&mr, billing_cfg()->escrow_hold_us, j->has_max_duration ? j->max_duration_ms * 1000 : 0,
                           &block) < 0)
        return XC_EINVAL;
    /* The hold belongs to this assignment: the engine stamps assigned_at = now. */
    return bsvc_escrow_hold(j, rate, now, 1, block, now, refused);
}

int billing_on_attempt_end(const struct job *j, enum jobstate final_status, int64_t now)
{
    struct bill_run run;
    int rc = bstore_run_get(g_app->store, j->job_id, j->attempt, &run);
    if (rc == XC_ENOTFOUND)
        return 0; /* never reached running: nothing to meter */
    if (rc < 0)
        return rc;
    if (!run.ended_at)
        run.ended_at = now;
    if (!run.has_final_status) {
        run.has_final_status = true;
        run.final_status = final_status;
    }
    struct bill_record r;
    bool created;
    return bsvc_bill_attempt(j, &run, now, &r, &created);
}

int billing_on_release_unstarted(const struct job *j, int64_t now) { return bsvc_escrow_release(j, now); }

int billing_on_renew(const struct job *j, int64_t now) { return bsvc_escrow_topup(j, now); }

/* Called by the sweep (domain §9.3 step 6, §25.5, §1.4): escrow top-ups of running owned jobs,
 * grace → suspended, invoice issuance for ended months. Inside the sweep's transaction. */
int billing_sweep(int64_t now)
{
    struct job *jobs = NULL;
    size_t n = 0;
    struct job_filter f = {.has_status = true, .status = JOB_RUNNING};
    int rc = store_job_list(g_app->store, &f, &jobs, &n, NULL);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (jobs[i].owner[0])
            rc = bsvc_escrow_topup(&jobs[i], now);
    for (size_t i = 0; i < n; i++)
        job_free(&jobs[i]);
    free(jobs);
    if (rc == 0)
        rc = bsvc_wallet_grace_sweep(now);
    if (rc == 0)
        rc = bsvc_invoice_issue_due(now);
    return rc;
}

int billing_spot_price(const char *gpu_model, int64_t *price)
{
    struct spot_entry e;
    int rc = bstore_spot_latest(g_app->store, gpu_model, &e);
    if (rc == 0)
        *price = e.price;
    return rc;
}
