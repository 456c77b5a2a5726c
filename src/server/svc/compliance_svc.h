#ifndef XC_COMPLIANCE_SVC_H
#define XC_COMPLIANCE_SVC_H
#include <jansson.h>
#include <stdint.h>

#include "core/pricing.h"
#include "core/tax.h"
#include "core/usage.h"
#include "store/compliance_store.h"

/* The compliance, reservation and analytics operations that need the store (api §8.5; domain
 * §25.13, §25.14). Pure rules stay in core (tax, pricing, usage, compliance); the routes are in
 * api/api_compliance.c. All return 0 or a negative XC_E* code. */

/* The platform's GST/HST small-supplier assessment at now (§25.13): Σ cost − refunds of owned
 * jobs over the UTC quarter containing now and the three before it. */
int csvc_gst_platform(int64_t now, tax_threshold *out);

/* Stores a reserved-plan commitment (§25.14) of quantity × ref at the plan's discount, taxed in
 * province (a code of the 13; the quote uses the rate in force at now), appends the
 * `billing.reservation_created` event (actor as given) and queues the SSE `reservation_created`.
 * Call inside a transaction (tx_begin … tx_commit). XC_EINVAL for a quantity outside 1..1000. */
int csvc_reserve(const char *customer_id, pricing_plan plan, const pricing_ref *ref, int64_t quantity,
                 const char *province, int64_t now, const char *actor, struct reservation *out);

/* The user id of the account bound to provider_id (the owner of its hosts), or XC_ENOTFOUND. */
int csvc_provider_user(const char *provider_id, char *user_id, size_t n);

/* Usage analytics over billing records matching f, grouped by g. *analytics (new reference): the
 * api §8.5 rows in period order; totals in *jobs, *cost (µCAD), *gpu_hours_e6. */
int csvc_usage(const struct usage_filter *f, usage_group g, json_t **analytics, int64_t *jobs, int64_t *cost,
               int64_t *gpu_hours_e6);

#endif
