/* Usage analytics periods (pure). */
#include "core/usage.h"

#include <string.h>

#include "core/calendar.h"

static const char *const group_names[USAGE_GROUP_COUNT] = {
#define USAGE_X_NAME(id, name) [id] = name,
    USAGE_GROUPS(USAGE_X_NAME)
#undef USAGE_X_NAME
};

const char *usage_group_name(usage_group g)
{
    return (int)g >= 0 && g < USAGE_GROUP_COUNT ? group_names[g] : NULL;
}

int usage_group_parse(const char *name, usage_group *out)
{
    for (int g = 0; name && g < USAGE_GROUP_COUNT; g++)
        if (strcmp(name, group_names[g]) == 0) {
            *out = (usage_group)g;
            return 0;
        }
    return -1;
}

int64_t usage_window_start(int64_t now_us, int64_t days)
{
    return now_us - days * CAL_US_PER_DAY;
}

char *usage_period_of_day(usage_group g, int64_t day, char *buf, size_t bufsz)
{
    if (g == USAGE_BY_DAY)
        return cal_fmt_date(day, buf, bufsz);
    if (g == USAGE_BY_WEEK)
        return cal_fmt_iso_week(day, buf, bufsz);
    return NULL;
}

const char *usage_period_of_value(const char *value)
{
    return value && *value ? value : "unknown";
}
