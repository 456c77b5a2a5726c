#include <criterion/criterion.h>
#include <string.h>

#include "common/units.h"
#include "core/sla.h"

#define S(x) ((int64_t)(x) * SEC)
#define JAN26 S(1767225600) /* 2026-01-01T00:00:00Z */
#define FEB26 S(1769904000)
#define APR26 S(1775001600)
#define MAY26 S(1777593600)

Test(sla, tier_table)
{
    const char *names[] = {"community", "secure", "sovereign"};
    struct sla_targets want[] = {{990000, 200, 800000, 4, 90, 90},
                                 {995000, 100, 900000, 2, 60, 85},
                                 {999000, 50, 950000, 1, 45, 80}};
    cr_assert_eq(SLA__COUNT, 3);
    for (int i = 0; i < SLA__COUNT; i++) {
        struct sla_targets t;
        enum sla_tier p;
        cr_assert_str_eq(sla_tier_name((enum sla_tier)i), names[i]);
        cr_assert_eq(sla_tier_parse(names[i], &p), 0);
        cr_assert_eq(p, (enum sla_tier)i);
        cr_assert_eq(sla_tier_targets((enum sla_tier)i, &t), 0);
        cr_assert_eq(t.availability_pct_e4, want[i].availability_pct_e4, "%s", names[i]);
        cr_assert_eq(t.ttft_ms, want[i].ttft_ms, "%s", names[i]);
        cr_assert_eq(t.throughput_floor_pct_e4, want[i].throughput_floor_pct_e4, "%s", names[i]);
        cr_assert_eq(t.support_response_h, want[i].support_response_h, "%s", names[i]);
        cr_assert_eq(t.heartbeat_grace_s, want[i].heartbeat_grace_s, "%s", names[i]);
        cr_assert_eq(t.max_thermal_c, want[i].max_thermal_c, "%s", names[i]);
    }
    enum sla_tier p;
    struct sla_targets t;
    cr_assert_eq(sla_tier_parse("Community", &p), XC_EINVAL);
    cr_assert_eq(sla_tier_parse("premium", &p), XC_EINVAL);
    cr_assert_eq(sla_tier_parse(NULL, &p), XC_EINVAL);
    cr_assert_null(sla_tier_name(SLA__COUNT));
    cr_assert_eq(sla_tier_targets(SLA__COUNT, &t), XC_EINVAL);
}

Test(sla, heartbeat_timeout)
{
    cr_assert_eq(sla_heartbeat_timeout_us(SLA_COMMUNITY, S(120)), S(90));
    cr_assert_eq(sla_heartbeat_timeout_us(SLA_SECURE, S(120)), S(60));
    cr_assert_eq(sla_heartbeat_timeout_us(SLA_SOVEREIGN, S(120)), S(45));
    cr_assert_eq(sla_heartbeat_timeout_us(SLA_SOVEREIGN, S(30)), S(30));
    cr_assert_eq(sla_heartbeat_timeout_us(SLA__COUNT, S(300)), S(90));
}

Test(sla, month_parse)
{
    struct sla_month m;
    cr_assert_eq(sla_month_parse("2026-01", &m), 0);
    cr_assert_eq(m.year, 2026);
    cr_assert_eq(m.month, 1);
    cr_assert_eq(m.days, 31);
    cr_assert_eq(m.start_us, JAN26);
    cr_assert_eq(m.end_us, FEB26);
    cr_assert_eq(m.end_us - m.start_us, (int64_t)m.days * S(86400));
    cr_assert_eq(sla_month_parse("2026-04", &m), 0);
    cr_assert_eq(m.days, 30);
    cr_assert_eq(m.start_us, APR26);
    cr_assert_eq(m.end_us, MAY26);
    cr_assert_eq(sla_month_parse("2026-02", &m), 0);
    cr_assert_eq(m.days, 28);
    cr_assert_eq(sla_month_parse("2024-02", &m), 0);
    cr_assert_eq(m.days, 29);
    cr_assert_eq(m.start_us, S(1706745600));
    cr_assert_eq(m.end_us, S(1709251200));
    cr_assert_eq(sla_month_parse("2100-02", &m), 0);
    cr_assert_eq(m.days, 28);
    cr_assert_eq(m.start_us, S(4105123200));
    cr_assert_eq(sla_month_parse("2000-02", &m), 0);
    cr_assert_eq(m.days, 29);
    cr_assert_eq(m.end_us, S(951868800));
    cr_assert_eq(sla_month_parse("2025-12", &m), 0);
    cr_assert_eq(m.start_us, S(1764547200));
    cr_assert_eq(m.end_us, JAN26);
    cr_assert_eq(sla_month_parse("1970-01", &m), 0);
    cr_assert_eq(m.start_us, 0);
    const char *bad[] = {"2026-13", "2026-00", "2026-1", "2026-001", "2026/01", "26-01",
                         "2026-01-01", "", "abcd-ef", "1969-12", " 2026-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(sla_month_parse(bad[i], &m), XC_EINVAL, "%s", bad[i]);
    cr_assert_eq(sla_month_parse(NULL, &m), XC_EINVAL);
}

Test(sla, month_of_boundaries)
{
    struct sla_month m;
    char buf[8];
    cr_assert_eq(sla_month_of(JAN26, &m), 0);
    cr_assert_str_eq(sla_month_fmt(&m, buf, sizeof buf), "2026-01");
    cr_assert_eq(sla_month_of(FEB26 - 1, &m), 0);
    cr_assert_str_eq(sla_month_fmt(&m, buf, sizeof buf), "2026-01");
    cr_assert_eq(sla_month_of(FEB26, &m), 0);
    cr_assert_str_eq(sla_month_fmt(&m, buf, sizeof buf), "2026-02");
    cr_assert_eq(sla_month_of(JAN26 - 1, &m), 0);
    cr_assert_str_eq(sla_month_fmt(&m, buf, sizeof buf), "2025-12");
    cr_assert_eq(sla_month_of(S(1709251200) - 1, &m), 0); /* 2024-02-29T23:59:59.999999 */
    cr_assert_str_eq(sla_month_fmt(&m, buf, sizeof buf), "2024-02");
    cr_assert_eq(m.days, 29);
    cr_assert_eq(sla_month_of(0, &m), 0);
    cr_assert_str_eq(sla_month_fmt(&m, buf, sizeof buf), "1970-01");
    cr_assert_eq(sla_month_of(-1, &m), XC_EINVAL);
}

Test(sla, uptime_sla05_three_hours_in_thirty_days)
{
    struct sla_month m;
    cr_assert_eq(sla_month_parse("2026-04", &m), 0);
    struct sla_downtime d[] = {{APR26 + S(86400 * 10), APR26 + S(86400 * 10 + 3 * 3600), false}};
    struct sla_uptime u = sla_uptime(d, 1, m.start_us, m.end_us, MAY26 + S(5));
    cr_assert_eq(u.downtime_us, S(10800));
    cr_assert_eq(u.uptime_pct_e4, 995833); /* 99.5833 */
    cr_assert_eq(u.incidents, 1);
    cr_assert_eq(sla_credit_pct(SLA_COMMUNITY, u.uptime_pct_e4), 0);
    cr_assert_eq(sla_credit_pct(SLA_SECURE, u.uptime_pct_e4), 0);
    cr_assert_eq(sla_credit_pct(SLA_SOVEREIGN, u.uptime_pct_e4), 10);
}

Test(sla, uptime_clipped_to_the_month)
{
    struct sla_month m;
    cr_assert_eq(sla_month_parse("2026-01", &m), 0);
    /* starts 1 h before the month, ends 1 h into it; another spans the month end by 2 h */
    struct sla_downtime d[] = {
        {JAN26 - S(3600), JAN26 + S(3600), false},
        {FEB26 - S(7200), FEB26 + S(7200), false},
        {JAN26 - S(7200), JAN26, false},            /* touches the start: no overlap */
        {FEB26, FEB26 + S(60), false},              /* after the end */
    };
    struct sla_uptime u = sla_uptime(d, 4, m.start_us, m.end_us, FEB26 + S(86400));
    cr_assert_eq(u.downtime_us, S(3600 + 7200));
    cr_assert_eq(u.incidents, 2);
    /* 1 − 10800 / 2 678 400 = 0.995967741… -> 99.5968 */
    cr_assert_eq(u.uptime_pct_e4, 995968);
}

Test(sla, uptime_open_downtime_ends_at_now_or_window_end)
{
    struct sla_month m;
    cr_assert_eq(sla_month_parse("2026-01", &m), 0);
    struct sla_downtime d[] = {{JAN26 + S(86400), 0, true}};
    /* now inside the month: counts up to now */
    struct sla_uptime u = sla_uptime(d, 1, m.start_us, m.end_us, JAN26 + S(86400 + 3600));
    cr_assert_eq(u.downtime_us, S(3600));
    cr_assert_eq(u.incidents, 1);
    /* now after the month: counts to the month end */
    u = sla_uptime(d, 1, m.start_us, m.end_us, FEB26 + S(86400 * 5));
    cr_assert_eq(u.downtime_us, S(86400 * 30));
    /* now before the downtime started: nothing */
    u = sla_uptime(d, 1, m.start_us, m.end_us, JAN26 + S(60));
    cr_assert_eq(u.downtime_us, 0);
    cr_assert_eq(u.incidents, 0);
    cr_assert_eq(u.uptime_pct_e4, 1000000);
}

Test(sla, uptime_degenerate_windows)
{
    struct sla_downtime d[] = {{JAN26, FEB26, false}, {JAN26, FEB26, false}};
    struct sla_uptime u = sla_uptime(d, 2, JAN26, JAN26, FEB26);
    cr_assert_eq(u.uptime_pct_e4, 1000000);
    cr_assert_eq(u.incidents, 0);
    u = sla_uptime(d, 2, FEB26, JAN26, FEB26);
    cr_assert_eq(u.uptime_pct_e4, 1000000);
    /* overlapping downtimes are summed, never below 0 % */
    u = sla_uptime(d, 2, JAN26, FEB26, FEB26);
    cr_assert_eq(u.downtime_us, 2 * (FEB26 - JAN26));
    cr_assert_eq(u.uptime_pct_e4, 0);
    cr_assert_eq(u.incidents, 2);
    u = sla_uptime(NULL, 0, JAN26, FEB26, FEB26);
    cr_assert_eq(u.uptime_pct_e4, 1000000);
}

Test(sla, uptime_30d)
{
    int64_t now = FEB26;
    struct sla_downtime d[] = {{now - S(86400 * 31), now - S(86400 * 30) + S(3600), false}};
    struct sla_uptime u = sla_uptime_30d(d, 1, now);
    cr_assert_eq(u.downtime_us, S(3600));
    /* 1 − 3600/2 592 000 = 0.998611… -> 99.8611 */
    cr_assert_eq(u.uptime_pct_e4, 998611);
}

Test(sla, credit_band_edges)
{
    /* target edge per tier: just below / at / above */
    cr_assert_eq(sla_credit_pct(SLA_COMMUNITY, 989999), 10);
    cr_assert_eq(sla_credit_pct(SLA_COMMUNITY, 990000), 0);
    cr_assert_eq(sla_credit_pct(SLA_COMMUNITY, 990001), 0);
    cr_assert_eq(sla_credit_pct(SLA_SECURE, 994999), 10);
    cr_assert_eq(sla_credit_pct(SLA_SECURE, 995000), 0);
    cr_assert_eq(sla_credit_pct(SLA_SECURE, 995001), 0);
    cr_assert_eq(sla_credit_pct(SLA_SOVEREIGN, 998999), 10);
    cr_assert_eq(sla_credit_pct(SLA_SOVEREIGN, 999000), 0);
    cr_assert_eq(sla_credit_pct(SLA_SOVEREIGN, 999001), 0);
    cr_assert_eq(sla_credit_pct(SLA_SOVEREIGN, 992000), 10); /* 99.2 % sovereign */
    cr_assert_eq(sla_credit_pct(SLA_COMMUNITY, 992000), 0);  /* 99.2 % community */
    for (int t = 0; t < SLA__COUNT; t++) {
        enum sla_tier tier = (enum sla_tier)t;
        cr_assert_eq(sla_credit_pct(tier, 950001), 10);
        cr_assert_eq(sla_credit_pct(tier, 950000), 10);
        cr_assert_eq(sla_credit_pct(tier, 949999), 25);
        cr_assert_eq(sla_credit_pct(tier, 940000), 25); /* 94 % */
        cr_assert_eq(sla_credit_pct(tier, 900000), 25);
        cr_assert_eq(sla_credit_pct(tier, 899999), 100);
        cr_assert_eq(sla_credit_pct(tier, 850000), 100); /* 85 % */
        cr_assert_eq(sla_credit_pct(tier, 0), 100);
        cr_assert_eq(sla_credit_pct(tier, 1000000), 0);
    }
}

Test(sla, credit_amounts)
{
    int64_t c = -1;
    cr_assert_eq(sla_credit_ucad(500000000, 10, &c), 0); /* SLA-06: 500.00 at 10 % -> 50.00 */
    cr_assert_eq(c, 50000000);
    cr_assert_eq(sla_credit_ucad(500000000, 0, &c), 0);
    cr_assert_eq(c, 0);
    cr_assert_eq(sla_credit_ucad(500000000, 100, &c), 0);
    cr_assert_eq(c, 500000000);
    /* spend rounded to cents first: 0.125 CAD -> 13 cents; 10 % of 13 = 1.3 -> 1 cent */
    cr_assert_eq(sla_credit_ucad(125000, 10, &c), 0);
    cr_assert_eq(c, 10000);
    /* 25 % of 0.02 CAD = 0.5 cent -> rounds half up to 1 cent */
    cr_assert_eq(sla_credit_ucad(20000, 25, &c), 0);
    cr_assert_eq(c, 10000);
    /* 25 % of 0.01 = 0.25 cent -> 0 */
    cr_assert_eq(sla_credit_ucad(10000, 25, &c), 0);
    cr_assert_eq(c, 0);
    /* 0.004999 CAD rounds to 0 cents */
    cr_assert_eq(sla_credit_ucad(4999, 100, &c), 0);
    cr_assert_eq(c, 0);
    cr_assert_eq(sla_credit_ucad(5000, 100, &c), 0);
    cr_assert_eq(c, 10000);
    cr_assert_eq(sla_credit_ucad(-1, 10, &c), XC_EINVAL);
    cr_assert_eq(sla_credit_ucad(1, 101, &c), XC_EINVAL);
    cr_assert_eq(sla_credit_ucad(1, -1, &c), XC_EINVAL);
}

Test(sla, month_evaluate)
{
    struct sla_month m;
    struct sla_monthly r;
    cr_assert_eq(sla_month_parse("2026-01", &m), 0);
    /* SLA-01: no downtime, community, spend 500 -> 100 %, 0 %, 0 */
    cr_assert_eq(sla_month_evaluate(SLA_COMMUNITY, &m, NULL, 0, FEB26, 500000000, &r), 0);
    cr_assert_eq(r.uptime_pct_e4, 1000000);
    cr_assert_eq(r.credit_pct, 0);
    cr_assert_eq(r.credit_ucad, 0);
    cr_assert_eq(r.target_pct_e4, 990000);
    cr_assert_eq(r.spend_ucad, 500000000);
    /* 31-day month, 6 % down (44.64 h) -> 94 %: 25 % of 500 = 125 */
    struct sla_downtime d[] = {{JAN26, JAN26 + S(160704), false}};
    cr_assert_eq(sla_month_evaluate(SLA_SOVEREIGN, &m, d, 1, FEB26, 500000000, &r), 0);
    cr_assert_eq(r.uptime_pct_e4, 940000);
    cr_assert_eq(r.credit_pct, 25);
    cr_assert_eq(r.credit_ucad, 125000000);
    cr_assert_eq(r.incidents, 1);
    cr_assert_eq(r.downtime_us, S(160704));
    cr_assert_eq(r.target_pct_e4, 999000);
    cr_assert_eq(sla_month_evaluate(SLA__COUNT, &m, d, 1, FEB26, 0, &r), XC_EINVAL);
    cr_assert_eq(sla_month_evaluate(SLA_SECURE, &m, NULL, 1, FEB26, 0, &r), XC_EINVAL);
}

Test(sla, telemetry_checks)
{
    struct sla_finding f[3];
    struct sla_sample s = {95000, 1000000, 0, 0};
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 1);
    cr_assert_eq(f[0].type, SLA_VIOL_THERMAL);
    cr_assert_eq(f[0].severity, SLA_SEV_BREACH);
    cr_assert_eq(f[0].threshold, 90);
    s.temp_mc = 101000;
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 1);
    cr_assert_eq(f[0].severity, SLA_SEV_CRITICAL);
    s.temp_mc = 100000; /* max + 10 exactly: still a breach */
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 1);
    cr_assert_eq(f[0].severity, SLA_SEV_BREACH);
    s.temp_mc = 90000; /* at max: fine */
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 0);
    cr_assert_eq(sla_check_sample(SLA_SOVEREIGN, &s, f), 1); /* max 80 */
    s = (struct sla_sample){50000, 100000, 1, 0};           /* 10 % with a job */
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 1);
    cr_assert_eq(f[0].type, SLA_VIOL_THROUGHPUT);
    cr_assert_eq(f[0].severity, SLA_SEV_WARNING);
    cr_assert_eq(f[0].threshold, 800000);
    s.utilization_e4 = 400000; /* exactly floor × 0.5: no warning */
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 0);
    s.utilization_e4 = 100000;
    s.active_jobs = 0;
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 0);
    s = (struct sla_sample){95000, 100000, 1, 1};
    cr_assert_eq(sla_check_sample(SLA_COMMUNITY, &s, f), 3);
    cr_assert_eq(f[2].type, SLA_VIOL_HARDWARE);
    cr_assert_eq(f[2].severity, SLA_SEV_CRITICAL);
    cr_assert_str_eq(sla_violation_name(SLA_VIOL_THROUGHPUT), "throughput");
    cr_assert_str_eq(sla_severity_name(SLA_SEV_CRITICAL), "critical");
    cr_assert_null(sla_severity_name(SLA_SEV__COUNT));
}
