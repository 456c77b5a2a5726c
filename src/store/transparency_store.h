#ifndef XC_TRANSPARENCY_STORE_H
#define XC_TRANSPARENCY_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/trust.h"
#include "store/store.h"

/* Persistence for legal requests and disclosures (domain §20.5, api §8.11; migration
 * 0011_transparency.sql). Time is µs. Every function returns 0 or a negative XC_E* code. */

#define LEGAL_TEXT_MAX 2001 /* 2000 bytes (the routes' bound) and the terminator */

struct legal_request {
    char request_id[33];
    int64_t received_at;
    enum trust_legal_type type;
    char jurisdiction[LEGAL_TEXT_MAX];
    char *authority, *scope, *notes; /* owned (legal_request_free) */
    enum trust_legal_status status;
    int64_t responded_at; /* 0 while received */
    bool complied, challenged;
};
void legal_request_free(struct legal_request *q);

struct legal_disclosure {
    char disclosure_id[33];
    char request_id[33];
    int64_t disclosed_at;
    char jurisdiction[LEGAL_TEXT_MAX];
    char data_category[LEGAL_TEXT_MAX];
    int64_t records;
};

/* XC_ECONFLICT when the id exists already. */
int tstore_legal_insert(struct store *s, const struct legal_request *q);
/* XC_ENOTFOUND when unknown; the caller frees with legal_request_free. */
int tstore_legal_get(struct store *s, const char *request_id, struct legal_request *out);
/* received -> responded as one compare-and-swap update: XC_ENOTFOUND when no such request,
 * XC_ECONFLICT when it was responded already (so two concurrent responds cannot both win).
 * notes NULL or "" keeps the request's notes. */
int tstore_legal_respond(struct store *s, const char *request_id, int64_t at, bool complied, bool challenged,
                         const char *notes);
/* Requests received in [since, until], newest first. Caller frees each row and the array. */
int tstore_legal_list(struct store *s, int64_t since, int64_t until, struct legal_request **out, size_t *n);

int tstore_disclosure_insert(struct store *s, const struct legal_disclosure *d);
/* Disclosures made in [since, until], newest first. Caller frees *out. */
int tstore_disclosure_list(struct store *s, int64_t since, int64_t until, struct legal_disclosure **out,
                           size_t *n);

#endif
