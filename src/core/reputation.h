#ifndef XC_CORE_REPUTATION_H
#define XC_CORE_REPUTATION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"

/* Reputation (domain §19, api §6.8). Pure: the caller loads the stored facts of an entity and
 * passes `now` (int64 µs, UTC). Points are integer TENTHS (50.0 -> 500). Reading a score
 * (rep_score) never changes the facts: decay is computed at read time only. Ratios are ppm
 * (search boost 0.8 -> 800 000); reliability is in 1/10 000 (0.815 -> 8150). */

#define REP_NO_TIME INT64_MIN /* last_activity_at null */

#define REP_ENTITY_TYPES(X) X(HOST, "host") X(USER, "user")
enum rep_entity_type {
#define X(id, name) REP_ENTITY_##id,
    REP_ENTITY_TYPES(X)
#undef X
    REP_ENTITY__COUNT
};

/* Verification types and their points (tenths), in grant order of §19.2; total capped at 250.0. */
#define REP_VERIFICATIONS(X)                                                                       \
    X(EMAIL, "email", 500)                                                                         \
    X(PHONE, "phone", 500)                                                                         \
    X(GOV_ID, "gov_id", 750)                                                                       \
    X(HARDWARE_AUDIT, "hardware_audit", 750)                                                       \
    X(INCORPORATION, "incorporation", 1000)                                                        \
    X(DATA_CENTER, "data_center", 1000)

enum rep_verification {
#define X(id, name, pts) REP_VER_##id,
    REP_VERIFICATIONS(X)
#undef X
    REP_VER__COUNT
};

/* Penalty types and their points (tenths, §19.3). */
#define REP_PENALTIES(X)                                                                           \
    X(JOB_FAILURE_HOST, "job_failure_host", -500)                                                  \
    X(CHARGEBACK, "chargeback", -1000)                                                             \
    X(FRAUD_FLAG, "fraud_flag", -2500)                                                             \
    X(SLA_BREACH, "sla_breach", -750)                                                              \
    X(SECURITY_INCIDENT, "security_incident", -2000)                                               \
    X(HARDWARE_DAMAGE, "hardware_damage", -1500)                                                   \
    X(TERMS_VIOLATION, "terms_violation", -1000)

enum rep_penalty {
#define X(id, name, pts) REP_PEN_##id,
    REP_PENALTIES(X)
#undef X
    REP_PEN__COUNT
};

/* Tiers: name, minimum final score (tenths, inclusive), search boost (ppm), pricing premium
 * (ppm, advisory). Ascending; a score takes the highest tier whose minimum it reaches. */
#define REP_TIERS(X)                                                                               \
    X(NEW_USER, "new_user", 0, 800000, 0)                                                          \
    X(BRONZE, "bronze", 1000, 1000000, 0)                                                          \
    X(SILVER, "silver", 2500, 1100000, 50000)                                                      \
    X(GOLD, "gold", 4500, 1250000, 200000)                                                         \
    X(PLATINUM, "platinum", 6500, 1500000, 400000)                                                 \
    X(DIAMOND, "diamond", 8500, 2000000, 500000)

enum rep_tier {
#define X(id, name, min, boost, premium) REP_TIER_##id,
    REP_TIERS(X)
#undef X
    REP_TIER__COUNT
};

#define REP_VERIFICATION_CAP INT64_C(2500) /* 250.0 */
#define REP_ACTIVITY_CAP INT64_C(5000)     /* 500.0 */

/* Names (NULL when out of range) and exact-name parsers (0 or XC_EINVAL; unknown types are the
 * API's 400). */
const char *rep_entity_type_name(enum rep_entity_type t);
int rep_entity_type_parse(const char *name, enum rep_entity_type *out);
const char *rep_verification_name(enum rep_verification v);
int rep_verification_parse(const char *name, enum rep_verification *out);
int64_t rep_verification_points(enum rep_verification v); /* tenths; 0 when out of range */
const char *rep_penalty_name(enum rep_penalty p);
int rep_penalty_parse(const char *name, enum rep_penalty *out);
int64_t rep_penalty_points(enum rep_penalty p); /* tenths, negative; 0 when out of range */
const char *rep_tier_name(enum rep_tier t);
int64_t rep_tier_min(enum rep_tier t);          /* tenths */
int64_t rep_tier_boost_ppm(enum rep_tier t);
int64_t rep_tier_premium_ppm(enum rep_tier t);
/* Tier of a final score in tenths (999 -> new_user, 1000 -> bronze, 8500 -> diamond). */
enum rep_tier rep_tier_of(int64_t final_tenths);

/* ---- stored facts and the events that change them ---- */

/* The stored row of one entity (what the store keeps; api §6.8 without the derived fields). */
struct rep_facts {
    unsigned verifications;      /* bit (1u << enum rep_verification) per granted type */
    int64_t verification_points; /* tenths, min(Σ granted, 2500) */
    int64_t activity_points;     /* tenths, before decay, <= 5000 */
    int64_t penalty_points;      /* tenths, <= 0, no floor */
    int64_t jobs_completed;
    int64_t jobs_failed_host;
    int64_t jobs_failed_user;
    int64_t last_activity_at_us; /* REP_NO_TIME when never active */
    int64_t reliability_e4;      /* stored reliability (hosts; recomputed daily), 0..10 000 */
    int64_t events;              /* reputation events recorded (events_analyzed) */
};

/* A new entity: nothing granted, reliability 1.0, never active. */
struct rep_facts rep_facts_new(void);

/* The history row an event appends (ReputationEvent without id/metadata/created_at). */
#define REP_EVENT_TYPE_MAX 48
#define REP_REASON_MAX 128
struct rep_event {
    char event_type[REP_EVENT_TYPE_MAX]; /* verification_<type>, job_completed, job_failure_host,
                                            job_failure_user, penalty_<type> */
    int64_t points_delta;                /* tenths: the actual change */
    char reason[REP_REASON_MAX];
};

/* Grants a verification type (admin only, §19.2): event verification_<type>, points_delta = the
 * actual increase (0 once capped), reason "Completed <type> verification". A type already
 * granted changes nothing, records nothing and returns XC_ECONFLICT. 0 when applied; XC_EINVAL
 * when out of range. ev may be NULL. */
int rep_grant_verification(struct rep_facts *f, enum rep_verification v, struct rep_event *ev);

/* Activity points (tenths) of a completion when n jobs were completed before it:
 * 0–49 100, 50–99 50, 100–149 25, 150–199 12, >= 200 10. */
int64_t rep_activity_points(int64_t completed_before);

/* A completed job (§19.4): activity = min(activity + points, 500.0), jobs_completed + 1,
 * last_activity_at = now; event job_completed, points_delta = the actual increase, reason
 * "Job completed successfully (+<points, 1 decimal> points, job #<n+1>)" (the table points). */
int rep_job_completed(struct rep_facts *f, int64_t now_us, struct rep_event *ev);

/* A host-fault failure: penalty −50.0, jobs_failed_host + 1, last_activity_at = now; event
 * job_failure_host, reason "Job failed due to host-side error". */
int rep_job_failed_host(struct rep_facts *f, int64_t now_us, struct rep_event *ev);

/* A user-fault failure: no penalty, jobs_failed_user + 1, last_activity_at = now; event
 * job_failure_user, delta 0, reason "Job failed due to user-side error (no penalty)". */
int rep_job_failed_user(struct rep_facts *f, int64_t now_us, struct rep_event *ev);

/* A penalty of a type (§19.3): penalty_points += its points; event penalty_<type>, reason the
 * caller's (NULL -> "Penalty: <type>"). Does not touch last_activity_at. XC_EINVAL when out of
 * range. (Host failures go through rep_job_failed_host; mining kills apply terms_violation to the
 * job owner's user entity; an enforced SLA month with a credit applies sla_breach to the host.) */
int rep_penalize(struct rep_facts *f, enum rep_penalty p, const char *reason, struct rep_event *ev);

/* ---- rebuilding the row from an event list ---- */

#define REP_FACT_KINDS(X)                                                                          \
    X(VERIFICATION, "verification")                                                                \
    X(JOB_COMPLETED, "job_completed")                                                              \
    X(JOB_FAILURE_HOST, "job_failure_host")                                                        \
    X(JOB_FAILURE_USER, "job_failure_user")                                                        \
    X(PENALTY, "penalty")

enum rep_fact_kind {
#define X(id, name) REP_FACT_##id,
    REP_FACT_KINDS(X)
#undef X
    REP_FACT__COUNT
};

/* One stored fact: what happened and when. `type` is the enum rep_verification (VERIFICATION) or
 * enum rep_penalty (PENALTY); ignored otherwise. */
struct rep_fact {
    enum rep_fact_kind kind;
    int type;
    int64_t at_us;
};

/* Replays facts (in recording order) onto rep_facts_new(): the same row the incremental functions
 * build. Repeated verification grants are skipped (they record nothing). reliability_e4 is left
 * at 1.0 for the caller to set. Returns 0, or XC_EINVAL (out-of-range kind/type; *out then holds
 * the facts before it). */
int rep_replay(const struct rep_fact *facts, size_t n, struct rep_facts *out);

/* ---- decay, reliability, score ---- */

/* Decay in tenths at now: inactive = now − last_activity_at; when inactive > 7 days,
 * floor((inactive − 604 800 s) × 10 / 86 400 s), capped at `activity`; else 0 (and 0 when never
 * active). Activity 100.0 last active 10.5 days ago -> 35. */
int64_t rep_decay(int64_t activity_tenths, int64_t last_activity_at_us, int64_t now_us);

/* n of §19.5: the latest verification's network_quality. */
#define REP_NETWORK(X) X(NEVER, "never") X(PASSED, "passed") X(FAILED, "failed")
enum rep_network {
#define X(id, name) REP_NET_##id,
    REP_NETWORK(X)
#undef X
    REP_NET__COUNT
};

/* Host reliability in 1/10 000: clamp(RHU(40·u + 35·s + 25·n, 10 000), 0, 10 000) with u, s, n in
 * ppm. u = 30-day uptime (uptime_pct_e4 of core/sla.h is the same integer); s = completed /
 * (completed + host failures) over 90 days, RHU to ppm, 1.0 with no jobs; n = 1.0 never
 * verified or passed, 0.5 failed. (0.9, 0.8, 0.7) -> 8150. */
int64_t rep_reliability_e4(int64_t uptime_ppm, int64_t completed_90d, int64_t host_failures_90d,
                           enum rep_network net);

/* The §19.5 mix of three fractions in ppm: clamp(RHU(40·u + 35·s + 25·n, 10 000), 0, 10 000).
 * (900 000, 800 000, 700 000) -> 8150. */
int64_t rep_reliability_mix_e4(int64_t u_ppm, int64_t s_ppm, int64_t n_ppm);

/* ReputationScore (api §6.8) plus the §19.8 breakdown; all points in tenths. */
struct rep_score {
    int64_t verification_points; /* min(stored, 250.0) */
    int64_t activity_points;     /* min(stored − decay, 500.0) */
    int64_t decay_points;        /* decay (>= 0) */
    int64_t penalty_points;
    int64_t reliability_e4;      /* users: 10 000 */
    int64_t raw_score;           /* verification + activity + penalty */
    int64_t final_score;         /* max(0, RHU(raw × reliability, 10 000)) */
    enum rep_tier tier;
    int64_t search_boost_ppm;
    int64_t pricing_premium_ppm;
    struct {
        int64_t verification;    /* verification points */
        int64_t jobs_completed;  /* activity before decay */
        int64_t penalties;       /* penalty points */
        int64_t decay;           /* −decay */
        int64_t uptime_bonus;    /* final − raw (the reliability adjustment) */
        int64_t events_analyzed; /* number of reputation events */
    } breakdown;
};

/* The score of an entity at now (read time): never changes *f. Users always have reliability 1.0;
 * hosts use f->reliability_e4. Returns 0, or XC_EINVAL. */
int rep_score(const struct rep_facts *f, enum rep_entity_type type, int64_t now_us,
              struct rep_score *out);

/* Leaderboard order (§19.7): final score descending, then entity id ascending (byte order).
 * < 0 when a ranks first. */
int rep_leader_cmp(int64_t a_final, const char *a_id, int64_t b_final, const char *b_id);

#endif
