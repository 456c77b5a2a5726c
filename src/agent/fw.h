#ifndef XC_AGENT_FW_H
#define XC_AGENT_FW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Egress firewall. Each job runs in its own network namespace ("xcj-<job>-<attempt>") that is
 * joined to the host by a veth pair (/30 out of XCELSIOR_JOB_SUBNET) and holds an nftables
 * ruleset loaded with `nft -f <file>` before any interface exists: default drop (reject),
 * pinned DNS, mining-pool ports refused, allow-listed addresses on the allowed TCP ports. */

extern const char *const fw_default_allowlist[];
extern const size_t fw_default_allowlist_len;

/* A set of address literals (validated with inet_pton). */
struct fw_addrs {
    char **v4, **v6;
    size_t n4, n6;
};
void fw_addrs_free(struct fw_addrs *a);
/* Adds an address literal; returns 0, or -1 when it is not an IPv4/IPv6 literal. Duplicates
 * are ignored. */
int fw_addrs_add(struct fw_addrs *a, const char *literal);

/* Host names of the allow-list: `allowlist` (comma-separated) when non-NULL, else the
 * defaults, plus `extra` (comma-separated). Returns a NULL-terminated array (caller frees with
 * fw_strv_free). */
char **fw_allow_hostnames(const char *allowlist, const char *extra);
void fw_strv_free(char **v);
/* Resolves names (literals pass through) into addresses; unresolvable names are logged and
 * skipped. */
void fw_resolve(char **names, struct fw_addrs *out);
/* First "nameserver" of a resolv.conf; returns 0 or -1. */
int fw_first_nameserver(const char *path, char *out, size_t n);
/* Parses "80,443" into ports (1..65535); returns the count or -1. */
int fw_parse_ports(const char *csv, int *ports, int max);

/* The job namespace ruleset (nft -f syntax). Caller frees. */
char *fw_build_ruleset(const struct fw_addrs *allow, const struct fw_addrs *dns, const int *ports, int nports);
/* Replaces the allow sets of a loaded ruleset (periodic re-resolution). Caller frees. */
char *fw_build_set_update(const struct fw_addrs *allow);
/* The host ruleset that masquerades the job subnet. Caller frees; NULL on a bad subnet. */
char *fw_build_host_nat(const char *subnet);

/* "10.213.0.0/16" → network address (host order) and prefix (8..30). */
int fw_parse_subnet(const char *cidr, uint32_t *net, int *prefix);
/* Addresses of slot k (host side .1, job side .2 of the k-th /30); -1 outside the subnet. */
int fw_slot_addrs(uint32_t net, int prefix, int slot, char host_ip[16], char job_ip[16]);

struct fw_job_net {
    char netns[96];
    char netns_path[128];
    char host_if[16];
    char host_ip[16], job_ip[16];
    int slot;
    bool active;
};

/* Creates the job's namespace (or, when pid > 0, names the namespace of that process, as for a
 * Docker container started with network "none"), loads ruleset into it, then wires the veth
 * pair. workdir holds the temporary rule file. Returns 0, or -1 with err (everything created
 * is removed). */
int fw_job_setup(const char *subnet, const char *workdir, const char *job_id, int attempt,
                 const char *ruleset, int pid, struct fw_job_net *out, char *err, size_t errlen);
/* Applies an nft file text inside an existing job namespace. */
int fw_job_apply(const struct fw_job_net *n, const char *workdir, const char *nft_text);
void fw_job_teardown(struct fw_job_net *n);
/* Removes a namespace left behind by a previous run ("xcj-<job>-<attempt>"). */
void fw_remove_netns(const char *job_id, int attempt);

/* Checks that egress enforcement is possible here (root, `nft` and `ip` runnable, a scratch
 * namespace can be created and given a ruleset). Returns 0 or -1 with err. */
int fw_selftest(const char *workdir, char *err, size_t errlen);
/* What fw_host_setup() put on the host, so that fw_host_teardown() removes exactly that. */
struct fw_host_state {
    bool nat;            /* the xcelsior_nat table */
    bool docker_user[2]; /* the two DOCKER-USER accept rules, when this agent inserted them */
};

/* One-time host preparation: forwarding, masquerade of the job subnet, DOCKER-USER accepts
 * for the job interfaces when that chain exists. Records what it added in *st. Best effort;
 * returns -1 when the NAT table could not be loaded. */
int fw_host_setup(const char *subnet, bool masquerade, const char *workdir, struct fw_host_state *st);
/* Removes what fw_host_setup() added (the NAT table, the DOCKER-USER rules) and clears *st.
 * net.ipv4.ip_forward stays on: other services may have come to rely on it since. */
void fw_host_teardown(struct fw_host_state *st);

#endif
