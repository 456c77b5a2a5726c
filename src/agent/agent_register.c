/* Registration and admission: the heartbeat (PUT /host), the agent token this host acts with, and
 * the version reports (POST /agent/versions) that decide whether the host may take work. */
#include "agent/agent_exec.h"
#include "agent/agent_internal.h"
#include "common/fixed.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *host_body(struct agent *a, bool with_versions)
{
    char money[32];
    json_t *b = json_object();
    json_object_set_new(b, "host_id", json_string(a->cfg->host_id));
    json_object_set_new(b, "ip", json_string(a->ip));
    json_object_set_new(b, "gpu_model", json_string(a->gpu_model));
    json_object_set_new(b, "gpu_count", json_integer(a->gpu_count));
    json_object_set_new(b, "total_vram_gb", json_real(agent_centi(a->total_cgb)));
    pthread_mutex_lock(&a->mu);
    int64_t fr = a->free_cgb > a->total_cgb ? a->total_cgb : a->free_cgb;
    pthread_mutex_unlock(&a->mu);
    json_object_set_new(b, "free_vram_gb", json_real(agent_centi(fr < 0 ? 0 : fr)));
    json_object_set_new(b, "cost_per_hour", json_real(strtod(money_fmt(a->cfg->cost_per_hour_ucad, money, sizeof money), NULL)));
    if (*a->cfg->country)
        json_object_set_new(b, "country", json_string(a->cfg->country));
    if (*a->cfg->province)
        json_object_set_new(b, "province", json_string(a->cfg->province));
    if (with_versions) {
        json_object_set(b, "versions", a->versions);
        json_object_set(b, "runtimes", a->runtimes);
    }
    return b;
}

static void apply_host(struct agent *a, json_t *host)
{
    if (!json_is_object(host))
        return;
    json_t *adm = json_object_get(host, "admitted");
    if (json_is_boolean(adm)) {
        bool now = json_is_true(adm);
        if (now != a->admitted)
            log_info("host %s is %s by the control plane", a->cfg->host_id, now ? "admitted" : "NOT admitted");
        a->admitted = now;
    }
    const char *rr = agent_json_str(host, "recommended_runtime", NULL);
    if (rr)
        snprintf(a->recommended_runtime, sizeof a->recommended_runtime, "%s", rr);
    json_t *score = json_object_get(host, "compute_score");
    if (score)
        a->has_score = json_is_number(score);
    json_t *due = json_object_get(host, "reverify_due");
    if (json_is_boolean(due)) {
        pthread_mutex_lock(&a->mu);
        a->reverify_due = json_is_true(due);
        pthread_mutex_unlock(&a->mu);
    }
}

/* ---- agent token: the agent acts as its host's agent principal when it can. The token issued
 * at registration (returned once) is kept in <WORK_DIR>/agent-token, mode 0600. ---- */

static bool valid_agent_token(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n < 8 || n > 150 || strncmp(t, "xh-", 3) != 0)
        return false;
    for (size_t i = 3; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
            return false;
    return true;
}

static char *token_path(struct agent *a)
{
    return xasprintf("%s/agent-token", a->cfg->work_dir);
}

void agent_load_token(struct agent *a)
{
    if (valid_agent_token(a->cfg->api_token))
        return; /* configured with an agent token already */
    char *path = token_path(a);
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return;
    char host[80] = "", tok[160] = "";
    if (fscanf(f, "%79s %159s", host, tok) == 2 && strcmp(host, a->cfg->host_id) == 0 && valid_agent_token(tok)) {
        snprintf(a->token, sizeof a->token, "%s", tok);
        a->token_adopted = true;
        log_info("using the stored agent token of host %s", host);
    }
    memset(tok, 0, sizeof tok);
    fclose(f);
}

static void adopt_agent_token(struct agent *a, const char *tok)
{
    if (!valid_agent_token(tok))
        return;
    pthread_mutex_lock(&a->mu);
    snprintf(a->token, sizeof a->token, "%s", tok);
    a->token_adopted = true;
    pthread_mutex_unlock(&a->mu);
    agent_http_set_token(a->http, tok);
    char *path = token_path(a);
    char *text = xasprintf("%s %s\n", a->cfg->host_id, tok);
    char *tmp = agent_write_temp(a->cfg->work_dir, ".agent-token-", text, strlen(text));
    if (!tmp || rename(tmp, path) != 0)
        log_warn("cannot store the agent token in %s (kept in memory)", a->cfg->work_dir);
    memset(text, 0, strlen(text));
    free(text);
    free(tmp);
    free(path);
    log_info("acting with the agent token issued to host %s", a->cfg->host_id);
}

static void drop_agent_token(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    snprintf(a->token, sizeof a->token, "%s", a->cfg->api_token);
    a->token_adopted = false;
    pthread_mutex_unlock(&a->mu);
    agent_http_set_token(a->http, a->cfg->api_token);
    char *path = token_path(a);
    unlink(path);
    free(path);
    log_warn("the stored agent token was refused; using XCELSIOR_API_TOKEN");
}

/* With only an operator token (or none), ask once for an agent token of our own. */
static void request_agent_token(struct agent *a)
{
    if (a->token_asked || valid_agent_token(a->token))
        return;
    a->token_asked = true;
    char path[160];
    snprintf(path, sizeof path, "/host/%s/agent-token", a->cfg->host_id);
    long st;
    json_t *resp = NULL;
    if (agent_http_call(a->http, "POST", path, NULL, 10000, &st, &resp) == 0 && st == 200)
        adopt_agent_token(a, agent_json_str(resp, "agent_token", NULL));
    json_decref(resp);
}

/* PUT /host: registration and heartbeat. Returns 0 on a 2xx answer. */
int agent_heartbeat(struct agent *a)
{
    json_t *b = host_body(a, false), *resp = NULL;
    long st;
    int rc = agent_http_call(a->http, "PUT", "/host", b, 10000, &st, &resp);
    json_decref(b);
    if (rc != 0) {
        log_warn("heartbeat: control plane unreachable at %s", a->cfg->scheduler_url);
        rc = -1;
    } else if ((st == 401 || st == 403) && a->token_adopted) {
        drop_agent_token(a);
        rc = -1;
    } else if (st / 100 != 2) {
        log_warn("heartbeat: HTTP %ld: %s", st, agent_http_error_message(resp));
        rc = -1;
    } else {
        if (!a->registered)
            log_info("registered host %s (%s)", a->cfg->host_id,
                     json_is_true(json_object_get(resp, "created")) ? "new" : "existing");
        a->registered = true;
        const char *tok = agent_json_str(resp, "agent_token", NULL);
        if (tok)
            adopt_agent_token(a, tok);
        else
            request_agent_token(a);
        apply_host(a, json_object_get(resp, "host"));
    }
    json_decref(resp);
    return rc;
}

/* POST /agent/versions. Returns 1 admitted, 0 rejected, -1 failure. */
int agent_report_versions(struct agent *a)
{
    json_t *b = json_pack("{s:s,s:O,s:O}", "host_id", a->cfg->host_id, "versions", a->versions, "runtimes", a->runtimes);
    json_t *resp = NULL;
    long st;
    int rc = -1;
    if (agent_http_call(a->http, "POST", "/agent/versions", b, 10000, &st, &resp) != 0) {
        log_warn("version report: control plane unreachable");
        goto out;
    }
    if (st == 404) {
        log_warn("version report: host unknown to the control plane; registering again");
        a->registered = false;
        goto out;
    }
    if (st / 100 != 2) {
        log_warn("version report: HTTP %ld: %s", st, agent_http_error_message(resp));
        goto out;
    }
    apply_host(a, json_object_get(resp, "host"));
    a->admitted = json_is_true(json_object_get(resp, "admitted"));
    json_t *details = json_object_get(resp, "details");
    const char *rr = agent_json_str(details, "recommended_runtime", NULL);
    if (rr)
        snprintf(a->recommended_runtime, sizeof a->recommended_runtime, "%s", rr);
    if (a->admitted) {
        log_info("admitted: recommended runtime %s (%s)", a->recommended_runtime,
                 agent_json_str(details, "runtime_reason", ""));
        rc = 1;
    } else {
        size_t i;
        json_t *r;
        json_t *reasons = json_object_get(details, "rejection_reasons");
        log_warn("admission rejected (%zu reason%s); no work will be accepted", json_array_size(reasons),
                 json_array_size(reasons) == 1 ? "" : "s");
        json_array_foreach(reasons, i, r) log_warn("  rejected: %s", json_string_value(r));
        rc = 0;
    }
out:
    json_decref(b);
    json_decref(resp);
    return rc;
}
