#ifndef XC_TAX_H
#define XC_TAX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Canadian sales tax (domain §25.2, §25.13): an effective-dated table of the 13 provinces and
 * territories, looked up by (province code, instant in µs since the epoch, UTC). Pure: no I/O,
 * no globals, no clocks. Status codes are the MONEY_* codes of core/money.h. */

/* Component kinds, in the order invoices list them (§25.8): GST, HST, PST, RST, QST. */
#define TAX_KINDS(X)                                                                               \
    X(TAX_GST, "GST")                                                                              \
    X(TAX_HST, "HST")                                                                              \
    X(TAX_PST, "PST")                                                                              \
    X(TAX_RST, "RST")                                                                              \
    X(TAX_QST, "QST")

typedef enum {
#define TAX_X_KIND_ENUM(id, name) id,
    TAX_KINDS(TAX_X_KIND_ENUM)
#undef TAX_X_KIND_ENUM
        TAX_KIND_COUNT
} tax_kind;

/* "GST" … "QST"; NULL when out of range. */
const char *tax_kind_name(tax_kind k);

#define TAX_MAX_COMPONENTS 2
/* Table origin 2020-01-01T00:00:00Z; instants before it use the first row of the province. */
#define TAX_ORIGIN_US INT64_C(1577836800000000)
/* Nova Scotia HST 15 % → 14 % at 2025-04-01 00:00 Atlantic = 2025-04-01T03:00:00Z. */
#define TAX_NS_HST14_FROM_US INT64_C(1743476400000000)
/* effective_to of an open-ended row. */
#define TAX_OPEN_US INT64_MAX

typedef struct {
    tax_kind kind;
    const char *name;  /* "GST" */
    int64_t rate_ppm;  /* QST 9.975 % → 99 750 */
} tax_component;

/* The rates in force for one province at one instant. Strings are static. */
typedef struct {
    char code[3];              /* normalised code ("ON"); "" for the unknown-province fallback */
    bool known;                /* false for the fallback */
    int64_t rate_ppm;          /* combined: QC → 149 750 */
    const char *description;   /* exact §25.2 text: "GST 5% + QST 9.975%" */
    size_t ncomponents;
    tax_component components[TAX_MAX_COMPONENTS];
    int64_t effective_from_us; /* TAX_ORIGIN_US for rows in force from the origin */
    int64_t effective_to_us;   /* exclusive; TAX_OPEN_US when open-ended */
    const char *effective_from_date; /* "YYYY-MM-DD" as published (A§8.5 tax-rates) */
} tax_rates;

/* Strict lookup: code is normalised (trimmed, upper-cased; "on" ≡ "ON"). Returns MONEY_OK and the
 * row in force at at_us, or MONEY_EUNKNOWN for an unknown or empty code (*out is then the
 * `GST 5% (province unknown)` fallback, so callers that must not fail can still use it). */
int tax_lookup(const char *province, int64_t at_us, tax_rates *out);

/* Lenient lookup (§25.2): as tax_lookup, but an unknown or empty code yields the fallback
 * (rate 0.05, `GST 5% (province unknown)`, component GST 0.05). Always MONEY_OK unless out is NULL. */
int tax_lookup_or_default(const char *province, int64_t at_us, tax_rates *out);

/* True when the code (normalised) is one of the 13 provinces and territories. */
bool tax_is_province(const char *province);

/* The 13 codes in alphabetical order (AB BC MB NB NL NS NT NU ON PE QC SK YT). */
#define TAX_PROVINCE_COUNT 13
const char *tax_province_code(size_t i); /* NULL when i ≥ TAX_PROVINCE_COUNT */

/* Per-component tax on a subtotal in cents: out_cents[i] = RHU(subtotal_cents × rate_ppm_i, 10^6)
 * for each component of r (out_cents has room for TAX_MAX_COMPONENTS); *total_cents = their sum.
 * QC on 75 cents → GST 4, QST 7, total 11. MONEY_EOVERFLOW for absurd subtotals. */
int tax_amounts(const tax_rates *r, int64_t subtotal_cents, int64_t out_cents[TAX_MAX_COMPONENTS],
                int64_t *total_cents);

/* ---- GST/HST small-supplier threshold (§25.13) ---- */

/* 30 000.00 CAD in µCAD. */
#define TAX_SMALL_SUPPLIER_THRESHOLD_UCAD INT64_C(30000000000)

/* Start (µs) of the UTC calendar quarter containing at_us (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec). */
int64_t tax_quarter_start(int64_t at_us);

/* Start of the quarter `delta` quarters after (negative: before) the one starting at q_start_us. */
int64_t tax_quarter_add(int64_t q_start_us, int delta);

/* exceeded = current quarter > threshold or four-quarter total > threshold (strictly greater). */
bool tax_small_supplier_exceeded(int64_t current_quarter_ucad, int64_t four_quarter_ucad);

/* Platform message of §25.13 into buf (bufsz ≥ 128): the REQUIRED text when exceeded, else
 * `Below threshold ($<total, grouped, 2 decimals> / $30,000). Registration not yet required but
 * recommended.`. total is rounded half-up to the cent. Returns buf. */
char *tax_small_supplier_message(bool exceeded, int64_t four_quarter_ucad, char *buf, size_t bufsz);

/* Provider message of §25.13 (`Provider should register …` / `Below threshold ($<x> / $30,000).`).
 * Returns buf; bufsz ≥ 128. */
char *tax_provider_threshold_message(bool exceeded, int64_t four_quarter_ucad, char *buf, size_t bufsz);

/* ---- the four-quarter assessment (§25.13), shared by the platform and the provider routes ----
 * Callers sum their amounts (platform: Σ cost − refunds of owned jobs; provider: Σ provider_payout
 * of its payouts) over the quarters that tax_threshold_window names, oldest first, and pass the
 * sums to tax_threshold_assess. */

#define TAX_THRESHOLD_QUARTERS 4

/* bounds[0..4]: the starts of the three quarters before the one containing now_us, of that
 * (current) quarter, and of the next one; quarter i is [bounds[i], bounds[i + 1]) and quarter 3 is
 * the current one. 2026-05-15 → 2025-07-01, 2025-10-01, 2026-01-01, 2026-04-01, 2026-07-01. */
void tax_threshold_window(int64_t now_us, int64_t bounds[TAX_THRESHOLD_QUARTERS + 1]);

typedef enum { TAX_THRESHOLD_PLATFORM = 1, TAX_THRESHOLD_PROVIDER } tax_threshold_party;

typedef struct {
    int64_t current_quarter_ucad; /* sums[3] */
    int64_t total_ucad;           /* Σ of the four quarters */
    int quarters_assessed;        /* quarters with a sum > 0 */
    bool exceeded;                /* = must_register (platform) = must_register_gst (provider) */
    char message[160];            /* the party's §25.13 message */
} tax_threshold;

/* Assesses four quarter sums (oldest first, the current one last) for the party. MONEY_EINVAL for
 * NULL arguments or an unknown party, MONEY_EOVERFLOW when the total does not fit. */
int tax_threshold_assess(const int64_t sums[TAX_THRESHOLD_QUARTERS], tax_threshold_party party,
                         tax_threshold *out);

#endif
