#ifndef XC_COMPLIANCE_H
#define XC_COMPLIANCE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jobstate.h"

/* Compliance rules published by the API (domain §20.1, §20.4, §21.5). Pure: no I/O, no globals,
 * no clocks. Every string is the spec's exact text. */

/* ---- provincial compliance matrix (§20.4), in the published order QC, NS, BC, ON ----
 * X(code, regime, key_rule, max_penalty (NULL where the spec has "—"), scheduling_impact) */
#define COMP_PROVINCES(X)                                                                          \
    X("QC", "Law 25 (private sector)", "Cross-border transfer requires PIA + written agreement",   \
      "$25M or 4% worldwide turnover", "quebec_only routing recommended for personal info workloads") \
    X("NS", "PIIDPA (public bodies)", "Stored AND accessed only in Canada", NULL,                  \
      "canada_only enforced for public body workloads")                                            \
    X("BC", "FOIPPA (post-Bill 22, risk-based)", "Extra PIA for sensitive PI stored outside Canada", NULL, \
      "canada_preferred for sensitive workloads")                                                  \
    X("ON", "PHIPA (health, s.10.1 not yet in force)", "Electronic audit log drafted but not proclaimed", \
      NULL, "audit_tier available as premium feature")

typedef struct {
    const char *code;
    const char *regime;
    const char *key_rule;
    const char *max_penalty; /* NULL: none published */
    const char *scheduling_impact;
} comp_province;

#define COMP_PROVINCE_COUNT 4
/* Row i in the published order; NULL when i ≥ COMP_PROVINCE_COUNT. */
const comp_province *comp_province_at(size_t i);

/* ---- trust tier requirements (§20.1; api §6.12 TierReq) ---- */

typedef struct {
    enum jobstate_trust tier;
    const char *name;        /* "residency" */
    const char *label;       /* "Canada Residency" */
    const char *description; /* exact §20.1 text */
    bool requires_canada, requires_verified, requires_sovereignty_vetting, requires_audit_trail;
    int64_t pricing_multiplier_ppm;   /* 1.15 → 1 150 000 */
    const char *isolation;   /* "none" or "preferred" */
} comp_tier_req;

/* The requirements of tier t (community < residency < sovereignty < regulated). Returns 0, or -1
 * when t is out of range. */
int comp_tier_requirements(enum jobstate_trust t, comp_tier_req *out);

/* ---- Québec PIA trigger (§21.5) ---- */

typedef struct {
    bool pia_required;
    char reason[320];           /* exact text; names the upper-cased target when required */
    const char *recommendation; /* NULL → JSON null */
    const char *max_penalty;    /* only when pia_required (else NULL) */
    const char *law_reference;  /* only when pia_required (else NULL) */
} comp_pia;

/* Applies the §21.5 rules in order to the data's origin and processing provinces (compared
 * upper-cased, ASCII; NULL reads as ""). The target named in the reason is the processing
 * province upper-cased, at most 64 bytes of it. */
void comp_pia_check(const char *origin, const char *processing, bool contains_pi, comp_pia *out);

#endif
