/* png: writes an image as a PNG file (8-bit RGB, zlib's deflate).
 *
 * SDL2 alone writes only BMP, and SDL2_image is one more library for one
 * call; a PNG is a signature, three chunks and a zlib stream, so the viewer
 * writes it here with zlib (present wherever SDL2 is). The file is written
 * beside its name and renamed over it, so a reader never sees half a PNG. */
#ifndef VIZ_PNG_H
#define VIZ_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Writes the w x h image whose rows (pitch bytes apart) hold pixels as
 * 32-bit words 0xAARRGGBB in native order (SDL_PIXELFORMAT_ARGB8888) to
 * path. 0, or -1 with a message in err. */
int vpng_write(const char *path, const void *pixels, int w, int h, int pitch, char *err, size_t errlen);

#endif
