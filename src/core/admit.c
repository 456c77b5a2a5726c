/* Host admission: version gating against the minimums and the recommended runtime (pure). */
#include "core/admit.h"

#include "common/errors.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/fixed.h"
#include "core/gpu.h"

static const char *const comp_names[ADMIT__COUNT] = {
#define X(id, name, min, note) name,
    ADMIT_COMPONENTS(X)
#undef X
};
static const char *const comp_defaults[ADMIT__COUNT] = {
#define X(id, name, min, note) min,
    ADMIT_COMPONENTS(X)
#undef X
};
static const char *const comp_notes[ADMIT__COUNT] = {
#define X(id, name, min, note) note,
    ADMIT_COMPONENTS(X)
#undef X
};
static const char *const runtime_names[ADMIT_RT__COUNT] = {
#define X(id, name) name,
    ADMIT_RUNTIMES(X)
#undef X
};

/* Accepted keys per component (§3.1); every one present is checked. */
static const char *const comp_keys[ADMIT__COUNT][4] = {
    [ADMIT_RUNC] = {"runc", NULL},
    [ADMIT_CTK] = {"nvidia_ctk", "nvidia_toolkit", "nvidia_container_toolkit", NULL},
    [ADMIT_DRIVER] = {"nvidia_driver", NULL},
    [ADMIT_DOCKER] = {"docker", NULL},
};

static const char *const runsc_keys[] = {"runsc", "gvisor", NULL};
static const char *const kata_keys[] = {"kata", "kata_runtime", NULL};
static const char *const runsc_names[] = {"runsc", "gvisor", NULL};
static const char *const kata_names[] = {"kata", "kata-runtime", "kata_runtime", NULL};

const char *admit_component_name(enum admit_component c)
{
    return ((unsigned)c < ADMIT__COUNT) ? comp_names[c] : NULL;
}

const char *admit_runtime_name(enum admit_runtime rt)
{
    return ((unsigned)rt < ADMIT_RT__COUNT) ? runtime_names[rt] : NULL;
}

int admit_runtime_parse(const char *name, enum admit_runtime *out)
{
    for (int i = 0; name && i < ADMIT_RT__COUNT; i++)
        if (strcmp(name, runtime_names[i]) == 0) {
            *out = (enum admit_runtime)i;
            return 0;
        }
    return XC_EINVAL;
}

bool admit_runtime_sandboxed(enum admit_runtime rt)
{
    return rt == ADMIT_RT_RUNSC || rt == ADMIT_RT_KATA;
}

struct admit_minimums admit_default_minimums(void)
{
    struct admit_minimums m;
    for (int i = 0; i < ADMIT__COUNT; i++)
        m.min[i] = comp_defaults[i];
    return m;
}

/* ---- version text (§3.2) ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Finds the numeric span [*b, *e) of v and checks its parts. Returns 0 or XC_EINVAL. */
static int version_span(const char *v, const char **b, const char **e)
{
    if (!v)
        return XC_EINVAL;
    const char *p = v, *end = v + strlen(v);
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    if (p < end && (*p == 'v' || *p == 'V'))
        p++;
    const char *q = p;
    while (q < end && *q != '-' && *q != '+' && *q != '~' && !is_space(*q))
        q++;
    end = q;
    /* Every dot-separated part: 1..9 digits. */
    int digits = 0;
    for (q = p; q <= end; q++) {
        if (q == end || *q == '.') {
            if (digits < 1 || digits > 9)
                return XC_EINVAL;
            digits = 0;
        } else if (*q >= '0' && *q <= '9') {
            digits++;
        } else {
            return XC_EINVAL;
        }
    }
    *b = p;
    *e = end;
    return 0;
}

/* Reads the next part at *p (< e) or 0 when exhausted, advancing past its dot. */
static uint32_t next_part(const char **p, const char *e)
{
    uint32_t v = 0;
    if (*p >= e)
        return 0;
    while (*p < e && **p != '.')
        v = v * 10 + (uint32_t)(*(*p)++ - '0');
    if (*p < e)
        (*p)++;
    return v;
}

bool admit_version_valid(const char *v)
{
    const char *b, *e;
    return version_span(v, &b, &e) == 0;
}

int admit_version_cmp(const char *a, const char *b, int *cmp)
{
    const char *ab, *ae, *bb, *be;
    if (version_span(a, &ab, &ae) < 0 || version_span(b, &bb, &be) < 0)
        return XC_EINVAL;
    int c = 0;
    while (c == 0 && (ab < ae || bb < be)) {
        uint32_t x = next_part(&ab, ae), y = next_part(&bb, be);
        c = x < y ? -1 : x > y ? 1 : 0;
    }
    *cmp = c;
    return 0;
}

int admit_minimums_check(const struct admit_minimums *m)
{
    for (int i = 0; i < ADMIT__COUNT; i++)
        if (!m->min[i] || !admit_version_valid(m->min[i]))
            return XC_EINVAL;
    return 0;
}

/* ---- evaluation ---- */

/* True when v is reported: not missing, not null, not false, and not an empty/blank string. */
static bool reported(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_string(v)) {
        for (const char *s = json_string_value(v); *s; s++)
            if (!is_space(*s))
                return true;
        return false;
    }
    return true;
}

/* Text of a reported value; the caller owns it. Non-strings render as compact JSON. */
static char *value_text(const json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v))
        return xasprintf("%lld", (long long)json_integer_value(v));
    if (json_is_real(v)) {
        char buf[64];
        return xstrdup(fixed_shortest(json_real_value(v), buf, sizeof buf));
    }
    char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    char *s = xstrdup(d ? d : "");
    free(d);
    return s;
}

static void add_reason(struct admit_result *r, char *reason)
{
    r->reasons = xrealloc(r->reasons, (r->nreasons + 1) * sizeof *r->reasons);
    r->reasons[r->nreasons++] = reason;
}

static bool any_key(const json_t *versions, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++)
        if (reported(json_object_get(versions, keys[i])))
            return true;
    return false;
}

static bool in_runtimes(const json_t *runtimes, const char *const *names)
{
    size_t i;
    json_t *it;
    if (!json_is_array(runtimes))
        return false;
    json_array_foreach(runtimes, i, it)
    {
        if (!json_is_string(it))
            continue;
        for (size_t k = 0; names[k]; k++)
            if (strcmp(json_string_value(it), names[k]) == 0)
                return true;
    }
    return false;
}

static void check_component(const json_t *versions, int c, const char *min, struct admit_result *r)
{
    bool any = false;
    for (size_t k = 0; comp_keys[c][k]; k++) {
        const json_t *v = json_object_get(versions, comp_keys[c][k]);
        if (!reported(v))
            continue;
        any = true;
        char *text = value_text(v);
        int cmp = 0;
        if (!(json_is_string(v) || json_is_number(v)) || admit_version_cmp(text, min, &cmp) < 0)
            add_reason(r, xasprintf("%s version '%s' could not be parsed", comp_names[c], text));
        else if (cmp < 0)
            add_reason(r, xasprintf("%s %s is below minimum %s%s", comp_names[c], text, min,
                                    comp_notes[c]));
        free(text);
    }
    if (!any)
        add_reason(r, xasprintf("%s version not reported", comp_names[c]));
}

int admit_evaluate(const json_t *versions, const json_t *runtimes, const char *gpu_model,
                   const struct admit_minimums *min, struct admit_result *out)
{
    struct admit_minimums defaults = admit_default_minimums();
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (!min)
        min = &defaults;
    if (versions && !json_is_object(versions)) {
        rc = XC_EINVAL;
        goto out;
    }
    rc = admit_minimums_check(min);
    if (rc < 0)
        goto out;

    for (int c = 0; c < ADMIT__COUNT; c++)
        check_component(versions, c, min->min[c], out);
    out->admitted = out->nreasons == 0;

    const char *model = gpu_model ? gpu_model : "";
    bool runsc = any_key(versions, runsc_keys) || in_runtimes(runtimes, runsc_names);
    bool kata = any_key(versions, kata_keys) || in_runtimes(runtimes, kata_names);
    if (runsc && gpu_gvisor_ok(model)) {
        out->runtime = ADMIT_RT_RUNSC;
        out->runtime_reason = xasprintf("gVisor with nvproxy (GPU %s supported)", model);
    } else if (kata) {
        out->runtime = ADMIT_RT_KATA;
        out->runtime_reason = xstrdup("Kata Containers (VM-isolated)");
    } else if (runsc) {
        out->runtime = ADMIT_RT_RUNC;
        out->runtime_reason =
            xasprintf("Hardened runc (GPU %s not supported by gVisor nvproxy)", model);
    } else {
        out->runtime = ADMIT_RT_RUNC;
        out->runtime_reason = xstrdup("Hardened runc (gVisor not available on host)");
    }
out:
    return rc;
}

void admit_result_free(struct admit_result *r)
{
    for (size_t i = 0; i < r->nreasons; i++)
        free(r->reasons[i]);
    free(r->reasons);
    free(r->runtime_reason);
    memset(r, 0, sizeof *r);
}
