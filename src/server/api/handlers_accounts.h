#ifndef XC_HANDLERS_ACCOUNTS_H
#define XC_HANDLERS_ACCOUNTS_H
#include "server/http/http.h"

/* Users, sessions, API keys, the device flow, administration (api §8.15) and teams (§8.16):
 * api_accounts.c. Rows in server/http/routes.c. */

void h_auth_register(struct req *r);
void h_auth_login(struct req *r);
void h_auth_logout(struct req *r);
void h_auth_refresh(struct req *r);
void h_auth_me_get(struct req *r);
void h_auth_me_patch(struct req *r);
void h_auth_me_delete(struct req *r);
void h_auth_data_export(struct req *r);
void h_auth_reset_request(struct req *r);
void h_auth_reset_confirm(struct req *r);
void h_auth_change_password(struct req *r);
void h_keys_generate(struct req *r);
void h_keys_list(struct req *r);
void h_keys_revoke(struct req *r);
void h_auth_device(struct req *r);
void h_auth_token(struct req *r);
void h_auth_verify(struct req *r);
void h_auth_verify_page(struct req *r);
void h_auth_oauth(struct req *r);
void h_admin_users_list(struct req *r);
void h_admin_user_patch(struct req *r);
void h_team_create(struct req *r);
void h_teams_mine(struct req *r);
void h_team_get(struct req *r);
void h_team_member_add(struct req *r);
void h_team_member_remove(struct req *r);
void h_team_delete(struct req *r);

#endif
