#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

Test(buf, empty_buffer_reads_as_empty_string)
{
    struct buf b = BUF_INIT;
    cr_assert_str_eq(buf_str(&b), "");
    size_t n = 99;
    char *s = buf_take(&b, &n);
    cr_assert_str_eq(s, "");
    cr_assert_eq(n, 0);
    free(s);
    buf_free(&b);
}

Test(buf, appends_grow_and_stay_nul_terminated)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(buf_puts(&b, "abc"), 0);
    cr_assert_eq(b.len, 3000);
    cr_assert(b.cap > b.len);
    cr_assert_eq(b.p[b.len], '\0');
    cr_assert_eq(strncmp(b.p + 2997, "abc", 3), 0);
    cr_assert_eq(buf_putc(&b, 'x'), 0);
    cr_assert_eq(buf_put(&b, "\0y", 2), 0); /* bytes, not text: an embedded NUL is kept */
    cr_assert_eq(b.len, 3003);
    cr_assert_eq(b.p[3001], '\0');
    cr_assert_eq(b.p[3002], 'y');
    buf_free(&b);
    cr_assert_null(b.p);
    cr_assert_eq(b.len, 0);
}

Test(buf, zero_length_put_allocates_an_empty_string)
{
    struct buf b = BUF_INIT;
    cr_assert_eq(buf_put(&b, "", 0), 0);
    cr_assert_not_null(b.p);
    cr_assert_str_eq(b.p, "");
    buf_free(&b);
}

Test(buf, printf_formats_short_and_long_text)
{
    struct buf b = BUF_INIT;
    cr_assert_eq(buf_printf(&b, "%d-%s", 42, "x"), 0);
    cr_assert_str_eq(buf_str(&b), "42-x");
    char big[5000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(buf_printf(&b, "[%s]", big), 0);
    cr_assert_eq(b.len, 4 + 2 + 4999);
    cr_assert_eq(b.p[4], '[');
    cr_assert_eq(b.p[b.len - 1], ']');
    cr_assert_eq(b.p[b.len], '\0');
    buf_free(&b);
}

Test(buf, bound_refuses_whole_appends_and_flags_overflow)
{
    struct buf b = {.max = 8};
    cr_assert_eq(buf_puts(&b, "12345"), 0);
    cr_assert_eq(buf_puts(&b, "6789"), -1); /* would make 9 */
    cr_assert(b.overflow);
    cr_assert_str_eq(buf_str(&b), "12345");
    cr_assert_eq(buf_printf(&b, "%s", "abcd"), -1);
    cr_assert_str_eq(buf_str(&b), "12345"); /* nothing of a refused printf stays */
    cr_assert_eq(buf_puts(&b, "678"), 0);    /* exactly max */
    cr_assert_str_eq(buf_str(&b), "12345678");
    cr_assert_eq(buf_putc(&b, '9'), -1);
    buf_clear(&b);
    cr_assert_not(b.overflow);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(buf_str(&b), "");
    cr_assert_eq(b.max, 8);
    buf_free(&b);
}

Test(buf, printf_past_the_bound_leaves_the_text_intact)
{
    struct buf b = {.max = 300};
    buf_reserve(&b, 290); /* room enough that vsnprintf writes in place first */
    cr_assert_eq(buf_printf(&b, "%0250d", 7), 0);
    cr_assert_eq(buf_printf(&b, "%060d", 8), -1);
    cr_assert_eq(b.len, 250);
    cr_assert_eq(strlen(b.p), 250);
    buf_free(&b);
}

Test(buf, take_hands_over_and_leaves_it_reusable)
{
    struct buf b = {.max = 100};
    buf_puts(&b, "hello");
    size_t n = 0;
    char *s = buf_take(&b, &n);
    cr_assert_str_eq(s, "hello");
    cr_assert_eq(n, 5);
    cr_assert_null(b.p);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.max, 100);
    buf_puts(&b, "again");
    cr_assert_str_eq(buf_str(&b), "again");
    free(s);
    buf_free(&b);
}

Test(buf, curl_write_callback_stops_at_the_bound)
{
    struct buf b = {.max = 10};
    char chunk[4] = "abcd";
    cr_assert_eq(buf_write_cb(chunk, 1, 4, &b), 4);
    cr_assert_eq(buf_write_cb(chunk, 2, 2, &b), 4);
    cr_assert_eq(buf_write_cb(chunk, 1, 4, &b), 0); /* 12 > 10: curl aborts the transfer */
    cr_assert(b.overflow);
    cr_assert_str_eq(buf_str(&b), "abcdabcd");
    buf_free(&b);
}
