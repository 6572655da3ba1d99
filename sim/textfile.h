/* textfile: the one reader of every file clustersim reads.
 *
 * Scenarios, Kubernetes manifests, empirical samples, `hpa replay` metrics
 * and later trace replays are all read here, whole, into the caller's arena,
 * with a size cap checked while reading (a special file such as /dev/zero
 * stops at the cap instead of being read forever). Lines are of any length:
 * the iterator hands out whole lines, never a line split at a buffer's end.
 *
 * Errors are located. A file that cannot be opened, is not a regular file
 * or a FIFO, or exceeds its cap is reported with diag_error_file() (so, when
 * a scenario key named the file, at that key). A NUL byte anywhere is an
 * error at its line:col (no text format the project reads holds one); with
 * TEXTFILE_NO_BOM, so is a UTF-8 byte-order mark at the start (CSV readers:
 * it would otherwise become part of the first header name or number).
 * Running out of memory is diag_oom(). */
#ifndef SIM_TEXTFILE_H
#define SIM_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/arena.h"
#include "sim/diag.h"

/* Caps: a scenario or manifest (YAML) and a table of samples or metrics (CSV). */
#define TEXTFILE_MAX_YAML ((size_t)16 << 20)
#define TEXTFILE_MAX_CSV ((size_t)256 << 20)

enum { TEXTFILE_NO_BOM = 1 };

typedef struct textfile {
    const char *path;   /* as given, copied into the arena (for messages) */
    const char *text;   /* the whole content, NUL-terminated */
    size_t len;         /* bytes, without the terminating NUL */
} textfile_t;

typedef struct textline {
    const char *s;      /* the line, without its "\n" or "\r\n" (not NUL-terminated) */
    size_t len;
    size_t offset;      /* of s[0] in the file */
    int lineno;         /* 1-based */
} textline_t;

/* Reads path (at most max bytes) into out. 0, or -1 with an error in d. */
int textfile_read(arena_t *a, const char *path, size_t max, unsigned flags, textfile_t *out, diag_t *d);
/* Wraps text already in memory (len bytes, NUL-terminated) as a textfile
 * named path, with the same NUL and BOM checks; for tests and fuzzing. */
int textfile_from_text(arena_t *a, const char *path, const char *text, size_t len, unsigned flags, textfile_t *out,
                       diag_t *d);
/* The next line at *cursor (start with 0); false at the end of the file.
 * *lineno counts lines (start with 0). */
bool textfile_next_line(const textfile_t *f, size_t *cursor, int *lineno, textline_t *line);
/* The 1-based line and column of a byte offset (columns count bytes). */
srcpos_t textfile_pos(const textfile_t *f, size_t offset);

#endif
