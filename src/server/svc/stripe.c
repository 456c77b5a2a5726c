/* The Stripe API client (see stripe.h). Requests are built from (key, value) pairs, each
 * percent-encoded; responses are read into a bounded buffer and parsed with jansson. */
#include "server/svc/stripe.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "server/app.h"

#define STRIPE_MAX_RESPONSE (1 << 20)
#define STRIPE_CONNECT_TIMEOUT_S 5L
#define STRIPE_TIMEOUT_S 20L

void stripe_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool stripe_enabled(void)
{
    return g_app->cfg.stripe_secret_key && g_app->cfg.stripe_secret_key[0];
}

bool stripe_webhook_enabled(void)
{
    return g_app->cfg.stripe_webhook_secret && g_app->cfg.stripe_webhook_secret[0];
}

/* A refusal with the message every caller shows: "Payment provider error: <what>". */
static int fail(struct svc_err *e, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct svc_err *e, unsigned status, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return svc_fail(e, status, "Payment provider error: %s", msg);
}

/* Appends key=value, both percent-encoded (brackets in keys included: Stripe decodes them). */
static void form_add(CURL *c, struct buf *b, const char *key, const char *value)
{
    char *k = curl_easy_escape(c, key, 0), *v = curl_easy_escape(c, value ? value : "", 0);
    buf_printf(b, "%s%s=%s", b->len ? "&" : "", k ? k : "", v ? v : "");
    curl_free(k);
    curl_free(v);
}

/* POSTs the form (pairs: key, value, …, NULL) to path; *out (new reference) is the parsed
 * object of a 2xx answer. Returns 0 or -1 with e filled. */
static int stripe_post(const char *path, const char *idempotency_key, json_t **out, struct svc_err *e, ...)
{
    *out = NULL;
    if (!stripe_enabled())
        return fail(e, 503, "Stripe is not configured");
    CURL *c = curl_easy_init();
    if (!c)
        return fail(e, 502, "cannot start an HTTP request");
    struct buf form = BUF_INIT, resp = {.max = STRIPE_MAX_RESPONSE};
    va_list ap;
    va_start(ap, e);
    for (const char *k; (k = va_arg(ap, const char *));) {
        const char *v = va_arg(ap, const char *);
        form_add(c, &form, k, v);
    }
    va_end(ap);

    char url[512], auth[512], idem[320];
    snprintf(url, sizeof url, "%s%s", g_app->cfg.stripe_api_base, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", g_app->cfg.stripe_secret_key);
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", idempotency_key);
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, auth);
    hdr = curl_slist_append(hdr, idem);
    hdr = curl_slist_append(hdr, "Content-Type: application/x-www-form-urlencoded");
    hdr = curl_slist_append(hdr, "Accept: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, STRIPE_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, STRIPE_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "xcelsiord/" XC_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, buf_str(&form));
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)form.len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);

    int rc = -1;
    long status = 0;
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    json_t *body = NULL;
    if (cc != CURLE_OK) {
        log_warn("stripe: POST %s: %s", path, curl_easy_strerror(cc));
        fail(e, 502, "%s", cc == CURLE_OPERATION_TIMEDOUT ? "request timed out" : "could not reach the payment provider");
        goto out;
    }
    body = json_loadb(buf_str(&resp), resp.len, 0, NULL);
    if (status < 200 || status >= 300) {
        json_t *err = json_object_get(body, "error");
        const char *msg = json_string_value(json_object_get(err, "message"));
        const char *type = json_string_value(json_object_get(err, "type"));
        const char *code = json_string_value(json_object_get(err, "code"));
        log_warn("stripe: POST %s: HTTP %ld %s/%s: %s", path, status, type ? type : "-", code ? code : "-",
                 msg ? msg : "(no error object)");
        if (msg)
            fail(e, 502, "%s", msg);
        else
            fail(e, 502, "unexpected answer (HTTP %ld)", status);
        goto out;
    }
    if (!json_is_object(body)) {
        fail(e, 502, "unreadable answer (HTTP %ld)", status);
        goto out;
    }
    *out = body;
    body = NULL;
    rc = 0;
out:
    json_decref(body);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    buf_free(&form);
    buf_free(&resp);
    return rc;
}

/* Copies the string member name of o into out; -1 (with e) when missing, empty or too long. */
static int take_str(json_t *o, const char *name, char *out, size_t n, struct svc_err *e)
{
    const char *v = json_string_value(json_object_get(o, name));
    if (!v || !*v || strlen(v) >= n)
        return fail(e, 502, "answer without a usable %s", name);
    snprintf(out, n, "%s", v);
    return 0;
}

int stripe_account_create(const char *email, const char *idempotency_key, char *account_id, size_t n,
                          struct svc_err *e)
{
    json_t *o;
    if (stripe_post("/v1/accounts", idempotency_key, &o, e, "type", "express", "country", "CA", "email", email,
                    "capabilities[transfers][requested]", "true", (const char *)NULL) < 0)
        return -1;
    int rc = take_str(o, "id", account_id, n, e);
    json_decref(o);
    return rc;
}

int stripe_account_link(const char *account_id, const char *refresh_url, const char *return_url,
                        const char *idempotency_key, char *url, size_t n, struct svc_err *e)
{
    json_t *o;
    if (stripe_post("/v1/account_links", idempotency_key, &o, e, "account", account_id, "refresh_url", refresh_url,
                    "return_url", return_url, "type", "account_onboarding", (const char *)NULL) < 0)
        return -1;
    int rc = take_str(o, "url", url, n, e);
    json_decref(o);
    return rc;
}

int stripe_payment_intent(int64_t amount_cents, const char *customer_id, const char *idempotency_key, char *id,
                          size_t id_n, char *client_secret, size_t cs_n, struct svc_err *e)
{
    json_t *o;
    char amount[32];
    snprintf(amount, sizeof amount, "%lld", (long long)amount_cents);
    if (stripe_post("/v1/payment_intents", idempotency_key, &o, e, "amount", amount, "currency", "cad",
                    "metadata[customer_id]", customer_id, "automatic_payment_methods[enabled]", "true",
                    (const char *)NULL) < 0)
        return -1;
    int rc = take_str(o, "id", id, id_n, e);
    if (rc == 0)
        rc = take_str(o, "client_secret", client_secret, cs_n, e);
    json_decref(o);
    return rc;
}

int stripe_transfer(int64_t amount_cents, const char *destination, const char *transfer_group,
                    const char *provider_id, int payouts, const char *idempotency_key, char *id, size_t n,
                    struct svc_err *e)
{
    json_t *o;
    char amount[32], count[16];
    snprintf(amount, sizeof amount, "%lld", (long long)amount_cents);
    snprintf(count, sizeof count, "%d", payouts);
    if (stripe_post("/v1/transfers", idempotency_key, &o, e, "amount", amount, "currency", "cad", "destination",
                    destination, "transfer_group", transfer_group, "metadata[provider_id]", provider_id,
                    "metadata[payouts]", count, (const char *)NULL) < 0)
        return -1;
    int rc = take_str(o, "id", id, n, e);
    json_decref(o);
    return rc;
}
