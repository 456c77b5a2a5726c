#ifndef XC_CLOCK_H
#define XC_CLOCK_H
#include <stdint.h>

/* Wall-clock time in microseconds since the Unix epoch. */
int64_t clock_wall_us(void);
/* Monotonic time in microseconds (for durations and timeouts only). */
int64_t clock_mono_us(void);

#endif
