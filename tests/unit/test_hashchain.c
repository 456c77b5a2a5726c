#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashchain.h"

static const char *SECRET = "test-secret-key-0123456789abcdef";

static void hex(const unsigned char *k, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", k[i]);
}

Test(hashchain, key_vector)
{
    unsigned char k[32];
    char h[65];
    hashchain_key(SECRET, k);
    hex(k, h);
    cr_assert_str_eq(h, "d7b2b01c7066575cdbc495e0d23b202127f1cc0026298afa2ff100f7f7fc9cfe");
}

Test(hashchain, event_vectors_chain)
{
    unsigned char k[32];
    hashchain_key(SECRET, k);
    json_t *d1 = json_loads("{\"a\":\"\\u00e9\",\"b\":1,\"x\":[1,-2,null,true,\"q\\\"/\\n\"]}", 0, NULL);
    json_t *meta = json_object();
    char zeros[65];
    memset(zeros, '0', 64);
    zeros[64] = 0;
    struct chain_event e1 = {1, "00000000-0000-4000-8000-000000000001", "job.submitted", "job", "j1", "scheduler",
                             1700000000500000, d1, meta, zeros};
    char h1[65];
    cr_assert_eq(hashchain_event_hash(k, &e1, h1), 0);
    cr_assert_str_eq(h1, "3bb5b27ef134b0769a519c2f217157d00a0150a455cab0ad9d5976ddc83f06ac");
    json_t *d2 = json_pack("{s:s,s:s,s:s}", "host_id", "h1", "new_state", "assigned", "previous_state", "queued");
    struct chain_event e2 = {2, "00000000-0000-4000-8000-000000000002", "job.assigned", "job", "j1", "scheduler",
                             1700000001000000, d2, meta, h1};
    char h2[65];
    cr_assert_eq(hashchain_event_hash(k, &e2, h2), 0);
    cr_assert_str_eq(h2, "69701754f302c6c057bec0d5c0d02bab1eb67784585eaaa6d187266d62eced83");
    /* Any edit changes the hash. */
    e2.ts_us++;
    char h3[65];
    hashchain_event_hash(k, &e2, h3);
    cr_assert_str_neq(h3, h2);
    json_decref(d1);
    json_decref(d2);
    json_decref(meta);
}

Test(hashchain, escaping_astral_and_del)
{
    json_t *o = json_pack("{s:s}", "k", "\xf0\x9f\x98\x80\x7f");
    char *c = NULL;
    cr_assert_eq(hashchain_canonical(o, &c), 0);
    cr_assert_str_eq(c, "{\"k\":\"\\ud83d\\ude00\\u007f\"}");
    free(c);
    json_decref(o);
}

Test(hashchain, reals_rejected)
{
    json_t *o = json_pack("{s:f}", "x", 1.5);
    char *c = NULL;
    cr_assert_lt(hashchain_canonical(o, &c), 0);
    json_decref(o);
}
