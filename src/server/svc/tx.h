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
 * worker thread: it records the commit epoch in *wait_epoch and returns 0. The HTTP layer then
 * parks the connection (tx_wait) and answers once that epoch is durable; a failed commit turns
 * the reply into a 500. Everywhere else tx_commit waits for durability itself. */
void tx_defer_begin(uint64_t *wait_epoch);
void tx_defer_end(void);
/* Unless epoch is durable already (then false, nothing called), calls suspend(arg) and, once
 * epoch is durable, resume(arg); both run under the waiter lock, so resume never precedes
 * suspend. */
bool tx_wait(uint64_t epoch, void (*suspend)(void *), void (*resume)(void *), void *arg);
/* Waits until every transaction this request committed so far is durable and visible to the
 * read-only connections (a no-op outside a deferred request: tx_commit already waited). */
void tx_sync(void);
/* The result of an epoch's commit (0 or XC_EDB; XC_EDB while not yet durable). */
int tx_epoch_result(uint64_t epoch);
/* Who tx_kick_scheduler wakes (the queue loop registers itself). */
void tx_set_kick_hook(void (*fn)(void));
/* Installs the commit hook that resumes parked requests and publishes their events. */
void tx_init(void);

#endif
