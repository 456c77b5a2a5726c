#ifndef XC_XALLOC_H
#define XC_XALLOC_H
#include <stddef.h>

/* The one allocation wrapper. Out of memory is not recoverable here: like Redis, Xcelsior
 * prints a message and aborts rather than threading ENOMEM through every caller. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Like asprintf; the caller owns the returned string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
