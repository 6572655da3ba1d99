/* textfile: whole files read under a size cap, and their lines.
 *
 * The kind of file is checked before it is opened (stat), so opening never
 * touches a directory, a block device or a socket, and again on the open
 * descriptor (fstat), so a path swapped in between is still refused.
 * Regular files, FIFOs and character devices are read: a FIFO or a shell's
 * process substitution is a legitimate source of text, /dev/null reads as
 * empty and /dev/stdin works; an endless device such as /dev/zero is read
 * only up to the cap and then refused.
 *
 * Memory: a regular file is read straight into one arena block of its
 * size (plus the NUL), so a file of L bytes costs L bytes. Anything else
 * (a pipe, a device, a regular file that grows while it is read) is read
 * into a malloc'd buffer that grows by doubling, at most to max + 1 bytes,
 * and is copied into the arena at the end: a transient 2 L, never more than
 * about 2 max. The cap is checked on every read, so reading stops at most
 * one chunk after max bytes have arrived. */
#include "sim/textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK ((size_t)64 << 10)

/* What a file of mode m is, for the refusal message, or NULL when it may be read. */
static const char *refused_kind(mode_t m)
{
    if (S_ISREG(m) || S_ISFIFO(m) || S_ISCHR(m))
        return NULL;
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "a special file";
}

/* The cap in words, for the message: "16 MiB", or "100 bytes" for caps
 * that are not whole MiB (tests use small ones). */
static void cap_words(size_t max, char *buf, size_t n)
{
    if (max >= ((size_t)1 << 20) && max % ((size_t)1 << 20) == 0)
        snprintf(buf, n, "%zu MiB", max >> 20);
    else
        snprintf(buf, n, "%zu bytes", max);
}

static void too_large(diag_t *d, const char *path, size_t max)
{
    char w[48];
    cap_words(max, w, sizeof w);
    diag_error_file(d, path, "larger than %s, the limit for this kind of file", w);
}

/* The NUL and BOM checks shared by both constructors. */
static int check_text(const textfile_t *f, unsigned flags, diag_t *d)
{
    if ((flags & TEXTFILE_NO_BOM) && f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0) {
        diag_error(d, (srcpos_t){f->path, 1, 1},
                   "a UTF-8 byte-order mark starts the file: it would become part of the first value "
                   "(save the file without it)");
        return -1;
    }
    const char *z = memchr(f->text, '\0', f->len);
    if (z) {
        diag_error(d, textfile_pos(f, (size_t)(z - f->text)), "a NUL byte: a text file holds none");
        return -1;
    }
    return 0;
}

/* read(2), retried when a signal interrupts it. */
static ssize_t read_some(int fd, char *buf, size_t n)
{
    ssize_t k;
    do
        k = read(fd, buf, n);
    while (k < 0 && errno == EINTR);
    return k;
}

/* Reads the rest of fd into a malloc'd buffer that already holds buf[0..n)
 * (buf may be NULL when n is 0, or point into the arena: it is copied, not
 * freed). Stops after more than max bytes. *out gets the malloc'd buffer. */
static int read_grow(int fd, const char *path, const char *buf, size_t n, size_t max, char **out, size_t *len,
                     diag_t *d)
{
    size_t cap = n + CHUNK;
    if (cap > max + 1)
        cap = max + 1;
    char *b = malloc(cap + 1);
    if (!b) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        return -1;
    }
    if (n)
        memcpy(b, buf, n);
    for (;;) {
        if (n == cap) {
            if (n > max) {
                free(b);
                too_large(d, path, max);
                return -1;
            }
            size_t nc = cap > (max + 1) / 2 ? max + 1 : cap * 2;
            char *g = realloc(b, nc + 1);
            if (!g) {
                free(b);
                diag_oom(d, (srcpos_t){path, 0, 0});
                return -1;
            }
            b = g;
            cap = nc;
        }
        ssize_t k = read_some(fd, b + n, cap - n);
        if (k < 0) {
            int e = errno;
            free(b);
            diag_error_file(d, path, "cannot read: %s", strerror(e));
            return -1;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    if (n > max) {
        free(b);
        too_large(d, path, max);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

/* Reads fd whole into the arena; st is its fstat. */
static int read_fd(arena_t *a, int fd, const struct stat *st, const char *path, size_t max, textfile_t *out,
                   diag_t *d)
{
    size_t n = 0;
    if (S_ISREG(st->st_mode) && st->st_size > 0) {
        if ((uintmax_t)st->st_size > (uintmax_t)max) {
            too_large(d, path, max);
            return -1;
        }
        /* The expected size, exactly; a read past it goes to read_grow. */
        size_t size = (size_t)st->st_size;
        char *buf = arena_alloc(a, size + 1);
        if (!buf) {
            diag_oom(d, (srcpos_t){path, 0, 0});
            return -1;
        }
        while (n < size) {
            ssize_t k = read_some(fd, buf + n, size - n);
            if (k < 0) {
                diag_error_file(d, path, "cannot read: %s", strerror(errno));
                return -1;
            }
            if (k == 0)
                break; /* it shrank: what was read is the file */
            n += (size_t)k;
        }
        if (n == size) {
            char probe;
            ssize_t k = read_some(fd, &probe, 1);
            if (k < 0) {
                diag_error_file(d, path, "cannot read: %s", strerror(errno));
                return -1;
            }
            if (k > 0) { /* it grows while we read: the general path */
                char *grown;
                size_t len;
                buf[n++] = probe;
                if (read_grow(fd, path, buf, n, max, &grown, &len, d) != 0)
                    return -1;
                out->text = arena_strndup(a, grown, len);
                free(grown);
                if (!out->text) {
                    diag_oom(d, (srcpos_t){path, 0, 0});
                    return -1;
                }
                out->len = len;
                return 0;
            }
        }
        buf[n] = '\0';
        out->text = buf;
        out->len = n;
        return 0;
    }
    char *grown;
    size_t len;
    if (read_grow(fd, path, NULL, 0, max, &grown, &len, d) != 0)
        return -1;
    out->text = arena_strndup(a, grown, len);
    free(grown);
    if (!out->text) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        return -1;
    }
    out->len = len;
    return 0;
}

int textfile_read(arena_t *a, const char *path, size_t max, unsigned flags, textfile_t *out, diag_t *d)
{
    *out = (textfile_t){0};
    if (max > SIZE_MAX / 2)
        max = SIZE_MAX / 2; /* room for max + 1 and the NUL */
    struct stat st;
    const char *kind;
    if (stat(path, &st) != 0) {
        diag_error_file(d, path, "cannot open: %s", strerror(errno));
        return -1;
    }
    if ((kind = refused_kind(st.st_mode)) != NULL) {
        diag_error_file(d, path, "cannot read: it is %s, not a file", kind);
        return -1;
    }
    int fd;
    do
        fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        diag_error_file(d, path, "cannot open: %s", strerror(errno));
        return -1;
    }
    int rc = -1;
    if (fstat(fd, &st) != 0)
        diag_error_file(d, path, "cannot read: %s", strerror(errno));
    else if ((kind = refused_kind(st.st_mode)) != NULL)
        diag_error_file(d, path, "cannot read: it is %s, not a file", kind);
    else
        rc = read_fd(a, fd, &st, path, max, out, d);
    close(fd);
    if (rc != 0) {
        *out = (textfile_t){0};
        return -1;
    }
    out->path = arena_strdup(a, path);
    if (!out->path) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        *out = (textfile_t){0};
        return -1;
    }
    if (check_text(out, flags, d) != 0) {
        *out = (textfile_t){0};
        return -1;
    }
    return 0;
}

int textfile_from_text(arena_t *a, const char *path, const char *text, size_t len, unsigned flags, textfile_t *out,
                       diag_t *d)
{
    *out = (textfile_t){0};
    const char *name = arena_strdup(a, path ? path : "(text)");
    if (!name) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        return -1;
    }
    *out = (textfile_t){name, text, len};
    if (check_text(out, flags, d) != 0) {
        *out = (textfile_t){0};
        return -1;
    }
    return 0;
}

bool textfile_next_line(const textfile_t *f, size_t *cursor, int *lineno, textline_t *line)
{
    size_t at = *cursor;
    if (at >= f->len)
        return false;
    const char *s = f->text + at;
    const char *nl = memchr(s, '\n', f->len - at);
    size_t len = nl ? (size_t)(nl - s) : f->len - at;
    *cursor = nl ? at + len + 1 : f->len;
    if (nl && len > 0 && s[len - 1] == '\r')
        len--;
    if (*lineno < INT_MAX)
        (*lineno)++;
    *line = (textline_t){s, len, at, *lineno};
    return true;
}

srcpos_t textfile_pos(const textfile_t *f, size_t offset)
{
    if (offset > f->len)
        offset = f->len;
    size_t line = 1, start = 0;
    for (const char *p = f->text, *end = f->text + offset; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
        line++;
        start = (size_t)(p - f->text) + 1;
    }
    size_t col = offset - start + 1;
    return (srcpos_t){f->path, line > INT_MAX ? INT_MAX : (int)line, col > INT_MAX ? INT_MAX : (int)col};
}
