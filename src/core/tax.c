/* Canadian sales tax: the effective-dated table of provinces and territories (pure). */
#include "core/tax.h"

#include <stdio.h>
#include <string.h>

#include "core/calendar.h"
#include "core/money.h"

/* The effective-dated table (§25.2). Rows of a province are contiguous and in date order; the
 * first row of a province also covers instants before the origin.
 * X(code, effective_from_us, effective_to_us (exclusive), from_date, combined ppm, description,
 *   kind1, ppm1, kind2, ppm2)  — a second component with ppm 0 is absent. */
#define TAX_TABLE(X)                                                                                 \
    X("AB", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 50000, "GST 5% (no PST)", TAX_GST, 50000, TAX_GST, 0)       \
    X("BC", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 120000, "GST 5% + PST 7%", TAX_GST, 50000, TAX_PST, 70000)  \
    X("MB", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 120000, "GST 5% + RST 7%", TAX_GST, 50000, TAX_RST, 70000)  \
    X("NB", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 150000, "HST 15%", TAX_HST, 150000, TAX_GST, 0)            \
    X("NL", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 150000, "HST 15%", TAX_HST, 150000, TAX_GST, 0)            \
    X("NS", TAX_ORIGIN_US, TAX_NS_HST14_FROM_US, "2020-01-01", 150000, "HST 15%", TAX_HST, 150000, TAX_GST, 0)   \
    X("NS", TAX_NS_HST14_FROM_US, TAX_OPEN_US, "2025-04-01", 140000, "HST 14%", TAX_HST, 140000, TAX_GST, 0)     \
    X("NT", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 50000, "GST 5% (no PST)", TAX_GST, 50000, TAX_GST, 0)       \
    X("NU", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 50000, "GST 5% (no PST)", TAX_GST, 50000, TAX_GST, 0)       \
    X("ON", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 130000, "HST 13%", TAX_HST, 130000, TAX_GST, 0)            \
    X("PE", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 150000, "HST 15%", TAX_HST, 150000, TAX_GST, 0)            \
    X("QC", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 149750, "GST 5% + QST 9.975%", TAX_GST, 50000, TAX_QST, 99750) \
    X("SK", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 110000, "GST 5% + PST 6%", TAX_GST, 50000, TAX_PST, 60000)  \
    X("YT", TAX_ORIGIN_US, TAX_OPEN_US, "2020-01-01", 50000, "GST 5% (no PST)", TAX_GST, 50000, TAX_GST, 0)

typedef struct {
    const char *code;
    int64_t from_us, to_us;
    const char *from_date;
    int64_t rate_ppm;
    const char *description;
    tax_kind k1;
    int64_t ppm1;
    tax_kind k2;
    int64_t ppm2;
} tax_row;

static const tax_row tax_table[] = {
#define TAX_X_ROW(code, from, to, date, ppm, desc, k1, p1, k2, p2) {code, from, to, date, ppm, desc, k1, p1, k2, p2},
    TAX_TABLE(TAX_X_ROW)
#undef TAX_X_ROW
};
#define TAX_ROWS (sizeof tax_table / sizeof tax_table[0])

static const char *const tax_codes[TAX_PROVINCE_COUNT] = {"AB", "BC", "MB", "NB", "NL", "NS", "NT",
                                                          "NU", "ON", "PE", "QC", "SK", "YT"};

static const char *const tax_kind_names[TAX_KIND_COUNT] = {
#define TAX_X_KIND_NAME(id, name) [id] = name,
    TAX_KINDS(TAX_X_KIND_NAME)
#undef TAX_X_KIND_NAME
};

const char *tax_kind_name(tax_kind k)
{
    if ((int)k < 0 || k >= TAX_KIND_COUNT)
        return NULL;
    return tax_kind_names[k];
}

const char *tax_province_code(size_t i)
{
    return i < TAX_PROVINCE_COUNT ? tax_codes[i] : NULL;
}

/* Trims and upper-cases a code into out[3]; false when it is not exactly two characters. */
static bool normalise(const char *in, char out[3])
{
    if (!in)
        return false;
    while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
        in++;
    size_t n = strlen(in);
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\n' || in[n - 1] == '\r'))
        n--;
    if (n != 2)
        return false;
    for (size_t i = 0; i < 2; i++) {
        char c = in[i];
        out[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    out[2] = '\0';
    return true;
}

static void fill_component(tax_rates *out, tax_kind k, int64_t ppm)
{
    tax_component *c = &out->components[out->ncomponents++];
    c->kind = k;
    c->name = tax_kind_names[k];
    c->rate_ppm = ppm;
}

static void fill_fallback(tax_rates *out)
{
    memset(out, 0, sizeof *out);
    out->known = false;
    out->rate_ppm = 50000;
    out->description = "GST 5% (province unknown)";
    fill_component(out, TAX_GST, 50000);
    out->effective_from_us = TAX_ORIGIN_US;
    out->effective_to_us = TAX_OPEN_US;
    out->effective_from_date = "2020-01-01";
}

static void fill_row(tax_rates *out, const tax_row *row)
{
    memset(out, 0, sizeof *out);
    memcpy(out->code, row->code, 3);
    out->known = true;
    out->rate_ppm = row->rate_ppm;
    out->description = row->description;
    fill_component(out, row->k1, row->ppm1);
    if (row->ppm2 > 0)
        fill_component(out, row->k2, row->ppm2);
    out->effective_from_us = row->from_us;
    out->effective_to_us = row->to_us;
    out->effective_from_date = row->from_date;
}

int tax_lookup(const char *province, int64_t at_us, tax_rates *out)
{
    if (!out)
        return MONEY_EINVAL;
    char code[3];
    const tax_row *first = NULL;
    if (normalise(province, code)) {
        for (size_t i = 0; i < TAX_ROWS; i++) {
            const tax_row *row = &tax_table[i];
            if (strcmp(row->code, code) != 0)
                continue;
            if (!first)
                first = row;
            if (at_us >= row->from_us && (at_us < row->to_us || row->to_us == TAX_OPEN_US)) {
                fill_row(out, row);
                return MONEY_OK;
            }
        }
        if (first && at_us < first->from_us) { /* before the origin: the first row */
            fill_row(out, first);
            return MONEY_OK;
        }
    }
    fill_fallback(out);
    return MONEY_EUNKNOWN;
}

int tax_lookup_or_default(const char *province, int64_t at_us, tax_rates *out)
{
    if (!out)
        return MONEY_EINVAL;
    tax_lookup(province, at_us, out);
    return MONEY_OK;
}

bool tax_is_province(const char *province)
{
    tax_rates r;
    return tax_lookup(province, TAX_ORIGIN_US, &r) == MONEY_OK;
}

int tax_amounts(const tax_rates *r, int64_t subtotal_cents, int64_t out_cents[TAX_MAX_COMPONENTS],
                int64_t *total_cents)
{
    if (!r || !out_cents || !total_cents || r->ncomponents > TAX_MAX_COMPONENTS)
        return MONEY_EINVAL;
    int64_t total = 0;
    for (size_t i = 0; i < TAX_MAX_COMPONENTS; i++)
        out_cents[i] = 0;
    for (size_t i = 0; i < r->ncomponents; i++) {
        int rc = money_mul_ppm(subtotal_cents, r->components[i].rate_ppm, &out_cents[i]);
        if (rc)
            return rc;
        if (money_add(total, out_cents[i], &total))
            return MONEY_EOVERFLOW;
    }
    *total_cents = total;
    return MONEY_OK;
}

/* ---- calendar quarters (UTC), on core/calendar's day numbers ---- */

int64_t tax_quarter_start(int64_t at_us)
{
    int64_t y;
    int m, d;
    cal_civil_from_days(cal_day_of(at_us), &y, &m, &d);
    int qm = ((m - 1) / 3) * 3 + 1;
    return cal_days_from_civil(y, qm, 1) * CAL_US_PER_DAY;
}

int64_t tax_quarter_add(int64_t q_start_us, int delta)
{
    int64_t y;
    int m, d;
    cal_civil_from_days(cal_day_of(q_start_us), &y, &m, &d);
    int64_t idx = y * 4 + (m - 1) / 3 + delta; /* quarter index */
    int64_t ny = cal_floor_div(idx, 4);
    int nq = (int)(idx - ny * 4);
    return cal_days_from_civil(ny, nq * 3 + 1, 1) * CAL_US_PER_DAY;
}

bool tax_small_supplier_exceeded(int64_t current_quarter_ucad, int64_t four_quarter_ucad)
{
    return current_quarter_ucad > TAX_SMALL_SUPPLIER_THRESHOLD_UCAD ||
           four_quarter_ucad > TAX_SMALL_SUPPLIER_THRESHOLD_UCAD;
}

char *tax_small_supplier_message(bool exceeded, int64_t four_quarter_ucad, char *buf, size_t bufsz)
{
    if (exceeded) {
        snprintf(buf, bufsz, "GST/HST registration REQUIRED \xE2\x80\x94 revenue exceeds $30,000 threshold.");
        return buf;
    }
    char amt[48];
    money_fmt_cents_grouped(money_to_cents(four_quarter_ucad), amt, sizeof amt);
    snprintf(buf, bufsz, "Below threshold ($%s / $30,000). Registration not yet required but recommended.", amt);
    return buf;
}

char *tax_provider_threshold_message(bool exceeded, int64_t four_quarter_ucad, char *buf, size_t bufsz)
{
    if (exceeded) {
        snprintf(buf, bufsz, "Provider should register for GST/HST \xE2\x80\x94 payouts exceed $30,000.");
        return buf;
    }
    char amt[48];
    money_fmt_cents_grouped(money_to_cents(four_quarter_ucad), amt, sizeof amt);
    snprintf(buf, bufsz, "Below threshold ($%s / $30,000).", amt);
    return buf;
}

void tax_threshold_window(int64_t now_us, int64_t bounds[TAX_THRESHOLD_QUARTERS + 1])
{
    int64_t current = tax_quarter_start(now_us);
    for (int i = 0; i <= TAX_THRESHOLD_QUARTERS; i++)
        bounds[i] = tax_quarter_add(current, i - (TAX_THRESHOLD_QUARTERS - 1));
}

int tax_threshold_assess(const int64_t sums[TAX_THRESHOLD_QUARTERS], tax_threshold_party party,
                         tax_threshold *out)
{
    if (!sums || !out || (party != TAX_THRESHOLD_PLATFORM && party != TAX_THRESHOLD_PROVIDER))
        return MONEY_EINVAL;
    int64_t total = 0;
    int assessed = 0;
    for (int i = 0; i < TAX_THRESHOLD_QUARTERS; i++) {
        if (money_add(total, sums[i], &total))
            return MONEY_EOVERFLOW;
        assessed += sums[i] > 0;
    }
    out->current_quarter_ucad = sums[TAX_THRESHOLD_QUARTERS - 1];
    out->total_ucad = total;
    out->quarters_assessed = assessed;
    out->exceeded = tax_small_supplier_exceeded(out->current_quarter_ucad, total);
    if (party == TAX_THRESHOLD_PLATFORM)
        tax_small_supplier_message(out->exceeded, total, out->message, sizeof out->message);
    else
        tax_provider_threshold_message(out->exceeded, total, out->message, sizeof out->message);
    return MONEY_OK;
}
