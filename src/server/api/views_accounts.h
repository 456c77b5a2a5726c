#ifndef XC_VIEWS_ACCOUNTS_H
#define XC_VIEWS_ACCOUNTS_H
#include <jansson.h>
#include <stdbool.h>

#include "store/accounts_store.h"

/* JSON shapes of the accounts routes (api §6.12 User, §8.15 key metadata, §8.16 teams), field
 * order as listed there. New references. None of them ever carries a password hash or the hash
 * of a token or key. */

/* User: {user_id, email, name, role, customer_id, provider_id, country, province, team_id,
 * created_at}; provider_id and team_id are null when unset. */
json_t *view_user(const struct acct_user *u);
/* API key metadata: {name, preview, created_at, last_used (null when never)}. */
json_t *view_api_key(const struct acct_key *k);
/* Team: {team_id, name, owner_user_id, created_at, plan, max_members}; with_role adds
 * member_role (the viewer's role in it, GET /api/teams/me). */
json_t *view_team(const struct acct_team *t, bool with_role);
/* Team member: {user_id, name, role, joined_at} and email when show_email (team admins). */
json_t *view_team_member(const struct acct_member *m, bool show_email);

#endif
