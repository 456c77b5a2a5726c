/* Accounts routes (api §8.15, §8.16; domain §24, §21.6): registration, login, sessions, the
 * profile, data export and deletion, password change and reset, API keys, the device flow and
 * its verification page, OAuth placeholders, user administration and teams. Thin: read the
 * declared input, call the accounts service, render its outcome (status from
 * acct_outcome_status, message from the service) or the views of views_accounts.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/env.h"
#include "common/errors.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "core/jobstate.h"
#include "server/api/handlers_accounts.h"
#include "server/api/views.h"
#include "server/api/views_accounts.h"
#include "server/api/views_reputation.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/accounts.h"
#include "server/svc/billing_svc.h"
#include "server/svc/engine.h"
#include "server/svc/job_stops.h"
#include "server/svc/tx.h"
#include "store/billing_store.h"

#define SESSION_TTL_SEC (ACCT_SESSION_TTL_US / 1000000)
#define EXPORT_CAP 1000 /* entries per list in the data export (totals stay exact) */

/* ---- outcomes and the calling user ---- */

/* Replies with the service's outcome: its status and its message. */
static void reply_outcome(struct req *r, const struct acct_result *res)
{
    reply_error(r, (unsigned)acct_outcome_status(res->kind), "%s", res->msg);
}

static void reply_kind(struct req *r, enum acct_outcome k)
{
    reply_error(r, (unsigned)acct_outcome_status(k), "%s", acct_outcome_text(k));
}

/* The calling user (api §2.2 rows 2–3), as the gate resolved it: a live session or API key. The
 * gate already refuses U routes to anyone else; the operator token, agent tokens and anonymous
 * callers are no user, so this answers 401 with `missing` ("Not authenticated"; refresh:
 * "Session expired or invalid") should one get here. */
static int caller(struct req *r, struct acct_principal *p, enum acct_outcome missing)
{
    if (r->who.kind == PRINCIPAL_USER) {
        *p = r->who.user;
        return 0;
    }
    reply_kind(r, missing);
    reply_header(r, "WWW-Authenticate", "Bearer");
    return -1;
}

static json_t *token_reply(const char *token)
{
    return json_pack("{s:s,s:s,s:I}", "access_token", token, "token_type", "Bearer", "expires_in",
                     (json_int_t)SESSION_TTL_SEC);
}

/* ---- registration, login, sessions ---- */

void h_auth_register(struct req *r)
{
    struct acct_register_in in = {0};
    struct acct_user u;
    struct acct_result res;
    char token[ACCT_SESSION_TOKEN_BUF];
    body_str(r, "email", &in.email);
    body_str(r, "password", &in.password);
    body_str(r, "name", &in.name);
    body_str(r, "role", &in.role);
    body_str(r, "country", &in.country);
    body_str(r, "province", &in.province);
    if (accounts_register(&in, app_now(), &u, token, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    json_t *o = token_reply(token);
    json_object_set_new(o, "user", view_user(&u));
    reply_ok(r, 200, o);
}

void h_auth_login(struct req *r)
{
    const char *email = NULL, *password = NULL;
    struct acct_user u;
    struct acct_result res;
    char token[ACCT_SESSION_TOKEN_BUF];
    body_str(r, "email", &email);
    body_str(r, "password", &password);
    if (accounts_login(email, password, app_now(), &u, token, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    json_t *o = token_reply(token);
    json_object_set_new(o, "user", view_user(&u));
    reply_ok(r, 200, o);
}

void h_auth_logout(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    if (accounts_logout(&p, &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, NULL);
}

void h_auth_refresh(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    char token[ACCT_SESSION_TOKEN_BUF];
    if (caller(r, &p, ACCT_SESSION_INVALID) < 0)
        return;
    if (accounts_refresh(&p, app_now(), token, &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, token_reply(token));
}

void h_auth_me_get(struct req *r)
{
    struct acct_principal p;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    reply_ok(r, 200, json_pack("{s:o}", "user", view_user(&p.user)));
}

void h_auth_me_patch(struct req *r)
{
    struct acct_principal p;
    struct acct_profile_in in = {0};
    struct acct_user u;
    struct acct_result res;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    body_str(r, "name", &in.name);
    body_str(r, "role", &in.role);
    body_str(r, "country", &in.country);
    body_str(r, "province", &in.province);
    if (accounts_update_profile(p.user.user_id, &in, app_now(), &u, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:o}", "message", res.msg, "user", view_user(&u)));
}

/* Domain §21.6, the jobs part: the user's queued and placed jobs are cancelled, running ones get
 * a stop request. One transaction; a failure is logged by the caller and leaves the deletion
 * (already committed) in place. */
static int cancel_jobs_of(const char *customer_id, const char *user_id)
{
    struct job_filter f = {.owner = customer_id};
    struct job *jobs = NULL;
    size_t n = 0;
    char actor[64];
    snprintf(actor, sizeof actor, "user:%s", user_id);
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if ((rc = store_job_list(g_app->store, &f, &jobs, &n, NULL)) == 0) {
        for (size_t i = 0; i < n && rc == 0; i++) {
            struct job *j = &jobs[i];
            if (jobstate_is_terminal(j->status))
                continue;
            int c = jobstate_check(j->status, JOB_CANCELLED, JOBSTATE_ACTOR_OWNER);
            if (c == JOBSTATE_OK)
                rc = engine_transition(j, JOB_CANCELLED, actor, &(struct trans_opts){0});
            else if (c == JOBSTATE_STOP_REQUEST)
                rc = jobs_stop_request(j, JOB_STOP_CANCEL, actor);
        }
    }
    for (size_t i = 0; i < n; i++)
        job_free(&jobs[i]);
    free(jobs);
    if (rc < 0) {
        tx_rollback();
        return rc;
    }
    return tx_commit();
}

void h_auth_me_delete(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    if (accounts_delete(p.user.user_id, app_now(), &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    int rc = cancel_jobs_of(p.user.customer_id, p.user.user_id);
    if (rc < 0)
        log_warn("account %s deleted, but its jobs could not be cancelled (%s)", p.user.user_id, xc_strerror(rc));
    reply_ok(r, 200, json_pack("{s:s}", "message", res.msg));
}

/* ---- data export (domain §21.6) ---- */

/* Issued invoices of the months in which the customer has billing records. */
static json_t *export_invoices(const char *customer_id, const struct bill_record *recs, size_t n)
{
    json_t *out = json_array();
    char seen[64][8];
    size_t ns = 0;
    for (size_t i = 0; i < n && ns < 64; i++) {
        time_t t = (time_t)(recs[i].completed_at / 1000000);
        struct tm tm;
        char month[8];
        gmtime_r(&t, &tm);
        strftime(month, sizeof month, "%Y-%m", &tm);
        bool dup = false;
        for (size_t k = 0; k < ns && !dup; k++)
            dup = strcmp(seen[k], month) == 0;
        if (dup)
            continue;
        memcpy(seen[ns++], month, sizeof month);
        struct invoice_row row = {0};
        if (bstore_invoice_get_month(g_app->store, customer_id, month, &row) != 0)
            continue;
        json_t *snap = jx_parse_or(row.snapshot, json_object());
        json_array_append_new(
            out, json_pack("{s:s,s:s,s:o,s:o,s:o,s:O*,s:O*,s:O*}", "invoice_id", row.invoice_id, "month", row.month,
                           "period_start", jx_ts(row.period_start), "period_end", jx_ts(row.period_end), "issued_at",
                           jx_ts(row.issued_at), "subtotal_cad", json_object_get(snap, "subtotal_cad"), "tax_cad",
                           json_object_get(snap, "tax_cad"), "total_cad", json_object_get(snap, "total_cad")));
        json_decref(snap);
        invoice_row_free(&row);
    }
    return out;
}

/* The user's reputation (its customer id's user entity): ReputationScore, or {} when it never had
 * a scoring event (reading never creates one). */
static json_t *export_reputation(const char *customer_id)
{
    struct rep_view v;
    if (!customer_id || !*customer_id || reputation_get(REP_ENTITY_USER, customer_id, app_now(), &v) < 0 || !v.stored)
        return json_object();
    return view_rep_score(&v);
}

void h_auth_data_export(struct req *r)
{
    struct acct_principal p;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    const char *cust = p.user.customer_id;
    struct job *jobs = NULL;
    struct bill_record *recs = NULL;
    struct wallet_tx *txs = NULL;
    struct acct_key *keys = NULL;
    size_t nj = 0, nr = 0, nt = 0, nk = 0;
    int64_t total_jobs = 0;
    struct job_filter jf = {.owner = cust, .limit = EXPORT_CAP};
    struct bill_filter bf = {.owner = cust, .limit = EXPORT_CAP};
    int rc = store_job_list(g_app->store, &jf, &jobs, &nj, &total_jobs);
    if (rc == 0)
        rc = bstore_record_list(g_app->store, &bf, &recs, &nr, NULL, NULL);
    if (rc == 0)
        rc = bstore_wallet_tx_list(g_app->store, cust, false, 0, false, 0, 0, &txs, &nt);
    if (rc == 0)
        rc = accounts_key_list(p.user.user_id, &keys, &nk);
    if (rc < 0) {
        reply_status(r, rc, "data export failed");
        goto out;
    }
    json_t *aj = json_array(), *ar = json_array(), *at = json_array(), *ak = json_array();
    for (size_t i = 0; i < nj; i++)
        json_array_append_new(aj, view_job(&jobs[i], false));
    for (size_t i = 0; i < nr; i++)
        json_array_append_new(ar, bsvc_record_view(&recs[i]));
    for (size_t i = 0; i < nt && i < EXPORT_CAP; i++)
        json_array_append_new(at, bsvc_wallet_tx_view(&txs[i]));
    for (size_t i = 0; i < nk; i++)
        json_array_append_new(ak, view_api_key(&keys[i]));
    json_t *exp = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "exported_at", jx_ts(app_now()),
                            "profile", view_user(&p.user), "jobs", aj, "billing_records", ar, "billing_transactions",
                            at, "invoices", export_invoices(cust, recs, nr), "reputation", export_reputation(cust), "consents",
                            json_array(), "api_keys", ak, "total_jobs", (json_int_t)total_jobs, "total_transactions",
                            (json_int_t)nt);
    reply_ok(r, 200, json_pack("{s:o}", "data_export", exp));
out:
    for (size_t i = 0; i < nj; i++)
        job_free(&jobs[i]);
    free(jobs);
    free(recs);
    free(txs);
    free(keys);
}

/* ---- passwords ---- */

void h_auth_reset_request(struct req *r)
{
    const char *email = NULL;
    struct acct_result res;
    char token[ACCT_TOKEN43_BUF];
    bool issued = false;
    body_str(r, "email", &email);
    if (accounts_reset_request(email, app_now(), token, &issued, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    json_t *o = json_pack("{s:s}", "message", res.msg);
    /* The token leaves the server only in the test environment (api §8.15); elsewhere it is
     * meant for e-mail delivery, which is not configured yet. */
    if (issued && g_app->cfg.env == ENV_TEST)
        json_object_set_new(o, "reset_token", json_string(token));
    reply_ok(r, 200, o);
}

void h_auth_reset_confirm(struct req *r)
{
    const char *token = NULL, *pw = NULL;
    struct acct_result res;
    body_str(r, "token", &token);
    body_str(r, "new_password", &pw);
    if (accounts_reset_confirm(token, pw, app_now(), &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, json_pack("{s:s}", "message", res.msg));
}

void h_auth_change_password(struct req *r)
{
    struct acct_principal p;
    const char *cur = NULL, *pw = NULL;
    struct acct_result res;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    body_str(r, "current_password", &cur);
    body_str(r, "new_password", &pw);
    if (accounts_change_password(&p, cur, pw, app_now(), &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, json_pack("{s:s}", "message", res.msg));
}

/* ---- API keys ---- */

void h_keys_generate(struct req *r)
{
    struct acct_principal p;
    struct acct_key meta;
    struct acct_result res;
    const char *name = NULL;
    char key[ACCT_KEY_BUF];
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    if (!query_str(r, "name", &name))
        body_str(r, "name", &name);
    if (accounts_key_create(p.user.user_id, name, app_now(), key, &meta, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:s,s:s}", "key", key, "name", meta.name, "preview", meta.preview, "note",
                               res.msg));
}

void h_keys_list(struct req *r)
{
    struct acct_principal p;
    struct acct_key *keys = NULL;
    size_t n = 0;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    int rc = accounts_key_list(p.user.user_id, &keys, &n);
    if (rc < 0) {
        reply_status(r, rc, "key list failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_api_key(&keys[i]));
    free(keys);
    reply_ok(r, 200, json_pack("{s:o}", "keys", arr));
}

void h_keys_revoke(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    if (accounts_key_revoke(p.user.user_id, r->nparams > 0 ? r->params[0] : NULL, &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, json_pack("{s:s}", "message", res.msg));
}

/* ---- device flow (RFC 8628) ---- */

void h_auth_device(struct req *r)
{
    struct acct_result res;
    char device_code[ACCT_TOKEN43_BUF], user_code[ACCT_USER_CODE_BUF], uri[600];
    if (accounts_device_start(app_now(), device_code, user_code, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    const char *base = env_get("XCELSIOR_PUBLIC_URL");
    if (!base)
        base = "http://localhost:8000";
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    snprintf(uri, sizeof uri, "%.*s/api/auth/verify", (int)(bl < 500 ? bl : 500), base);
    reply_ok(r, 200, json_pack("{s:s,s:s,s:s,s:I,s:i}", "device_code", device_code, "user_code", user_code,
                               "verification_uri", uri, "expires_in", (json_int_t)(ACCT_DEVICE_TTL_US / 1000000),
                               "interval", ACCT_DEVICE_INTERVAL_SEC));
}

void h_auth_token(struct req *r)
{
    const char *code = NULL, *grant = NULL;
    struct acct_result res;
    enum acct_device_status st;
    char token[ACCT_SESSION_TOKEN_BUF];
    body_str(r, "device_code", &code);
    body_str(r, "grant_type", &grant);
    if (accounts_device_token(code, grant, app_now(), token, &st, &res) < 0) {
        reply_outcome(r, &res);
        if (res.kind == ACCT_DEVICE_PENDING) {
            char s[16];
            snprintf(s, sizeof s, "%d", ACCT_DEVICE_INTERVAL_SEC);
            reply_header(r, "Retry-After", s);
        }
        return;
    }
    reply_ok(r, 200, token_reply(token));
}

void h_auth_verify(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    const char *code = NULL;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    body_str(r, "user_code", &code);
    if (accounts_device_verify(&p, code, app_now(), &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    char display[ACCT_USER_CODE_BUF], bare[9];
    if (accounts_user_code_normalise(code, bare))
        snprintf(display, sizeof display, "%.4s-%.4s", bare, bare + 4);
    else
        snprintf(display, sizeof display, "%s", "");
    reply_ok(r, 200, json_pack("{s:s,s:s}", "message", res.msg, "user_code", display));
}

/* The verification page: a signed-in user (the token the dashboard keeps, or one pasted) enters
 * the code the CLI printed; the page posts it to POST /api/auth/verify. Text is written with
 * textContent only. */
static const char verify_page[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>Xcelsior \xe2\x80\x94 authorize a device</title><style>"
    "body{font:15px/1.5 system-ui,sans-serif;background:#0f1115;color:#e6e6e6;display:flex;justify-content:center;"
    "padding:4rem 1rem;margin:0}main{max-width:26rem;width:100%}h1{font-size:1.3rem}"
    "label{display:block;margin:1rem 0 .3rem}input{width:100%;box-sizing:border-box;padding:.55rem;"
    "border:1px solid #444;border-radius:6px;background:#181b21;color:inherit;font:inherit}"
    "#code{font-family:ui-monospace,monospace;font-size:1.4rem;letter-spacing:.15em;text-transform:uppercase}"
    "button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#3b82f6;color:#fff;"
    "font:inherit;cursor:pointer}#msg{margin-top:1rem;min-height:1.5em}.ok{color:#4ade80}.err{color:#f87171}"
    "small{color:#999}</style></head><body><main>"
    "<h1>Authorize a device</h1>"
    "<p>Enter the code shown by <code>xcelsior login</code> to sign that device in as you.</p>"
    "<form id=\"f\" autocomplete=\"off\">"
    "<label for=\"code\">Device code</label>"
    "<input id=\"code\" name=\"user_code\" placeholder=\"XXXX-XXXX\" maxlength=\"12\" required autofocus>"
    "<label for=\"tok\">Your session token or API key</label>"
    "<input id=\"tok\" type=\"password\" placeholder=\"taken from the dashboard when signed in\">"
    "<small>Sent only to this server, as <code>Authorization: Bearer</code>.</small><br>"
    "<button type=\"submit\">Authorize</button></form><div id=\"msg\" role=\"status\"></div>"
    "<script>(function(){var t=document.getElementById('tok'),c=document.getElementById('code'),"
    "m=document.getElementById('msg');try{t.value=sessionStorage.getItem('xc.token')||"
    "localStorage.getItem('xc.token')||'';}catch(e){}"
    "var q=new URLSearchParams(location.search).get('user_code');if(q)c.value=q;"
    "document.getElementById('f').addEventListener('submit',function(ev){ev.preventDefault();"
    "m.className='';m.textContent='Authorizing\xe2\x80\xa6';"
    "var h={'Content-Type':'application/json'};if(t.value.trim())h.Authorization='Bearer '+t.value.trim();"
    "fetch('/api/auth/verify',{method:'POST',headers:h,body:JSON.stringify({user_code:c.value.trim()})})"
    ".then(function(r){return r.json().then(function(b){return{ok:r.ok,b:b};});})"
    ".then(function(x){if(x.ok){m.className='ok';m.textContent='Device authorized. You can return to your "
    "terminal.';}else{m.className='err';m.textContent=(x.b&&x.b.error&&x.b.error.message)||'Failed';}})"
    ".catch(function(){m.className='err';m.textContent='The server could not be reached.';});});})();"
    "</script></main></body></html>\n";

void h_auth_verify_page(struct req *r)
{
    reply_raw(r, 200, "text/html; charset=utf-8", verify_page, sizeof verify_page - 1);
    reply_header(r, "Cache-Control", "no-store");
    reply_header(r, "X-Frame-Options", "DENY");
    reply_header(r, "Content-Security-Policy",
                 "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
                 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

void h_auth_oauth(struct req *r)
{
    static const char *const known[] = {"google", "github", "huggingface"};
    const char *prov = r->nparams > 0 ? r->params[0] : "";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(prov, known[i]) == 0) {
            reply_error(r, 501, "OAuth provider %s is not configured", prov);
            return;
        }
    /* The name is echoed only when it is short and printable (no header or log injection). */
    bool plain = strlen(prov) <= 64;
    for (const char *c = prov; plain && *c; c++)
        plain = *c > 0x20 && *c < 0x7f;
    reply_error(r, 400, "Unsupported OAuth provider: %s", plain ? prov : "(invalid)");
}

/* ---- administration ---- */

void h_admin_users_list(struct req *r)
{
    const char *role = NULL;
    int64_t limit = 100, offset = 0, total = 0;
    struct acct_user *users = NULL;
    struct acct_result res;
    size_t n = 0;
    query_str(r, "role", &role);
    query_int(r, "limit", &limit);
    query_int(r, "offset", &offset);
    if (accounts_admin_list(role, (int)limit, (int)offset, &users, &n, &total, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_user(&users[i]));
    free(users);
    reply_ok(r, 200, json_pack("{s:o,s:I}", "users", arr, "total", (json_int_t)total));
}

void h_admin_user_patch(struct req *r)
{
    const char *role = NULL, *id = r->nparams > 0 ? r->params[0] : "";
    bool disabled = false, has_disabled;
    struct acct_user u;
    struct acct_result res;
    char actor[96];
    body_str(r, "role", &role);
    has_disabled = body_bool(r, "disabled", &disabled);
    auth_actor(r, actor, sizeof actor);
    if (accounts_admin_update(actor, id, role, has_disabled ? &disabled : NULL, app_now(), &u, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "user", view_user(&u)));
}

/* ---- teams (§8.16) ---- */

void h_team_create(struct req *r)
{
    struct acct_principal p;
    struct acct_team t;
    struct acct_result res;
    const char *name = NULL, *plan = NULL;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    body_str(r, "name", &name);
    body_str(r, "plan", &plan);
    if (accounts_team_create(p.user.user_id, name, plan, app_now(), &t, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:s,s:i}", "team_id", t.team_id, "name", t.name, "plan",
                               acct_plan_name(t.plan), "max_members", t.max_members));
}

void h_teams_mine(struct req *r)
{
    struct acct_principal p;
    struct acct_team *teams = NULL;
    size_t n = 0;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    int rc = accounts_teams_mine(p.user.user_id, &teams, &n);
    if (rc < 0) {
        reply_status(r, rc, "team list failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_team(&teams[i], true));
    free(teams);
    reply_ok(r, 200, json_pack("{s:o}", "teams", arr));
}

void h_team_get(struct req *r)
{
    struct acct_principal p;
    struct acct_team t;
    struct acct_member *members = NULL;
    struct acct_result res;
    size_t n = 0;
    bool admin = false;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    if (accounts_team_get(p.user.user_id, r->params[0], &t, &members, &n, &admin, &res) < 0) {
        reply_outcome(r, &res);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_team_member(&members[i], admin));
    free(members);
    reply_ok(r, 200, json_pack("{s:o,s:o}", "team", view_team(&t, false), "members", arr));
}

void h_team_member_add(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    const char *email = NULL, *role = NULL;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    body_str(r, "email", &email);
    body_str(r, "role", &role);
    if (accounts_team_add(p.user.user_id, r->params[0], email, role, app_now(), &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, json_pack("{s:s}", "message", res.msg));
}

void h_team_member_remove(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    if (accounts_team_remove(p.user.user_id, r->params[0], r->params[1], &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, json_pack("{s:s}", "message", res.msg));
}

void h_team_delete(struct req *r)
{
    struct acct_principal p;
    struct acct_result res;
    if (caller(r, &p, ACCT_NOT_AUTHENTICATED) < 0)
        return;
    if (accounts_team_delete(p.user.user_id, r->params[0], &res) < 0)
        reply_outcome(r, &res);
    else
        reply_ok(r, 200, json_pack("{s:s}", "message", res.msg));
}
