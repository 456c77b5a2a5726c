/* Legal requests and the public transparency report (api §7.3, §8.11; domain §20.5). Thin:
 * declared input -> svc/transparency (which uses core/trust's rules) -> JSON. */
#include <stdio.h>
#include <string.h>

#include "common/errors.h"
#include "common/ids.h"
#include "common/jsonx.h"
#include "core/trust.h"
#include "server/api/handlers_transparency.h"
#include "server/app.h"
#include "server/http/auth.h"
#include "server/http/validate.h"
#include "server/svc/transparency.h"
#include "server/svc/tx.h"

void h_legal_request(struct req *r)
{
    const char *type = "subpoena", *jurisdiction = "CA", *authority = "", *scope = "", *notes = "";
    body_str(r, "request_type", &type);
    body_str(r, "jurisdiction", &jurisdiction);
    body_str(r, "authority", &authority);
    body_str(r, "scope", &scope);
    body_str(r, "notes", &notes);
    struct legal_request q = {0};
    trust_legal_type_parse(type, &q.type); /* the declared enum is core's list */
    snprintf(q.jurisdiction, sizeof q.jurisdiction, "%s", jurisdiction);
    q.authority = (char *)authority; /* borrowed for the insert only */
    q.scope = (char *)scope;
    q.notes = (char *)notes;
    char actor[96];
    int rc = tx_begin();
    if (rc == 0) {
        rc = tsvc_legal_create(&q, app_now(), auth_actor(r, actor, sizeof actor));
        rc = rc == 0 ? tx_commit() : (tx_rollback(), rc);
    }
    if (rc < 0)
        reply_status(r, rc, "legal request failed");
    else
        reply_ok(r, 200, json_pack("{s:s}", "request_id", q.request_id));
}

void h_legal_respond(struct req *r)
{
    const char *id = r->params[0];
    struct legal_response resp = {.notes = "", .data_category = ""};
    body_bool(r, "complied", &resp.complied);
    body_bool(r, "challenged", &resp.challenged);
    body_str(r, "notes", &resp.notes);
    body_int(r, "disclosed_records", &resp.disclosed_records);
    body_str(r, "data_category", &resp.data_category);
    if (!valid_job_id(id)) { /* request ids are 32 lowercase hex, like job ids */
        reply_error(r, 404, "Request %.64s not found", id);
        return;
    }
    char actor[96];
    int rc = tx_begin();
    if (rc == 0) {
        rc = tsvc_legal_respond(id, &resp, app_now(), auth_actor(r, actor, sizeof actor));
        rc = rc == 0 ? tx_commit() : (tx_rollback(), rc);
    }
    if (rc == XC_ENOTFOUND)
        reply_error(r, 404, "Request %s not found", id);
    else if (rc == XC_ECONFLICT)
        reply_error(r, 409, "Request %s already responded", id);
    else if (rc < 0)
        reply_status(r, rc, "legal response failed");
    else
        reply_ok(r, 200, json_pack("{s:s,s:s}", "request_id", id, "status",
                                   trust_legal_status_name(TRUST_LEGAL_ST_RESPONDED)));
}

/* LegalRequest (api §6.12) as the public sees it: authority, scope and notes left out. */
static json_t *public_request(const struct legal_request *q)
{
    return json_pack("{s:s,s:o,s:s,s:s,s:s,s:o,s:b,s:b}", "request_id", q->request_id, "received_at",
                     jx_ts(q->received_at), "request_type", trust_legal_type_name(q->type), "jurisdiction",
                     q->jurisdiction, "status", trust_legal_status_name(q->status), "responded_at",
                     q->responded_at ? jx_ts(q->responded_at) : json_null(), "complied", q->complied, "challenged",
                     q->challenged);
}

static json_t *disclosure_view(const struct legal_disclosure *d)
{
    return json_pack("{s:s,s:s,s:o,s:s,s:s,s:I}", "disclosure_id", d->disclosure_id, "request_id", d->request_id,
                     "disclosed_at", jx_ts(d->disclosed_at), "jurisdiction", d->jurisdiction, "data_category",
                     d->data_category, "records_disclosed", (json_int_t)d->records);
}

void h_transparency_report(struct req *r)
{
    int64_t months = 12, now = app_now();
    query_int(r, "months", &months);
    struct tsvc_report rep;
    int rc = tsvc_report((int)months, now, &rep);
    if (rc < 0) {
        reply_status(r, rc, "transparency report failed");
        return;
    }
    const struct trust_transparency *t = &rep.t;
    json_t *by_type = json_object(), *by_jur = json_object(), *reqs = json_array(), *dis = json_array();
    for (int i = 0; i < TRUST_LEGAL__COUNT; i++)
        if (t->by_type[i])
            json_object_set_new(by_type, trust_legal_type_name((enum trust_legal_type)i),
                                json_integer((json_int_t)t->by_type[i]));
    for (size_t i = 0; i < t->njurisdictions; i++)
        json_object_set_new(by_jur, t->by_jurisdiction[i].name, json_integer((json_int_t)t->by_jurisdiction[i].count));
    for (size_t i = 0; i < rep.nreq; i++)
        json_array_append_new(reqs, public_request(&rep.req[i]));
    for (size_t i = 0; i < rep.ndis; i++)
        json_array_append_new(dis, disclosure_view(&rep.dis[i]));
    json_t *summary = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:I}", "requests_received", (json_int_t)t->requests_received,
                                "complied", (json_int_t)t->complied, "challenged", (json_int_t)t->challenged,
                                "pending", (json_int_t)t->pending, "by_type", by_type, "by_jurisdiction", by_jur,
                                "data_disclosures", (json_int_t)t->data_disclosures);
    reply_ok(r, 200, json_pack("{s:I,s:o,s:o,s:s,s:o,s:o}", "period_months", (json_int_t)months, "generated_at",
                               jx_ts(now), "summary", summary, "cloud_act_note", t->cloud_act_note, "requests", reqs,
                               "disclosures", dis));
    tsvc_report_free(&rep);
}
