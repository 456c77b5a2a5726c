/* Provider states, types, business numbers and payout amounts (see provider.h). */
#include "core/provider.h"

#include <ctype.h>
#include <string.h>

#include "common/errors.h"
#include "core/money.h"
#include "core/states.h"

static const char *const state_names[PROVIDER__COUNT] = {
#define X(id, name) name,
    PROVIDERSTATE_STATES(X)
#undef X
};

static const char *const type_names[PROVIDER_TYPE__COUNT] = {
#define X(id, name) name,
    PROVIDER_TYPES(X)
#undef X
};

const char *providerstate_name(enum providerstate s)
{
    return (unsigned)s < PROVIDER__COUNT ? state_names[s] : NULL;
}

int providerstate_parse(const char *name, enum providerstate *out)
{
    int i = states_index(state_names, PROVIDER__COUNT, name);
    if (i < 0)
        return i;
    *out = (enum providerstate)i;
    return 0;
}

const char *provider_type_name(enum provider_type t)
{
    return (unsigned)t < PROVIDER_TYPE__COUNT ? type_names[t] : NULL;
}

int provider_type_parse(const char *name, enum provider_type *out)
{
    int i = states_index(type_names, PROVIDER_TYPE__COUNT, name);
    if (i < 0)
        return i;
    *out = (enum provider_type)i;
    return 0;
}

/* Copies in without spaces and hyphens, upper-cased, into out (at most 15 characters kept; a
 * longer input fails). */
static int squeeze(const char *in, char *out, size_t n)
{
    size_t o = 0;
    if (!in || n < 16)
        return XC_EINVAL;
    for (const char *p = in; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (o >= 15)
            return XC_EINVAL;
        out[o++] = (char)toupper((unsigned char)*p);
    }
    out[o] = '\0';
    return 0;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int provider_bn_normalise(const char *in, char *out, size_t n)
{
    if (squeeze(in, out, n) < 0)
        return XC_EINVAL;
    size_t l = strlen(out);
    if (l == 9 && digits(out, 9))
        return 0;
    if (l == 15 && digits(out, 9) && out[9] >= 'A' && out[9] <= 'Z' && out[10] >= 'A' && out[10] <= 'Z' &&
        digits(out + 11, 4))
        return 0;
    out[0] = '\0';
    return XC_EINVAL;
}

int provider_gst_normalise(const char *in, char *out, size_t n)
{
    if (squeeze(in, out, n) < 0)
        return XC_EINVAL;
    if (strlen(out) == 15 && digits(out, 9) && out[9] == 'R' && out[10] == 'T' && digits(out + 11, 4))
        return 0;
    out[0] = '\0';
    return XC_EINVAL;
}

bool provider_gst_matches_bn(const char *gst, const char *bn)
{
    return gst && bn && strlen(gst) >= 9 && strlen(bn) >= 9 && memcmp(gst, bn, 9) == 0;
}

int provider_payout_due(int64_t provider_payout, int64_t gst_hst, int64_t *out)
{
    return money_add(provider_payout, gst_hst, out);
}
