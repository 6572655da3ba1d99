/* trace: recorded traffic for `traffic.replay`, read from CSV.
 *
 * Two forms, told apart by the header (the first line that is neither
 * blank nor a comment, so a trace may open with comments saying where it
 * was recorded):
 *
 *   time_s,rate   a rate profile: seconds since the start and requests per
 *                 second. Times strictly increase (also once rounded to the
 *                 nanosecond, so no two points share an instant and a
 *                 piecewise-linear reading never divides by zero); rates
 *                 are from 0 to TRACE_MAX_RATE. What happens between and
 *                 after the points is the caller's choice.
 *   time_s        request timestamps: one arrival per row, in seconds since
 *                 the start. Times never decrease; equal times are several
 *                 requests at one instant.
 *
 * Times are from 0 to TRACE_MAX_TIME_S and become simtime_t nanoseconds
 * (nearest, simtime_from_s). Numbers are decimal (strtod syntax, read whole:
 * no hexadecimal, no NaN or infinity, nothing after the number but blanks).
 * Blank lines and lines starting with '#' are skipped everywhere, CRLF line
 * ends are accepted, blanks around a cell are ignored. A column beyond the
 * header's, or a header that is neither form, is an error.
 *
 * The file is read by sim/textfile (the CSV size cap; a NUL byte or a
 * byte-order mark refused at its place). Every error is located
 * `file:line:col: message` (columns count bytes, 1-based); a load reports up
 * to TRACE_MAX_ERRORS of them and then stops.
 *
 * Memory: the rows are counted before they are parsed, so each array is one
 * arena allocation of the exact size (no growing, no copy, nothing to free
 * on error: what a failed load took stays in the arena until it is freed).
 * The text is read into an arena of its own, freed on return, so the
 * caller's arena keeps 8 bytes a timestamp or 16 a rate point, not the
 * file; numbers are read in place, with no other allocation. */
#ifndef MODELS_TRACE_H
#define MODELS_TRACE_H

#include <stddef.h>

#include "sim/arena.h"
#include "sim/diag.h"
#include "sim/simtime.h"
#include "sim/textfile.h"

/* The two headers (the whole first line, blanks around names aside). */
#define TRACE_HEADER_RATES "time_s,rate"
#define TRACE_HEADER_TIMESTAMPS "time_s"

/* Times: the scenario's duration bound, 3650 days. */
#define TRACE_MAX_TIME_S 315360000.0
/* Rates: the bound a scenario's traffic rate has (requests per second). */
#define TRACE_MAX_RATE 1e9

/* Rows, clustersim's limits, reported at the first row beyond them:
 *   - 10,000,000 timestamps: each becomes one arrival event, so this is the
 *     scale of a large run; the array is 80 MB. Without it the 256 MiB CSV
 *     cap alone would allow 134 million two-byte rows ("0\n"), 1 GB.
 *   - 1,000,000 rate points (16 MB): a point a second for 11 days or a
 *     point a minute for two years; a profile is a summary of a load, and
 *     anything finer than that is better given as timestamps. */
#define TRACE_MAX_TIMESTAMPS 10000000
#define TRACE_MAX_RATES 1000000

/* Errors reported before a load gives up (a systematic mistake, such as a
 * wrong column on every row, shows in the first few). */
#define TRACE_MAX_ERRORS 20

typedef enum { TRACE_RATES, TRACE_TIMESTAMPS } trace_kind_t;

typedef struct trace {
    trace_kind_t kind;
    size_t n;       /* rows, at least 1 */
    simtime_t *at;  /* n times: strictly increasing (rates), non-decreasing (timestamps) */
    double *rate;   /* n rates in requests per second (rates); NULL for timestamps */
} trace_t;

/* Reads the trace at path (through textfile, TEXTFILE_MAX_CSV) into a's
 * memory: 0, or -1 with located errors in d and *out zeroed. */
int trace_load(arena_t *a, const char *path, trace_t *out, diag_t *d);
/* The same from len bytes of text in memory, named `name` in messages (any
 * bytes; they need not be NUL-terminated: they are copied into a temporary
 * arena, freed on return); for tests and fuzzing. */
int trace_parse_text(arena_t *a, const char *name, const char *text, size_t len, trace_t *out, diag_t *d);
/* The same from a file already read with textfile (NUL and byte-order mark
 * checked there). */
int trace_parse(arena_t *a, const textfile_t *f, trace_t *out, diag_t *d);

#endif
