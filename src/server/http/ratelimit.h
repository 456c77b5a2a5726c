#ifndef XC_RATELIMIT_H
#define XC_RATELIMIT_H
#include <stdbool.h>
#include <stdint.h>

/* Per-client request limit of api §3: at most `limit` requests per `window_sec`, estimated with a
 * sliding window over two fixed windows (the previous window's count weighted by its overlap).
 * At most 100 000 clients are tracked; beyond that the least recently seen is evicted. */
void ratelimit_init(int64_t limit, int64_t window_sec);
/* Counts one request from client (an address, or an identity key such as "user:<id>"; at most
 * 95 bytes) at now_us. Returns true when allowed; otherwise false and
 * *retry_after_sec (>= 1) says when to come back. */
bool ratelimit_allow(const char *client, int64_t now_us, int64_t *retry_after_sec);

#endif
