/* Replies for service refusals (see svc_reply.h). */
#include "server/api/svc_reply.h"

void reply_svc_error(struct req *r, int rc, const struct svc_err *e, const char *what)
{
    if (e->status)
        reply_error(r, e->status, "%s", e->message);
    else
        reply_status(r, rc, what);
}
