#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/invoice.h"
#include "core/money.h"

#define US(s) ((int64_t)(s) * 1000000)
#define T2026 US(1781532000) /* 2026-06-15T14:00:00Z */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static invoice_line_in compute_line(int64_t ucad, bool ca, int64_t at)
{
    return (invoice_line_in){INVOICE_LINE_COMPUTE, ucad, at, ca};
}

Test(invoice, spec_example_qc_and_on)
{
    /* one 0.5 GPU-hour A100 line at 1.50 on a Canadian host */
    invoice_line_in l = compute_line(750000, true, T2026);
    invoice_totals t;
    int64_t cents;
    cr_assert_eq(invoice_compute("QC", T2026, &l, 1, &cents, &t), 0);
    cr_assert_eq(cents, 75);
    cr_assert_eq(t.subtotal_cents, 75);
    cr_assert_eq(t.ntaxes, 2);
    cr_assert_str_eq(t.taxes[0].name, "GST");
    cr_assert_eq(t.taxes[0].rate_ppm, 50000);
    cr_assert_eq(t.taxes[0].amount_cents, 4);
    cr_assert_str_eq(t.taxes[1].name, "QST");
    cr_assert_eq(t.taxes[1].rate_ppm, 99750);
    cr_assert_eq(t.taxes[1].amount_cents, 7);
    cr_assert_eq(t.tax_cents, 11);
    cr_assert_eq(t.total_cents, 86);
    cr_assert_eq(t.tax_rate_ppm, 149750);
    cr_assert_str_eq(t.tax_description, "GST 5% + QST 9.975%");
    cr_assert_eq(t.canadian_cents, 75);
    cr_assert_eq(t.non_canadian_cents, 0);
    cr_assert_eq(t.fund_cents, 50);
    cr_assert_eq(t.effective_cents, 25);

    cr_assert_eq(invoice_compute("on", T2026, &l, 1, NULL, &t), 0);
    cr_assert_eq(t.tax_rate_ppm, 130000);
    cr_assert_eq(t.ntaxes, 1);
    cr_assert_str_eq(t.taxes[0].name, "HST");
    cr_assert_eq(t.taxes[0].amount_cents, 10);
    cr_assert_eq(t.tax_cents, 10);
    cr_assert_eq(t.total_cents, 85);
}

Test(invoice, empty_and_unknown_province)
{
    invoice_totals t;
    cr_assert_eq(invoice_compute("ON", T2026, NULL, 0, NULL, &t), 0);
    cr_assert_eq(t.subtotal_cents, 0);
    cr_assert_eq(t.ntaxes, 0);
    cr_assert_eq(t.total_cents, 0);
    cr_assert_eq(t.tax_rate_ppm, 130000);
    cr_assert_eq(invoice_compute("XX", T2026, NULL, 0, NULL, &t), MONEY_EUNKNOWN);
    cr_assert_eq(invoice_compute("", T2026, NULL, 0, NULL, &t), MONEY_EUNKNOWN);
}

Test(invoice, per_line_rounding)
{
    /* INV-07: 0.004 + 0.004 → 0.00 each, subtotal 0.00; a 0.005 line → 0.01 */
    invoice_line_in ls[2] = {compute_line(4000, true, T2026), compute_line(4000, true, T2026)};
    int64_t c[2];
    invoice_totals t;
    cr_assert_eq(invoice_compute("ON", T2026, ls, 2, c, &t), 0);
    cr_assert_eq(c[0], 0);
    cr_assert_eq(c[1], 0);
    cr_assert_eq(t.subtotal_cents, 0);
    cr_assert_eq(t.total_cents, 0);
    invoice_line_in l5 = compute_line(5000, true, T2026);
    cr_assert_eq(invoice_compute("ON", T2026, &l5, 1, c, &t), 0);
    cr_assert_eq(c[0], 1);
    cr_assert_eq(t.subtotal_cents, 1);
    /* 1.865 → 1.87 */
    invoice_line_in l6 = compute_line(1865000, true, T2026);
    cr_assert_eq(invoice_compute("AB", T2026, &l6, 1, c, &t), 0);
    cr_assert_eq(t.subtotal_cents, 187);
    cr_assert_eq(t.tax_cents, 9); /* 9.35 → 9 */
}

Test(invoice, credit_lines)
{
    invoice_line_in ls[3] = {
        compute_line(575000, true, T2026),
        compute_line(750000, false, T2026),
        {INVOICE_LINE_CREDIT, 575000, T2026, true},
    };
    int64_t c[3];
    invoice_totals t;
    cr_assert_eq(invoice_compute("ON", T2026, ls, 3, c, &t), 0);
    cr_assert_eq(c[0], 58);
    cr_assert_eq(c[1], 75);
    cr_assert_eq(c[2], -58);
    cr_assert_eq(t.subtotal_cents, 75);
    cr_assert_eq(t.canadian_cents, 58, "credits are not compute lines");
    cr_assert_eq(t.non_canadian_cents, 75);
    cr_assert_eq(t.fund_cents, 39 + 38); /* RHU(116, 3) + RHU(75, 2) */
    cr_assert_eq(t.tax_cents, 10);
    cr_assert_eq(t.effective_cents, 75 - 77);
    invoice_line_in bad = {INVOICE_LINE_CREDIT, -1, T2026, true};
    cr_assert_eq(invoice_compute("ON", T2026, &bad, 1, NULL, &t), MONEY_EINVAL);
}

Test(invoice, nova_scotia_month_spanning_the_change)
{
    /* lines on both sides of 2025-04-01T03:00:00Z: two HST groups, ordered by rate */
    invoice_line_in ls[3] = {
        compute_line(1000000, true, TAX_NS_HST14_FROM_US - 1),
        compute_line(2000000, true, TAX_NS_HST14_FROM_US),
        compute_line(3000000, true, TAX_NS_HST14_FROM_US + US(86400)),
    };
    invoice_totals t;
    cr_assert_eq(invoice_compute("NS", US(1743465600 + 30 * 86400), ls, 3, NULL, &t), 0);
    cr_assert_eq(t.ntaxes, 2);
    cr_assert_str_eq(t.taxes[0].name, "HST");
    cr_assert_eq(t.taxes[0].rate_ppm, 140000);
    cr_assert_eq(t.taxes[0].base_cents, 500);
    cr_assert_eq(t.taxes[0].amount_cents, 70);
    cr_assert_eq(t.taxes[1].rate_ppm, 150000);
    cr_assert_eq(t.taxes[1].base_cents, 100);
    cr_assert_eq(t.taxes[1].amount_cents, 15);
    cr_assert_eq(t.tax_cents, 85);
    cr_assert_eq(t.total_cents, 685);
    cr_assert_eq(t.tax_rate_ppm, 140000);
    cr_assert_str_eq(t.tax_description, "HST 14%");
    /* a March 2025 invoice (period end 2025-04-01T00:00Z) still shows 15 % */
    cr_assert_eq(invoice_compute("NS", US(1743465600), ls, 1, NULL, &t), 0);
    cr_assert_eq(t.tax_rate_ppm, 150000);
    cr_assert_eq(t.tax_cents, 15);
}

Test(invoice, fund_cutoff)
{
    invoice_line_in ls[2] = {
        compute_line(100000000, false, US(1806451200)), /* 2027-03-31 */
        compute_line(100000000, false, US(1806624000)), /* 2027-04-02 */
    };
    invoice_totals t;
    cr_assert_eq(invoice_compute("ON", US(1806624000), ls, 2, NULL, &t), 0);
    cr_assert_eq(t.non_canadian_cents, 20000);
    cr_assert_eq(t.fund_cents, 5000);
    int64_t f;
    cr_assert_eq(invoice_fund_cents(10000, 0, &f), 0);
    cr_assert_eq(f, 6667);
    cr_assert_eq(invoice_fund_cents(68, 75, &f), 0);
    cr_assert_eq(f, 45 + 38);
    cr_assert_eq(invoice_fund_cents(0, 0, &f), 0);
    cr_assert_eq(f, 0);
}

/* Independent recomputation of the tax groups for the property test. */
struct group {
    tax_kind kind;
    int64_t rate, base;
};

Test(invoice, property_random_line_sets)
{
    rng_state = 20260615;
    const int64_t dates[] = {US(1700000000), TAX_NS_HST14_FROM_US - 1, TAX_NS_HST14_FROM_US, T2026,
                             US(1806451200), US(1806624000)};
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = (size_t)(rnd() % 40);
        invoice_line_in ls[40];
        int64_t c[40];
        const char *prov = tax_province_code((size_t)(rnd() % TAX_PROVINCE_COUNT));
        for (size_t i = 0; i < n; i++) {
            uint64_t kind = rnd() % 10;
            int64_t amt = (int64_t)(rnd() % (kind < 5 ? 20000ULL : 5000000000ULL));
            ls[i] = (invoice_line_in){kind == 0 ? INVOICE_LINE_CREDIT : INVOICE_LINE_COMPUTE, amt,
                                      dates[rnd() % 6], (rnd() & 1) != 0};
        }
        invoice_totals t;
        cr_assert_eq(invoice_compute(prov, dates[rnd() % 6], ls, n, c, &t), 0);
        int64_t sum = 0, ca = 0, nca = 0, nca_pre = 0, taxsum = 0;
        struct group g[16];
        size_t ng = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t want = money_to_cents(ls[i].amount_ucad);
            cr_assert_eq(c[i], ls[i].kind == INVOICE_LINE_CREDIT ? -want : want);
            sum += c[i];
            if (ls[i].kind == INVOICE_LINE_COMPUTE) {
                if (ls[i].is_canadian)
                    ca += c[i];
                else {
                    nca += c[i];
                    if (ls[i].service_at_us < INVOICE_FUND_CUTOFF_US)
                        nca_pre += c[i];
                }
            }
            tax_rates r;
            cr_assert_eq(tax_lookup(prov, ls[i].service_at_us, &r), 0);
            for (size_t k = 0; k < r.ncomponents; k++) {
                size_t j = 0;
                while (j < ng && !(g[j].kind == r.components[k].kind && g[j].rate == r.components[k].rate_ppm))
                    j++;
                if (j == ng)
                    g[ng++] = (struct group){r.components[k].kind, r.components[k].rate_ppm, 0};
                g[j].base += c[i];
            }
        }
        cr_assert_eq(t.subtotal_cents, sum, "Σ lines = subtotal to the cent");
        cr_assert_eq(t.ntaxes, ng);
        for (size_t j = 0; j < t.ntaxes; j++) {
            const invoice_tax *x = &t.taxes[j];
            if (j > 0)
                cr_assert(t.taxes[j - 1].kind < x->kind ||
                          (t.taxes[j - 1].kind == x->kind && t.taxes[j - 1].rate_ppm < x->rate_ppm));
            size_t k = 0;
            while (k < ng && !(g[k].kind == x->kind && g[k].rate == x->rate_ppm))
                k++;
            cr_assert(k < ng);
            cr_assert_eq(x->base_cents, g[k].base);
            cr_assert_eq(x->amount_cents, fixed_rhu(g[k].base * x->rate_ppm, 1000000));
            taxsum += x->amount_cents;
        }
        cr_assert_eq(t.tax_cents, taxsum);
        cr_assert_eq(t.total_cents, t.subtotal_cents + t.tax_cents, "subtotal + taxes = total");
        cr_assert_eq(t.canadian_cents, ca);
        cr_assert_eq(t.non_canadian_cents, nca);
        cr_assert_eq(t.fund_cents, fixed_rhu(ca * 2, 3) + fixed_rhu(nca_pre, 2));
        cr_assert_eq(t.effective_cents, t.subtotal_cents - t.fund_cents);
    }
}

Test(invoice, overflow_rejected)
{
    invoice_line_in ls[3] = {compute_line(INT64_MAX, true, T2026), compute_line(INT64_MAX, true, T2026),
                             compute_line(INT64_MAX, true, T2026)};
    invoice_totals t;
    /* one absurd line: 922 337 203 685 478 cents and its tax still fit */
    cr_assert_eq(invoice_compute("ON", T2026, ls, 3, NULL, &t), 0);
    cr_assert_eq(t.subtotal_cents, 3 * INT64_C(922337203685478));
    /* 12 000 of them do not: an error, never a wrapped total */
    size_t n = 12000;
    invoice_line_in *many = xcalloc(n, sizeof *many);
    for (size_t i = 0; i < n; i++)
        many[i] = compute_line(INT64_MAX, true, T2026);
    cr_assert_eq(invoice_compute("ON", T2026, many, n, NULL, &t), MONEY_EOVERFLOW);
    /* a subtotal that fits whose tax does not fit either */
    for (size_t i = 0; i < 9000; i++)
        many[i] = compute_line(INT64_MAX, true, T2026);
    cr_assert_eq(invoice_compute("ON", T2026, many, 9000, NULL, &t), MONEY_EOVERFLOW);
    free(many);
    int64_t adj;
    cr_assert_eq(invoice_rounding_adjustment(INT64_MAX, 0, &adj), MONEY_EOVERFLOW);
    cr_assert_eq(invoice_rounding_adjustment(75, 750000, &adj), 0);
    cr_assert_eq(adj, 0);
    cr_assert_eq(invoice_rounding_adjustment(58, 575000, &adj), 0);
    cr_assert_eq(adj, 5000);
    cr_assert_eq(invoice_rounding_adjustment(0, 8000, &adj), 0);
    cr_assert_eq(adj, -8000);
}

Test(invoice, texts_and_ids)
{
    char b[128];
    cr_assert_eq(invoice_compute_description("A100", "community", b, sizeof b), 0);
    cr_assert_str_eq(b, "GPU Compute: A100 (community tier)");
    cr_assert_eq(invoice_credit_description("abc", "hardware_error", b, sizeof b), 0);
    cr_assert_str_eq(b, "Refund: job abc (hardware_error)");
    cr_assert_eq(invoice_refund_tx_description("abc", "gpu_error", b, sizeof b), 0);
    cr_assert_str_eq(b, "Refund for job abc (gpu_error)");
    cr_assert_eq(invoice_tax_tx_description("INV-000042", b, sizeof b), 0);
    cr_assert_str_eq(b, "Sales tax for INV-000042");
    cr_assert_eq(invoice_rounding_tx_description("INV-000042", b, sizeof b), 0);
    cr_assert_str_eq(b, "Rounding adjustment INV-000042");
    cr_assert_eq(invoice_id_format(1, b, sizeof b), 0);
    cr_assert_str_eq(b, "INV-000001");
    cr_assert_eq(invoice_id_format(1234567, b, sizeof b), 0);
    cr_assert_str_eq(b, "INV-1234567");
    cr_assert_eq(invoice_id_format(0, b, sizeof b), MONEY_EINVAL);
    char small[8];
    cr_assert_eq(invoice_id_format(1, small, sizeof small), MONEY_ELIMIT);
}

Test(invoice, utc_times)
{
    char b[32];
    cr_assert_str_eq(invoice_fmt_utc(T2026, b, sizeof b), "2026-06-15T14:00:00Z");
    cr_assert_str_eq(invoice_fmt_utc(T2026 + 999999, b, sizeof b), "2026-06-15T14:00:00Z");
    cr_assert_str_eq(invoice_fmt_utc(0, b, sizeof b), "1970-01-01T00:00:00Z");
    cr_assert_str_eq(invoice_fmt_utc(-1, b, sizeof b), "1969-12-31T23:59:59Z");
    cr_assert_str_eq(invoice_fmt_utc(US(951782400), b, sizeof b), "2000-02-29T00:00:00Z");
    cr_assert_str_eq(invoice_fmt_utc(TAX_NS_HST14_FROM_US, b, sizeof b), "2025-04-01T03:00:00Z");
}

static invoice_caf_record rec_a1(void)
{
    return (invoice_caf_record){.job_id = "a1",
                                .host_id = "h1",
                                .gpu_model = "RTX 4090",
                                .duration_us = US(3600),
                                .cost_ucad = 675000,
                                .host_country = "CA",
                                .host_province = "ON",
                                .trust_tier = "sovereignty",
                                .is_canadian = true,
                                .has_started = true,
                                .started_at_us = US(1781532000),
                                .has_completed = true,
                                .completed_at_us = US(1781535600)};
}

static invoice_caf_record rec_a2(void)
{
    return (invoice_caf_record){.job_id = "a2",
                                .host_id = "h2",
                                .gpu_model = "A100 \"80GB\", SXM",
                                .duration_us = US(1800),
                                .cost_ucad = 750000,
                                .host_country = "US",
                                .host_province = "",
                                .trust_tier = "community",
                                .is_canadian = false,
                                .has_started = true,
                                .started_at_us = US(1781533800),
                                .has_completed = true,
                                .completed_at_us = US(1781535600)};
}

Test(invoice, caf_csv_byte_exact)
{
    static const char want[] =
        "Job ID,Host ID,GPU Model,Duration (hrs),Cost (CAD),Eligible Category,Host Country,Host Province,Trust "
        "Tier,Canadian Compute,Start Time,End Time\r\n"
        "a1,h1,RTX 4090,1.0000,0.68,Canadian cloud "
        "compute,CA,ON,sovereignty,Yes,2026-06-15T14:00:00Z,2026-06-15T15:00:00Z\r\n"
        "a2,h2,\"A100 \"\"80GB\"\", SXM\",0.5000,0.75,Non-Canadian cloud "
        "compute,US,,community,No,2026-06-15T14:30:00Z,2026-06-15T15:00:00Z\r\n"
        "\r\n"
        "SUMMARY\r\n"
        "Total Jobs,2\r\n"
        "Total Cost Cad,1.43\r\n"
        "Canadian Compute Cost Cad,0.68\r\n"
        "Non Canadian Compute Cost Cad,0.75\r\n"
        "Canadian Reimbursement Rate,67% (2:1)\r\n"
        "Non Canadian Reimbursement Rate,\"50% (1:1) until March 31, 2027\"\r\n"
        "Canadian Eligible Reimbursement Cad,0.45\r\n"
        "Non Canadian Eligible Reimbursement Cad,0.38\r\n"
        "Total Eligible Reimbursement Cad,0.83\r\n"
        "Effective Cost After Fund Cad,0.60\r\n";
    /* given in the wrong order: the sort puts a1 (same completed_at) before a2 by job_id */
    invoice_caf_record recs[2] = {rec_a2(), rec_a1()};
    invoice_caf_sort(recs, 2);
    invoice_buf out = {0};
    cr_assert_eq(invoice_caf_csv(recs, 2, US(1780272000), US(1782864000), &out), 0);
    cr_assert_eq(out.len, strlen(want), "len %zu vs %zu:\n%s", out.len, strlen(want), out.data);
    cr_assert(memcmp(out.data, want, out.len) == 0, "got:\n%s", out.data);
    invoice_buf_free(&out);
    cr_assert_null(out.data);
    cr_assert_eq(out.len, 0);
}

Test(invoice, caf_csv_empty_and_null_times)
{
    invoice_buf out = {0};
    cr_assert_eq(invoice_caf_csv(NULL, 0, US(1780272000), US(1782864000), &out), 0);
    cr_assert(strstr(out.data, "End Time\r\n\r\nSUMMARY\r\nTotal Jobs,0\r\nTotal Cost Cad,0.00\r\n") != NULL);
    invoice_buf_free(&out);
    invoice_caf_record r = rec_a1();
    r.has_started = false;
    r.host_province = NULL;
    r.job_id = "line\nbreak";
    cr_assert_eq(invoice_caf_csv(&r, 1, US(1780272000), US(1782864000), &out), 0);
    cr_assert(strstr(out.data, "\"line\nbreak\",h1,RTX 4090,1.0000,0.68,Canadian cloud compute,CA,,sovereignty,Yes,,"
                               "2026-06-15T15:00:00Z\r\n") != NULL,
              "%s", out.data);
    invoice_buf_free(&out);
}

Test(invoice, caf_summary_labels_and_notes)
{
    invoice_caf_summary s;
    invoice_caf_record recs[2] = {rec_a1(), rec_a2()};
    cr_assert_eq(invoice_caf_summarize(recs, 2, US(1780272000), US(1782864000), &s), 0);
    cr_assert_eq(s.total_jobs, 2);
    cr_assert_eq(s.total_cost_cents, 143);
    cr_assert_eq(s.canadian_eligible_cents, 45);
    cr_assert_eq(s.non_canadian_eligible_cents, 38);
    cr_assert_eq(s.total_eligible_cents, 83);
    cr_assert_eq(s.effective_cents, 60);
    cr_assert_str_eq(s.canadian_rate, "67% (2:1)");
    cr_assert_str_eq(s.non_canadian_rate, "50% (1:1) until March 31, 2027");
    cr_assert_str_eq(s.notes, "This report is generated for AI Compute Access Fund claim purposes. All costs are "
                              "denominated in Canadian Dollars (CAD). Lines marked Non-Canadian ran on hosts "
                              "outside Canada.");
    cr_assert_eq(invoice_caf_summarize(recs, 1, US(1780272000), US(1782864000), &s), 0);
    cr_assert_str_eq(s.notes, "This report is generated for AI Compute Access Fund claim purposes. All costs are "
                              "denominated in Canadian Dollars (CAD). All compute in this report ran on hosts "
                              "located in Canada.");
    cr_assert_eq(invoice_caf_summarize(NULL, 0, US(1780272000), US(1782864000), &s), 0);
    cr_assert_str_eq(s.notes, "This report is generated for AI Compute Access Fund claim purposes. All costs are "
                              "denominated in Canadian Dollars (CAD).");
    cr_assert_eq(s.total_cost_cents, 0);
    /* period labels around the 2027-04-01 cut-off */
    cr_assert_eq(invoice_caf_summarize(NULL, 0, US(1800000000), INVOICE_FUND_CUTOFF_US, &s), 0);
    cr_assert_str_eq(s.non_canadian_rate, "50% (1:1) until March 31, 2027");
    cr_assert_eq(invoice_caf_summarize(NULL, 0, INVOICE_FUND_CUTOFF_US, US(1810000000), &s), 0);
    cr_assert_str_eq(s.non_canadian_rate, "0% (ended March 31, 2027)");
    cr_assert_eq(invoice_caf_summarize(NULL, 0, US(1800000000), US(1810000000), &s), 0);
    cr_assert_str_eq(s.non_canadian_rate, "50% (1:1) until March 31, 2027; 0% after");
    /* CAF-04: 100.00 Canadian → 66.67; non-Canadian before the cut-off → 50.00, after → 0.00 */
    invoice_caf_record x = rec_a1();
    x.cost_ucad = 100000000;
    cr_assert_eq(invoice_caf_summarize(&x, 1, US(1800000000), US(1810000000), &s), 0);
    cr_assert_eq(s.canadian_eligible_cents, 6667);
    x.is_canadian = false;
    x.completed_at_us = US(1806451200);
    cr_assert_eq(invoice_caf_summarize(&x, 1, US(1800000000), US(1810000000), &s), 0);
    cr_assert_eq(s.non_canadian_eligible_cents, 5000);
    cr_assert(s.effective_cents < s.total_cost_cents);
    x.completed_at_us = US(1806624000);
    cr_assert_eq(invoice_caf_summarize(&x, 1, US(1800000000), US(1810000000), &s), 0);
    cr_assert_eq(s.non_canadian_eligible_cents, 0);
    cr_assert_eq(s.total_eligible_cents, 0);
    cr_assert_str_eq(INVOICE_CAF_REPORT_TYPE, "AI Compute Access Fund \xE2\x80\x94 Eligible Cost Report");
}

Test(invoice, caf_line_figures_and_sort)
{
    invoice_caf_line l;
    invoice_caf_record r = rec_a2();
    cr_assert_eq(invoice_caf_line_of(&r, &l), 0);
    cr_assert_eq(l.duration_e4, 5000);
    cr_assert_eq(l.cost_cents, 75);
    cr_assert_str_eq(l.eligible_category, "Non-Canadian cloud compute");
    invoice_caf_record recs[4] = {rec_a1(), rec_a2(), rec_a1(), rec_a2()};
    recs[0].completed_at_us = US(3);
    recs[0].job_id = "z";
    recs[1].completed_at_us = US(1);
    recs[2].completed_at_us = US(3);
    recs[2].job_id = "b";
    recs[3].completed_at_us = US(2);
    invoice_caf_sort(recs, 4);
    cr_assert_eq(recs[0].completed_at_us, US(1));
    cr_assert_eq(recs[1].completed_at_us, US(2));
    cr_assert_str_eq(recs[2].job_id, "b");
    cr_assert_str_eq(recs[3].job_id, "z");
    r.duration_us = -1;
    cr_assert_eq(invoice_caf_line_of(&r, &l), MONEY_EINVAL);
}

Test(invoice, caf_csv_bounded)
{
    /* A huge model name on many lines hits the output limit instead of growing without bound. */
    size_t big = 1 << 20;
    char *name = xmalloc(big + 1);
    memset(name, 'x', big);
    name[big] = '\0';
    size_t n = 80;
    invoice_caf_record *recs = xcalloc(n, sizeof *recs);
    for (size_t i = 0; i < n; i++) {
        recs[i] = rec_a1();
        recs[i].gpu_model = name;
    }
    invoice_buf out = {0};
    cr_assert_eq(invoice_caf_csv(recs, n, 0, US(1), &out), MONEY_ELIMIT);
    cr_assert(out.len <= INVOICE_CSV_MAX);
    invoice_buf_free(&out);
    free(recs);
    free(name);
}
