#ifndef XC_USAGE_H
#define XC_USAGE_H
#include <stddef.h>
#include <stdint.h>

/* Usage analytics periods (api §8.5 GET /api/analytics/usage). Pure: no I/O, no clocks. */

/* The ?group_by values, in the documented order. */
#define USAGE_GROUPS(X)                                                                            \
    X(USAGE_BY_DAY, "day")                                                                         \
    X(USAGE_BY_WEEK, "week")                                                                       \
    X(USAGE_BY_GPU_MODEL, "gpu_model")                                                             \
    X(USAGE_BY_PROVINCE, "province")

typedef enum {
#define USAGE_X_ENUM(id, name) id,
    USAGE_GROUPS(USAGE_X_ENUM)
#undef USAGE_X_ENUM
        USAGE_GROUP_COUNT
} usage_group;

/* "day" … "province"; NULL when out of range. */
const char *usage_group_name(usage_group g);
/* Exact name → group: 0, or -1 for anything else. */
int usage_group_parse(const char *name, usage_group *out);

#define USAGE_DAYS_MIN 1
#define USAGE_DAYS_MAX 366

/* The start of a window of `days` days ending at now_us: now − days × 86 400 s. */
int64_t usage_window_start(int64_t now_us, int64_t days);

/* The period a day falls in for a time grouping, into buf (bufsz ≥ 11): day → "YYYY-MM-DD",
 * week → the ISO week "YYYY-Www". Returns buf, or NULL for the other groupings. */
char *usage_period_of_day(usage_group g, int64_t day, char *buf, size_t bufsz);

/* The period shown for a record's gpu_model / province value: the value, or "unknown" when it
 * is empty. */
const char *usage_period_of_value(const char *value);

#endif
