/* A fixed table of resolved credentials (cred_cache.h), one lock per stripe of slots. */
#include "server/svc/cred_cache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define SLOTS 4096 /* a power of two */
#define STRIPES 64
#define HASH_LEN 65 /* SHA-256 hex + NUL */

struct slot {
    bool used;
    char hash[HASH_LEN];
    uint64_t version;
    int64_t valid_until;
    void *value; /* n bytes, owned */
    size_t n;
};

static struct slot slots[SLOTS];
static pthread_mutex_t locks[STRIPES];
static pthread_once_t locks_once = PTHREAD_ONCE_INIT;

static void locks_init(void)
{
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&locks[i], NULL);
}

/* The hash is hex SHA-256: its first 8 digits are as good an index as any. */
static size_t slot_of(const char *hash)
{
    size_t v = 0;
    for (int i = 0; i < 8 && hash[i]; i++)
        v = v << 4 | (size_t)((hash[i] <= '9' ? hash[i] - '0' : (hash[i] | 0x20) - 'a' + 10) & 0xf);
    return v & (SLOTS - 1);
}

bool cred_cache_get(const char *hash, uint64_t version, int64_t now, void *out, size_t n)
{
    pthread_once(&locks_once, locks_init);
    size_t i = slot_of(hash);
    pthread_mutex_t *mu = &locks[i % STRIPES];
    bool hit = false;
    pthread_mutex_lock(mu);
    struct slot *e = &slots[i];
    if (e->used && e->version == version && now < e->valid_until && e->n == n &&
        CRYPTO_memcmp(e->hash, hash, HASH_LEN) == 0) {
        memcpy(out, e->value, n);
        hit = true;
    }
    pthread_mutex_unlock(mu);
    return hit;
}

void cred_cache_put(const char *hash, uint64_t version, int64_t valid_until, const void *value, size_t n)
{
    pthread_once(&locks_once, locks_init);
    size_t i = slot_of(hash);
    pthread_mutex_t *mu = &locks[i % STRIPES];
    pthread_mutex_lock(mu);
    struct slot *e = &slots[i];
    if (e->n != n) {
        free(e->value);
        e->value = xmalloc(n);
        e->n = n;
    }
    e->used = true;
    memcpy(e->hash, hash, HASH_LEN);
    e->version = version;
    e->valid_until = valid_until;
    memcpy(e->value, value, n);
    pthread_mutex_unlock(mu);
}
