#ifndef XC_TX_H
#define XC_TX_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* A server transaction: one store transaction plus the audit events it appends and the SSE
 * messages it queues. Events are written inside the transaction (hash-chained); SSE messages
 * go out only after a successful commit, so subscribers never see a change that was rolled back. */

int tx_begin(void);
/* Commits; on success publishes the queued SSE messages. Returns 0 or XC_EDB. */
int tx_commit(void);
void tx_rollback(void);

/* Appends an audit event (domain §23) in the open transaction. data is stolen and must hold
 * no reals. Returns 0 or a negative error. */
int tx_event(const char *event_type, const char *entity_type, const char *entity_id, const char *actor,
             json_t *data);
/* Wakes the queue loop once the open transaction is durable (new work or freed capacity). */
void tx_kick_scheduler(void);
/* Queues an SSE message for after the commit. data is stolen. */
void tx_sse(const char *event, json_t *data);

/* ---- deferred commits for HTTP requests ----
 * While a request's handler runs (tx_defer_begin … tx_defer_end), tx_commit does not block the
 * worker thread: it records the commit epoch in r->wait_epoch and returns 0. The HTTP layer then
 * parks the connection (tx_park) and answers once that epoch is durable; a failed commit turns
 * the reply into a 500. Everywhere else tx_commit waits for durability itself. */
struct req;
void tx_defer_begin(struct req *r);
void tx_defer_end(void);
/* Suspends r's connection until its epoch commits. Returns false when it already has (answer
 * now). Call from the request's access handler. */
bool tx_park(struct req *r);
/* Waits until every transaction this request committed so far is durable and visible to the
 * read-only connections (a no-op outside a deferred request: tx_commit already waited). */
void tx_sync(void);
/* The result of the commit r waited for (0 or XC_EDB). */
int tx_commit_result(struct req *r);
/* Installs the commit hook that resumes parked requests and publishes their events. */
void tx_init(void);

#endif
