/* core/stripe_sig: Stripe webhook signature verification (api §8.7). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/stripe_sig.h"

#define SECRET "whsec_test_secret"
#define NOW INT64_C(1767225600)
static const char BODY[] = "{\"id\":\"evt_1\",\"type\":\"payment_intent.succeeded\"}";

static int verify(const char *header, int64_t now)
{
    return stripe_sig_verify(header, BODY, strlen(BODY), SECRET, now, STRIPE_SIG_TOLERANCE_SEC);
}

static void header_at(int64_t t, const char *secret, char *out, size_t n)
{
    char mac[65];
    stripe_sig_compute(secret, t, BODY, strlen(BODY), mac);
    snprintf(out, n, "t=%lld,v1=%s", (long long)t, mac);
}

Test(stripe_sig, known_vector)
{
    /* HMAC-SHA256("whsec_test_secret", "1767225600." + BODY), computed independently (python hmac). */
    char mac[65];
    stripe_sig_compute(SECRET, NOW, BODY, strlen(BODY), mac);
    cr_assert_str_eq(mac, "0739de02968cd6964663b290409abfa00a8c327e21a27dc8b631b96d278d877d");
    char h[200];
    snprintf(h, sizeof h, "t=%lld,v1=%s", (long long)NOW, mac);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_OK);
}

Test(stripe_sig, any_v1_candidate_may_match)
{
    char good[200], h[600], mac[65];
    stripe_sig_compute(SECRET, NOW, BODY, strlen(BODY), mac);
    snprintf(h, sizeof h, "t=%lld,v1=%s,v1=%s,v0=%s", (long long)NOW, "ab" "00000000000000000000000000000000000000000000000000000000000000",
             mac, mac);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_OK);
    snprintf(h, sizeof h, " t=%lld , v1=%s ", (long long)NOW, mac); /* spaces around items are tolerated */
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_OK);
    header_at(NOW, "whsec_other", good, sizeof good);
    snprintf(h, sizeof h, "%s,v1=%s", good, mac); /* the rolled secret's signature first */
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_OK);
}

Test(stripe_sig, only_v1_is_trusted)
{
    char mac[65], h[300];
    stripe_sig_compute(SECRET, NOW, BODY, strlen(BODY), mac);
    snprintf(h, sizeof h, "t=%lld,v0=%s", (long long)NOW, mac);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_NO_V1);
    snprintf(h, sizeof h, "t=%lld,v2=%s", (long long)NOW, mac);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_NO_V1);
    snprintf(h, sizeof h, "t=%lld,V1=%s", (long long)NOW, mac);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_NO_V1);
}

Test(stripe_sig, tolerance_boundaries_both_ways)
{
    char h[200];
    header_at(NOW - 300, SECRET, h, sizeof h);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_OK); /* exactly 300 s old passes */
    header_at(NOW - 301, SECRET, h, sizeof h);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_STALE);
    header_at(NOW + 300, SECRET, h, sizeof h);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_OK); /* 300 s in the future (clock skew) passes */
    header_at(NOW + 301, SECRET, h, sizeof h);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_STALE);
    header_at(0, SECRET, h, sizeof h);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_STALE);
}

Test(stripe_sig, forged_and_tampered)
{
    char h[200];
    header_at(NOW, "whsec_forged", h, sizeof h);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_MISMATCH);
    header_at(NOW, SECRET, h, sizeof h);
    const char other[] = "{\"id\":\"evt_1\",\"type\":\"payment_intent.succeeded\"} ";
    cr_assert_eq(stripe_sig_verify(h, other, strlen(other), SECRET, NOW, 300), STRIPE_SIG_MISMATCH);
    cr_assert_eq(stripe_sig_verify(h, BODY, strlen(BODY) - 1, SECRET, NOW, 300), STRIPE_SIG_MISMATCH);
    /* The timestamp is part of what is signed: moving it breaks the signature. */
    char mac[65], moved[200];
    stripe_sig_compute(SECRET, NOW, BODY, strlen(BODY), mac);
    snprintf(moved, sizeof moved, "t=%lld,v1=%s", (long long)NOW - 1, mac);
    cr_assert_eq(verify(moved, NOW), STRIPE_SIG_MISMATCH);
    /* An upper-case copy of the right hex still is the right MAC. */
    for (char *p = strstr(h, "v1=") + 3; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_OK);
    snprintf(h, sizeof h, "t=%lld,v1=%064d", (long long)NOW, 0);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_MISMATCH);
}

Test(stripe_sig, malformed_headers)
{
    char mac[65], h[400];
    stripe_sig_compute(SECRET, NOW, BODY, strlen(BODY), mac);
    const char *bad[] = {"", "garbage", "t=", "t=abc,v1=00", "=1,v1=00", "t=1767225600,,v1=00", "t=-5,v1=00",
                         "t=1767225600,v1", "t=1767225600000000,v1=00", NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(verify(bad[i], NOW), STRIPE_SIG_MALFORMED, "%s", bad[i]);
    snprintf(h, sizeof h, "v1=%s", mac);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_MALFORMED); /* no timestamp */
    snprintf(h, sizeof h, "t=%lld,t=%lld,v1=%s", (long long)NOW, (long long)NOW, mac);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_MALFORMED); /* two timestamps */
    snprintf(h, sizeof h, "t=%lld", (long long)NOW);
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_NO_V1);
    cr_assert_eq(verify(NULL, NOW), STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "t=%lld,v1=%.63s", (long long)NOW, mac); /* short hex: never matches */
    cr_assert_eq(verify(h, NOW), STRIPE_SIG_MISMATCH);
    /* Too many candidates, and an overlong header. */
    static char big[STRIPE_SIG_MAX_HEADER + 64];
    int o = snprintf(big, sizeof big, "t=%lld", (long long)NOW);
    for (int i = 0; i <= STRIPE_SIG_MAX_V1; i++)
        o += snprintf(big + o, sizeof big - (size_t)o, ",v1=%s", mac);
    cr_assert_eq(verify(big, NOW), STRIPE_SIG_MALFORMED);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(verify(big, NOW), STRIPE_SIG_MALFORMED);
}

Test(stripe_sig, empty_secret_refuses_everything)
{
    char h[200];
    header_at(NOW, "", h, sizeof h);
    cr_assert_eq(stripe_sig_verify(h, BODY, strlen(BODY), "", NOW, 300), STRIPE_SIG_NO_SECRET);
    cr_assert_eq(stripe_sig_verify(h, BODY, strlen(BODY), NULL, NOW, 300), STRIPE_SIG_NO_SECRET);
    cr_assert_str_eq(stripe_sig_strerror(STRIPE_SIG_NO_SECRET), "no webhook secret configured");
    cr_assert_str_eq(stripe_sig_strerror(42), "unknown result");
}

Test(stripe_sig, empty_body_is_signed_like_any_other)
{
    char mac[65], h[200];
    stripe_sig_compute(SECRET, NOW, "", 0, mac);
    snprintf(h, sizeof h, "t=%lld,v1=%s", (long long)NOW, mac);
    cr_assert_eq(stripe_sig_verify(h, "", 0, SECRET, NOW, 300), STRIPE_SIG_OK);
}
