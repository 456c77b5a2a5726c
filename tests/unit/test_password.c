/* common/password.c: Argon2id encoded hashes — round trip, wrong passwords, long passwords,
 * tampering, and detection of hashes made with older parameters. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/errors.h"
#include "common/password.h"

Test(password, round_trip_and_format)
{
    char h[PASSWORD_ENCODED_MAX];
    cr_assert_eq(password_hash("StrongPass123!", h), 0);
    cr_assert(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "%s", h);
    cr_assert(password_verify(h, "StrongPass123!"));
    cr_assert_not(password_needs_rehash(h));
    struct password_params p;
    cr_assert(password_params_of(h, &p));
    cr_assert_eq(p.m_kib, PASSWORD_M_KIB);
    cr_assert_eq(p.t, PASSWORD_T);
    cr_assert_eq(p.p, PASSWORD_P);
}

Test(password, salted_so_two_hashes_differ)
{
    char a[PASSWORD_ENCODED_MAX], b[PASSWORD_ENCODED_MAX];
    cr_assert_eq(password_hash("same password", a), 0);
    cr_assert_eq(password_hash("same password", b), 0);
    cr_assert_str_neq(a, b);
    cr_assert(password_verify(a, "same password") && password_verify(b, "same password"));
}

Test(password, wrong_password)
{
    char h[PASSWORD_ENCODED_MAX];
    cr_assert_eq(password_hash("correct horse", h), 0);
    cr_assert_not(password_verify(h, "correct hors"));
    cr_assert_not(password_verify(h, "correct horse "));
    cr_assert_not(password_verify(h, ""));
    cr_assert_not(password_verify(h, NULL));
}

Test(password, long_passwords)
{
    char pw[257], h[PASSWORD_ENCODED_MAX];
    memset(pw, 'x', 256);
    pw[256] = '\0';
    cr_assert_eq(password_hash(pw, h), 0);
    cr_assert(password_verify(h, pw));
    pw[255] = 'y';
    cr_assert_not(password_verify(h, pw));
    /* 10 kB is refused outright, never hashed. */
    static char big[10241];
    memset(big, 'a', 10240);
    cr_assert_eq(password_hash(big, h), XC_EINVAL);
    cr_assert_not(password_verify(h, big));
}

Test(password, tampered_hash_rejected)
{
    char h[PASSWORD_ENCODED_MAX], t[PASSWORD_ENCODED_MAX];
    cr_assert_eq(password_hash("StrongPass123!", h), 0);
    size_t n = strlen(h);
    /* Flip one character of the tag, then one of the salt. */
    strcpy(t, h);
    t[n - 3] = t[n - 3] == 'A' ? 'B' : 'A';
    cr_assert_not(password_verify(t, "StrongPass123!"));
    strcpy(t, h);
    char *salt = strrchr(t, '$') - 5;
    *salt = *salt == 'A' ? 'B' : 'A';
    cr_assert_not(password_verify(t, "StrongPass123!"));
    /* Lowered parameters in the string no longer match the tag. */
    strcpy(t, h);
    char *tp = strstr(t, "t=2");
    tp[2] = '1';
    cr_assert_not(password_verify(t, "StrongPass123!"));
    /* Truncated, empty, other algorithms, absurd work factors. */
    strcpy(t, h);
    t[n - 10] = '\0';
    cr_assert_not(password_verify(t, "StrongPass123!"));
    cr_assert_not(password_verify("", "StrongPass123!"));
    cr_assert_not(password_verify("pbkdf2_sha256$600000$00$00", "StrongPass123!"));
    strcpy(t, h);
    memcpy(t, "$argon2i$", 9); /* shifts the rest: not an argon2id encoding any more */
    cr_assert_not(password_verify(t, "StrongPass123!"));
    cr_assert_not(password_verify("$argon2id$v=19$m=4194304,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                  "x"));
}

Test(password, parameter_upgrade_detected)
{
    struct password_params old = {4096, 1, 1};
    char h[PASSWORD_ENCODED_MAX];
    cr_assert_eq(password_hash_with("StrongPass123!", &old, h), 0);
    cr_assert(strstr(h, "m=4096,t=1,p=1") != NULL, "%s", h);
    /* An older hash still verifies (its parameters travel with it) but asks to be re-hashed. */
    cr_assert(password_verify(h, "StrongPass123!"));
    cr_assert(password_needs_rehash(h));
    struct password_params higher = {PASSWORD_M_KIB, PASSWORD_T + 1, PASSWORD_P};
    cr_assert_eq(password_hash_with("StrongPass123!", &higher, h), 0);
    cr_assert(password_needs_rehash(h));
    cr_assert(password_needs_rehash("not a hash"));
    cr_assert(password_needs_rehash(""));
}

Test(password, dummy_hash_is_a_valid_current_hash)
{
    const char *d = password_dummy_hash();
    cr_assert_not(password_needs_rehash(d));
    cr_assert_not(password_verify(d, "anything"));
    cr_assert_eq(password_dummy_hash(), d);
}
