/* Provider accounts and payouts (see providers.h): registration (with Stripe Connect
 * onboarding, or a stub), incorporation review, earnings, and payouts paid exactly once. */
#include "server/svc/providers.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/hex.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "core/provider.h"
#include "core/tax.h"
#include "server/app.h"
#include "server/svc/accounts.h"
#include "server/svc/billing_svc.h"
#include "server/svc/reputation.h"
#include "server/svc/stripe.h"
#include "server/svc/tx.h"

#define S() (g_app->store)

static void sha256_hex(const char *s, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, strlen(s), d);
    hex_encode(d, sizeof d, out);
}

static int finish(int rc)
{
    if (rc < 0) {
        tx_rollback();
        return rc;
    }
    return tx_commit();
}

/* ---- registration ---- */

/* Checks and normalises the registration fields into p (400 with the reason on bad input). */
static int register_fields(const struct prov_register_in *in, const struct acct_user *u, struct provider *p,
                           struct svc_err *e)
{
    if (provider_type_parse(in->provider_type ? in->provider_type : "individual", &p->type) < 0)
        return svc_fail(e, 400, "provider_type must be individual or company");
    const char *corp = in->corporation_name ? in->corporation_name : "";
    while (*corp == ' ')
        corp++;
    if (p->type == PROVIDER_TYPE_COMPANY && !*corp)
        return svc_fail(e, 400, "corporation_name required for company providers");
    snprintf(p->corporation_name, sizeof p->corporation_name, "%s", corp);
    snprintf(p->legal_name, sizeof p->legal_name, "%s", in->legal_name ? in->legal_name : "");
    if (in->business_number && *in->business_number &&
        provider_bn_normalise(in->business_number, p->business_number, sizeof p->business_number) < 0)
        return svc_fail(e, 400,
                        "Invalid business_number: expected the 9-digit business number (123456789) or a "
                        "program account (123456789RC0001)");
    if (in->gst_hst_number && *in->gst_hst_number &&
        provider_gst_normalise(in->gst_hst_number, p->gst_hst_number, sizeof p->gst_hst_number) < 0)
        return svc_fail(e, 400,
                        "Invalid gst_hst_number: expected the 9-digit business number, RT and 4 digits "
                        "(123456789RT0001)");
    if (p->business_number[0] && p->gst_hst_number[0] && !provider_gst_matches_bn(p->gst_hst_number, p->business_number))
        return svc_fail(e, 400, "gst_hst_number does not belong to business_number");
    const char *prov = in->province ? in->province : "";
    if (*prov && !tax_is_province(prov))
        return svc_fail(e, 400, "province must be one of the 13 province and territory codes, or empty");
    for (size_t i = 0; prov[i] && i + 1 < sizeof p->province; i++)
        p->province[i] = (char)(prov[i] >= 'a' && prov[i] <= 'z' ? prov[i] - 32 : prov[i]);
    const char *email = in->email && *in->email ? in->email : u->email;
    struct acct_result res;
    char norm[ACCT_EMAIL_MAX + 1];
    if (accounts_email_normalise(email, norm, &res) < 0)
        return svc_fail(e, 400, "%s", res.msg[0] ? res.msg : "Invalid email");
    snprintf(p->email, sizeof p->email, "%s", norm);
    snprintf(p->country, sizeof p->country, "CA");
    return 0;
}

/* The Connect account and its onboarding link, or the stub of both. Outside any transaction. */
static int onboarding(const struct acct_user *u, struct prov_register_out *out, struct svc_err *e)
{
    struct provider *p = &out->provider;
    const char *base = g_app->cfg.public_url;
    if (!stripe_enabled()) {
        out->stub = true;
        snprintf(p->stripe_account_id, sizeof p->stripe_account_id, "acct_stub_%.8s", p->provider_id + 5);
        snprintf(out->onboarding_url, sizeof out->onboarding_url, "%s/dashboard#provider=%s", base, p->provider_id);
        return 0;
    }
    /* Keyed on the user and e-mail: a retried registration gets the same Stripe account. */
    char seed[512], key[65], refresh[600], ret[600];
    snprintf(seed, sizeof seed, "xcelsior/account/%s/%s", u->user_id, p->email);
    sha256_hex(seed, key);
    if (stripe_account_create(p->email, key, p->stripe_account_id, sizeof p->stripe_account_id, e) < 0)
        return -1;
    snprintf(refresh, sizeof refresh, "%s/dashboard?provider=%s&onboarding=refresh", base, p->provider_id);
    snprintf(ret, sizeof ret, "%s/dashboard?provider=%s&onboarding=complete", base, p->provider_id);
    snprintf(seed, sizeof seed, "xcelsior/account_link/%s/%s", p->stripe_account_id, p->provider_id);
    sha256_hex(seed, key);
    return stripe_account_link(p->stripe_account_id, refresh, ret, key, out->onboarding_url,
                               sizeof out->onboarding_url, e);
}

/* Gives the provider the payout rows accrued for its user's hosts, with the GST/HST its own
 * registration decides. In a transaction. */
static int attach_payouts(const struct provider *p)
{
    struct payout_row *rows = NULL;
    size_t n = 0;
    int rc = pstore_payouts_unattached(S(), p->user_id, &rows, &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct host h;
        bool hfound = rows[i].host_id[0] && store_host_get(S(), rows[i].host_id, &h) == 0;
        int64_t gst = rows[i].gst_hst;
        rc = bsvc_payout_gst(rows[i].provider_payout, p, hfound ? &h : NULL, rows[i].created_at, &gst);
        if (hfound)
            host_free(&h);
        if (rc == 0)
            rc = pstore_payout_attach(S(), rows[i].payout_id, p->provider_id, gst);
    }
    free(rows);
    return rc;
}

int providers_register(const struct prov_register_in *in, int64_t now, struct prov_register_out *out,
                       struct svc_err *e)
{
    memset(out, 0, sizeof *out);
    struct provider *p = &out->provider;
    struct acct_user u;
    struct provider existing;
    int rc = accounts_me(in->user_id, &u);
    if (rc < 0)
        return rc == XC_ENOTFOUND ? svc_fail(e, 401, "Not authenticated") : rc;
    if ((rc = register_fields(in, &u, p, e)) < 0)
        return rc;
    rc = pstore_provider_by_user(S(), u.user_id, &existing);
    if (rc == 0 || u.provider_id[0])
        return svc_fail(e, 409, "Provider account already exists");
    if (rc != XC_ENOTFOUND)
        return rc;
    char hex[33];
    ids_hex128(hex);
    snprintf(p->provider_id, sizeof p->provider_id, "prov-%s", hex);
    snprintf(p->user_id, sizeof p->user_id, "%s", u.user_id);
    p->status = PROVIDER_ONBOARDING;
    p->created_at = p->updated_at = now;
    if (onboarding(&u, out, e) < 0)
        return -1;

    if ((rc = tx_begin()) < 0)
        return rc;
    rc = pstore_provider_insert(S(), p);
    if (rc == XC_ECONFLICT) {
        tx_rollback();
        return svc_fail(e, 409, "Provider account already exists");
    }
    if (rc == 0)
        rc = accounts_bind_provider(u.user_id, p->provider_id, now);
    if (rc == 0)
        rc = attach_payouts(p);
    if (rc == 0)
        rc = tx_event("provider.registered", "provider", p->provider_id, u.user_id,
                      json_pack("{s:s,s:s,s:s,s:b}", "provider_id", p->provider_id, "user_id", u.user_id, "type",
                                provider_type_name(p->type), "stub", out->stub));
    if (rc == 0)
        tx_sse("provider_registered",
               json_pack("{s:s,s:s}", "provider_id", p->provider_id, "type", provider_type_name(p->type)));
    if (rc == XC_ECONFLICT) { /* the user was bound to another provider meanwhile */
        tx_rollback();
        return svc_fail(e, 409, "Provider account already exists");
    }
    return finish(rc);
}

/* ---- incorporation ---- */

static int load(const char *provider_id, struct provider *p, struct svc_err *e)
{
    int rc = pstore_provider_get(S(), provider_id, p);
    if (rc == XC_ENOTFOUND)
        return svc_fail(e, 404, "Provider %s not found", provider_id);
    return rc;
}

int providers_incorporation(const char *provider_id, const char *file_id, int64_t now, struct provider *out,
                            struct svc_err *e)
{
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if ((rc = load(provider_id, out, e)) == 0) {
        snprintf(out->incorporation_file_id, sizeof out->incorporation_file_id, "%s", file_id);
        snprintf(out->incorporation_status, sizeof out->incorporation_status, "pending");
        out->updated_at = now;
        rc = pstore_provider_update(S(), out);
        if (rc == 0)
            rc = tx_event("provider.incorporation_submitted", "provider", provider_id, out->user_id,
                          json_pack("{s:s,s:s}", "provider_id", provider_id, "file_id", file_id));
    }
    return finish(rc);
}

int providers_incorporation_approve(const char *provider_id, const char *actor, int64_t now, struct svc_err *e)
{
    struct provider p;
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if ((rc = load(provider_id, &p, e)) == 0) {
        if (!p.incorporation_file_id[0]) {
            tx_rollback();
            return svc_fail(e, 400, "Provider %s has not submitted an incorporation document", provider_id);
        }
        snprintf(p.incorporation_status, sizeof p.incorporation_status, "approved");
        p.updated_at = now;
        rc = pstore_provider_update(S(), &p);
        if (rc == 0)
            rc = tx_event("provider.incorporation_approved", "provider", provider_id, actor,
                          json_pack("{s:s,s:s}", "provider_id", provider_id, "file_id", p.incorporation_file_id));
        struct acct_user u; /* domain §19.2: the provider's user entity (its customer id) */
        int ur = rc == 0 ? astore_user_get(S(), p.user_id, &u) : XC_ENOTFOUND;
        if (ur < 0 && ur != XC_ENOTFOUND)
            rc = ur;
        else if (ur == 0 && u.customer_id[0])
            rc = reputation_grant(REP_ENTITY_USER, u.customer_id, REP_VER_INCORPORATION, actor, now);
    }
    return finish(rc);
}

/* ---- earnings ---- */

int providers_earnings(const char *provider_id, int limit, struct provider_earnings *out,
                       struct payout_row **recent, size_t *n)
{
    int rc = pstore_earnings(S(), provider_id, out);
    if (rc == 0)
        rc = pstore_payouts_recent(S(), provider_id, limit, recent, n);
    return rc;
}

int providers_gst_threshold(const char *provider_id, int64_t now, tax_threshold *out)
{
    int64_t bounds[TAX_THRESHOLD_QUARTERS + 1], sums[TAX_THRESHOLD_QUARTERS];
    tax_threshold_window(now, bounds);
    int rc = pstore_payouts_by_quarter(S(), provider_id, bounds, TAX_THRESHOLD_QUARTERS, sums);
    if (rc < 0)
        return rc;
    return tax_threshold_assess(sums, TAX_THRESHOLD_PROVIDER, out) == MONEY_OK ? 0 : XC_EINVAL;
}

/* ---- payouts ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SHA-256 (hex) of the sorted payout ids, one per line: the same set of rows always asks
 * Stripe with the same Idempotency-Key. */
static void ids_key(const struct payout_row *rows, size_t n, char out[65])
{
    const char **ids = xmalloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].payout_id;
    qsort(ids, n, sizeof *ids, cmp_str);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; i < n; i++) {
        EVP_DigestUpdate(c, ids[i], strlen(ids[i]));
        EVP_DigestUpdate(c, "\n", 1);
    }
    EVP_DigestFinal_ex(c, d, &dl);
    EVP_MD_CTX_free(c);
    hex_encode(d, 32, out);
    free(ids);
}

/* Keeps the rows whose ids are listed (each must be a payout of the provider: 404 otherwise);
 * rows already paid or claimed are simply not among rows. Compacts rows in place. */
static int select_ids(const char *provider_id, const char *const *ids, size_t nids, struct payout_row *rows,
                      size_t *n, struct svc_err *e)
{
    for (size_t k = 0; k < nids; k++) {
        struct payout_row p;
        int rc = pstore_payout_get(S(), ids[k], &p);
        if (rc == XC_ENOTFOUND || (rc == 0 && strcmp(p.provider_id, provider_id) != 0))
            return svc_fail(e, 404, "Payout %s not found", ids[k]);
        if (rc < 0)
            return rc;
    }
    size_t keep = 0;
    for (size_t i = 0; i < *n; i++) {
        bool wanted = false;
        for (size_t k = 0; k < nids && !wanted; k++)
            wanted = strcmp(rows[i].payout_id, ids[k]) == 0;
        if (wanted)
            rows[keep++] = rows[i];
    }
    *n = keep;
    return 0;
}

/* Marks the transfer's rows paid and leaves the carry behind. In a transaction. */
static int settle_transfer(const struct provider *p, const struct payout_transfer *t, const char *reference,
                           const char *actor, int64_t now, int *paid)
{
    int rc = pstore_payouts_mark_paid(S(), t->transfer_id, now, paid);
    if (rc == 0)
        rc = pstore_transfer_mark_paid(S(), t->transfer_id, reference, now);
    if (rc == 0 && t->carry != 0) {
        struct payout_row c = {0};
        char hex[33];
        bool ins;
        ids_hex128(hex);
        snprintf(c.payout_id, sizeof c.payout_id, "PAY-%s", hex);
        snprintf(c.provider_id, sizeof c.provider_id, "%s", p->provider_id);
        snprintf(c.host_owner, sizeof c.host_owner, "%s", p->user_id);
        snprintf(c.billing_id, sizeof c.billing_id, "%s", t->transfer_id);
        snprintf(c.kind, sizeof c.kind, "carry");
        c.provider_payout = t->carry;
        snprintf(c.status, sizeof c.status, "pending");
        c.created_at = now;
        rc = bstore_payout_insert(S(), &c, &ins);
    }
    if (rc == 0)
        rc = tx_event("provider.payout_paid", "provider", p->provider_id, actor,
                      json_pack("{s:s,s:s,s:I,s:I,s:i,s:s}", "provider_id", p->provider_id, "transfer_id",
                                t->transfer_id, "amount_ucad", (json_int_t)t->amount, "carry_ucad",
                                (json_int_t)t->carry, "payouts", *paid, "reference", reference));
    return rc;
}

/* Asks Stripe for a claimed transfer (no lock held), then marks its rows paid, or gives them back
 * when Stripe refuses (-1 with e holding the refusal). The Idempotency-Key is the claim's: asking
 * again for the same claim can never move money twice. */
static int transfer_complete(const struct provider *p, const struct payout_transfer *t, const char *actor,
                             int64_t now, struct payout_result *out, struct svc_err *e)
{
    char group[48], tr_id[128];
    snprintf(group, sizeof group, "xc-%s", t->transfer_id);
    int src = stripe_transfer(t->amount / MONEY_UCAD_PER_CENT, p->stripe_account_id, group, p->provider_id,
                              t->payouts, t->idempotency_key, tr_id, sizeof tr_id, e);
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    if (src < 0) {
        rc = pstore_payouts_unclaim(S(), t->transfer_id);
        if (rc == 0)
            rc = pstore_transfer_delete(S(), t->transfer_id);
        if ((rc = finish(rc)) == 0)
            rc = -1;
        return rc;
    }
    snprintf(out->reference, sizeof out->reference, "%s", tr_id);
    return finish(settle_transfer(p, t, out->reference, actor, now, &out->paid));
}

int providers_resume_transfers(int64_t now)
{
    struct payout_transfer *ts = NULL;
    size_t n = 0;
    int rc = pstore_transfers_processing(S(), &ts, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct provider p;
        struct payout_result res = {0};
        struct svc_err e = {0};
        if (!stripe_enabled()) {
            log_warn("payouts: transfer %s of %s was in flight when the server stopped; it resumes once "
                     "XCELSIOR_STRIPE_SECRET_KEY is set again", ts[i].transfer_id, ts[i].provider_id);
            continue;
        }
        if ((rc = pstore_provider_get(S(), ts[i].provider_id, &p)) < 0)
            break;
        int r = transfer_complete(&p, &ts[i], "system", now, &res, &e);
        if (r < 0 && r != -1) {
            rc = r;
            break;
        }
        log_info("payouts: resumed transfer %s of %s: %s", ts[i].transfer_id, ts[i].provider_id,
                 r == 0 ? res.reference : "refused by Stripe, rows pending again");
    }
    free(ts);
    return rc;
}

int providers_payout(const char *provider_id, const char *const *ids, size_t nids, const char *reference,
                     const char *actor, int64_t now, struct payout_result *out, struct svc_err *e)
{
    memset(out, 0, sizeof *out);
    struct provider p;
    struct payout_row *rows = NULL;
    size_t n = 0;
    int64_t *amounts = NULL;
    struct payout_transfer t = {0};
    bool stripe = stripe_enabled();
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    /* Claim: select and mark under the one writer, so a concurrent call finds nothing left. */
    if ((rc = load(provider_id, &p, e)) < 0 || (rc = pstore_payouts_claimable(S(), provider_id, &rows, &n)) < 0 ||
        (ids && (rc = select_ids(provider_id, ids, nids, rows, &n, e)) < 0))
        goto fail;
    amounts = xmalloc((n ? n : 1) * sizeof *amounts);
    for (size_t i = 0; i < n; i++)
        if (provider_payout_due(rows[i].provider_payout, rows[i].gst_hst, &amounts[i]) != MONEY_OK) {
            rc = XC_EINVAL;
            goto fail;
        }
    if (n == 0 || money_payout_transfer(amounts, n, &t.amount, &t.carry) != MONEY_OK || t.amount <= 0) {
        tx_rollback(); /* nothing to pay (or nothing positive): nothing written */
        rc = 0;
        goto out;
    }
    ids_hex128(t.transfer_id);
    snprintf(t.provider_id, sizeof t.provider_id, "%s", provider_id);
    t.payouts = (int)n;
    ids_key(rows, n, t.idempotency_key);
    t.created_at = now;
    for (size_t i = 0; i < n && rc == 0; i++) {
        bool claimed;
        rc = pstore_payout_claim(S(), rows[i].payout_id, t.transfer_id, &claimed);
        if (rc == 0 && !claimed)
            rc = XC_ECONFLICT; /* cannot happen under the writer lock: refuse rather than guess */
    }
    if (rc < 0)
        goto fail;
    if (!stripe) {
        /* Stub mode: no money moves here; the operator's reference (or ours) records the payment. */
        if (reference && *reference)
            snprintf(out->reference, sizeof out->reference, "%s", reference);
        else
            snprintf(out->reference, sizeof out->reference, "stub-%.16s", t.transfer_id);
        if ((rc = pstore_transfer_insert(S(), &t)) < 0 ||
            (rc = settle_transfer(&p, &t, out->reference, actor, now, &out->paid)) < 0)
            goto fail;
        if ((rc = tx_commit()) < 0)
            goto out;
        out->total = t.amount;
        goto out;
    }
    if ((rc = pstore_transfer_insert(S(), &t)) < 0)
        goto fail;
    if ((rc = tx_commit()) < 0)
        goto out;

    if ((rc = transfer_complete(&p, &t, actor, now, out, e)) == 0)
        out->total = t.amount;
    goto out;
fail:
    tx_rollback();
out:
    if (rc < 0 || out->total == 0) {
        out->paid = 0;
        if (rc == 0)
            out->reference[0] = '\0';
    }
    free(amounts);
    free(rows);
    return rc;
}

/* ---- Stripe account state ---- */

int providers_account_updated(const char *stripe_account_id, bool enabled, int64_t now, bool *handled)
{
    struct provider p;
    *handled = false;
    int rc = tx_begin();
    if (rc < 0)
        return rc;
    rc = pstore_provider_by_stripe(S(), stripe_account_id, &p);
    if (rc == XC_ENOTFOUND) {
        tx_rollback();
        return 0;
    }
    *handled = rc == 0;
    if (rc == 0 && enabled && p.status != PROVIDER_ACTIVE) {
        p.status = PROVIDER_ACTIVE;
        if (!p.onboarded_at)
            p.onboarded_at = now;
        p.updated_at = now;
        rc = pstore_provider_update(S(), &p);
        if (rc == 0)
            rc = tx_event("provider.activated", "provider", p.provider_id, "stripe",
                          json_pack("{s:s,s:s}", "provider_id", p.provider_id, "stripe_account_id", stripe_account_id));
    }
    return finish(rc);
}
