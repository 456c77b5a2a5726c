/* GPU model names: normalisation and matching against the reference tables (pure). */
#include "core/gpu.h"

#include "common/errors.h"
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

const char *const gpu_gvisor_supported[GPU_GVISOR_COUNT] = {
    "T4",       "A100",     "A10G",     "L4",       "H100",     "RTX 2060", "RTX 2070", "RTX 2080",
    "RTX 3060", "RTX 3070", "RTX 3080", "RTX 3090", "RTX 4060", "RTX 4070", "RTX 4080", "RTX 4090",
};

static const char *const dropped_words[] = {"NVIDIA", "GEFORCE", "TESLA"};

static bool is_sep(char c)
{
    return c == ' ' || c == '-' || c == '_' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool word_dropped(const char *w, size_t len)
{
    for (size_t i = 0; i < sizeof dropped_words / sizeof dropped_words[0]; i++) {
        const char *d = dropped_words[i];
        size_t dl = strlen(d);
        if (dl != len)
            continue;
        size_t k = 0;
        while (k < len && upper(w[k]) == d[k])
            k++;
        if (k == len)
            return true;
    }
    return false;
}

/* Shared walker: emits the kept words, upper-cased, joined by `joiner` (0 = no joiner). */
static int norm_into(const char *model, char joiner, char *out, size_t outsz)
{
    size_t o = 0;
    int rc = 0;
    if (outsz == 0)
        return XC_EINVAL;
    if (!model)
        model = "";
    const char *p = model;
    for (;;) {
        while (*p && is_sep(*p))
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && !is_sep(*p))
            p++;
        size_t len = (size_t)(p - w);
        if (word_dropped(w, len))
            continue;
        size_t need = len + (o > 0 && joiner ? 1 : 0);
        if (o + need >= outsz) {
            rc = XC_EINVAL;
            break;
        }
        if (o > 0 && joiner)
            out[o++] = joiner;
        for (size_t k = 0; k < len; k++)
            out[o++] = upper(w[k]);
    }
    out[o] = '\0';
    return rc;
}

int gpu_norm(const char *model, char *out, size_t outsz)
{
    return norm_into(model, ' ', out, outsz);
}

int gpu_ident(const char *model, char *out, size_t outsz)
{
    return norm_into(model, 0, out, outsz);
}

/* The caller owns the returned string. */
char *gpu_norm_dup(const char *model)
{
    size_t n = model ? strlen(model) + 1 : 1;
    char *s = xmalloc(n);
    norm_into(model, ' ', s, n);
    return s;
}

static bool norm_matches(const char *nm, const char *ne)
{
    size_t el = strlen(ne);
    return strncmp(nm, ne, el) == 0 && (nm[el] == '\0' || nm[el] == ' ');
}

bool gpu_matches(const char *model, const char *entry)
{
    char *nm = gpu_norm_dup(model), *ne = gpu_norm_dup(entry);
    bool ok = norm_matches(nm, ne);
    free(ne);
    free(nm);
    return ok;
}

int gpu_match_table(const char *model, const char *const *table, size_t n)
{
    int best = -1;
    size_t best_len = 0;
    char *nm = gpu_norm_dup(model);
    for (size_t i = 0; i < n; i++) {
        char *ne = gpu_norm_dup(table[i]);
        size_t el = strlen(ne);
        if (norm_matches(nm, ne) && (best < 0 || el > best_len)) {
            best = (int)i;
            best_len = el;
        }
        free(ne);
    }
    free(nm);
    return best;
}

bool gpu_gvisor_ok(const char *model)
{
    return gpu_match_table(model, gpu_gvisor_supported, GPU_GVISOR_COUNT) >= 0;
}
