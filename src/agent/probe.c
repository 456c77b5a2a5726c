/* Version probes of the host's GPU and container stack, and parsers of the tools' output. */
#include "agent/probe.h"

#include "agent/agent_exec.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int probe_parse_runc(const char *text, char *out, size_t n)
{
    const char *p = strstr(text, "runc version ");
    if (!p)
        return -1;
    p += strlen("runc version ");
    size_t len = 0;
    while (p[len] && !isspace((unsigned char)p[len]))
        len++;
    if (len == 0 || len >= n)
        return -1;
    snprintf(out, n, "%.*s", (int)len, p);
    return 0;
}

/* Length of \d+ at p. */
static size_t digits(const char *p)
{
    size_t k = 0;
    while (isdigit((unsigned char)p[k]))
        k++;
    return k;
}

int probe_parse_first_semver(const char *text, char *out, size_t n)
{
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && isdigit((unsigned char)p[-1])))
            continue;
        size_t a = digits(p);
        if (p[a] != '.')
            continue;
        size_t b = digits(p + a + 1);
        if (!b || p[a + 1 + b] != '.')
            continue;
        size_t c = digits(p + a + 2 + b);
        if (!c)
            continue;
        size_t len = a + b + c + 2;
        if (len >= n)
            return -1;
        snprintf(out, n, "%.*s", (int)len, p);
        return 0;
    }
    return -1;
}

int probe_parse_runsc(const char *text, char *out, size_t n)
{
    const char *r = strstr(text, "release-");
    if (r && isdigit((unsigned char)r[8])) {
        size_t len = 0;
        while (r[len] && !isspace((unsigned char)r[len]))
            len++;
        if (len >= n)
            return -1;
        snprintf(out, n, "%.*s", (int)len, r);
        return 0;
    }
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && isalnum((unsigned char)p[-1])))
            continue;
        size_t len = digits(p);
        while (p[len] == '.' && isdigit((unsigned char)p[len + 1]))
            len += 1 + digits(p + len + 1);
        if (len >= n)
            return -1;
        snprintf(out, n, "%.*s", (int)len, p);
        return 0;
    }
    return -1;
}

int probe_parse_engine_version(const char *json_text, char *version, size_t n, char *api, size_t apin,
                               bool *is_podman)
{
    json_t *j = json_loads(json_text, 0, NULL);
    int rc = -1;
    *is_podman = false;
    if (!json_is_object(j))
        goto out;
    const char *v = json_string_value(json_object_get(j, "Version"));
    const char *a = json_string_value(json_object_get(j, "ApiVersion"));
    if (!v || !*v)
        goto out;
    snprintf(version, n, "%s", v);
    if (api)
        snprintf(api, apin, "%s", a ? a : "");
    size_t i;
    json_t *comp;
    json_array_foreach(json_object_get(j, "Components"), i, comp) {
        const char *name = json_string_value(json_object_get(comp, "Name"));
        if (name && strstr(name, "Podman"))
            *is_podman = true;
    }
    rc = 0;
out:
    json_decref(j);
    return rc;
}

int probe_parse_tailscale_ip(const char *text, char *out, size_t n)
{
    char line[64];
    size_t len = strcspn(text, "\r\n");
    if (len == 0 || len >= sizeof line)
        return -1;
    memcpy(line, text, len);
    line[len] = '\0';
    struct in_addr a;
    if (inet_pton(AF_INET, line, &a) != 1)
        return -1;
    snprintf(out, n, "%s", line);
    return 0;
}

typedef int (*parse_fn)(const char *, char *, size_t);

/* Runs argv; when it exits 0 (or any status, if any_status) parses stdout (+ stderr when
 * with_stderr) into out. */
static int run_probe(const char *const argv[], int timeout_ms, bool any_status, bool with_stderr, parse_fn parse,
                     char *out, size_t n)
{
    struct agent_exec_result r;
    int rc = -1;
    if (agent_exec(argv, timeout_ms, 1 << 16, &r) == 0 && (any_status || r.exit_code == 0)) {
        rc = parse(r.out, out, n);
        if (rc != 0 && with_stderr)
            rc = parse(r.err, out, n);
    }
    agent_exec_free(&r);
    return rc;
}

void probe_local_versions(json_t *versions)
{
    char v[128];
    static const char *const runc[] = {"runc", "--version", NULL};
    if (run_probe(runc, 5000, false, false, probe_parse_runc, v, sizeof v) == 0)
        json_object_set_new(versions, "runc", json_string(v));

    static const char *const ctk[][3] = {{"nvidia-ctk", "--version", NULL},
                                         {"nvidia-container-toolkit", "--version", NULL},
                                         {"nvidia-container-runtime", "--version", NULL}};
    for (size_t i = 0; i < 3; i++) {
        if (run_probe(ctk[i], 5000, false, true, probe_parse_first_semver, v, sizeof v) == 0) {
            json_object_set_new(versions, "nvidia_ctk", json_string(v));
            break;
        }
    }
    static const char *const runsc[] = {"runsc", "--version", NULL};
    if (run_probe(runsc, 5000, false, false, probe_parse_runsc, v, sizeof v) == 0)
        json_object_set_new(versions, "runsc", json_string(v));
    static const char *const kata[] = {"kata-runtime", "--version", NULL};
    if (run_probe(kata, 5000, false, false, probe_parse_first_semver, v, sizeof v) == 0)
        json_object_set_new(versions, "kata", json_string(v));
}

static int first_token_ip(const char *text, char *out, size_t n)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t len = 0;
    while (text[len] && !isspace((unsigned char)text[len]))
        len++;
    char tok[64];
    if (len == 0 || len >= sizeof tok)
        return -1;
    memcpy(tok, text, len);
    tok[len] = '\0';
    unsigned char buf[16];
    if (inet_pton(AF_INET, tok, buf) != 1 && inet_pton(AF_INET6, tok, buf) != 1)
        return -1;
    snprintf(out, n, "%s", tok);
    return 0;
}

static int route_src_ip(const char *text, char *out, size_t n)
{
    const char *p = strstr(text, " src ");
    return p ? first_token_ip(p + 5, out, n) : -1;
}

void probe_host_ip(char *out, size_t n)
{
    static const char *const hn[] = {"hostname", "-I", NULL};
    static const char *const rt[] = {"ip", "route", "get", "1", NULL};
    if (run_probe(hn, 5000, false, false, first_token_ip, out, n) == 0)
        return;
    if (run_probe(rt, 5000, false, false, route_src_ip, out, n) == 0)
        return;
    snprintf(out, n, "unknown");
}
