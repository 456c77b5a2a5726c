/* Service refusals (see svc_err.h). */
#include "server/svc/svc_err.h"

#include <stdarg.h>
#include <stdio.h>

int svc_fail(struct svc_err *e, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->status = status;
    return -1;
}
