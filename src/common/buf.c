/* The one growing buffer of the tree (struct buf): bounded appends, printf, hand-over. */
#include "common/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define BUF_FIRST_CAP 256

void buf_reserve(struct buf *b, size_t n)
{
    if (n + 1 > SIZE_MAX - b->len)
        abort();
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : BUF_FIRST_CAP;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

int buf_put(struct buf *b, const void *data, size_t n)
{
    if (b->max && (n > b->max || b->len > b->max - n)) {
        b->overflow = true;
        return -1;
    }
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_put(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_put(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -1;
    if (b->max && ((size_t)n > b->max || b->len > b->max - (size_t)n)) {
        if (b->p)
            b->p[b->len] = '\0'; /* undo what vsnprintf wrote past len */
        b->overflow = true;
        return -1;
    }
    if ((size_t)n >= room) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    }
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *buf_str(const struct buf *b)
{
    return b->p ? b->p : "";
}

char *buf_take(struct buf *b, size_t *len)
{
    char *p = b->p ? b->p : xstrdup("");
    if (len)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    b->overflow = false;
    return p;
}

void buf_clear(struct buf *b)
{
    b->len = 0;
    b->overflow = false;
    if (b->p)
        b->p[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->overflow = false;
}

size_t buf_write_cb(char *data, size_t size, size_t nmemb, void *buf)
{
    size_t n = size * nmemb;
    return buf_put(buf, data, n) == 0 ? n : 0;
}
