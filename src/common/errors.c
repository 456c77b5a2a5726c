/* The text of the XC_E* status codes. */
#include "common/errors.h"

const char *xc_strerror(int code)
{
    switch (code) {
#define XC_CASE(name, value, text) \
    case value:                    \
        return text;
        XC_ERRORS(XC_CASE)
#undef XC_CASE
    }
    return "unknown error";
}
