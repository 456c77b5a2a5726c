/* A customer's own money: wallet (balance, held, recent transactions) and topup (a card top-up
 * through a Stripe PaymentIntent), api.md §8.5. Without --customer the signed-in user's customer. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"
#include "common/xalloc.h"

#define NOPT {NULL, 0, 0, NULL, NULL}
#define WALLET_HISTORY "10" /* transactions shown by `wallet` */

static const char customer_hint[] = "the operator gives --customer ID";

/* The customer id to act on: --customer, else the signed-in user's. Caller frees *out. */
static int which_customer(struct cli_ctx *ctx, const char *opt, char **out)
{
    char *prov = NULL;
    int rc;

    if (opt) {
        *out = xstrdup(opt);
        return CLI_EXIT_OK;
    }
    rc = cli_me_ids(ctx, customer_hint, out, &prov);
    free(prov);
    if (rc == CLI_EXIT_OK && !*out) {
        cli_errorf("your account has no customer id; %s", customer_hint);
        rc = CLI_EXIT_API;
    }
    return rc;
}

/* ---------- wallet ---------- */

static void print_wallet(const json_t *w, const json_t *txs, int color)
{
    static const char *const seps[] = {"", " | ", " | ", " | balance ", " | "};
    char bal[48], held[48], dep[48], spent[48], owed[48];
    const json_t *t;
    size_t i;

    printf("Wallet %s (%s)\n", cli_jstr(w, "customer_id"), cli_jstr(w, "status"));
    printf("  balance:     $%s CAD\n", cli_jmoney(w, "balance_cad", bal, sizeof bal));
    printf("  held:        $%s CAD\n", cli_jmoney(w, "held_cad", held, sizeof held));
    printf("  outstanding: $%s CAD\n", cli_jmoney(w, "outstanding_cad", owed, sizeof owed));
    printf("  deposited:   $%s CAD\n", cli_jmoney(w, "total_deposited_cad", dep, sizeof dep));
    printf("  spent:       $%s CAD\n", cli_jmoney(w, "total_spent_cad", spent, sizeof spent));
    printf("Recent transactions:\n");
    if (!json_is_array(txs) || json_array_size(txs) == 0) {
        printf("  none\n");
        return;
    }
    struct cli_table *tab = cli_table_new(5, seps);
    json_array_foreach(txs, i, t) {
        char when[40], amt[48], acell[64], after[48], acell2[64];
        const char *cells[5];
        int64_t v = 0;

        cli_jfixed(t, "amount_cad", MONEY_SCALE, &v);
        snprintf(acell, sizeof acell, "%s$%s", v < 0 ? "-" : "+",
                 cli_money_str(v < 0 ? -v : v, amt, sizeof amt));
        snprintf(acell2, sizeof acell2, "$%s", cli_jmoney(t, "balance_after_cad", after, sizeof after));
        cells[0] = cli_jtime(t, "created_at", when, sizeof when);
        cells[1] = cli_jstr(t, "tx_type");
        cells[2] = acell;
        cells[3] = acell2;
        cells[4] = cli_jstr(t, "description");
        cli_table_add(tab, cells, NULL);
    }
    cli_table_print(tab, stdout, color);
    cli_table_free(tab);
}

int cli_cmd_wallet(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *cust_opt = NULL;
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {{"customer", 'c', 1, &cust_opt, NULL}, NOPT};
    struct cli_resp w = {0}, h = {0};
    char *cust = NULL, *path = NULL, *hpath = NULL;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (cust_opt && !*cust_opt)
        return cli_usage_error(cmd, "--customer needs a customer id");
    if ((rc = which_customer(ctx, cust_opt, &cust)))
        return rc;
    path = cli_path_fmt("/api/billing/wallet/%s", cust);
    hpath = cli_path_fmt("/api/billing/wallet/%s/history?limit=" WALLET_HISTORY, cust);
    if ((rc = cli_call(ctx, "GET", path, NULL, &w)) || (rc = cli_call(ctx, "GET", hpath, NULL, &h)))
        goto out;
    if (ctx->json) {
        /* One object: the wallet answer with the history's transactions added. */
        json_object_set(w.json, "transactions", json_object_get(h.json, "transactions"));
        cli_json_pretty(stdout, w.json);
    } else {
        print_wallet(json_object_get(w.json, "wallet"), json_object_get(h.json, "transactions"), ctx->color);
    }
out:
    free(cust);
    free(path);
    free(hpath);
    cli_resp_free(&w);
    cli_resp_free(&h);
    return rc;
}

/* ---------- topup ---------- */

int cli_cmd_topup(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *cust_opt = NULL, *pos[1];
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {{"customer", 'c', 1, &cust_opt, NULL}, NOPT};
    struct cli_resp r = {0};
    struct cli_body b;
    char *cust = NULL, *path;
    int64_t amount;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 1, 1, &npos, &done)) || done)
        return rc;
    if ((rc = cli_arg_fixed(cmd, "AMOUNT", pos[0], MONEY_SCALE, 1, &amount)))
        return rc;
    if (amount % 10000 != 0)
        return cli_usage_error(cmd, "AMOUNT must be whole cents, got '%s'", pos[0]);
    if (cust_opt && !*cust_opt)
        return cli_usage_error(cmd, "--customer needs a customer id");
    if ((rc = which_customer(ctx, cust_opt, &cust)))
        return rc;
    path = cli_path_fmt("/api/billing/wallet/%s/topup", cust);
    cli_body_init(&b);
    cli_body_fixed(&b, "amount_cad", amount, MONEY_SCALE);
    cli_body_str(&b, "currency", "cad");
    if (cli_call_out(ctx, "POST", path, cli_body_finish(&b), &r, &rc)) {
        char amt[48];
        printf("Top-up started: $%s CAD for %s\n", cli_jmoney(r.json, "amount_cad", amt, sizeof amt), cust);
        printf("  payment intent: %s\n", cli_jstr(r.json, "payment_intent_id"));
        printf("  client secret:  %s\n", cli_jstr(r.json, "client_secret"));
        printf("Next: confirm the payment with this client secret (Stripe.js, or the dashboard's\n"
               "Top up button). The wallet is credited once Stripe reports the payment succeeded;\n"
               "check it with 'xcelsior wallet'.\n");
    }
    cli_body_free(&b);
    free(path);
    free(cust);
    cli_resp_free(&r);
    return rc;
}
