#ifndef XC_FIXED_H
#define XC_FIXED_H
#include "common/units.h"

#include <stddef.h>
#include <stdint.h>

/* Fixed-point decimals: money is µCAD (6 decimals), VRAM milli-GB (3), time µs (6).
 * Nothing here touches binary floating point. */

/* RHU(n, d): round half away from zero of n / d, d > 0 (domain §0.2). */
int64_t fixed_rhu(int64_t n, int64_t d);
/* Same, for a 128-bit numerator. */
int64_t fixed_rhu128(__int128 n, __int128 d);

/* Writes v / 10^scale as "<int>.<frac>": trailing zeros trimmed, at least one decimal
 * ("0.0", "24.0", "0.000305"). Returns buf. bufsz >= 32 is always enough. */
char *fixed_fmt(int64_t v, int scale, char *buf, size_t bufsz);

/* Parses decimal text (optional sign, digits, optional fraction, optional exponent) into
 * v * 10^scale, rounding half away from zero past `scale` decimals. Returns 0, or -1 when the
 * text is not a number or the result does not fit in int64. */
int fixed_parse(const char *text, int scale, int64_t *out);

/* Shortest decimal text that reads back as exactly d (what a JSON encoder would have sent for
 * it). Used to recover the number text from a parsed JSON double. Returns buf. */
char *fixed_shortest(double d, char *buf, size_t bufsz);

/* Parses a JSON number (as a double from the JSON library) into fixed point via its shortest
 * text, so 0.1 becomes exactly 100000 µ. Returns 0 or -1 (non-finite or out of range). */
int fixed_from_double(double d, int scale, int64_t *out);

/* Helpers for the three fixed-point kinds used in the API (scales in common/units.h). */
static inline char *money_fmt(int64_t ucad, char *buf, size_t n) { return fixed_fmt(ucad, MONEY_SCALE, buf, n); }
static inline char *vram_fmt(int64_t mgb, char *buf, size_t n) { return fixed_fmt(mgb, VRAM_SCALE, buf, n); }
static inline char *ts_fmt(int64_t us, char *buf, size_t n) { return fixed_fmt(us, TS_SCALE, buf, n); }

#endif
