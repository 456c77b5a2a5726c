#include <criterion/criterion.h>
#include <string.h>

#include "core/money.h"
#include "core/tax.h"

#define T2026 INT64_C(1781532000000000) /* 2026-06-15T14:00:00Z */

struct expect {
    const char *code;
    int64_t rate;
    const char *desc;
    size_t n;
    const char *c1;
    int64_t r1;
    const char *c2;
    int64_t r2;
};

static const struct expect all2026[] = {
    {"AB", 50000, "GST 5% (no PST)", 1, "GST", 50000, NULL, 0},
    {"BC", 120000, "GST 5% + PST 7%", 2, "GST", 50000, "PST", 70000},
    {"MB", 120000, "GST 5% + RST 7%", 2, "GST", 50000, "RST", 70000},
    {"NB", 150000, "HST 15%", 1, "HST", 150000, NULL, 0},
    {"NL", 150000, "HST 15%", 1, "HST", 150000, NULL, 0},
    {"NS", 140000, "HST 14%", 1, "HST", 140000, NULL, 0},
    {"NT", 50000, "GST 5% (no PST)", 1, "GST", 50000, NULL, 0},
    {"NU", 50000, "GST 5% (no PST)", 1, "GST", 50000, NULL, 0},
    {"ON", 130000, "HST 13%", 1, "HST", 130000, NULL, 0},
    {"PE", 150000, "HST 15%", 1, "HST", 150000, NULL, 0},
    {"QC", 149750, "GST 5% + QST 9.975%", 2, "GST", 50000, "QST", 99750},
    {"SK", 110000, "GST 5% + PST 6%", 2, "GST", 50000, "PST", 60000},
    {"YT", 50000, "GST 5% (no PST)", 1, "GST", 50000, NULL, 0},
};

static void check(const struct expect *e, const tax_rates *r)
{
    cr_assert(r->known, "%s", e->code);
    cr_assert_str_eq(r->code, e->code);
    cr_assert_eq(r->rate_ppm, e->rate, "%s", e->code);
    cr_assert_str_eq(r->description, e->desc);
    cr_assert_eq(r->ncomponents, e->n, "%s", e->code);
    cr_assert_str_eq(r->components[0].name, e->c1);
    cr_assert_eq(r->components[0].rate_ppm, e->r1);
    if (e->n == 2) {
        cr_assert_str_eq(r->components[1].name, e->c2);
        cr_assert_eq(r->components[1].rate_ppm, e->r2);
    }
    int64_t sum = 0;
    for (size_t i = 0; i < r->ncomponents; i++)
        sum += r->components[i].rate_ppm;
    cr_assert_eq(sum, r->rate_ppm, "components add up for %s", e->code);
}

Test(tax, every_province_2026)
{
    cr_assert_eq(sizeof all2026 / sizeof all2026[0], TAX_PROVINCE_COUNT);
    for (size_t i = 0; i < TAX_PROVINCE_COUNT; i++) {
        tax_rates r;
        cr_assert_eq(tax_lookup(all2026[i].code, T2026, &r), 0, "%s", all2026[i].code);
        check(&all2026[i], &r);
        cr_assert_str_eq(tax_province_code(i), all2026[i].code, "alphabetical order");
        cr_assert(tax_is_province(all2026[i].code));
    }
    cr_assert_null(tax_province_code(TAX_PROVINCE_COUNT));
}

Test(tax, every_province_at_origin_and_before)
{
    for (size_t i = 0; i < TAX_PROVINCE_COUNT; i++) {
        struct expect e = all2026[i];
        if (strcmp(e.code, "NS") == 0) {
            e.rate = e.r1 = 150000;
            e.desc = "HST 15%";
        }
        tax_rates r;
        cr_assert_eq(tax_lookup(e.code, TAX_ORIGIN_US, &r), 0);
        check(&e, &r);
        cr_assert_str_eq(r.effective_from_date, "2020-01-01");
        /* before the table origin: the first row */
        cr_assert_eq(tax_lookup(e.code, 0, &r), 0);
        check(&e, &r);
        cr_assert_eq(tax_lookup(e.code, INT64_MIN, &r), 0);
        check(&e, &r);
    }
}

Test(tax, nova_scotia_change_instant)
{
    tax_rates r;
    /* 2025-04-01T02:59:59.999999Z: still 15 % (the change is midnight Atlantic = 03:00Z) */
    cr_assert_eq(tax_lookup("NS", TAX_NS_HST14_FROM_US - 1, &r), 0);
    cr_assert_eq(r.rate_ppm, 150000);
    cr_assert_str_eq(r.description, "HST 15%");
    cr_assert_eq(r.effective_to_us, INT64_C(1743476400000000));
    cr_assert_eq(tax_lookup("NS", INT64_C(1743476399000000), &r), 0); /* TAX-03 */
    cr_assert_eq(r.rate_ppm, 150000);
    /* 2025-04-01T00:00:00Z is still 31 March in Atlantic time */
    cr_assert_eq(tax_lookup("NS", INT64_C(1743465600000000), &r), 0);
    cr_assert_eq(r.rate_ppm, 150000);
    cr_assert_eq(tax_lookup("NS", INT64_C(1743476400000000), &r), 0); /* TAX-03 */
    cr_assert_eq(r.rate_ppm, 140000);
    cr_assert_str_eq(r.description, "HST 14%");
    cr_assert_str_eq(r.components[0].name, "HST");
    cr_assert_eq(r.components[0].rate_ppm, 140000);
    cr_assert_str_eq(r.effective_from_date, "2025-04-01");
    cr_assert_eq(r.effective_from_us, TAX_NS_HST14_FROM_US);
    cr_assert_eq(r.effective_to_us, TAX_OPEN_US);
    cr_assert_eq(tax_lookup("ns", INT64_MAX, &r), 0);
    cr_assert_eq(r.rate_ppm, 140000);
    /* other provinces do not change at that instant */
    cr_assert_eq(tax_lookup("NB", TAX_NS_HST14_FROM_US, &r), 0);
    cr_assert_eq(r.rate_ppm, 150000);
}

Test(tax, normalisation_and_unknown)
{
    tax_rates r;
    cr_assert_eq(tax_lookup("on", T2026, &r), 0);
    cr_assert_str_eq(r.code, "ON");
    cr_assert_eq(r.rate_ppm, 130000);
    cr_assert_eq(tax_lookup("  qC \n", T2026, &r), 0);
    cr_assert_str_eq(r.code, "QC");
    const char *bad[] = {"XX", "", "   ", "ONT", "O", "Q C", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(tax_lookup(bad[i], T2026, &r), MONEY_EUNKNOWN);
        cr_assert(!r.known);
        cr_assert_eq(r.rate_ppm, 50000);
        cr_assert_str_eq(r.description, "GST 5% (province unknown)");
        cr_assert_eq(r.ncomponents, 1);
        cr_assert_str_eq(r.components[0].name, "GST");
        cr_assert_eq(r.components[0].rate_ppm, 50000);
        cr_assert_eq(tax_lookup_or_default(bad[i], T2026, &r), 0);
        cr_assert_str_eq(r.description, "GST 5% (province unknown)");
        cr_assert(!tax_is_province(bad[i]));
    }
    cr_assert_eq(tax_lookup("ON", T2026, NULL), MONEY_EINVAL);
    cr_assert_str_eq(tax_kind_name(TAX_QST), "QST");
    cr_assert_null(tax_kind_name(TAX_KIND_COUNT));
}

Test(tax, component_amounts)
{
    tax_rates r;
    int64_t c[TAX_MAX_COMPONENTS], total;
    cr_assert_eq(tax_lookup("QC", T2026, &r), 0);
    cr_assert_eq(tax_amounts(&r, 75, c, &total), 0);
    cr_assert_eq(c[0], 4); /* GST RHU(75 × 50 000, 10^6) */
    cr_assert_eq(c[1], 7); /* QST RHU(75 × 99 750, 10^6) */
    cr_assert_eq(total, 11);
    cr_assert_eq(tax_lookup("ON", T2026, &r), 0);
    cr_assert_eq(tax_amounts(&r, 75, c, &total), 0);
    cr_assert_eq(c[0], 10);
    cr_assert_eq(c[1], 0);
    cr_assert_eq(total, 10);
    cr_assert_eq(tax_amounts(&r, -75, c, &total), 0);
    cr_assert_eq(total, -10);
    /* no rate exceeds 100 %, so even the largest subtotal's tax fits */
    cr_assert_eq(tax_amounts(&r, INT64_MAX, c, &total), 0);
    cr_assert_eq(total, fixed_rhu128((__int128)INT64_MAX * 130000, 1000000));
    cr_assert_eq(tax_amounts(NULL, 1, c, &total), MONEY_EINVAL);
    cr_assert_eq(tax_lookup("BC", T2026, &r), 0);
    cr_assert_eq(tax_amounts(&r, 10000, c, &total), 0);
    cr_assert_eq(c[0], 500);
    cr_assert_eq(c[1], 700);
    cr_assert_eq(total, 1200);
}

#define US(s) ((int64_t)(s) * 1000000)

Test(tax, utc_quarters)
{
    cr_assert_eq(tax_quarter_start(US(1778846400)), US(1775001600)); /* 2026-05-15 → 2026-04-01 */
    cr_assert_eq(tax_quarter_start(US(1775001600)), US(1775001600));
    cr_assert_eq(tax_quarter_start(US(1775001600) - 1), US(1767225600)); /* → 2026-01-01 */
    cr_assert_eq(tax_quarter_add(US(1775001600), -1), US(1767225600));
    cr_assert_eq(tax_quarter_add(US(1767225600), -3), US(1743465600)); /* 2025-04-01 */
    cr_assert_eq(tax_quarter_add(US(1743465600), 3), US(1767225600));
    cr_assert_eq(tax_quarter_start(-1), INT64_C(-7948800) * 1000000); /* 1969-10-01 */
    cr_assert_eq(tax_quarter_start(0), 0);
}

Test(tax, small_supplier_threshold)
{
    const int64_t th = TAX_SMALL_SUPPLIER_THRESHOLD_UCAD;
    cr_assert_eq(th, INT64_C(30000000000));
    cr_assert(!tax_small_supplier_exceeded(0, 0));
    cr_assert(!tax_small_supplier_exceeded(th, th));
    cr_assert(tax_small_supplier_exceeded(th + 10000, th + 10000)); /* 30 000.01 */
    cr_assert(tax_small_supplier_exceeded(0, th + 1));
    char b[160];
    cr_assert_str_eq(tax_small_supplier_message(false, 0, b, sizeof b),
                     "Below threshold ($0.00 / $30,000). Registration not yet required but recommended.");
    cr_assert_str_eq(tax_small_supplier_message(false, INT64_C(12345678900), b, sizeof b),
                     "Below threshold ($12,345.68 / $30,000). Registration not yet required but recommended.");
    cr_assert_str_eq(tax_small_supplier_message(true, th + 10000, b, sizeof b),
                     "GST/HST registration REQUIRED \xE2\x80\x94 revenue exceeds $30,000 threshold.");
    cr_assert_str_eq(tax_provider_threshold_message(true, th + 1, b, sizeof b),
                     "Provider should register for GST/HST \xE2\x80\x94 payouts exceed $30,000.");
    cr_assert_str_eq(tax_provider_threshold_message(false, 1500000, b, sizeof b),
                     "Below threshold ($1.50 / $30,000).");
}
