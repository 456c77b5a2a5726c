#ifndef XC_JSONX_H
#define XC_JSONX_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* JSON helpers shared by server, agent and CLI.
 *
 * Exact decimals: jansson can only print numbers through binary floating point, so a fixed-point
 * value (money, VRAM, timestamps) is a string node tagged with a byte that no valid UTF-8 text
 * holds (so no user string can pass for one), and jsonx_dump() writes it as a bare JSON number
 * rendered from the integer (api §1). Such trees must be written with jsonx_dump(), not
 * json_dumps(), which refuses the tag. */

/* A JSON number v / 10^scale, e.g. jx_fixed(305, 6) prints 0.000305. New reference. */
json_t *jx_fixed(int64_t v, int scale);
static inline json_t *jx_money(int64_t ucad) { return jx_fixed(ucad, 6); }
static inline json_t *jx_vram(int64_t mgb) { return jx_fixed(mgb, 3); }
/* True when v was made by jx_fixed(). */
bool jx_is_fixed(const json_t *v);
/* Epoch seconds from µs; 0 means "not yet" and gives null. */
json_t *jx_ts(int64_t us);
/* A JSON string of s with every invalid UTF-8 byte replaced by U+FFFD (for text that may
 * come from a URL or another unvalidated source). New reference. */
json_t *jx_str_lossy(const char *s);
/* A string, or null for NULL/"". */
json_t *jx_str_or_null(const char *s);
/* Parses JSON text that the store wrote; returns a new reference or `fallback` built fresh. */
json_t *jx_parse_or(const char *text, json_t *fallback);

/* Compact JSON text of v (jansson's compact format, object keys in insertion order) with
 * jx_fixed() values written as bare numbers. Caller frees (free()). */
char *jsonx_dump(const json_t *v, size_t *len);

/* Largest nesting depth of JSON text (outside strings); stops counting past limit+1. */
int jsonx_depth(const char *text, size_t len, int limit);

#endif
