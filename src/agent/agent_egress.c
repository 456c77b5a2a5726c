/* The egress firewall: the host side (NAT, forwarding), the allow-list resolver thread, and live
 * updates of the allow-list inside the namespaces of running jobs. */
#include "agent/agent_internal.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *resolver_main(void *arg)
{
    struct agent *a = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while (!agent_stopping) {
        char **names = fw_allow_hostnames(a->cfg->egress_allowlist, a->cfg->egress_extra_hosts);
        struct fw_addrs fresh = {0};
        fw_resolve(names, &fresh);
        fw_strv_free(names);
        pthread_mutex_lock(&a->mu);
        bool changed = fresh.n4 != a->allow.n4 || fresh.n6 != a->allow.n6;
        for (size_t i = 0; !changed && i < fresh.n4; i++)
            changed = strcmp(fresh.v4[i], a->allow.v4[i]) != 0;
        for (size_t i = 0; !changed && i < fresh.n6; i++)
            changed = strcmp(fresh.v6[i], a->allow.v6[i]) != 0;
        if (changed) {
            fw_addrs_free(&a->allow);
            a->allow = fresh;
            a->allow_changed = true;
        } else {
            fw_addrs_free(&fresh);
        }
        pthread_mutex_unlock(&a->mu);
        for (int i = 0; i < 300 * 5 && !agent_stopping; i++) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

void agent_push_allow_updates(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    if (!a->allow_changed) {
        pthread_mutex_unlock(&a->mu);
        return;
    }
    a->allow_changed = false;
    char *upd = fw_build_set_update(&a->allow);
    char names[64][96];
    int n = 0;
    for (struct agent_job *j = a->jobs; j && n < 64; j = j->next)
        if (!j->done && j->container_id[0])
            snprintf(names[n++], sizeof names[0], "xcj-%.40s-%d", j->job_id, j->attempt);
    pthread_mutex_unlock(&a->mu);
    for (int i = 0; i < n; i++) {
        struct fw_job_net net = {.active = true};
        snprintf(net.netns, sizeof net.netns, "%.95s", names[i]);
        fw_job_apply(&net, a->cfg->work_dir, upd);
    }
    free(upd);
}

void agent_setup_egress(struct agent *a)
{
    struct agent_config *c = a->cfg;
    char err[256] = "";
    a->nports = fw_parse_ports(c->egress_ports, a->ports, 16);
    if (a->nports < 0) {
        log_error("XCELSIOR_EGRESS_PORTS is invalid: %s", c->egress_ports);
        a->nports = 0;
    }
    char dns[64] = "";
    if (*c->egress_dns)
        snprintf(dns, sizeof dns, "%s", c->egress_dns);
    else
        fw_first_nameserver("/etc/resolv.conf", dns, sizeof dns);
    if (*dns && fw_addrs_add(&a->dns, dns) != 0)
        log_warn("egress DNS '%s' is not an address literal; DNS will be blocked", dns);
    if (c->egress_mode == EGRESS_NONE) {
        a->egress_enforced = true;
        log_info("egress: jobs get no network at all (XCELSIOR_EGRESS_MODE=none)");
        return;
    }
    if (fw_selftest(c->work_dir, err, sizeof err) != 0) {
        a->egress_enforced = false;
        log_error("egress firewall unavailable (%s): jobs run without any network; only community-tier "
                  "jobs are accepted", err);
        return;
    }
    fw_host_setup(c->job_subnet, c->egress_masquerade, c->work_dir, &a->fw_host);
    /* The first resolution happens before any job can start. */
    char **names = fw_allow_hostnames(c->egress_allowlist, c->egress_extra_hosts);
    bool literal_only = true;
    struct fw_addrs tmp = {0};
    for (char **p = names; *p; p++)
        literal_only = literal_only && fw_addrs_add(&tmp, *p) == 0;
    fw_addrs_free(&tmp);
    if (literal_only)
        fw_resolve(names, &a->allow);
    fw_strv_free(names);
    a->egress_enforced = true;
    log_info("egress: per-job network namespaces with nftables (subnet %s, DNS %s, ports %s)", c->job_subnet,
             *dns ? dns : "none", c->egress_ports);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (!literal_only || getenv("XCELSIOR_EGRESS_RESOLVE_LOOP")) {
        if (pthread_create(&t, &attr, resolver_main, a) != 0)
            log_error("cannot start the allow-list resolver");
        else
            a->resolver_running = true;
    }
    pthread_attr_destroy(&attr);
}
