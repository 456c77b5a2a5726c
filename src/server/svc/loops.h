#ifndef XC_LOOPS_H
#define XC_LOOPS_H

/* Background loops of domain §1.3: the sweep and the queue pass, each on its own interval
 * (0 = off). Queue passes also run back to back while they place work and early on a kick.
 * They share the store's single writer with the API. */
void loops_start(void);
void loops_stop(void);
/* Signals new work or freed capacity: the queue loop (when on) runs a pass now instead of at
 * its next interval. Cheap; callable from any thread. */
void loops_kick(void);

#endif
