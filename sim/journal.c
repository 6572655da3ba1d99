/* journal: see journal.h. */
#include "sim/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "sim/run.h"

uint64_t journal_fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t journal_fnv_str(uint64_t h, const char *s) { return journal_fnv(h, s, strlen(s) + 1); }

uint64_t journal_id_start(const char *schema, const char *text, size_t n, const char *const *sets, size_t nsets)
{
    uint64_t h = journal_fnv_str(JOURNAL_FNV_INIT, schema);
    h = journal_fnv(h, text, n);
    h = journal_fnv(h, "", 1);
    for (size_t i = 0; i < nsets; i++)
        h = journal_fnv_str(h, sets[i]);
    return h;
}

void journal_fmt_num(char *buf, size_t size, double v)
{
    if (!isfinite(v)) {
        buf[0] = '\0';
        return;
    }
    if (v == 0)
        v = 0; /* no "-0" */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void journal_put_num(FILE *f, double v, const char *none)
{
    char buf[40];
    journal_fmt_num(buf, sizeof buf, v);
    fputs(buf[0] ? buf : none, f);
}

char *journal_read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    size_t len = 0, cap = 0;
    char buf[65536];
    size_t k;
    int oom = 0;
    while (!oom && (k = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + k + 1 > cap) {
            size_t nc = cap ? cap : 65536;
            while (nc < len + k + 1)
                nc *= 2;
            char *t = realloc(s, nc);
            if (!t) {
                oom = 1;
                break;
            }
            s = t;
            cap = nc;
        }
        memcpy(s + len, buf, k);
        len += k;
    }
    int bad = ferror(f);
    fclose(f);
    if (!oom && !bad && !s && !(s = malloc(1)))
        oom = 1;
    if (oom || bad) {
        free(s);
        errno = bad ? EIO : ENOMEM;
        return NULL;
    }
    s[len] = '\0';
    *n = len;
    return s;
}

int journal_append(int fd, const char *line, bool *closed)
{
    if (fd < 0)
        return 0;
    if (*closed)
        return EIO; /* an earlier write failed */
    size_t n = strlen(line);
    char *buf = malloc(n + 1);
    if (!buf)
        return ENOMEM;
    memcpy(buf, line, n);
    buf[n] = '\n';
    off_t end = lseek(fd, 0, SEEK_END);
    size_t off = 0;
    int e = 0;
    while (off < n + 1) {
        ssize_t w = write(fd, buf + off, n + 1 - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            break;
        }
        off += (size_t)w;
    }
    free(buf);
    if (!e && fsync(fd) != 0 && errno != EINVAL)
        e = errno;
    if (e && off && end >= 0 && ftruncate(fd, end) != 0)
        *closed = true; /* cannot be taken back: write nothing more */
    return e;
}

size_t journal_complete(const char *text, size_t n)
{
    while (n > 0 && text[n - 1] != '\n')
        n--;
    return n;
}

int journal_create(const char *dir, const char *path, const char *head, int *fd, const char **what)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *tmp = run_strprintf("%s/.%s.tmp-%ld", dir, base, (long)getpid());
    *what = "create";
    if (!tmp)
        return ENOMEM;
    int tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int e = tfd < 0 ? errno : 0;
    size_t n = strlen(head);
    if (!e && write(tfd, head, n) != (ssize_t)n)
        e = errno ? errno : EIO;
    if (!e && fsync(tfd) != 0 && errno != EINVAL)
        e = errno;
    if (tfd >= 0)
        close(tfd);
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e)
        unlink(tmp);
    free(tmp);
    if (e)
        return e;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd); /* the rename, on disk (best effort, as sweep's files) */
        close(dfd);
    }
    *what = "open";
    *fd = open(path, O_WRONLY | O_APPEND);
    return *fd < 0 ? errno : 0;
}

int journal_load(const char *path, int (*line)(void *ctx, char *text, size_t lineno, char *err, size_t errlen),
                 void *ctx, size_t min_lines, int *fd, char *err, size_t errlen)
{
    size_t n;
    char *text = journal_read_all(path, &n);
    if (!text) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return errno == ENOMEM ? JOURNAL_FAILED : JOURNAL_BAD_INPUT;
    }
    size_t complete = journal_complete(text, n), lineno = 0;
    int rc = 0;
    for (char *at = text; rc == 0 && at < text + complete;) {
        char *nl = memchr(at, '\n', (size_t)(text + complete - at));
        *nl = '\0';
        rc = line(ctx, at, ++lineno, err, errlen);
        at = nl + 1;
    }
    free(text);
    if (rc == 0 && lineno < min_lines) {
        snprintf(err, errlen, "%s: the journal has no header", path);
        rc = JOURNAL_BAD_INPUT;
    }
    if (rc != 0)
        return rc;
    *fd = open(path, O_WRONLY | O_APPEND);
    if (*fd < 0 || (complete < n && ftruncate(*fd, (off_t)complete) != 0)) {
        snprintf(err, errlen, "cannot append to '%s': %s", path, strerror(errno));
        return JOURNAL_BAD_INPUT;
    }
    return 0;
}
