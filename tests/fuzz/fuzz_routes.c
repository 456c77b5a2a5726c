/* libFuzzer: routing. Any method and path resolves to a route, a 404 or a 405 without crashing,
 * and every captured parameter is one non-empty segment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"};
    if (size < 1 || size > 2048)
        return 0;
    char path[2049];
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';
    char *params[REQ_MAX_PARAMS] = {0};
    int np = 0;
    bool known;
    char allow[128];
    const struct route *rt = routes_match(methods[data[0] % 6], path, params, &np, &known, allow, sizeof allow);
    if (rt) {
        for (int i = 0; i < np; i++) {
            if (!params[i] || !params[i][0] || strchr(params[i], '/'))
                abort();
            free(params[i]);
        }
    }
    return 0;
}
