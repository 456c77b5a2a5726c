#ifndef XC_SVC_REPLY_H
#define XC_SVC_REPLY_H

#include "server/http/http.h"
#include "server/svc/svc_err.h"

/* Answers a failed service call: the service's own refusal when it gave one (e->status set),
 * else the store code rc through reply_status with `what` (a 500 for database failures). */
void reply_svc_error(struct req *r, int rc, const struct svc_err *e, const char *what);

#endif
