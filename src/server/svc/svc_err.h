#ifndef XC_SVC_ERR_H
#define XC_SVC_ERR_H

/* A refusal a service explains to its caller: the HTTP status the handler answers with and the
 * message it shows (for services whose refusals are not one of the store's XC_E* codes). */
struct svc_err {
    unsigned status;
    char message[320];
};

/* Fills e (status and the formatted message) and returns -1, so `return svc_fail(...)` reads as
 * the refusal it is. */
int svc_fail(struct svc_err *e, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
