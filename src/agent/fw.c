/* The egress firewall: per-job network namespaces with nftables rulesets, host NAT, allow-list
 * resolution. */
#include "agent/fw.h"

#include "agent/agent_exec.h"
#include "common/buf.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *const fw_default_allowlist[] = {
    "pypi.org", "files.pythonhosted.org", "huggingface.co", "cdn-lfs.huggingface.co",
    "cdn-lfs-us-1.huggingface.co", "registry-1.docker.io", "auth.docker.io",
    "production.cloudflare.docker.com", "index.docker.io", "ghcr.io", "pkg-containers.githubusercontent.com",
    "github.com", "objects.githubusercontent.com", "deb.debian.org", "security.debian.org",
    "archive.ubuntu.com", "security.ubuntu.com", "registry.npmjs.org", "storage.googleapis.com",
};
const size_t fw_default_allowlist_len = sizeof fw_default_allowlist / sizeof *fw_default_allowlist;

static const int mining_ports[] = {3333, 4444, 5555, 7777, 8888, 9999, 14433, 14444};

/* ---------------------------------------------------------------- address sets */

static bool in_list(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

int fw_addrs_add(struct fw_addrs *a, const char *literal)
{
    unsigned char buf[16];
    char norm[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, literal, buf) == 1) {
        inet_ntop(AF_INET, buf, norm, sizeof norm);
        if (!in_list(a->v4, a->n4, norm)) {
            a->v4 = xrealloc(a->v4, (a->n4 + 1) * sizeof *a->v4);
            a->v4[a->n4++] = xstrdup(norm);
        }
        return 0;
    }
    if (inet_pton(AF_INET6, literal, buf) == 1) {
        inet_ntop(AF_INET6, buf, norm, sizeof norm);
        if (!in_list(a->v6, a->n6, norm)) {
            a->v6 = xrealloc(a->v6, (a->n6 + 1) * sizeof *a->v6);
            a->v6[a->n6++] = xstrdup(norm);
        }
        return 0;
    }
    return -1;
}

void fw_addrs_free(struct fw_addrs *a)
{
    for (size_t i = 0; i < a->n4; i++)
        free(a->v4[i]);
    for (size_t i = 0; i < a->n6; i++)
        free(a->v6[i]);
    free(a->v4);
    free(a->v6);
    memset(a, 0, sizeof *a);
}

static void strv_add_csv(char ***v, size_t *n, const char *csv)
{
    char *copy = xstrdup(csv), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*t))
            t++;
        size_t len = strlen(t);
        while (len > 0 && isspace((unsigned char)t[len - 1]))
            t[--len] = '\0';
        if (!len || len > 253 || in_list(*v, *n, t))
            continue;
        *v = xrealloc(*v, (*n + 2) * sizeof **v);
        (*v)[(*n)++] = xstrdup(t);
        (*v)[*n] = NULL;
    }
    free(copy);
}

char **fw_allow_hostnames(const char *allowlist, const char *extra)
{
    char **v = xcalloc(1, sizeof *v);
    size_t n = 0;
    if (allowlist) {
        strv_add_csv(&v, &n, allowlist);
    } else {
        for (size_t i = 0; i < fw_default_allowlist_len; i++)
            strv_add_csv(&v, &n, fw_default_allowlist[i]);
    }
    if (extra)
        strv_add_csv(&v, &n, extra);
    return v;
}

void fw_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void fw_resolve(char **names, struct fw_addrs *out)
{
    for (char **p = names; p && *p; p++) {
        if (fw_addrs_add(out, *p) == 0)
            continue;
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int e = getaddrinfo(*p, NULL, &hints, &res);
        if (e != 0) {
            log_warn("egress allow-list: cannot resolve %s: %s", *p, gai_strerror(e));
            continue;
        }
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            char buf[INET6_ADDRSTRLEN];
            const void *src = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                                       : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
            if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
                inet_ntop(ai->ai_family, src, buf, sizeof buf))
                fw_addrs_add(out, buf);
        }
        freeaddrinfo(res);
    }
}

int fw_first_nameserver(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[512];
    int rc = -1;
    while (fgets(line, sizeof line, f)) {
        char addr[128];
        if (sscanf(line, " nameserver %127s", addr) == 1) {
            unsigned char b[16];
            if (inet_pton(AF_INET, addr, b) == 1 || inet_pton(AF_INET6, addr, b) == 1) {
                snprintf(out, n, "%s", addr);
                rc = 0;
                break;
            }
        }
    }
    fclose(f);
    return rc;
}

int fw_parse_ports(const char *csv, int *ports, int max)
{
    int n = 0;
    const char *p = csv;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || v > 65535 || n >= max)
            return -1;
        ports[n++] = (int)v;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p && *p != ',')
            return -1;
    }
    return n;
}

/* ---------------------------------------------------------------- rulesets */

static void put_set(struct buf *b, const char *name, const char *type, char **v, size_t n)
{
    buf_printf(b, "  set %s {\n    type %s\n", name, type);
    if (n) {
        buf_printf(b, "    elements = { ");
        for (size_t i = 0; i < n; i++)
            buf_printf(b, "%s%s", i ? ", " : "", v[i]);
        buf_printf(b, " }\n");
    }
    buf_printf(b, "  }\n");
}

char *fw_build_ruleset(const struct fw_addrs *allow, const struct fw_addrs *dns, const int *ports, int nports)
{
    struct buf b = {0};
    buf_printf(&b, "# xcelsior job egress policy (loaded with nft -f inside the job namespace)\n");
    buf_printf(&b, "table inet xcelsior_egress\n");
    buf_printf(&b, "delete table inet xcelsior_egress\n");
    buf_printf(&b, "table inet xcelsior_egress {\n");
    put_set(&b, "allow4", "ipv4_addr", allow->v4, allow->n4);
    put_set(&b, "allow6", "ipv6_addr", allow->v6, allow->n6);
    put_set(&b, "dns4", "ipv4_addr", dns->v4, dns->n4);
    put_set(&b, "dns6", "ipv6_addr", dns->v6, dns->n6);
    buf_printf(&b, "  chain output {\n    type filter hook output priority 0; policy drop;\n");
    buf_printf(&b, "    oifname \"lo\" accept\n");
    buf_printf(&b, "    ct state established,related accept\n");
    buf_printf(&b, "    ip daddr @dns4 udp dport 53 accept\n");
    buf_printf(&b, "    ip daddr @dns4 tcp dport 53 accept\n");
    buf_printf(&b, "    ip6 daddr @dns6 udp dport 53 accept\n");
    buf_printf(&b, "    ip6 daddr @dns6 tcp dport 53 accept\n");
    buf_printf(&b, "    tcp dport { ");
    for (size_t i = 0; i < sizeof mining_ports / sizeof *mining_ports; i++)
        buf_printf(&b, "%s%d", i ? ", " : "", mining_ports[i]);
    buf_printf(&b, " } log prefix \"xcelsior-mining-port \" reject with tcp reset\n");
    if (nports > 0) {
        struct buf pl = {0};
        for (int i = 0; i < nports; i++)
            buf_printf(&pl, "%s%d", i ? ", " : "", ports[i]);
        buf_printf(&b, "    ip daddr @allow4 tcp dport { %s } accept\n", buf_str(&pl));
        buf_printf(&b, "    ip6 daddr @allow6 tcp dport { %s } accept\n", buf_str(&pl));
        buf_free(&pl);
    }
    buf_printf(&b, "    log prefix \"xcelsior-egress-drop \" limit rate 10/second\n");
    buf_printf(&b, "    meta l4proto tcp reject with tcp reset\n");
    buf_printf(&b, "    reject with icmpx type admin-prohibited\n");
    buf_printf(&b, "  }\n");
    buf_printf(&b, "  chain input {\n    type filter hook input priority 0; policy drop;\n");
    buf_printf(&b, "    iifname \"lo\" accept\n");
    buf_printf(&b, "    ct state established,related accept\n");
    buf_printf(&b, "  }\n");
    buf_printf(&b, "}\n");
    return buf_take(&b, NULL);
}

char *fw_build_set_update(const struct fw_addrs *allow)
{
    struct buf b = {0};
    buf_printf(&b, "flush set inet xcelsior_egress allow4\nflush set inet xcelsior_egress allow6\n");
    if (allow->n4) {
        buf_printf(&b, "add element inet xcelsior_egress allow4 { ");
        for (size_t i = 0; i < allow->n4; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", allow->v4[i]);
        buf_printf(&b, " }\n");
    }
    if (allow->n6) {
        buf_printf(&b, "add element inet xcelsior_egress allow6 { ");
        for (size_t i = 0; i < allow->n6; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", allow->v6[i]);
        buf_printf(&b, " }\n");
    }
    return buf_take(&b, NULL);
}

int fw_parse_subnet(const char *cidr, uint32_t *net, int *prefix)
{
    char addr[32];
    const char *slash = strchr(cidr, '/');
    if (!slash || (size_t)(slash - cidr) >= sizeof addr)
        return -1;
    snprintf(addr, sizeof addr, "%.*s", (int)(slash - cidr), cidr);
    struct in_addr a;
    if (inet_pton(AF_INET, addr, &a) != 1)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || p < 8 || p > 30)
        return -1;
    uint32_t mask = p == 0 ? 0 : 0xffffffffu << (32 - p);
    *net = ntohl(a.s_addr) & mask;
    *prefix = (int)p;
    return 0;
}

int fw_slot_addrs(uint32_t net, int prefix, int slot, char host_ip[16], char job_ip[16])
{
    uint64_t nslots = (1ULL << (32 - prefix)) / 4;
    if (slot < 0 || (uint64_t)slot >= nslots)
        return -1;
    uint32_t base = net + (uint32_t)slot * 4;
    struct in_addr h = {.s_addr = htonl(base + 1)}, j = {.s_addr = htonl(base + 2)};
    inet_ntop(AF_INET, &h, host_ip, 16);
    inet_ntop(AF_INET, &j, job_ip, 16);
    return 0;
}

char *fw_build_host_nat(const char *subnet)
{
    uint32_t net;
    int prefix;
    if (fw_parse_subnet(subnet, &net, &prefix) != 0)
        return NULL;
    struct in_addr a = {.s_addr = htonl(net)};
    char s[16];
    inet_ntop(AF_INET, &a, s, sizeof s);
    struct buf b = {0};
    buf_printf(&b, "table ip xcelsior_nat\ndelete table ip xcelsior_nat\n");
    buf_printf(&b, "table ip xcelsior_nat {\n  chain postrouting {\n"
                "    type nat hook postrouting priority srcnat; policy accept;\n"
                "    ip saddr %s/%d oifname != \"xcjh*\" masquerade\n  }\n}\n", s, prefix);
    return buf_take(&b, NULL);
}

/* ---------------------------------------------------------------- namespaces */

static int run(const char *const argv[], char *err, size_t errlen)
{
    struct agent_exec_result r;
    int rc = agent_exec(argv, 30000, 8192, &r);
    if (rc == 0 && r.exit_code != 0)
        rc = -1;
    if (rc != 0 && err) {
        size_t len = strcspn(r.err, "\n");
        snprintf(err, errlen, "%s %s: %s", argv[0], argv[1] ? argv[1] : "",
                 r.not_found ? "not found" : r.timed_out ? "timed out" : len ? r.err : "failed");
        err[strcspn(err, "\n")] = '\0';
    }
    agent_exec_free(&r);
    return rc;
}

static int nft_file_in(const char *netns, const char *workdir, const char *text, char *err, size_t errlen)
{
    char *path = agent_write_temp(workdir, ".xc-nft-", text, strlen(text));
    if (!path)
        path = agent_write_temp("/tmp", ".xc-nft-", text, strlen(text));
    if (!path) {
        snprintf(err, errlen, "cannot write nft rule file");
        return -1;
    }
    int rc;
    if (netns) {
        const char *argv[] = {"ip", "netns", "exec", netns, "nft", "-f", path, NULL};
        rc = run(argv, err, errlen);
    } else {
        const char *argv[] = {"nft", "-f", path, NULL};
        rc = run(argv, err, errlen);
    }
    unlink(path);
    free(path);
    return rc;
}

static void write_sysctl(const char *path, const char *v)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return;
    fputs(v, f);
    fclose(f);
}

int fw_job_setup(const char *subnet, const char *workdir, const char *job_id, int attempt, const char *ruleset,
                 int pid, struct fw_job_net *out, char *err, size_t errlen)
{
    uint32_t net;
    int prefix;
    memset(out, 0, sizeof *out);
    out->slot = -1;
    if (errlen)
        err[0] = '\0';
    if (fw_parse_subnet(subnet, &net, &prefix) != 0) {
        snprintf(err, errlen, "invalid job subnet '%s'", subnet);
        return -1;
    }
    snprintf(out->netns, sizeof out->netns, "xcj-%.40s-%d", job_id, attempt);
    snprintf(out->netns_path, sizeof out->netns_path, "/run/netns/%s", out->netns);
    {
        const char *del[] = {"ip", "netns", "del", out->netns, NULL};
        run(del, NULL, 0); /* stale leftover of an earlier run of the same attempt */
        char pidtxt[16];
        snprintf(pidtxt, sizeof pidtxt, "%d", pid);
        const char *add[] = {"ip", "netns", "add", out->netns, NULL};
        const char *attach[] = {"ip", "netns", "attach", out->netns, pidtxt, NULL};
        if (run(pid > 0 ? attach : add, err, errlen) != 0)
            return -1;
    }
    out->active = true;
    const char *lo[] = {"ip", "-n", out->netns, "link", "set", "lo", "up", NULL};
    if (run(lo, err, errlen) != 0 || nft_file_in(out->netns, workdir, ruleset, err, errlen) != 0)
        goto fail;

    /* A free slot is one whose host-side interface does not exist; creation settles races. */
    uint64_t nslots = (1ULL << (32 - prefix)) / 4;
    char cif[16];
    for (uint64_t s = 0; s < nslots && s < 100000; s++) {
        char hif[16];
        snprintf(hif, sizeof hif, "xcjh%u", (unsigned)s);
        if (if_nametoindex(hif) != 0)
            continue;
        snprintf(cif, sizeof cif, "xcjc%u", (unsigned)s);
        const char *add[] = {"ip", "link", "add", hif, "type", "veth", "peer", "name", cif, "netns", out->netns, NULL};
        if (run(add, err, errlen) == 0) {
            out->slot = (int)s;
            snprintf(out->host_if, sizeof out->host_if, "%s", hif);
            break;
        }
    }
    if (out->slot < 0) {
        if (!*err)
            snprintf(err, errlen, "no free address slot in %s", subnet);
        goto fail;
    }
    fw_slot_addrs(net, prefix, out->slot, out->host_ip, out->job_ip);
    char hcidr[24], jcidr[24];
    snprintf(hcidr, sizeof hcidr, "%s/30", out->host_ip);
    snprintf(jcidr, sizeof jcidr, "%s/30", out->job_ip);
    const char *s1[] = {"ip", "addr", "add", hcidr, "dev", out->host_if, NULL};
    const char *s2[] = {"ip", "link", "set", out->host_if, "up", NULL};
    const char *s3[] = {"ip", "-n", out->netns, "link", "set", cif, "name", "eth0", NULL};
    const char *s4[] = {"ip", "-n", out->netns, "addr", "add", jcidr, "dev", "eth0", NULL};
    const char *s5[] = {"ip", "-n", out->netns, "link", "set", "eth0", "up", NULL};
    const char *s6[] = {"ip", "-n", out->netns, "route", "add", "default", "via", out->host_ip, NULL};
    const char *const *steps[] = {s1, s2, s3, s4, s5, s6};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (run(steps[i], err, errlen) != 0)
            goto fail;
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/forwarding", out->host_if);
    write_sysctl(path, "1");
    return 0;
fail:
    fw_job_teardown(out);
    return -1;
}

int fw_job_apply(const struct fw_job_net *n, const char *workdir, const char *nft_text)
{
    char err[256] = "";
    if (!n->active)
        return -1;
    if (nft_file_in(n->netns, workdir, nft_text, err, sizeof err) != 0) {
        log_warn("egress update in %s failed: %s", n->netns, err);
        return -1;
    }
    return 0;
}

void fw_job_teardown(struct fw_job_net *n)
{
    if (n->host_if[0]) {
        const char *del[] = {"ip", "link", "del", n->host_if, NULL};
        run(del, NULL, 0);
    }
    if (n->active) {
        const char *del[] = {"ip", "netns", "del", n->netns, NULL};
        run(del, NULL, 0);
    }
    n->active = false;
    n->host_if[0] = '\0';
}

void fw_remove_netns(const char *job_id, int attempt)
{
    char name[96];
    snprintf(name, sizeof name, "xcj-%.40s-%d", job_id, attempt);
    const char *del[] = {"ip", "netns", "del", name, NULL};
    run(del, NULL, 0);
}

int fw_selftest(const char *workdir, char *err, size_t errlen)
{
    if (geteuid() != 0) {
        snprintf(err, errlen, "egress enforcement needs root (network namespaces, nftables)");
        return -1;
    }
    const char *nftv[] = {"nft", "--version", NULL};
    const char *ipv[] = {"ip", "-V", NULL};
    if (run(nftv, err, errlen) != 0 || run(ipv, err, errlen) != 0)
        return -1;
    char rnd[33], name[48];
    ids_hex128(rnd);
    snprintf(name, sizeof name, "xcj-selftest-%.12s", rnd);
    const char *add[] = {"ip", "netns", "add", name, NULL};
    if (run(add, err, errlen) != 0)
        return -1;
    struct fw_addrs none = {0};
    int ports[] = {443};
    char *rules = fw_build_ruleset(&none, &none, ports, 1);
    int rc = nft_file_in(name, workdir, rules, err, errlen);
    free(rules);
    const char *del[] = {"ip", "netns", "del", name, NULL};
    run(del, NULL, 0);
    return rc;
}

/* The DOCKER-USER accepts for job interfaces (iptables rule specifications). */
static const char *const docker_user_rules[2][12] = {
    {"-i", "xcjh+", "-j", "ACCEPT", NULL},
    {"-o", "xcjh+", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT", NULL},
};

/* Runs `iptables <op> DOCKER-USER <rule i>`; returns 0 when it exits 0. */
static int docker_user_rule(const char *op, size_t i)
{
    const char *argv[16] = {"iptables", op, "DOCKER-USER"};
    size_t k = 3;
    for (size_t j = 0; docker_user_rules[i][j]; j++, k++)
        argv[k] = docker_user_rules[i][j];
    argv[k] = NULL;
    return run(argv, NULL, 0);
}

int fw_host_setup(const char *subnet, bool masquerade, const char *workdir, struct fw_host_state *st)
{
    int rc = 0;
    *st = (struct fw_host_state){0};
    FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "re");
    if (f) {
        int c = fgetc(f);
        fclose(f);
        if (c == '0') {
            log_warn("enabling net.ipv4.ip_forward: job namespaces reach the network through this host");
            write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
        }
    }
    if (masquerade) {
        char *nat = fw_build_host_nat(subnet);
        char err[256] = "";
        if (!nat || nft_file_in(NULL, workdir, nat, err, sizeof err) != 0) {
            log_warn("cannot install the job subnet masquerade: %s", nat ? err : "bad subnet");
            rc = -1;
        } else {
            st->nat = true;
        }
        free(nat);
    }
    /* Docker sets the FORWARD policy to drop; its DOCKER-USER chain is where hosts add accepts. */
    const char *chk[] = {"iptables", "-n", "-L", "DOCKER-USER", NULL};
    if (run(chk, NULL, 0) == 0) {
        for (size_t i = 0; i < 2; i++) {
            if (docker_user_rule("-C", i) == 0)
                continue; /* already there (another agent's, or the host's own): not ours to remove */
            if (docker_user_rule("-I", i) == 0)
                st->docker_user[i] = true;
            else
                log_warn("cannot add the DOCKER-USER accept rule for job interfaces");
        }
    }
    return rc;
}

void fw_host_teardown(struct fw_host_state *st)
{
    if (st->nat) {
        const char *argv[] = {"nft", "delete", "table", "ip", "xcelsior_nat", NULL};
        char err[256] = "";
        if (run(argv, err, sizeof err) != 0)
            log_warn("cannot remove the job subnet masquerade (table ip xcelsior_nat): %s", err);
    }
    for (size_t i = 0; i < 2; i++)
        if (st->docker_user[i] && docker_user_rule("-D", i) != 0)
            log_warn("cannot remove the DOCKER-USER accept rule for job interfaces");
    *st = (struct fw_host_state){0};
}
