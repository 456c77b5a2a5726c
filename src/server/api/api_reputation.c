/* Reputation routes (api §8.9, §7.3; domain §19). Thin: read the declared input, call
 * svc/reputation, render the views. Reads never write (scores are computed at read time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/ids.h"
#include "server/api/handlers_reputation.h"
#include "server/api/svc_reply.h"
#include "server/api/views_reputation.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/reputation.h"

/* The entity type of ?entity_type (declared as an enum: host when absent). */
static enum rep_entity_type query_type(struct req *r)
{
    const char *t = NULL;
    enum rep_entity_type v = REP_ENTITY_HOST;
    if (query_str(r, "entity_type", &t) && rep_entity_type_parse(t, &v) < 0)
        v = REP_ENTITY_HOST;
    return v;
}

/* The entity id of the path; one that cannot exist (not a host or customer id) is a 404. */
static const char *path_entity(struct req *r)
{
    const char *id = r->nparams > 0 ? r->params[0] : NULL;
    if (!id || !valid_host_id(id)) {
        reply_error(r, 404, "Entity %.64s not found", id ? id : "");
        return NULL;
    }
    return id;
}

void h_rep_get(struct req *r)
{
    const char *id = path_entity(r);
    if (!id)
        return;
    struct rep_view v;
    int rc = reputation_get(query_type(r), id, app_now(), &v);
    if (rc < 0) {
        reply_status(r, rc, "reputation read failed");
        return;
    }
    reply_ok(r, 200, json_pack("{s:o}", "reputation", view_rep_score(&v)));
}

void h_rep_history(struct req *r)
{
    const char *id = path_entity(r);
    if (!id)
        return;
    int64_t limit = 50;
    query_int(r, "limit", &limit);
    enum rep_entity_type t = query_type(r);
    struct rep_event_row *ev = NULL;
    size_t n = 0;
    int rc = reputation_history(t, id, (int)limit, &ev, &n);
    if (rc < 0) {
        reply_status(r, rc, "reputation history failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_rep_event(&ev[i]));
    rstore_events_free(ev, n);
    reply_ok(r, 200, json_pack("{s:s,s:s,s:o}", "entity_id", id, "entity_type", rep_entity_type_name(t), "events", arr));
}

void h_rep_breakdown(struct req *r)
{
    const char *id = path_entity(r);
    if (!id)
        return;
    struct rep_view v;
    int rc = reputation_get(query_type(r), id, app_now(), &v);
    if (rc < 0) {
        reply_status(r, rc, "reputation read failed");
        return;
    }
    reply_ok(r, 200, view_rep_breakdown(&v));
}

void h_rep_leaderboard(struct req *r)
{
    int64_t limit = 20;
    query_int(r, "limit", &limit);
    enum rep_entity_type t = query_type(r);
    struct rep_view *v = NULL;
    size_t n = 0;
    int rc = reputation_leaderboard(t, (int)limit, app_now(), &v, &n);
    if (rc < 0) {
        reply_status(r, rc, "leaderboard failed");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, view_rep_leader((int)i + 1, &v[i]));
    free(v);
    reply_ok(r, 200, json_pack("{s:s,s:o}", "entity_type", rep_entity_type_name(t), "leaderboard", arr));
}

static void reply_view(struct req *r, int rc, const struct rep_view *v, const struct svc_err *e)
{
    if (rc < 0)
        reply_svc_error(r, rc, e, "reputation write failed");
    else
        reply_ok(r, 200, json_pack("{s:o}", "reputation", view_rep_score(v)));
}

void h_rep_verify(struct req *r)
{
    const char *id, *type, *etype = "host";
    body_str(r, "entity_id", &id);
    body_str(r, "verification_type", &type);
    body_str(r, "entity_type", &etype);
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct rep_view v;
    struct svc_err e = {0};
    int rc = reputation_verify(etype, id, type, actor, app_now(), &v, &e);
    reply_view(r, rc, &v, &e);
}

void h_rep_penalty(struct req *r)
{
    const char *id = path_entity(r);
    if (!id)
        return;
    const char *type, *reason = "", *etype = "host";
    body_str(r, "penalty_type", &type);
    body_str(r, "reason", &reason);
    body_str(r, "entity_type", &etype);
    char actor[80];
    auth_actor(r, actor, sizeof actor);
    struct rep_view v;
    struct svc_err e = {0};
    int rc = reputation_penalty(etype, id, type, reason, actor, app_now(), &v, &e);
    reply_view(r, rc, &v, &e);
}
