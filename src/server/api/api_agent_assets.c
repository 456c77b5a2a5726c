/* What agents fetch besides work (api §8.1, domain §17.10): the images worth pre-pulling and the
 * speed-test payload. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "common/units.h" /* SEC */
#include "server/api/handlers.h"
#include "server/app.h"
#include "server/http/validate.h"
#include "store/store.h"

#define POPULAR_WINDOW_US (INT64_C(30) * 86400 * SEC)

void h_popular_images(struct req *r)
{
    int64_t limit = 10;
    query_int(r, "limit", &limit);
    char **images = NULL;
    size_t n = 0;
    int rc = store_popular_images(g_app->store, app_now() - POPULAR_WINDOW_US, (int)limit, &images, &n);
    if (rc < 0) {
        reply_status(r, rc, "popular images failed");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, jx_str_lossy(images[i]));
        free(images[i]);
    }
    free(images);
    reply_ok(r, 200, json_pack("{s:o}", "images", list));
}

static size_t zeros(const void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    memset(buf, 0, max);
    return max;
}

/* Exactly ?bytes zero bytes, generated block by block as the socket drains (never a 50 MB
 * buffer). */
void h_speedtest(struct req *r)
{
    int64_t bytes = 10000000;
    query_int(r, "bytes", &bytes);
    reply_generated(r, 200, "application/octet-stream", (uint64_t)bytes, zeros, NULL);
}
