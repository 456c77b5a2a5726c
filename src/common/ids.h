#ifndef XC_IDS_H
#define XC_IDS_H
#include <stdbool.h>
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

/* The longest host id (api §1). */
#define IDS_HOST_ID_MAX 64
/* A host id: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (chosen by the host's operator). */
bool ids_valid_host_id(const char *s);
/* A job id as the control plane issues it: 32 lowercase hex digits (ids_hex128). */
bool ids_valid_job_id(const char *s);

#endif
