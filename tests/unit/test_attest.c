/* Attestation signatures: round trip, tampering, key separation, timestamp representations. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/attest.h"

static const char *SECRET = "a-secret-of-at-least-32-characters!!";

static json_t *sample(void)
{
    return json_pack("{s:s,s:b,s:f,s:f,s:s}", "attestation_id", "abc", "data_stays_in_canada", 1, "period_start",
                     1767225600.5, "attested_at", 1767312000.25, "scope", "platform");
}

Test(attest, sign_then_verify)
{
    json_t *a = sample();
    char sig[65];
    cr_assert_eq(attest_sign(SECRET, a, sig), 0);
    cr_assert_eq(strlen(sig), 64);
    json_object_set_new(a, "signature", json_string(sig));
    cr_assert(attest_verify(SECRET, a));
    json_decref(a);
}

Test(attest, tampering_and_other_keys_fail)
{
    json_t *a = sample();
    char sig[65];
    attest_sign(SECRET, a, sig);
    json_object_set_new(a, "signature", json_string(sig));
    cr_assert_not(attest_verify("another-secret-of-at-least-32-chars!", a));
    json_object_set_new(a, "data_stays_in_canada", json_false());
    cr_assert_not(attest_verify(SECRET, a));
    json_object_set_new(a, "data_stays_in_canada", json_true());
    cr_assert(attest_verify(SECRET, a));
    json_object_set_new(a, "signature", json_string("00"));
    cr_assert_not(attest_verify(SECRET, a));
    json_object_del(a, "signature");
    cr_assert_not(attest_verify(SECRET, a));
    json_decref(a);
}

/* A timestamp written as whole seconds (integer) signs like the same instant as a real. */
Test(attest, timestamps_are_signed_as_microseconds)
{
    json_t *a = json_pack("{s:s,s:f}", "scope", "platform", "valid_until", 1767225600.0);
    json_t *b = json_pack("{s:s,s:I}", "scope", "platform", "valid_until", (json_int_t)1767225600);
    char sa[65], sb[65];
    cr_assert_eq(attest_sign(SECRET, a, sa), 0);
    cr_assert_eq(attest_sign(SECRET, b, sb), 0);
    cr_assert_str_eq(sa, sb);
    json_decref(a);
    json_decref(b);
}

Test(attest, reals_outside_timestamps_are_refused)
{
    json_t *a = json_pack("{s:f}", "score", 0.5);
    char sig[65];
    cr_assert_lt(attest_sign(SECRET, a, sig), 0);
    json_decref(a);
}
