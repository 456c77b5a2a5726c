/* Resolved credentials, remembered between requests so that a session or API key costs about
 * what the operator token costs (issue 10's benchmark). An entry is keyed by the credential's
 * SHA-256 (hex) and holds the resolved principal as an opaque value (the accounts service owns
 * its type), the store's credentials version at the time, and when it stops being valid (a
 * session's expiry). Any committed write to users, sessions, keys or teams moves the version, so
 * a logout, a revoked key, a disabled or deleted account, a role or team change is seen by the
 * very next request; nothing is stale. */
#ifndef XC_SVC_CRED_CACHE_H
#define XC_SVC_CRED_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies the value cached for hash (n bytes) into out when the entry was stored under version,
 * with that size, and now < its valid_until. */
bool cred_cache_get(const char *hash, uint64_t version, int64_t now, void *out, size_t n);
/* Remembers n bytes of value for hash (replacing whatever shared its slot). */
void cred_cache_put(const char *hash, uint64_t version, int64_t valid_until, const void *value, size_t n);

#endif
