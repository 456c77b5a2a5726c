/* libFuzzer: exact decimal parsing. Whatever the text, fixed_parse never crashes, and a value it
 * accepts formats back to text that parses to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[128];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (int scale = 0; scale <= 6; scale += 3) {
        int64_t v, w;
        if (fixed_parse(text, scale, &v) == 0) {
            char out[48];
            fixed_fmt(v, scale, out, sizeof out);
            if (fixed_parse(out, scale, &w) != 0 || w != v)
                abort();
        }
    }
    return 0;
}
