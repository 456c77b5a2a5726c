#ifndef XC_BUF_H
#define XC_BUF_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* A growing byte buffer: response bodies, command output, rendered text. Zero-initialised
 * ({0} or BUF_INIT) it is empty and unbounded; set `max` to bound it. Once anything was added,
 * p[len] is a NUL, so text can be read as a C string. Out of memory aborts (xalloc). */
struct buf {
    char *p;       /* NULL until the first byte; owned by the buffer */
    size_t len;    /* bytes held, without the trailing NUL */
    size_t cap;    /* bytes allocated */
    size_t max;    /* most bytes it may hold; 0 = no bound */
    bool overflow; /* an append was refused because it would pass max */
};

#define BUF_INIT {0}

/* Appends n bytes. Returns 0, or -1 (nothing added, overflow set) when len + n would pass max. */
int buf_put(struct buf *b, const void *data, size_t n);
/* buf_put of a NUL-terminated string / one character. */
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
/* Appends printf-formatted text; all of it or, past max, none. Returns 0 or -1. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Makes room for n more bytes (and the NUL) without changing the contents. */
void buf_reserve(struct buf *b, size_t n);
/* The contents as a C string ("" while empty); valid until the next change. */
const char *buf_str(const struct buf *b);
/* Hands the contents to the caller (who frees them; "" when empty) and sets *len when len is
 * not NULL. The buffer is left empty, with the same max, and may be used again. */
char *buf_take(struct buf *b, size_t *len);
/* Empties the buffer, keeping its memory. */
void buf_clear(struct buf *b);
/* Frees the contents; the buffer is empty (same max) afterwards. */
void buf_free(struct buf *b);

/* A libcurl CURLOPT_WRITEFUNCTION with a struct buf * as CURLOPT_WRITEDATA: appends the
 * chunk, or returns 0 (curl aborts the transfer) when the body would pass max. */
size_t buf_write_cb(char *data, size_t size, size_t nmemb, void *buf);

#endif
