#ifndef XC_LOOPS_H
#define XC_LOOPS_H

/* Background loops of domain §1.3: the sweep and the queue pass, each on its own interval
 * (0 = off). They share the store's single writer with the API. */
void loops_start(void);
void loops_stop(void);

#endif
