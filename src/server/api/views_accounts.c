/* Views of the accounts routes: users, API key metadata, teams and team members. */
#include "server/api/views_accounts.h"

#include "common/jsonx.h"

json_t *view_user(const struct acct_user *u)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:o}", "user_id", u->user_id, "email", u->email, "name",
                     u->name, "role", acct_role_name(u->role), "customer_id", u->customer_id, "provider_id",
                     jx_str_or_null(u->provider_id), "country", u->country, "province", u->province, "team_id",
                     jx_str_or_null(u->team_id), "created_at", jx_ts(u->created_at));
}

json_t *view_api_key(const struct acct_key *k)
{
    return json_pack("{s:s,s:s,s:o,s:o}", "name", k->name, "preview", k->preview, "created_at", jx_ts(k->created_at),
                     "last_used", k->last_used ? jx_ts(k->last_used) : json_null());
}

json_t *view_team(const struct acct_team *t, bool with_role)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:i}", "team_id", t->team_id, "name", t->name, "owner_user_id",
                          t->owner_user_id, "created_at", jx_ts(t->created_at), "plan", acct_plan_name(t->plan),
                          "max_members", t->max_members);
    if (with_role)
        json_object_set_new(o, "member_role", json_string(t->member_is_admin ? "admin" : "member"));
    return o;
}

json_t *view_team_member(const struct acct_member *m, bool show_email)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "user_id", m->user_id, "name", m->name, "role",
                          m->is_admin ? "admin" : "member", "joined_at", jx_ts(m->joined_at));
    if (show_email)
        json_object_set_new(o, "email", json_string(m->email));
    return o;
}
