#ifndef XC_TRUST_STORE_H
#define XC_TRUST_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Verification, benchmark and jurisdiction persistence (migration 0008_verification.sql).
 * Time µs (0 = null), scores in hundredths. Every function returns 0 or a negative XC_E* code;
 * writers run inside the caller's transaction (tx_begin). */

struct host_verif {
    char host_id[65];
    char verification_id[33];
    char state[12];            /* verify_state wire name */
    int64_t score_e2;
    char *checks;              /* JSON array text, owned */
    char fingerprint[17];
    char serial[129];
    int64_t verified_at, deverified_at, last_check_at, next_check_at, cooldown_until;
    char deverify_reason[320];
    int failure_count;
    bool reverify_due;
};
void host_verif_free(struct host_verif *v);

/* XC_ENOTFOUND when the host has no record. */
int tstore_verif_get(struct store *s, const char *host_id, struct host_verif *out);
/* Upsert of every column. */
int tstore_verif_put(struct store *s, const struct host_verif *v);
/* Ordered by state then host_id; state NULL = any. Caller frees each and the array. */
int tstore_verif_list(struct store *s, const char *state, struct host_verif **out, size_t *n);
int tstore_verif_history_add(struct store *s, const char *host_id, const char *state, int64_t score_e2,
                             const char *reason, int64_t at);
/* Host-fault failure log (§18.5): append, and the failure times at or after since. */
int tstore_failure_add(struct store *s, const char *host_id, const char *job_id, int64_t at, const char *reason);
int tstore_failures_since(struct store *s, const char *host_id, int64_t since, int64_t **at, size_t *n);

struct benchmark_row {
    char host_id[65];
    char gpu_model[129];
    int64_t score_c, tflops_c, run_at;
};
int tstore_bench_put(struct store *s, const struct benchmark_row *b, const char *details_json);
int tstore_bench_get(struct store *s, const char *host_id, struct benchmark_row *out);
/* Benchmarks of hosts that are still registered, by host_id. Caller frees. */
int tstore_bench_list(struct store *s, struct benchmark_row **out, size_t *n);

struct juris_row {
    char host_id[65];
    char country[3];
    char province[65];
    char city[201], data_center_name[201], data_center_class[16], operator_name[201],
        operator_incorporated_in[201];
    bool operator_registered_canada, foreign_control, sovereignty_vetted, supports_audit_trail,
        supports_data_residency;
    int64_t sovereignty_vetted_at; /* 0 = null */
    char updated_by[80];
    int64_t updated_at;
};
int tstore_juris_get(struct store *s, const char *host_id, struct juris_row *out);
int tstore_juris_put(struct store *s, const struct juris_row *j);
/* Every record, ordered by host_id (bsearch-able). Caller frees. */
int tstore_juris_list(struct store *s, struct juris_row **out, size_t *n);

#endif
