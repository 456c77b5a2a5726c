#include "server/http/validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <string.h>

#include "common/fixed.h"
#include "common/ids.h"

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

int v_str(struct req *r, const char *field, bool required, size_t min, size_t max, const char **out)
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

int v_fixed(struct req *r, const char *field, bool required, int scale, int64_t min, bool min_excl, int64_t max,
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

int v_int(struct req *r, const char *field, bool required, int64_t min, int64_t max, int64_t *out)
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

int v_bool(struct req *r, const char *field, bool required, bool *out)
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

int v_object(struct req *r, const char *field, bool required, json_t **out)
{
    return v_typed(r, field, required, out, true);
}

int v_array(struct req *r, const char *field, bool required, json_t **out)
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
