/* journal: the pieces an append-only journal of results is made of, for
 * `sweep` (one row per grid point) and `capacity` (one line per
 * replication of a probe): an ID hash of the inputs, numbers printed so that
 * they read back exactly, whole-file reads and whole-line appends.
 *
 * A line is appended with one write() of the line and its newline, then
 * fsync; a write cut short (a full disk) is taken back with ftruncate, so
 * that a later line cannot be glued to half of this one. A reader drops a
 * last line without its newline (cut by a crash of the machine). Library
 * code: errors are returned as errno values. */
#ifndef SIM_JOURNAL_H
#define SIM_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JOURNAL_FNV_INIT 0xcbf29ce484222325ULL

/* FNV-1a, 64 bits, of n bytes, continuing from h. */
uint64_t journal_fnv(uint64_t h, const void *data, size_t n);
/* The same of s with its terminating NUL (so "ab","c" differs from "a","bc"). */
uint64_t journal_fnv_str(uint64_t h, const char *s);
/* Where a search's id starts (sweep, tune, capacity): the hash of its
 * schema, the scenario file's text (n bytes, then a NUL) and its overrides. */
uint64_t journal_id_start(const char *schema, const char *text, size_t n, const char *const *sets, size_t nsets);
/* v in the shortest of 15, 16, 17 significant digits that reads back
 * exactly (cJSON's rule), into buf; "" for NaN and infinities (no value). */
void journal_fmt_num(char *buf, size_t size, double v);
/* The same written to f, or none (e.g. "null", "") where v has no value. */
void journal_put_num(FILE *f, double v, const char *none);
/* The whole of a file (malloc'd, NUL-terminated, size in *n), or NULL with
 * errno set. */
char *journal_read_all(const char *path, size_t *n);
/* Appends line and a newline to fd in one write, then syncs. 0 or an errno
 * value; *closed is set when a failed write could not be taken back (write
 * nothing more), and while it is set nothing is written (EIO). */
int journal_append(int fd, const char *line, bool *closed);
/* Creates the journal path (in directory dir) holding head, its header
 * lines, whole: written to dir/.NAME.tmp-PID beside it, synced, renamed;
 * then opens it for appending (*fd). 0, or an errno value with what failed
 * in *what ("create" or "open"). */
int journal_create(const char *dir, const char *path, const char *head, int *fd, const char **what);
/* The length of text's whole lines (up to and including its last newline):
 * what a reader keeps. */
size_t journal_complete(const char *text, size_t n);
/* What journal_load returns besides 0 and its reader's own codes (the
 * codes of sweep, tune and capacity). */
enum { JOURNAL_FAILED = -1, JOURNAL_BAD_INPUT = -2 };
/* Reads the journal path to continue it: line(ctx, text, lineno, err,
 * errlen) takes its whole lines in order (lineno from 1; the newline cut),
 * until one returns nonzero; a last line without its newline (cut by a
 * crash) is dropped. Fewer than min_lines lines: no header. Then opens path
 * for appending (*fd), the dropped part cut off. 0; a nonzero value of
 * line; or JOURNAL_FAILED (out of memory) / JOURNAL_BAD_INPUT, with a
 * message in err. */
int journal_load(const char *path, int (*line)(void *ctx, char *text, size_t lineno, char *err, size_t errlen),
                 void *ctx, size_t min_lines, int *fd, char *err, size_t errlen);

#endif
