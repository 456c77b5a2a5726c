#ifndef XC_CORE_PROVIDER_H
#define XC_CORE_PROVIDER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Provider accounts and their payouts (api §8.7, domain §25.9): the one list of provider states
 * and types, the Canadian business-number rules, and the amount a payout row is worth. Pure. */

/* ---- provider status ---- */
/* onboarding: registered, the payment account not yet able to receive transfers; active: the
 * payment provider reported the account enabled (or an operator said so); suspended: no payouts. */
#define PROVIDERSTATE_STATES(X)                                                                    \
    X(ONBOARDING, "onboarding")                                                                    \
    X(ACTIVE, "active")                                                                            \
    X(SUSPENDED, "suspended")

enum providerstate {
#define X(id, name) PROVIDER_##id,
    PROVIDERSTATE_STATES(X)
#undef X
    PROVIDER__COUNT
};

/* Wire name of a provider status, or NULL when out of range. */
const char *providerstate_name(enum providerstate s);
/* Parses an exact wire name. Returns 0, or XC_EINVAL for anything else (NULL included). */
int providerstate_parse(const char *name, enum providerstate *out);

/* ---- provider type ---- */
#define PROVIDER_TYPES(X)                                                                          \
    X(INDIVIDUAL, "individual")                                                                    \
    X(COMPANY, "company")

enum provider_type {
#define X(id, name) PROVIDER_TYPE_##id,
    PROVIDER_TYPES(X)
#undef X
    PROVIDER_TYPE__COUNT
};

const char *provider_type_name(enum provider_type t);
int provider_type_parse(const char *name, enum provider_type *out);

/* ---- Canadian business numbers (CRA) ---- */

/* A business number: the 9-digit BN, or the 15-character program account BN + 2 letters + 4
 * digits (123456789RC0001). Spaces and hyphens are dropped and letters upper-cased; out gets the
 * normalised form (at least 16 bytes). Returns 0, or XC_EINVAL for anything else. */
int provider_bn_normalise(const char *in, char *out, size_t n);

/* A GST/HST registration number: the 9-digit BN + "RT" + 4 digits (123456789RT0001), normalised
 * as above. Returns 0, or XC_EINVAL for anything else. */
int provider_gst_normalise(const char *in, char *out, size_t n);

/* Whether a GST/HST number belongs to a business number (same first 9 digits); both normalised. */
bool provider_gst_matches_bn(const char *gst, const char *bn);

/* ---- payouts ---- */

/* What a payout row is worth to the provider: its payout plus the GST/HST owed on top of it
 * (domain §25.9). A clawback or a carry is negative. MONEY_EOVERFLOW when it does not fit. */
int provider_payout_due(int64_t provider_payout, int64_t gst_hst, int64_t *out);

#endif
