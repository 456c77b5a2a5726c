#ifndef XC_REPUTATION_STORE_H
#define XC_REPUTATION_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reputation.h"
#include "store/store.h"

/* Reputation persistence (migration 0009_reputation.sql): the stored facts of each entity (one
 * row, struct rep_facts: never a score) and its history of events. Points tenths, time µs.
 * Every function returns 0 or a negative XC_E* code; writes belong inside the caller's
 * transaction (svc/reputation.c). */

#define REP_ID_MAX 72

struct rep_row {
    enum rep_entity_type type;
    char entity_id[REP_ID_MAX];
    struct rep_facts f;       /* reliability_e4 is not stored: the service derives it */
    int64_t created_at, updated_at;
    int64_t completed_90d;    /* job_completed events since the window start (list/window reads) */
    int64_t failed_host_90d;  /* job_failure_host events since the window start */
};

struct rep_event_row {
    int64_t event_id;
    enum rep_entity_type type;
    char entity_id[REP_ID_MAX];
    char event_type[REP_EVENT_TYPE_MAX];
    int64_t points_delta;
    char reason[REP_REASON_MAX];
    char *metadata; /* JSON object text, owned (rstore_events_free) */
    char ref[REP_ID_MAX];
    int64_t created_at;
};

/* XC_ENOTFOUND when the entity has no row (it never had a scoring event). */
int rstore_get(struct store *s, enum rep_entity_type type, const char *entity_id, struct rep_row *out);
/* Inserts or replaces the entity's facts (created_at kept from the first write). */
int rstore_put(struct store *s, const struct rep_row *r);
/* Counts job_completed and job_failure_host events at or after since (the 90-day window). */
int rstore_window(struct store *s, enum rep_entity_type type, const char *entity_id, int64_t since,
                  int64_t *completed, int64_t *failed_host);
/* Every row of a type with its window counts (since). Caller frees *out. */
int rstore_list(struct store *s, enum rep_entity_type type, int64_t since, struct rep_row **out, size_t *n);

/* Appends an event; XC_ECONFLICT when an event of that type with that non-empty ref exists. */
int rstore_event_insert(struct store *s, const struct rep_event_row *e);
/* Whether an event of that type and ref exists for the entity. */
int rstore_event_exists(struct store *s, enum rep_entity_type type, const char *entity_id, const char *event_type,
                        const char *ref, bool *exists);
/* The newest `limit` events, newest first. Caller frees with rstore_events_free. */
int rstore_events(struct store *s, enum rep_entity_type type, const char *entity_id, int limit,
                  struct rep_event_row **out, size_t *n);
void rstore_events_free(struct rep_event_row *ev, size_t n);

#endif
