/* Job submission: POST /job and POST /spot/job (api §7.1, §8.3; domain §4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/jsonx.h"
#include "common/units.h"
#include "core/jobstate.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/svc/billing_svc.h"
#include "server/api/handlers.h"
#include "server/api/handlers_billing.h"
#include "server/svc/tx.h"
#include "server/http/validate.h"
#include "server/api/views.h"


static int parse_command(struct req *r, struct job *j)
{
    json_t *cmd = NULL;
    if (!body_json(r, "command", &cmd))
        return 0;
    if (json_array_size(cmd) > 64) {
        reply_invalid(r, "body", "command", "too_long", "at most 64 arguments");
        return -1;
    }
    size_t i;
    json_t *a;
    json_array_foreach(cmd, i, a)
    {
        if (!json_is_string(a) || json_string_length(a) > 4096 || strlen(json_string_value(a)) != json_string_length(a)) {
            reply_invalid(r, "body", "command", "type_error", "every argument must be a string of at most 4096 bytes");
            return -1;
        }
    }
    free(j->command);
    j->command = jsonx_dump(cmd, NULL);
    return 0;
}

static int parse_environment(struct req *r, struct job *j)
{
    json_t *env = NULL;
    if (!body_json(r, "environment", &env))
        return 0;
    if (json_object_size(env) > 64) {
        reply_invalid(r, "body", "environment", "too_long", "at most 64 variables");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(env, k, v)
    {
        if (!valid_env_key(k)) {
            reply_invalid(r, "body", "environment", "pattern", "variable names must match ^[A-Za-z_][A-Za-z0-9_]{0,127}$");
            return -1;
        }
        if (!json_is_string(v) || json_string_length(v) > 4096 || strlen(json_string_value(v)) != json_string_length(v)) {
            reply_invalid(r, "body", "environment", "type_error", "values must be strings of at most 4096 bytes");
            return -1;
        }
    }
    free(j->environment);
    j->environment = jsonx_dump(env, NULL);
    return 0;
}

static bool nfs_server_allowed(const char *server)
{
    const struct server_config *c = &g_app->cfg;
    if (!*c->nfs_allowed && !*c->nfs_server)
        return c->env != ENV_PRODUCTION;
    if (strcmp(server, c->nfs_server) == 0)
        return true;
    size_t n = strlen(server);
    for (const char *p = c->nfs_allowed; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && memcmp(p, server, n) == 0)
            return true;
        p += l + (e ? 1 : 0);
    }
    return false;
}

static int parse_nfs(struct req *r, struct job *j)
{
    const char *server = NULL, *path = NULL, *mount = NULL;
    body_str(r, "nfs_server", &server);
    body_str(r, "nfs_path", &path);
    body_str(r, "nfs_mount_point", &mount);
    if (server && *server) {
        if (!nfs_server_allowed(server)) {
            reply_invalid(r, "body", "nfs_server", "enum", "nfs_server is not allowed");
            return -1;
        }
        snprintf(j->nfs_server, sizeof j->nfs_server, "%s", server);
        snprintf(j->nfs_mount_point, sizeof j->nfs_mount_point, "%s", "/mnt/xcelsior-nfs");
    }
    if (path && *path) {
        if (path[0] != '/' || strstr(path, "/../") || (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0)) {
            reply_invalid(r, "body", "nfs_path", "pattern", "must be absolute with no '..' segment");
            return -1;
        }
        snprintf(j->nfs_path, sizeof j->nfs_path, "%s", path);
    }
    if (mount && *mount) {
        if (mount[0] != '/' || strstr(mount, "..")) {
            reply_invalid(r, "body", "nfs_mount_point", "pattern", "must be absolute with no '..' segment");
            return -1;
        }
        snprintf(j->nfs_mount_point, sizeof j->nfs_mount_point, "%s", mount);
    }
    return 0;
}

/* Parses a submission body into j (already job_init'ed): POST /job, or POST /spot/job when spot
 * (max_bid required; tier and priority ignored: spot jobs are free, priority 0). Replies and
 * returns -1 on bad input. */
static int parse_job_body(struct req *r, struct job *j, bool spot)
{
    const char *name = "", *tier = NULL, *trust = NULL, *image = NULL;
    int64_t vram = 0, prio = 0, gpus = 1, hours, bid = 0;
    body_str(r, "name", &name);
    body_int(r, "vram_needed_gb", &vram);
    body_int(r, "priority", &prio);
    body_str(r, "tier", &tier);
    body_str(r, "trust_tier", &trust);
    body_int(r, "num_gpus", &gpus);
    body_str(r, "image", &image);
    if (spot)
        body_int(r, "max_bid", &bid);
    if (spot)
        tier = NULL, prio = 0;
    enum jobstate_tier t;
    enum jobstate_trust tt;
    if (jobstate_resolve_tiers(tier, (int)prio, trust, &t, &tt) < 0) {
        bool bad_tier = tier && jobstate_tier_parse(tier, &t) < 0 && jobstate_trust_alias(tier, &tt) < 0;
        reply_invalid(r, "body", bad_tier ? "tier" : "trust_tier", "enum",
                      bad_tier ? "must be one of free, standard, premium, urgent (or a trust tier alias)"
                               : "must be one of community, residency, sovereignty, regulated");
        return -1;
    }
    if (parse_command(r, j) < 0 || parse_environment(r, j) < 0 || parse_nfs(r, j) < 0)
        return -1;
    if (body_int(r, "max_duration_hours", &hours)) {
        j->has_max_duration = true;
        j->max_duration_ms = hours * 36;
    }
    /* A user's job is billed to their own customer account (api §7.1); only an admin may
     * submit on behalf of a customer (the job is then billed to that wallet). */
    const char *owner = NULL;
    if (r->who.kind == PRINCIPAL_USER)
        snprintf(j->owner, sizeof j->owner, "%s", r->who.user.user.customer_id);
    else if (body_str(r, "owner", &owner) && *owner)
        snprintf(j->owner, sizeof j->owner, "%s", owner);
    snprintf(j->name, sizeof j->name, "%s", name);
    j->vram_mgb = vram;
    j->num_gpus = (int)gpus;
    snprintf(j->tier, sizeof j->tier, "%s", jobstate_tier_name(t));
    j->priority = jobstate_tier_priority(t);
    snprintf(j->trust_tier, sizeof j->trust_tier, "%s", jobstate_trust_name(tt));
    snprintf(j->image, sizeof j->image, "%s", image && *image ? image : g_app->cfg.default_image);
    if (spot) {
        j->spot = true;
        j->has_max_bid = true;
        j->max_bid = bid;
    }
    return 0;
}

static void submit(struct req *r, bool spot)
{
    if (r->who.kind == PRINCIPAL_AGENT) {
        reply_error(r, 403, "Agents cannot submit jobs");
        return;
    }
    struct job j;
    job_init(&j);
    if (parse_job_body(r, &j, spot) < 0)
        goto out;
    if (j.owner[0] && billing_customer_suspended(j.owner)) {
        reply_error(r, 403, "Account suspended: top up your wallet");
        goto out;
    }
    ids_hex128(j.job_id);
    j.submitted_at = app_now();
    j.max_retries = (int)g_app->cfg.max_retries;
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    json_t *ev = json_pack("{s:s,s:I,s:i,s:s,s:s,s:b}", "name", j.name, "vram_mgb", (json_int_t)j.vram_mgb, "num_gpus",
                           j.num_gpus, "tier", j.tier, "trust_tier", j.trust_tier, "spot", j.spot);
    if (spot)
        json_object_set_new(ev, "max_bid_ucad", json_integer(j.max_bid));
    int rc = tx_begin();
    if (rc < 0) {
        json_decref(ev);
    } else {
        if ((rc = store_job_put(g_app->store, &j)) == 0)
            rc = tx_event("job.submitted", "job", j.job_id, actor, ev);
        else
            json_decref(ev);
        if (rc == 0) {
            tx_sse("job_submitted", json_pack("{s:s,s:s,s:s,s:s,s:b}", "job_id", j.job_id, "name", j.name, "tier",
                                              j.tier, "trust_tier", j.trust_tier, "spot", j.spot));
            if (spot)
                tx_sse("spot_job_submitted",
                       json_pack("{s:s,s:s,s:o}", "job_id", j.job_id, "name", j.name, "max_bid", jx_money(j.max_bid)));
            tx_kick_scheduler();
            rc = tx_commit();
        } else {
            tx_rollback();
        }
    }
    if (rc < 0)
        reply_status(r, rc, "job submit failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "job", view_job(&j, false)));
out:
    job_free(&j);
}

void h_job_submit(struct req *r)
{
    submit(r, false);
}

void h_spot_job(struct req *r)
{
    submit(r, true);
}
