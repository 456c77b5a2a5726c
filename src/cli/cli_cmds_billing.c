/* Billing and marketplace verbs: bill, bill-all, revenue, billing, spot-prices, list-rig,
 * unlist-rig, marketplace. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"

#define NOPT {NULL, 0, 0, NULL, NULL}

static void print_bill(const json_t *b)
{
    char dur[48], cost[48];
    const char *name = cli_jstr(b, "job_name");

    printf("  Billed: %s | %ss | $%s\n", *name ? name : cli_jstr(b, "job_id"),
           cli_jdec(b, "duration_sec", 3, dur, sizeof dur), cli_jmoney(b, "cost", cost, sizeof cost));
}

/* ---------- bill ---------- */

int cli_cmd_bill(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_resp r = {0};
    char *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, pos, 1, 1, &npos, &done)) || done)
        return rc;
    path = cli_path_fmt("/billing/bill/%s", pos[0]);
    if (cli_call_out(ctx, "POST", path, NULL, &r, &rc))
        print_bill(json_object_get(r.json, "bill"));
    free(path);
    cli_resp_free(&r);
    return rc;
}

/* ---------- bill-all ---------- */

int cli_cmd_bill_all(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    struct cli_resp r = {0};
    const json_t *bills, *b;
    size_t i;

    if (!cli_verb_simple(ctx, cmd, argc, argv, "POST", "/billing/bill-all", &r, &rc) ||
        !(bills = cli_jitems(r.json, "bills", JSON_ARRAY, "Nothing to bill.")))
        goto out;
    json_array_foreach(bills, i, b)
        print_bill(b);
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- revenue ---------- */

int cli_cmd_revenue(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    struct cli_resp r = {0};
    char tot[48], plat[48];

    if (!cli_verb_simple(ctx, cmd, argc, argv, "GET", "/billing/revenue", &r, &rc))
        goto out;
    printf("Total jobs billed: %lld\n", cli_jint(r.json, "records"));
    printf("Total revenue:     $%s\n", cli_jmoney(r.json, "total_revenue", tot, sizeof tot));
    printf("Platform revenue:  $%s\n", cli_jmoney(r.json, "platform_revenue", plat, sizeof plat));
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- billing ---------- */

int cli_cmd_billing(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    static const char *const seps[] = {"", " | ", " | ", " | "};
    struct cli_resp r = {0};
    const json_t *recs, *b;
    size_t i;
    char tot[48];

    if (!cli_verb_simple(ctx, cmd, argc, argv, "GET", "/billing", &r, &rc))
        goto out;
    if ((recs = cli_jitems(r.json, "records", JSON_ARRAY, "No billing records."))) {
        struct cli_table *t = cli_table_new(4, seps);
        json_array_foreach(recs, i, b) {
            char dur[48], dcell[64], cost[48], ccell[64];
            const char *name = cli_jstr(b, "job_name");
            const char *cells[4];

            snprintf(dcell, sizeof dcell, "%ss", cli_jdec(b, "duration_sec", 3, dur, sizeof dur));
            snprintf(ccell, sizeof ccell, "$%s", cli_jmoney(b, "cost", cost, sizeof cost));
            cells[0] = *name ? name : cli_jstr(b, "job_id");
            cells[1] = cli_jstr(b, "host_id");
            cells[2] = dcell;
            cells[3] = ccell;
            cli_table_add(t, cells, NULL);
        }
        cli_table_print(t, stdout, ctx->color);
        cli_table_free(t);
    }
    printf("Total: $%s\n", cli_jmoney(r.json, "total_revenue", tot, sizeof tot));
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- spot-prices ---------- */

int cli_cmd_spot_prices(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int rc;
    struct cli_resp r = {0};
    const json_t *prices, *v;
    const char *k;

    if (!cli_verb_simple(ctx, cmd, argc, argv, "GET", "/spot-prices", &r, &rc) ||
        !(prices = cli_jitems(r.json, "prices", JSON_OBJECT, "No spot prices.")))
        goto out;
    json_object_foreach((json_t *)prices, k, v) {
        char pb[48];
        int64_t p;
        if (cli_jfixed(v, NULL, MONEY_SCALE, &p) == 0)
            printf("%s: $%s/hr\n", k, cli_money_str(p, pb, sizeof pb));
        else
            printf("%s: ?\n", k);
    }
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- list-rig ---------- */

int cli_cmd_list_rig(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *host = NULL, *rate_s = NULL, *desc = NULL, *gpu = NULL, *vram_s = NULL;
    int done = 0, npos = 0, rc;
    struct cli_opt opts[] = {
        {"host", 0, 1, &host, NULL},
        {"rate", 0, 1, &rate_s, NULL},
        {"description", 'd', 1, &desc, NULL},
        {"gpu", 0, 1, &gpu, NULL},
        {"vram", 0, 1, &vram_s, NULL},
        NOPT,
    };
    int show;
    int64_t rate, vram = 0;
    struct cli_body b;
    struct cli_resp r = {0};

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (!host || !*host)
        return cli_usage_error(cmd, "missing --host");
    if (!rate_s)
        return cli_usage_error(cmd, "missing --rate");
    if ((rc = cli_arg_fixed(cmd, "--rate", rate_s, MONEY_SCALE, 1, &rate)))
        return rc;
    if (vram_s && (rc = cli_arg_fixed(cmd, "--vram", vram_s, VRAM_SCALE, 1, &vram)))
        return rc;

    cli_body_init(&b);
    cli_body_str(&b, "host_id", host);
    cli_body_fixed(&b, "price_per_hour", rate, MONEY_SCALE);
    if (desc)
        cli_body_str(&b, "description", desc);
    if (gpu)
        cli_body_str(&b, "gpu_model", gpu);
    if (vram_s)
        cli_body_fixed(&b, "vram_gb", vram, VRAM_SCALE);
    show = cli_call_out(ctx, "POST", "/marketplace/list", cli_body_finish(&b), &r, &rc);
    cli_body_free(&b);
    if (show) {
        const json_t *l = json_object_get(r.json, "listing");
        char vb[48], pb[48];
        printf("Listed: %s | %s | %sGB | $%s/hr\n", cli_jstr(l, "host_id"), cli_jstr(l, "gpu_model"),
               cli_jvram(l, "vram_gb", vb, sizeof vb), cli_jmoney(l, "price_per_hour", pb, sizeof pb));
    }
    cli_resp_free(&r);
    return rc;
}

/* ---------- unlist-rig ---------- */

int cli_cmd_unlist_rig(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    const char *host = NULL;
    int done = 0, npos = 0, rc;
    const char *pos[1];
    struct cli_opt opts[] = {{"host", 0, 1, &host, NULL}, NOPT};
    struct cli_resp r = {0};
    char *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 0, 1, &npos, &done)) || done)
        return rc;
    if (npos == 1) {
        if (host && strcmp(host, pos[0]) != 0)
            return cli_usage_error(cmd, "give the host id once (--host HOST_ID)");
        host = pos[0];
    }
    if (!host || !*host)
        return cli_usage_error(cmd, "missing --host");
    path = cli_path_fmt("/marketplace/%s", host);
    if (cli_call_out(ctx, "DELETE", path, NULL, &r, &rc)) {
        const char *u = cli_jstr(r.json, "unlisted");
        printf("Unlisted: %s\n", *u ? u : host);
    }
    free(path);
    cli_resp_free(&r);
    return rc;
}

/* ---------- marketplace ---------- */

int cli_cmd_marketplace(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int all = 0, done = 0, npos = 0, rc;
    struct cli_opt opts[] = {{"all", 'a', 0, NULL, &all}, NOPT};
    static const char *const seps[] = {"", " | ", " | ", " | ", " | "};
    struct cli_resp r = {0};
    const json_t *ls, *l;
    size_t i;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if (!cli_call_out(ctx, "GET", all ? "/marketplace?active_only=false" : "/marketplace?active_only=true",
                      NULL, &r, &rc) ||
        !(ls = cli_jitems(r.json, "listings", JSON_ARRAY, "No listings.")))
        goto out;
    {
        struct cli_table *t = cli_table_new(5, seps);
        json_array_foreach(ls, i, l) {
            char vb[48], vcell[64], pb[48], pcell[64], dcell[600];
            const char *cells[5];
            const json_t *act = json_object_get(l, "active");

            snprintf(vcell, sizeof vcell, "%sGB", cli_jvram(l, "vram_gb", vb, sizeof vb));
            snprintf(pcell, sizeof pcell, "$%s/hr", cli_jmoney(l, "price_per_hour", pb, sizeof pb));
            snprintf(dcell, sizeof dcell, "%s%s",
                     *cli_jstr(l, "description") ? cli_jstr(l, "description") : "\xe2\x80\x94",
                     json_is_false(act) ? " (inactive)" : "");
            cells[0] = cli_jstr(l, "host_id");
            cells[1] = cli_jstr(l, "gpu_model");
            cells[2] = vcell;
            cells[3] = pcell;
            cells[4] = dcell;
            cli_table_add(t, cells, NULL);
        }
        cli_table_print(t, stdout, ctx->color);
        cli_table_free(t);
    }
out:
    cli_resp_free(&r);
    return rc;
}
