#ifndef XC_EMBEDDED_H
#define XC_EMBEDDED_H
#include <stddef.h>

/* Files compiled into the binaries by cmake/embed.cmake. Each table ends with a NULL name. */
struct embedded_file {
    const char *name;
    const char *data; /* NUL-terminated; size excludes the NUL */
    size_t size;
};

extern const struct embedded_file embedded_migrations[];
extern const struct embedded_file embedded_web[];

#endif
