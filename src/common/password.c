/* Argon2id password hashing over libargon2 (see password.h for the format and parameters). */
#include "common/password.h"

#include <argon2.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/errors.h"

struct password_params password_current_params(void)
{
    return (struct password_params){PASSWORD_M_KIB, PASSWORD_T, PASSWORD_P};
}

int password_hash_with(const char *pw, const struct password_params *prm, char out[PASSWORD_ENCODED_MAX])
{
    unsigned char salt[PASSWORD_SALT_LEN];
    out[0] = '\0';
    if (!pw || !prm)
        return XC_EINVAL;
    size_t len = strlen(pw);
    if (len > PASSWORD_MAX_BYTES)
        return XC_EINVAL;
    if (RAND_bytes(salt, sizeof salt) != 1)
        return XC_EIO;
    int r = argon2id_hash_encoded(prm->t, prm->m_kib, prm->p, pw, len, salt, sizeof salt, PASSWORD_TAG_LEN, out,
                                  PASSWORD_ENCODED_MAX);
    if (r != ARGON2_OK) {
        out[0] = '\0';
        return r == ARGON2_MEMORY_ALLOCATION_ERROR ? XC_ENOMEM : XC_EINVAL;
    }
    return 0;
}

int password_hash(const char *pw, char out[PASSWORD_ENCODED_MAX])
{
    struct password_params prm = password_current_params();
    return password_hash_with(pw, &prm, out);
}

bool password_params_of(const char *encoded, struct password_params *out)
{
    unsigned v, m, t, p;
    int used = 0;
    if (!encoded || strncmp(encoded, "$argon2id$", 10) != 0)
        return false;
    if (sscanf(encoded + 10, "v=%u$m=%u,t=%u,p=%u$%n", &v, &m, &t, &p, &used) != 4 || used == 0)
        return false;
    if (v != ARGON2_VERSION_NUMBER)
        return false;
    out->m_kib = m;
    out->t = t;
    out->p = p;
    return true;
}

bool password_verify(const char *encoded, const char *pw)
{
    struct password_params prm;
    if (!encoded || !pw || strlen(pw) > PASSWORD_MAX_BYTES || strlen(encoded) >= PASSWORD_ENCODED_MAX)
        return false;
    /* Bound the work a stored (or planted) encoding can ask for: at most 1 GiB, 16 passes. */
    if (!password_params_of(encoded, &prm) || prm.m_kib > (1u << 20) || prm.t > 16 || prm.p > 16)
        return false;
    return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

bool password_needs_rehash(const char *encoded)
{
    struct password_params prm, cur = password_current_params();
    if (!password_params_of(encoded, &prm))
        return true;
    return prm.m_kib != cur.m_kib || prm.t != cur.t || prm.p != cur.p;
}

static char dummy[PASSWORD_ENCODED_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    unsigned char r[16];
    char pw[33];
    if (RAND_bytes(r, sizeof r) != 1)
        memset(r, 0x5a, sizeof r);
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(pw + 2 * i, 3, "%02x", r[i]);
    if (password_hash(pw, dummy) < 0)
        snprintf(dummy, sizeof dummy, "$argon2id$v=19$m=%u,t=%u,p=%u$AAAAAAAAAAAAAAAAAAAAAA$"
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", PASSWORD_M_KIB, PASSWORD_T, PASSWORD_P);
}

const char *password_dummy_hash(void)
{
    pthread_once(&dummy_once, dummy_init);
    return dummy;
}
