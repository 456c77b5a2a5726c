#ifndef XC_IDS_H
#define XC_IDS_H
#include <stddef.h>

/* 32 lowercase hex characters from 16 CSPRNG bytes (job, lease, billing ids). out: 33 bytes. */
void ids_hex128(char out[33]);
/* A UUIDv4 string (36 characters). out: 37 bytes. */
void ids_uuid4(char out[37]);
/* prefix + URL-safe base64 (no padding) of nbytes random bytes, e.g. ("xh-", 32) -> 46 chars.
 * out must hold strlen(prefix) + 4*nbytes/3 + 2 bytes. */
void ids_token(const char *prefix, size_t nbytes, char *out, size_t outlen);
/* Fills buf with CSPRNG bytes (getrandom); aborts if the kernel cannot supply them. */
void ids_random(void *buf, size_t n);

#endif
