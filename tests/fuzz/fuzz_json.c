/* libFuzzer: request bodies. Depth scanning, JSON parsing, the canonical serialisation of the
 * audit chain and lossy UTF-8 conversion must never crash, whatever the bytes. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "core/admit.h"
#include "core/hashchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (jsonx_depth((const char *)data, size, 32) > 32)
        return 0;
    json_t *v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (v) {
        char *canon = NULL;
        if (hashchain_canonical(v, &canon) == 0)
            free(canon);
        if (json_is_object(v)) {
            struct admit_result res;
            struct admit_minimums min = admit_default_minimums();
            if (admit_evaluate(v, json_object_get(v, "runtimes"), "RTX 4090", &min, &res) == 0)
                admit_result_free(&res);
        }
        char *dump = jsonx_dump(v, NULL);
        free(dump);
        json_decref(v);
    }
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    json_t *s = jx_str_lossy(text);
    if (!s)
        abort(); /* lossy conversion must always yield a valid JSON string */
    json_decref(s);
    free(text);
    return 0;
}
