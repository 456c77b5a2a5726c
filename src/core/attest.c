/* Attestation signatures: canonical form and HMAC (see attest.h). */
#include "core/attest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"
#include "common/hex.h"
#include "common/units.h"
#include "core/hashchain.h"

static void att_key(const char *secret, unsigned char key[32])
{
    unsigned int len = 32;
    static const char label[] = "xcelsior/attestation/v1";
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)label, sizeof label - 1, key, &len);
}

static const char *const ATT_TS_FIELDS[] = {"period_start", "period_end", "attested_at", "valid_until"};

/* Hex HMAC over the canonical form: signature removed, timestamps as integer µs. */
int attest_sign(const char *secret, const json_t *att, char out[65])
{
    json_t *c = json_deep_copy(att);
    json_object_del(c, "signature");
    for (size_t i = 0; i < sizeof ATT_TS_FIELDS / sizeof ATT_TS_FIELDS[0]; i++) {
        json_t *v = json_object_get(c, ATT_TS_FIELDS[i]);
        int64_t us = 0;
        if (json_is_real(v))
            fixed_from_double(json_real_value(v), 6, &us);
        else if (json_is_integer(v))
            us = json_integer_value(v) * SEC;
        if (v)
            json_object_set_new(c, ATT_TS_FIELDS[i], json_integer(us));
    }
    char *canon = NULL;
    int rc = hashchain_canonical(c, &canon);
    json_decref(c);
    if (rc < 0)
        return -1;
    unsigned char key[32], mac[32];
    unsigned int len = 32;
    att_key(secret, key);
    HMAC(EVP_sha256(), key, 32, (const unsigned char *)canon, strlen(canon), mac, &len);
    free(canon);
    hex_encode(mac, sizeof mac, out);
    return 0;
}

bool attest_verify(const char *secret, const json_t *att)
{
    const char *sig = json_string_value(json_object_get(att, "signature"));
    char want[65];
    if (!sig || attest_sign(secret, att, want) < 0)
        return false;
    return strlen(sig) == 64 && CRYPTO_memcmp(sig, want, 64) == 0;
}
