#ifndef XC_AUTH_H
#define XC_AUTH_H
#include "server/http/http.h"

/* The gate of api §2.2: resolves r->who from the Authorization header, then applies the route's
 * mark. On refusal it replies (401/403) and returns -1. */
int auth_gate(struct req *r);

/* H(h): the agent bound to host_id, or an admin. Replies 403 and returns -1 otherwise. */
int auth_host(struct req *r, const char *host_id);

/* "admin", "agent:<host>", "anonymous" — for logs and event actors. */
const char *auth_principal_name(const struct principal *p);
/* Event actor for the caller: "admin" or "agent:<host>" (writes into buf). */
const char *auth_actor(const struct req *r, char *buf, size_t n);

/* Issues a new agent token for host_id (stored hashed). out: at least 48 bytes. */
int auth_issue_agent_token(const char *host_id, char *out, size_t n);

#endif
