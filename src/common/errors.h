#ifndef XC_ERRORS_H
#define XC_ERRORS_H

/* The one status convention: int return, 0 ok, a negative XC_E* on failure. */
#define XC_ERRORS(X)                                   \
    X(XC_OK, 0, "ok")                                  \
    X(XC_ENOTFOUND, -1, "not found")                   \
    X(XC_ECONFLICT, -2, "conflict")                    \
    X(XC_EINVAL, -3, "invalid argument")               \
    X(XC_EDB, -4, "database error")                    \
    X(XC_EFORBIDDEN, -5, "forbidden")                  \
    X(XC_ENOMEM, -6, "out of memory")                  \
    X(XC_EIO, -7, "i/o error")                         \
    X(XC_EGONE, -8, "gone")                            \
    X(XC_EUNAVAILABLE, -9, "unavailable")

enum xc_error {
#define XC_ENUM(name, value, text) name = value,
    XC_ERRORS(XC_ENUM)
#undef XC_ENUM
};

/* Static text for a status code. */
const char *xc_strerror(int code);

#endif
