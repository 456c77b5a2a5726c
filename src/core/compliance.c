/* Compliance rules: the provincial matrix, trust tier requirements and the Québec PIA trigger. */
#include "core/compliance.h"

#include <stdio.h>
#include <string.h>

static const comp_province provinces[COMP_PROVINCE_COUNT] = {
#define COMP_X_PROVINCE(code, regime, rule, penalty, impact) {code, regime, rule, penalty, impact},
    COMP_PROVINCES(COMP_X_PROVINCE)
#undef COMP_X_PROVINCE
};

const comp_province *comp_province_at(size_t i)
{
    return i < COMP_PROVINCE_COUNT ? &provinces[i] : NULL;
}

int comp_tier_requirements(enum jobstate_trust t, comp_tier_req *out)
{
    if ((int)t < 0 || t >= JOB_TRUST__COUNT || !out)
        return -1;
    /* Each tier adds one guarantee to the one below it (§20.1): Canada and a verified host from
     * residency, sovereignty vetting from sovereignty, an audit trail at regulated. */
    *out = (comp_tier_req){
        .tier = t,
        .name = jobstate_trust_name(t),
        .label = jobstate_trust_label(t),
        .description = jobstate_trust_description(t),
        .requires_canada = t >= JOB_TRUST_RESIDENCY,
        .requires_verified = t >= JOB_TRUST_RESIDENCY,
        .requires_sovereignty_vetting = t >= JOB_TRUST_SOVEREIGNTY,
        .requires_audit_trail = t >= JOB_TRUST_REGULATED,
        .pricing_multiplier_ppm = jobstate_trust_multiplier_ppm(t),
        .isolation = jobstate_trust_isolation_preferred(t) ? "preferred" : "none",
    };
    return 0;
}

/* Upper-cases at most n − 1 bytes of s (NULL → "") into out. */
static void upper(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < n; i++)
        out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    out[i] = '\0';
}

void comp_pia_check(const char *origin, const char *processing, bool contains_pi, comp_pia *out)
{
    char o[65], p[65];
    upper(origin, o, sizeof o);
    upper(processing, p, sizeof p);
    memset(out, 0, sizeof *out);
    if (strcmp(o, "QC") != 0) {
        snprintf(out->reason, sizeof out->reason, "Data does not originate from Qu\xC3\xA9" "bec");
    } else if (!contains_pi) {
        snprintf(out->reason, sizeof out->reason, "No personal information identified in workload");
        out->recommendation = "Verify workload does not contain PI";
    } else if (strcmp(p, "QC") == 0) {
        snprintf(out->reason, sizeof out->reason, "Processing stays within Qu\xC3\xA9" "bec");
    } else {
        out->pia_required = true;
        snprintf(out->reason, sizeof out->reason,
                 "Qu\xC3\xA9" "bec Law 25 requires PIA for cross-border transfer (QC \xE2\x86\x92 %s). Enterprise must "
                 "assess sensitivity, purpose, safeguards, and legal framework of destination.",
                 p);
        out->recommendation = "Use quebec_only routing or obtain written agreement";
        out->max_penalty = "$25,000,000 or 4% of worldwide turnover";
        out->law_reference = "Act respecting the protection of personal information in the private sector, s. 17";
    }
}
