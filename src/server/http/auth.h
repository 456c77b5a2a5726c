#ifndef XC_AUTH_H
#define XC_AUTH_H
#include "server/http/http.h"
#include "store/model.h"

/* The gate of api §2.2–§2.3 and the one place where ownership is decided.
 *
 * auth_gate resolves r->who from the Authorization header (operator token in constant time, then
 * a session, an API key, an agent token; no header: anonymous; anything else: invalid), applies
 * the environment's rules and the route's mark, and for O/H routes whose path names the resource
 * checks ownership before the handler runs. On refusal it replies (401/403/404) and returns -1.
 *
 * The checks below answer for one resource; each replies itself and returns -1 on refusal.
 * Resources a non-admin user may not see (jobs, hosts, customers) answer 404, never 403, so their
 * existence does not leak. */
int auth_gate(struct req *r);

/* H(h): the agent bound to host_id, the user who owns it, or an admin. Another agent → 403
 * "Agent token is bound to host <bound>"; a user who does not own it → 404 "Host <h> not found". */
/* O (job): the job is visible to the caller (else 404 "Job <id> not found"), then owned (else
 * 403). Admins pass. Replies and returns -1 on refusal. */
int auth_job_owner(struct req *r, const char *job_id);
int auth_host(struct req *r, const char *host_id);
/* O on a host: its owner or an admin (agents → 403; other users → 404). */
int auth_host_owner(struct req *r, const char *host_id);
/* O on a customer: the user whose customer_id it is, or an admin (others → 404 / agents 403). */
int auth_customer(struct req *r, const char *customer_id);
/* O on a provider: the user whose provider_id it is, or an admin; other users get the 404 of an
 * unknown provider (no existence leak), agents 403. */
int auth_provider(struct req *r, const char *provider_id);

/* Job visibility (api §7.1): admin all; agents the jobs of their host; users the jobs they own
 * (owner = their customer) and the jobs on hosts they own. */
bool auth_sees_job(const struct principal *p, const struct job *j);
/* Job ownership: a user whose customer_id is the job's (non-empty) owner. Admin is not an owner. */
bool auth_owns_job(const struct principal *p, const struct job *j);
/* Host ownership: a user whose user_id is the host's (non-empty) owner. */
bool auth_owns_host(const struct principal *p, const struct host *h);
/* Host visibility (api §7.1 GET /hosts): admin all; agents their own host; users the hosts they
 * own and every active host (the public pool). False for a host that does not exist. */
bool auth_sees_host(const struct principal *p, const char *host_id);

/* For list filters: the customer id and user id a non-admin user is limited to (NULL for admin
 * and agents). */
const char *auth_view_customer(const struct principal *p);
const char *auth_view_user(const struct principal *p);

/* "admin", "user", "agent", "anonymous" — for logs. */
const char *auth_principal_name(const struct principal *p);
/* Event actor for the caller: "admin", "user:<user_id>" or "agent:<host>" (writes into buf). */
const char *auth_actor(const struct req *r, char *buf, size_t n);
/* The per-identity rate-limit key of the caller ("user:<id>", "agent:<host>", "admin"), or NULL
 * for anonymous/invalid callers (counted by address only). */
const char *auth_rate_key(const struct principal *p, char *buf, size_t n);

/* Issues a new agent token for host_id (stored hashed). out: at least 48 bytes. */
int auth_issue_agent_token(const char *host_id, char *out, size_t n);

#endif
