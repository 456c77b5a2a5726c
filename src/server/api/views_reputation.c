/* Reputation views (see views_reputation.h). */
#include "server/api/views_reputation.h"

#include "common/jsonx.h"

#define TENTHS(v) jx_fixed((v), 1)

static json_t *verifications(unsigned mask)
{
    json_t *a = json_array();
    for (int i = 0; i < REP_VER__COUNT; i++)
        if (mask & (1u << i))
            json_array_append_new(a, json_string(rep_verification_name((enum rep_verification)i)));
    return a;
}

json_t *view_rep_score(const struct rep_view *v)
{
    const struct rep_score *s = &v->sc;
    json_t *o = json_object();
    json_object_set_new(o, "entity_id", json_string(v->entity_id));
    json_object_set_new(o, "entity_type", json_string(rep_entity_type_name(v->type)));
    json_object_set_new(o, "verification_points", TENTHS(s->verification_points));
    json_object_set_new(o, "activity_points", TENTHS(s->activity_points));
    json_object_set_new(o, "decay_points", TENTHS(s->decay_points));
    json_object_set_new(o, "penalty_points", TENTHS(s->penalty_points));
    json_object_set_new(o, "reliability_score", jx_fixed(s->reliability_e4, 4));
    json_object_set_new(o, "raw_score", TENTHS(s->raw_score));
    json_object_set_new(o, "final_score", TENTHS(s->final_score));
    json_object_set_new(o, "tier", json_string(rep_tier_name(s->tier)));
    json_object_set_new(o, "jobs_completed", json_integer(v->f.jobs_completed));
    json_object_set_new(o, "jobs_failed_host", json_integer(v->f.jobs_failed_host));
    json_object_set_new(o, "jobs_failed_user", json_integer(v->f.jobs_failed_user));
    json_object_set_new(o, "days_active", json_integer(v->days_active));
    json_object_set_new(o, "last_activity_at",
                        v->f.last_activity_at_us == REP_NO_TIME ? json_null() : jx_ts(v->f.last_activity_at_us));
    json_object_set_new(o, "verifications", verifications(v->f.verifications));
    json_object_set_new(o, "search_boost", jx_fixed(s->search_boost_ppm, 6));
    json_object_set_new(o, "pricing_premium_pct", jx_fixed(s->pricing_premium_ppm, 6));
    return o;
}

json_t *view_rep_leader(int rank, const struct rep_view *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "rank", json_integer(rank));
    json_object_set_new(o, "entity_id", json_string(v->entity_id));
    json_object_set_new(o, "entity_type", json_string(rep_entity_type_name(v->type)));
    json_object_set_new(o, "final_score", TENTHS(v->sc.final_score));
    json_object_set_new(o, "tier", json_string(rep_tier_name(v->sc.tier)));
    json_object_set_new(o, "jobs_completed", json_integer(v->f.jobs_completed));
    json_object_set_new(o, "reliability_score", jx_fixed(v->sc.reliability_e4, 4));
    json_object_set_new(o, "search_boost", jx_fixed(v->sc.search_boost_ppm, 6));
    json_object_set_new(o, "pricing_premium_pct", jx_fixed(v->sc.pricing_premium_ppm, 6));
    return o;
}

json_t *view_rep_event(const struct rep_event_row *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "event_id", json_integer(e->event_id));
    json_object_set_new(o, "entity_id", json_string(e->entity_id));
    json_object_set_new(o, "event_type", json_string(e->event_type));
    json_object_set_new(o, "points_delta", TENTHS(e->points_delta));
    json_object_set_new(o, "reason", jx_str_lossy(e->reason)); /* a long reason may be cut mid-character */
    json_object_set_new(o, "metadata", jx_parse_or(e->metadata, json_object()));
    json_object_set_new(o, "created_at", jx_ts(e->created_at));
    return o;
}

json_t *view_rep_breakdown(const struct rep_view *v)
{
    const struct rep_score *s = &v->sc;
    json_t *b = json_object();
    json_object_set_new(b, "verification", TENTHS(s->breakdown.verification));
    json_object_set_new(b, "jobs_completed", TENTHS(s->breakdown.jobs_completed));
    json_object_set_new(b, "uptime_bonus", TENTHS(s->breakdown.uptime_bonus));
    json_object_set_new(b, "penalties", TENTHS(s->breakdown.penalties));
    json_object_set_new(b, "decay", TENTHS(s->breakdown.decay));
    json_t *o = json_object();
    json_object_set_new(o, "entity_id", json_string(v->entity_id));
    json_object_set_new(o, "entity_type", json_string(rep_entity_type_name(v->type)));
    json_object_set_new(o, "total_score", TENTHS(s->final_score));
    json_object_set_new(o, "tier", json_string(rep_tier_name(s->tier)));
    json_object_set_new(o, "breakdown", b);
    json_object_set_new(o, "events_analyzed", json_integer(s->breakdown.events_analyzed));
    return o;
}
