#ifndef XC_HANDLERS_COMPLIANCE_H
#define XC_HANDLERS_COMPLIANCE_H
#include "server/http/http.h"

/* Compliance, GST threshold, reserved plans and usage analytics (api §8.5; rows in
 * server/http/routes.c). api_compliance.c. */
void h_tax_rates(struct req *r);
void h_compliance_provinces(struct req *r);
void h_trust_tier_requirements(struct req *r);
void h_quebec_pia_check(struct req *r);
void h_gst_threshold(struct req *r);
void h_reserved_plans(struct req *r);
void h_pricing_reserve(struct req *r);
void h_analytics_usage(struct req *r);

#endif
