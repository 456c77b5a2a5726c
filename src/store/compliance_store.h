#ifndef XC_COMPLIANCE_STORE_H
#define XC_COMPLIANCE_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Persistence for the compliance, reservation and analytics routes (api §8.5): reserved-plan
 * commitments (migration 0007_reservations.sql) and read-only aggregates over billing records
 * (migration 0002). Money is int64 µCAD (monthly estimates: cents), time µs. Every function
 * returns 0 or a negative XC_E* code. */

/* ---- reservations (domain §25.14) ---- */

struct reservation {
    char commitment_id[33];
    char customer_id[72];
    char commitment_type[16];
    char gpu_model[33];
    int64_t quantity;
    int64_t base_rate, discounted_rate;
    int discount_pct, min_hours_per_day;
    char province[3];
    int64_t tax_rate_ppm;
    int64_t monthly_cents, monthly_with_tax_cents;
    int64_t created_at;
};
/* XC_ECONFLICT when the commitment id exists already (the caller draws another). */
int cstore_reservation_insert(struct store *s, const struct reservation *r);
/* The customer's commitments, oldest first. Caller frees *out. */
int cstore_reservation_list(struct store *s, const char *customer_id, struct reservation **out, size_t *n);

/* ---- GST/HST small-supplier threshold (domain §25.13) ---- */

/* sums[i] = Σ (cost − refunded) of billing records of owned jobs (owner non-empty) completed in
 * [bounds[i], bounds[i + 1]), i = 0..3: the platform's taxable revenue by service date. */
int cstore_owned_revenue(struct store *s, const int64_t bounds[5], int64_t sums[4]);

/* ---- usage analytics (api §8.5 GET /api/analytics/usage) ---- */

enum cstore_usage_key { CSTORE_BY_DAY, CSTORE_BY_GPU_MODEL, CSTORE_BY_PROVINCE };

struct usage_filter {
    int64_t since;          /* completed_at ≥ since */
    const char *owner;      /* the record's customer (NULL = any) */
    const char *host_owner; /* the user who owns the record's host (NULL = any) */
};

struct usage_row {
    int64_t day;    /* CSTORE_BY_DAY: completed_at's day number (core/calendar) */
    char key[129];  /* CSTORE_BY_GPU_MODEL / CSTORE_BY_PROVINCE: the record's value */
    int64_t jobs, cost, gpu_hours_e6, canadian, international;
};
/* Billing records matching f, aggregated by the key, in key order. Caller frees *out. */
int cstore_usage(struct store *s, const struct usage_filter *f, enum cstore_usage_key key, struct usage_row **out,
                 size_t *n);

#endif
