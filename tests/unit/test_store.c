#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
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
    cr_assert_gt(applied, 0);
}

static void teardown(void)
{
    store_close(st);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "%s-wal", path);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s-shm", path);
    unlink(cmd);
    unlink(path);
    rmdir(dir);
}

static void mk_host(struct host *h, const char *id, int64_t reg)
{
    host_init(h);
    snprintf(h->host_id, sizeof h->host_id, "%s", id);
    snprintf(h->ip, sizeof h->ip, "127.0.0.2");
    snprintf(h->gpu_model, sizeof h->gpu_model, "RTX 4090");
    h->total_mgb = h->reported_free_mgb = 24000;
    h->registered_at = h->last_seen = reg;
}

static void mk_job(struct job *j, const char *id, int prio, int64_t at)
{
    job_init(j);
    snprintf(j->job_id, sizeof j->job_id, "%s", id);
    snprintf(j->name, sizeof j->name, "job-%s", id);
    j->vram_mgb = 8000;
    j->priority = prio;
    j->submitted_at = at;
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, migrations_are_idempotent_and_versioned)
{
    int cur, latest, applied;
    cr_assert_eq(store_schema_version(st, &cur, &latest), 0);
    cr_assert_eq(cur, latest);
    cr_assert_eq(store_migrate_up(st, &applied), 0);
    cr_assert_eq(applied, 0);
}

Test(store, host_roundtrip_and_order)
{
    struct host a, b, got;
    mk_host(&a, "b-host", 200);
    mk_host(&b, "a-host", 100);
    a.admitted = true;
    a.status = HOST_ACTIVE;
    free(a.versions);
    a.versions = strdup("{\"runc\":\"1.2.4\"}");
    cr_assert_eq(store_host_put(st, &a), 0);
    cr_assert_eq(store_host_put(st, &b), 0);
    cr_assert_eq(store_host_get(st, "b-host", &got), 0);
    cr_assert(got.admitted);
    cr_assert_str_eq(got.versions, "{\"runc\":\"1.2.4\"}");
    cr_assert_null(got.admission_details);
    host_free(&got);
    cr_assert_eq(store_host_get(st, "nope", &got), XC_ENOTFOUND);

    struct host *list;
    size_t n;
    cr_assert_eq(store_host_list(st, false, &list, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].host_id, "a-host"); /* registered first */
    for (size_t i = 0; i < n; i++)
        host_free(&list[i]);
    free(list);
    cr_assert_eq(store_host_list(st, true, &list, &n), 0);
    cr_assert_eq(n, 1);
    host_free(&list[0]);
    free(list);
    cr_assert_eq(store_host_delete(st, "a-host"), 0);
    cr_assert_eq(store_host_delete(st, "a-host"), XC_ENOTFOUND);
    host_free(&a);
    host_free(&b);
}

Test(store, job_list_filters_and_queue_order)
{
    struct job j;
    mk_job(&j, "00000000000000000000000000000003", 0, 10);
    store_job_put(st, &j);
    job_free(&j);
    mk_job(&j, "00000000000000000000000000000001", 3, 30);
    store_job_put(st, &j);
    job_free(&j);
    mk_job(&j, "00000000000000000000000000000002", 3, 20);
    j.status = JOB_RUNNING;
    snprintf(j.host_id, sizeof j.host_id, "h1");
    store_job_put(st, &j);
    job_free(&j);

    struct job *list;
    size_t n;
    int64_t total;
    struct job_filter f = {.queue_order = true};
    cr_assert_eq(store_job_list(st, &f, &list, &n, &total), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(total, 3);
    cr_assert_str_eq(list[0].job_id, "00000000000000000000000000000002"); /* prio 3, older */
    cr_assert_str_eq(list[1].job_id, "00000000000000000000000000000001");
    cr_assert_str_eq(list[2].job_id, "00000000000000000000000000000003");
    for (size_t i = 0; i < n; i++)
        job_free(&list[i]);
    free(list);

    struct job_filter g = {.has_status = true, .status = JOB_QUEUED, .limit = 1};
    cr_assert_eq(store_job_list(st, &g, &list, &n, &total), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(total, 2);
    cr_assert_str_eq(list[0].job_id, "00000000000000000000000000000003"); /* submitted first */
    job_free(&list[0]);
    free(list);

    cr_assert_eq(store_jobs_active_on_host(st, "h1", &list, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_null(strstr(list[0].host_id, "h2"));
    job_free(&list[0]);
    free(list);

    int64_t counts[JOB__COUNT];
    cr_assert_eq(store_job_counts(st, counts), 0);
    cr_assert_eq(counts[JOB_QUEUED], 2);
    cr_assert_eq(counts[JOB_RUNNING], 1);
}

Test(store, one_active_lease_per_job)
{
    struct lease l = {.granted_at = 1, .expires_at = 2, .last_renewed = 1, .duration_sec = 300};
    snprintf(l.lease_id, sizeof l.lease_id, "aaaa");
    snprintf(l.job_id, sizeof l.job_id, "job1");
    snprintf(l.host_id, sizeof l.host_id, "h1");
    l.status = LEASE_ACTIVE;
    cr_assert_eq(store_lease_put(st, &l), 0);
    snprintf(l.lease_id, sizeof l.lease_id, "bbbb");
    cr_assert_eq(store_lease_put(st, &l), XC_ECONFLICT);
    l.status = LEASE_RELEASED;
    cr_assert_eq(store_lease_put(st, &l), 0); /* history rows are fine */
    struct lease got;
    cr_assert_eq(store_lease_active(st, "job1", &got), 0);
    cr_assert_str_eq(got.lease_id, "aaaa");
    struct lease *exp;
    size_t n;
    cr_assert_eq(store_leases_expired(st, 3, &exp, &n), 0);
    cr_assert_eq(n, 1);
    free(exp);
}

Test(store, rollback_discards_and_commit_survives_reopen)
{
    struct host h;
    mk_host(&h, "tx-host", 1);
    cr_assert_eq(store_tx_begin(st), 0);
    cr_assert_eq(store_host_put(st, &h), 0);
    store_tx_rollback(st);
    struct host got;
    cr_assert_eq(store_host_get(st, "tx-host", &got), XC_ENOTFOUND);

    cr_assert_eq(store_tx_begin(st), 0);
    cr_assert_eq(store_host_put(st, &h), 0);
    cr_assert_eq(store_setting_set(st, "canada_only", "true"), 0);
    cr_assert_eq(store_tx_commit(st), 0);
    host_free(&h);

    store_close(st);
    cr_assert_eq(store_open(path, &st), 0);
    cr_assert_eq(store_host_get(st, "tx-host", &got), 0);
    host_free(&got);
    char v[16];
    cr_assert_eq(store_setting_get(st, "canada_only", v, sizeof v), 0);
    cr_assert_str_eq(v, "true");
}

Test(store, event_chain_head_advances)
{
    int64_t seq;
    char hash[65];
    cr_assert_eq(store_event_head(st, &seq, hash), 0);
    cr_assert_eq(seq, 0);
    cr_assert_eq(strspn(hash, "0"), 64);
    struct event_row e = {.seq = 1, .event_type = "job.submitted", .entity_type = "job", .entity_id = "j1",
                          .actor = "admin", .ts_us = 5, .data = "{}", .metadata = "{}"};
    snprintf(e.event_id, sizeof e.event_id, "00000000-0000-4000-8000-000000000001");
    memcpy(e.prev_hash, hash, 65);
    memset(e.event_hash, 'a', 64);
    cr_assert_eq(store_event_append(st, &e, "mac"), 0);
    cr_assert_eq(store_event_head(st, &seq, hash), 0);
    cr_assert_eq(seq, 1);
    cr_assert_eq(hash[0], 'a');
    /* The same seq cannot be appended twice. */
    cr_assert_eq(store_event_append(st, &e, "mac"), XC_ECONFLICT);
}

struct log_acc {
    int n;
    char last[64];
};
static void on_log(void *ctx, int64_t ts, const char *level, const char *line)
{
    (void)ts;
    (void)level;
    struct log_acc *a = ctx;
    a->n++;
    snprintf(a->last, sizeof a->last, "%s", line);
}

Test(store, job_logs_keep_the_newest_500)
{
    char line[32];
    for (int i = 0; i < 520; i++) {
        snprintf(line, sizeof line, "line %d", i);
        cr_assert_eq(store_job_log_append(st, "j1", i, "info", line), 0);
    }
    struct log_acc a = {0};
    int64_t total;
    cr_assert_eq(store_job_logs(st, "j1", 100, on_log, &a, &total), 0);
    cr_assert_eq(total, 500);
    cr_assert_eq(a.n, 100);
    cr_assert_str_eq(a.last, "line 519");
}
