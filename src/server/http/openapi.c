/* The OpenAPI 3.1 document, generated from the route table (routes.c) once per process, and the
 * /docs page that renders it with the vendored viewer (web/docs.html, web/redoc.standalone.js). */
#include "server/http/openapi.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/embedded.h"
#include "common/xalloc.h"
#include "server/http/routes.h"

/* Response shapes named by routes (.response). A JSON shape lists its main members (name:type,
 * comma-separated); every JSON success reply is {"ok": true, ...}. */
struct shape {
    const char *name;
    const char *media; /* NULL: application/json */
    const char *members;
    const char *doc;
};

static const struct shape shapes[] = {
    {"Ok", NULL, "", "Success with no further members"},
    {"Root", NULL, "name:string,status:string,version:string", NULL},
    {"Health", NULL, "status:string", NULL},
    {"Ready", NULL, "status:string", NULL},
    {"Metrics", "text/plain", NULL, "Prometheus exposition text (application/json with ?format=json)"},
    {"Html", "text/html", NULL, NULL},
    {"JavaScript", "text/javascript", NULL, NULL},
    {"EventStream", "text/event-stream", NULL, "Server-sent events"},
    {"OpenAPI", NULL, "openapi:string,info:object,paths:object", "An OpenAPI 3.1 document (no ok member)"},
    {"Host", NULL, "host:object", NULL},
    {"HostList", NULL, "hosts:array,total:integer,next_cursor:string", NULL},
    {"AgentToken", NULL, "host_id:string,token:string", NULL},
    {"HostsCheck", NULL, "", "Sweep report"},
    {"Admission", NULL, "host_id:string,admitted:boolean", NULL},
    {"Job", NULL, "job:object", NULL},
    {"JobList", NULL, "jobs:array,total:integer,next_cursor:string", NULL},
    {"JobLogs", NULL, "job_id:string,logs:array,total:integer", NULL},
    {"Tiers", NULL, "tiers:object", NULL},
    {"QueuePass", NULL, "assigned:array", NULL},
    {"Failover", NULL, "dead_hosts:array,requeued:array,failed:array,assigned:array", NULL},
    {"CanadaOnly", NULL, "canada_only:boolean", NULL},
    {"Pool", NULL, "host:object", NULL},
    {"PoolList", NULL, "pool:array", NULL},
    {"Autoscale", NULL, "", "Provisioned, deprovisioned and assigned lists"},
    {"AgentWork", NULL, "jobs:array", NULL},
    {"Lease", NULL, "lease:object", NULL},
    {"Benchmark", NULL, "xcu:number,accepted_tflops:number,flags:array", NULL},
    {"VerifyReport", NULL, "host_id:string,state:string,score:number,checks:array,gpu_fingerprint:string,cooldown_until:number", NULL},
    {"ComputeScores", NULL, "scores:object", NULL},
    {"ComputeScore", NULL, "host_id:string,score:number", NULL},
    {"HostVerification", NULL, "host_id:string,verification:object", NULL},
    {"VerificationStatus", NULL, "host_id:string,status:string", NULL},
    {"VerifiedHosts", NULL, "count:integer,hosts:array", NULL},
    {"TrustTiers", NULL, "tiers:object", NULL},
    {"HostJurisdiction", NULL, "jurisdiction:object,trust_tier:string", NULL},
    {"ResidencyTrace", NULL, "job_id:string,trace:object", NULL},
    {"JurisdictionHosts", NULL, "count:integer,hosts:array,rejected:array",
     "Hosts meeting the constraint; rejected (admins only): host_id and the exact reason"},
    {"SovereignPass", NULL, "assigned:integer,jobs:array", NULL},
    {"PopularImages", NULL, "images:array", NULL},
    {"Bytes", "application/octet-stream", NULL, "Exactly ?bytes zero bytes (Content-Length set)"},
    {"PreemptList", NULL, "", "Pending stop requests"},
    {"StopRequest", NULL, "", "The stop request made"},
    {"Telemetry", NULL, "", "A host's latest telemetry"},
    {"TelemetryAll", NULL, "", "Latest telemetry by host"},
    {"ChainVerify", NULL, "valid:boolean", NULL},
    {"AuditTrail", NULL, "events:array", NULL},
    {"EntityEvents", NULL, "entity_type:string,entity_id:string,events:array", "Events (api §6.5), oldest first"},
    {"LeaseList", NULL, "leases:array,count:integer", "Leases (api §6.5)"},
    {"LegalRequestId", NULL, "request_id:string", NULL},
    {"LegalResponse", NULL, "request_id:string,status:string", NULL},
    {"TransparencyReport", NULL, "period_months:integer,generated_at:number,summary:object,cloud_act_note:string,requests:array,disclosures:array", "Public: requests without authority, scope and notes"},
    {"TestClock", NULL, "offset_sec:integer,now:number", NULL},
    {"Sweep", NULL, "", "Sweep report"},
    {"Bills", NULL, "bills:array", NULL},
    {"Bill", NULL, "", "A billing record"},
    {"BillList", NULL, "records:array,total:integer", NULL},
    {"Revenue", NULL, "", "Revenue totals"},
    {"Wallet", NULL, "wallet:object", NULL},
    {"WalletHistory", NULL, "transactions:array", NULL},
    {"Customer", NULL, "customer:object", NULL},
    {"Usage", NULL, "", "Usage over the period"},
    {"Invoice", NULL, "invoice:object", NULL},
    {"InvoiceList", NULL, "invoices:array", NULL},
    {"Refund", NULL, "", "The refund made"},
    {"CafExport", NULL, "", "CAF export (text/csv with ?format=csv)"},
    {"Attestation", NULL, "attestation:object", NULL},
    {"AttestationValid", NULL, "valid:boolean", NULL},
    {"PricingReference", NULL, "", "Reference prices by GPU model"},
    {"PricingEstimate", NULL, "", "A cost estimate"},
    {"ReservedPlans", NULL, "currency:string,reserved_tiers:object", NULL},
    {"Reservation", NULL, "commitment_id:string,customer_id:string,commitment_type:string,gpu_model:string,quantity:integer,discounted_rate_cad:number,monthly_estimate_cad:number,monthly_estimate_with_tax_cad:number,status:string", "A stored reserved-plan commitment"},
    {"GstThreshold", NULL, "exceeded:boolean,total_revenue_cad:number,current_quarter_revenue_cad:number,threshold_cad:number,quarters_assessed:integer,must_register:boolean,message:string", NULL},
    {"TaxRates", NULL, "at:number,rates:object", "Rates by province code, alphabetical"},
    {"ComplianceProvinces", NULL, "provinces:object", NULL},
    {"TrustTierRequirements", NULL, "tiers:array", NULL},
    {"PiaCheck", NULL, "pia_required:boolean,reason:string", "recommendation is a string or null; max_penalty and law_reference only when a PIA is required"},
    {"UsageAnalytics", NULL, "days:integer,group_by:string,analytics:array,summary:object", NULL},
    {"Listing", NULL, "listing:object", NULL},
    {"Unlisted", NULL, "unlisted:string", NULL},
    {"Marketplace", NULL, "listings:array", NULL},
    {"MarketStats", NULL, "", "Marketplace totals"},
    {"SpotPrices", NULL, "prices:object", NULL},
    {"SpotCycle", NULL, "prices:object,preempted:array", NULL},
    {"AuthToken", NULL, "access_token:string,token_type:string,expires_in:integer,user:object",
     "A session token (64 characters, 30 days); register and login add the user"},
    {"User", NULL, "user:object", NULL},
    {"UserList", NULL, "users:array,total:integer", NULL},
    {"Message", NULL, "message:string", NULL},
    {"DataExport", NULL, "data_export:object", NULL},
    {"ApiKey", NULL, "key:string,name:string,preview:string,note:string", "The key is shown once"},
    {"ApiKeyList", NULL, "keys:array", NULL},
    {"DeviceCode", NULL, "device_code:string,user_code:string,verification_uri:string,expires_in:integer,interval:integer", NULL},
    {"Team", NULL, "team_id:string,name:string,plan:string,max_members:integer", NULL},
    {"TeamList", NULL, "teams:array", NULL},
    {"TeamDetail", NULL, "team:object,members:array", NULL},
    {"TopUp", NULL, "payment_intent_id:string,client_secret:string,amount_cad:number,currency:string",
     "A PaymentIntent to confirm with Stripe.js; the wallet is credited when Stripe reports it paid"},
    {"ProviderRegistration", NULL, "provider_id:string,status:string,onboarding_url:string,stripe_account_id:string",
     "stripe_account_id only in stub mode (no Stripe configured)"},
    {"Provider", NULL, "provider:object", NULL},
    {"ProviderList", NULL, "providers:array,count:integer", NULL},
    {"Incorporation", NULL, "provider_id:string,review_status:string", NULL},
    {"Earnings", NULL, "provider_id:string,earnings:object,recent_payouts:array", NULL},
    {"GstThresholdProvider", NULL, "provider_id:string,exceeded:boolean,total_payouts_cad:number,threshold_cad:number,must_register_gst:boolean,message:string,simplified_regime_eligible:boolean", NULL},
    {"PayoutResult", NULL, "paid:integer,total_cad:number,transfer_reference:string", NULL},
    {"Reputation", NULL, "reputation:object", "ReputationScore (api §6.8), computed at read time"},
    {"ReputationHistory", NULL, "entity_id:string,entity_type:string,events:array", "ReputationEvent rows, newest first"},
    {"ReputationBreakdown", NULL,
     "entity_id:string,entity_type:string,total_score:number,tier:string,breakdown:object,events_analyzed:integer",
     "domain §19.8"},
    {"ReputationLeaderboard", NULL, "entity_type:string,leaderboard:array",
     "LeaderboardEntry rows by final_score desc, then entity_id asc"},
    {"SlaMonthly", NULL, "host_id:string,month:string,tier:string,uptime_pct:number,downtime_seconds:number,incidents:integer,target_pct:number,credit_pct:integer,credit_cad:number,spend_cad:number,credits:array",
     "The enforced month (SlaMonthly) and the wallet credits of this call"},
    {"SlaHostsSummary", NULL, "hosts:array,count:integer", NULL},
    {"SlaTargets", NULL, "targets:object", "community, secure and sovereign"},
    {"SlaDowntimes", NULL, "downtimes:array,count:integer", NULL},
    {"SlaViolations", NULL, "host_id:string,violations:array,count:integer", NULL},
    {"SlaHost", NULL, "host_id:string,sla_tier:string,uptime_30d_pct:number,monthly_record:object", "monthly_record is null before enforcement"},
    {"WebhookResult", NULL, "handled:boolean,event_type:string,reason:string",
     "Acknowledges a Stripe event (400 Invalid signature when its signature does not verify)"},
};

static const struct shape *shape_find(const char *name)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (name && strcmp(shapes[i].name, name) == 0)
            return &shapes[i];
    return &shapes[0];
}

static json_t *shape_schema(const struct shape *s)
{
    json_t *props = json_object();
    if (strcmp(s->name, "OpenAPI") != 0)
        json_object_set_new(props, "ok", json_pack("{s:s,s:b}", "type", "boolean", "const", 1));
    for (const char *p = s->members; p && *p;) {
        const char *colon = strchr(p, ':'), *comma = strchr(p, ',');
        size_t tl = comma ? (size_t)(comma - colon - 1) : strlen(colon + 1);
        char name[64], type[16];
        snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
        snprintf(type, sizeof type, "%.*s", (int)tl, colon + 1);
        json_object_set_new(props, name, json_pack("{s:s}", "type", type));
        p = comma ? comma + 1 : colon + 1 + tl;
    }
    json_t *o = json_pack("{s:s,s:o}", "type", "object", "properties", props);
    if (strcmp(s->name, "OpenAPI") != 0)
        json_object_set_new(o, "required", json_pack("[s]", "ok"));
    if (s->doc)
        json_object_set_new(o, "description", json_string(s->doc));
    return o;
}

/* An exact decimal bound: an integer when it has no fraction. */
static json_t *scaled(int64_t v, int scale)
{
    static const int64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (v % p10[scale] == 0)
        return json_integer(v / p10[scale]);
    return json_real((double)v / (double)p10[scale]);
}

static const char *type_name(enum field_type t)
{
    switch (t) {
    case FT_STRING: return "string";
    case FT_INTEGER: return "integer";
    case FT_FIXED:
    case FT_TIMESTAMP: return "number";
    case FT_BOOLEAN: return "boolean";
    case FT_OBJECT: return "object";
    case FT_ARRAY: return "array";
    }
    return "string";
}

/* The JSON Schema of one declared field. In a body, an optional field may also be null (null
 * reads as absent); query values are text that the server parses as the type shown. */
static json_t *field_schema(const struct field *f, bool in_body)
{
    json_t *s = json_object();
    if (in_body && !f->required)
        json_object_set_new(s, "type", json_pack("[s,s]", type_name(f->type), "null"));
    else
        json_object_set_new(s, "type", json_string(type_name(f->type)));
    switch (f->type) {
    case FT_STRING:
        json_object_set_new(s, "minLength", json_integer(f->min));
        if (f->max != INT64_MAX)
            json_object_set_new(s, "maxLength", json_integer(f->max));
        if (f->pattern) {
            char *re = f->min == 0 ? xasprintf("^$|%s", f->pattern->regex) : xstrdup(f->pattern->regex);
            json_object_set_new(s, "pattern", json_string(re));
            free(re);
        }
        if (f->enums && f->nocase) { /* JSON Schema has no case-blind enum: a pattern of [Aa] classes */
            char re[1024];
            size_t o = (size_t)snprintf(re, sizeof re, "^(");
            for (const char *const *v = f->enums; *v && o < sizeof re; v++) {
                o += (size_t)snprintf(re + o, sizeof re - o, "%s", v == f->enums ? "" : "|");
                for (const char *c = *v; *c && o < sizeof re; c++)
                    o += (size_t)(isalpha((unsigned char)*c)
                                      ? snprintf(re + o, sizeof re - o, "[%c%c]", toupper((unsigned char)*c), tolower((unsigned char)*c))
                                      : snprintf(re + o, sizeof re - o, "%c", *c));
            }
            snprintf(re + o, o < sizeof re ? sizeof re - o : 0, ")$");
            json_object_set_new(s, "pattern", json_string(re));
        } else if (f->enums) {
            json_t *e = json_array();
            for (const char *const *v = f->enums; *v; v++)
                json_array_append_new(e, json_string(*v));
            if (in_body && !f->required)
                json_array_append_new(e, json_null());
            json_object_set_new(s, "enum", e);
        }
        break;
    case FT_INTEGER:
        json_object_set_new(s, "minimum", json_integer(f->min));
        json_object_set_new(s, "maximum", json_integer(f->max));
        if (!in_body)
            json_object_set_new(s, "default", json_integer(f->dflt));
        break;
    case FT_FIXED:
        if (f->min != INT64_MIN)
            json_object_set_new(s, f->min_excl ? "exclusiveMinimum" : "minimum", scaled(f->min, f->scale));
        if (f->max != INT64_MAX)
            json_object_set_new(s, "maximum", scaled(f->max, f->scale));
        json_object_set_new(s, "x-decimals", json_integer(f->scale));
        break;
    case FT_TIMESTAMP:
        json_object_set_new(s, "minimum", json_integer(0));
        json_object_set_new(s, "description", json_string("epoch seconds, up to 6 decimals"));
        break;
    case FT_BOOLEAN:
        if (!in_body)
            json_object_set_new(s, "default", json_boolean(f->dflt));
        break;
    case FT_ARRAY:
        json_object_set_new(s, "items", f->items == FT_ARRAY ? json_object() : json_pack("{s:s}", "type", type_name(f->items)));
        break;
    case FT_OBJECT: break;
    }
    if (f->doc && f->type != FT_TIMESTAMP)
        json_object_set_new(s, "description", json_string(f->doc));
    else if (f->doc)
        json_object_set_new(s, "description", json_sprintf("%s (epoch seconds, up to 6 decimals)", f->doc));
    return s;
}

static json_t *body_schema(const struct field *fields)
{
    json_t *props = json_object(), *req = json_array();
    for (const struct field *f = fields; f->name; f++) {
        json_object_set_new(props, f->name, field_schema(f, true));
        if (f->required)
            json_array_append_new(req, json_string(f->name));
    }
    json_t *s = json_pack("{s:s,s:o}", "type", "object", "properties", props);
    if (json_array_size(req))
        json_object_set_new(s, "required", req);
    else
        json_decref(req);
    return s;
}

/* Path parameters are named alike across routes; their shape is one per name. */
static json_t *path_param(const char *name)
{
    json_t *schema;
    if (strcmp(name, "host_id") == 0)
        schema = json_pack("{s:s,s:s}", "type", "string", "pattern", PAT_HOST_ID.regex);
    else if (strcmp(name, "customer_id") == 0)
        schema = json_pack("{s:s,s:s}", "type", "string", "pattern", PAT_CUSTOMER_ID.regex);
    else if (strcmp(name, "job_id") == 0)
        schema = json_pack("{s:s,s:s}", "type", "string", "description", "32 lowercase hex characters");
    else
        schema = json_pack("{s:s}", "type", "string");
    return json_pack("{s:s,s:s,s:b,s:o}", "name", name, "in", "path", "required", 1, "schema", schema);
}

static void op_id(const struct route *rt, char *out, size_t n)
{
    size_t o = (size_t)snprintf(out, n, "%s", rt->method);
    for (size_t i = 0; i < o; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
    for (const char *p = rt->pattern; *p && o + 1 < n; p++) {
        char c = isalnum((unsigned char)*p) ? *p : '_';
        if (c == '_' && out[o - 1] == '_')
            continue;
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == '_')
        o--;
    out[o] = '\0';
}

static void tag_of(const char *pattern, char *out, size_t n)
{
    const char *p = pattern + 1;
    if (strncmp(p, "api/", 4) == 0)
        p += 4;
    size_t l = strcspn(p, "/{");
    snprintf(out, n, "%.*s", (int)l, l ? p : "system");
    if (strcmp(out, "host") == 0 || strcmp(out, "hosts") == 0)
        snprintf(out, n, "hosts");
    else if (strcmp(out, "job") == 0 || strcmp(out, "jobs") == 0 || strcmp(out, "tiers") == 0)
        snprintf(out, n, "jobs");
    else if (strcmp(out, "spot-prices") == 0)
        snprintf(out, n, "spot");
    else if (!strcmp(out, "healthz") || !strcmp(out, "readyz") || !strcmp(out, "metrics") || !strcmp(out, "dashboard") ||
             !strcmp(out, "stream") || !strcmp(out, "openapi.json") || !strcmp(out, "docs"))
        snprintf(out, n, "system");
}

static const char *mark_name(enum auth_mark m)
{
    switch (m) {
    case MARK_P: return "P";
    case MARK_A: return "A";
    case MARK_S: return "S";
    case MARK_U: return "U";
    case MARK_O: return "O";
    case MARK_H: return "H";
    case MARK_UNSET: break;
    }
    return "A";
}

static const char *mark_doc(const struct route *rt, char *buf, size_t n)
{
    static const char *const owned[] = {
        [OWNS_NONE] = "", [OWNS_JOB] = " Jobs: the submitting user's customer account.",
        [OWNS_HOST] = " Hosts: the provider user who registered it.",
        [OWNS_CUSTOMER] = " Customers: the user whose customer_id is in the path.",
        [OWNS_PROVIDER] = " Providers: the user whose provider_id is in the path."};
    const char *base = "";
    switch (rt->auth) {
    case MARK_P: return "Public: no credential needed (an invalid one is ignored).";
    case MARK_A: return "Admin: the operator token or a user whose role is admin.";
    case MARK_S: return "Any signed principal: admin, user or agent (users and agents see only what is theirs).";
    case MARK_U: return "A user principal (session token or API key), any role; required in every environment.";
    case MARK_O: base = "The owner of the addressed resource, or admin."; break;
    case MARK_H: base = "The host's own agent token, the user who owns the host, or admin."; break;
    case MARK_UNSET: return "";
    }
    snprintf(buf, n, "%s%s", base, rt->auth == MARK_O ? owned[rt->owns] : "");
    return buf;
}

static json_t *operation(const struct route *rt)
{
    char id[160], tag[40];
    op_id(rt, id, sizeof id);
    tag_of(rt->pattern, tag, sizeof tag);
    json_t *op = json_pack("{s:s,s:s,s:[s]}", "operationId", id, "summary", rt->summary ? rt->summary : rt->pattern,
                           "tags", tag);
    char doc[256];
    json_object_set_new(op, "description", json_string(mark_doc(rt, doc, sizeof doc)));
    json_object_set_new(op, "x-permission", json_string(mark_name(rt->auth)));
    if (!rt->rate_exempt)
        json_object_set_new(op, "x-rate-limited", json_true());

    json_t *params = json_array();
    for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{')) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(p + 1, "}"), p + 1);
        json_array_append_new(params, path_param(name));
    }
    for (const struct field *f = rt->query; f && f->name; f++)
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:o}", "name", f->name, "in", "query", "required",
                                                f->required, "schema", field_schema(f, false)));
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);

    if (rt->body) {
        bool required = false;
        for (const struct field *f = rt->body; f->name; f++)
            required |= f->required;
        json_t *content = json_pack("{s:{s:o}}", "application/json", "schema", body_schema(rt->body));
        json_object_set_new(op, "requestBody", json_pack("{s:b,s:o}", "required", required, "content", content));
    }

    const struct shape *s = shape_find(rt->response);
    char sref[96];
    snprintf(sref, sizeof sref, "#/components/schemas/%s", s->name);
    json_t *ok = json_pack("{s:s}", "description", s->doc ? s->doc : rt->summary ? rt->summary : "Success");
    json_object_set_new(ok, "content",
                        json_pack("{s:{s:{s:s}}}", s->media ? s->media : "application/json", "schema", "$ref", sref));
    json_t *responses = json_pack("{s:o}", "200", ok);
    if (rt->query || rt->body)
        json_object_set_new(responses, "422", json_pack("{s:s}", "$ref", "#/components/responses/ValidationError"));
    if (rt->auth != MARK_P) {
        json_object_set_new(responses, "401", json_pack("{s:s}", "$ref", "#/components/responses/Unauthorized"));
        json_object_set_new(responses, "403", json_pack("{s:s}", "$ref", "#/components/responses/Forbidden"));
    }
    if (!rt->rate_exempt)
        json_object_set_new(responses, "429", json_pack("{s:s}", "$ref", "#/components/responses/RateLimited"));
    json_object_set_new(responses, "default", json_pack("{s:s}", "$ref", "#/components/responses/Error"));
    json_object_set_new(op, "responses", responses);
    json_object_set_new(op, "security", rt->auth == MARK_P ? json_array() : json_pack("[{s:[]}]", "bearerAuth"));
    return op;
}

static json_t *error_response(const char *doc)
{
    return json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", doc, "content", "application/json", "schema", "$ref",
                     "#/components/schemas/Error");
}

static json_t *components(void)
{
    json_t *schemas = json_object();
    json_object_set_new(
        schemas, "Error",
        json_loads("{\"description\":\"The error envelope of api \u00a74\",\"type\":\"object\","
                   "\"required\":[\"ok\",\"error\"],\"properties\":{\"ok\":{\"type\":\"boolean\",\"const\":false},"
                   "\"error\":{\"type\":\"object\",\"required\":[\"code\",\"message\"],\"properties\":{"
                   "\"code\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"},"
                   "\"details\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
                   "\"loc\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                   "\"msg\":{\"type\":\"string\"},\"type\":{\"type\":\"string\"}}}}}}}}",
                   0, NULL));
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (shapes[i].media)
            json_object_set_new(schemas, shapes[i].name, json_pack("{s:s}", "type", "string"));
        else
            json_object_set_new(schemas, shapes[i].name, shape_schema(&shapes[i]));
    }
    json_t *responses = json_pack("{s:o,s:o,s:o,s:o,s:o}", "ValidationError",
                                  error_response("validation_error: details name the failing field (loc, msg, type)"),
                                  "Unauthorized", error_response("unauthorized: no valid credential"), "Forbidden",
                                  error_response("forbidden: the credential may not do this"), "RateLimited",
                                  error_response("rate_limited: see Retry-After"), "Error", error_response("An error"));
    json_t *sec = json_pack("{s:{s:s,s:s,s:s}}", "bearerAuth", "type", "http", "scheme", "bearer", "description",
                            "The operator (admin) token or a host's agent token");
    return json_pack("{s:o,s:o,s:o}", "schemas", schemas, "responses", responses, "securitySchemes", sec);
}

json_t *openapi_document(void)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *rt = &routes_table[i];
        json_t *item = json_object_get(paths, rt->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, rt->pattern, item);
        }
        char m[16];
        size_t k = 0;
        for (; rt->method[k] && k + 1 < sizeof m; k++)
            m[k] = (char)tolower((unsigned char)rt->method[k]);
        m[k] = '\0';
        json_object_set_new(item, m, operation(rt));
    }
    json_t *info = json_pack("{s:s,s:s,s:s}", "title", "Xcelsior control plane API", "version", XC_VERSION,
                             "description",
                             "Generated by xcelsiord from its route table: every route, its permission mark, "
                             "its declared query and body, and its response shape.");
    return json_pack("{s:s,s:o,s:[{s:s}],s:o,s:o}", "openapi", "3.1.0", "info", info, "servers", "url", "/", "paths",
                     paths, "components", components());
}

static struct shared_body *doc_body, *js_body;
static pthread_once_t doc_once = PTHREAD_ONCE_INIT, js_once = PTHREAD_ONCE_INIT;

static void render_doc(void)
{
    json_t *d = openapi_document();
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    doc_body = shared_body_new(text, strlen(text));
}

void h_openapi(struct req *r)
{
    pthread_once(&doc_once, render_doc);
    reply_shared(r, 200, "application/json; charset=utf-8", doc_body);
}

static const struct embedded_file *web_file(const char *name)
{
    for (const struct embedded_file *f = embedded_web; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

void h_docs(struct req *r)
{
    const struct embedded_file *f = web_file("docs.html");
    if (!f) {
        reply_error(r, 404, "docs page not built in");
        return;
    }
    reply_raw(r, 200, "text/html; charset=utf-8", f->data, f->size);
}

static void load_js(void)
{
    const struct embedded_file *f = web_file("redoc.standalone.js");
    if (f) {
        char *copy = xmalloc(f->size + 1);
        memcpy(copy, f->data, f->size + 1);
        js_body = shared_body_new(copy, f->size);
    }
}

void h_docs_asset(struct req *r)
{
    pthread_once(&js_once, load_js);
    if (!js_body) {
        reply_error(r, 404, "docs viewer not built in");
        return;
    }
    reply_shared(r, 200, "text/javascript; charset=utf-8", js_body);
    reply_header(r, "Cache-Control", "public, max-age=86400");
}
