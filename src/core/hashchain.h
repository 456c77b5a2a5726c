#ifndef XC_HASHCHAIN_H
#define XC_HASHCHAIN_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The tamper-evident event chain of domain §23: canonical JSON and HMAC-SHA256. Pure. */

/* K_ev = HMAC-SHA256(secret, "xcelsior/events/v1"). */
void hashchain_key(const char *secret, unsigned char key[32]);

/* Canonical JSON (§23.2): sorted keys, no whitespace, \uXXXX for >= U+007F, integers only
 * (a real number gives -1). Caller frees *out. */
int hashchain_canonical(const json_t *v, char **out);

struct chain_event {
    int64_t seq;
    const char *event_id, *event_type, *entity_type, *entity_id, *actor;
    int64_t ts_us;
    const json_t *data, *metadata;
    const char *prev_hash; /* 64 hex */
};

/* event_hash of §23.2 as 64 lowercase hex + NUL. Returns 0 or -1 (non-canonical data). */
int hashchain_event_hash(const unsigned char key[32], const struct chain_event *e, char out[65]);
/* head_mac = HMAC(K_ev, "head|<seq>|<hash>") in hex. */
void hashchain_head_mac(const unsigned char key[32], int64_t seq, const char *hash, char out[65]);

#endif
