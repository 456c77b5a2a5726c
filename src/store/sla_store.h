#ifndef XC_SLA_STORE_H
#define XC_SLA_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Persistence of the SLA (domain §26; migration 0010_sla.sql): downtime intervals, telemetry
 * violations and the enforced monthly records. Time µs, percentages pct_e4, money µCAD. Every
 * function returns 0 or a negative XC_E* code. */

/* ---- downtimes (§26.2) ---- */

struct sla_downtime_row {
    int64_t id;
    char host_id[65];
    int64_t start_ts;
    int64_t end_ts; /* 0 while open */
    char reason[32];
};
/* Opens a downtime unless the host has one open already (then nothing changes, *opened false). */
int slastore_downtime_open(struct store *s, const char *host_id, int64_t start_ts, const char *reason,
                           bool *opened);
/* Closes the host's open downtime at end_ts (never before its start); *closed false when none. */
int slastore_downtime_close(struct store *s, const char *host_id, int64_t end_ts, bool *closed);

struct sla_downtime_filter {
    const char *host_id; /* NULL = any */
    int64_t since;       /* downtimes still open or ending at/after since (0 = any) */
    bool open_only;
    int64_t limit;       /* <= 0: all */
};
/* Matching downtimes, newest start first. Caller frees *out. */
int slastore_downtime_list(struct store *s, const struct sla_downtime_filter *f, struct sla_downtime_row **out,
                           size_t *n);

/* ---- violations (§26.4) ---- */

struct sla_violation_row {
    int64_t id;
    char host_id[65];
    char violation_type[16];
    char severity[16];
    int64_t metric_e4, threshold_e4;
    int64_t ts;
    char details[256];
};
/* The newest violation's ts of (host, type), or 0 when none. */
int slastore_violation_last_ts(struct store *s, const char *host_id, const char *type, int64_t *ts);
/* Inserts v (v->id is set). */
int slastore_violation_insert(struct store *s, struct sla_violation_row *v);
/* Deletes violations older than before (retention). */
int slastore_violation_prune(struct store *s, int64_t before);
/* The host's violations with ts >= since, newest first, at most limit. Caller frees *out. */
int slastore_violation_list(struct store *s, const char *host_id, int64_t since, int64_t limit,
                            struct sla_violation_row **out, size_t *n);
/* How many of the host's violations have ts >= since. */
int slastore_violation_count(struct store *s, const char *host_id, int64_t since, int64_t *count);

/* ---- monthly records (§26.5) ---- */

struct sla_monthly_row {
    char host_id[65];
    char month[8];
    char tier[16];
    int64_t uptime_pct_e4, downtime_us, incidents, target_pct_e4;
    int credit_pct;
    int64_t credit_ucad, spend_ucad;
    int64_t enforced_at, breach_at;
};
/* XC_ENOTFOUND when the (host, month) was never enforced. */
int slastore_monthly_get(struct store *s, const char *host_id, const char *month, struct sla_monthly_row *out);
/* Inserts or replaces the (host, month) record; breach_at is kept once set (the first wins). */
int slastore_monthly_upsert(struct store *s, const struct sla_monthly_row *m);

/* ---- spend (§26.5) ---- */

struct sla_spend_row {
    char owner[72]; /* the customer; "" for operator jobs without one */
    int64_t cost;   /* Σ cost, µCAD */
};
/* Σ cost of billing records on the host completed in [a, b), by owner (owner order). Caller
 * frees *out. */
int slastore_spend_by_owner(struct store *s, const char *host_id, int64_t a, int64_t b, struct sla_spend_row **out,
                            size_t *n);

#endif
