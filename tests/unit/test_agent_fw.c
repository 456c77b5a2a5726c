/* Egress firewall: allow-list, nft ruleset text (checked by `nft -c` when root), subnets. */
#include "agent/agent_exec.h"
#include "agent/fw.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has(char **v, const char *s)
{
    for (char **p = v; *p; p++)
        if (strcmp(*p, s) == 0)
            return true;
    return false;
}

Test(agent_fw, default_allowlist)
{
    char **v = fw_allow_hostnames(NULL, "example.org, pypi.org");
    cr_assert(has(v, "pypi.org"));
    cr_assert(has(v, "huggingface.co"));
    cr_assert(has(v, "registry-1.docker.io"));
    cr_assert(has(v, "deb.debian.org"));
    cr_assert(has(v, "example.org"), "extra hosts are added");
    size_t n = 0;
    for (char **p = v; *p; p++)
        n++;
    cr_assert_eq(n, fw_default_allowlist_len + 1, "duplicates dropped");
    fw_strv_free(v);
    v = fw_allow_hostnames("169.254.77.2", "");
    cr_assert(has(v, "169.254.77.2"));
    cr_assert_not(has(v, "pypi.org"), "an explicit allow-list replaces the defaults");
    fw_strv_free(v);
}

Test(agent_fw, addresses_are_literals_only)
{
    struct fw_addrs a = {0};
    cr_assert_eq(fw_addrs_add(&a, "169.254.77.2"), 0);
    cr_assert_eq(fw_addrs_add(&a, "169.254.77.2"), 0);
    cr_assert_eq(fw_addrs_add(&a, "2001:db8::1"), 0);
    cr_assert_eq(fw_addrs_add(&a, "1.2.3.4; flush ruleset"), -1);
    cr_assert_eq(fw_addrs_add(&a, "1.2.3.4 }"), -1);
    cr_assert_eq(a.n4, 1);
    cr_assert_eq(a.n6, 1);
    fw_addrs_free(&a);
    char *names[] = {"127.0.0.1", "::1", NULL};
    fw_resolve(names, &a);
    cr_assert_eq(a.n4, 1);
    cr_assert_eq(a.n6, 1);
    fw_addrs_free(&a);
}

static const char *pos(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    cr_assert(p, "missing '%s' in:\n%s", needle, text);
    return p;
}

Test(agent_fw, ruleset_order_and_content)
{
    struct fw_addrs allow = {0}, dns = {0};
    fw_addrs_add(&allow, "151.101.0.223");
    fw_addrs_add(&allow, "2a04:4e42::223");
    fw_addrs_add(&dns, "10.0.0.53");
    int ports[] = {80, 443};
    char *r = fw_build_ruleset(&allow, &dns, ports, 2);
    pos(r, "policy drop;");
    const char *est = pos(r, "ct state established,related accept");
    const char *d53 = pos(r, "ip daddr @dns4 udp dport 53 accept");
    const char *mine = pos(r, "tcp dport { 3333, 4444, 5555, 7777, 8888, 9999, 14433, 14444 }");
    const char *alw = pos(r, "ip daddr @allow4 tcp dport { 80, 443 } accept");
    const char *drop = pos(r, "log prefix \"xcelsior-egress-drop \"");
    cr_assert(est < d53 && d53 < mine && mine < alw && alw < drop, "rule order of domain 17.5");
    pos(r, "elements = { 151.101.0.223 }");
    pos(r, "elements = { 2a04:4e42::223 }");
    pos(r, "elements = { 10.0.0.53 }");
    pos(r, "chain input");
    free(r);
    char *u = fw_build_set_update(&allow);
    pos(u, "flush set inet xcelsior_egress allow4");
    pos(u, "add element inet xcelsior_egress allow4 { 151.101.0.223 }");
    free(u);
    fw_addrs_free(&allow);
    fw_addrs_free(&dns);
}

static void nft_check(const char *text)
{
    if (geteuid() != 0)
        cr_skip_test("nft -c needs root");
    char *path = agent_write_temp("/tmp", "xc-nft-test-", text, strlen(text));
    cr_assert(path);
    /* Checked inside a throwaway namespace so the host ruleset is never touched. */
    char ns[64];
    snprintf(ns, sizeof ns, "xct-nftcheck-%d", getpid());
    const char *add[] = {"ip", "netns", "add", ns, NULL};
    const char *chk[] = {"ip", "netns", "exec", ns, "nft", "-c", "-f", path, NULL};
    const char *del[] = {"ip", "netns", "del", ns, NULL};
    struct agent_exec_result r;
    cr_assert_eq(agent_exec(add, 10000, 4096, &r), 0);
    agent_exec_free(&r);
    int rc = agent_exec(chk, 10000, 8192, &r);
    int code = r.exit_code;
    char err[512];
    snprintf(err, sizeof err, "%s", r.err);
    agent_exec_free(&r);
    agent_exec(del, 10000, 4096, &r);
    agent_exec_free(&r);
    unlink(path);
    free(path);
    cr_assert(rc == 0 && code == 0, "nft rejected the ruleset: %s\n%s", err, text);
}

Test(agent_fw, ruleset_is_valid_nft)
{
    struct fw_addrs allow = {0}, dns = {0};
    fw_addrs_add(&allow, "169.254.77.2");
    fw_addrs_add(&allow, "2001:db8::5");
    fw_addrs_add(&dns, "169.254.77.53");
    int ports[] = {80, 443, 8080};
    char *r = fw_build_ruleset(&allow, &dns, ports, 3);
    fw_addrs_free(&allow);
    fw_addrs_free(&dns);
    nft_check(r);
    free(r);
}

Test(agent_fw, empty_sets_are_valid_nft)
{
    struct fw_addrs none = {0};
    int ports[] = {443};
    char *r = fw_build_ruleset(&none, &none, ports, 1);
    cr_assert_null(strstr(r, "elements"));
    nft_check(r);
    free(r);
}

Test(agent_fw, host_nat_is_valid_nft)
{
    char *r = fw_build_host_nat("169.254.200.0/24");
    cr_assert(r);
    pos(r, "ip saddr 169.254.200.0/24 oifname != \"xcjh*\" masquerade");
    nft_check(r);
    free(r);
    cr_assert_null(fw_build_host_nat("not-a-subnet"));
}

Test(agent_fw, ports_and_subnets)
{
    int p[16];
    cr_assert_eq(fw_parse_ports("80,443", p, 16), 2);
    cr_assert_eq(p[1], 443);
    cr_assert_eq(fw_parse_ports(" 8080 ", p, 16), 1);
    cr_assert_eq(fw_parse_ports("0", p, 16), -1);
    cr_assert_eq(fw_parse_ports("80,x", p, 16), -1);
    cr_assert_eq(fw_parse_ports("70000", p, 16), -1);

    uint32_t net;
    int prefix;
    char h[16], j[16];
    cr_assert_eq(fw_parse_subnet("10.213.0.0/16", &net, &prefix), 0);
    cr_assert_eq(fw_slot_addrs(net, prefix, 0, h, j), 0);
    cr_assert_str_eq(h, "10.213.0.1");
    cr_assert_str_eq(j, "10.213.0.2");
    cr_assert_eq(fw_slot_addrs(net, prefix, 1, h, j), 0);
    cr_assert_str_eq(h, "10.213.0.5");
    cr_assert_eq(fw_parse_subnet("169.254.200.0/24", &net, &prefix), 0);
    cr_assert_eq(fw_slot_addrs(net, prefix, 63, h, j), 0);
    cr_assert_str_eq(j, "169.254.200.254");
    cr_assert_eq(fw_slot_addrs(net, prefix, 64, h, j), -1);
    cr_assert_eq(fw_parse_subnet("10.0.0.0/31", &net, &prefix), -1);
    cr_assert_eq(fw_parse_subnet("10.0.0.0", &net, &prefix), -1);
}

Test(agent_fw, nameserver_from_resolv_conf)
{
    const char *text = "# comment\nsearch example\nnameserver bogus\nnameserver 10.1.2.3\nnameserver 8.8.8.8\n";
    char *path = agent_write_temp("/tmp", "xc-resolv-", text, strlen(text));
    char ns[64];
    cr_assert_eq(fw_first_nameserver(path, ns, sizeof ns), 0);
    cr_assert_str_eq(ns, "10.1.2.3");
    unlink(path);
    free(path);
    cr_assert_eq(fw_first_nameserver("/nonexistent", ns, sizeof ns), -1);
}
