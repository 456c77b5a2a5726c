/* Host, lease and wallet states: the name <-> enum mappings of states.h. */
#include "core/states.h"

#include <string.h>

#include "common/errors.h"

static const char *const host_names[HOST__COUNT] = {
#define X(id, name) name,
    HOSTSTATE_STATES(X)
#undef X
};

static const char *const lease_names[LEASE__COUNT] = {
#define X(id, name) name,
    LEASESTATE_STATES(X)
#undef X
};

static const char *const wallet_names[WALLET__COUNT] = {
#define X(id, name) name,
    WALLETSTATE_STATES(X)
#undef X
};

int states_index(const char *const *names, int n, const char *name)
{
    int found = XC_EINVAL;
    for (int i = 0; name && i < n && found < 0; i++)
        if (strcmp(name, names[i]) == 0)
            found = i;
    return found;
}

const char *hoststate_name(enum hoststate s)
{
    return (unsigned)s < HOST__COUNT ? host_names[s] : NULL;
}

int hoststate_parse(const char *name, enum hoststate *out)
{
    int i = states_index(host_names, HOST__COUNT, name);
    if (i < 0)
        return i;
    *out = (enum hoststate)i;
    return 0;
}

const char *leasestate_name(enum leasestate s)
{
    return (unsigned)s < LEASE__COUNT ? lease_names[s] : NULL;
}

int leasestate_parse(const char *name, enum leasestate *out)
{
    int i = states_index(lease_names, LEASE__COUNT, name);
    if (i < 0)
        return i;
    *out = (enum leasestate)i;
    return 0;
}

const char *walletstate_name(enum walletstate s)
{
    return (unsigned)s < WALLET__COUNT ? wallet_names[s] : NULL;
}

int walletstate_parse(const char *name, enum walletstate *out)
{
    int i = states_index(wallet_names, WALLET__COUNT, name);
    if (i < 0)
        return i;
    *out = (enum walletstate)i;
    return 0;
}
