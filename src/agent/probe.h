#ifndef XC_AGENT_PROBE_H
#define XC_AGENT_PROBE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parsers for real tool output (domain §17.3). Each returns 0 and writes the version into out,
 * or -1 when the text does not contain one. */
int probe_parse_runc(const char *text, char *out, size_t n);       /* "runc version (\S+)" */
int probe_parse_first_semver(const char *text, char *out, size_t n); /* first \d+\.\d+\.\d+ */
int probe_parse_runsc(const char *text, char *out, size_t n);      /* release-YYYYMMDD… or \d+(\.\d+)* */
/* Docker Engine GET /version body: "Version" (Docker) — podman's compat layer answers with its
 * own version there. Also reports the API version and whether the engine is podman. */
int probe_parse_engine_version(const char *json_text, char *version, size_t n, char *api, size_t apin,
                               bool *is_podman);
/* tailscale `ip -4` output: the first line, when it is an IPv4 literal. */
int probe_parse_tailscale_ip(const char *text, char *out, size_t n);

/* Runs the local probes: runc, nvidia-ctk (then nvidia-container-toolkit, then
 * nvidia-container-runtime), runsc, kata-runtime. Keys whose probe fails are left out. */
void probe_local_versions(json_t *versions);

/* Host IP: first token of `hostname -I`, else `src <addr>` of `ip route get 1`, else "unknown". */
void probe_host_ip(char *out, size_t n);

#endif
