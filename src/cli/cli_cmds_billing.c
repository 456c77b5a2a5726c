/* Billing and marketplace verbs: bill, bill-all, revenue, billing, spot-prices, list-rig,
 * unlist-rig, marketplace. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/fixed.h"

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
    char *e, *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, pos, 1, 1, &npos, &done)) || done)
        return rc;
    e = cli_path_escape(pos[0]);
    path = xasprintf("/billing/bill/%s", e);
    free(e);
    rc = cli_call(ctx, "POST", path, NULL, &r);
    free(path);
    if (rc)
        goto out;
    if (ctx->json)
        cli_print_raw(&r);
    else
        print_bill(json_object_get(r.json, "bill"));
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- bill-all ---------- */

int cli_cmd_bill_all(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    struct cli_resp r = {0};
    const json_t *bills, *b;
    size_t i;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if ((rc = cli_call(ctx, "POST", "/billing/bill-all", NULL, &r)))
        goto out;
    if (ctx->json) {
        cli_print_raw(&r);
        goto out;
    }
    bills = json_object_get(r.json, "bills");
    if (!json_is_array(bills) || json_array_size(bills) == 0) {
        printf("Nothing to bill.\n");
        goto out;
    }
    json_array_foreach(bills, i, b)
        print_bill(b);
out:
    cli_resp_free(&r);
    return rc;
}

/* ---------- revenue ---------- */

int cli_cmd_revenue(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc, char **argv)
{
    int done = 0, npos = 0, rc;
    struct cli_resp r = {0};
    char tot[48], plat[48];

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if ((rc = cli_call(ctx, "GET", "/billing/revenue", NULL, &r)))
        goto out;
    if (ctx->json) {
        cli_print_raw(&r);
        goto out;
    }
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
    int done = 0, npos = 0, rc;
    static const char *const seps[] = {"", " | ", " | ", " | "};
    struct cli_resp r = {0};
    const json_t *recs, *b;
    size_t i;
    char tot[48];

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if ((rc = cli_call(ctx, "GET", "/billing", NULL, &r)))
        goto out;
    if (ctx->json) {
        cli_print_raw(&r);
        goto out;
    }
    recs = json_object_get(r.json, "records");
    if (!json_is_array(recs) || json_array_size(recs) == 0) {
        printf("No billing records.\n");
    } else {
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
    int done = 0, npos = 0, rc;
    struct cli_resp r = {0};
    const json_t *prices, *v;
    const char *k;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, NULL, NULL, 0, 0, &npos, &done)) || done)
        return rc;
    if ((rc = cli_call(ctx, "GET", "/spot-prices", NULL, &r)))
        goto out;
    if (ctx->json) {
        cli_print_raw(&r);
        goto out;
    }
    prices = json_object_get(r.json, "prices");
    if (!json_is_object(prices) || json_object_size(prices) == 0) {
        printf("No spot prices.\n");
        goto out;
    }
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
    rc = cli_call(ctx, "POST", "/marketplace/list", cli_body_finish(&b), &r);
    cli_body_free(&b);
    if (rc)
        goto out;
    if (ctx->json) {
        cli_print_raw(&r);
    } else {
        const json_t *l = json_object_get(r.json, "listing");
        char vb[48], pb[48];
        printf("Listed: %s | %s | %sGB | $%s/hr\n", cli_jstr(l, "host_id"), cli_jstr(l, "gpu_model"),
               cli_jvram(l, "vram_gb", vb, sizeof vb), cli_jmoney(l, "price_per_hour", pb, sizeof pb));
    }
out:
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
    char *e, *path;

    if ((rc = cli_parse_args(ctx, cmd, argc, argv, opts, pos, 0, 1, &npos, &done)) || done)
        return rc;
    if (npos == 1) {
        if (host && strcmp(host, pos[0]) != 0)
            return cli_usage_error(cmd, "give the host id once (--host HOST_ID)");
        host = pos[0];
    }
    if (!host || !*host)
        return cli_usage_error(cmd, "missing --host");
    e = cli_path_escape(host);
    path = xasprintf("/marketplace/%s", e);
    free(e);
    rc = cli_call(ctx, "DELETE", path, NULL, &r);
    free(path);
    if (rc)
        goto out;
    if (ctx->json) {
        cli_print_raw(&r);
    } else {
        const char *u = cli_jstr(r.json, "unlisted");
        printf("Unlisted: %s\n", *u ? u : host);
    }
out:
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
    if ((rc = cli_call(ctx, "GET", all ? "/marketplace?active_only=false" : "/marketplace?active_only=true",
                       NULL, &r)))
        goto out;
    if (ctx->json) {
        cli_print_raw(&r);
        goto out;
    }
    ls = json_object_get(r.json, "listings");
    if (!json_is_array(ls) || json_array_size(ls) == 0) {
        printf("No listings.\n");
        goto out;
    }
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
