/* A fresh, migrated SQLite store in its own temporary directory for each test of a store suite:
 * `TestSuite(name, .init = setup, .fini = teardown)`; the test uses st (and path to reopen it). */
#ifndef XC_TEST_STORE_FIXTURE_H
#define XC_TEST_STORE_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

static char dir[64];
static char path[128];
static struct store *st;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/xc-store-XXXXXX");
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

#endif
