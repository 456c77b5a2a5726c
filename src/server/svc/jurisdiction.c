/* Jurisdiction records and the trust tier of hosts (domain §20): the admin-attested record, the
 * host's classification (core/trust trust_classify) and the scheduler's per-host masks. */
#include "server/svc/jurisdiction.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsonx.h"
#include "server/app.h"
#include "server/svc/tx.h"
#include "store/store.h"

void juris_trust_host(const struct host *h, const struct juris_row *rec, struct trust_record *tr,
                      struct trust_host *th)
{
    memset(th, 0, sizeof *th);
    th->country = h->country;
    th->province = h->province;
    if (verify_state_parse(h->verification_state, &th->verification) < 0)
        th->verification = VERIFY_UNVERIFIED;
    if (!rec)
        return;
    *tr = (struct trust_record){.country = rec->country,
                                .province = rec->province,
                                .city = rec->city,
                                .data_center_name = rec->data_center_name,
                                .data_center_class = rec->data_center_class,
                                .operator_name = rec->operator_name,
                                .operator_incorporated_in = rec->operator_incorporated_in,
                                .operator_registered_canada = rec->operator_registered_canada,
                                .foreign_control = rec->foreign_control,
                                .sovereignty_vetted = rec->sovereignty_vetted,
                                .supports_audit_trail = rec->supports_audit_trail,
                                .supports_data_residency = rec->supports_data_residency};
    th->record = tr;
}

static enum jobstate_trust classify(const struct host *h, const struct juris_row *rec)
{
    struct trust_record tr;
    struct trust_host th;
    juris_trust_host(h, rec, &tr, &th);
    return trust_classify(&th);
}

int juris_reclassify(struct host *h)
{
    struct juris_row rec;
    int rc = tstore_juris_get(g_app->store, h->host_id, &rec);
    if (rc < 0 && rc != XC_ENOTFOUND)
        return rc;
    enum jobstate_trust t = classify(h, rc == 0 ? &rec : NULL);
    snprintf(h->trust_tier, sizeof h->trust_tier, "%s", jobstate_trust_name(t));
    return 0;
}

int juris_reclassify_id(const char *host_id)
{
    struct host h;
    int rc = store_host_get(g_app->store, host_id, &h);
    if (rc < 0)
        return rc == XC_ENOTFOUND ? 0 : rc;
    char before[sizeof h.trust_tier];
    memcpy(before, h.trust_tier, sizeof before);
    if ((rc = juris_reclassify(&h)) == 0 && strcmp(before, h.trust_tier) != 0)
        rc = store_host_put(g_app->store, &h);
    host_free(&h);
    return rc;
}

/* Copies a string field when given. */
static void take_str(const json_t *f, const char *name, char *dst, size_t n, bool upper)
{
    const json_t *v = json_object_get(f, name);
    if (!json_is_string(v))
        return;
    snprintf(dst, n, "%s", json_string_value(v));
    if (upper)
        for (char *p = dst; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
}

static void take_bool(const json_t *f, const char *name, bool *dst)
{
    const json_t *v = json_object_get(f, name);
    if (json_is_boolean(v))
        *dst = json_is_true(v);
}

int juris_put(const char *host_id, const json_t *f, const char *actor, int64_t now, struct juris_row *out,
              enum jobstate_trust *tier, struct svc_err *e)
{
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    struct host h;
    if ((rc = store_host_get(g_app->store, host_id, &h)) < 0) {
        tx_rollback();
        return rc == XC_ENOTFOUND ? svc_fail(e, 404, "Host %s not found", host_id) : rc;
    }
    struct juris_row j;
    rc = tstore_juris_get(g_app->store, host_id, &j);
    if (rc == XC_ENOTFOUND) {
        memset(&j, 0, sizeof j);
        snprintf(j.host_id, sizeof j.host_id, "%s", host_id);
        rc = 0;
    }
    if (rc < 0)
        goto fail;
    bool was_vetted = j.sovereignty_vetted;
    take_str(f, "country", j.country, sizeof j.country, true);
    take_str(f, "province", j.province, sizeof j.province, true);
    take_str(f, "city", j.city, sizeof j.city, false);
    take_str(f, "data_center_name", j.data_center_name, sizeof j.data_center_name, false);
    take_str(f, "data_center_class", j.data_center_class, sizeof j.data_center_class, false);
    take_str(f, "operator_name", j.operator_name, sizeof j.operator_name, false);
    take_str(f, "operator_incorporated_in", j.operator_incorporated_in, sizeof j.operator_incorporated_in, false);
    take_bool(f, "operator_registered_canada", &j.operator_registered_canada);
    take_bool(f, "foreign_control", &j.foreign_control);
    take_bool(f, "sovereignty_vetted", &j.sovereignty_vetted);
    take_bool(f, "supports_audit_trail", &j.supports_audit_trail);
    take_bool(f, "supports_data_residency", &j.supports_data_residency);
    if (j.sovereignty_vetted && !was_vetted)
        j.sovereignty_vetted_at = now;
    else if (!j.sovereignty_vetted)
        j.sovereignty_vetted_at = 0;
    snprintf(j.updated_by, sizeof j.updated_by, "%s", actor);
    j.updated_at = now;
    if ((rc = tstore_juris_put(g_app->store, &j)) < 0)
        goto fail;
    enum jobstate_trust t = classify(&h, &j);
    snprintf(h.trust_tier, sizeof h.trust_tier, "%s", jobstate_trust_name(t));
    if ((rc = store_host_put(g_app->store, &h)) < 0)
        goto fail;
    rc = tx_event("host.updated", "host", host_id, actor,
                  json_pack("{s:s,s:s,s:s,s:b}", "change", "jurisdiction", "trust_tier", h.trust_tier, "country",
                            j.country, "sovereignty_vetted", j.sovereignty_vetted));
    if (rc < 0)
        goto fail;
    tx_kick_scheduler(); /* a host may now meet a waiting job's tier */
    host_free(&h);
    if ((rc = tx_commit()) < 0)
        return rc;
    *out = j;
    *tier = t;
    return 0;
fail:
    host_free(&h);
    tx_rollback();
    return rc;
}

int juris_get(const char *host_id, struct juris_row *out, bool *exists, enum jobstate_trust *tier,
              struct svc_err *e)
{
    struct host h;
    int rc = store_host_get(g_app->store, host_id, &h);
    if (rc < 0)
        return rc == XC_ENOTFOUND ? svc_fail(e, 404, "Host %s not found", host_id) : rc;
    rc = tstore_juris_get(g_app->store, host_id, out);
    *exists = rc == 0;
    if (rc == XC_ENOTFOUND) {
        memset(out, 0, sizeof *out);
        snprintf(out->host_id, sizeof out->host_id, "%s", host_id);
        rc = 0;
    }
    if (rc == 0)
        *tier = classify(&h, *exists ? out : NULL);
    host_free(&h);
    return rc;
}

/* ---- scheduler support ---- */

int juris_index_load(struct juris_index *ix)
{
    return tstore_juris_list(g_app->store, &ix->rows, &ix->n);
}

void juris_index_free(struct juris_index *ix)
{
    free(ix->rows);
    ix->rows = NULL;
    ix->n = 0;
}

static int row_cmp(const void *key, const void *elt)
{
    return strcmp(key, ((const struct juris_row *)elt)->host_id);
}

const struct juris_row *juris_index_find(const struct juris_index *ix, const char *host_id)
{
    if (!ix || ix->n == 0)
        return NULL;
    return bsearch(host_id, ix->rows, ix->n, sizeof *ix->rows, row_cmp);
}

uint32_t juris_ok_mask(const struct juris_index *ix, const struct host *h, bool canada_only)
{
    struct trust_record tr;
    struct trust_host th;
    juris_trust_host(h, juris_index_find(ix, h->host_id), &tr, &th);
    return trust_ok_mask(&th, canada_only);
}

struct trust_verdict juris_verdict(const struct juris_index *ix, const struct host *h, enum jobstate_trust t,
                                   bool canada_only)
{
    struct trust_record tr;
    struct trust_host th;
    juris_trust_host(h, juris_index_find(ix, h->host_id), &tr, &th);
    struct trust_constraint c = trust_constraint_for(t, canada_only);
    return trust_check(&c, &th);
}

struct trust_verdict juris_check(const struct juris_index *ix, const struct host *h, const struct trust_constraint *c)
{
    struct trust_record tr;
    struct trust_host th;
    juris_trust_host(h, juris_index_find(ix, h->host_id), &tr, &th);
    return trust_check(c, &th);
}

int juris_filter_hosts(const struct trust_constraint *c, struct host **out, size_t *n, json_t *rejected)
{
    struct host *hosts = NULL;
    size_t nh = 0, kept = 0;
    struct juris_index ix = {0};
    int rc = store_host_list(g_app->store, true, &hosts, &nh);
    if (rc == 0 && (rc = juris_index_load(&ix)) < 0) {
        for (size_t i = 0; i < nh; i++)
            host_free(&hosts[i]);
        free(hosts);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nh; i++) {
        struct trust_verdict v = juris_check(&ix, &hosts[i], c);
        if (v.ok) {
            hosts[kept++] = hosts[i];
            continue;
        }
        if (rejected)
            json_array_append_new(rejected, json_pack("{s:s,s:o}", "host_id", hosts[i].host_id, "reason",
                                                      jx_str_lossy(v.reason)));
        host_free(&hosts[i]);
    }
    juris_index_free(&ix);
    *out = hosts;
    *n = kept;
    return 0;
}
