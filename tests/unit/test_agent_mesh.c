/* Mesh enrolment against a fake `tailscale` on PATH that prints real-format output. */
#include "agent/mesh.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* The fake records its argv (one per line) and, for `up`, the content and mode of the key file. */
static void fake_tailscale(const char *status_fixture, int up_exit)
{
    snprintf(dir, sizeof dir, "/tmp/xc-ts-XXXXXX");
    cr_assert(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/tailscale", dir);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "#!/bin/sh\n"
            "case \"$1\" in\n"
            "status) cat '%s/probe/%s' ;;\n"
            "ip) cat '%s/probe/tailscale_ip4.txt' ;;\n"
            "up) for a in \"$@\"; do echo \"$a\" >> '%s/argv'; case \"$a\" in --auth-key=file:*) k=${a#--auth-key=file:};"
            " cat \"$k\" > '%s/key'; stat -c %%a \"$k\" > '%s/mode';; esac; done; exit %d ;;\n"
            "esac\n",
            XC_FIXTURES_DIR, status_fixture, XC_FIXTURES_DIR, dir, dir, dir, up_exit);
    fclose(f);
    chmod(path, 0755);
    char newpath[4096];
    snprintf(newpath, sizeof newpath, "%s:/usr/bin:/bin", dir);
    setenv("PATH", newpath, 1);
}

static char *read_file(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(agent_mesh, running_status_needs_no_login)
{
    fake_tailscale("tailscale_status_running.json", 0);
    cr_assert_eq(mesh_status_running(), 1);
    cr_assert_eq(mesh_ensure("rig-01", "tskey-xxx", "https://hs.example", "/tmp"), 0);
    cr_assert_null(read_file("argv"), "tailscale up is not run when already Running");
    char ip[64];
    cr_assert_eq(mesh_ip4(ip, sizeof ip), 0);
    cr_assert_str_eq(ip, "100.64.0.7");
}

Test(agent_mesh, needs_login_runs_up_without_key_in_argv)
{
    fake_tailscale("tailscale_status_needslogin.json", 0);
    cr_assert_eq(mesh_status_running(), 0);
    cr_assert_eq(mesh_ensure("rig-01", "tskey-xxx", "https://hs.example", "/tmp"), 0);
    char *argv = read_file("argv");
    cr_assert(argv);
    cr_assert(strstr(argv, "--auth-key=file:"), "%s", argv);
    cr_assert(strstr(argv, "--login-server\nhttps://hs.example\n"), "%s", argv);
    cr_assert(strstr(argv, "--hostname\nrig-01\n"), "%s", argv);
    cr_assert_null(strstr(argv, "tskey-xxx"), "the key never appears in argv");
    cr_assert_str_eq(read_file("key"), "tskey-xxx");
    cr_assert_str_eq(read_file("mode"), "600\n");
}

Test(agent_mesh, failures)
{
    fake_tailscale("tailscale_status_needslogin.json", 1);
    cr_assert_eq(mesh_ensure("rig-01", "", "", "/tmp"), -1, "up exit 1 → failure");
    cr_assert_eq(mesh_parse_status("{not json"), 0, "malformed status JSON counts as not running");
    setenv("PATH", "/nonexistent", 1);
    cr_assert_eq(mesh_status_running(), -1);
    char ip[64];
    cr_assert_eq(mesh_ip4(ip, sizeof ip), -1);
}

Test(agent_mesh, up_argv)
{
    const char *argv[10];
    char keyarg[128];
    int n = mesh_up_argv("h", "/tmp/k", "", argv, keyarg, sizeof keyarg);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(argv[4], "--auth-key=file:/tmp/k");
    cr_assert_null(argv[5]);
}
