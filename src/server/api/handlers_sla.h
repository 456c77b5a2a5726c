#ifndef XC_HANDLERS_SLA_H
#define XC_HANDLERS_SLA_H
#include "server/http/http.h"

/* SLA routes (api §8.12; rows in server/http/routes.c). api_sla.c. */
void h_sla_enforce(struct req *r);
void h_sla_hosts_summary(struct req *r);
void h_sla_targets(struct req *r);
void h_sla_downtimes(struct req *r);
void h_sla_violations(struct req *r);
void h_sla_host(struct req *r);

#endif
