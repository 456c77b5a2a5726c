#include <criterion/criterion.h>
#include <string.h>

#include "common/ids.h"

Test(ids, hex128_is_a_valid_job_id)
{
    char id[33];
    for (int i = 0; i < 50; i++) {
        ids_hex128(id);
        cr_assert_eq(strlen(id), 32);
        cr_assert(ids_valid_job_id(id), "%s", id);
    }
}

Test(ids, job_id_is_32_lowercase_hex)
{
    cr_assert(ids_valid_job_id("0123456789abcdef0123456789abcdef"));
    cr_assert_not(ids_valid_job_id("0123456789ABCDEF0123456789abcdef"));
    cr_assert_not(ids_valid_job_id("0123456789abcdef0123456789abcde"));
    cr_assert_not(ids_valid_job_id("0123456789abcdef0123456789abcdef0"));
    cr_assert_not(ids_valid_job_id("0123456789abcdef0123456789abcdeg"));
    cr_assert_not(ids_valid_job_id(""));
    cr_assert_not(ids_valid_job_id(NULL));
}

Test(ids, host_id_pattern)
{
    cr_assert(ids_valid_host_id("a"));
    cr_assert(ids_valid_host_id("gpu-01.rack_2"));
    cr_assert(ids_valid_host_id("0host"));
    cr_assert_not(ids_valid_host_id(""));
    cr_assert_not(ids_valid_host_id(NULL));
    cr_assert_not(ids_valid_host_id("-host"));
    cr_assert_not(ids_valid_host_id(".host"));
    cr_assert_not(ids_valid_host_id("host/1"));
    cr_assert_not(ids_valid_host_id("host 1"));
    cr_assert_not(ids_valid_host_id("h\xc3\xa9"));
    char longest[IDS_HOST_ID_MAX + 2];
    memset(longest, 'h', IDS_HOST_ID_MAX);
    longest[IDS_HOST_ID_MAX] = '\0';
    cr_assert(ids_valid_host_id(longest));
    longest[IDS_HOST_ID_MAX] = 'h';
    longest[IDS_HOST_ID_MAX + 1] = '\0';
    cr_assert_not(ids_valid_host_id(longest));
}

Test(ids, uuid4_has_version_and_variant)
{
    char u[37];
    ids_uuid4(u);
    cr_assert_eq(strlen(u), 36);
    cr_assert_eq(u[8], '-');
    cr_assert_eq(u[14], '4');
    cr_assert(strchr("89ab", u[19]) != NULL);
}
