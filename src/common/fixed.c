/* Fixed-point decimals (money, VRAM, timestamps): exact parsing, rounding and formatting, no binary
 * floats. */
#include "common/fixed.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t fixed_rhu128(__int128 n, __int128 d)
{
    if (n < 0)
        return -(int64_t)((2 * -n + d) / (2 * d));
    return (int64_t)((2 * n + d) / (2 * d));
}

int64_t fixed_rhu(int64_t n, int64_t d)
{
    return fixed_rhu128(n, d);
}

char *fixed_fmt(int64_t v, int scale, char *buf, size_t bufsz)
{
    static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    int64_t p = pow10[scale];
    bool neg = v < 0;
    unsigned long long u = neg ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
    unsigned long long ip = u / (unsigned long long)p, fp = u % (unsigned long long)p;
    char frac[16];
    snprintf(frac, sizeof frac, "%0*llu", scale, fp);
    int len = scale;
    while (len > 1 && frac[len - 1] == '0')
        len--;
    if (scale == 0) {
        frac[0] = '0';
        len = 1;
    }
    snprintf(buf, bufsz, "%s%llu.%.*s", neg ? "-" : "", ip, len, frac);
    return buf;
}

int fixed_parse(const char *s, int scale, int64_t *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    char digits[64];
    int nd = 0, point = -1, exp = 0;
    bool any = false;
    for (; *s; s++) {
        if (isdigit((unsigned char)*s)) {
            any = true;
            if (nd == 0 && *s == '0' && point < 0)
                continue; /* leading zeros */
            if (nd >= (int)sizeof digits - 1)
                return -1;
            digits[nd++] = *s;
        } else if (*s == '.' && point < 0) {
            point = nd;
        } else {
            break;
        }
    }
    if (!any)
        return -1;
    if (point < 0)
        point = nd;
    if (*s == 'e' || *s == 'E') {
        char *end;
        long e = strtol(s + 1, &end, 10);
        if (end == s + 1 || e > 400 || e < -400)
            return -1;
        exp = (int)e;
        s = end;
    }
    if (*s)
        return -1;
    /* value = 0.digits * 10^(point + exp); integer part has (point + exp) digits. */
    int ipos = point + exp + scale; /* digits that land in the scaled integer */
    __int128 acc = 0;
    const __int128 limit = (__int128)INT64_MAX;
    for (int i = 0; i < ipos; i++) {
        int dgt = i < nd ? digits[i] - '0' : 0;
        if (i >= nd && acc == 0)
            break;
        acc = acc * 10 + dgt;
        if (acc > limit)
            return -1;
    }
    if (ipos >= 0 && ipos < nd && digits[ipos] >= '5')
        acc += 1; /* half away from zero on the magnitude */
    if (ipos < 0)
        acc = 0;
    if (acc > limit)
        return -1;
    *out = neg ? -(int64_t)acc : (int64_t)acc;
    return 0;
}

char *fixed_shortest(double d, char *buf, size_t bufsz)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, bufsz, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return buf;
}

int fixed_from_double(double d, int scale, int64_t *out)
{
    if (!isfinite(d) || fabs(d) > 9e12)
        return -1;
    char buf[40];
    return fixed_parse(fixed_shortest(d, buf, sizeof buf), scale, out);
}
