#ifndef XC_HANDLERS_BILLING_H
#define XC_HANDLERS_BILLING_H
#include <stdbool.h>
#include <stdint.h>

#include "server/http/http.h"
#include "store/billing_store.h"
#include "store/model.h"

/* Billing, marketplace and spot routes (rows in server/http/routes.c). */

/* api_billing.c */
void h_bill_all(struct req *r);
void h_bill_job(struct req *r);
void h_billing_list(struct req *r);
void h_billing_revenue(struct req *r);
void h_wallet_get(struct req *r);
void h_wallet_deposit(struct req *r);
void h_wallet_history(struct req *r);
void h_customer_get(struct req *r);
void h_customer_put(struct req *r);
void h_billing_usage(struct req *r);
void h_invoice_preview(struct req *r);
void h_invoice_list(struct req *r);
void h_invoice_get(struct req *r);
void h_billing_refund(struct req *r);
void h_caf_export(struct req *r);
void h_attestation(struct req *r);
void h_attestation_verify(struct req *r);
void h_pricing_reference(struct req *r);
void h_pricing_estimate(struct req *r);

/* api_marketplace.c */
void h_market_list(struct req *r);
void h_market_unlist(struct req *r);
void h_market_browse(struct req *r);
void h_market_search(struct req *r);
void h_market_stats(struct req *r);
void h_market_bill(struct req *r);

/* api_spot.c */
void h_spot_prices(struct req *r);
void h_spot_update(struct req *r);
void h_spot_job(struct req *r);
void h_spot_cycle(struct req *r);

/* Helpers shared by the three route files (api_billing.c). Query and body values are declared
 * in the route table and read with query_* / body_* (validate.h). */
/* Path parameter idx as a customer id; replies 422 and returns -1 otherwise. */
int bpath_customer(struct req *r, int idx, const char **out);
/* The job's latest billing record, creating any missing one for a finished attempt (its own
 * transaction): 0 with *already = nothing was created now, 1 when the job has no finished
 * attempt, or a negative error. */
int bill_job_latest(const struct job *j, struct bill_record *rec, bool *already);

#endif
