#ifndef XC_SVC_JURISDICTION_H
#define XC_SVC_JURISDICTION_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/jobstate.h"
#include "core/trust.h"
#include "server/svc/svc_err.h"
#include "store/model.h"
#include "store/trust_store.h"

/* Jurisdiction records and trust tiers (domain §20.2, §20.3, §20.5) with store access; the rules
 * are core/trust. Records are admin-attested: nothing a host sends reaches them. */

/* The trust rules' view of a host; rec NULL = no record. tr is filled from rec (borrowed). */
void juris_trust_host(const struct host *h, const struct juris_row *rec, struct trust_record *tr,
                      struct trust_host *th);
/* Reclassifies h in place (loads its record): h->trust_tier. The caller stores h. */
int juris_reclassify(struct host *h);
/* Loads host_id, reclassifies and stores it when the tier changed. In a transaction. */
int juris_reclassify_id(const char *host_id);

/* PUT /api/jurisdiction/hosts/{id}: merges the given fields (body object, validated) into the
 * record, stamps updated_by/at, reclassifies the host. Own transaction. *tier gets the class. */
int juris_put(const char *host_id, const json_t *fields, const char *actor, int64_t now, struct juris_row *out,
              enum jobstate_trust *tier, struct svc_err *e);
/* The record (XC_ENOTFOUND -> a record with only host_id) and the host's class; 404 host. */
int juris_get(const char *host_id, struct juris_row *out, bool *exists, enum jobstate_trust *tier,
              struct svc_err *e);

/* Scheduler support: trust_ok_mask of every host (records loaded once), and the exact §20.3
 * reason a job of tier t cannot use any of the hosts (the first host's, by host order, that
 * passes the non-trust filters; NULL when some host meets the tier or none is there). */
struct juris_index {
    struct juris_row *rows;
    size_t n;
};
int juris_index_load(struct juris_index *ix);
void juris_index_free(struct juris_index *ix);
const struct juris_row *juris_index_find(const struct juris_index *ix, const char *host_id);
uint32_t juris_ok_mask(const struct juris_index *ix, const struct host *h, bool canada_only);
/* host_meets_constraint (§20.3) of host h under c, its record found in ix (NULL: none). */
struct trust_verdict juris_check(const struct juris_index *ix, const struct host *h, const struct trust_constraint *c);
/* POST /api/jurisdiction/hosts: the active hosts that meet c, in host-list order (*out: caller
 * frees each with host_free, then the array). rejected (may be NULL) gets {"host_id","reason"}
 * for every other active host, with the exact §20.3 reason. */
int juris_filter_hosts(const struct trust_constraint *c, struct host **out, size_t *n, json_t *rejected);
/* The verdict of host h for trust tier t. */
struct trust_verdict juris_verdict(const struct juris_index *ix, const struct host *h, enum jobstate_trust t,
                                   bool canada_only);

#endif
