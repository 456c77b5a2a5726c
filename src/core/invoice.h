#ifndef XC_INVOICE_H
#define XC_INVOICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tax.h"

/* Invoice arithmetic (domain §25.8) and the AI Compute Access Fund report (§25.10). Pure: no I/O,
 * no globals, no clocks. Document figures are whole cents (int64); inputs are µCAD ledger values.
 * The one rounding rule: every line is rounded half-up to the cent on its own (RHU(µ, 10 000)),
 * and every sum on the document is a sum of those line cents. Status codes are MONEY_* (money.h). */

/* ---- invoices ---- */

typedef enum {
    INVOICE_LINE_COMPUTE, /* a billing record: category "compute" */
    INVOICE_LINE_CREDIT,  /* a refund issued in the month: category "credit", negative amount */
} invoice_line_kind;

typedef struct {
    invoice_line_kind kind;
    int64_t amount_ucad;   /* compute: the record's cost; credit: the refund amount (≥ 0) */
    int64_t service_at_us; /* tax date: the record's completed_at. For a credit, pass the
                              refunded record's completed_at so the credit reverses the tax at
                              the rates that applied to it. */
    bool is_canadian;      /* compute lines: is_canadian_compute */
} invoice_line_in;

typedef struct {
    tax_kind kind;
    const char *name;     /* "GST" */
    int64_t rate_ppm;
    int64_t base_cents;   /* Σ line cents taxed at this (component, rate) */
    int64_t amount_cents; /* RHU(base_cents × rate_ppm, 10^6) */
} invoice_tax;

#define INVOICE_MAX_TAXES 16

typedef struct {
    int64_t subtotal_cents;
    size_t ntaxes;
    invoice_tax taxes[INVOICE_MAX_TAXES]; /* ordered GST, HST, PST, RST, QST, then by rate */
    int64_t tax_cents;                    /* Σ taxes */
    int64_t total_cents;                  /* subtotal + tax */
    int64_t tax_rate_ppm;                 /* combined rate in force at rates_at_us */
    const char *tax_description;          /* static, e.g. "GST 5% + QST 9.975%" */
    int64_t canadian_cents;               /* Σ Canadian compute line cents */
    int64_t non_canadian_cents;           /* Σ other compute line cents */
    int64_t fund_cents;                   /* fund_eligible_reimbursement_cad */
    int64_t effective_cents;              /* subtotal − fund */
} invoice_totals;

/* Non-Canadian compute is fund-eligible only for service before 2027-04-01T00:00:00Z. */
#define INVOICE_FUND_CUTOFF_US INT64_C(1806537600000000)

/* Cents of one line: compute RHU(amount, 10 000); credit −RHU(amount, 10 000). */
int invoice_line_cents(const invoice_line_in *line, int64_t *cents);

/* Computes the invoice figures for lines[0..n) for a customer in `province` (strict: MONEY_EUNKNOWN
 * for an unknown code). Each line is taxed with the components in force at its service date;
 * tax_rate/tax_description are those in force at rates_at_us (the period end). line_cents, when not
 * NULL, receives each line's cents. MONEY_EOVERFLOW for absurd amounts, MONEY_ELIMIT when more than
 * INVOICE_MAX_TAXES (component, rate) groups would be needed. */
int invoice_compute(const char *province, int64_t rates_at_us, const invoice_line_in *lines, size_t n,
                    int64_t *line_cents, invoice_totals *out);

/* Fund figure (cents): RHU(canadian × 2, 3) + RHU(non-Canadian pre-cut-off, 2). */
int invoice_fund_cents(int64_t canadian_cents, int64_t non_canadian_precutoff_cents, int64_t *out);

/* Wallet rounding adjustment at issuance: subtotal (in µCAD) − Σ µCAD charged for the invoice's
 * records (net of refunds). Positive → a charge, negative → a refund. */
int invoice_rounding_adjustment(int64_t subtotal_cents, int64_t charged_ucad, int64_t *adj_ucad);

/* Line and wallet-transaction texts (§25.7, §25.8) into buf. MONEY_ELIMIT when truncated.
 *   compute: "GPU Compute: <gpu_model> (<trust_tier> tier)"
 *   credit:  "Refund: job <job_id> (<classification>)"
 *   refund tx: "Refund for job <job_id> (<classification>)"
 *   tax tx: "Sales tax for <invoice_id>";  rounding tx: "Rounding adjustment <invoice_id>" */
int invoice_compute_description(const char *gpu_model, const char *trust_tier, char *buf, size_t bufsz);
int invoice_credit_description(const char *job_id, const char *classification, char *buf, size_t bufsz);
int invoice_refund_tx_description(const char *job_id, const char *classification, char *buf, size_t bufsz);
int invoice_tax_tx_description(const char *invoice_id, char *buf, size_t bufsz);
int invoice_rounding_tx_description(const char *invoice_id, char *buf, size_t bufsz);

/* "INV-" + sequence zero-padded to at least 6 digits (seq ≥ 1). MONEY_ELIMIT when truncated. */
int invoice_id_format(int64_t seq, char *buf, size_t bufsz);

/* ---- AI Compute Access Fund report (§25.10) ---- */

#define INVOICE_CAF_REPORT_TYPE "AI Compute Access Fund \xE2\x80\x94 Eligible Cost Report"
#define INVOICE_CAF_CANADIAN_RATE "67% (2:1)"

/* One billing record as the report sees it. Strings are borrowed; NULL reads as "". */
typedef struct {
    const char *job_id;
    const char *host_id;
    const char *gpu_model;
    int64_t duration_us;     /* wall-clock run time of the attempt */
    int64_t cost_ucad;       /* the record's cost */
    const char *host_country;
    const char *host_province;
    const char *trust_tier;
    bool is_canadian;
    bool has_started;        /* false → empty Start Time */
    int64_t started_at_us;
    bool has_completed;      /* false → empty End Time */
    int64_t completed_at_us;
} invoice_caf_record;

typedef struct {
    int64_t duration_e4;            /* hours × 10^4, half-up (1.0000 → 10 000) */
    int64_t cost_cents;
    const char *eligible_category;  /* "Canadian cloud compute" / "Non-Canadian cloud compute" */
} invoice_caf_line;

typedef struct {
    int64_t total_jobs;
    int64_t total_cost_cents;
    int64_t canadian_cost_cents;
    int64_t non_canadian_cost_cents;
    const char *canadian_rate;      /* "67% (2:1)" */
    const char *non_canadian_rate;  /* derived from the period (static) */
    int64_t canadian_eligible_cents;
    int64_t non_canadian_eligible_cents;
    int64_t total_eligible_cents;
    int64_t effective_cents;        /* total − total eligible */
    const char *notes;              /* full notes text (static) */
} invoice_caf_summary;

/* Per-line figures of a record. */
int invoice_caf_line_of(const invoice_caf_record *rec, invoice_caf_line *out);

/* Orders records by completed_at, then job_id (the report's line order), in place. */
void invoice_caf_sort(invoice_caf_record *recs, size_t n);

/* Summary over recs[0..n) for [period_start_us, period_end_us). */
int invoice_caf_summarize(const invoice_caf_record *recs, size_t n, int64_t period_start_us,
                          int64_t period_end_us, invoice_caf_summary *out);

/* A growing byte buffer; data is NUL-terminated after len bytes once anything was written. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} invoice_buf;

/* Largest CSV the renderer will produce; beyond it, MONEY_ELIMIT. */
#define INVOICE_CSV_MAX ((size_t)64 << 20)

/* Frees the buffer's memory and zeroes it. */
void invoice_buf_free(invoice_buf *b);

/* Appends the RFC 4180 CSV of §25.10 (header, one row per record in the given order, empty row,
 * SUMMARY and the ten summary rows; every row CRLF-terminated) to *out. out must be zeroed or hold
 * an earlier result; its memory (xrealloc'd) belongs to the caller, who releases it with
 * invoice_buf_free, also after an error. */
int invoice_caf_csv(const invoice_caf_record *recs, size_t n, int64_t period_start_us, int64_t period_end_us,
                    invoice_buf *out);

/* UTC "YYYY-MM-DDTHH:MM:SSZ" of a µs instant (sub-second part dropped, floor). bufsz ≥ 32. */
char *invoice_fmt_utc(int64_t at_us, char *buf, size_t bufsz);

#endif
