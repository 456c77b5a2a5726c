#ifndef XC_CALENDAR_H
#define XC_CALENDAR_H
#include <stddef.h>
#include <stdint.h>

/* UTC calendar arithmetic on day numbers (days since 1970-01-01, proleptic Gregorian), after
 * H. Hinnant's civil algorithms. Pure: no I/O, no clocks, no time zones, no libc time functions,
 * valid for every int64 day a µs timestamp can name. Used for tax quarters (domain §25.13) and the
 * usage analytics' periods (api §8.5). */

#define CAL_US_PER_DAY INT64_C(86400000000)

/* floor(a / b) for b > 0 (rounds toward minus infinity, unlike C's '/'). */
int64_t cal_floor_div(int64_t a, int64_t b);

/* The day containing the instant at_us (µs since the epoch): floor(at_us / 86 400 s). */
int64_t cal_day_of(int64_t at_us);

/* Day number of the date y-m-d (m 1..12, d 1..31). */
int64_t cal_days_from_civil(int64_t y, int m, int d);

/* The date of day z. */
void cal_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

/* ISO 8601 weekday of day z: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday, 4). */
int cal_iso_weekday(int64_t z);

/* ISO 8601 week of day z: the week-numbering year (*iso_year) and week 1..53 (*week). The week
 * belongs to the year of its Thursday: 2021-01-03 → 2020-W53, 2024-12-30 → 2025-W01. */
void cal_iso_week(int64_t z, int64_t *iso_year, int *week);

/* "YYYY-MM-DD" of day z into buf (bufsz ≥ 11; years outside 0..9999 print as many digits as they
 * need). Returns buf. */
char *cal_fmt_date(int64_t z, char *buf, size_t bufsz);

/* "YYYY-Www" (ISO week, two-digit week: 2026-W01) of day z into buf (bufsz ≥ 9). Returns buf. */
char *cal_fmt_iso_week(int64_t z, char *buf, size_t bufsz);

#endif
