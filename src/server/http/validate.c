/* Request validation: the field readers, the named patterns and the checking of a request
 * against its route's declared query and body (routes.c). */
#include "server/http/validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fixed.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/log.h"
#include "server/http/routes.h"

/* Body-field readers behind the declared checks. Each returns 1 when the field was present and
 * valid (value stored), 0 when absent or null (out untouched), and -1 after replying 422. A
 * required field that is absent replies 422 "missing" and returns -1. */

static json_t *field_value(struct req *r, const char *field)
{
    json_t *v = json_object_get(r->json, field);
    return v && !json_is_null(v) ? v : NULL;
}

static int missing(struct req *r, const char *field)
{
    reply_invalid(r, "body", field, "missing", "Field required");
    return -1;
}

static int v_str(struct req *r, const char *field, bool required, size_t min, size_t max, const char **out)
{
    json_t *v = field_value(r, field);
    if (!v)
        return required ? missing(r, field) : 0;
    if (!json_is_string(v)) {
        reply_invalid(r, "body", field, "type_error", "must be a string");
        return -1;
    }
    size_t n = json_string_length(v);
    if (n < min) {
        reply_invalid(r, "body", field, "too_short", "must be at least %zu characters", min);
        return -1;
    }
    if (n > max) {
        reply_invalid(r, "body", field, "too_long", "must be at most %zu characters", max);
        return -1;
    }
    if (strlen(json_string_value(v)) != n) {
        reply_invalid(r, "body", field, "pattern", "must not contain NUL characters");
        return -1;
    }
    *out = json_string_value(v);
    return 1;
}

static int v_fixed(struct req *r, const char *field, bool required, int scale, int64_t min, bool min_excl, int64_t max,
            int64_t *out)
{
    json_t *v = field_value(r, field);
    if (!v)
        return required ? missing(r, field) : 0;
    int64_t x;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        static const int64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
        if (i > INT64_MAX / p10[scale] || i < INT64_MIN / p10[scale]) {
            reply_invalid(r, "body", field, "less_equal", "number out of range");
            return -1;
        }
        x = i * p10[scale];
    } else if (json_is_real(v)) {
        if (fixed_from_double(json_real_value(v), scale, &x) < 0) {
            reply_invalid(r, "body", field, "less_equal", "number out of range");
            return -1;
        }
    } else {
        reply_invalid(r, "body", field, "type_error", "must be a number");
        return -1;
    }
    char a[40], b[40];
    if (min_excl ? x <= min : x < min) {
        reply_invalid(r, "body", field, min_excl ? "greater_than" : "greater_equal", "must be %s %s",
                      min_excl ? "greater than" : "at least", fixed_fmt(min, scale, a, sizeof a));
        return -1;
    }
    if (x > max) {
        reply_invalid(r, "body", field, "less_equal", "must be at most %s", fixed_fmt(max, scale, b, sizeof b));
        return -1;
    }
    *out = x;
    return 1;
}

static int v_int(struct req *r, const char *field, bool required, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = field_value(r, field);
    if (!v)
        return required ? missing(r, field) : 0;
    if (!json_is_integer(v)) {
        reply_invalid(r, "body", field, "type_error", "must be an integer");
        return -1;
    }
    json_int_t x = json_integer_value(v);
    if (x < min) {
        reply_invalid(r, "body", field, "greater_equal", "must be at least %lld", (long long)min);
        return -1;
    }
    if (x > max) {
        reply_invalid(r, "body", field, "less_equal", "must be at most %lld", (long long)max);
        return -1;
    }
    *out = x;
    return 1;
}

static int v_bool(struct req *r, const char *field, bool required, bool *out)
{
    json_t *v = field_value(r, field);
    if (!v)
        return required ? missing(r, field) : 0;
    if (!json_is_boolean(v)) {
        reply_invalid(r, "body", field, "type_error", "must be a boolean");
        return -1;
    }
    *out = json_is_true(v);
    return 1;
}

static int v_typed(struct req *r, const char *field, bool required, json_t **out, bool object)
{
    json_t *v = field_value(r, field);
    if (!v)
        return required ? missing(r, field) : 0;
    if (object ? !json_is_object(v) : !json_is_array(v)) {
        reply_invalid(r, "body", field, "type_error", object ? "must be an object" : "must be an array");
        return -1;
    }
    *out = v;
    return 1;
}

static int v_object(struct req *r, const char *field, bool required, json_t **out)
{
    return v_typed(r, field, required, out, true);
}

static int v_array(struct req *r, const char *field, bool required, json_t **out)
{
    return v_typed(r, field, required, out, false);
}

/* ^[A-Za-z0-9][<extra chars>]{0,max-1}$ */
static bool simple_pattern(const char *s, const char *extra, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

bool valid_host_id(const char *s) { return ids_valid_host_id(s); }
bool valid_job_name(const char *s) { return simple_pattern(s, "._:/@ -", 128); }

bool valid_env_key(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

bool valid_job_id(const char *s) { return ids_valid_job_id(s); }

static regex_t image_re;
static pthread_once_t image_once = PTHREAD_ONCE_INIT;
static void image_compile(void)
{
    /* domain §4.1, with dots allowed in the registry host part. */
    regcomp(&image_re,
            "^[a-z0-9]+([._-][a-z0-9]+)*(\\.[a-z0-9]+([._-][a-z0-9]+)*)*(:[0-9]+)?"
            "(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$",
            REG_EXTENDED | REG_NOSUB);
}

bool valid_image_ref(const char *s)
{
    if (strlen(s) > 255)
        return false;
    pthread_once(&image_once, image_compile);
    return regexec(&image_re, s, 0, NULL, 0) == 0;
}

bool valid_ip_or_unknown(const char *s)
{
    unsigned char buf[16];
    return strcmp(s, "unknown") == 0 || inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

bool valid_ca_province(const char *s)
{
    static const char *const codes[] = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"};
    for (size_t i = 0; i < 13; i++)
        if (strcmp(s, codes[i]) == 0)
            return true;
    return false;
}

int v_path_host_id(struct req *r, int idx, const char **out)
{
    const char *id = r->params[idx];
    if (!valid_host_id(id)) {
        reply_error(r, 404, "Host %.80s not found", id);
        return -1;
    }
    *out = id;
    return 0;
}

int v_path_job_id(struct req *r, int idx, const char **out)
{
    const char *id = r->params[idx];
    if (!valid_job_id(id)) {
        reply_error(r, 404, "Job %.80s not found", id);
        return -1;
    }
    *out = id;
    return 0;
}

/* ---- named patterns ---- */

static bool valid_customer_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return false;
    return true;
}

static bool valid_owner(const char *s)
{
    return strncmp(s, "cust-", 5) == 0 && valid_job_id(s + 5);
}

static bool valid_ip(const char *s)
{
    return valid_ip_or_unknown(s);
}

const struct field_pattern PAT_HOST_ID = {valid_host_id, "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                                          "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"};
const struct field_pattern PAT_JOB_NAME = {valid_job_name, "^[A-Za-z0-9][A-Za-z0-9._:/@ -]{0,127}$",
                                           "must match ^[A-Za-z0-9][A-Za-z0-9._:/@ -]{0,127}$"};
const struct field_pattern PAT_JOB_ID = {valid_job_id, "^[0-9a-f]{32}$", "must be 32 lowercase hex characters"};
const struct field_pattern PAT_IMAGE = {
    valid_image_ref,
    "^[a-z0-9]+([._-][a-z0-9]+)*(\\.[a-z0-9]+([._-][a-z0-9]+)*)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$",
    "must be a Docker image reference (e.g. nvcr.io/nvidia/pytorch:24.01-py3)"};
/* IPv4 or IPv6 literal, or "unknown"; the regex is a loose outline of what inet_pton takes. */
const struct field_pattern PAT_IP = {valid_ip, "^(unknown|[0-9.]+|[0-9A-Fa-f:.]+)$",
                                     "must be an IPv4/IPv6 literal or \"unknown\""};
const struct field_pattern PAT_CUSTOMER_ID = {valid_customer_id, "^[A-Za-z0-9._-]{1,64}$",
                                              "must be 1..64 characters of [A-Za-z0-9._-]"};
const struct field_pattern PAT_OWNER = {valid_owner, "^cust-[0-9a-f]{32}$",
                                        "must be a customer id: cust- followed by 32 hex characters"};

/* ---- checking a request against its declaration ---- */

static void enum_message(const struct field *f, char *buf, size_t n)
{
    if (f->msg) {
        snprintf(buf, n, "%s", f->msg);
        return;
    }
    size_t o = (size_t)snprintf(buf, n, "must be one of ");
    for (const char *const *e = f->enums; *e && o < n; e++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", e == f->enums ? "" : ", ", *e);
}

static bool in_enum(const struct field *f, const char *s)
{
    for (const char *const *e = f->enums; *e; e++)
        if (f->nocase ? strcasecmp(*e, s) == 0 : strcmp(*e, s) == 0)
            return true;
    return false;
}

/* Pattern and enum of a string that passed its length check. */
static int check_string_shape(struct req *r, const char *where, const struct field *f, const char *s)
{
    if (f->pattern && *s && !f->pattern->check(s)) {
        reply_invalid(r, where, f->name, "pattern", "%s", f->pattern->msg);
        return -1;
    }
    if (f->enums && !in_enum(f, s)) {
        char msg[400];
        enum_message(f, msg, sizeof msg);
        reply_invalid(r, where, f->name, "enum", "%s", msg);
        return -1;
    }
    return 0;
}

static int check_body_field(struct req *r, const struct field *f)
{
    const char *s;
    int64_t i;
    bool b;
    json_t *j;
    switch (f->type) {
    case FT_STRING: {
        int rc = v_str(r, f->name, f->required, (size_t)f->min, (size_t)f->max, &s);
        return rc <= 0 ? rc : check_string_shape(r, "body", f, s);
    }
    case FT_INTEGER: return v_int(r, f->name, f->required, f->min, f->max, &i) < 0 ? -1 : 0;
    case FT_FIXED: return v_fixed(r, f->name, f->required, f->scale, f->min, f->min_excl, f->max, &i) < 0 ? -1 : 0;
    case FT_BOOLEAN: return v_bool(r, f->name, f->required, &b) < 0 ? -1 : 0;
    case FT_OBJECT: return v_object(r, f->name, f->required, &j) < 0 ? -1 : 0;
    case FT_ARRAY: return v_array(r, f->name, f->required, &j) < 0 ? -1 : 0;
    case FT_TIMESTAMP: break;
    }
    return 0;
}

/* Parses a query value of a numeric field. Returns 0, or -1 after replying 422. */
static int parse_query_number(struct req *r, const struct field *f, const char *v, bool reply, int64_t *out)
{
    if (f->type == FT_TIMESTAMP) {
        if (fixed_parse(v, 6, out) < 0 || *out < 0) {
            if (reply)
                reply_invalid(r, "query", f->name, "type_error", "must be a timestamp in epoch seconds");
            return -1;
        }
        return 0;
    }
    if (f->type == FT_FIXED) {
        if (fixed_parse(v, f->scale, out) < 0) {
            if (reply)
                reply_invalid(r, "query", f->name, "type_error", "value is not a valid number");
            return -1;
        }
        return 0;
    }
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end) {
        if (reply)
            reply_invalid(r, "query", f->name, "type_error", "value is not a valid integer");
        return -1;
    }
    if (x < f->min || x > f->max) {
        if (reply)
            reply_invalid(r, "query", f->name, x < f->min ? "greater_equal" : "less_equal",
                          "must be between %lld and %lld", (long long)f->min, (long long)f->max);
        return -1;
    }
    *out = x;
    return 0;
}

static int check_query_field(struct req *r, const struct field *f)
{
    const char *v = req_query(r, f->name);
    if (!v) {
        if (f->required) {
            reply_invalid(r, "query", f->name, "missing", "Field required");
            return -1;
        }
        return 0;
    }
    int64_t x;
    bool b;
    switch (f->type) {
    case FT_STRING: {
        size_t n = strlen(v);
        if (n < (size_t)f->min) {
            reply_invalid(r, "query", f->name, "too_short", "must be at least %lld characters", (long long)f->min);
            return -1;
        }
        if (n > (size_t)f->max) {
            reply_invalid(r, "query", f->name, "too_long", "must be at most %lld characters", (long long)f->max);
            return -1;
        }
        return check_string_shape(r, "query", f, v);
    }
    case FT_BOOLEAN:
        if (parse_bool(v, &b) < 0) {
            reply_invalid(r, "query", f->name, "type_error", "value is not a valid boolean");
            return -1;
        }
        return 0;
    case FT_INTEGER:
    case FT_FIXED:
    case FT_TIMESTAMP: return parse_query_number(r, f, v, true, &x);
    case FT_OBJECT:
    case FT_ARRAY: break;
    }
    return 0;
}

int validate_request(struct req *r)
{
    const struct route *rt = r->route;
    for (const struct field *f = rt->query; f && f->name; f++)
        if (check_query_field(r, f) < 0)
            return -1;
    if (!rt->body)
        return 0;
    if (req_parse_json(r) < 0)
        return -1;
    for (const struct field *f = rt->body; f->name; f++)
        if (check_body_field(r, f) < 0)
            return -1;
    return 0;
}

/* ---- reading validated input ---- */

static const struct field *declared(struct req *r, const struct field *list, const char *where, const char *name)
{
    for (const struct field *f = list; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    log_error("route %s %s reads %s field '%s' it does not declare", r->route->method, r->route->pattern, where, name);
    abort();
}

bool body_str(struct req *r, const char *name, const char **out)
{
    declared(r, r->route->body, "body", name);
    json_t *v = field_value(r, name);
    if (!v)
        return false;
    *out = json_string_value(v);
    return true;
}

bool body_int(struct req *r, const char *name, int64_t *out)
{
    const struct field *f = declared(r, r->route->body, "body", name);
    json_t *v = field_value(r, name);
    if (!v)
        return false;
    static const int64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (json_is_integer(v))
        *out = json_integer_value(v) * (f->type == FT_FIXED ? p10[f->scale] : 1);
    else
        fixed_from_double(json_real_value(v), f->scale, out);
    return true;
}

bool body_bool(struct req *r, const char *name, bool *out)
{
    declared(r, r->route->body, "body", name);
    json_t *v = field_value(r, name);
    if (!v)
        return false;
    *out = json_is_true(v);
    return true;
}

bool body_json(struct req *r, const char *name, json_t **out)
{
    declared(r, r->route->body, "body", name);
    json_t *v = field_value(r, name);
    if (!v)
        return false;
    *out = v;
    return true;
}

bool query_str(struct req *r, const char *name, const char **out)
{
    declared(r, r->route->query, "query", name);
    const char *v = req_query(r, name);
    if (!v)
        return false;
    *out = v;
    return true;
}

bool query_int(struct req *r, const char *name, int64_t *out)
{
    const struct field *f = declared(r, r->route->query, "query", name);
    const char *v = req_query(r, name);
    if (!v) {
        if (f->type == FT_INTEGER)
            *out = f->dflt;
        return false;
    }
    return parse_query_number(r, f, v, false, out) == 0;
}

bool query_bool(struct req *r, const char *name, bool *out)
{
    const struct field *f = declared(r, r->route->query, "query", name);
    const char *v = req_query(r, name);
    if (!v) {
        *out = f->dflt != 0;
        return false;
    }
    return parse_bool(v, out) == 0;
}
