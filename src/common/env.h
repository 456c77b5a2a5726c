#ifndef XC_ENV_H
#define XC_ENV_H
#include <stdbool.h>
#include <stdint.h>

/* Loads KEY=VALUE lines from path (a missing file is fine). Real environment variables win:
 * a key already set in the environment is left alone. Returns 0 or -1 on a malformed file. */
int env_load_dotenv(const char *path);

/* The variable's value, or NULL when unset or empty (empty counts as unset, domain §1.1). */
const char *env_get(const char *name);

/* Typed readers. Each returns 0 and stores the value (or the default when unset), or -1 when
 * the value is present but invalid; the caller then refuses to start naming the variable. */
int env_bool(const char *name, bool dflt, bool *out);
int env_int(const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out);
/* A decimal with `scale` fixed decimals (money: 6), bounds in scaled units. */
int env_fixed(const char *name, int scale, int64_t dflt, int64_t min, int64_t max, int64_t *out);

/* Parses true/false/1/0/yes/no/on/off (case-insensitive). Returns 0 or -1. */
int parse_bool(const char *s, bool *out);

#endif
