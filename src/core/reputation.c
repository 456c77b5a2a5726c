/* Reputation: points, penalties, activity, read-time decay, reliability, tiers (domain §19, pure). */
#include "core/reputation.h"

#include <stdio.h>
#include <string.h>

#include "common/fixed.h"
#include "common/units.h"
#include "core/states.h"

#define DAY_US (INT64_C(86400) * SEC)
#define DECAY_GRACE_US (7 * DAY_US)

static const char *const entity_names[REP_ENTITY__COUNT] = {
#define X(id, name) name,
    REP_ENTITY_TYPES(X)
#undef X
};

static const char *const ver_names[REP_VER__COUNT] = {
#define X(id, name, pts) name,
    REP_VERIFICATIONS(X)
#undef X
};
static const int64_t ver_points[REP_VER__COUNT] = {
#define X(id, name, pts) pts,
    REP_VERIFICATIONS(X)
#undef X
};

static const char *const pen_names[REP_PEN__COUNT] = {
#define X(id, name, pts) name,
    REP_PENALTIES(X)
#undef X
};
static const int64_t pen_points[REP_PEN__COUNT] = {
#define X(id, name, pts) pts,
    REP_PENALTIES(X)
#undef X
};

static const struct {
    const char *name;
    int64_t min, boost, premium;
} tiers[REP_TIER__COUNT] = {
#define X(id, name, min, boost, premium) {name, min, boost, premium},
    REP_TIERS(X)
#undef X
};

const char *rep_entity_type_name(enum rep_entity_type t)
{
    return (unsigned)t < REP_ENTITY__COUNT ? entity_names[t] : NULL;
}

int rep_entity_type_parse(const char *name, enum rep_entity_type *out)
{
    int i = states_index(entity_names, REP_ENTITY__COUNT, name);
    if (i >= 0)
        *out = (enum rep_entity_type)i;
    return i < 0 ? i : 0;
}

const char *rep_verification_name(enum rep_verification v)
{
    return (unsigned)v < REP_VER__COUNT ? ver_names[v] : NULL;
}

int rep_verification_parse(const char *name, enum rep_verification *out)
{
    int i = states_index(ver_names, REP_VER__COUNT, name);
    if (i >= 0)
        *out = (enum rep_verification)i;
    return i < 0 ? i : 0;
}

int64_t rep_verification_points(enum rep_verification v)
{
    return (unsigned)v < REP_VER__COUNT ? ver_points[v] : 0;
}

const char *rep_penalty_name(enum rep_penalty p)
{
    return (unsigned)p < REP_PEN__COUNT ? pen_names[p] : NULL;
}

int rep_penalty_parse(const char *name, enum rep_penalty *out)
{
    int i = states_index(pen_names, REP_PEN__COUNT, name);
    if (i >= 0)
        *out = (enum rep_penalty)i;
    return i < 0 ? i : 0;
}

int64_t rep_penalty_points(enum rep_penalty p)
{
    return (unsigned)p < REP_PEN__COUNT ? pen_points[p] : 0;
}

const char *rep_tier_name(enum rep_tier t)
{
    return (unsigned)t < REP_TIER__COUNT ? tiers[t].name : NULL;
}

int64_t rep_tier_min(enum rep_tier t)
{
    return (unsigned)t < REP_TIER__COUNT ? tiers[t].min : 0;
}

int64_t rep_tier_boost_ppm(enum rep_tier t)
{
    return (unsigned)t < REP_TIER__COUNT ? tiers[t].boost : 0;
}

int64_t rep_tier_premium_ppm(enum rep_tier t)
{
    return (unsigned)t < REP_TIER__COUNT ? tiers[t].premium : 0;
}

enum rep_tier rep_tier_of(int64_t final_tenths)
{
    int t = 0;
    while (t + 1 < REP_TIER__COUNT && final_tenths >= tiers[t + 1].min)
        t++;
    return (enum rep_tier)t;
}

/* ---- events ---- */

struct rep_facts rep_facts_new(void)
{
    struct rep_facts f = {0};
    f.last_activity_at_us = REP_NO_TIME;
    f.reliability_e4 = 10000;
    return f;
}

/* Tenths as "<int>.<digit>", sign kept ("10.0", "1.2", "-50.0"). */
static void tenths_fmt(int64_t v, char *buf, size_t n)
{
    int64_t a = v < 0 ? -v : v;
    snprintf(buf, n, "%s%lld.%lld", v < 0 ? "-" : "", (long long)(a / 10), (long long)(a % 10));
}

static void event_fill(struct rep_event *ev, int64_t delta, const char *type_fmt, const char *type_arg,
                       const char *reason)
{
    if (!ev)
        return;
    snprintf(ev->event_type, sizeof ev->event_type, type_fmt, type_arg);
    ev->points_delta = delta;
    snprintf(ev->reason, sizeof ev->reason, "%s", reason);
}

int rep_grant_verification(struct rep_facts *f, enum rep_verification v, struct rep_event *ev)
{
    if (!f || (unsigned)v >= REP_VER__COUNT)
        return XC_EINVAL;
    if (f->verifications & (1u << v))
        return XC_ECONFLICT;
    int64_t before = f->verification_points;
    int64_t after = before + ver_points[v];
    if (after > REP_VERIFICATION_CAP)
        after = REP_VERIFICATION_CAP;
    if (after < before)
        after = before;
    f->verifications |= 1u << v;
    f->verification_points = after;
    f->events++;
    char reason[REP_REASON_MAX];
    snprintf(reason, sizeof reason, "Completed %s verification", ver_names[v]);
    event_fill(ev, after - before, "verification_%s", ver_names[v], reason);
    return 0;
}

int64_t rep_activity_points(int64_t n)
{
    int64_t pts = 10;
    if (n < 50)
        pts = 100;
    else if (n < 100)
        pts = 50;
    else if (n < 150)
        pts = 25;
    else if (n < 200)
        pts = 12;
    return pts;
}

int rep_job_completed(struct rep_facts *f, int64_t now_us, struct rep_event *ev)
{
    if (!f)
        return XC_EINVAL;
    int64_t pts = rep_activity_points(f->jobs_completed);
    int64_t before = f->activity_points;
    int64_t after = before + pts > REP_ACTIVITY_CAP ? REP_ACTIVITY_CAP : before + pts;
    if (after < before)
        after = before;
    f->activity_points = after;
    f->jobs_completed++;
    f->last_activity_at_us = now_us;
    f->events++;
    char p[32], reason[REP_REASON_MAX];
    tenths_fmt(pts, p, sizeof p);
    snprintf(reason, sizeof reason, "Job completed successfully (+%s points, job #%lld)", p,
             (long long)f->jobs_completed);
    event_fill(ev, after - before, "%s", "job_completed", reason);
    return 0;
}

int rep_job_failed_host(struct rep_facts *f, int64_t now_us, struct rep_event *ev)
{
    if (!f)
        return XC_EINVAL;
    f->penalty_points += pen_points[REP_PEN_JOB_FAILURE_HOST];
    f->jobs_failed_host++;
    f->last_activity_at_us = now_us;
    f->events++;
    event_fill(ev, pen_points[REP_PEN_JOB_FAILURE_HOST], "%s", "job_failure_host",
               "Job failed due to host-side error");
    return 0;
}

int rep_job_failed_user(struct rep_facts *f, int64_t now_us, struct rep_event *ev)
{
    if (!f)
        return XC_EINVAL;
    f->jobs_failed_user++;
    f->last_activity_at_us = now_us;
    f->events++;
    event_fill(ev, 0, "%s", "job_failure_user", "Job failed due to user-side error (no penalty)");
    return 0;
}

int rep_penalize(struct rep_facts *f, enum rep_penalty p, const char *reason, struct rep_event *ev)
{
    if (!f || (unsigned)p >= REP_PEN__COUNT)
        return XC_EINVAL;
    f->penalty_points += pen_points[p];
    f->events++;
    char dflt[REP_REASON_MAX];
    snprintf(dflt, sizeof dflt, "Penalty: %s", pen_names[p]);
    event_fill(ev, pen_points[p], "penalty_%s", pen_names[p], reason ? reason : dflt);
    return 0;
}

int rep_replay(const struct rep_fact *facts, size_t n, struct rep_facts *out)
{
    int rc = 0;
    if (!out || (n && !facts))
        return XC_EINVAL;
    *out = rep_facts_new();
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct rep_fact *x = &facts[i];
        switch (x->kind) {
        case REP_FACT_VERIFICATION:
            rc = rep_grant_verification(out, (enum rep_verification)x->type, NULL);
            if (rc == XC_ECONFLICT)
                rc = 0;
            break;
        case REP_FACT_JOB_COMPLETED:
            rc = rep_job_completed(out, x->at_us, NULL);
            break;
        case REP_FACT_JOB_FAILURE_HOST:
            rc = rep_job_failed_host(out, x->at_us, NULL);
            break;
        case REP_FACT_JOB_FAILURE_USER:
            rc = rep_job_failed_user(out, x->at_us, NULL);
            break;
        case REP_FACT_PENALTY:
            rc = rep_penalize(out, (enum rep_penalty)x->type, NULL, NULL);
            break;
        default:
            rc = XC_EINVAL;
            break;
        }
    }
    return rc;
}

/* ---- reading ---- */

int64_t rep_decay(int64_t activity, int64_t last_activity_at_us, int64_t now_us)
{
    int64_t decay = 0;
    if (last_activity_at_us != REP_NO_TIME && now_us - last_activity_at_us > DECAY_GRACE_US) {
        decay = (int64_t)((__int128)(now_us - last_activity_at_us - DECAY_GRACE_US) * 10 / DAY_US);
        if (decay > activity)
            decay = activity > 0 ? activity : 0;
    }
    return decay;
}

int64_t rep_reliability_mix_e4(int64_t u, int64_t s, int64_t n)
{
    int64_t r = fixed_rhu128((__int128)40 * u + (__int128)35 * s + (__int128)25 * n, 10000);
    return r < 0 ? 0 : r > 10000 ? 10000 : r;
}

int64_t rep_reliability_e4(int64_t u, int64_t completed, int64_t failures, enum rep_network net)
{
    int64_t s = completed + failures > 0 ? fixed_rhu128((__int128)completed * 1000000, completed + failures)
                                         : 1000000;
    return rep_reliability_mix_e4(u, s, net == REP_NET_FAILED ? 500000 : 1000000);
}

int rep_score(const struct rep_facts *f, enum rep_entity_type type, int64_t now_us,
              struct rep_score *out)
{
    if (!f || !out || (unsigned)type >= REP_ENTITY__COUNT)
        return XC_EINVAL;
    memset(out, 0, sizeof *out);
    int64_t decay = rep_decay(f->activity_points, f->last_activity_at_us, now_us);
    int64_t activity = f->activity_points - decay;
    out->verification_points = f->verification_points > REP_VERIFICATION_CAP ? REP_VERIFICATION_CAP
                                                                              : f->verification_points;
    out->activity_points = activity > REP_ACTIVITY_CAP ? REP_ACTIVITY_CAP : activity;
    out->decay_points = decay;
    out->penalty_points = f->penalty_points;
    out->reliability_e4 = type == REP_ENTITY_USER ? 10000 : f->reliability_e4;
    out->raw_score = out->verification_points + out->activity_points + out->penalty_points;
    int64_t fin = fixed_rhu128((__int128)out->raw_score * out->reliability_e4, 10000);
    out->final_score = fin > 0 ? fin : 0;
    out->tier = rep_tier_of(out->final_score);
    out->search_boost_ppm = tiers[out->tier].boost;
    out->pricing_premium_ppm = tiers[out->tier].premium;
    out->breakdown.verification = out->verification_points;
    out->breakdown.jobs_completed = f->activity_points;
    out->breakdown.penalties = f->penalty_points;
    out->breakdown.decay = -decay;
    out->breakdown.uptime_bonus = out->final_score - out->raw_score;
    out->breakdown.events_analyzed = f->events;
    return 0;
}

int rep_leader_cmp(int64_t a_final, const char *a_id, int64_t b_final, const char *b_id)
{
    int c = a_final > b_final ? -1 : a_final < b_final ? 1 : 0;
    if (c == 0)
        c = strcmp(a_id ? a_id : "", b_id ? b_id : "");
    return c;
}
