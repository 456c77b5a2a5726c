#ifndef XC_HEX_H
#define XC_HEX_H
#include <stddef.h>

/* Writes the n bytes at data as 2n lowercase hex digits and a NUL into out (2n + 1 bytes).
 * Returns out. */
char *hex_encode(const void *data, size_t n, char *out);

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);

#endif
