#ifndef XC_VIEWS_PROVIDERS_H
#define XC_VIEWS_PROVIDERS_H
#include <jansson.h>

#include "store/providers_store.h"

/* JSON shapes of the provider routes (api §6.12 Provider and Payout, §8.7), field order as listed
 * there. New references. */

/* Provider: {provider_id, provider_type, status, corporation_name, business_number,
 * incorporation_file_id, gst_hst_number, email, legal_name, country, province, created_at,
 * onboarded_at (null until onboarded), default_currency "cad", payout_schedule "weekly",
 * incorporation_review_status ("" when nothing was submitted)}. Only the provider itself and
 * admins are ever shown one (the e-mail included). */
json_t *view_provider(const struct provider *p);
/* Payout: {payout_id, provider_id, job_id, billing_id, gross_cad, platform_fee_cad,
 * provider_payout_cad, gst_hst_cad, status, created_at, paid_at (null while unpaid), kind
 * (settle, clawback or carry)}. */
json_t *view_payout(const struct payout_row *p);
/* Earnings: {total_jobs, total_earned_cad, total_platform_cad, total_tax_cad, pending_cad,
 * paid_cad}. */
json_t *view_earnings(const struct provider_earnings *e);

#endif
