#ifndef XC_VIEWS_H
#define XC_VIEWS_H
#include <jansson.h>
#include <stdbool.h>

#include "store/model.h"
#include "store/store.h"

/* JSON shapes of api §6 (field order as listed there). New references. */
json_t *view_host(const struct host *h);
/* for_agent: the executing agent gets the real environment values; everyone else sees
 * secret-like values as [REDACTED] (domain §21.3). */
json_t *view_job(const struct job *j, bool for_agent);
/* AdmissionDetails as stored (checked_at kept as integer µs) in its api §6.1 shape. */
json_t *view_admission_details(const char *stored);
json_t *view_lease(const struct lease *l);
/* An audit-log event (api §6.5). */
json_t *view_event(const struct event_row *e);
/* The job's pending stop reason by its wire name, or JSON null when none. */
json_t *view_stop_requested(const struct job *j);
json_t *view_pool_entry(const struct pool_entry *p);

/* True when an environment variable's name marks its value as secret (domain §21.3). */
bool view_env_name_is_secret(const char *name);

#endif
