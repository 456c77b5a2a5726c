#ifndef XC_JOBS_COMMON_H
#define XC_JOBS_COMMON_H
#include "core/jobstate.h"
#include "server/svc/engine.h"
#include "server/http/http.h"
#include "server/svc/job_stops.h"
#include "store/model.h"

/* Shared job-handling steps of the job, agent and operations routes. */

/* Loads the job named by path parameter idx that the caller may see (agents: jobs on their
 * host). Replies 404 and returns -1 otherwise; on success the caller job_free()s *j. */
int jobs_load_visible(struct req *r, int idx, struct job *j);
/* Same, but an agent may load a job on another host (status reports then answer 409). */
int jobs_load_any(struct req *r, int idx, struct job *j);

/* PATCH /job semantics (api §7.1, domain §8.2): actor rights, host match, idempotent repeats,
 * asynchronous cancel of running jobs (202), then the transition. Replies in every case. */
void jobs_apply_transition(struct req *r, struct job *j, enum jobstate to, const char *host_id,
                           const struct trans_opts *o);

/* POST /job/{id}/requeue (domain §10.3). Replies in every case. */
void jobs_manual_requeue(struct req *r, struct job *j);


#endif
