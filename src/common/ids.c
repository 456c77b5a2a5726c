/* Identifiers: random ids and tokens from the kernel CSPRNG, and the one check of each id form. */
#include "common/ids.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/hex.h"

void ids_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            perror("xcelsior: getrandom");
            abort();
        }
        p += got;
        n -= (size_t)got;
    }
}

void ids_hex128(char out[33])
{
    uint8_t b[16];
    ids_random(b, sizeof b);
    hex_encode(b, sizeof b, out);
}

void ids_uuid4(char out[37])
{
    uint8_t b[16];
    char h[33];
    ids_random(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    hex_encode(b, sizeof b, h);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

void ids_token(const char *prefix, size_t nbytes, char *out, size_t outlen)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t buf[64];
    if (nbytes > sizeof buf)
        nbytes = sizeof buf;
    ids_random(buf, nbytes);
    size_t o = strlen(prefix);
    if (o >= outlen)
        abort();
    memcpy(out, prefix, o);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < nbytes; i++) {
        acc = (acc << 8) | buf[i];
        bits += 8;
        while (bits >= 6 && o + 1 < outlen) {
            bits -= 6;
            out[o++] = b64[(acc >> bits) & 63];
        }
    }
    if (bits > 0 && o + 1 < outlen)
        out[o++] = b64[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

bool ids_valid_host_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > IDS_HOST_ID_MAX || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

bool ids_valid_job_id(const char *s)
{
    if (!s || strlen(s) != 32)
        return false;
    for (int i = 0; i < 32; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return true;
}
