#ifndef XC_TELEMETRY_H
#define XC_TELEMETRY_H
#include <jansson.h>
#include <stdint.h>

/* Latest telemetry per host, in memory only (domain §29): bounded by the registered hosts,
 * rebuilt as agents report. telemetry_update SSE is rate-limited to once per host per 5 s. */
/* Keeps the known metric keys of api §6.4 (borrows metrics). agent_ts_us 0 = server time. */
void telemetry_put(const char *host_id, json_t *metrics, int64_t agent_ts_us, int64_t now_us);
/* {"stale","timestamp","received_at","metrics"} (new reference) or NULL. */
json_t *telemetry_get(const char *host_id, int64_t now_us);
/* {"<host>": {...}} of every host (only_host: just that one). */
json_t *telemetry_all(const char *only_host, int64_t now_us);
void telemetry_drop(const char *host_id);

#endif
