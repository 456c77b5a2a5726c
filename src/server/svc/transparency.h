#ifndef XC_TRANSPARENCY_SVC_H
#define XC_TRANSPARENCY_SVC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/trust.h"
#include "store/transparency_store.h"

/* Legal requests, their responses and disclosures, and the public transparency report (domain
 * §20.5, api §7.3, §8.11). The rules (types, received -> responded once, the report's counts and
 * the CLOUD Act note) are core/trust's; this service stores and loads. All return 0 or a negative
 * XC_E* code. */

/* Stores a new request (q: type, jurisdiction, authority, scope, notes as given; the id,
 * received_at = now and status received are set here) and appends `transparency.legal_request`
 * (data: request_type, jurisdiction). Call inside a transaction. */
int tsvc_legal_create(struct legal_request *q, int64_t now, const char *actor);

struct legal_response {
    bool complied, challenged;
    const char *notes;         /* "" keeps the request's notes */
    int64_t disclosed_records; /* > 0: a disclosure row to the request's jurisdiction */
    const char *data_category;
};
/* received -> responded, once: XC_ENOTFOUND for an unknown request, XC_ECONFLICT when it was
 * responded already (also when two responds race: the store's compare-and-swap decides). Appends
 * `transparency.legal_response`. Call inside a transaction. */
int tsvc_legal_respond(const char *request_id, const struct legal_response *resp, int64_t now, const char *actor);

/* The report over months × 30 days ending at now: the rows in the window (newest first) and
 * core's counts and note over them. */
struct tsvc_report {
    struct legal_request *req;
    size_t nreq;
    struct legal_disclosure *dis;
    size_t ndis;
    struct trust_transparency t;
};
int tsvc_report(int months, int64_t now, struct tsvc_report *out);
void tsvc_report_free(struct tsvc_report *r);

#endif
