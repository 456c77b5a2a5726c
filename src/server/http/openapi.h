#ifndef XC_OPENAPI_H
#define XC_OPENAPI_H
#include <jansson.h>

#include "server/http/http.h"

/* The OpenAPI 3.1 document of the route table (routes.c), built from the declarations
 * themselves, so it cannot drift from what the server checks. The caller owns the result. */
json_t *openapi_document(void);

/* GET /openapi.json: the document, rendered once per process. */
void h_openapi(struct req *r);
/* GET /docs: the page that renders it (web/docs.html, embedded). */
void h_docs(struct req *r);
/* GET /docs/redoc.standalone.js: the vendored viewer (web/redoc.standalone.js, embedded). */
void h_docs_asset(struct req *r);

#endif
