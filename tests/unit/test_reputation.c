#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/units.h"
#include "core/reputation.h"

#define T0 (INT64_C(1767225600) * SEC)
#define S(x) ((int64_t)(x) * SEC)
#define DAY S(86400)

Test(reputation, names_and_tables)
{
    const char *vers[] = {"email", "phone", "gov_id", "hardware_audit", "incorporation", "data_center"};
    int64_t vpts[] = {500, 500, 750, 750, 1000, 1000};
    for (int i = 0; i < REP_VER__COUNT; i++) {
        enum rep_verification v;
        cr_assert_str_eq(rep_verification_name((enum rep_verification)i), vers[i]);
        cr_assert_eq(rep_verification_parse(vers[i], &v), 0);
        cr_assert_eq(v, (enum rep_verification)i);
        cr_assert_eq(rep_verification_points(v), vpts[i]);
    }
    const char *pens[] = {"job_failure_host", "chargeback",      "fraud_flag",     "sla_breach",
                          "security_incident", "hardware_damage", "terms_violation"};
    int64_t ppts[] = {-500, -1000, -2500, -750, -2000, -1500, -1000};
    for (int i = 0; i < REP_PEN__COUNT; i++) {
        enum rep_penalty p;
        cr_assert_str_eq(rep_penalty_name((enum rep_penalty)i), pens[i]);
        cr_assert_eq(rep_penalty_parse(pens[i], &p), 0);
        cr_assert_eq(rep_penalty_points(p), ppts[i]);
    }
    enum rep_verification v;
    enum rep_penalty p;
    enum rep_entity_type e;
    cr_assert_eq(rep_verification_parse("invalid_type", &v), XC_EINVAL); /* REP-13 -> 400 */
    cr_assert_eq(rep_penalty_parse("speeding", &p), XC_EINVAL);
    cr_assert_eq(rep_penalty_parse(NULL, &p), XC_EINVAL);
    cr_assert_eq(rep_entity_type_parse("host", &e), 0);
    cr_assert_eq(e, REP_ENTITY_HOST);
    cr_assert_eq(rep_entity_type_parse("user", &e), 0);
    cr_assert_eq(e, REP_ENTITY_USER);
    cr_assert_eq(rep_entity_type_parse("leaderboard", &e), XC_EINVAL);
    cr_assert_null(rep_tier_name(REP_TIER__COUNT));
    const char *tiers[] = {"new_user", "bronze", "silver", "gold", "platinum", "diamond"};
    int64_t boost[] = {800000, 1000000, 1100000, 1250000, 1500000, 2000000};
    int64_t prem[] = {0, 0, 50000, 200000, 400000, 500000};
    for (int i = 0; i < REP_TIER__COUNT; i++) {
        cr_assert_str_eq(rep_tier_name((enum rep_tier)i), tiers[i]);
        cr_assert_eq(rep_tier_boost_ppm((enum rep_tier)i), boost[i]);
        cr_assert_eq(rep_tier_premium_ppm((enum rep_tier)i), prem[i]);
    }
    /* REP-08 */
    cr_assert_eq(rep_tier_boost_ppm(REP_TIER_BRONZE), 1000000);
    cr_assert_gt(rep_tier_boost_ppm(REP_TIER_PLATINUM), rep_tier_boost_ppm(REP_TIER_GOLD));
    cr_assert_gt(rep_tier_premium_ppm(REP_TIER_GOLD), 0);
    cr_assert_eq(rep_tier_premium_ppm(REP_TIER_BRONZE), 0);
}

Test(reputation, rep01_tier_boundaries)
{
    struct {
        int64_t score;
        enum rep_tier t;
    } rows[] = {{0, REP_TIER_NEW_USER},     {990, REP_TIER_NEW_USER},   {999, REP_TIER_NEW_USER},
                {1000, REP_TIER_BRONZE},    {1001, REP_TIER_BRONZE},    {2499, REP_TIER_BRONZE},
                {2500, REP_TIER_SILVER},    {2501, REP_TIER_SILVER},    {4499, REP_TIER_SILVER},
                {4500, REP_TIER_GOLD},      {4501, REP_TIER_GOLD},      {6499, REP_TIER_GOLD},
                {6500, REP_TIER_PLATINUM},  {6501, REP_TIER_PLATINUM},  {8499, REP_TIER_PLATINUM},
                {8500, REP_TIER_DIAMOND},   {8501, REP_TIER_DIAMOND},   {15000, REP_TIER_DIAMOND}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_assert_eq(rep_tier_of(rows[i].score), rows[i].t, "%lld", (long long)rows[i].score);
}

Test(reputation, rep02_verification_points)
{
    struct rep_facts f = rep_facts_new();
    struct rep_event ev;
    cr_assert_eq(rep_grant_verification(&f, REP_VER_EMAIL, &ev), 0);
    cr_assert_eq(f.verification_points, 500);
    cr_assert_str_eq(ev.event_type, "verification_email");
    cr_assert_eq(ev.points_delta, 500);
    cr_assert_str_eq(ev.reason, "Completed email verification");
    memset(&ev, 0x5a, sizeof ev);
    cr_assert_eq(rep_grant_verification(&f, REP_VER_EMAIL, &ev), XC_ECONFLICT);
    cr_assert_eq(f.verification_points, 500);
    cr_assert_eq(f.events, 1);
    /* 50, 100, 175, 250, 250, 250 */
    int64_t want[] = {1000, 1750, 2500, 2500, 2500};
    int64_t deltas[] = {500, 750, 750, 0, 0};
    for (int v = REP_VER_PHONE; v < REP_VER__COUNT; v++) {
        cr_assert_eq(rep_grant_verification(&f, (enum rep_verification)v, &ev), 0);
        cr_assert_eq(f.verification_points, want[v - 1]);
        cr_assert_eq(ev.points_delta, deltas[v - 1]);
    }
    cr_assert_str_eq(ev.event_type, "verification_data_center");
    cr_assert_eq(f.verifications, 0x3f);
    cr_assert_eq(f.events, 6);
    cr_assert_eq(rep_grant_verification(&f, REP_VER__COUNT, NULL), XC_EINVAL);
}

Test(reputation, rep03_rep04_activity)
{
    int64_t table[][2] = {{0, 100}, {49, 100}, {50, 50}, {99, 50}, {100, 25},
                          {149, 25}, {150, 12}, {199, 12}, {200, 10}, {1000, 10}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        cr_assert_eq(rep_activity_points(table[i][0]), table[i][1]);
    struct rep_facts f = rep_facts_new();
    struct rep_event ev;
    cr_assert_eq(rep_job_completed(&f, T0, &ev), 0);
    cr_assert_eq(f.activity_points, 100);
    cr_assert_eq(f.jobs_completed, 1);
    cr_assert_eq(f.last_activity_at_us, T0);
    cr_assert_str_eq(ev.event_type, "job_completed");
    cr_assert_eq(ev.points_delta, 100);
    cr_assert_str_eq(ev.reason, "Job completed successfully (+10.0 points, job #1)");
    cr_assert_eq(rep_job_completed(&f, T0 + 1, &ev), 0);
    cr_assert_eq(f.activity_points, 200);
    for (int i = 2; i < 50; i++)
        rep_job_completed(&f, T0 + i, NULL);
    cr_assert_eq(f.activity_points, 5000);
    cr_assert_eq(rep_job_completed(&f, T0 + 50, &ev), 0); /* the 51st adds 5.0, but the cap holds */
    cr_assert_str_eq(ev.reason, "Job completed successfully (+5.0 points, job #51)");
    cr_assert_eq(ev.points_delta, 0);
    cr_assert_eq(f.activity_points, 5000);
    /* the 51st on a fresh entity with less activity adds exactly 5.0 */
    struct rep_facts g = rep_facts_new();
    g.jobs_completed = 50;
    g.activity_points = 1000;
    cr_assert_eq(rep_job_completed(&g, T0, &ev), 0);
    cr_assert_eq(g.activity_points, 1050);
    cr_assert_eq(ev.points_delta, 50);
    g.jobs_completed = 150;
    cr_assert_eq(rep_job_completed(&g, T0, &ev), 0);
    cr_assert_str_eq(ev.reason, "Job completed successfully (+1.2 points, job #151)");
    g.jobs_completed = 120;
    cr_assert_eq(rep_job_completed(&g, T0, &ev), 0);
    cr_assert_str_eq(ev.reason, "Job completed successfully (+2.5 points, job #121)");
    g.jobs_completed = 500;
    cr_assert_eq(rep_job_completed(&g, T0, &ev), 0);
    cr_assert_str_eq(ev.reason, "Job completed successfully (+1.0 points, job #501)");
}

Test(reputation, rep05_failures)
{
    struct rep_facts f = rep_facts_new();
    struct rep_event ev;
    cr_assert_eq(rep_job_failed_host(&f, T0, &ev), 0);
    cr_assert_eq(f.penalty_points, -500);
    cr_assert_eq(f.jobs_failed_host, 1);
    cr_assert_eq(f.last_activity_at_us, T0);
    cr_assert_str_eq(ev.event_type, "job_failure_host");
    cr_assert_eq(ev.points_delta, -500);
    cr_assert_str_eq(ev.reason, "Job failed due to host-side error");
    struct rep_facts u = rep_facts_new();
    cr_assert_eq(rep_job_failed_user(&u, T0 + 5, &ev), 0);
    cr_assert_eq(u.penalty_points, 0);
    cr_assert_eq(u.jobs_failed_user, 1);
    cr_assert_eq(u.last_activity_at_us, T0 + 5);
    cr_assert_str_eq(ev.event_type, "job_failure_user");
    cr_assert_eq(ev.points_delta, 0);
    cr_assert_str_eq(ev.reason, "Job failed due to user-side error (no penalty)");
}

Test(reputation, rep06_every_penalty)
{
    int64_t total = 0;
    struct rep_facts f = rep_facts_new();
    for (int p = 0; p < REP_PEN__COUNT; p++) {
        struct rep_event ev;
        cr_assert_eq(rep_penalize(&f, (enum rep_penalty)p, NULL, &ev), 0);
        total += rep_penalty_points((enum rep_penalty)p);
        cr_assert_eq(f.penalty_points, total);
        cr_assert_lt(ev.points_delta, 0);
        char type[64], reason[64];
        snprintf(type, sizeof type, "penalty_%s", rep_penalty_name((enum rep_penalty)p));
        snprintf(reason, sizeof reason, "Penalty: %s", rep_penalty_name((enum rep_penalty)p));
        cr_assert_str_eq(ev.event_type, type);
        cr_assert_str_eq(ev.reason, reason);
    }
    cr_assert_eq(total, -9250); /* no floor */
    cr_assert_eq(f.last_activity_at_us, REP_NO_TIME);
    struct rep_event ev;
    cr_assert_eq(rep_penalize(&f, REP_PEN_TERMS_VIOLATION, "Mining detected in job j1", &ev), 0);
    cr_assert_str_eq(ev.reason, "Mining detected in job j1");
    cr_assert_eq(rep_penalize(&f, REP_PEN__COUNT, NULL, &ev), XC_EINVAL);
}

Test(reputation, rep14_decay_at_read_time)
{
    int64_t last = T0;
    cr_assert_eq(rep_decay(1000, last, last + 7 * DAY), 0);      /* exactly 7 days: none */
    cr_assert_eq(rep_decay(1000, last, last + 7 * DAY + 1), 0);  /* truncated to tenths */
    cr_assert_eq(rep_decay(1000, last, last + 7 * DAY + S(8640)), 1);
    cr_assert_eq(rep_decay(1000, last, last + 7 * DAY + S(8639)), 0);
    cr_assert_eq(rep_decay(1000, last, last + 8 * DAY), 10);
    cr_assert_eq(rep_decay(1000, last, last + 10 * DAY + DAY / 2), 35); /* 10.5 days */
    cr_assert_eq(rep_decay(20, last, last + 30 * DAY), 20);               /* capped */
    cr_assert_eq(rep_decay(0, last, last + 30 * DAY), 0);
    cr_assert_eq(rep_decay(1000, REP_NO_TIME, last), 0);
    cr_assert_eq(rep_decay(1000, last, last - DAY), 0);

    struct rep_facts f = rep_facts_new();
    f.activity_points = 1000;
    f.jobs_completed = 10;
    f.last_activity_at_us = last;
    struct rep_facts copy = f;
    struct rep_score s1, s2;
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, last + 10 * DAY + DAY / 2, &s1), 0);
    cr_assert_eq(s1.activity_points, 965);
    cr_assert_eq(s1.decay_points, 35);
    cr_assert_eq(s1.breakdown.decay, -35);
    cr_assert_eq(s1.breakdown.jobs_completed, 1000);
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, last + 10 * DAY + DAY / 2, &s2), 0);
    cr_assert_eq(s2.activity_points, 965);
    cr_assert_eq(memcmp(&f, &copy, sizeof f), 0); /* facts never mutated */
}

Test(reputation, reliability)
{
    cr_assert_eq(rep_reliability_mix_e4(900000, 800000, 700000), 8150); /* §19.5 example: 0.815 */
    cr_assert_eq(rep_reliability_mix_e4(1000000, 1000000, 1000000), 10000); /* REP-07 (1, 1, 1) */
    cr_assert_eq(rep_reliability_mix_e4(0, 0, 0), 0);
    cr_assert_eq(rep_reliability_e4(1000000, 0, 0, REP_NET_NEVER), 10000);
    cr_assert_eq(rep_reliability_e4(1000000, 5, 0, REP_NET_PASSED), 10000);
    /* (0.9, 0.8, 0.7) is not reachable through n; check the formula with u and s */
    cr_assert_eq(rep_reliability_e4(900000, 4, 1, REP_NET_FAILED), 7650); /* .36+.28+.125 */
    cr_assert_eq(rep_reliability_e4(0, 0, 1, REP_NET_FAILED), 1250);
    cr_assert_eq(rep_reliability_e4(995833, 0, 0, REP_NET_PASSED), 9983); /* .398333+.35+.25 */
    cr_assert_eq(rep_reliability_e4(0, 0, 0, REP_NET_NEVER), 6000);
    cr_assert_eq(rep_reliability_e4(2000000, 0, 0, REP_NET_NEVER), 10000); /* clamped */
    cr_assert_eq(rep_reliability_e4(-2000000, 0, 9, REP_NET_FAILED), 0);
    cr_assert_eq(rep_reliability_e4(900000, 2, 1, REP_NET_PASSED), 8433); /* s = 666 667 ppm */
}

Test(reputation, rep07_score_and_reliability)
{
    struct rep_facts f = rep_facts_new();
    struct rep_score s;
    rep_grant_verification(&f, REP_VER_EMAIL, NULL);
    f.reliability_e4 = 10000;
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, T0, &s), 0);
    cr_assert_eq(s.final_score, 500);
    f.reliability_e4 = 0;
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, T0, &s), 0);
    cr_assert_eq(s.final_score, 0);
    cr_assert_eq(s.tier, REP_TIER_NEW_USER);
    cr_assert_eq(s.search_boost_ppm, 800000);
    cr_assert_eq(s.breakdown.uptime_bonus, -500);
    /* users always read reliability 1.0 */
    cr_assert_eq(rep_score(&f, REP_ENTITY_USER, T0, &s), 0);
    cr_assert_eq(s.reliability_e4, 10000);
    cr_assert_eq(s.final_score, 500);
}

Test(reputation, score_rounding_and_floor)
{
    struct rep_facts f = rep_facts_new();
    struct rep_score s;
    f.verification_points = 2500;
    f.activity_points = 4125;
    f.penalty_points = -500;
    f.last_activity_at_us = T0;
    f.reliability_e4 = 8150;
    f.events = 42;
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, T0, &s), 0);
    cr_assert_eq(s.raw_score, 6125);
    cr_assert_eq(s.final_score, 4992); /* 6125 × 0.815 = 4991.875 -> 4991.9 */
    cr_assert_eq(s.tier, REP_TIER_GOLD);
    cr_assert_eq(s.search_boost_ppm, 1250000);
    cr_assert_eq(s.pricing_premium_ppm, 200000);
    cr_assert_eq(s.breakdown.verification, 2500);
    cr_assert_eq(s.breakdown.jobs_completed, 4125);
    cr_assert_eq(s.breakdown.penalties, -500);
    cr_assert_eq(s.breakdown.decay, 0);
    cr_assert_eq(s.breakdown.uptime_bonus, 4992 - 6125);
    cr_assert_eq(s.breakdown.events_analyzed, 42);
    /* half-up at the tenth: 1 × 0.5 = 0.05 -> 0.1 */
    f = rep_facts_new();
    f.activity_points = 1;
    f.reliability_e4 = 5000;
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, T0, &s), 0);
    cr_assert_eq(s.final_score, 1);
    /* negative raw -> 0 */
    f = rep_facts_new();
    f.penalty_points = -2500;
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, T0, &s), 0);
    cr_assert_eq(s.raw_score, -2500);
    cr_assert_eq(s.final_score, 0);
    cr_assert_eq(s.tier, REP_TIER_NEW_USER);
    cr_assert_eq(rep_score(&f, REP_ENTITY__COUNT, T0, &s), XC_EINVAL);
}

Test(reputation, rep15_breakdown_after_one_completion)
{
    struct rep_facts f = rep_facts_new();
    struct rep_score s;
    rep_job_completed(&f, T0, NULL);
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, T0 + DAY, &s), 0);
    cr_assert_eq(s.breakdown.jobs_completed, 100);
    cr_assert_eq(s.breakdown.events_analyzed, 1);
    cr_assert_eq(s.breakdown.uptime_bonus, 0);
    cr_assert_eq(s.breakdown.penalties, 0);
    cr_assert_eq(s.breakdown.decay, 0);
    cr_assert_eq(s.final_score, 100);
    cr_assert_eq(s.tier, REP_TIER_NEW_USER);
}

Test(reputation, replay_matches_incremental)
{
    struct rep_fact facts[] = {
        {REP_FACT_VERIFICATION, REP_VER_EMAIL, T0},
        {REP_FACT_VERIFICATION, REP_VER_EMAIL, T0 + 1}, /* repeated: skipped */
        {REP_FACT_JOB_COMPLETED, 0, T0 + 2},
        {REP_FACT_JOB_FAILURE_HOST, 0, T0 + 3},
        {REP_FACT_JOB_FAILURE_USER, 0, T0 + 4},
        {REP_FACT_PENALTY, REP_PEN_SLA_BREACH, T0 + 5},
        {REP_FACT_JOB_COMPLETED, 0, T0 + 6},
    };
    struct rep_facts f;
    cr_assert_eq(rep_replay(facts, 7, &f), 0);
    cr_assert_eq(f.verification_points, 500);
    cr_assert_eq(f.activity_points, 200);
    cr_assert_eq(f.penalty_points, -1250);
    cr_assert_eq(f.jobs_completed, 2);
    cr_assert_eq(f.jobs_failed_host, 1);
    cr_assert_eq(f.jobs_failed_user, 1);
    cr_assert_eq(f.last_activity_at_us, T0 + 6);
    cr_assert_eq(f.events, 6); /* REP-09: ≥ 2 events */
    struct rep_score s;
    cr_assert_eq(rep_score(&f, REP_ENTITY_HOST, T0 + 6, &s), 0);
    cr_assert_eq(s.raw_score, -550);
    cr_assert_eq(s.final_score, 0);
    struct rep_fact bad[] = {{REP_FACT_PENALTY, 99, T0}};
    cr_assert_eq(rep_replay(bad, 1, &f), XC_EINVAL);
    cr_assert_eq(rep_replay(NULL, 0, &f), 0);
    cr_assert_eq(f.reliability_e4, 10000);
    cr_assert_eq(f.last_activity_at_us, REP_NO_TIME);
}

Test(reputation, rep10_leaderboard_order)
{
    cr_assert_lt(rep_leader_cmp(4125, "h2", 1000, "h1"), 0);
    cr_assert_gt(rep_leader_cmp(1000, "h1", 4125, "h2"), 0);
    cr_assert_lt(rep_leader_cmp(1000, "a", 1000, "b"), 0);
    cr_assert_eq(rep_leader_cmp(1000, "a", 1000, "a"), 0);
}
