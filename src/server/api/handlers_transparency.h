#ifndef XC_HANDLERS_TRANSPARENCY_H
#define XC_HANDLERS_TRANSPARENCY_H
#include "server/http/http.h"

/* Transparency, legal requests (api §7.3, §8.11; api_transparency.c) and the events and leases
 * routes (api §8.11; api_events.c). Rows in server/http/routes.c. */
void h_legal_request(struct req *r);
void h_legal_respond(struct req *r);
void h_transparency_report(struct req *r);
void h_events_entity(struct req *r);
void h_events_lease(struct req *r);
void h_leases_list(struct req *r);

#endif
