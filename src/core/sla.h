#ifndef XC_CORE_SLA_H
#define XC_CORE_SLA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"

/* SLA tiers, uptime and credits (domain §26). Pure: time is int64 µs since the Unix epoch (UTC),
 * passed in; money is int64 µCAD (core/money.h). Percentages are integers with 4 decimals
 * ("pct_e4": 99.5833 % -> 995833, 100 % -> 1 000 000). */

/* name, availability target (pct_e4), TTFT target (ms), throughput floor (pct_e4), support
 * response (h), heartbeat grace (s), max thermal (°C). Declaration order is the wire order. */
#define SLA_TIERS(X)                                                                               \
    X(COMMUNITY, "community", 990000, 200, 800000, 4, 90, 90)                                      \
    X(SECURE, "secure", 995000, 100, 900000, 2, 60, 85)                                            \
    X(SOVEREIGN, "sovereign", 999000, 50, 950000, 1, 45, 80)

enum sla_tier {
#define X(id, name, avail, ttft, floor, support, grace, thermal) SLA_##id,
    SLA_TIERS(X)
#undef X
    SLA__COUNT
};

struct sla_targets {
    int64_t availability_pct_e4; /* 99.0 % -> 990000 */
    int ttft_ms;
    int64_t throughput_floor_pct_e4; /* 80.0 % -> 800000 */
    int support_response_h;
    int heartbeat_grace_s;
    int max_thermal_c;
};

/* Wire name of a tier, or NULL when out of range. */
const char *sla_tier_name(enum sla_tier t);
/* Parses an exact tier name; 0 or XC_EINVAL (NULL included). */
int sla_tier_parse(const char *name, enum sla_tier *out);
/* The §26.1 row of a tier; 0, or XC_EINVAL when out of range. */
int sla_tier_targets(enum sla_tier t, struct sla_targets *out);

/* Heartbeat timeout of a host: min(dead_after_us, its tier's grace); an out-of-range tier reads as
 * community. µs. */
int64_t sla_heartbeat_timeout_us(enum sla_tier t, int64_t dead_after_us);

/* ---- months (UTC) ---- */

/* A calendar month: [start_us, end_us). */
struct sla_month {
    int year;  /* 1970..9999 */
    int month; /* 1..12 */
    int64_t start_us, end_us;
    int days;
};

/* Parses "YYYY-MM" (exactly 7 characters, month 01..12, year 1970..9999). 0, or XC_EINVAL
 * ("2026-13", "2026-1", "2026-01-01"). */
int sla_month_parse(const char *text, struct sla_month *out);
/* The month containing instant ts_us (>= 0). */
int sla_month_of(int64_t ts_us, struct sla_month *out);
/* Writes "YYYY-MM" into buf (bufsz >= 8); returns buf. */
char *sla_month_fmt(const struct sla_month *m, char *buf, size_t bufsz);

/* ---- downtime and uptime (§26.2, §26.3) ---- */

/* A downtime interval. An open one (the host is still down) has open = true; end_us is then
 * ignored and the interval ends at min(now, window end). */
struct sla_downtime {
    int64_t start_us;
    int64_t end_us;
    bool open;
};

struct sla_uptime {
    int64_t downtime_us; /* Σ of each downtime's overlap with the window (overlaps are not merged) */
    int64_t uptime_pct_e4; /* max(0, RHU(10^6 × (len − downtime), len)); 1 000 000 when len <= 0 */
    size_t incidents;      /* downtimes with a positive overlap */
};

/* Uptime over [a_us, b_us) at instant now_us. A window of length <= 0 gives 100 % and no
 * incidents. Never fails; d may be NULL when n == 0. */
struct sla_uptime sla_uptime(const struct sla_downtime *d, size_t n, int64_t a_us, int64_t b_us,
                             int64_t now_us);

/* uptime_30d_pct: the window [now − 30 days, now). */
struct sla_uptime sla_uptime_30d(const struct sla_downtime *d, size_t n, int64_t now_us);

/* ---- credits (§26.5) ---- */

/* Credit percentage of a month's uptime (pct_e4, as computed by sla_uptime, i.e. rounded to
 * 4 decimals) for a tier: uptime >= target -> 0; 95.0 <= uptime < target -> 10;
 * 90.0 <= uptime < 95.0 -> 25; below 90.0 -> 100. Lower bounds inclusive. An out-of-range tier
 * reads as community. */
int sla_credit_pct(enum sla_tier t, int64_t uptime_pct_e4);

/* Credit in µCAD: spend rounded half-up to whole cents first, then RHU(cents × pct, 100) cents,
 * returned as µCAD (a whole number of cents). spend_ucad >= 0, pct 0..100. 500.00 CAD at 10 % ->
 * 50 000 000. Returns 0, or XC_EINVAL. */
int sla_credit_ucad(int64_t spend_ucad, int pct, int64_t *out);

/* One month's enforcement result (SlaMonthly without the ids). */
struct sla_monthly {
    enum sla_tier tier;
    int64_t uptime_pct_e4;
    int64_t downtime_us;
    size_t incidents;
    int64_t target_pct_e4;
    int credit_pct;
    int64_t credit_ucad;
    int64_t spend_ucad; /* rounded to whole cents */
};

/* Evaluates a month for a host: uptime over the month's window (open downtimes end at
 * min(now, month end)), band and credit. A month not yet ended is evaluated up to its end all the
 * same (the remaining time counts as up). Returns 0, or XC_EINVAL. */
int sla_month_evaluate(enum sla_tier t, const struct sla_month *m, const struct sla_downtime *d,
                       size_t n, int64_t now_us, int64_t spend_ucad, struct sla_monthly *out);

/* ---- telemetry checks (§26.4) ---- */

#define SLA_VIOLATIONS(X) X(THERMAL, "thermal") X(THROUGHPUT, "throughput") X(HARDWARE, "hardware")
enum sla_violation {
#define X(id, name) SLA_VIOL_##id,
    SLA_VIOLATIONS(X)
#undef X
    SLA_VIOL__COUNT
};
#define SLA_SEVERITIES(X) X(WARNING, "warning") X(BREACH, "breach") X(CRITICAL, "critical")
enum sla_severity {
#define X(id, name) SLA_SEV_##id,
    SLA_SEVERITIES(X)
#undef X
    SLA_SEV__COUNT
};
const char *sla_violation_name(enum sla_violation v);
const char *sla_severity_name(enum sla_severity s);

/* One telemetry sample (integers; absent values are 0). */
struct sla_sample {
    int64_t temp_mc;          /* GPU temperature, milli-°C */
    int64_t utilization_e4;   /* GPU utilisation, pct_e4 */
    int active_jobs;
    int64_t memory_errors;    /* uncorrectable */
};

struct sla_finding {
    enum sla_violation type;
    enum sla_severity severity;
    int64_t threshold; /* thermal: max °C; throughput: floor pct_e4; hardware: 0 */
};

/* The §26.4 checks of a sample for a tier, in table order, into out[0..3). Returns how many. thermal
 * when temp > max (breach), > max + 10 (critical); throughput when active_jobs > 0 and utilisation
 * < floor × 0.5 (warning); hardware when memory_errors > 0 (critical). The 300 s de-duplication is
 * the caller's. */
size_t sla_check_sample(enum sla_tier t, const struct sla_sample *s, struct sla_finding out[3]);

#endif
