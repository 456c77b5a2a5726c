/* Compliance rules (core/compliance, core/calendar, core/usage, the §25.13 assessment of core/tax,
 * the §25.14 reservation quote): the pure halves of the api §8.5 compliance routes. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/calendar.h"
#include "core/compliance.h"
#include "core/money.h"
#include "core/pricing.h"
#include "core/tax.h"
#include "core/usage.h"

#define US(s) ((int64_t)(s) * 1000000)

/* ---- calendar and ISO weeks ---- */

Test(calendar, days_and_dates)
{
    char b[16];
    cr_assert_eq(cal_days_from_civil(1970, 1, 1), 0);
    cr_assert_eq(cal_days_from_civil(2026, 6, 15), 20619);
    cr_assert_str_eq(cal_fmt_date(20619, b, sizeof b), "2026-06-15");
    cr_assert_str_eq(cal_fmt_date(-1, b, sizeof b), "1969-12-31");
    cr_assert_eq(cal_day_of(US(86400) - 1), 0);
    cr_assert_eq(cal_day_of(US(86400)), 1);
    cr_assert_eq(cal_day_of(-1), -1); /* floor, not truncation */
    cr_assert_str_eq(cal_fmt_date(cal_day_of(US(1743476400)), b, sizeof b), "2025-04-01");
    cr_assert_eq(cal_iso_weekday(0), 4);      /* 1970-01-01 Thursday */
    cr_assert_eq(cal_iso_weekday(-4), 7);     /* 1969-12-28 Sunday */
    cr_assert_eq(cal_iso_weekday(20087), 1);  /* 2024-12-30 Monday */
}

Test(calendar, iso_weeks)
{
    struct {
        int64_t day;
        const char *week;
    } cases[] = {
        {18630, "2020-W53"}, /* 2021-01-03: Sunday of the last week of 2020 */
        {20087, "2025-W01"}, /* 2024-12-30: Monday of week 1 of 2025 */
        {20454, "2026-W01"}, /* 2026-01-01 Thursday */
        {20819, "2026-W53"}, /* 2027-01-01 Friday */
        {20821, "2026-W53"}, /* 2027-01-03 Sunday */
        {20822, "2027-W01"}, /* 2027-01-04 Monday */
        {18627, "2020-W53"}, /* 2020-12-31 */
        {18260, "2020-W01"}, /* 2019-12-30 */
        {20619, "2026-W25"}, /* 2026-06-15 */
        {0, "1970-W01"},
        {-4, "1969-W52"},
    };
    char b[16];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_str_eq(cal_fmt_iso_week(cases[i].day, b, sizeof b), cases[i].week, "day %lld",
                         (long long)cases[i].day);
}

/* ---- usage periods ---- */

Test(usage, groups_and_periods)
{
    usage_group g;
    cr_assert_eq(usage_group_parse("day", &g), 0);
    cr_assert_eq(g, USAGE_BY_DAY);
    cr_assert_eq(usage_group_parse("week", &g), 0);
    cr_assert_eq(g, USAGE_BY_WEEK);
    cr_assert_eq(usage_group_parse("gpu_model", &g), 0);
    cr_assert_eq(usage_group_parse("province", &g), 0);
    cr_assert_eq(g, USAGE_BY_PROVINCE);
    cr_assert_eq(usage_group_parse("Day", &g), -1);
    cr_assert_eq(usage_group_parse("bogus", &g), -1);
    cr_assert_eq(usage_group_parse(NULL, &g), -1);
    cr_assert_str_eq(usage_group_name(USAGE_BY_GPU_MODEL), "gpu_model");
    cr_assert_null(usage_group_name(USAGE_GROUP_COUNT));
    char b[16];
    cr_assert_str_eq(usage_period_of_day(USAGE_BY_DAY, 20821, b, sizeof b), "2027-01-03");
    cr_assert_str_eq(usage_period_of_day(USAGE_BY_WEEK, 20821, b, sizeof b), "2026-W53");
    cr_assert_null(usage_period_of_day(USAGE_BY_PROVINCE, 20821, b, sizeof b));
    cr_assert_str_eq(usage_period_of_value("ON"), "ON");
    cr_assert_str_eq(usage_period_of_value(""), "unknown");
    cr_assert_eq(usage_window_start(US(1000000), 1), US(1000000 - 86400));
    cr_assert_eq(usage_window_start(US(100000000), 366), US(100000000 - 366 * 86400));
}

/* ---- tax at instants (§25.2): both sides of the Nova Scotia change ---- */

Test(compliance, tax_at_instants)
{
    tax_rates t;
    cr_assert_eq(tax_lookup("NS", US(1743476399), &t), 0);
    cr_assert_eq(t.rate_ppm, 150000);
    cr_assert_str_eq(t.description, "HST 15%");
    cr_assert_str_eq(t.effective_from_date, "2020-01-01");
    cr_assert_eq(tax_lookup("NS", US(1743476400), &t), 0);
    cr_assert_eq(t.rate_ppm, 140000);
    cr_assert_str_eq(t.description, "HST 14%");
    cr_assert_str_eq(t.effective_from_date, "2025-04-01");
    cr_assert_eq(tax_lookup("NS", US(1743476400) - 1, &t), 0); /* one µs before */
    cr_assert_eq(t.rate_ppm, 150000);
    cr_assert_eq(tax_lookup("ns", 0, &t), 0); /* before the origin: the first row */
    cr_assert_eq(t.rate_ppm, 150000);
    cr_assert_eq(tax_lookup("QC", US(1743476400), &t), 0);
    cr_assert_eq(t.ncomponents, 2);
    cr_assert_str_eq(t.components[1].name, "QST");
    cr_assert_eq(t.components[1].rate_ppm, 99750);
    /* 13 codes, alphabetical. */
    const char *want[] = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"};
    for (size_t i = 0; i < TAX_PROVINCE_COUNT; i++)
        cr_assert_str_eq(tax_province_code(i), want[i]);
    cr_assert_null(tax_province_code(TAX_PROVINCE_COUNT));
}

/* ---- GST/HST small-supplier threshold (§25.13) ---- */

Test(gst, window_quarter_boundaries_and_year_wrap)
{
    int64_t b[TAX_THRESHOLD_QUARTERS + 1];
    tax_threshold_window(US(1778846400), b); /* 2026-05-15 */
    cr_assert_eq(b[0], US(1751328000));      /* 2025-07-01 */
    cr_assert_eq(b[1], US(1759276800));      /* 2025-10-01 */
    cr_assert_eq(b[2], US(1767225600));      /* 2026-01-01 */
    cr_assert_eq(b[3], US(1775001600));      /* 2026-04-01: the current quarter */
    cr_assert_eq(b[4], US(1782864000));      /* 2026-07-01 */
    /* The first instant of a quarter belongs to it; the one before to the previous quarter. */
    tax_threshold_window(US(1775001600), b);
    cr_assert_eq(b[3], US(1775001600));
    tax_threshold_window(US(1775001600) - 1, b);
    cr_assert_eq(b[3], US(1767225600));
    cr_assert_eq(b[4], US(1775001600));
    /* Year wrap: in February 2026 the window reaches back to April 2025. */
    tax_threshold_window(US(1770681600), b); /* 2026-02-10 */
    cr_assert_eq(b[0], US(1743465600));      /* 2025-04-01 */
    cr_assert_eq(b[2], US(1759276800));      /* 2025-10-01 */
    cr_assert_eq(b[3], US(1767225600));      /* 2026-01-01 */
    cr_assert_eq(b[4], US(1775001600));
    /* On New Year's Eve, the last µs of 2025: Q4 2025 is current. */
    tax_threshold_window(US(1767225600) - 1, b);
    cr_assert_eq(b[3], US(1759276800));
    cr_assert_eq(b[0], US(1735689600)); /* 2025-01-01 */
    cr_assert_eq(b[4], US(1767225600));
}

Test(gst, exactly_the_threshold_is_not_exceeded)
{
    const int64_t th = TAX_SMALL_SUPPLIER_THRESHOLD_UCAD; /* 30 000.00 */
    tax_threshold t;
    int64_t at[4] = {0, 0, 0, th};
    cr_assert_eq(tax_threshold_assess(at, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert(!t.exceeded);
    cr_assert_eq(t.quarters_assessed, 1);
    cr_assert_eq(t.current_quarter_ucad, th);
    cr_assert_str_eq(t.message,
                     "Below threshold ($30,000.00 / $30,000). Registration not yet required but recommended.");
    int64_t over[4] = {0, 0, 0, th + 10000}; /* 30 000.01 in the current quarter */
    cr_assert_eq(tax_threshold_assess(over, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert(t.exceeded);
    cr_assert_str_eq(t.message, "GST/HST registration REQUIRED \xE2\x80\x94 revenue exceeds $30,000 threshold.");
    /* Spread over four quarters: the total decides. */
    int64_t spread[4] = {INT64_C(7500000000), INT64_C(7500000000), INT64_C(7500000000), INT64_C(7500010000)};
    cr_assert_eq(tax_threshold_assess(spread, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert(t.exceeded);
    cr_assert_eq(t.total_ucad, th + 10000);
    cr_assert_eq(t.quarters_assessed, 4);
    int64_t even[4] = {INT64_C(7500000000), INT64_C(7500000000), INT64_C(7500000000), INT64_C(7500000000)};
    cr_assert_eq(tax_threshold_assess(even, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert(!t.exceeded);
    /* Only quarters with revenue count as assessed; a net negative quarter (refunds) does not. */
    int64_t gaps[4] = {5, 0, -3, 0};
    cr_assert_eq(tax_threshold_assess(gaps, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert_eq(t.quarters_assessed, 1);
    cr_assert_eq(t.total_ucad, 2);
}

Test(gst, messages_with_thousands_separators)
{
    tax_threshold t;
    int64_t zero[4] = {0, 0, 0, 0};
    cr_assert_eq(tax_threshold_assess(zero, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert_str_eq(t.message, "Below threshold ($0.00 / $30,000). Registration not yet required but recommended.");
    cr_assert_eq(t.quarters_assessed, 0);
    int64_t some[4] = {INT64_C(1000000000), 0, INT64_C(234567890), INT64_C(5)}; /* 1 234.567895 */
    cr_assert_eq(tax_threshold_assess(some, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert_str_eq(t.message, "Below threshold ($1,234.57 / $30,000). Registration not yet required but recommended.");
    int64_t big[4] = {0, 0, INT64_C(12345678900), 0}; /* 12 345.6789 */
    cr_assert_eq(tax_threshold_assess(big, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert_str_eq(t.message,
                     "Below threshold ($12,345.68 / $30,000). Registration not yet required but recommended.");
    int64_t cent[4] = {0, 0, 0, 5000}; /* half a cent rounds up */
    cr_assert_eq(tax_threshold_assess(cent, TAX_THRESHOLD_PLATFORM, &t), 0);
    cr_assert_str_eq(t.message, "Below threshold ($0.01 / $30,000). Registration not yet required but recommended.");
    /* The provider variant (GET /api/billing/gst-threshold/{provider_id}). */
    cr_assert_eq(tax_threshold_assess(big, TAX_THRESHOLD_PROVIDER, &t), 0);
    cr_assert(!t.exceeded);
    cr_assert_str_eq(t.message, "Below threshold ($12,345.68 / $30,000).");
    int64_t over[4] = {INT64_C(10000000000), INT64_C(10000000000), INT64_C(10000000000), 1};
    cr_assert_eq(tax_threshold_assess(over, TAX_THRESHOLD_PROVIDER, &t), 0);
    cr_assert(t.exceeded);
    cr_assert_str_eq(t.message, "Provider should register for GST/HST \xE2\x80\x94 payouts exceed $30,000.");
    /* Bad calls. */
    cr_assert_eq(tax_threshold_assess(NULL, TAX_THRESHOLD_PLATFORM, &t), MONEY_EINVAL);
    cr_assert_eq(tax_threshold_assess(zero, (tax_threshold_party)0, &t), MONEY_EINVAL);
    int64_t huge[4] = {INT64_MAX, 1, 0, 0};
    cr_assert_eq(tax_threshold_assess(huge, TAX_THRESHOLD_PLATFORM, &t), MONEY_EOVERFLOW);
}

/* ---- reserved plans (§25.14) ---- */

Test(reserved, spec_example_through_the_lookups)
{
    const pricing_ref *ref = pricing_ref_exact("RTX 4090");
    cr_assert_not_null(ref);
    cr_assert_null(pricing_ref_exact("rtx 4090"));      /* the exact table key */
    cr_assert_null(pricing_ref_exact("RTX 4090 24GB")); /* no §0.5 matching for reservations */
    cr_assert_null(pricing_ref_exact("RTX 9999"));
    pricing_plan plan;
    cr_assert_eq(pricing_plan_from_key("1_month", &plan), 0);
    tax_rates on;
    cr_assert_eq(tax_lookup("ON", US(1781532000), &on), 0);
    pricing_reserve_quote q;
    cr_assert_eq(pricing_reserve(ref->base_rate, plan, 1, on.rate_ppm, &q), 0);
    cr_assert_eq(q.discounted_rate_ucad, 360000);  /* 0.36 */
    cr_assert_eq(q.monthly_cents, 25920);          /* 259.20 */
    cr_assert_eq(q.monthly_with_tax_cents, 29290); /* 292.90 */
    /* 3_month, 1000 × H100 in QC: 2.45 × 1000 × 720 = 1 764 000.00; × 1.14975 = 2 028 159.00. */
    cr_assert_eq(pricing_plan_from_key("3_month", &plan), 0);
    tax_rates qc;
    cr_assert_eq(tax_lookup("QC", US(1781532000), &qc), 0);
    cr_assert_eq(pricing_reserve(pricing_ref_exact("H100")->base_rate, plan, 1000, qc.rate_ppm, &q), 0);
    cr_assert_eq(q.discounted_rate_ucad, 2450000);
    cr_assert_eq(q.monthly_cents, INT64_C(176400000));
    cr_assert_eq(q.monthly_with_tax_cents, INT64_C(202815900));
    cr_assert_eq(pricing_plan_from_key("5_year", &plan), MONEY_EUNKNOWN);
    cr_assert_eq(pricing_plan_from_key("1_MONTH", &plan), MONEY_EUNKNOWN);
}

/* ---- Québec PIA trigger (§21.5) ---- */

Test(pia, rules_in_order)
{
    comp_pia c;
    comp_pia_check("ON", "BC", true, &c);
    cr_assert(!c.pia_required);
    cr_assert_str_eq(c.reason, "Data does not originate from Qu\xC3\xA9" "bec");
    cr_assert_null(c.recommendation);
    cr_assert_null(c.max_penalty);
    comp_pia_check("QC", "ON", false, &c);
    cr_assert(!c.pia_required);
    cr_assert_str_eq(c.reason, "No personal information identified in workload");
    cr_assert_str_eq(c.recommendation, "Verify workload does not contain PI");
    comp_pia_check("QC", "QC", true, &c);
    cr_assert(!c.pia_required);
    cr_assert_str_eq(c.reason, "Processing stays within Qu\xC3\xA9" "bec");
    cr_assert_null(c.recommendation);
    comp_pia_check("qc", "on", true, &c); /* upper-cased */
    cr_assert(c.pia_required);
    cr_assert_str_eq(c.reason, "Qu\xC3\xA9" "bec Law 25 requires PIA for cross-border transfer (QC \xE2\x86\x92 ON). "
                               "Enterprise must assess sensitivity, purpose, safeguards, and legal framework of "
                               "destination.");
    cr_assert_str_eq(c.recommendation, "Use quebec_only routing or obtain written agreement");
    cr_assert_str_eq(c.max_penalty, "$25,000,000 or 4% of worldwide turnover");
    cr_assert_str_eq(c.law_reference,
                     "Act respecting the protection of personal information in the private sector, s. 17");
    comp_pia_check("Qc", "us", true, &c);
    cr_assert(c.pia_required);
    cr_assert(strstr(c.reason, "(QC \xE2\x86\x92 US)"));
    /* Rule 2 comes before rule 3: QC → QC without PI is the "no PI" answer. */
    comp_pia_check("QC", "qc", false, &c);
    cr_assert_str_eq(c.reason, "No personal information identified in workload");
    /* Missing values read as "": not from Québec / a cross-border target "". */
    comp_pia_check(NULL, NULL, true, &c);
    cr_assert(!c.pia_required);
    comp_pia_check("QC", "", true, &c);
    cr_assert(c.pia_required);
    cr_assert(strstr(c.reason, "(QC \xE2\x86\x92 )"));
}

/* ---- provincial matrix (§20.4) and trust tiers (§20.1) ---- */

Test(compliance, province_matrix_exact)
{
    const char *codes[] = {"QC", "NS", "BC", "ON"};
    for (size_t i = 0; i < COMP_PROVINCE_COUNT; i++)
        cr_assert_str_eq(comp_province_at(i)->code, codes[i]);
    cr_assert_null(comp_province_at(COMP_PROVINCE_COUNT));
    const comp_province *qc = comp_province_at(0), *ns = comp_province_at(1), *on = comp_province_at(3);
    cr_assert_str_eq(qc->regime, "Law 25 (private sector)");
    cr_assert_str_eq(qc->key_rule, "Cross-border transfer requires PIA + written agreement");
    cr_assert_str_eq(qc->max_penalty, "$25M or 4% worldwide turnover");
    cr_assert_str_eq(qc->scheduling_impact, "quebec_only routing recommended for personal info workloads");
    cr_assert_str_eq(ns->key_rule, "Stored AND accessed only in Canada");
    cr_assert_null(ns->max_penalty);
    cr_assert_str_eq(comp_province_at(2)->regime, "FOIPPA (post-Bill 22, risk-based)");
    cr_assert_str_eq(on->regime, "PHIPA (health, s.10.1 not yet in force)");
    cr_assert_str_eq(on->scheduling_impact, "audit_tier available as premium feature");
}

Test(compliance, trust_tier_requirements)
{
    struct {
        const char *name, *label;
        bool ca, ver, sov, audit;
        int64_t mult;
        const char *iso;
    } want[] = {
        {"community", "Community", false, false, false, false, 1000000, "none"},
        {"residency", "Canada Residency", true, true, false, false, 1150000, "preferred"},
        {"sovereignty", "Canada Sovereignty", true, true, true, false, 1350000, "preferred"},
        {"regulated", "Regulated", true, true, true, true, 1600000, "preferred"},
    };
    for (int t = 0; t < JOB_TRUST__COUNT; t++) {
        comp_tier_req q;
        cr_assert_eq(comp_tier_requirements((enum jobstate_trust)t, &q), 0);
        cr_assert_str_eq(q.name, want[t].name);
        cr_assert_str_eq(q.label, want[t].label);
        cr_assert_eq(q.requires_canada, want[t].ca);
        cr_assert_eq(q.requires_verified, want[t].ver);
        cr_assert_eq(q.requires_sovereignty_vetting, want[t].sov);
        cr_assert_eq(q.requires_audit_trail, want[t].audit);
        cr_assert_eq(q.pricing_multiplier_ppm, want[t].mult);
        cr_assert_str_eq(q.isolation, want[t].iso);
    }
    comp_tier_req q;
    cr_assert_str_eq((comp_tier_requirements(JOB_TRUST_RESIDENCY, &q), q.description),
                     "Workload scheduled on machines physically in Canada.");
    cr_assert_eq(comp_tier_requirements(JOB_TRUST__COUNT, &q), -1);
}
