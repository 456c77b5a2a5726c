/* Provider routes (api §8.7; domain §25.9): registration, the account, incorporation review,
 * earnings and payouts. Thin: read the declared input, call svc/providers, render the views. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "core/provider.h"
#include "server/api/handlers_providers.h"
#include "server/api/svc_reply.h"
#include "server/api/views_providers.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/providers.h"

#define RECENT_PAYOUTS 20
#define MAX_PAYOUT_IDS 1000

/* prov-<32 lowercase hex>. */
static bool valid_provider_id(const char *s)
{
    if (!s || strncmp(s, "prov-", 5) != 0 || strlen(s) != 37)
        return false;
    for (const char *p = s + 5; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* PAY-<32 lowercase hex>. */
static bool valid_payout_id(const char *s)
{
    if (!s || strncmp(s, "PAY-", 4) != 0 || strlen(s) != 36)
        return false;
    for (const char *p = s + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* The provider id of the path; an id that cannot exist is a 404 (like any unknown provider). */
static const char *path_provider(struct req *r)
{
    const char *id = r->nparams > 0 ? r->params[0] : NULL;
    if (!valid_provider_id(id)) {
        reply_error(r, 404, "Provider %s not found", id ? id : "");
        return NULL;
    }
    return id;
}

void h_provider_register(struct req *r)
{
    struct prov_register_in in = {.user_id = r->who.user.user.user_id};
    body_str(r, "provider_type", &in.provider_type);
    body_str(r, "email", &in.email);
    body_str(r, "corporation_name", &in.corporation_name);
    body_str(r, "business_number", &in.business_number);
    body_str(r, "gst_hst_number", &in.gst_hst_number);
    body_str(r, "legal_name", &in.legal_name);
    body_str(r, "province", &in.province);
    struct prov_register_out out;
    struct svc_err e = {0};
    int rc = providers_register(&in, app_now(), &out, &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "provider registration failed");
        return;
    }
    json_t *o = json_pack("{s:s,s:s,s:s}", "provider_id", out.provider.provider_id, "status",
                          providerstate_name(out.provider.status), "onboarding_url", out.onboarding_url);
    if (out.stub) /* a real Stripe account id is never handed out (api §8.7) */
        json_object_set_new(o, "stripe_account_id", json_string(out.provider.stripe_account_id));
    reply_ok(r, 200, o);
}

void h_provider_get(struct req *r)
{
    const char *id = path_provider(r);
    if (!id)
        return;
    struct provider p;
    int rc = pstore_provider_get(g_app->store, id, &p);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Provider %s not found", id);
        return;
    }
    if (rc < 0) {
        reply_status(r, rc, "provider read failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "provider", view_provider(&p)));
}

void h_providers_list(struct req *r)
{
    const char *status = NULL;
    enum providerstate st;
    if (query_str(r, "status", &status) && providerstate_parse(status, &st) < 0) {
        reply_invalid(r, "query", "status", "enum", "must be one of onboarding, active, suspended");
        return;
    }
    struct provider *ps = NULL;
    size_t n = 0;
    int rc = pstore_provider_list(g_app->store, status ? &st : NULL, &ps, &n);
    if (rc < 0) {
        reply_status(r, rc, "provider list failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_provider(&ps[i]));
    free(ps);
    reply_ok(r, 200, json_pack("{s:o,s:I}", "providers", arr, "count", (json_int_t)n));
}

void h_provider_incorporation(struct req *r)
{
    const char *id = path_provider(r), *file_id = "";
    if (!id)
        return;
    body_str(r, "file_id", &file_id);
    struct provider p;
    struct svc_err e = {0};
    int rc = providers_incorporation(id, file_id, app_now(), &p, &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "incorporation failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s,s:s}", "provider_id", id, "incorporation_file_id", p.incorporation_file_id,
                               "review_status", "pending"));
}

void h_provider_incorporation_approve(struct req *r)
{
    const char *id = path_provider(r);
    if (!id)
        return;
    char actor[128];
    struct svc_err e = {0};
    int rc = providers_incorporation_approve(id, auth_actor(r, actor, sizeof actor), app_now(), &e);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "incorporation approval failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:s}", "provider_id", id, "review_status", "approved"));
}

void h_provider_earnings(struct req *r)
{
    const char *id = path_provider(r);
    if (!id)
        return;
    struct provider p;
    int rc = pstore_provider_get(g_app->store, id, &p);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Provider %s not found", id);
        return;
    }
    struct provider_earnings e;
    struct payout_row *rows = NULL;
    size_t n = 0;
    if (rc < 0 || (rc = providers_earnings(id, RECENT_PAYOUTS, &e, &rows, &n)) < 0) {
        reply_status(r, rc, "earnings failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_payout(&rows[i]));
    free(rows);
    reply_ok(r, 200, json_pack("{s:s,s:o,s:o}", "provider_id", id, "earnings", view_earnings(&e), "recent_payouts", arr));
}

void h_provider_payout(struct req *r)
{
    const char *id = path_provider(r), *reference = "";
    if (!id)
        return;
    json_t *list = NULL;
    body_json(r, "payout_ids", &list);
    body_str(r, "reference", &reference);
    size_t nids = list ? json_array_size(list) : 0;
    if (nids > MAX_PAYOUT_IDS) {
        reply_invalid(r, "body", "payout_ids", "too_long", "at most %d payout ids", MAX_PAYOUT_IDS);
        return;
    }
    const char **ids = list ? xcalloc(nids ? nids : 1, sizeof *ids) : NULL;
    for (size_t i = 0; i < nids; i++) {
        const char *s = json_string_value(json_array_get(list, i));
        if (!valid_payout_id(s)) {
            reply_invalid(r, "body", "payout_ids", "pattern", "item %zu must be a payout id (PAY- and 32 hex)", i);
            free(ids);
            return;
        }
        ids[i] = s;
    }
    char actor[128];
    struct payout_result out;
    struct svc_err e = {0};
    int rc = providers_payout(id, ids, nids, reference, auth_actor(r, actor, sizeof actor), app_now(), &out, &e);
    free(ids);
    if (rc < 0) {
        reply_svc_error(r, rc, &e, "payout failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:i,s:o,s:s}", "paid", out.paid, "total_cad", jx_money(out.total),
                               "transfer_reference", out.reference));
}

void h_provider_gst_threshold(struct req *r)
{
    const char *id = path_provider(r);
    if (!id)
        return;
    struct provider p;
    tax_threshold t;
    int rc = pstore_provider_get(g_app->store, id, &p);
    if (rc == XC_ENOTFOUND) {
        reply_error(r, 404, "Provider %s not found", id);
        return;
    }
    if (rc < 0 || (rc = providers_gst_threshold(id, app_now(), &t)) < 0) {
        reply_status(r, rc, "threshold failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:s,s:b,s:o,s:o,s:b,s:s,s:b}", "provider_id", id, "exceeded", t.exceeded,
                               "total_payouts_cad", jx_money(t.total_ucad), "threshold_cad",
                               jx_money(TAX_SMALL_SUPPLIER_THRESHOLD_UCAD), "must_register_gst", t.exceeded,
                               "message", t.message, "simplified_regime_eligible", 1));
}
