#ifndef XC_TX_H
#define XC_TX_H
#include <jansson.h>

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
/* Queues an SSE message for after the commit. data is stolen. */
void tx_sse(const char *event, json_t *data);

#endif
