#ifndef XC_HANDLERS_REPUTATION_H
#define XC_HANDLERS_REPUTATION_H

#include "server/http/http.h"

/* Reputation routes (rows in server/http/routes.c; api §8.9, §7.3). api_reputation.c */
void h_rep_get(struct req *r);
void h_rep_history(struct req *r);
void h_rep_breakdown(struct req *r);
void h_rep_verify(struct req *r);
void h_rep_penalty(struct req *r);
void h_rep_leaderboard(struct req *r);

#endif
