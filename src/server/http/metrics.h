#ifndef XC_METRICS_H
#define XC_METRICS_H
#include <stdint.h>

struct route;

/* Prometheus metrics (text format 0.0.4). Counters are lock-free atomics. */
void metrics_observe_request(const struct route *rt, unsigned status, int64_t dur_us);
void metrics_add_placements(int64_t n, int64_t pass_us);
void metrics_add_events(int64_t n);
/* Renders every metric; caller frees. */
char *metrics_render(void);

#endif
