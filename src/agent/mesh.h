#ifndef XC_AGENT_MESH_H
#define XC_AGENT_MESH_H
#include <stddef.h>

/* Headscale/Tailscale mesh enrolment (domain §17.2 step 3). The auth key never appears in an
 * argv: it is written to a 0600 file passed as --auth-key=file:<path>. */

/* `tailscale status --json` (10 s): 1 when BackendState is "Running", 0 otherwise (including
 * malformed JSON), -1 when the command failed to run. */
int mesh_status_running(void);
/* Parses status JSON: 1 running, 0 not. */
int mesh_parse_status(const char *json_text);
/* Builds the `tailscale up` argv into argv (>= 8 slots) using key_file (may be NULL) and
 * login_server (may be ""). Returns the argument count. */
int mesh_up_argv(const char *hostname, const char *key_file, const char *login_server, const char **argv,
                 char *keyarg, size_t keyarglen);
/* Ensures the node is up: status, then `tailscale up` when not running (30 s). Returns 0 or -1. */
int mesh_ensure(const char *hostname, const char *authkey, const char *login_server, const char *tmpdir);
/* `tailscale ip -4`, first line. Returns 0 or -1. */
int mesh_ip4(char *out, size_t n);

#endif
