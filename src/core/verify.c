/* Host verification: the seven checks, fingerprint, state machine, schedule and failure
 * threshold (domain §18, pure). */
#include "core/verify.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/fixed.h"
#include "common/xalloc.h"
#include "core/gpu.h"

static const char *const check_names[VERIFY_CHECK__COUNT] = {
#define X(id, name) name,
    VERIFY_CHECKS(X)
#undef X
};

static const char *const state_names[VERIFY__COUNT] = {
#define X(id, name) name,
    VERIFY_STATES(X)
#undef X
};

static const char *const event_names[VERIFY_EV__COUNT] = {
#define X(id, name) name,
    VERIFY_EVENTS(X)
#undef X
};

static const char *const due_names[VERIFY_DUE__COUNT] = {
#define X(id, name) name,
    VERIFY_DUES(X)
#undef X
};

const char *verify_check_name(enum verify_check_id c)
{
    return (unsigned)c < VERIFY_CHECK__COUNT ? check_names[c] : NULL;
}

const char *verify_state_name(enum verify_state s)
{
    return (unsigned)s < VERIFY__COUNT ? state_names[s] : NULL;
}

const char *verify_event_name(enum verify_event e)
{
    return (unsigned)e < VERIFY_EV__COUNT ? event_names[e] : NULL;
}

const char *verify_due_name(enum verify_due d)
{
    return (unsigned)d < VERIFY_DUE__COUNT ? due_names[d] : NULL;
}

int verify_state_parse(const char *name, enum verify_state *out)
{
    int rc = XC_EINVAL;
    for (int i = 0; name && i < VERIFY__COUNT && rc != 0; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum verify_state)i;
            rc = 0;
        }
    return rc;
}

bool verify_state_counts_verified(enum verify_state s)
{
    return s == VERIFY_VERIFIED || s == VERIFY_VERIFYING;
}

int verify_transition(enum verify_state from, enum verify_event ev, enum verify_state *to)
{
    if ((unsigned)from >= VERIFY__COUNT || (unsigned)ev >= VERIFY_EV__COUNT || !to)
        return XC_EINVAL;
    int rc = 0;
    enum verify_state next = from;
    switch (ev) {
    case VERIFY_EV_REPORT_PASSED:
    case VERIFY_EV_ADMIN_APPROVE:
        next = VERIFY_VERIFIED;
        break;
    case VERIFY_EV_REPORT_FAILED:
    case VERIFY_EV_ADMIN_REJECT:
        next = VERIFY_DEVERIFIED;
        break;
    case VERIFY_EV_HOST_CHANGED:
        next = VERIFY_UNVERIFIED;
        break;
    case VERIFY_EV_REVERIFY_DUE:
        next = from == VERIFY_VERIFIED ? VERIFY_VERIFYING : from;
        break;
    case VERIFY_EV_REVERIFY_OVERDUE:
        if (from == VERIFY_VERIFYING)
            next = VERIFY_DEVERIFIED;
        else
            rc = XC_ECONFLICT;
        break;
    case VERIFY_EV_FAILURE_THRESHOLD:
        if (verify_state_counts_verified(from))
            next = VERIFY_DEVERIFIED;
        else
            rc = XC_ECONFLICT;
        break;
    default:
        rc = XC_EINVAL;
        break;
    }
    if (rc == 0)
        *to = next;
    return rc;
}

/* ---- fingerprint ---- */

/* ident(model) in a new string (the caller frees it). */
static char *ident_dup(const char *model)
{
    size_t n = model ? strlen(model) + 1 : 1;
    char *s = xmalloc(n);
    gpu_ident(model, s, n);
    return s;
}

int verify_fingerprint(const char *gpu_model, int64_t vram_mgb, const char *serial, char out[17])
{
    if (vram_mgb < 0 || !out)
        return XC_EINVAL;
    static const char hexd[] = "0123456789abcdef";
    char *id = ident_dup(gpu_model);
    char *text = xasprintf("%s|%lld|%s", id, (long long)fixed_rhu128((__int128)vram_mgb * 1024, 1000),
                           serial ? serial : "");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hexd[md[i] >> 4];
        out[2 * i + 1] = hexd[md[i] & 15];
    }
    out[16] = '\0';
    free(text);
    free(id);
    return 0;
}

/* ---- checks ---- */

static int64_t or_default(int64_t v, int64_t dflt)
{
    return v == VERIFY_MISSING ? dflt : v;
}

/* fixed_fmt(v, 3) of a thousandths value, into buf. */
static const char *e3(int64_t v, char *buf, size_t n)
{
    return fixed_fmt(v, 3, buf, n);
}

static bool blank(const char *s)
{
    return !s || !*s;
}

/* Parses "maj.min" (digits '.' digits, nothing else) into maj and min. */
static bool parse_cc(const char *s, long *maj, long *min)
{
    bool ok = s && *s >= '0' && *s <= '9';
    long a = 0, b = 0;
    const char *p = s;
    while (ok && *p >= '0' && *p <= '9' && a < 1000000)
        a = a * 10 + (*p++ - '0');
    ok = ok && *p == '.' && p[1] >= '0' && p[1] <= '9';
    if (ok)
        p++;
    while (ok && *p >= '0' && *p <= '9' && b < 1000000)
        b = b * 10 + (*p++ - '0');
    ok = ok && *p == '\0';
    *maj = a;
    *min = b;
    return ok;
}

static void check_identity(const struct verify_registered *reg, const struct verify_report *rep,
                           const char *trusted_serial, struct verify_check *c)
{
    char hv[32], rv[32];
    int64_t host_mgb = reg->total_vram_mgb, rep_mgb = or_default(rep->total_vram_mgb, 0);
    char *hi = ident_dup(reg->gpu_model), *ri = ident_dup(rep->gpu_model);
    bool model_ok = *hi && *ri && strcmp(hi, ri) == 0;
    int64_t pct_e2 = host_mgb > 0 ? fixed_rhu128((__int128)rep_mgb * 10000, host_mgb) : 0;
    bool vram_ok = host_mgb > 0 && (__int128)rep_mgb * 100 >= (__int128)host_mgb * VERIFY_MIN_VRAM_PCT;
    bool serial_ok = blank(trusted_serial) || (rep->serial && strcmp(rep->serial, trusted_serial) == 0);
    char pct[32];
    c->passed = model_ok && vram_ok && serial_ok;
    c->expected = xasprintf("%s / %sGB", reg->gpu_model ? reg->gpu_model : "",
                            vram_fmt(host_mgb, hv, sizeof hv));
    c->actual = xasprintf("%s / %sGB", rep->gpu_model ? rep->gpu_model : "",
                          vram_fmt(rep_mgb, rv, sizeof rv));
    snprintf(pct, sizeof pct, "%s%lld.%02lld", pct_e2 < 0 ? "-" : "", llabs(pct_e2) / 100,
             llabs(pct_e2) % 100);
    c->details = xasprintf("Model match: %s, VRAM: %s%%", model_ok ? "true" : "false", pct);
    free(ri);
    free(hi);
}

static void check_cuda(const struct verify_report *rep, struct verify_check *c)
{
    long maj = 0, min = 0;
    const char *why = "";
    if (blank(rep->cuda_version))
        why = "CUDA version missing";
    else if (blank(rep->driver_version))
        why = "driver version missing";
    else if (!parse_cc(rep->compute_capability, &maj, &min))
        why = "compute capability unparseable";
    else if (maj < VERIFY_MIN_CC_MAJOR || (maj == VERIFY_MIN_CC_MAJOR && min < VERIFY_MIN_CC_MINOR))
        why = "compute capability below 7.0";
    c->passed = !*why;
    c->expected = xstrdup("CUDA and driver present, compute capability >= 7.0");
    c->actual = xasprintf("CUDA %s, driver %s, compute capability %s",
                          rep->cuda_version ? rep->cuda_version : "",
                          rep->driver_version ? rep->driver_version : "",
                          rep->compute_capability ? rep->compute_capability : "");
    c->details = xstrdup(why);
}

static void check_pcie(const struct verify_report *rep, struct verify_check *c)
{
    char b[32];
    int64_t v = or_default(rep->pcie_gbps_e3, 0);
    c->passed = v >= VERIFY_MIN_PCIE_GBPS_E3;
    c->expected = xstrdup(">= 8.0 GB/s");
    c->actual = xasprintf("%s GB/s", e3(v, b, sizeof b));
    c->details = xstrdup("");
}

static void check_thermal(const struct verify_report *rep, struct verify_check *c)
{
    char b[32];
    bool measured = rep->temp_c_e3 != VERIFY_MISSING;
    c->passed = measured && rep->temp_c_e3 <= VERIFY_MAX_TEMP_C_E3;
    c->expected = xstrdup("<= 90.0 C");
    c->actual = measured ? xasprintf("%s C", e3(rep->temp_c_e3, b, sizeof b)) : xstrdup("not measured");
    c->details = xstrdup(measured ? "" : "not measured");
}

static void check_network(const struct verify_report *rep, struct verify_check *c)
{
    char l[32], j[32], t[32];
    int64_t loss = or_default(rep->packet_loss_pct_e3, 100000);
    int64_t jitter = or_default(rep->jitter_ms_e3, 999000);
    int64_t thr = or_default(rep->throughput_mbps_e3, 0);
    c->passed = loss <= VERIFY_MAX_LOSS_PCT_E3 && jitter <= VERIFY_MAX_JITTER_MS_E3 &&
                thr >= VERIFY_MIN_THROUGHPUT_MBPS_E3;
    c->expected = xstrdup("loss <= 2.0%, jitter <= 50.0ms, throughput >= 100.0Mbps");
    c->actual = xasprintf("loss %s%%, jitter %sms, throughput %sMbps", e3(loss, l, sizeof l),
                          e3(jitter, j, sizeof j), e3(thr, t, sizeof t));
    c->details = xstrdup("");
}

static void check_memory(const struct verify_report *rep, struct verify_check *c)
{
    char b[32];
    bool skipped = or_default(rep->torch_allocated_bytes, 0) == 0 &&
                   or_default(rep->torch_reserved_bytes, 0) == 0;
    int64_t frag = or_default(rep->fragmentation_pct_e3, 0);
    c->passed = skipped || frag < VERIFY_MAX_FRAG_PCT_E3;
    c->expected = xstrdup("< 50.0%");
    c->actual = skipped ? xstrdup("not measured") : xasprintf("%s%%", e3(frag, b, sizeof b));
    c->details = xstrdup(skipped ? "check skipped" : "");
}

static void check_security(const struct verify_report *rep, const struct admit_minimums *min,
                           struct verify_check *c)
{
    struct buf why = BUF_INIT;
    struct admit_result ar;
    c->passed = false;
    if (!rep->versions || !json_is_object(rep->versions))
        buf_puts(&why, "no versions reported");
    else if (admit_evaluate(rep->versions, NULL, NULL, min, &ar) != 0)
        buf_puts(&why, "admission minimums invalid");
    else {
        c->passed = ar.admitted;
        for (size_t i = 0; i < ar.nreasons; i++)
            buf_printf(&why, "%s%s", i ? "; " : "", ar.reasons[i]);
        admit_result_free(&ar);
    }
    c->expected = xstrdup("versions pass admission");
    c->actual = xstrdup(c->passed ? "admitted" : "not admitted");
    c->details = why.p ? buf_take(&why, NULL) : xstrdup("");
    buf_free(&why);
}

int verify_run_check(enum verify_check_id id, const struct verify_registered *reg,
                     const struct verify_report *rep, const char *trusted_serial,
                     const struct admit_minimums *min, struct verify_check *out)
{
    if ((unsigned)id >= VERIFY_CHECK__COUNT || !reg || !rep || !out)
        return XC_EINVAL;
    memset(out, 0, sizeof *out);
    out->id = id;
    switch (id) {
    case VERIFY_CHECK_GPU_IDENTITY:
        check_identity(reg, rep, trusted_serial, out);
        break;
    case VERIFY_CHECK_CUDA_READINESS:
        check_cuda(rep, out);
        break;
    case VERIFY_CHECK_PCIE_BANDWIDTH:
        check_pcie(rep, out);
        break;
    case VERIFY_CHECK_THERMAL_STABILITY:
        check_thermal(rep, out);
        break;
    case VERIFY_CHECK_NETWORK_QUALITY:
        check_network(rep, out);
        break;
    case VERIFY_CHECK_MEMORY_FRAGMENTATION:
        check_memory(rep, out);
        break;
    case VERIFY_CHECK_SECURITY_POSTURE:
    default:
        check_security(rep, min, out);
        break;
    }
    return 0;
}

void verify_check_free(struct verify_check *c)
{
    free(c->expected);
    free(c->actual);
    free(c->details);
    c->expected = c->actual = c->details = NULL;
}

int64_t verify_score_e2(int passed)
{
    return fixed_rhu((int64_t)passed * 10000, VERIFY_CHECK__COUNT);
}

/* ---- evaluation ---- */

int verify_evaluate(const struct verify_registered *reg, const struct verify_report *rep,
                    const struct verify_prior *prior, const struct admit_minimums *min,
                    int64_t now_us, struct verify_outcome *out)
{
    static const struct verify_prior none = {false, VERIFY_UNVERIFIED, NULL, NULL, VERIFY_NO_TIME,
                                             VERIFY_NO_TIME, VERIFY_NO_TIME};
    if (!reg || !rep || !out)
        return XC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!prior || !prior->exists)
        prior = &none;
    if (prior->state == VERIFY_DEVERIFIED && prior->cooldown_until_us != VERIFY_NO_TIME &&
        now_us < prior->cooldown_until_us)
        return 0; /* in cool-down: not evaluated */

    out->evaluated = true;
    const char *trusted = verify_state_counts_verified(prior->state) ? prior->serial : NULL;
    struct buf failed = BUF_INIT;
    for (int i = 0; i < VERIFY_CHECK__COUNT; i++) {
        verify_run_check((enum verify_check_id)i, reg, rep, trusted, min, &out->checks[i]);
        if (out->checks[i].passed)
            out->passed++;
        else
            buf_printf(&failed, "%s%s", failed.len ? ", " : "", check_names[i]);
    }
    out->score_e2 = verify_score_e2(out->passed);
    int64_t rep_mgb = or_default(rep->total_vram_mgb, 0);
    verify_fingerprint(rep->gpu_model, rep_mgb < 0 ? 0 : rep_mgb, rep->serial, out->fingerprint);
    out->drift = !blank(prior->fingerprint) && strcmp(prior->fingerprint, out->fingerprint) != 0;
    out->state = out->passed == VERIFY_CHECK__COUNT && !out->drift ? VERIFY_VERIFIED : VERIFY_DEVERIFIED;
    out->state_changed = out->state != prior->state;
    if (out->state == VERIFY_VERIFIED)
        out->deverify_reason = xstrdup("");
    else if (failed.len)
        out->deverify_reason = xasprintf("Failed checks: %s%s", failed.p,
                                         out->drift ? " + GPU fingerprint drift" : "");
    else
        out->deverify_reason = xstrdup("GPU fingerprint drift");
    buf_free(&failed);
    out->last_check_at_us = now_us;
    out->next_check_at_us = now_us + VERIFY_INTERVAL_US;
    out->reverify_due = false;
    if (out->state == VERIFY_VERIFIED) {
        out->verified_at_us = now_us;
        out->deverified_at_us = VERIFY_NO_TIME;
        out->cooldown_until_us = VERIFY_NO_TIME;
    } else {
        out->verified_at_us = prior->verified_at_us;
        out->deverified_at_us = now_us;
        out->cooldown_until_us = now_us + VERIFY_COOLDOWN_US;
    }
    return 0;
}

void verify_outcome_free(struct verify_outcome *o)
{
    for (int i = 0; i < VERIFY_CHECK__COUNT; i++)
        verify_check_free(&o->checks[i]);
    free(o->deverify_reason);
    o->deverify_reason = NULL;
}

/* ---- schedule, failures, admin ---- */

enum verify_due verify_schedule(enum verify_state s, int64_t next_check_at_us, int64_t now_us)
{
    enum verify_due d = VERIFY_DUE_NONE;
    if (s == VERIFY_VERIFIED && next_check_at_us <= now_us)
        d = VERIFY_DUE_MARK;
    else if (s == VERIFY_VERIFYING && now_us >= next_check_at_us + VERIFY_INTERVAL_US)
        d = VERIFY_DUE_OVERDUE;
    return d;
}

int verify_failures_in_window(const int64_t *failed_at_us, size_t n, int64_t now_us)
{
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (failed_at_us[i] >= now_us - VERIFY_FAILURE_WINDOW_US)
            count++;
    return count;
}

bool verify_failure_trips(enum verify_state s, int count)
{
    return verify_state_counts_verified(s) && count >= VERIFY_FAILURE_THRESHOLD;
}

char *verify_failure_reason(int count)
{
    return xasprintf("Exceeded failure threshold: %d failures in %llds window", count,
                     (long long)(VERIFY_FAILURE_WINDOW_US / SEC));
}

char *verify_admin_approve_note(const char *notes)
{
    return xasprintf("Admin approved: %s", notes ? notes : "");
}

char *verify_admin_reject_reason(const char *reason)
{
    return xasprintf("Admin: %s", reason ? reason : "");
}
