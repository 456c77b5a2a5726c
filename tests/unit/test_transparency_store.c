/* Legal requests and disclosures (store/sqlite_transparency.c): received -> responded exactly
 * once as a compare-and-swap, unknown ids, windows and order of the listings. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "store/store.h"
#include "store/transparency_store.h"

static char dir[64];
static char path[128];
static struct store *st;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/xc-tstore-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    cr_assert_eq(store_open(path, &st), 0);
    int applied;
    cr_assert_eq(store_migrate_up(st, &applied), 0);
}

static void teardown(void)
{
    store_close(st);
    char p[160];
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    unlink(path);
    rmdir(dir);
}

TestSuite(transparency_store, .init = setup, .fini = teardown);

static void put(const char *id, int64_t at, enum trust_legal_type t, const char *jur)
{
    struct legal_request q = {0};
    snprintf(q.request_id, sizeof q.request_id, "%s", id);
    snprintf(q.jurisdiction, sizeof q.jurisdiction, "%s", jur);
    q.received_at = at;
    q.type = t;
    q.status = TRUST_LEGAL_ST_RECEIVED;
    q.authority = (char *)"RCMP";
    q.scope = (char *)"scope";
    q.notes = (char *)"first";
    cr_assert_eq(tstore_legal_insert(st, &q), 0);
}

Test(transparency_store, respond_once)
{
    put("aa", 100, TRUST_LEGAL_WARRANT, "US");
    cr_assert_eq(tstore_legal_respond(st, "aa", 200, true, false, ""), 0);
    cr_assert_eq(tstore_legal_respond(st, "aa", 300, false, true, "again"), XC_ECONFLICT);
    cr_assert_eq(tstore_legal_respond(st, "zz", 300, false, false, ""), XC_ENOTFOUND);
    struct legal_request q;
    cr_assert_eq(tstore_legal_get(st, "aa", &q), 0);
    cr_assert_eq(q.status, TRUST_LEGAL_ST_RESPONDED);
    cr_assert_eq(q.type, TRUST_LEGAL_WARRANT);
    cr_assert_eq(q.responded_at, 200);
    cr_assert(q.complied && !q.challenged);
    cr_assert_str_eq(q.notes, "first"); /* an empty response note keeps the request's */
    cr_assert_str_eq(q.authority, "RCMP");
    cr_assert_str_eq(q.jurisdiction, "US");
    legal_request_free(&q);
    cr_assert_eq(tstore_legal_get(st, "zz", &q), XC_ENOTFOUND);
    cr_assert_eq(tstore_legal_insert(st, &(struct legal_request){.request_id = "aa", .jurisdiction = "CA"}),
                 XC_ECONFLICT);
}

Test(transparency_store, windows_newest_first)
{
    put("r1", 100, TRUST_LEGAL_SUBPOENA, "CA");
    put("r2", 200, TRUST_LEGAL_MLAT, "FR");
    put("r3", 300, TRUST_LEGAL_INFORMAL, "CA");
    struct legal_request *rs;
    size_t n;
    cr_assert_eq(tstore_legal_list(st, 150, 300, &rs, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(rs[0].request_id, "r3");
    cr_assert_str_eq(rs[1].request_id, "r2");
    for (size_t i = 0; i < n; i++)
        legal_request_free(&rs[i]);
    free(rs);

    struct legal_disclosure d = {.disclosed_at = 250, .records = 3};
    snprintf(d.disclosure_id, sizeof d.disclosure_id, "d1");
    snprintf(d.request_id, sizeof d.request_id, "r2");
    snprintf(d.jurisdiction, sizeof d.jurisdiction, "FR");
    cr_assert_eq(tstore_disclosure_insert(st, &d), 0);
    d.records = 0; /* a disclosure discloses something */
    snprintf(d.disclosure_id, sizeof d.disclosure_id, "d2");
    cr_assert_lt(tstore_disclosure_insert(st, &d), 0);
    struct legal_disclosure *ds;
    cr_assert_eq(tstore_disclosure_list(st, 0, 1000, &ds, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ds[0].jurisdiction, "FR");
    cr_assert_eq(ds[0].records, 3);
    free(ds);
    cr_assert_eq(tstore_disclosure_list(st, 260, 1000, &ds, &n), 0);
    cr_assert_eq(n, 0);
    free(ds);
}
