#ifndef XC_CORE_STATES_H
#define XC_CORE_STATES_H

/* States of hosts, leases and wallets (domain §6, §9, §25.5); job states and stop reasons are in
 * jobstate.h. The one list of each, and the one mapping between the enum and its wire name (the
 * JSON field, the database column, the metrics label). Pure. */

/* ---- host status ---- */
/* pending: registered, not admitted (gets no work); active: admitted and heartbeating; dead:
 * missed its heartbeats (its work was requeued). Declaration order is the metrics order. */
#define HOSTSTATE_STATES(X)                                                                        \
    X(PENDING, "pending")                                                                          \
    X(ACTIVE, "active")                                                                            \
    X(DEAD, "dead")

enum hoststate {
#define X(id, name) HOST_##id,
    HOSTSTATE_STATES(X)
#undef X
    HOST__COUNT
};

/* Wire name of a host status, or NULL when out of range. */
/* Index of name in names[0..n) (an enum's X-macro name table), or XC_EINVAL: the one lookup
 * behind every *_parse of core's enums. */
int states_index(const char *const *names, int n, const char *name);

const char *hoststate_name(enum hoststate s);
/* Parses an exact wire name. Returns 0, or XC_EINVAL for anything else (NULL included). */
int hoststate_parse(const char *name, enum hoststate *out);

/* ---- lease status ---- */
/* active: held by the job's host until expires_at; released: given back when the attempt ended;
 * expired: not renewed in time (the job was requeued or ended). */
#define LEASESTATE_STATES(X)                                                                       \
    X(ACTIVE, "active")                                                                            \
    X(RELEASED, "released")                                                                        \
    X(EXPIRED, "expired")

enum leasestate {
#define X(id, name) LEASE_##id,
    LEASESTATE_STATES(X)
#undef X
    LEASE__COUNT
};

/* Wire name of a lease status, or NULL when out of range. */
const char *leasestate_name(enum leasestate s);
/* Parses an exact wire name. Returns 0, or XC_EINVAL for anything else (NULL included). */
int leasestate_parse(const char *name, enum leasestate *out);

/* ---- wallet status ---- */
/* active: may be charged; grace: overdrawn, still running until grace_until; suspended: grace
 * ran out, no new work until paid up. */
#define WALLETSTATE_STATES(X)                                                                      \
    X(ACTIVE, "active")                                                                            \
    X(GRACE, "grace")                                                                              \
    X(SUSPENDED, "suspended")

enum walletstate {
#define X(id, name) WALLET_##id,
    WALLETSTATE_STATES(X)
#undef X
    WALLET__COUNT
};

/* Wire name of a wallet status, or NULL when out of range. */
const char *walletstate_name(enum walletstate s);
/* Parses an exact wire name. Returns 0, or XC_EINVAL for anything else (NULL included). */
int walletstate_parse(const char *name, enum walletstate *out);

#endif
