#ifndef XC_APP_H
#define XC_APP_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/config.h"
#include "store/store.h"

/* The server's process-wide context: configuration, the store and live flags. Created once by
 * main() before the HTTP server starts and torn down after it stops. */
struct app {
    struct server_config cfg;
    struct store *store;
    atomic_bool canada_only;
    atomic_llong clock_offset_us; /* test clock (domain §1.4) */
    atomic_bool stopping;
    unsigned char event_key[32]; /* K_ev of domain §23.2 */
    int64_t started_at_us;
};

extern struct app *g_app;

/* "Now" as the server sees it: wall clock plus the test offset (µs). */
int64_t app_now(void);

#endif
