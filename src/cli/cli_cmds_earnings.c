/* A provider's money: provider (register / show the account), earnings (totals and recent
 * payouts) and payouts (list; `pay` for the operator), api.md §8.7. Without --provider the
 * signed-in user's provider account. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define NOPT {NULL, 0, 0, NULL, NULL}

static const char provider_hint[] = "the operator gives --provider ID";

/* The provider id to act on: --provider, else the signed-in user's. Caller frees *out. */
static int which_provider(struct cli_ctx *ctx, const char *opt, char **out)
{
    char *cust = NULL;
    int rc;

    if (opt) {
        *out = xstrdup(opt);
        return CLI_EXIT_OK;
    }
    rc = cli_me_ids(ctx, provider_hint, &cust, out);
    free(cust);
    if (rc == CLI_EXIT_OK && !*out) {
        cli_errorf("you have no provider account yet: run 'xcelsior provider register' first");
        rc = CLI_EXIT_API;
    }
    return rc;
}

static void print_payouts(const json_t *rows, int color)
{
    static const char *const seps[] = {"", " | ", " | ", " | ", " | job ", " | "};
    const json_t *p;
    size_t i;

    if (!json_is_array(rows) || json_array_size(rows) == 0) {
        printf("  none\n");
        return;
    }
    struct cli_table *t = cli_table_new(6, seps);
    json_array_foreach(rows, i, p) {
        char amt[48], acell[64], when[40], paid[40];
        const char *st = cli_jstr(p, "status");
        const char *cells[6];
        enum cli_color colors[6] = {CLI_C_NONE, CLI_C_NONE, CLI_C_NONE, CLI_C_NONE, CLI_C_NONE, CLI_C_NONE};
        int is_paid = strcmp(st, "paid") == 0;

        snprintf(acell, sizeof acell, "$%s", cli_jmoney(p, "provider_payout_cad", amt, sizeof amt));
        cells[0] = cli_jstr(p, "payout_id");
        cells[1] = cli_jstr(p, "kind");
        cells[2] = st;
        cells[3] = acell;
        cells[4] = *cli_jstr(p, "job_id") ? cli_jstr(p, "job_id") : "-";
        cells[5] = is_paid ? cli_jtime(p, "paid_at", paid, sizeof paid) : cli_jtime(p, "created_at", when, sizeof when);
        colors[2] = is_paid ? CLI_C_GREEN : CLI_C_YELLOW;
        cli_table_add(t, cells, colors);
    }
    cli_table_print(t, stdout, color);
    cli_table_free(t);
}

/* GET /api/providers/{id}/earnings for --provider or the signed-in user. */
static int get_earnings(struct cli_ctx *ctx, const char *prov_opt, struct cli_resp *r, int *show)
{
    char *prov = NULL, *path;
    int rc;

    *show = 0;
    if ((rc = which_provider(ctx, prov_opt, &prov)))
        return rc;
    path = cli_path_fmt("/api/providers/%s/earnings", prov);
    *show = cli_call_out(ctx, "GET", path, NULL, r, &rc);
    free(path);
    free(prov);
    return rc;
}

/* ---------- earnings ---------- */

int cli_cmd_earnings(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *prov_opt = NULL;
    int done = 0, npos = 0, rc, show;
    struct cli_opt opts[] = {{"provider", 'p', 1, &prov_opt, NULL}, NOPT};
    struct cli_resp r = {0};

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (prov_opt && !*prov_opt)
        return cli_usage_error(cmd, "--provider needs a provider id");
    rc = get_earnings(ctx, prov_opt, &r, &show);
    if (show) {
        const json_t *e = json_object_get(r.json, "earnings");
        char a[48], b[48], c[48], d[48], f[48];
        printf("Earnings of %s\n", cli_jstr(r.json, "provider_id"));
        printf("  jobs:          %lld\n", cli_jint(e, "total_jobs"));
        printf("  earned:        $%s CAD\n", cli_jmoney(e, "total_earned_cad", a, sizeof a));
        printf("  platform fee:  $%s CAD\n", cli_jmoney(e, "total_platform_cad", b, sizeof b));
        printf("  GST/HST:       $%s CAD\n", cli_jmoney(e, "total_tax_cad", c, sizeof c));
        printf("  pending:       $%s CAD\n", cli_jmoney(e, "pending_cad", d, sizeof d));
        printf("  paid:          $%s CAD\n", cli_jmoney(e, "paid_cad", f, sizeof f));
        printf("Recent payouts:\n");
        print_payouts(json_object_get(r.json, "recent_payouts"), ctx->color);
    }
    cli_resp_free(&r);
    return rc;
}

/* ---------- payouts ---------- */

#define PAYOUT_IDS_MAX 1000 /* the route's own limit */

/* Splits "a,b,c" into ids (pointers into the copy *buf, freed by the caller); -1 when an id is
 * empty or there are too many. */
static int split_ids(const char *list, char **buf, const char **ids, size_t *n)
{
    *n = 0;
    *buf = xstrdup(list);
    for (char *t = *buf; t;) {
        char *comma = strchr(t, ',');
        if (comma)
            *comma = '\0';
        if (!*t || *n == PAYOUT_IDS_MAX)
            return -1;
        ids[(*n)++] = t;
        t = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int payouts_pay(struct cli_ctx *ctx, const char *prov, const char *const *ids, size_t nids,
                       const char *reference)
{
    struct cli_body b;
    struct cli_resp r = {0};
    char *path = cli_path_fmt("/api/providers/%s/payout", prov);
    int rc;

    cli_body_init(&b);
    if (ids)
        cli_body_strv(&b, "payout_ids", ids, nids);
    if (reference)
        cli_body_str(&b, "reference", reference);
    if (cli_call_out(ctx, "POST", path, cli_body_finish(&b), &r, &rc)) {
        long long n = cli_jint(r.json, "paid");
        const char *ref = cli_jstr(r.json, "transfer_reference");
        char tot[48];
        if (n == 0)
            printf("Nothing to pay: %s has no pending payout of a cent or more.\n", prov);
        else
            printf("Paid %lld payout%s of %s: $%s CAD%s%s%s\n", n, n == 1 ? "" : "s", prov,
                   cli_jmoney(r.json, "total_cad", tot, sizeof tot), *ref ? " (reference " : "", ref,
                   *ref ? ")" : "");
    }
    cli_body_free(&b);
    free(path);
    cli_resp_free(&r);
    return rc;
}

int cli_cmd_payouts(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *prov_opt = NULL, *reference = NULL, *ids_opt = NULL, *pos[2] = {NULL, NULL}, *sub;
    int done = 0, npos = 0, rc, show;
    struct cli_opt opts[] = {
        {"provider", 'p', 1, &prov_opt, NULL},
        {"reference", 'r', 1, &reference, NULL},
        {"ids", 0, 1, &ids_opt, NULL},
        NOPT,
    };
    struct cli_resp r = {0};

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 0, 2, &npos, &done)) || done)
        return rc;
    sub = npos > 0 ? pos[0] : "list";
    if (strcmp(sub, "pay") == 0) {
        if (npos < 2 && !prov_opt)
            return cli_usage_error(cmd, "missing PROVIDER_ID ('xcelsior payouts pay PROVIDER_ID')");
        if (npos == 2 && prov_opt && strcmp(prov_opt, pos[1]) != 0)
            return cli_usage_error(cmd, "give the provider id once");
        if (reference && strlen(reference) > 100)
            return cli_usage_error(cmd, "--reference has at most 100 characters");
        if (!ids_opt)
            return payouts_pay(ctx, npos == 2 ? pos[1] : prov_opt, NULL, 0, reference);
        const char **ids = xcalloc(PAYOUT_IDS_MAX, sizeof *ids);
        size_t nids;
        char *buf;
        if (split_ids(ids_opt, &buf, ids, &nids) < 0)
            rc = cli_usage_error(cmd, "--ids takes 1 to %d payout ids separated by commas", PAYOUT_IDS_MAX);
        else
            rc = payouts_pay(ctx, npos == 2 ? pos[1] : prov_opt, ids, nids, reference);
        free(buf);
        free(ids);
        return rc;
    }
    if (strcmp(sub, "list") != 0 && strcmp(sub, "ls") != 0)
        return cli_usage_error(cmd, "unknown payouts action '%s' (expected list or pay)", sub);
    if (npos > 1 || reference || ids_opt)
        return cli_usage_error(cmd, "'payouts list' takes only --provider");
    if (prov_opt && !*prov_opt)
        return cli_usage_error(cmd, "--provider needs a provider id");
    rc = get_earnings(ctx, prov_opt, &r, &show);
    if (show) {
        printf("Recent payouts of %s:\n", cli_jstr(r.json, "provider_id"));
        print_payouts(json_object_get(r.json, "recent_payouts"), ctx->color);
    }
    cli_resp_free(&r);
    return rc;
}

/* ---------- provider ---------- */

static int provider_register(struct cli_ctx *ctx, const char *company, const char *gst, const char *province,
                             const char *bn, const char *email)
{
    struct cli_body b;
    struct cli_resp r = {0};
    int rc;

    cli_body_init(&b);
    cli_body_str(&b, "provider_type", company ? "company" : "individual");
    if (company)
        cli_body_str(&b, "corporation_name", company);
    if (gst)
        cli_body_str(&b, "gst_hst_number", gst);
    if (bn)
        cli_body_str(&b, "business_number", bn);
    if (province)
        cli_body_str(&b, "province", province);
    if (email)
        cli_body_str(&b, "email", email);
    if (cli_call_out(ctx, "POST", "/api/providers/register", cli_body_finish(&b), &r, &rc)) {
        const char *acct = cli_jstr(r.json, "stripe_account_id");
        printf("Provider account created: %s (%s)\n", cli_jstr(r.json, "provider_id"), cli_jstr(r.json, "status"));
        if (*acct)
            printf("  payout account: %s%s\n", acct, strncmp(acct, "acct_stub_", 10) == 0 ? " (stub mode)" : "");
        printf("  onboarding:     %s\n", cli_jstr(r.json, "onboarding_url"));
        printf("Next: open the onboarding link to finish payout setup, register your hosts with\n"
               "'xcelsior host-add', and follow what they earn with 'xcelsior earnings'.\n");
    }
    cli_body_free(&b);
    cli_resp_free(&r);
    return rc;
}

static int provider_show(struct cli_ctx *ctx, const char *prov_opt)
{
    struct cli_resp r = {0};
    char *prov = NULL, *path;
    int rc;

    if ((rc = which_provider(ctx, prov_opt, &prov)))
        return rc;
    path = cli_path_fmt("/api/providers/%s", prov);
    if (cli_call_out(ctx, "GET", path, NULL, &r, &rc)) {
        const json_t *p = json_object_get(r.json, "provider");
        const char *corp = cli_jstr(p, "corporation_name"), *gst = cli_jstr(p, "gst_hst_number");
        char created[40];
        printf("%s (%s, %s)\n", cli_jstr(p, "provider_id"), cli_jstr(p, "provider_type"), cli_jstr(p, "status"));
        if (*corp)
            printf("  company:  %s\n", corp);
        printf("  email:    %s\n", cli_jstr(p, "email"));
        printf("  province: %s\n", *cli_jstr(p, "province") ? cli_jstr(p, "province") : "-");
        printf("  GST/HST:  %s\n", *gst ? gst : "not registered");
        printf("  created:  %s\n", cli_jtime(p, "created_at", created, sizeof created));
    }
    free(path);
    free(prov);
    cli_resp_free(&r);
    return rc;
}

int cli_cmd_provider(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *company = NULL, *gst = NULL, *province = NULL, *bn = NULL, *email = NULL, *prov_opt = NULL;
    const char *pos[1] = {NULL}, *sub;
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"company", 0, 1, &company, NULL},
        {"gst", 0, 1, &gst, NULL},
        {"province", 0, 1, &province, NULL},
        {"business-number", 0, 1, &bn, NULL},
        {"email", 'e', 1, &email, NULL},
        {"provider", 'p', 1, &prov_opt, NULL},
        NOPT,
    };

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 0, 1, &npos, &done)) || done)
        return rc;
    sub = npos > 0 ? pos[0] : "show";
    if (strcmp(sub, "register") == 0) {
        if (prov_opt)
            return cli_usage_error(cmd, "'provider register' takes no --provider (it creates your own account)");
        if (company && !*company)
            return cli_usage_error(cmd, "--company needs the corporation name");
        return provider_register(ctx, company, gst, province, bn, email);
    }
    if (strcmp(sub, "show") != 0)
        return cli_usage_error(cmd, "unknown provider action '%s' (expected show or register)", sub);
    if (company || gst || province || bn || email)
        return cli_usage_error(cmd, "'provider show' takes only --provider");
    return provider_show(ctx, prov_opt);
}
