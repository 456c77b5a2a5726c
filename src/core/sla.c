/* SLA tiers, UTC months, uptime, credit bands and telemetry checks (domain §26, pure). */
#include "core/sla.h"

#include <stdio.h>
#include <string.h>

#include "common/fixed.h"
#include "common/units.h"

#define DAY_US (INT64_C(86400) * SEC)

static const char *const tier_names[SLA__COUNT] = {
#define X(id, name, avail, ttft, floor, support, grace, thermal) name,
    SLA_TIERS(X)
#undef X
};

static const struct sla_targets tier_targets[SLA__COUNT] = {
#define X(id, name, avail, ttft, floor, support, grace, thermal)                                   \
    {avail, ttft, floor, support, grace, thermal},
    SLA_TIERS(X)
#undef X
};

static const char *const viol_names[SLA_VIOL__COUNT] = {
#define X(id, name) name,
    SLA_VIOLATIONS(X)
#undef X
};

static const char *const sev_names[SLA_SEV__COUNT] = {
#define X(id, name) name,
    SLA_SEVERITIES(X)
#undef X
};

static enum sla_tier known(enum sla_tier t)
{
    return (unsigned)t < SLA__COUNT ? t : SLA_COMMUNITY;
}

const char *sla_tier_name(enum sla_tier t)
{
    return (unsigned)t < SLA__COUNT ? tier_names[t] : NULL;
}

int sla_tier_parse(const char *name, enum sla_tier *out)
{
    int rc = XC_EINVAL;
    for (int i = 0; name && i < SLA__COUNT && rc != 0; i++)
        if (strcmp(name, tier_names[i]) == 0) {
            *out = (enum sla_tier)i;
            rc = 0;
        }
    return rc;
}

int sla_tier_targets(enum sla_tier t, struct sla_targets *out)
{
    if ((unsigned)t >= SLA__COUNT || !out)
        return XC_EINVAL;
    *out = tier_targets[t];
    return 0;
}

int64_t sla_heartbeat_timeout_us(enum sla_tier t, int64_t dead_after_us)
{
    int64_t grace = tier_targets[known(t)].heartbeat_grace_s * SEC;
    return dead_after_us < grace ? dead_after_us : grace;
}

/* ---- months ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void month_fill(int year, int month, struct sla_month *out)
{
    int ny = month == 12 ? year + 1 : year, nm = month == 12 ? 1 : month + 1;
    int64_t d0 = days_from_civil(year, month, 1), d1 = days_from_civil(ny, nm, 1);
    out->year = year;
    out->month = month;
    out->days = (int)(d1 - d0);
    out->start_us = d0 * DAY_US;
    out->end_us = d1 * DAY_US;
}

int sla_month_parse(const char *text, struct sla_month *out)
{
    int rc = XC_EINVAL;
    bool shape = text && strlen(text) == 7 && text[4] == '-';
    for (int i = 0; shape && i < 7; i++)
        if (i != 4 && (text[i] < '0' || text[i] > '9'))
            shape = false;
    if (shape && out) {
        int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 +
                   (text[3] - '0');
        int month = (text[5] - '0') * 10 + (text[6] - '0');
        if (year >= 1970 && month >= 1 && month <= 12) {
            month_fill(year, month, out);
            rc = 0;
        }
    }
    return rc;
}

int sla_month_of(int64_t ts_us, struct sla_month *out)
{
    if (ts_us < 0 || !out)
        return XC_EINVAL;
    int64_t days = ts_us / DAY_US;
    /* civil_from_days, reduced to year and month */
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    month_fill((int)y, m, out);
    return 0;
}

char *sla_month_fmt(const struct sla_month *m, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "%04d-%02d", m->year, m->month);
    return buf;
}

/* ---- uptime ---- */

struct sla_uptime sla_uptime(const struct sla_downtime *d, size_t n, int64_t a_us, int64_t b_us,
                             int64_t now_us)
{
    struct sla_uptime u = {0, 1000000, 0};
    int64_t len = b_us - a_us;
    for (size_t i = 0; len > 0 && i < n; i++) {
        int64_t s = d[i].start_us > a_us ? d[i].start_us : a_us;
        int64_t e = d[i].open ? (now_us < b_us ? now_us : b_us) : d[i].end_us;
        if (e > b_us)
            e = b_us;
        if (e > s) {
            u.downtime_us += e - s;
            u.incidents++;
        }
    }
    if (len > 0) {
        int64_t up = len - u.downtime_us;
        u.uptime_pct_e4 = up > 0 ? fixed_rhu128((__int128)up * 1000000, len) : 0;
    }
    return u;
}

struct sla_uptime sla_uptime_30d(const struct sla_downtime *d, size_t n, int64_t now_us)
{
    return sla_uptime(d, n, now_us - 30 * DAY_US, now_us, now_us);
}

/* ---- credits ---- */

int sla_credit_pct(enum sla_tier t, int64_t uptime_pct_e4)
{
    int pct = 100;
    if (uptime_pct_e4 >= tier_targets[known(t)].availability_pct_e4)
        pct = 0;
    else if (uptime_pct_e4 >= 950000)
        pct = 10;
    else if (uptime_pct_e4 >= 900000)
        pct = 25;
    return pct;
}

int sla_credit_ucad(int64_t spend_ucad, int pct, int64_t *out)
{
    if (spend_ucad < 0 || pct < 0 || pct > 100 || !out)
        return XC_EINVAL;
    int64_t cents = fixed_rhu(spend_ucad, 10000);
    *out = fixed_rhu128((__int128)cents * pct, 100) * 10000;
    return 0;
}

int sla_month_evaluate(enum sla_tier t, const struct sla_month *m, const struct sla_downtime *d,
                       size_t n, int64_t now_us, int64_t spend_ucad, struct sla_monthly *out)
{
    if (!m || !out || (unsigned)t >= SLA__COUNT || spend_ucad < 0 || (n > 0 && !d))
        return XC_EINVAL;
    struct sla_uptime u = sla_uptime(d, n, m->start_us, m->end_us, now_us);
    memset(out, 0, sizeof *out);
    out->tier = t;
    out->uptime_pct_e4 = u.uptime_pct_e4;
    out->downtime_us = u.downtime_us;
    out->incidents = u.incidents;
    out->target_pct_e4 = tier_targets[t].availability_pct_e4;
    out->credit_pct = sla_credit_pct(t, u.uptime_pct_e4);
    out->spend_ucad = fixed_rhu(spend_ucad, 10000) * 10000;
    return sla_credit_ucad(spend_ucad, out->credit_pct, &out->credit_ucad);
}

/* ---- telemetry ---- */

const char *sla_violation_name(enum sla_violation v)
{
    return (unsigned)v < SLA_VIOL__COUNT ? viol_names[v] : NULL;
}

const char *sla_severity_name(enum sla_severity s)
{
    return (unsigned)s < SLA_SEV__COUNT ? sev_names[s] : NULL;
}

size_t sla_check_sample(enum sla_tier t, const struct sla_sample *s, struct sla_finding out[3])
{
    const struct sla_targets *g = &tier_targets[known(t)];
    size_t n = 0;
    int64_t max_mc = (int64_t)g->max_thermal_c * 1000;
    if (s->temp_mc > max_mc)
        out[n++] = (struct sla_finding){SLA_VIOL_THERMAL,
                                        s->temp_mc > max_mc + 10000 ? SLA_SEV_CRITICAL : SLA_SEV_BREACH,
                                        g->max_thermal_c};
    if (s->active_jobs > 0 && s->utilization_e4 * 2 < g->throughput_floor_pct_e4)
        out[n++] = (struct sla_finding){SLA_VIOL_THROUGHPUT, SLA_SEV_WARNING,
                                        g->throughput_floor_pct_e4};
    if (s->memory_errors > 0)
        out[n++] = (struct sla_finding){SLA_VIOL_HARDWARE, SLA_SEV_CRITICAL, 0};
    return n;
}
