/* Reputation persistence (store/sqlite_reputation.c, migration 0009): the facts row round trip
 * (never-active as NULL), one event per ref, the 90-day window counts and the list. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "store/reputation_store.h"
#include "store/store.h"

#include "store_fixture.h"

TestSuite(reputation_store, .init = setup, .fini = teardown);

static struct rep_row row(enum rep_entity_type t, const char *id)
{
    struct rep_row r;
    memset(&r, 0, sizeof r);
    r.type = t;
    snprintf(r.entity_id, sizeof r.entity_id, "%s", id);
    r.f = rep_facts_new();
    r.created_at = r.updated_at = 1000;
    return r;
}

static int event(enum rep_entity_type t, const char *id, const char *type, const char *ref, int64_t at)
{
    struct rep_event_row e = {.type = t, .points_delta = 100, .created_at = at};
    snprintf(e.entity_id, sizeof e.entity_id, "%s", id);
    snprintf(e.event_type, sizeof e.event_type, "%s", type);
    snprintf(e.ref, sizeof e.ref, "%s", ref);
    snprintf(e.reason, sizeof e.reason, "r");
    return rstore_event_insert(st, &e);
}

Test(reputation_store, facts_round_trip)
{
    struct rep_row got, r = row(REP_ENTITY_HOST, "h1");
    cr_assert_eq(rstore_get(st, REP_ENTITY_HOST, "h1", &got), XC_ENOTFOUND);
    cr_assert_eq(rstore_put(st, &r), 0);
    cr_assert_eq(rstore_get(st, REP_ENTITY_HOST, "h1", &got), 0);
    cr_assert_eq(got.f.last_activity_at_us, REP_NO_TIME);
    cr_assert_eq(rstore_get(st, REP_ENTITY_USER, "h1", &got), XC_ENOTFOUND); /* types are separate */
    cr_assert_eq(rep_job_completed(&r.f, 5000, NULL), 0);
    cr_assert_eq(rep_grant_verification(&r.f, REP_VER_PHONE, NULL), 0);
    r.created_at = 9999; /* kept from the first write */
    r.updated_at = 5000;
    cr_assert_eq(rstore_put(st, &r), 0);
    cr_assert_eq(rstore_get(st, REP_ENTITY_HOST, "h1", &got), 0);
    cr_assert_eq(got.f.activity_points, 100);
    cr_assert_eq(got.f.jobs_completed, 1);
    cr_assert_eq(got.f.verifications, 1u << REP_VER_PHONE);
    cr_assert_eq(got.f.verification_points, 500);
    cr_assert_eq(got.f.last_activity_at_us, 5000);
    cr_assert_eq(got.f.events, 2);
    cr_assert_eq(got.created_at, 1000);
    cr_assert_eq(got.updated_at, 5000);
}

Test(reputation_store, one_event_per_ref_and_window_counts)
{
    cr_assert_eq(event(REP_ENTITY_HOST, "h1", "job_completed", "j1#0", 100), 0);
    cr_assert_eq(event(REP_ENTITY_HOST, "h1", "job_completed", "j1#0", 100), XC_ECONFLICT);
    cr_assert_eq(event(REP_ENTITY_HOST, "h1", "job_completed", "j2#0", 200), 0);
    cr_assert_eq(event(REP_ENTITY_HOST, "h1", "job_failure_host", "j3#0", 300), 0);
    cr_assert_eq(event(REP_ENTITY_HOST, "h1", "verification_email", "", 400), 0);
    cr_assert_eq(event(REP_ENTITY_HOST, "h1", "verification_email", "", 400), 0); /* no ref: no dedupe */
    bool seen;
    cr_assert_eq(rstore_event_exists(st, REP_ENTITY_HOST, "h1", "job_completed", "j1#0", &seen), 0);
    cr_assert(seen);
    cr_assert_eq(rstore_event_exists(st, REP_ENTITY_USER, "h1", "job_completed", "j1#0", &seen), 0);
    cr_assert(!seen);
    int64_t c, f;
    cr_assert_eq(rstore_window(st, REP_ENTITY_HOST, "h1", 150, &c, &f), 0);
    cr_assert_eq(c, 1);
    cr_assert_eq(f, 1);
    struct rep_row r = row(REP_ENTITY_HOST, "h1"), r2 = row(REP_ENTITY_HOST, "a0"), r3 = row(REP_ENTITY_USER, "u");
    cr_assert_eq(rstore_put(st, &r), 0);
    cr_assert_eq(rstore_put(st, &r2), 0);
    cr_assert_eq(rstore_put(st, &r3), 0);
    struct rep_row *rows;
    size_t n;
    cr_assert_eq(rstore_list(st, REP_ENTITY_HOST, 0, &rows, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(rows[0].entity_id, "a0");
    cr_assert_eq(rows[1].completed_90d, 2);
    cr_assert_eq(rows[1].failed_host_90d, 1);
    free(rows);
    struct rep_event_row *ev;
    cr_assert_eq(rstore_events(st, REP_ENTITY_HOST, "h1", 2, &ev, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ev[0].event_type, "verification_email");
    cr_assert(ev[0].event_id > ev[1].event_id);
    cr_assert_str_eq(ev[0].metadata, "{}");
    rstore_events_free(ev, n);
}
