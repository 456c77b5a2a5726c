#ifndef XC_CORE_GPU_H
#define XC_CORE_GPU_H
#include <stdbool.h>
#include <stddef.h>

#include "common/errors.h"

/* GPU model normalisation and table matching (domain §0.5, §3.3). Pure functions. */

/* Writes norm(model) into out: upper-cased, '-' and '_' turned into spaces, the whole words
 * NVIDIA, GEFORCE and TESLA removed, runs of whitespace collapsed to one space, trimmed.
 * The result is never longer than the input, so outsz > strlen(model) always suffices.
 * Returns 0, or XC_EINVAL when out was too small (out then holds a truncated, terminated prefix).
 * A NULL model normalises to "". */
int gpu_norm(const char *model, char *out, size_t outsz);

/* norm(model) in a new string; the caller owns (and frees) it. */
char *gpu_norm_dup(const char *model);

/* Writes ident(model) = norm(model) with every space removed ("NVIDIA GeForce RTX 4090" ->
 * "RTX4090"). Same sizing and return rules as gpu_norm. */
int gpu_ident(const char *model, char *out, size_t outsz);

/* True when table entry `entry` matches `model`: norm(model) equals norm(entry) or starts with
 * norm(entry) followed by a space. */
bool gpu_matches(const char *model, const char *entry);

/* Index of the matching entry of table[0..n) with the longest normalised text (the first such
 * entry on a tie), or -1 when none matches. */
int gpu_match_table(const char *model, const char *const *table, size_t n);

/* The §3.3 list of GPU models gVisor's nvproxy supports, in the spec's order. */
#define GPU_GVISOR_COUNT 16
extern const char *const gpu_gvisor_supported[GPU_GVISOR_COUNT];

/* True when model matches an entry of gpu_gvisor_supported. */
bool gpu_gvisor_ok(const char *model);

#endif
