/* png: a PNG writer (see png.h). */
#include "viz/png.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* One chunk: length, type, data, CRC of type and data. */
static int chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
    unsigned char hdr[8];
    put32(hdr, (uint32_t)n);
    memcpy(hdr + 4, type, 4);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (n)
        crc = crc32(crc, data, (uInt)n);
    unsigned char tail[4];
    put32(tail, (uint32_t)crc);
    return fwrite(hdr, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) && fwrite(tail, 1, 4, f) == 4 ? 0
                                                                                                            : -1;
}

int vpng_write(const char *path, const void *pixels, int w, int h, int pitch, char *err, size_t errlen)
{
    size_t row = (size_t)w * 3 + 1, raw_n = row * (size_t)h;
    unsigned char *raw = malloc(raw_n);
    uLongf z_n = compressBound((uLong)raw_n);
    unsigned char *z = malloc(z_n);
    char *tmp = malloc(strlen(path) + 16);
    int rc = -1;
    FILE *f = NULL;
    if (!raw || !z || !tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)(const void *)((const unsigned char *)pixels + (size_t)y * (size_t)pitch);
        unsigned char *d = raw + (size_t)y * row;
        *d++ = 0; /* filter: none */
        for (int x = 0; x < w; x++) {
            *d++ = (unsigned char)(src[x] >> 16);
            *d++ = (unsigned char)(src[x] >> 8);
            *d++ = (unsigned char)src[x];
        }
    }
    if (compress2(z, &z_n, raw, (uLong)raw_n, 6) != Z_OK) {
        snprintf(err, errlen, "%s: compressing the image failed", path);
        goto out;
    }
    sprintf(tmp, "%s.tmp%ld", path, (long)getpid());
    if (!(f = fopen(tmp, "wb"))) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        goto out;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bits per channel */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    int bad = fwrite(sig, 1, 8, f) != 8 || chunk(f, "IHDR", ihdr, 13) || chunk(f, "IDAT", z, z_n) ||
              chunk(f, "IEND", NULL, 0);
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: writing failed: %s", path, strerror(errno));
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        goto out;
    }
    rc = 0;
out:
    free(raw);
    free(z);
    free(tmp);
    return rc;
}
