/* Headscale/Tailscale mesh enrolment and the host's mesh address. */
#include "agent/mesh.h"

#include "agent/agent_exec.h"
#include "agent/probe.h"
#include "common/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mesh_parse_status(const char *json_text)
{
    json_t *j = json_loads(json_text, 0, NULL);
    const char *st = json_string_value(json_object_get(j, "BackendState"));
    int running = st && strcmp(st, "Running") == 0;
    json_decref(j);
    return running;
}

int mesh_status_running(void)
{
    static const char *const argv[] = {"tailscale", "status", "--json", NULL};
    struct agent_exec_result r;
    int rc = -1;
    if (agent_exec(argv, 10000, 1 << 20, &r) == 0)
        rc = mesh_parse_status(r.out);
    agent_exec_free(&r);
    return rc;
}

int mesh_up_argv(const char *hostname, const char *key_file, const char *login_server, const char **argv,
                 char *keyarg, size_t keyarglen)
{
    int n = 0;
    argv[n++] = "tailscale";
    argv[n++] = "up";
    argv[n++] = "--hostname";
    argv[n++] = hostname;
    if (key_file) {
        snprintf(keyarg, keyarglen, "--auth-key=file:%s", key_file);
        argv[n++] = keyarg;
    }
    if (login_server && *login_server) {
        argv[n++] = "--login-server";
        argv[n++] = login_server;
    }
    argv[n] = NULL;
    return n;
}

int mesh_ensure(const char *hostname, const char *authkey, const char *login_server, const char *tmpdir)
{
    if (mesh_status_running() == 1) {
        log_info("mesh: tailscale already running");
        return 0;
    }
    char *key_file = NULL;
    if (authkey && *authkey) {
        key_file = agent_write_temp(tmpdir, ".xc-tskey-", authkey, strlen(authkey));
        if (!key_file)
            key_file = agent_write_temp("/tmp", ".xc-tskey-", authkey, strlen(authkey));
        if (!key_file) {
            log_error("mesh: cannot write the auth key file");
            return -1;
        }
    }
    const char *argv[10];
    char keyarg[512];
    mesh_up_argv(hostname, key_file, login_server, argv, keyarg, sizeof keyarg);
    struct agent_exec_result r;
    int rc = agent_exec(argv, 30000, 1 << 16, &r);
    if (rc == 0 && r.exit_code != 0)
        rc = -1;
    if (rc != 0)
        log_error("mesh: tailscale up failed%s: %.200s", r.timed_out ? " (timeout)" : "", r.err);
    else
        log_info("mesh: joined %s", login_server && *login_server ? login_server : "the tailnet");
    agent_exec_free(&r);
    if (key_file) {
        unlink(key_file);
        free(key_file);
    }
    return rc;
}

int mesh_ip4(char *out, size_t n)
{
    static const char *const argv[] = {"tailscale", "ip", "-4", NULL};
    struct agent_exec_result r;
    int rc = -1;
    if (agent_exec(argv, 10000, 4096, &r) == 0 && r.exit_code == 0)
        rc = probe_parse_tailscale_ip(r.out, out, n);
    agent_exec_free(&r);
    return rc;
}
