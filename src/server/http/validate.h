#ifndef XC_VALIDATE_H
#define XC_VALIDATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/http/http.h"

/* Body-field validation for handlers. Each reader returns 1 when the field was present and
 * valid (value stored), 0 when absent or null (out untouched), and -1 after replying 422.
 * A required field that is absent replies 422 "missing" and returns -1. */

int v_str(struct req *r, const char *field, bool required, size_t min, size_t max, const char **out);
/* Fixed-point number (scale decimals) in (min_excl ? > : >=) min .. <= max. */
int v_fixed(struct req *r, const char *field, bool required, int scale, int64_t min, bool min_excl, int64_t max,
            int64_t *out);
int v_int(struct req *r, const char *field, bool required, int64_t min, int64_t max, int64_t *out);
int v_bool(struct req *r, const char *field, bool required, bool *out);
/* A JSON object/array field (borrowed reference). */
int v_object(struct req *r, const char *field, bool required, json_t **out);
int v_array(struct req *r, const char *field, bool required, json_t **out);

/* Patterns of api §1 / domain §4.1. */
bool valid_host_id(const char *s);
bool valid_job_name(const char *s);
bool valid_env_key(const char *s);
bool valid_image_ref(const char *s);
bool valid_ip_or_unknown(const char *s);
bool valid_job_id(const char *s);
/* One of the 13 province/territory codes. */
bool valid_ca_province(const char *s);

/* A path parameter that must be a host id / job id; replies 404 and returns -1 otherwise
 * (an id that cannot exist cannot be found). */
int v_path_host_id(struct req *r, int idx, const char **out);
int v_path_job_id(struct req *r, int idx, const char **out);

#endif
