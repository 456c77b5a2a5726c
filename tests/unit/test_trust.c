#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "core/trust.h"

#define T0 (INT64_C(1767225600) * SEC)
#define S(x) ((int64_t)(x) * SEC)
#define DAY S(86400)

/* A fully qualified Canadian record (regulated). */
static struct trust_record full(void)
{
    struct trust_record r = {"CA", "ON", "Toronto", "TOR1", "tier3", "Maple Compute Inc.", "Canada",
                             true, false, true, true, true};
    return r;
}

static struct trust_host host(const char *country, const char *province, enum verify_state v,
                              const struct trust_record *r)
{
    struct trust_host h = {country, province, v, r};
    return h;
}

static struct trust_constraint none(void)
{
    struct trust_constraint c = {0};
    return c;
}

Test(trust, requirements_table)
{
    struct trust_requirements q;
    bool want[4][4] = {{0, 0, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 0}, {1, 1, 1, 1}};
    int64_t mult[4] = {1000000, 1150000, 1350000, 1600000};
    for (int t = 0; t < JOB_TRUST__COUNT; t++) {
        cr_assert_eq(trust_tier_requirements((enum jobstate_trust)t, &q), 0);
        cr_assert_eq(q.requires_canada, want[t][0]);
        cr_assert_eq(q.requires_verified, want[t][1]);
        cr_assert_eq(q.requires_sovereignty_vetting, want[t][2]);
        cr_assert_eq(q.requires_audit_trail, want[t][3]);
        cr_assert_eq(jobstate_trust_multiplier_ppm((enum jobstate_trust)t), mult[t]); /* JUR-02 */
    }
    cr_assert_eq(trust_tier_requirements(JOB_TRUST__COUNT, &q), XC_EINVAL);
}

Test(trust, jur01_classification)
{
    struct trust_record r = full();
    struct trust_host h = host("CA", "ON", VERIFY_VERIFIED, NULL);
    cr_assert_eq(trust_classify(&h), JOB_TRUST_COMMUNITY); /* no record */
    struct trust_record us = r;
    us.country = "US";
    h = host("CA", "ON", VERIFY_VERIFIED, &us);
    cr_assert_eq(trust_classify(&h), JOB_TRUST_COMMUNITY); /* attested US */
    struct trust_record plain = {"CA", "ON", NULL, NULL, NULL, NULL, NULL, false, false, false, false, false};
    h = host("CA", "ON", VERIFY_UNVERIFIED, &plain);
    cr_assert_eq(trust_classify(&h), JOB_TRUST_COMMUNITY); /* CA but unverified */
    h.verification = VERIFY_DEVERIFIED;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_COMMUNITY);
    h.verification = VERIFY_VERIFIED;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_RESIDENCY);
    h.verification = VERIFY_VERIFYING;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_RESIDENCY);
    struct trust_record sov = r;
    sov.supports_audit_trail = false;
    h = host("", "", VERIFY_VERIFIED, &sov);
    cr_assert_eq(trust_classify(&h), JOB_TRUST_SOVEREIGNTY);
    h.record = &r;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_REGULATED);
    struct trust_record fc = r;
    fc.foreign_control = true;
    h.record = &fc;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_RESIDENCY);
    struct trust_record nreg = r;
    nreg.operator_registered_canada = false;
    h.record = &nreg;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_RESIDENCY);
    struct trust_record nvet = r;
    nvet.sovereignty_vetted = false;
    h.record = &nvet;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_RESIDENCY);
    /* CLOUD Act exposure (incorporated outside Canada) never qualifies for sovereignty */
    struct trust_record inc = r;
    inc.operator_incorporated_in = "Delaware, USA";
    h.record = &inc;
    cr_assert_eq(trust_classify(&h), JOB_TRUST_RESIDENCY);
    /* attested country is case-insensitive; the declared one is ignored with a record */
    struct trust_record lower = r;
    lower.country = "ca";
    h = host("US", "NY", VERIFY_VERIFIED, &lower);
    cr_assert_eq(trust_classify(&h), JOB_TRUST_REGULATED);
}

Test(trust, cloud_act_exposure)
{
    struct trust_record r = full();
    cr_assert_not(trust_cloud_act_exposed(&r));
    r.foreign_control = true;
    cr_assert(trust_cloud_act_exposed(&r));
    r = full();
    r.operator_incorporated_in = "USA";
    cr_assert(trust_cloud_act_exposed(&r));
    r.operator_incorporated_in = NULL;
    cr_assert(trust_cloud_act_exposed(&r));
    r.operator_incorporated_in = "canada"; /* exact text */
    cr_assert(trust_cloud_act_exposed(&r));
    cr_assert(trust_cloud_act_exposed(NULL));
}

static void expect(const struct trust_constraint *c, const struct trust_host *h, enum trust_reason code,
                   const char *reason)
{
    struct trust_verdict v = trust_check(c, h);
    cr_assert_eq(v.code, code, "got %s", v.reason);
    cr_assert_eq(v.ok, code == TRUST_OK);
    cr_assert_str_eq(v.reason, reason);
}

Test(trust, jur03_constraints)
{
    struct trust_constraint c = none();
    struct trust_host us = host("US", "NY", VERIFY_VERIFIED, NULL);
    expect(&c, &us, TRUST_OK, "OK");
    c.canada_only = true;
    expect(&c, &us, TRUST_CANADA_ONLY, "Canada-only required, host is in US");
    struct trust_host nowhere = host("", "", VERIFY_VERIFIED, NULL);
    expect(&c, &nowhere, TRUST_CANADA_ONLY, "Canada-only required, host is in unknown");
    struct trust_host lower = host("ca", "on", VERIFY_UNVERIFIED, NULL);
    expect(&c, &lower, TRUST_OK, "OK"); /* declared values upper-cased */
    struct trust_record r = full();
    struct trust_host ca = host("US", "", VERIFY_VERIFIED, &r); /* the record wins */
    expect(&c, &ca, TRUST_OK, "OK");

    c = none();
    c.province = "QC";
    expect(&c, &ca, TRUST_PROVINCE, "Province QC required, host is in ON");
    struct trust_record qc = r;
    qc.province = "qc";
    struct trust_host hq = host("CA", "", VERIFY_VERIFIED, &qc);
    expect(&c, &hq, TRUST_OK, "OK");
    struct trust_record np = r;
    np.province = "";
    struct trust_host hnp = host("CA", "QC", VERIFY_VERIFIED, &np);
    expect(&c, &hnp, TRUST_PROVINCE, "Province QC required, host is in unknown");

    c = none();
    const char *ex[] = {"cn", "RU"};
    c.exclude_countries = ex;
    c.nexclude = 2;
    struct trust_host cn = host("CN", "", VERIFY_VERIFIED, NULL);
    expect(&c, &cn, TRUST_COUNTRY_EXCLUDED, "Host country CN is excluded");
    struct trust_host ru = host("ru", "", VERIFY_VERIFIED, NULL);
    expect(&c, &ru, TRUST_COUNTRY_EXCLUDED, "Host country RU is excluded");
    expect(&c, &us, TRUST_OK, "OK");

    c = none();
    c.require_verified = true;
    struct trust_host unv = host("CA", "ON", VERIFY_UNVERIFIED, NULL);
    expect(&c, &unv, TRUST_NOT_VERIFIED, "Host verification required");
    unv.verification = VERIFY_DEVERIFIED;
    expect(&c, &unv, TRUST_NOT_VERIFIED, "Host verification required");
    unv.verification = VERIFY_VERIFYING;
    expect(&c, &unv, TRUST_OK, "OK");

    c = none();
    c.require_sovereignty = true;
    struct trust_host norec = host("CA", "ON", VERIFY_VERIFIED, NULL);
    expect(&c, &norec, TRUST_NOT_VETTED, "Sovereignty vetting required");
    struct trust_record nvet = r;
    nvet.sovereignty_vetted = false;
    struct trust_host hv = host("CA", "ON", VERIFY_VERIFIED, &nvet);
    expect(&c, &hv, TRUST_NOT_VETTED, "Sovereignty vetting required");
    struct trust_record nreg = r; /* JUR-04 */
    nreg.operator_registered_canada = false;
    hv.record = &nreg;
    expect(&c, &hv, TRUST_NOT_REGISTERED_CA, "Host operator is not registered in Canada");
    struct trust_record fc = r;
    fc.foreign_control = true;
    hv.record = &fc;
    expect(&c, &hv, TRUST_FOREIGN_CONTROL, "Host operator is subject to foreign jurisdiction");
    hv.record = &r;
    expect(&c, &hv, TRUST_OK, "OK");

    c = none();
    c.require_audit_trail = true;
    struct trust_record noaudit = r;
    noaudit.supports_audit_trail = false;
    hv.record = &noaudit;
    expect(&c, &hv, TRUST_NO_AUDIT_TRAIL, "Audit trail capability required");
    expect(&c, &norec, TRUST_NO_AUDIT_TRAIL, "Audit trail capability required");

    c = none();
    c.data_sensitivity = "sensitive";
    expect(&c, &us, TRUST_SENSITIVE_NOT_CA, "Sensitive data requires Canadian-resident host");
    expect(&c, &norec, TRUST_SENSITIVE_NOT_CA, "Sensitive data requires Canadian-resident host");
    struct trust_host ca_unv = host("CA", "ON", VERIFY_UNVERIFIED, &r);
    expect(&c, &ca_unv, TRUST_SENSITIVE_NOT_VERIFIED, "Sensitive data requires verified host");
    expect(&c, &ca, TRUST_OK, "OK");

    c = none();
    c.data_sensitivity = "regulated";
    expect(&c, &norec, TRUST_REGULATED_NOT_VETTED, "Regulated data requires sovereignty-vetted host");
    hv.record = &noaudit;
    expect(&c, &hv, TRUST_REGULATED_NO_AUDIT, "Regulated data requires audit trail capability");
    expect(&c, &ca, TRUST_OK, "OK");
    c.data_sensitivity = "public";
    expect(&c, &us, TRUST_OK, "OK");

    c = none();
    c.min_tier = JOB_TRUST_SOVEREIGNTY;
    struct trust_record plain = {"CA", "ON", NULL, NULL, NULL, NULL, NULL, false, false, false, false, false};
    struct trust_host res = host("CA", "ON", VERIFY_VERIFIED, &plain);
    expect(&c, &res, TRUST_TIER_BELOW, "Trust tier sovereignty required, host qualifies for residency");
    c.min_tier = JOB_TRUST_RESIDENCY;
    expect(&c, &us, TRUST_TIER_BELOW, "Trust tier residency required, host qualifies for community");
    expect(&c, &res, TRUST_OK, "OK");
}

Test(trust, first_failure_wins)
{
    /* a host failing everything reports rule 1 first, then each next rule as earlier ones pass */
    struct trust_constraint c = trust_constraint_for(JOB_TRUST_REGULATED, false);
    const char *ex[] = {"US"};
    c.exclude_countries = ex;
    c.nexclude = 1;
    c.province = "QC";
    c.data_sensitivity = "regulated";
    struct trust_host us = host("US", "NY", VERIFY_UNVERIFIED, NULL);
    expect(&c, &us, TRUST_CANADA_ONLY, "Canada-only required, host is in US");
    c.canada_only = false;
    expect(&c, &us, TRUST_COUNTRY_EXCLUDED, "Host country US is excluded");
    c.nexclude = 0;
    expect(&c, &us, TRUST_PROVINCE, "Province QC required, host is in NY");
    c.province = NULL;
    expect(&c, &us, TRUST_NOT_VERIFIED, "Host verification required");
    c.require_verified = false;
    expect(&c, &us, TRUST_NOT_VETTED, "Sovereignty vetting required");
    c.require_sovereignty = false;
    expect(&c, &us, TRUST_NO_AUDIT_TRAIL, "Audit trail capability required");
    c.require_audit_trail = false;
    expect(&c, &us, TRUST_REGULATED_NOT_VETTED, "Regulated data requires sovereignty-vetted host");
    c.data_sensitivity = NULL;
    expect(&c, &us, TRUST_TIER_BELOW, "Trust tier regulated required, host qualifies for community");
}

Test(trust, constraint_for_tiers)
{
    struct trust_constraint c = trust_constraint_for(JOB_TRUST_COMMUNITY, false);
    cr_assert_not(c.canada_only || c.require_verified || c.require_sovereignty || c.require_audit_trail);
    cr_assert_eq(c.min_tier, JOB_TRUST_COMMUNITY);
    c = trust_constraint_for(JOB_TRUST_COMMUNITY, true);
    cr_assert(c.canada_only);
    c = trust_constraint_for(JOB_TRUST_RESIDENCY, false);
    cr_assert(c.canada_only && c.require_verified);
    cr_assert_not(c.require_sovereignty || c.require_audit_trail);
    cr_assert_eq(c.min_tier, JOB_TRUST_RESIDENCY);
    c = trust_constraint_for(JOB_TRUST_SOVEREIGNTY, false);
    cr_assert(c.canada_only && c.require_verified && c.require_sovereignty);
    cr_assert_not(c.require_audit_trail);
    c = trust_constraint_for(JOB_TRUST_REGULATED, false);
    cr_assert(c.canada_only && c.require_verified && c.require_sovereignty && c.require_audit_trail);
    cr_assert_eq(c.min_tier, JOB_TRUST_REGULATED);
    c = trust_constraint_for(JOB_TRUST__COUNT, false);
    cr_assert_eq(c.min_tier, JOB_TRUST_REGULATED);
}

Test(trust, ok_mask_and_filtering)
{
    struct trust_record r = full(), plain = {"CA", "ON", NULL, NULL, NULL, NULL, NULL, false, false,
                                             false, false, false};
    struct trust_host us = host("US", "", VERIFY_VERIFIED, NULL);
    struct trust_host ca_decl = host("CA", "ON", VERIFY_VERIFIED, NULL);
    struct trust_host res = host("CA", "ON", VERIFY_VERIFIED, &plain);
    struct trust_host reg = host("CA", "ON", VERIFY_VERIFIED, &r);
    cr_assert_eq(trust_ok_mask(&us, false), 0x1);
    cr_assert_eq(trust_ok_mask(&us, true), 0x0);
    cr_assert_eq(trust_ok_mask(&ca_decl, true), 0x1); /* declared CA: community only */
    cr_assert_eq(trust_ok_mask(&res, false), 0x3);
    cr_assert_eq(trust_ok_mask(&reg, false), 0xf);
    /* a sovereignty job never lands on an unvetted or foreign host */
    struct trust_record fc = r;
    fc.foreign_control = true;
    struct trust_host foreign = host("CA", "ON", VERIFY_VERIFIED, &fc);
    cr_assert_eq(trust_ok_mask(&foreign, false), 0x3);
}

Test(trust, runtime_preference)
{
    cr_assert_eq(trust_runtime_for(JOB_TRUST_COMMUNITY, ADMIT_RT_RUNSC), ADMIT_RT_RUNC);
    cr_assert_eq(trust_runtime_for(JOB_TRUST_RESIDENCY, ADMIT_RT_RUNSC), ADMIT_RT_RUNSC);
    cr_assert_eq(trust_runtime_for(JOB_TRUST_SOVEREIGNTY, ADMIT_RT_KATA), ADMIT_RT_KATA);
    cr_assert_eq(trust_runtime_for(JOB_TRUST_REGULATED, ADMIT_RT_RUNC), ADMIT_RT_RUNC);
    cr_assert_eq(trust_runtime_for(JOB_TRUST__COUNT, ADMIT_RT_KATA), ADMIT_RT_RUNC);
}

Test(trust, jur05_residency_trace)
{
    struct trust_record r = full();
    struct trust_host h = host("US", "", VERIFY_VERIFIED, &r);
    struct trust_trace t = trust_residency_trace(&h, T0, T0 + S(3600));
    cr_assert_str_eq(t.country, "CA");
    cr_assert_str_eq(t.province, "ON");
    cr_assert_str_eq(t.city, "Toronto");
    cr_assert_str_eq(t.data_center, "TOR1");
    cr_assert_str_eq(t.data_center_class, "tier3");
    cr_assert_str_eq(t.operator_name, "Maple Compute Inc.");
    cr_assert_str_eq(t.operator_incorporated_in, "Canada");
    cr_assert(t.operator_canadian_registered);
    cr_assert(t.sovereignty_vetted);
    cr_assert(t.is_canadian_compute);
    cr_assert(t.has_duration);
    cr_assert_eq(t.duration_ms, 3600000);
    /* declared only */
    struct trust_host d = host("CA", "ON", VERIFY_UNVERIFIED, NULL);
    t = trust_residency_trace(&d, T0, VERIFY_NO_TIME);
    cr_assert_str_eq(t.country, "CA");
    cr_assert_str_eq(t.province, "ON");
    cr_assert_str_eq(t.city, "unknown");
    cr_assert_str_eq(t.data_center, "unknown");
    cr_assert_str_eq(t.data_center_class, "unknown");
    cr_assert_str_eq(t.operator_name, "unknown");
    cr_assert_str_eq(t.operator_incorporated_in, "unknown");
    cr_assert_not(t.operator_canadian_registered);
    cr_assert(t.is_canadian_compute);
    cr_assert_not(t.has_duration);
    cr_assert_eq(t.started_at_us, T0);
    cr_assert_eq(t.completed_at_us, VERIFY_NO_TIME);
    /* never assigned */
    t = trust_residency_trace(NULL, VERIFY_NO_TIME, VERIFY_NO_TIME);
    cr_assert_str_eq(t.country, "unknown");
    cr_assert_str_eq(t.province, "unknown");
    cr_assert_not(t.is_canadian_compute);
    cr_assert_not(t.has_duration);
    /* an empty country is never reported as CA */
    struct trust_host e = host("", "", VERIFY_VERIFIED, NULL);
    t = trust_residency_trace(&e, T0, T0 + 1500);
    cr_assert_str_eq(t.country, "unknown");
    cr_assert_not(t.is_canadian_compute);
    cr_assert_eq(t.duration_ms, 2); /* 1.5 ms -> 2 */
    struct trust_record er = r;
    er.country = "";
    h.record = &er;
    t = trust_residency_trace(&h, T0, T0);
    cr_assert_str_eq(t.country, "unknown");
    cr_assert_not(t.is_canadian_compute);
}

Test(trust, legal_names)
{
    const char *types[] = {"subpoena", "warrant", "mlat", "production_order", "informal"};
    for (int i = 0; i < TRUST_LEGAL__COUNT; i++) {
        enum trust_legal_type t;
        cr_assert_str_eq(trust_legal_type_name((enum trust_legal_type)i), types[i]);
        cr_assert_eq(trust_legal_type_parse(types[i], &t), 0);
        cr_assert_eq(t, (enum trust_legal_type)i);
    }
    enum trust_legal_type t;
    cr_assert_eq(trust_legal_type_parse("letter", &t), XC_EINVAL);
    enum trust_legal_status s;
    cr_assert_eq(trust_legal_status_parse("received", &s), 0);
    cr_assert_eq(s, TRUST_LEGAL_ST_RECEIVED);
    cr_assert_str_eq(trust_legal_status_name(TRUST_LEGAL_ST_RESPONDED), "responded");
    cr_assert_eq(trust_legal_respond(TRUST_LEGAL_ST_RECEIVED, &s), 0);
    cr_assert_eq(s, TRUST_LEGAL_ST_RESPONDED);
    cr_assert_eq(trust_legal_respond(TRUST_LEGAL_ST_RESPONDED, &s), XC_ECONFLICT);
    cr_assert(trust_jurisdiction_foreign("US"));
    cr_assert(trust_jurisdiction_foreign(""));
    cr_assert(trust_jurisdiction_foreign(NULL));
    cr_assert_not(trust_jurisdiction_foreign("CA"));
    cr_assert_not(trust_jurisdiction_foreign("canada"));
}

Test(trust, cloud_act_note_texts)
{
    char *n = trust_cloud_act_note(0);
    cr_assert_str_eq(n, "Xcelsior is a Canadian-controlled entity. All data resides in Canadian "
                        "jurisdiction. Foreign legal process requires MLAT through Canadian courts. "
                        "No US CLOUD Act compelled disclosure has been made.");
    free(n);
    n = trust_cloud_act_note(2);
    cr_assert_str_eq(n, "Xcelsior is a Canadian-controlled entity. All data resides in Canadian "
                        "jurisdiction. Foreign legal process requires MLAT through Canadian courts. "
                        "2 disclosure(s) to foreign authorities were made in this period; see "
                        "disclosures.");
    free(n);
}

Test(trust, transparency_report)
{
    int64_t now = T0 + 100 * DAY;
    struct trust_legal_request req[] = {
        {now - DAY, TRUST_LEGAL_SUBPOENA, "CA", TRUST_LEGAL_ST_RECEIVED, false, false},
        {now - 2 * DAY, TRUST_LEGAL_WARRANT, "US", TRUST_LEGAL_ST_RESPONDED, true, false},
        {now - 3 * DAY, TRUST_LEGAL_MLAT, "US", TRUST_LEGAL_ST_RESPONDED, false, true},
        {now - 30 * DAY, TRUST_LEGAL_INFORMAL, "FR", TRUST_LEGAL_ST_RESPONDED, true, true}, /* edge: in */
        {now - 30 * DAY - 1, TRUST_LEGAL_WARRANT, "US", TRUST_LEGAL_ST_RECEIVED, false, false}, /* out */
        {now + 1, TRUST_LEGAL_WARRANT, "US", TRUST_LEGAL_ST_RECEIVED, false, false},            /* future */
    };
    struct trust_disclosure dis[] = {{now - DAY, "CA"}, {now - 31 * DAY, "US"}};
    struct trust_transparency t;
    cr_assert_eq(trust_transparency_report(req, 6, dis, 2, 1, now, &t), 0);
    cr_assert_eq(t.window_start_us, now - 30 * DAY);
    cr_assert_eq(t.requests_received, 4);
    cr_assert_eq(t.complied, 2);
    cr_assert_eq(t.challenged, 2);
    cr_assert_eq(t.pending, 1);
    cr_assert_eq(t.by_type[TRUST_LEGAL_SUBPOENA], 1);
    cr_assert_eq(t.by_type[TRUST_LEGAL_WARRANT], 1);
    cr_assert_eq(t.by_type[TRUST_LEGAL_MLAT], 1);
    cr_assert_eq(t.by_type[TRUST_LEGAL_PRODUCTION_ORDER], 0);
    cr_assert_eq(t.by_type[TRUST_LEGAL_INFORMAL], 1);
    cr_assert_eq(t.njurisdictions, 3);
    cr_assert_str_eq(t.by_jurisdiction[0].name, "CA");
    cr_assert_eq(t.by_jurisdiction[0].count, 1);
    cr_assert_str_eq(t.by_jurisdiction[1].name, "FR");
    cr_assert_str_eq(t.by_jurisdiction[2].name, "US");
    cr_assert_eq(t.by_jurisdiction[2].count, 2);
    cr_assert_eq(t.data_disclosures, 1);
    cr_assert_eq(t.foreign_disclosures, 0);
    cr_assert_not_null(strstr(t.cloud_act_note, "No US CLOUD Act compelled disclosure has been made."));
    trust_transparency_free(&t);
    /* two months: the US disclosure is inside now */
    cr_assert_eq(trust_transparency_report(req, 6, dis, 2, 2, now, &t), 0);
    cr_assert_eq(t.requests_received, 5);
    cr_assert_eq(t.pending, 2);
    cr_assert_eq(t.data_disclosures, 2);
    cr_assert_eq(t.foreign_disclosures, 1);
    cr_assert_not_null(strstr(t.cloud_act_note, "1 disclosure(s) to foreign authorities were made in this "
                                                "period; see disclosures."));
    trust_transparency_free(&t);
    /* empty inputs */
    cr_assert_eq(trust_transparency_report(NULL, 0, NULL, 0, 12, now, &t), 0);
    cr_assert_eq(t.requests_received, 0);
    cr_assert_eq(t.pending, 0);
    cr_assert_eq(t.njurisdictions, 0);
    trust_transparency_free(&t);
    cr_assert_eq(trust_transparency_report(NULL, 0, NULL, 0, 0, now, &t), XC_EINVAL);
}
