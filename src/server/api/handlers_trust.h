#ifndef XC_HANDLERS_TRUST_H
#define XC_HANDLERS_TRUST_H

#include "server/http/http.h"

/* Verification, compute score, jurisdiction and trust-tier routes (rows in server/http/routes.c;
 * api §7.3, §8.1, §8.2, §8.4, §8.8). */

/* api_verify.c */
void h_agent_benchmark(struct req *r);
void h_agent_verify(struct req *r);
void h_compute_scores(struct req *r);
void h_compute_score(struct req *r);
void h_verify_force(struct req *r);
void h_verify_status(struct req *r);
void h_verify_approve(struct req *r);
void h_verify_reject(struct req *r);
void h_verified_hosts(struct req *r);

/* api_jurisdiction.c */
void h_trust_tiers(struct req *r);
void h_juris_get(struct req *r);
void h_juris_put(struct req *r);
void h_residency_trace(struct req *r);

/* api_sovereign.c */
void h_juris_hosts(struct req *r);
void h_queue_process_sovereign(struct req *r);

#endif
