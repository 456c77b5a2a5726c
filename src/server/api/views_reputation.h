#ifndef XC_VIEWS_REPUTATION_H
#define XC_VIEWS_REPUTATION_H
#include <jansson.h>

#include "server/svc/reputation.h"

/* JSON shapes of the reputation routes (api §6.8), field order as listed there. Points leave as
 * numbers with one decimal (tenths), reliability with four, boosts and premiums as fractions.
 * New references. */

/* ReputationScore. */
json_t *view_rep_score(const struct rep_view *v);
/* LeaderboardEntry (rank from 1). */
json_t *view_rep_leader(int rank, const struct rep_view *v);
/* ReputationEvent (metadata an object). */
json_t *view_rep_event(const struct rep_event_row *e);
/* The §19.8 breakdown route's body (without "ok"). */
json_t *view_rep_breakdown(const struct rep_view *v);

#endif
