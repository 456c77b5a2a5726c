/* Environment configuration: .env loading and typed, bounded reads of variables. */
#include "common/env.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fixed.h"

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int env_load_dotenv(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        char *l = trim(line);
        if (*l == '\0' || *l == '#')
            continue;
        if (strncmp(l, "export ", 7) == 0)
            l = trim(l + 7);
        char *eq = strchr(l, '=');
        if (!eq) {
            rc = -1;
            continue;
        }
        *eq = '\0';
        char *key = trim(l), *val = trim(eq + 1);
        size_t n = strlen(val);
        if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
            val[n - 1] = '\0';
            val++;
        }
        if (*key)
            setenv(key, val, 0);
    }
    fclose(f);
    return rc;
}

const char *env_get(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int env_bool(const char *name, bool dflt, bool *out)
{
    const char *v = env_get(name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    return parse_bool(v, out);
}

int env_int(const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out)
{
    const char *v = env_get(name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *trim(end) || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

int env_fixed(const char *name, int scale, int64_t dflt, int64_t min, int64_t max, int64_t *out)
{
    const char *v = env_get(name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    int64_t x;
    if (fixed_parse(v, scale, &x) < 0 || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}
