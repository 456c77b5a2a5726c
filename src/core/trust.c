/* Trust tiers, jurisdiction classification, host_meets_constraint, residency trace and the
 * transparency report (domain §20, pure). */
#include "core/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fixed.h"
#include "common/units.h"
#include "common/xalloc.h"

#define DAY_US (INT64_C(86400) * SEC)
#define LOC_MAX 64

static const char *const reason_fmts[TRUST__COUNT] = {
#define X(id, fmt) fmt,
    TRUST_REASONS(X)
#undef X
};

static const char *const legal_type_names[TRUST_LEGAL__COUNT] = {
#define X(id, name) name,
    TRUST_LEGAL_TYPES(X)
#undef X
};

static const char *const legal_status_names[TRUST_LEGAL_ST__COUNT] = {
#define X(id, name) name,
    TRUST_LEGAL_STATUSES(X)
#undef X
};

static const char unknown[] = "unknown";

static const char *str(const char *s)
{
    return s ? s : "";
}

static const char *or_unknown(const char *s)
{
    return s && *s ? s : unknown;
}

/* Upper-cased copy of s (NULL = "") into buf, cut to bufsz − 1 bytes. */
static char *upper_copy(const char *s, char *buf, size_t bufsz)
{
    size_t i = 0;
    for (s = str(s); s[i] && i + 1 < bufsz; i++)
        buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
    buf[i] = '\0';
    return buf;
}

int trust_tier_requirements(enum jobstate_trust t, struct trust_requirements *out)
{
    if ((unsigned)t >= JOB_TRUST__COUNT || !out)
        return XC_EINVAL;
    out->requires_canada = t >= JOB_TRUST_RESIDENCY;
    out->requires_verified = t >= JOB_TRUST_RESIDENCY;
    out->requires_sovereignty_vetting = t >= JOB_TRUST_SOVEREIGNTY;
    out->requires_audit_trail = t >= JOB_TRUST_REGULATED;
    return 0;
}

bool trust_cloud_act_exposed(const struct trust_record *r)
{
    return !r || r->foreign_control || strcmp(str(r->operator_incorporated_in), "Canada") != 0;
}

/* The country the rules use: attested with a record, else declared; upper-cased. */
static const char *host_country(const struct trust_host *h, char *buf)
{
    return upper_copy(h->record ? h->record->country : h->country, buf, LOC_MAX);
}

static const char *host_province(const struct trust_host *h, char *buf)
{
    return upper_copy(h->record ? h->record->province : h->province, buf, LOC_MAX);
}

enum jobstate_trust trust_classify(const struct trust_host *h)
{
    enum jobstate_trust t = JOB_TRUST_COMMUNITY;
    const struct trust_record *r = h->record;
    if (r && strcasecmp(str(r->country), "CA") == 0 && verify_state_counts_verified(h->verification)) {
        t = JOB_TRUST_RESIDENCY;
        if (r->sovereignty_vetted && r->operator_registered_canada && !r->foreign_control &&
            !trust_cloud_act_exposed(r))
            t = r->supports_audit_trail ? JOB_TRUST_REGULATED : JOB_TRUST_SOVEREIGNTY;
    }
    return t;
}

struct trust_constraint trust_constraint_for(enum jobstate_trust t, bool global_canada_only)
{
    struct trust_constraint c = {0};
    if ((unsigned)t >= JOB_TRUST__COUNT)
        t = JOB_TRUST_REGULATED;
    c.canada_only = global_canada_only || t >= JOB_TRUST_RESIDENCY;
    c.require_verified = t >= JOB_TRUST_RESIDENCY;
    c.require_sovereignty = t >= JOB_TRUST_SOVEREIGNTY;
    c.require_audit_trail = t >= JOB_TRUST_REGULATED;
    c.min_tier = t;
    return c;
}

/* Fills the verdict for a failing rule; the format takes up to two strings. */
static void fail(struct trust_verdict *v, enum trust_reason code, const char *a, const char *b)
{
    v->ok = false;
    v->code = code;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(v->reason, sizeof v->reason, reason_fmts[code], a, b);
#pragma GCC diagnostic pop
}

static bool excluded(const struct trust_constraint *c, const char *country)
{
    char ex[LOC_MAX];
    bool found = false;
    for (size_t i = 0; i < c->nexclude && !found && *country; i++)
        found = strcmp(upper_copy(c->exclude_countries[i], ex, sizeof ex), country) == 0;
    return found;
}

struct trust_verdict trust_check(const struct trust_constraint *c, const struct trust_host *h)
{
    struct trust_verdict v = {true, TRUST_OK, "OK"};
    char country[LOC_MAX], province[LOC_MAX];
    const struct trust_record *r = h->record;
    bool verified = verify_state_counts_verified(h->verification);
    bool vetted = r && r->sovereignty_vetted, audit = r && r->supports_audit_trail;
    const char *sens = str(c->data_sensitivity);
    host_country(h, country);
    host_province(h, province);
    if (c->canada_only && strcmp(country, "CA") != 0)
        fail(&v, TRUST_CANADA_ONLY, or_unknown(country), NULL);
    else if (excluded(c, country))
        fail(&v, TRUST_COUNTRY_EXCLUDED, country, NULL);
    else if (c->province && *c->province && strcasecmp(c->province, province) != 0)
        fail(&v, TRUST_PROVINCE, c->province, or_unknown(province));
    else if (c->require_verified && !verified)
        fail(&v, TRUST_NOT_VERIFIED, NULL, NULL);
    else if (c->require_sovereignty && !vetted)
        fail(&v, TRUST_NOT_VETTED, NULL, NULL);
    else if (c->require_sovereignty && !r->operator_registered_canada)
        fail(&v, TRUST_NOT_REGISTERED_CA, NULL, NULL);
    else if (c->require_sovereignty && r->foreign_control)
        fail(&v, TRUST_FOREIGN_CONTROL, NULL, NULL);
    else if (c->require_audit_trail && !audit)
        fail(&v, TRUST_NO_AUDIT_TRAIL, NULL, NULL);
    else if (strcmp(sens, "sensitive") == 0 && (!r || strcasecmp(str(r->country), "CA") != 0))
        fail(&v, TRUST_SENSITIVE_NOT_CA, NULL, NULL);
    else if (strcmp(sens, "sensitive") == 0 && !verified)
        fail(&v, TRUST_SENSITIVE_NOT_VERIFIED, NULL, NULL);
    else if (strcmp(sens, "regulated") == 0 && !vetted)
        fail(&v, TRUST_REGULATED_NOT_VETTED, NULL, NULL);
    else if (strcmp(sens, "regulated") == 0 && !audit)
        fail(&v, TRUST_REGULATED_NO_AUDIT, NULL, NULL);
    else {
        enum jobstate_trust got = trust_classify(h);
        if (c->min_tier > got)
            fail(&v, TRUST_TIER_BELOW, jobstate_trust_name(c->min_tier), jobstate_trust_name(got));
    }
    return v;
}

uint32_t trust_ok_mask(const struct trust_host *h, bool global_canada_only)
{
    uint32_t mask = 0;
    for (int t = 0; t < JOB_TRUST__COUNT; t++) {
        struct trust_constraint c = trust_constraint_for((enum jobstate_trust)t, global_canada_only);
        if (trust_check(&c, h).ok)
            mask |= 1u << t;
    }
    return mask;
}

enum admit_runtime trust_runtime_for(enum jobstate_trust t, enum admit_runtime host_recommended)
{
    bool iso = (unsigned)t < JOB_TRUST__COUNT && jobstate_trust_isolation_preferred(t);
    return iso && admit_runtime_sandboxed(host_recommended) ? host_recommended : ADMIT_RT_RUNC;
}

/* ---- residency trace ---- */

struct trust_trace trust_residency_trace(const struct trust_host *h, int64_t started_at_us,
                                         int64_t completed_at_us)
{
    struct trust_trace t = {unknown, unknown, unknown, unknown, unknown, unknown, unknown,
                            false,   false,   false,   started_at_us, completed_at_us, false, 0};
    if (h && h->record) {
        const struct trust_record *r = h->record;
        t.country = or_unknown(r->country);
        t.province = or_unknown(r->province);
        t.city = or_unknown(r->city);
        t.data_center = or_unknown(r->data_center_name);
        t.data_center_class = or_unknown(r->data_center_class);
        t.operator_name = or_unknown(r->operator_name);
        t.operator_incorporated_in = or_unknown(r->operator_incorporated_in);
        t.operator_canadian_registered = r->operator_registered_canada;
        t.sovereignty_vetted = r->sovereignty_vetted;
    } else if (h) {
        t.country = or_unknown(h->country);
        t.province = or_unknown(h->province);
    }
    t.is_canadian_compute = strcasecmp(t.country, "CA") == 0;
    if (started_at_us != VERIFY_NO_TIME && completed_at_us != VERIFY_NO_TIME) {
        t.has_duration = true;
        t.duration_ms = fixed_rhu(completed_at_us - started_at_us, MSEC);
    }
    return t;
}

/* ---- legal requests, transparency ---- */

const char *trust_legal_type_name(enum trust_legal_type t)
{
    return (unsigned)t < TRUST_LEGAL__COUNT ? legal_type_names[t] : NULL;
}

int trust_legal_type_parse(const char *name, enum trust_legal_type *out)
{
    int rc = XC_EINVAL;
    for (int i = 0; name && i < TRUST_LEGAL__COUNT && rc != 0; i++)
        if (strcmp(name, legal_type_names[i]) == 0) {
            *out = (enum trust_legal_type)i;
            rc = 0;
        }
    return rc;
}

const char *trust_legal_status_name(enum trust_legal_status s)
{
    return (unsigned)s < TRUST_LEGAL_ST__COUNT ? legal_status_names[s] : NULL;
}

int trust_legal_status_parse(const char *name, enum trust_legal_status *out)
{
    int rc = XC_EINVAL;
    for (int i = 0; name && i < TRUST_LEGAL_ST__COUNT && rc != 0; i++)
        if (strcmp(name, legal_status_names[i]) == 0) {
            *out = (enum trust_legal_status)i;
            rc = 0;
        }
    return rc;
}

int trust_legal_respond(enum trust_legal_status from, enum trust_legal_status *to)
{
    int rc = XC_ECONFLICT;
    if (from == TRUST_LEGAL_ST_RECEIVED) {
        *to = TRUST_LEGAL_ST_RESPONDED;
        rc = 0;
    }
    return rc;
}

bool trust_jurisdiction_foreign(const char *j)
{
    return !(j && (strcasecmp(j, "CA") == 0 || strcasecmp(j, "Canada") == 0));
}

#define NOTE_HEAD                                                                                  \
    "Xcelsior is a Canadian-controlled entity. All data resides in Canadian jurisdiction. "        \
    "Foreign legal process requires MLAT through Canadian courts. "

char *trust_cloud_act_note(size_t n)
{
    return n == 0 ? xstrdup(NOTE_HEAD "No US CLOUD Act compelled disclosure has been made.")
                  : xasprintf(NOTE_HEAD "%zu disclosure(s) to foreign authorities were made in this "
                                        "period; see disclosures.",
                              n);
}

static int count_cmp(const void *a, const void *b)
{
    return strcmp(((const struct trust_count *)a)->name, ((const struct trust_count *)b)->name);
}

int trust_transparency_report(const struct trust_legal_request *req, size_t nreq,
                              const struct trust_disclosure *dis, size_t ndis, int months,
                              int64_t now_us, struct trust_transparency *out)
{
    if (!out || months < 1 || (nreq && !req) || (ndis && !dis))
        return XC_EINVAL;
    memset(out, 0, sizeof *out);
    out->window_start_us = now_us - (int64_t)months * 30 * DAY_US;
    out->by_jurisdiction = xcalloc(nreq ? nreq : 1, sizeof *out->by_jurisdiction);
    for (size_t i = 0; i < nreq; i++) {
        const struct trust_legal_request *q = &req[i];
        if (q->received_at_us < out->window_start_us || q->received_at_us > now_us)
            continue;
        out->requests_received++;
        out->complied += q->complied;
        out->challenged += q->challenged;
        out->pending += q->status == TRUST_LEGAL_ST_RECEIVED;
        if ((unsigned)q->type < TRUST_LEGAL__COUNT)
            out->by_type[q->type]++;
        const char *j = str(q->jurisdiction);
        size_t k = 0;
        while (k < out->njurisdictions && strcmp(out->by_jurisdiction[k].name, j) != 0)
            k++;
        if (k == out->njurisdictions)
            out->by_jurisdiction[out->njurisdictions++].name = j;
        out->by_jurisdiction[k].count++;
    }
    qsort(out->by_jurisdiction, out->njurisdictions, sizeof *out->by_jurisdiction, count_cmp);
    for (size_t i = 0; i < ndis; i++)
        if (dis[i].disclosed_at_us >= out->window_start_us && dis[i].disclosed_at_us <= now_us) {
            out->data_disclosures++;
            out->foreign_disclosures += trust_jurisdiction_foreign(dis[i].authority_jurisdiction);
        }
    out->cloud_act_note = trust_cloud_act_note(out->foreign_disclosures);
    return 0;
}

void trust_transparency_free(struct trust_transparency *t)
{
    free(t->by_jurisdiction);
    free(t->cloud_act_note);
    t->by_jurisdiction = NULL;
    t->cloud_act_note = NULL;
    t->njurisdictions = 0;
}
