/* UTC calendar arithmetic on day numbers (pure). */
#include "core/calendar.h"

#include <stdio.h>

int64_t cal_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t cal_day_of(int64_t at_us)
{
    return cal_floor_div(at_us, CAL_US_PER_DAY);
}

int64_t cal_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = cal_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cal_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = cal_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int cal_iso_weekday(int64_t z)
{
    return (int)(cal_floor_div(z + 3, 7) * -7 + z + 3) + 1; /* (z + 3) mod 7, + 1 */
}

void cal_iso_week(int64_t z, int64_t *iso_year, int *week)
{
    int64_t thursday = z - cal_iso_weekday(z) + 4;
    int64_t y;
    int m, d;
    cal_civil_from_days(thursday, &y, &m, &d);
    *iso_year = y;
    *week = (int)((thursday - cal_days_from_civil(y, 1, 1)) / 7 + 1);
}

char *cal_fmt_date(int64_t z, char *buf, size_t bufsz)
{
    int64_t y;
    int m, d;
    cal_civil_from_days(z, &y, &m, &d);
    snprintf(buf, bufsz, "%04lld-%02d-%02d", (long long)y, m, d);
    return buf;
}

char *cal_fmt_iso_week(int64_t z, char *buf, size_t bufsz)
{
    int64_t y;
    int w;
    cal_iso_week(z, &y, &w);
    snprintf(buf, bufsz, "%04lld-W%02d", (long long)y, w);
    return buf;
}
