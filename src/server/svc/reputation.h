#ifndef XC_SVC_REPUTATION_H
#define XC_SVC_REPUTATION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jobstate.h"
#include "core/reputation.h"
#include "server/svc/svc_err.h"
#include "store/reputation_store.h"

/* Reputation (domain §19): records facts, computes scores at read time. The fact hooks
 * (reputation_on_*) run inside the caller's open transaction and never open their own; the admin
 * writes (verify, penalty) run their own. Reads never write: decay, reliability, score and tier
 * come from core/reputation with `now` passed in. */

/* An entity's score at a moment: its stored facts (zero facts when it has none) and what
 * rep_score derived from them. */
struct rep_view {
    enum rep_entity_type type;
    char entity_id[REP_ID_MAX];
    bool stored;           /* false: the entity never had a scoring event (a zero score) */
    struct rep_facts f;    /* reliability_e4 filled in for hosts */
    struct rep_score sc;
    int64_t created_at;    /* first scoring event (0 when !stored) */
    int64_t days_active;   /* whole days since created_at */
};

/* ---- fact hooks (inside the caller's transaction) ---- */

/* A job attempt completed on host_id: host activity (§19.4). */
int reputation_on_job_completed(const char *host_id, const char *job_id, int attempt, int64_t now);
/* A job attempt failed: a host fault penalises the host (job_failure_host); a user fault records
 * job_failure_user on the owner's user entity (owner = customer id; nothing when empty); a
 * policy violation (mining) also applies terms_violation to the owner, once per job. */
int reputation_on_job_failed(const char *host_id, const char *owner, const char *job_id, int attempt,
                             enum jobstate_failure_class cls, int64_t now);
/* A confirmed mining kill (§17.6): terms_violation on the job owner's user entity, once per job
 * (the failure report and the alert may both say it). The host is not penalised. */
int reputation_on_mining_kill(const char *owner, const char *job_id, int64_t now);
/* An enforced SLA month with a credit (§19.3, §26): sla_breach on the host, once per month
 * ("YYYY-MM"). For the SLA service to call inside its enforcement transaction. */
int reputation_on_sla_breach(const char *host_id, const char *month, int64_t now);
/* Grants a verification inside the caller's transaction (e.g. an approved incorporation).
 * A type already granted changes nothing. */
int reputation_grant(enum rep_entity_type type, const char *entity_id, enum rep_verification v, const char *actor,
                     int64_t now);

/* ---- admin writes (their own transaction; audit event reputation.*) ---- */

/* 400 `Invalid verification type: <t>`; 400 `Invalid entity_type: <t>`. */
int reputation_verify(const char *entity_type, const char *entity_id, const char *verification_type,
                      const char *actor, int64_t now, struct rep_view *out, struct svc_err *e);
/* 400 `Invalid penalty type: <t>`. reason "" or NULL: "Penalty: <type>". */
int reputation_penalty(const char *entity_type, const char *entity_id, const char *penalty_type, const char *reason,
                       const char *actor, int64_t now, struct rep_view *out, struct svc_err *e);

/* ---- reads (never write) ---- */

int reputation_get(enum rep_entity_type type, const char *entity_id, int64_t now, struct rep_view *out);
/* final_score (tenths) and tier of a host at now (0/new_user when it has none). */
int reputation_host_score(const char *host_id, int64_t now, int64_t *final_tenths, enum rep_tier *tier);
/* Newest `limit` events, newest first; free with rstore_events_free. */
int reputation_history(enum rep_entity_type type, const char *entity_id, int limit, struct rep_event_row **out,
                       size_t *n);
/* Every scored entity of a type, in leaderboard order (§19.7), at most limit. Caller frees. */
int reputation_leaderboard(enum rep_entity_type type, int limit, int64_t now, struct rep_view **out, size_t *n);

#endif
