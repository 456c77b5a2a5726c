#ifndef XC_SSE_H
#define XC_SSE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/http/http.h"

/* Server-Sent Events (api §5). Streams are suspended MHD connections: an idle subscriber costs
 * no thread and no CPU; a publish resumes the connections it queued a message for. */

/* Starts the keep-alive/closing ticker thread. */
int sse_init(int max_clients);
/* Ends every stream (used at shutdown) and stops the ticker. */
void sse_shutdown(void);

/* Publishes one event to every matching subscriber. Steals data. */
void sse_publish(const char *event, json_t *data);

/* Turns r into a stream. job_id NULL = every event; else only events whose data.job_id
 * matches, first replaying `replay` (an array of job_log data objects; stolen, may be NULL). */
void sse_reply_stream(struct req *r, const char *job_id, json_t *replay, json_t *connected);

/* Asks job streams for job_id to close after delay_us (job reached a terminal state). */
void sse_close_job_streams(const char *job_id, long long delay_us);

int sse_client_count(void);

#endif
