#ifndef XC_TELEMETRY_H
#define XC_TELEMETRY_H
#include <jansson.h>
#include <stdint.h>

/* Latest telemetry per host, in memory only (domain §29): bounded by the registered hosts,
 * rebuilt as agents report. telemetry_update SSE is rate-limited to once per host per 5 s. */
void telemetry_put(const char *host_id, json_t *metrics, int64_t now_us); /* borrows metrics */
json_t *telemetry_get(const char *host_id);                              /* new reference or NULL */
json_t *telemetry_all(const char *only_host);                            /* {"<host>": {...}} */
void telemetry_drop(const char *host_id);

#endif
