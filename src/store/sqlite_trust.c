/* SQLite implementation of trust_store.h: verification records and history, the host-fault
 * failure log, benchmarks and jurisdiction records. SQL in static strings, every value bound. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/trust_store.h"

static int64_t col_ts(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, i);
}

/* Runs a prepared write (bound by the caller) under the writer. */
static int write_done(struct store *s, sqlite3_stmt *q, const char *what)
{
    int rc = q ? sq_exec(s, q, what) : XC_EDB;
    sq_release(s);
    return rc;
}

/* ---- verification records ---- */

#define VERIF_COLS                                                                                 \
    "host_id,verification_id,state,overall_score,checks,gpu_fingerprint,serial,verified_at,"       \
    "deverified_at,deverify_reason,last_check_at,next_check_at,failure_count,reverify_due,cooldown_until"

void host_verif_free(struct host_verif *v)
{
    if (v) {
        free(v->checks);
        v->checks = NULL;
    }
}

static void verif_read(sqlite3_stmt *q, void *dst)
{
    struct host_verif *v = dst;
    memset(v, 0, sizeof *v);
    int i = 0;
    sq_col_copy(q, i++, v->host_id, sizeof v->host_id);
    sq_col_copy(q, i++, v->verification_id, sizeof v->verification_id);
    sq_col_copy(q, i++, v->state, sizeof v->state);
    v->score_e2 = sqlite3_column_int64(q, i++);
    v->checks = sq_col_dup(q, i++, "[]");
    sq_col_copy(q, i++, v->fingerprint, sizeof v->fingerprint);
    sq_col_copy(q, i++, v->serial, sizeof v->serial);
    v->verified_at = col_ts(q, i++);
    v->deverified_at = col_ts(q, i++);
    sq_col_copy(q, i++, v->deverify_reason, sizeof v->deverify_reason);
    v->last_check_at = col_ts(q, i++);
    v->next_check_at = col_ts(q, i++);
    v->failure_count = sqlite3_column_int(q, i++);
    v->reverify_due = sqlite3_column_int(q, i++) != 0;
    v->cooldown_until = col_ts(q, i++);
}

static const char SQL_VERIF_GET[] = "SELECT " VERIF_COLS " FROM host_verifications WHERE host_id=?";
static const char SQL_VERIF_PUT[] = "INSERT OR REPLACE INTO host_verifications(" VERIF_COLS
                                    ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_VERIF_LIST[] = "SELECT " VERIF_COLS " FROM host_verifications ORDER BY state, host_id";
static const char SQL_VERIF_LIST_ST[] =
    "SELECT " VERIF_COLS " FROM host_verifications WHERE state=? ORDER BY state, host_id";

int tstore_verif_get(struct store *s, const char *host_id, struct host_verif *out)
{
    return sq_get_one(s, SQL_VERIF_GET, host_id, verif_read, out, "verification get");
}

int tstore_verif_put(struct store *s, const struct host_verif *v)
{
    sqlite3_stmt *q = sq_begin(s, SQL_VERIF_PUT);
    if (q) {
        int i = 1;
        sq_bind_text(q, i++, v->host_id);
        sq_bind_text(q, i++, v->verification_id);
        sq_bind_text(q, i++, v->state);
        sqlite3_bind_int64(q, i++, v->score_e2);
        sq_bind_text(q, i++, v->checks ? v->checks : "[]");
        sq_bind_text(q, i++, v->fingerprint);
        sq_bind_text(q, i++, v->serial);
        sq_bind_ts(q, i++, v->verified_at);
        sq_bind_ts(q, i++, v->deverified_at);
        sq_bind_text(q, i++, v->deverify_reason);
        sq_bind_ts(q, i++, v->last_check_at);
        sq_bind_ts(q, i++, v->next_check_at);
        sqlite3_bind_int(q, i++, v->failure_count);
        sqlite3_bind_int(q, i++, v->reverify_due);
        sq_bind_ts(q, i++, v->cooldown_until);
    }
    return write_done(s, q, "verification put");
}

int tstore_verif_list(struct store *s, const char *state, struct host_verif **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, state ? SQL_VERIF_LIST_ST : SQL_VERIF_LIST);
    int rc = XC_EDB;
    if (q) {
        if (state)
            sq_bind_text(q, 1, state);
        rc = sq_collect(s, q, sizeof **out, verif_read, (void **)out, n, "verification list");
    }
    sq_release(s);
    return rc;
}

static const char SQL_HIST_ADD[] =
    "INSERT INTO verification_history(host_id,state,overall_score,reason,created_at) VALUES(?,?,?,?,?)";

int tstore_verif_history_add(struct store *s, const char *host_id, const char *state, int64_t score_e2,
                             const char *reason, int64_t at)
{
    sqlite3_stmt *q = sq_begin(s, SQL_HIST_ADD);
    if (q) {
        sq_bind_text(q, 1, host_id);
        sq_bind_text(q, 2, state);
        sqlite3_bind_int64(q, 3, score_e2);
        sq_bind_text(q, 4, reason);
        sqlite3_bind_int64(q, 5, at);
    }
    return write_done(s, q, "verification history");
}

static const char SQL_FAIL_ADD[] = "INSERT INTO host_failures(host_id,job_id,failed_at,reason) VALUES(?,?,?,?)";
static const char SQL_FAIL_SINCE[] = "SELECT failed_at FROM host_failures WHERE host_id=? AND failed_at>=? ORDER BY failed_at";

int tstore_failure_add(struct store *s, const char *host_id, const char *job_id, int64_t at, const char *reason)
{
    sqlite3_stmt *q = sq_begin(s, SQL_FAIL_ADD);
    if (q) {
        sq_bind_text(q, 1, host_id);
        sq_bind_text(q, 2, job_id);
        sqlite3_bind_int64(q, 3, at);
        sq_bind_text(q, 4, reason);
    }
    return write_done(s, q, "host failure add");
}

static void ts_read(sqlite3_stmt *q, void *dst) { *(int64_t *)dst = sqlite3_column_int64(q, 0); }

int tstore_failures_since(struct store *s, const char *host_id, int64_t since, int64_t **at, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_FAIL_SINCE);
    int rc = XC_EDB;
    if (q) {
        sq_bind_text(q, 1, host_id);
        sqlite3_bind_int64(q, 2, since);
        rc = sq_collect(s, q, sizeof **at, ts_read, (void **)at, n, "host failures");
    }
    sq_release(s);
    return rc;
}

/* ---- benchmarks ---- */

static void bench_read(sqlite3_stmt *q, void *dst)
{
    struct benchmark_row *b = dst;
    memset(b, 0, sizeof *b);
    sq_col_copy(q, 0, b->host_id, sizeof b->host_id);
    sq_col_copy(q, 1, b->gpu_model, sizeof b->gpu_model);
    b->score_c = sqlite3_column_int64(q, 2);
    b->tflops_c = sqlite3_column_int64(q, 3);
    b->run_at = sqlite3_column_int64(q, 4);
}

static const char SQL_BENCH_PUT[] =
    "INSERT OR REPLACE INTO benchmarks(host_id,gpu_model,score,tflops,details,run_at) VALUES(?,?,?,?,?,?)";
static const char SQL_BENCH_GET[] = "SELECT host_id,gpu_model,score,tflops,run_at FROM benchmarks WHERE host_id=?";
static const char SQL_BENCH_LIST[] = "SELECT b.host_id,b.gpu_model,b.score,b.tflops,b.run_at FROM benchmarks b "
                                     "JOIN hosts h ON h.host_id=b.host_id ORDER BY b.host_id";

int tstore_bench_put(struct store *s, const struct benchmark_row *b, const char *details_json)
{
    sqlite3_stmt *q = sq_begin(s, SQL_BENCH_PUT);
    if (q) {
        sq_bind_text(q, 1, b->host_id);
        sq_bind_text(q, 2, b->gpu_model);
        sqlite3_bind_int64(q, 3, b->score_c);
        sqlite3_bind_int64(q, 4, b->tflops_c);
        sq_bind_text_or_null(q, 5, details_json);
        sqlite3_bind_int64(q, 6, b->run_at);
    }
    return write_done(s, q, "benchmark put");
}

int tstore_bench_get(struct store *s, const char *host_id, struct benchmark_row *out)
{
    return sq_get_one(s, SQL_BENCH_GET, host_id, bench_read, out, "benchmark get");
}

int tstore_bench_list(struct store *s, struct benchmark_row **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_BENCH_LIST);
    int rc = q ? sq_collect(s, q, sizeof **out, bench_read, (void **)out, n, "benchmark list") : XC_EDB;
    sq_release(s);
    return rc;
}

/* ---- jurisdiction records ---- */

#define JURIS_COLS                                                                                 \
    "host_id,country,province,city,data_center_name,data_center_class,operator_name,"              \
    "operator_incorporated_in,operator_registered_canada,foreign_control,sovereignty_vetted,"      \
    "sovereignty_vetted_at,supports_audit_trail,supports_data_residency,updated_by,updated_at"

static void juris_read(sqlite3_stmt *q, void *dst)
{
    struct juris_row *j = dst;
    memset(j, 0, sizeof *j);
    int i = 0;
    sq_col_copy(q, i++, j->host_id, sizeof j->host_id);
    sq_col_copy(q, i++, j->country, sizeof j->country);
    sq_col_copy(q, i++, j->province, sizeof j->province);
    sq_col_copy(q, i++, j->city, sizeof j->city);
    sq_col_copy(q, i++, j->data_center_name, sizeof j->data_center_name);
    sq_col_copy(q, i++, j->data_center_class, sizeof j->data_center_class);
    sq_col_copy(q, i++, j->operator_name, sizeof j->operator_name);
    sq_col_copy(q, i++, j->operator_incorporated_in, sizeof j->operator_incorporated_in);
    j->operator_registered_canada = sqlite3_column_int(q, i++) != 0;
    j->foreign_control = sqlite3_column_int(q, i++) != 0;
    j->sovereignty_vetted = sqlite3_column_int(q, i++) != 0;
    j->sovereignty_vetted_at = col_ts(q, i++);
    j->supports_audit_trail = sqlite3_column_int(q, i++) != 0;
    j->supports_data_residency = sqlite3_column_int(q, i++) != 0;
    sq_col_copy(q, i++, j->updated_by, sizeof j->updated_by);
    j->updated_at = sqlite3_column_int64(q, i++);
}

static const char SQL_JURIS_GET[] = "SELECT " JURIS_COLS " FROM host_jurisdictions WHERE host_id=?";
static const char SQL_JURIS_PUT[] = "INSERT OR REPLACE INTO host_jurisdictions(" JURIS_COLS
                                    ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_JURIS_LIST[] = "SELECT " JURIS_COLS " FROM host_jurisdictions ORDER BY host_id";

int tstore_juris_get(struct store *s, const char *host_id, struct juris_row *out)
{
    return sq_get_one(s, SQL_JURIS_GET, host_id, juris_read, out, "jurisdiction get");
}

int tstore_juris_put(struct store *s, const struct juris_row *j)
{
    sqlite3_stmt *q = sq_begin(s, SQL_JURIS_PUT);
    if (q) {
        int i = 1;
        sq_bind_text(q, i++, j->host_id);
        sq_bind_text(q, i++, j->country);
        sq_bind_text(q, i++, j->province);
        sq_bind_text(q, i++, j->city);
        sq_bind_text(q, i++, j->data_center_name);
        sq_bind_text(q, i++, j->data_center_class);
        sq_bind_text(q, i++, j->operator_name);
        sq_bind_text(q, i++, j->operator_incorporated_in);
        sqlite3_bind_int(q, i++, j->operator_registered_canada);
        sqlite3_bind_int(q, i++, j->foreign_control);
        sqlite3_bind_int(q, i++, j->sovereignty_vetted);
        sq_bind_ts(q, i++, j->sovereignty_vetted_at);
        sqlite3_bind_int(q, i++, j->supports_audit_trail);
        sqlite3_bind_int(q, i++, j->supports_data_residency);
        sq_bind_text(q, i++, j->updated_by);
        sqlite3_bind_int64(q, i++, j->updated_at);
    }
    return write_done(s, q, "jurisdiction put");
}

int tstore_juris_list(struct store *s, struct juris_row **out, size_t *n)
{
    sqlite3_stmt *q = sq_begin(s, SQL_JURIS_LIST);
    int rc = q ? sq_collect(s, q, sizeof **out, juris_read, (void **)out, n, "jurisdiction list") : XC_EDB;
    sq_release(s);
    return rc;
}
