#ifndef XC_CORE_TRUST_H
#define XC_CORE_TRUST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"
#include "core/admit.h"
#include "core/jobstate.h"
#include "core/verify.h"

/* Trust tiers, jurisdiction and CLOUD Act rules (domain §20.1–§20.3, §20.5). Pure: the caller
 * loads the host, its admin-attested jurisdiction record and its verification state, and time is
 * passed in (int64 µs, UTC). The tiers themselves (names, labels, descriptions, multipliers,
 * isolation) are the one table in core/jobstate.h (enum jobstate_trust, ordered
 * community < residency < sovereignty < regulated). */

/* TierReq requirement columns of §20.1 (api §6.12). */
struct trust_requirements {
    bool requires_canada;
    bool requires_verified;
    bool requires_sovereignty_vetting;
    bool requires_audit_trail;
};
/* The requirement row of a tier; 0, or XC_EINVAL when out of range. */
int trust_tier_requirements(enum jobstate_trust t, struct trust_requirements *out);

/* The admin-attested jurisdiction record (api §6.12 HostJurisdiction); strings borrowed, NULL = "". */
struct trust_record {
    const char *country;
    const char *province;
    const char *city;
    const char *data_center_name;
    const char *data_center_class;
    const char *operator_name;
    const char *operator_incorporated_in;
    bool operator_registered_canada;
    bool foreign_control;
    bool sovereignty_vetted;
    bool supports_audit_trail;
    bool supports_data_residency;
};

/* A host as the trust rules see it (borrowed). */
struct trust_host {
    const char *country;             /* declared country (host record), NULL = "" */
    const char *province;            /* declared province */
    enum verify_state verification;  /* the host's verification_state */
    const struct trust_record *record; /* NULL: no jurisdiction record */
};

/* CLOUD Act exposure of a record: foreign_control, or operator_incorporated_in not exactly
 * "Canada". No record counts as exposed (nothing attests otherwise). */
bool trust_cloud_act_exposed(const struct trust_record *r);

/* classify(host) (§20.2): no record or attested country not "CA" (case-insensitive) -> community;
 * verification not verified/verifying -> community; else residency; sovereignty_vetted and
 * operator_registered_canada and not foreign_control -> sovereignty (only without CLOUD Act
 * exposure, §20.5: an operator incorporated outside Canada stays residency); additionally
 * supports_audit_trail -> regulated. */
enum jobstate_trust trust_classify(const struct trust_host *h);

/* The constraint a job places on its host (§20.3). Strings borrowed. */
struct trust_constraint {
    bool canada_only;
    const char *const *exclude_countries; /* compared upper-cased */
    size_t nexclude;
    const char *province;                 /* NULL/"" = any */
    bool require_verified;
    bool require_sovereignty;
    bool require_audit_trail;
    const char *data_sensitivity;         /* "sensitive", "regulated", anything else = no rule */
    enum jobstate_trust min_tier;         /* community = no tier requirement */
};

/* The constraint of a job's trust tier: community -> nothing but the global Canada-only flag;
 * residency -> canada_only + require_verified + tier >= residency; sovereignty -> also
 * require_sovereignty, tier >= sovereignty; regulated -> also require_audit_trail, tier >=
 * regulated. An out-of-range tier reads as regulated (the strictest). */
struct trust_constraint trust_constraint_for(enum jobstate_trust t, bool global_canada_only);

/* Why a host fails a constraint: the FIRST failing rule, in §20.3 order. */
#define TRUST_REASONS(X)                                                                           \
    X(OK, "OK")                                                                                    \
    X(CANADA_ONLY, "Canada-only required, host is in %s")                                          \
    X(COUNTRY_EXCLUDED, "Host country %s is excluded")                                             \
    X(PROVINCE, "Province %s required, host is in %s")                                             \
    X(NOT_VERIFIED, "Host verification required")                                                  \
    X(NOT_VETTED, "Sovereignty vetting required")                                                  \
    X(NOT_REGISTERED_CA, "Host operator is not registered in Canada")                              \
    X(FOREIGN_CONTROL, "Host operator is subject to foreign jurisdiction")                         \
    X(NO_AUDIT_TRAIL, "Audit trail capability required")                                           \
    X(SENSITIVE_NOT_CA, "Sensitive data requires Canadian-resident host")                          \
    X(SENSITIVE_NOT_VERIFIED, "Sensitive data requires verified host")                             \
    X(REGULATED_NOT_VETTED, "Regulated data requires sovereignty-vetted host")                     \
    X(REGULATED_NO_AUDIT, "Regulated data requires audit trail capability")                        \
    X(TIER_BELOW, "Trust tier %s required, host qualifies for %s")

enum trust_reason {
#define X(id, fmt) TRUST_##id,
    TRUST_REASONS(X)
#undef X
    TRUST__COUNT
};

#define TRUST_REASON_MAX 256

struct trust_verdict {
    bool ok;
    enum trust_reason code;
    char reason[TRUST_REASON_MAX]; /* exact §20.3 text ("OK" on a pass); a country or province
                                      longer than the buffer allows is cut off */
};

/* host_meets_constraint (§20.3). Country/province used: the attested ones when a record exists,
 * else the declared ones, upper-cased; empty prints as "unknown". Province compared
 * case-insensitively. "Verified" means verified or verifying. */
struct trust_verdict trust_check(const struct trust_constraint *c, const struct trust_host *h);

/* Bit t set when the host meets trust tier t's constraint (sched_host.trust_ok_mask), under the
 * given global Canada-only flag. Bit 0 (community) is set only when the host passes the community
 * constraint (it always does unless global_canada_only and the host is outside Canada). */
uint32_t trust_ok_mask(const struct trust_host *h, bool global_canada_only);

/* Runtime for a job (isolation preference, §20.1): a tier above community on a host whose own
 * recommendation (§3.4) is sandboxed (runsc/gVisor or kata) runs there; otherwise runc. */
enum admit_runtime trust_runtime_for(enum jobstate_trust t, enum admit_runtime host_recommended);

/* ---- residency trace (§20.5, api §6.12 ResidencyTrace) ---- */

struct trust_trace {
    const char *country;     /* never defaulted to Canada; "unknown" when empty or no host */
    const char *province;
    const char *city;
    const char *data_center;
    const char *data_center_class;
    const char *operator_name;
    const char *operator_incorporated_in;
    bool operator_canadian_registered;
    bool sovereignty_vetted;
    bool is_canadian_compute;  /* country is "CA" (case-insensitive; attested with a record) */
    int64_t started_at_us;     /* VERIFY_NO_TIME = null */
    int64_t completed_at_us;   /* VERIFY_NO_TIME = null (still running) */
    bool has_duration;
    int64_t duration_ms;       /* completed − started, RHU to ms (duration_sec with 3 decimals) */
};

/* Builds the trace of a job. h NULL: the job never had a host ("unknown"/false everywhere). With
 * a record: the attested values (empty -> "unknown"); without: the declared country/province and
 * "unknown" for city, data centre, class, operator and incorporation. Strings point into h's data
 * or at static "unknown" text. started/completed: VERIFY_NO_TIME when null. */
struct trust_trace trust_residency_trace(const struct trust_host *h, int64_t started_at_us,
                                         int64_t completed_at_us);

/* ---- legal requests and the transparency report (§20.5) ---- */

#define TRUST_LEGAL_TYPES(X)                                                                       \
    X(SUBPOENA, "subpoena")                                                                        \
    X(WARRANT, "warrant")                                                                          \
    X(MLAT, "mlat")                                                                                \
    X(PRODUCTION_ORDER, "production_order")                                                        \
    X(INFORMAL, "informal")

enum trust_legal_type {
#define X(id, name) TRUST_LEGAL_##id,
    TRUST_LEGAL_TYPES(X)
#undef X
    TRUST_LEGAL__COUNT
};

#define TRUST_LEGAL_STATUSES(X) X(RECEIVED, "received") X(RESPONDED, "responded")
enum trust_legal_status {
#define X(id, name) TRUST_LEGAL_ST_##id,
    TRUST_LEGAL_STATUSES(X)
#undef X
    TRUST_LEGAL_ST__COUNT
};

const char *trust_legal_type_name(enum trust_legal_type t);
int trust_legal_type_parse(const char *name, enum trust_legal_type *out);
const char *trust_legal_status_name(enum trust_legal_status s);
int trust_legal_status_parse(const char *name, enum trust_legal_status *out);
/* received -> responded, once: 0, or XC_ECONFLICT when already responded. */
int trust_legal_respond(enum trust_legal_status from, enum trust_legal_status *to);

struct trust_legal_request {
    int64_t received_at_us;
    enum trust_legal_type type;
    const char *jurisdiction; /* borrowed */
    enum trust_legal_status status;
    bool complied;
    bool challenged;
};

struct trust_disclosure {
    int64_t disclosed_at_us;
    const char *authority_jurisdiction; /* borrowed; foreign unless "CA" or "Canada" */
};

/* True when an authority's jurisdiction is not Canadian ("CA"/"Canada", case-insensitive, are
 * Canadian; anything else, empty included, is foreign). */
bool trust_jurisdiction_foreign(const char *jurisdiction);

struct trust_count {
    const char *name; /* borrowed from the requests */
    size_t count;
};

struct trust_transparency {
    int64_t window_start_us;   /* now − months × 30 days; the window is [start, now] */
    size_t requests_received;
    size_t complied;
    size_t challenged;
    size_t pending;            /* status received */
    size_t by_type[TRUST_LEGAL__COUNT];
    struct trust_count *by_jurisdiction; /* owned array, sorted by name (byte order) */
    size_t njurisdictions;
    size_t data_disclosures;   /* disclosures in the window */
    size_t foreign_disclosures;
    char *cloud_act_note;      /* owned */
};

/* The public transparency report over `months` × 30 days ending at now_us (months >= 1). All
 * counts are of the requests/disclosures inside the window. Fills *out (free with
 * trust_transparency_free); 0, or XC_EINVAL. */
int trust_transparency_report(const struct trust_legal_request *req, size_t nreq,
                              const struct trust_disclosure *dis, size_t ndis, int months,
                              int64_t now_us, struct trust_transparency *out);
void trust_transparency_free(struct trust_transparency *t);

/* cloud_act_note for n foreign disclosures in the window: the exact §20.5 text; n > 0 replaces the
 * last sentence with "<n> disclosure(s) to foreign authorities were made in this period; see
 * disclosures.". The caller owns it. */
char *trust_cloud_act_note(size_t foreign_disclosures);

#endif
