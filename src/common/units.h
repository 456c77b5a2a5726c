#ifndef XC_UNITS_H
#define XC_UNITS_H
#include <stdint.h>

/* The units of every integer quantity, defined once. A *_SCALE is a number of decimal places
 * (what fixed_fmt/fixed_parse take); a *_ONE is the integer that stands for 1.0 of the unit. */

/* Money: int64 micro-CAD. */
#define MONEY_SCALE 6
#define MONEY_ONE INT64_C(1000000) /* µCAD per CAD */

/* VRAM: int64 milli-GB. */
#define VRAM_SCALE 3
#define VRAM_ONE INT64_C(1000) /* mGB per GB */

/* Time in the server, the agent and the CLI: int64 microseconds (wall or monotonic). */
#define TS_SCALE 6
#define SEC INT64_C(1000000) /* µs per second */
#define MSEC INT64_C(1000)   /* µs per millisecond */

#endif
