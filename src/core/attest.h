#ifndef XC_CORE_ATTEST_H
#define XC_CORE_ATTEST_H
#include <jansson.h>
#include <stdbool.h>

/* Signing of data-residency attestations (api §8.5): an HMAC-SHA256 under a key derived from the
 * server secret ("xcelsior/attestation/v1"), over the canonical JSON of the attestation with its
 * "signature" removed and its timestamps (period_start, period_end, attested_at, valid_until)
 * as integer µs, so that a client re-serialising the numbers does not break the signature. Pure:
 * the secret is passed in. */

/* Writes the lowercase hex signature (64 chars + NUL) of att. Returns 0, or -1 when att cannot
 * be put in canonical form (e.g. a real number outside the timestamp fields). */
int attest_sign(const char *secret, const json_t *att, char out[65]);
/* Whether att's "signature" is the one attest_sign gives (constant-time comparison). */
bool attest_verify(const char *secret, const json_t *att);

#endif
