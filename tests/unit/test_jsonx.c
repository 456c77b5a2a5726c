#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"

/* jsonx_dump of v, compared with want; frees both the dump and v. */
static void dump_is(json_t *v, const char *want)
{
    size_t len = 0;
    char *s = jsonx_dump(v, &len);
    cr_assert_str_eq(s, want);
    cr_assert_eq(len, strlen(want));
    free(s);
    json_decref(v);
}

Test(jsonx, fixed_values_are_bare_numbers)
{
    dump_is(jx_money(305), "0.000305");
    dump_is(jx_vram(24000), "24.0");
    dump_is(jx_ts(0), "null");
    dump_is(jx_ts(1767225600500000), "1767225600.5");
    dump_is(json_pack("{s:o,s:[o,i]}", "a", jx_money(-1500000), "b", jx_fixed(7, 0), 3), "{\"a\":-1.5,\"b\":[7.0,3]}");
}

/* Issue 9: a client's string that looks like the old in-band marker stays a string. */
Test(jsonx, user_strings_are_never_numbers)
{
    static const char *const forged[] = {"\x01#7", "\x01#1,\"x\":1", "\x01#", "a\"\x01#5", "\xc3\xbf" "1.5"};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        json_t *s = json_string(forged[i]);
        cr_assert_not_null(s);
        cr_assert(!jx_is_fixed(s));
        json_t *a = json_pack("[s,O]", "echo", s);
        char *text = jsonx_dump(a, NULL);
        json_error_t err;
        json_t *back = json_loads(text, 0, &err);
        cr_assert_not_null(back, "%s: %s", text, err.text);
        cr_assert(json_equal(back, a), "%s", text);
        json_decref(back);
        free(text);
        json_decref(a);
        json_decref(s);
    }
    /* Parsed text can't carry the tag either: jansson refuses invalid UTF-8. */
    cr_assert_null(json_loads("[\"\xff" "1.5\"]", 0, NULL));
    cr_assert_null(json_string("\xff" "1.5"));
}

/* Without fixed values the writer matches jansson's compact output byte for byte. */
Test(jsonx, matches_jansson_compact)
{
    static const char *const docs[] = {
        "{}",
        "[]",
        "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
        "[\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\\u007f\"]",
        "{\"k\\u0002\\\"\":\"caf\\u00e9 \\ud83d\\ude00\"}",
        "[1.5,-0.25,1e300,3.0,-9223372036854775808,9223372036854775807]",
        "\"top\"",
        "42",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY, NULL);
        cr_assert_not_null(v, "%s", docs[i]);
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        char *got = jsonx_dump(v, NULL);
        cr_assert_str_eq(got, want);
        free(want);
        free(got);
        json_decref(v);
    }
}

Test(jsonx, fixed_survives_copies)
{
    json_t *o = json_pack("{s:o}", "x", jx_money(1));
    json_t *c = json_deep_copy(o);
    cr_assert(jx_is_fixed(json_object_get(c, "x")));
    dump_is(c, "{\"x\":0.000001}");
    json_decref(o);
}
