/* Invoice arithmetic, the CSV rendering of invoices and the compute fund report (pure). */
#include "core/invoice.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/money.h"

/* ---- invoices ---- */

int invoice_line_cents(const invoice_line_in *line, int64_t *cents)
{
    if (!line || !cents)
        return MONEY_EINVAL;
    switch (line->kind) {
    case INVOICE_LINE_COMPUTE:
        *cents = money_to_cents(line->amount_ucad);
        return MONEY_OK;
    case INVOICE_LINE_CREDIT:
        if (line->amount_ucad < 0)
            return MONEY_EINVAL;
        *cents = -money_to_cents(line->amount_ucad);
        return MONEY_OK;
    }
    return MONEY_EINVAL;
}

int invoice_fund_cents(int64_t canadian_cents, int64_t non_canadian_precutoff_cents, int64_t *out)
{
    int64_t ca, nca;
    int rc;
    if ((rc = money_rhu128((__int128)canadian_cents * 2, 3, &ca)) ||
        (rc = money_rhu128(non_canadian_precutoff_cents, 2, &nca)))
        return rc;
    return money_add(ca, nca, out);
}

int invoice_rounding_adjustment(int64_t subtotal_cents, int64_t charged_ucad, int64_t *adj_ucad)
{
    int64_t sub;
    int rc = money_cents_to_ucad(subtotal_cents, &sub);
    return rc ? rc : money_sub(sub, charged_ucad, adj_ucad);
}

/* Adds `cents` to the (kind, rate) group, creating it when new. */
static int add_to_group(invoice_totals *t, const tax_component *c, int64_t cents)
{
    for (size_t i = 0; i < t->ntaxes; i++) {
        invoice_tax *g = &t->taxes[i];
        if (g->kind == c->kind && g->rate_ppm == c->rate_ppm)
            return money_add(g->base_cents, cents, &g->base_cents);
    }
    if (t->ntaxes >= INVOICE_MAX_TAXES)
        return MONEY_ELIMIT;
    invoice_tax *g = &t->taxes[t->ntaxes++];
    g->kind = c->kind;
    g->name = c->name;
    g->rate_ppm = c->rate_ppm;
    g->base_cents = cents;
    g->amount_cents = 0;
    return MONEY_OK;
}

static int tax_group_cmp(const void *a, const void *b)
{
    const invoice_tax *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return (x->rate_ppm > y->rate_ppm) - (x->rate_ppm < y->rate_ppm);
}

int invoice_compute(const char *province, int64_t rates_at_us, const invoice_line_in *lines, size_t n,
                    int64_t *line_cents, invoice_totals *out)
{
    if (!out || (n > 0 && !lines))
        return MONEY_EINVAL;
    memset(out, 0, sizeof *out);
    tax_rates period;
    int rc = tax_lookup(province, rates_at_us, &period);
    if (rc)
        return rc;
    out->tax_rate_ppm = period.rate_ppm;
    out->tax_description = period.description;

    int64_t nca_precutoff = 0;
    for (size_t i = 0; i < n; i++) {
        const invoice_line_in *l = &lines[i];
        int64_t cents;
        tax_rates r;
        if ((rc = invoice_line_cents(l, &cents)) || (rc = tax_lookup(province, l->service_at_us, &r)))
            return rc;
        if (line_cents)
            line_cents[i] = cents;
        if (money_add(out->subtotal_cents, cents, &out->subtotal_cents))
            return MONEY_EOVERFLOW;
        for (size_t c = 0; c < r.ncomponents; c++)
            if ((rc = add_to_group(out, &r.components[c], cents)))
                return rc;
        if (l->kind != INVOICE_LINE_COMPUTE)
            continue;
        if (l->is_canadian) {
            rc = money_add(out->canadian_cents, cents, &out->canadian_cents);
        } else {
            rc = money_add(out->non_canadian_cents, cents, &out->non_canadian_cents);
            if (!rc && l->service_at_us < INVOICE_FUND_CUTOFF_US)
                rc = money_add(nca_precutoff, cents, &nca_precutoff);
        }
        if (rc)
            return rc;
    }

    qsort(out->taxes, out->ntaxes, sizeof out->taxes[0], tax_group_cmp);
    for (size_t i = 0; i < out->ntaxes; i++) {
        invoice_tax *g = &out->taxes[i];
        if ((rc = money_mul_ppm(g->base_cents, g->rate_ppm, &g->amount_cents)))
            return rc;
        if (money_add(out->tax_cents, g->amount_cents, &out->tax_cents))
            return MONEY_EOVERFLOW;
    }
    if ((rc = money_add(out->subtotal_cents, out->tax_cents, &out->total_cents)) ||
        (rc = invoice_fund_cents(out->canadian_cents, nca_precutoff, &out->fund_cents)) ||
        (rc = money_sub(out->subtotal_cents, out->fund_cents, &out->effective_cents)))
        return rc;
    return MONEY_OK;
}

static int text(char *buf, size_t bufsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int text(char *buf, size_t bufsz, const char *fmt, ...)
{
    if (!buf || bufsz == 0)
        return MONEY_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, bufsz, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= bufsz ? MONEY_ELIMIT : MONEY_OK;
}

#define S(x) ((x) ? (x) : "")

int invoice_compute_description(const char *gpu_model, const char *trust_tier, char *buf, size_t bufsz)
{
    return text(buf, bufsz, "GPU Compute: %s (%s tier)", S(gpu_model), S(trust_tier));
}

int invoice_credit_description(const char *job_id, const char *classification, char *buf, size_t bufsz)
{
    return text(buf, bufsz, "Refund: job %s (%s)", S(job_id), S(classification));
}

int invoice_refund_tx_description(const char *job_id, const char *classification, char *buf, size_t bufsz)
{
    return text(buf, bufsz, "Refund for job %s (%s)", S(job_id), S(classification));
}

int invoice_tax_tx_description(const char *invoice_id, char *buf, size_t bufsz)
{
    return text(buf, bufsz, "Sales tax for %s", S(invoice_id));
}

int invoice_rounding_tx_description(const char *invoice_id, char *buf, size_t bufsz)
{
    return text(buf, bufsz, "Rounding adjustment %s", S(invoice_id));
}

int invoice_id_format(int64_t seq, char *buf, size_t bufsz)
{
    if (seq < 1)
        return MONEY_EINVAL;
    return text(buf, bufsz, "INV-%06lld", (long long)seq);
}

/* ---- CAF ---- */

#define CAF_NOTES_BASE                                                                             \
    "This report is generated for AI Compute Access Fund claim purposes. All costs are denominated in " \
    "Canadian Dollars (CAD)."

int invoice_caf_line_of(const invoice_caf_record *rec, invoice_caf_line *out)
{
    if (!rec || !out)
        return MONEY_EINVAL;
    int rc = money_hours_e4(rec->duration_us, 1, &out->duration_e4);
    if (rc)
        return rc;
    out->cost_cents = money_to_cents(rec->cost_ucad);
    out->eligible_category = rec->is_canadian ? "Canadian cloud compute" : "Non-Canadian cloud compute";
    return MONEY_OK;
}

static int caf_cmp(const void *a, const void *b)
{
    const invoice_caf_record *x = a, *y = b;
    if (x->completed_at_us != y->completed_at_us)
        return x->completed_at_us < y->completed_at_us ? -1 : 1;
    return strcmp(S(x->job_id), S(y->job_id));
}

void invoice_caf_sort(invoice_caf_record *recs, size_t n)
{
    if (recs && n > 1)
        qsort(recs, n, sizeof recs[0], caf_cmp);
}

int invoice_caf_summarize(const invoice_caf_record *recs, size_t n, int64_t period_start_us,
                          int64_t period_end_us, invoice_caf_summary *out)
{
    if (!out || (n > 0 && !recs))
        return MONEY_EINVAL;
    memset(out, 0, sizeof *out);
    int64_t nca_pre = 0;
    bool any_foreign = false;
    int rc;
    for (size_t i = 0; i < n; i++) {
        int64_t cents = money_to_cents(recs[i].cost_ucad);
        if (money_add(out->total_cost_cents, cents, &out->total_cost_cents))
            return MONEY_EOVERFLOW;
        if (recs[i].is_canadian) {
            rc = money_add(out->canadian_cost_cents, cents, &out->canadian_cost_cents);
        } else {
            any_foreign = true;
            rc = money_add(out->non_canadian_cost_cents, cents, &out->non_canadian_cost_cents);
            if (!rc && recs[i].completed_at_us < INVOICE_FUND_CUTOFF_US)
                rc = money_add(nca_pre, cents, &nca_pre);
        }
        if (rc)
            return rc;
    }
    out->total_jobs = (int64_t)n;
    out->canadian_rate = INVOICE_CAF_CANADIAN_RATE;
    if (period_end_us <= INVOICE_FUND_CUTOFF_US)
        out->non_canadian_rate = "50% (1:1) until March 31, 2027";
    else if (period_start_us >= INVOICE_FUND_CUTOFF_US)
        out->non_canadian_rate = "0% (ended March 31, 2027)";
    else
        out->non_canadian_rate = "50% (1:1) until March 31, 2027; 0% after";
    if ((rc = money_rhu128((__int128)out->canadian_cost_cents * 2, 3, &out->canadian_eligible_cents)) ||
        (rc = money_rhu128(nca_pre, 2, &out->non_canadian_eligible_cents)) ||
        (rc = money_add(out->canadian_eligible_cents, out->non_canadian_eligible_cents,
                        &out->total_eligible_cents)) ||
        (rc = money_sub(out->total_cost_cents, out->total_eligible_cents, &out->effective_cents)))
        return rc;
    if (n == 0)
        out->notes = CAF_NOTES_BASE;
    else if (any_foreign)
        out->notes = CAF_NOTES_BASE " Lines marked Non-Canadian ran on hosts outside Canada.";
    else
        out->notes = CAF_NOTES_BASE " All compute in this report ran on hosts located in Canada.";
    return MONEY_OK;
}

void invoice_buf_free(invoice_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int buf_put(invoice_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > INVOICE_CSV_MAX)
        return MONEY_ELIMIT;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MONEY_OK;
}

static int buf_str(invoice_buf *b, const char *s)
{
    return buf_put(b, s, strlen(s));
}

/* One RFC 4180 field: quoted only when it holds ',', '"', CR or LF; quotes doubled. */
static int buf_field(invoice_buf *b, const char *s)
{
    s = S(s);
    if (!strpbrk(s, ",\"\r\n"))
        return buf_str(b, s);
    int rc = buf_put(b, "\"", 1);
    for (const char *p = s; !rc && *p; p++)
        rc = *p == '"' ? buf_put(b, "\"\"", 2) : buf_put(b, p, 1);
    return rc ? rc : buf_put(b, "\"", 1);
}

char *invoice_fmt_utc(int64_t at_us, char *buf, size_t bufsz)
{
    int64_t secs = at_us / 1000000 - (at_us % 1000000 < 0);
    int64_t days = secs / 86400 - (secs % 86400 < 0);
    int64_t sod = secs - days * 86400;
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(buf, bufsz, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y, (long long)m, (long long)d,
             (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60));
    return buf;
}

static int csv_row(invoice_buf *b, const invoice_caf_record *r)
{
    invoice_caf_line l;
    char dur[32], cost[32], start[32] = "", end[32] = "";
    int rc = invoice_caf_line_of(r, &l);
    if (rc)
        return rc;
    snprintf(dur, sizeof dur, "%lld.%04lld", (long long)(l.duration_e4 / 10000), (long long)(l.duration_e4 % 10000));
    money_fmt_cents(l.cost_cents, cost, sizeof cost);
    if (r->has_started)
        invoice_fmt_utc(r->started_at_us, start, sizeof start);
    if (r->has_completed)
        invoice_fmt_utc(r->completed_at_us, end, sizeof end);
    const char *fields[12] = {r->job_id,     r->host_id,       r->gpu_model,          dur,
                              cost,          l.eligible_category, r->host_country,  r->host_province,
                              r->trust_tier, r->is_canadian ? "Yes" : "No", start, end};
    for (size_t i = 0; i < 12 && !rc; i++) {
        if (i > 0)
            rc = buf_put(b, ",", 1);
        if (!rc)
            rc = buf_field(b, fields[i]);
    }
    return rc ? rc : buf_put(b, "\r\n", 2);
}

/* "<label>,<value>\r\n" with value quoted as needed. */
static int csv_pair(invoice_buf *b, const char *label, const char *value)
{
    int rc = buf_field(b, label);
    if (!rc)
        rc = buf_put(b, ",", 1);
    if (!rc)
        rc = buf_field(b, value);
    return rc ? rc : buf_put(b, "\r\n", 2);
}

static int csv_money_pair(invoice_buf *b, const char *label, int64_t cents)
{
    char v[32];
    return csv_pair(b, label, money_fmt_cents(cents, v, sizeof v));
}

int invoice_caf_csv(const invoice_caf_record *recs, size_t n, int64_t period_start_us, int64_t period_end_us,
                    invoice_buf *out)
{
    if (!out || (n > 0 && !recs))
        return MONEY_EINVAL;
    invoice_caf_summary s;
    int rc = invoice_caf_summarize(recs, n, period_start_us, period_end_us, &s);
    if (rc)
        return rc;
    rc = buf_str(out, "Job ID,Host ID,GPU Model,Duration (hrs),Cost (CAD),Eligible Category,Host Country,"
                      "Host Province,Trust Tier,Canadian Compute,Start Time,End Time\r\n");
    for (size_t i = 0; i < n && !rc; i++)
        rc = csv_row(out, &recs[i]);
    if (!rc)
        rc = buf_str(out, "\r\nSUMMARY\r\n");
    char jobs[32];
    snprintf(jobs, sizeof jobs, "%lld", (long long)s.total_jobs);
    if (!rc)
        rc = csv_pair(out, "Total Jobs", jobs);
    if (!rc)
        rc = csv_money_pair(out, "Total Cost Cad", s.total_cost_cents);
    if (!rc)
        rc = csv_money_pair(out, "Canadian Compute Cost Cad", s.canadian_cost_cents);
    if (!rc)
        rc = csv_money_pair(out, "Non Canadian Compute Cost Cad", s.non_canadian_cost_cents);
    if (!rc)
        rc = csv_pair(out, "Canadian Reimbursement Rate", s.canadian_rate);
    if (!rc)
        rc = csv_pair(out, "Non Canadian Reimbursement Rate", s.non_canadian_rate);
    if (!rc)
        rc = csv_money_pair(out, "Canadian Eligible Reimbursement Cad", s.canadian_eligible_cents);
    if (!rc)
        rc = csv_money_pair(out, "Non Canadian Eligible Reimbursement Cad", s.non_canadian_eligible_cents);
    if (!rc)
        rc = csv_money_pair(out, "Total Eligible Reimbursement Cad", s.total_eligible_cents);
    if (!rc)
        rc = csv_money_pair(out, "Effective Cost After Fund Cad", s.effective_cents);
    return rc;
}
