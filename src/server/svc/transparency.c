/* Legal requests, disclosures and the transparency report with store access (domain §20.5). */
#include "server/svc/transparency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/ids.h"
#include "common/units.h"
#include "common/xalloc.h"
#include "server/app.h"
#include "server/svc/tx.h"

#define DAY_US (INT64_C(86400) * SEC)

int tsvc_legal_create(struct legal_request *q, int64_t now, const char *actor)
{
    q->received_at = now;
    q->status = TRUST_LEGAL_ST_RECEIVED;
    q->responded_at = 0;
    q->complied = q->challenged = false;
    int rc;
    do { /* a 128-bit id collision is astronomically unlikely; draw again if it happens */
        ids_hex128(q->request_id);
        rc = tstore_legal_insert(g_app->store, q);
    } while (rc == XC_ECONFLICT);
    if (rc < 0)
        return rc;
    return tx_event("transparency.legal_request", "legal", q->request_id, actor,
                    json_pack("{s:s,s:s}", "request_type", trust_legal_type_name(q->type), "jurisdiction",
                              q->jurisdiction));
}

int tsvc_legal_respond(const char *request_id, const struct legal_response *resp, int64_t now, const char *actor)
{
    struct legal_request q;
    int rc = tstore_legal_get(g_app->store, request_id, &q);
    if (rc < 0)
        return rc;
    rc = tstore_legal_respond(g_app->store, request_id, now, resp->complied, resp->challenged, resp->notes);
    struct legal_disclosure d = {0};
    if (rc == 0 && resp->disclosed_records > 0) {
        snprintf(d.request_id, sizeof d.request_id, "%s", request_id);
        snprintf(d.jurisdiction, sizeof d.jurisdiction, "%s", q.jurisdiction);
        snprintf(d.data_category, sizeof d.data_category, "%s", resp->data_category ? resp->data_category : "");
        d.disclosed_at = now;
        d.records = resp->disclosed_records;
        do {
            ids_hex128(d.disclosure_id);
            rc = tstore_disclosure_insert(g_app->store, &d);
        } while (rc == XC_ECONFLICT);
    }
    if (rc == 0)
        rc = tx_event("transparency.legal_response", "legal", request_id, actor,
                      json_pack("{s:s,s:b,s:b,s:I,s:o}", "request_type", trust_legal_type_name(q.type), "complied",
                                resp->complied, "challenged", resp->challenged, "disclosed_records",
                                (json_int_t)resp->disclosed_records, "disclosure_id",
                                d.disclosure_id[0] ? json_string(d.disclosure_id) : json_null()));
    legal_request_free(&q);
    return rc;
}

int tsvc_report(int months, int64_t now, struct tsvc_report *out)
{
    memset(out, 0, sizeof *out);
    if (months < 1)
        return XC_EINVAL;
    int64_t since = now - (int64_t)months * 30 * DAY_US;
    int rc = tstore_legal_list(g_app->store, since, now, &out->req, &out->nreq);
    if (rc == 0)
        rc = tstore_disclosure_list(g_app->store, since, now, &out->dis, &out->ndis);
    struct trust_legal_request *tq = NULL;
    struct trust_disclosure *td = NULL;
    if (rc == 0) {
        tq = xcalloc(out->nreq ? out->nreq : 1, sizeof *tq);
        td = xcalloc(out->ndis ? out->ndis : 1, sizeof *td);
        for (size_t i = 0; i < out->nreq; i++)
            tq[i] = (struct trust_legal_request){out->req[i].received_at, out->req[i].type, out->req[i].jurisdiction,
                                                 out->req[i].status, out->req[i].complied, out->req[i].challenged};
        for (size_t i = 0; i < out->ndis; i++)
            td[i] = (struct trust_disclosure){out->dis[i].disclosed_at, out->dis[i].jurisdiction};
        rc = trust_transparency_report(tq, out->nreq, td, out->ndis, months, now, &out->t);
    }
    free(tq);
    free(td);
    if (rc < 0)
        tsvc_report_free(out);
    return rc;
}

void tsvc_report_free(struct tsvc_report *r)
{
    for (size_t i = 0; i < r->nreq; i++)
        legal_request_free(&r->req[i]);
    free(r->req);
    free(r->dis);
    trust_transparency_free(&r->t);
    r->req = NULL;
    r->dis = NULL;
    r->nreq = r->ndis = 0;
}
