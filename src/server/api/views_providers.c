/* JSON shapes of the provider routes (see views_providers.h). */
#include "server/api/views_providers.h"

#include "common/jsonx.h"

static json_t *ts_or_null(int64_t us)
{
    return us ? jx_ts(us) : json_null();
}

json_t *view_provider(const struct provider *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "provider_id", json_string(p->provider_id));
    json_object_set_new(o, "provider_type", json_string(provider_type_name(p->type)));
    json_object_set_new(o, "status", json_string(providerstate_name(p->status)));
    json_object_set_new(o, "corporation_name", json_string(p->corporation_name));
    json_object_set_new(o, "business_number", json_string(p->business_number));
    json_object_set_new(o, "incorporation_file_id", json_string(p->incorporation_file_id));
    json_object_set_new(o, "gst_hst_number", json_string(p->gst_hst_number));
    json_object_set_new(o, "email", json_string(p->email));
    json_object_set_new(o, "legal_name", json_string(p->legal_name));
    json_object_set_new(o, "country", json_string(p->country[0] ? p->country : "CA"));
    json_object_set_new(o, "province", json_string(p->province));
    json_object_set_new(o, "created_at", jx_ts(p->created_at));
    json_object_set_new(o, "onboarded_at", ts_or_null(p->onboarded_at));
    json_object_set_new(o, "default_currency", json_string("cad"));
    json_object_set_new(o, "payout_schedule", json_string("weekly"));
    json_object_set_new(o, "incorporation_review_status", json_string(p->incorporation_status));
    return o;
}

json_t *view_payout(const struct payout_row *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "payout_id", json_string(p->payout_id));
    json_object_set_new(o, "provider_id", json_string(p->provider_id));
    json_object_set_new(o, "job_id", json_string(p->job_id));
    json_object_set_new(o, "billing_id", json_string(p->billing_id));
    json_object_set_new(o, "gross_cad", jx_money(p->gross));
    json_object_set_new(o, "platform_fee_cad", jx_money(p->platform_fee));
    json_object_set_new(o, "provider_payout_cad", jx_money(p->provider_payout));
    json_object_set_new(o, "gst_hst_cad", jx_money(p->gst_hst));
    json_object_set_new(o, "status", json_string(p->status));
    json_object_set_new(o, "created_at", jx_ts(p->created_at));
    json_object_set_new(o, "paid_at", ts_or_null(p->paid_at));
    json_object_set_new(o, "kind", json_string(p->kind));
    return o;
}

json_t *view_earnings(const struct provider_earnings *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "total_jobs", json_integer(e->total_jobs));
    json_object_set_new(o, "total_earned_cad", jx_money(e->earned));
    json_object_set_new(o, "total_platform_cad", jx_money(e->platform));
    json_object_set_new(o, "total_tax_cad", jx_money(e->tax));
    json_object_set_new(o, "pending_cad", jx_money(e->pending));
    json_object_set_new(o, "paid_cad", jx_money(e->paid));
    return o;
}
