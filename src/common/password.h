#ifndef XC_PASSWORD_H
#define XC_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Password hashing (domain §24, issue 10): Argon2id from Debian's libargon2 (RFC 9106), a
 * 16-byte salt from OpenSSL's RAND_bytes, a 32-byte tag, stored in the standard encoded form
 *
 *     $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt b64>$<tag b64>
 *
 * so every stored hash names its own parameters and they can be raised later: a hash whose
 * parameters differ from the current ones (password_needs_rehash) is re-hashed by the accounts
 * service at the owner's next successful login.
 *
 * Current parameters: m = 19 456 KiB (19 MiB), t = 2, p = 1 — the OWASP Password Storage
 * Cheat Sheet's first Argon2id configuration; about 20–40 ms and 19 MiB per hash on one core
 * of a current server. Raise PASSWORD_M_KIB / PASSWORD_T together with the README's statement.
 *
 * The module takes no position on length policy (8..256 characters is the accounts service's
 * rule); it refuses only inputs longer than PASSWORD_MAX_BYTES, which no policy admits. */

#define PASSWORD_M_KIB 19456u
#define PASSWORD_T 2u
#define PASSWORD_P 1u
#define PASSWORD_SALT_LEN 16u
#define PASSWORD_TAG_LEN 32u
/* Room for any encoded hash this module produces or accepts (NUL included). */
#define PASSWORD_ENCODED_MAX 160
/* Longest accepted password in bytes (256 characters of 4-byte UTF-8). */
#define PASSWORD_MAX_BYTES 1024

struct password_params {
    uint32_t m_kib, t, p;
};

/* The parameters new hashes get. */
struct password_params password_current_params(void);

/* Hashes pw with the current parameters into out (PASSWORD_ENCODED_MAX bytes). Returns 0, or
 * XC_EINVAL for a NULL or over-long password, XC_ENOMEM/XC_EIO when Argon2 or the RNG fail. */
int password_hash(const char *pw, char out[PASSWORD_ENCODED_MAX]);
/* As password_hash with explicit parameters (tests; migrations of old hashes). */
int password_hash_with(const char *pw, const struct password_params *prm, char out[PASSWORD_ENCODED_MAX]);

/* True when pw matches the encoded hash. The tag comparison is constant-time (libargon2 compares
 * with a branch-free loop); a malformed, truncated or tampered encoding is simply false. */
bool password_verify(const char *encoded, const char *pw);

/* Reads the parameters of an Argon2id encoded hash; false when it is not one. */
bool password_params_of(const char *encoded, struct password_params *out);

/* True when encoded was made with parameters other than the current ones (or is not an
 * Argon2id hash at all): re-hash it after the next successful verification. */
bool password_needs_rehash(const char *encoded);

/* A fixed hash of a random string with the current parameters, verified against when the
 * account does not exist, so an unknown e-mail costs as much time as a wrong password. */
const char *password_dummy_hash(void);

#endif
