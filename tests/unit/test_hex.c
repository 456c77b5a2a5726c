#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "common/hex.h"

Test(hex, encodes_lowercase_two_digits_per_byte)
{
    const uint8_t b[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof b + 1];
    cr_assert_eq(hex_encode(b, sizeof b, out), out);
    cr_assert_str_eq(out, "00017f80abff");
}

Test(hex, empty_input_gives_empty_string)
{
    char out[1] = {'x'};
    hex_encode("", 0, out);
    cr_assert_str_eq(out, "");
}

Test(hex, sha256_sized_digest_fills_64_digits)
{
    uint8_t d[32];
    for (int i = 0; i < 32; i++)
        d[i] = (uint8_t)(i * 8 + 1);
    char out[65];
    hex_encode(d, sizeof d, out);
    cr_assert_eq(strlen(out), 64);
    cr_assert_eq(strncmp(out, "01091119", 8), 0);
}
