#ifndef XC_HANDLERS_PROVIDERS_H
#define XC_HANDLERS_PROVIDERS_H

#include "server/http/http.h"

/* Provider, payout and payment routes (rows in server/http/routes.c; api §8.5, §8.7). */

/* api_providers.c */
void h_provider_register(struct req *r);
void h_provider_get(struct req *r);
void h_providers_list(struct req *r);
void h_provider_incorporation(struct req *r);
void h_provider_incorporation_approve(struct req *r);
void h_provider_earnings(struct req *r);
void h_provider_payout(struct req *r);
void h_provider_gst_threshold(struct req *r);

/* api_payments.c */
void h_wallet_topup(struct req *r);
void h_stripe_webhook(struct req *r);

#endif
