/* trace: the two CSV forms of a recorded trace (see trace.h).
 *
 * Three passes over the lines, none of which copies a line: the header
 * decides the form; the data rows after it are counted (at most up to one
 * past the form's row limit), so the arrays are allocated once at their
 * exact size; then the rows are parsed into them. Numbers are read by
 * strtod in place: the text is NUL-terminated (textfile's contract) and
 * strtod consumes only characters of a decimal number, none of which is a
 * separator (',', '\r', '\n'), so it never reads past its cell; what it
 * leaves before the cell's end is reported at its column.
 *
 * The text itself is read into an arena of its own and freed on return:
 * the caller's arena receives only the arrays (8 bytes a timestamp, 16 a
 * rate point), not the file they came from. */
#include "models/trace.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A span of text for a message: at most 40 bytes, and "..." when cut;
 * used as "'%.*s%s'". */
#define SHOWN 40
#define SPAN(s, n) (int)((n) > SHOWN ? SHOWN : (n)), (s), ((n) > SHOWN ? "..." : "")

static const char valid_headers[] =
    "valid headers: '" TRACE_HEADER_RATES "', a rate profile in requests per second, or '" TRACE_HEADER_TIMESTAMPS
    "', one request per row";

/* A cell without its surrounding blanks; col is 1-based in the line. */
typedef struct cell {
    const char *s;
    size_t len;
    int col;
} cell_t;

/* The cells of a line: every one is counted, the first CELLS_KEPT kept (two
 * columns at most are valid, so the third kept is the first extra one). */
#define CELLS_KEPT 3
typedef struct cells {
    cell_t c[CELLS_KEPT];
    size_t n;
} cells_t;

typedef struct parser {
    const char *path;
    diag_t *d;
    int errs;
} parser_t;

/* A blank line, or a comment: skipped wherever it is. */
static bool skipped(const textline_t *l)
{
    if (l->len > 0 && l->s[0] == '#')
        return true;
    for (size_t i = 0; i < l->len; i++)
        if (!isspace((unsigned char)l->s[i]))
            return false;
    return true;
}

static int col_of(const textline_t *l, const char *p)
{
    size_t c = (size_t)(p - l->s) + 1;
    return c > INT_MAX ? INT_MAX : (int)c;
}

static void split_cells(const textline_t *l, cells_t *out)
{
    const char *p = l->s, *end = l->s + l->len;
    out->n = 0;
    for (;;) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        const char *e = q ? q : end;
        if (out->n < CELLS_KEPT) {
            const char *s = p;
            while (s < e && isspace((unsigned char)*s))
                s++;
            while (e > s && isspace((unsigned char)e[-1]))
                e--;
            out->c[out->n] = (cell_t){s, (size_t)(e - s), col_of(l, s)};
        }
        out->n++;
        if (!q)
            break;
        p = q + 1;
    }
}

static bool cell_is(const cell_t *c, const char *word)
{
    return c->len == strlen(word) && memcmp(c->s, word, c->len) == 0;
}

/* Whether s (n bytes) starts with word, ignoring case. */
static bool starts_nocase(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[i]) != word[i])
            return false;
    return true;
}

static void error_at(parser_t *p, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void error_at(parser_t *p, int line, int col, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_error(p->d, (srcpos_t){p->path, line, col}, "%s", msg);
    p->errs++;
}

/* The decimal number in cell c (of column `what`) into *v: 0, or -1 with
 * the error reported at the first byte that is wrong. */
static int read_number(parser_t *p, const textline_t *l, const cell_t *c, const char *what, double *v)
{
    const char *s = c->s;
    size_t n = c->len;
    if (n == 0) {
        error_at(p, l->lineno, c->col, "%s: empty cell: expected a number", what);
        return -1;
    }
    size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (starts_nocase(s + i, n - i, "nan") || starts_nocase(s + i, n - i, "inf")) {
        error_at(p, l->lineno, c->col, "%s: '%.*s%s' is not a finite number (NaN and infinities are not accepted)",
                 what, SPAN(s, n));
        return -1;
    }
    if (i < n && s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        error_at(p, l->lineno, c->col, "%s: '%.*s%s': hexadecimal numbers are not accepted", what, SPAN(s, n));
        return -1;
    }
    char *end = NULL;
    double x = 0;
    if (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.')) {
        errno = 0;
        x = strtod(s, &end);
    }
    if (!end || end == s) {
        error_at(p, l->lineno, c->col, "%s: expected a number, got '%.*s%s'", what, SPAN(s, n));
        return -1;
    }
    if (end < s + n) {
        /* reported at what follows the number, blanks skipped (the cell
         * ends in a non-blank, so there is one) */
        size_t k = (size_t)(end - s);
        const char *g = end;
        while (isspace((unsigned char)*g))
            g++;
        error_at(p, l->lineno, col_of(l, g), "%s: '%.*s%s' is not a number: '%.*s%s' follows '%.*s%s'", what,
                 SPAN(s, n), SPAN(g, n - (size_t)(g - s)), SPAN(s, k));
        return -1;
    }
    /* Overflow gives an infinity (ERANGE); underflow gives the tiny value
     * or 0 it stands for, which is accepted. */
    if (!isfinite(x)) {
        error_at(p, l->lineno, c->col, "%s: '%.*s%s' is out of range", what, SPAN(s, n));
        return -1;
    }
    *v = x;
    return 0;
}

/* The form the header line l names: TRACE_RATES, TRACE_TIMESTAMPS, or -1. */
static int parse_header(parser_t *p, const textline_t *l)
{
    cells_t h;
    split_cells(l, &h);
    if (!cell_is(&h.c[0], "time_s")) {
        error_at(p, l->lineno, h.c[0].col, "unknown column '%.*s%s' in the trace's header (%s)",
                 SPAN(h.c[0].s, h.c[0].len), valid_headers);
        return -1;
    }
    if (h.n == 1)
        return TRACE_TIMESTAMPS;
    if (!cell_is(&h.c[1], "rate")) {
        error_at(p, l->lineno, h.c[1].col, "unknown column '%.*s%s' in the trace's header (%s)",
                 SPAN(h.c[1].s, h.c[1].len), valid_headers);
        return -1;
    }
    if (h.n == 2)
        return TRACE_RATES;
    error_at(p, l->lineno, h.c[2].col, "extra column 3 '%.*s%s' in the trace's header (%s)", SPAN(h.c[2].s, h.c[2].len),
             valid_headers);
    return -1;
}

/* The state of the rows read so far, for the order checks. */
typedef struct order {
    double t;        /* the last accepted time (-1: none yet) */
    simtime_t at;
    int line;
    const char *s;   /* its text, for messages */
    size_t len;
} order_t;

/* Checks and converts the time cell of a row: 0 with *at, or -1. */
static int read_time(parser_t *p, trace_kind_t kind, const textline_t *l, const cell_t *c, order_t *o, simtime_t *at)
{
    double t;
    if (read_number(p, l, c, "time_s", &t) != 0)
        return -1;
    if (t < 0) {
        error_at(p, l->lineno, c->col, "time_s: '%.*s%s' is negative: times are seconds since the start, from 0",
                 SPAN(c->s, c->len));
        return -1;
    }
    if (t > TRACE_MAX_TIME_S) {
        error_at(p, l->lineno, c->col, "time_s: '%.*s%s' is beyond %.0f s (3650 days, the longest scenario)",
                 SPAN(c->s, c->len), TRACE_MAX_TIME_S);
        return -1;
    }
    simtime_t ns = simtime_from_s(t);
    if (o->t >= 0) {
        if (t < o->t) {
            error_at(p, l->lineno, c->col,
                     "time_s: '%.*s%s' goes back (the row at line %d is at '%.*s%s'): rows must be in time order",
                     SPAN(c->s, c->len), o->line, SPAN(o->s, o->len));
            return -1;
        }
        if (kind == TRACE_RATES && t == o->t) {
            error_at(p, l->lineno, c->col,
                     "time_s: '%.*s%s' repeats the time of the row at line %d: a rate profile's times strictly "
                     "increase",
                     SPAN(c->s, c->len), o->line);
            return -1;
        }
        if (kind == TRACE_RATES && ns == o->at) {
            error_at(p, l->lineno, c->col,
                     "time_s: '%.*s%s' is the same nanosecond as '%.*s%s' at line %d: a rate profile's times "
                     "strictly increase",
                     SPAN(c->s, c->len), SPAN(o->s, o->len), o->line);
            return -1;
        }
    }
    *o = (order_t){t, ns, l->lineno, c->s, c->len};
    *at = ns;
    return 0;
}

static int read_rate(parser_t *p, const textline_t *l, const cell_t *c, double *rate)
{
    double r;
    if (read_number(p, l, c, "rate", &r) != 0)
        return -1;
    if (r < 0) {
        error_at(p, l->lineno, c->col, "rate: '%.*s%s' is negative: expected requests per second from 0 to %g",
                 SPAN(c->s, c->len), TRACE_MAX_RATE);
        return -1;
    }
    if (r > TRACE_MAX_RATE) {
        error_at(p, l->lineno, c->col, "rate: '%.*s%s' is above %g requests per second, clustersim's limit",
                 SPAN(c->s, c->len), TRACE_MAX_RATE);
        return -1;
    }
    *rate = r;
    return 0;
}

int trace_parse(arena_t *a, const textfile_t *f, trace_t *out, diag_t *d)
{
    *out = (trace_t){0};
    parser_t p = {f->path, d, 0};
    size_t cursor = 0;
    int lineno = 0;
    textline_t l;
    bool found = false;
    while (!found && textfile_next_line(f, &cursor, &lineno, &l))
        found = !skipped(&l);
    if (!found) {
        error_at(&p, 1, 1, "empty trace: expected a header (%s)", valid_headers);
        return -1;
    }
    int kind = parse_header(&p, &l);
    if (kind < 0)
        return -1;
    const int header_line = l.lineno;
    const char *header = kind == TRACE_RATES ? TRACE_HEADER_RATES : TRACE_HEADER_TIMESTAMPS;
    const size_t ncols = kind == TRACE_RATES ? 2 : 1;
    const size_t cap = kind == TRACE_RATES ? TRACE_MAX_RATES : TRACE_MAX_TIMESTAMPS;

    /* Count the data rows (up to one past the limit: that row is reported
     * below, where its columns are known). */
    const size_t rows_cursor = cursor;
    const int rows_lineno = lineno;
    size_t n = 0;
    while (n <= cap && textfile_next_line(f, &cursor, &lineno, &l))
        n += !skipped(&l);
    if (n == 0) {
        error_at(&p, header_line, 1, "empty trace: the header '%s' is followed by no rows", header);
        return -1;
    }
    size_t alloc = n > cap ? cap : n;
    simtime_t *at = arena_alloc(a, alloc * sizeof *at);
    double *rate = kind == TRACE_RATES ? arena_alloc(a, alloc * sizeof *rate) : NULL;
    if (!at || (kind == TRACE_RATES && !rate)) {
        diag_oom(d, (srcpos_t){f->path, header_line, 1});
        return -1;
    }

    cursor = rows_cursor;
    lineno = rows_lineno;
    order_t o = {-1, -1, 0, NULL, 0};
    size_t row = 0, k = 0;
    cells_t cs;
    while (p.errs < TRACE_MAX_ERRORS && textfile_next_line(f, &cursor, &lineno, &l)) {
        if (skipped(&l))
            continue;
        if (++row > cap) {
            error_at(&p, l.lineno, 1, "row %zu is beyond clustersim's limit of %zu %s in a trace", row, cap,
                     kind == TRACE_RATES ? "rate points" : "timestamps");
            break;
        }
        split_cells(&l, &cs);
        if (cs.n > ncols) {
            const cell_t *x = &cs.c[ncols];
            error_at(&p, l.lineno, x->col, "extra column %zu '%.*s%s': the header '%s' has %zu column%s", ncols + 1,
                     SPAN(x->s, x->len), header, ncols, ncols == 1 ? "" : "s");
            continue;
        }
        if (cs.n < ncols) {
            error_at(&p, l.lineno, col_of(&l, l.s + l.len), "missing the rate: the header '%s' has %zu columns",
                     header, ncols);
            continue;
        }
        simtime_t t;
        double r = 0;
        if (read_time(&p, (trace_kind_t)kind, &l, &cs.c[0], &o, &t) != 0)
            continue;
        if (kind == TRACE_RATES && read_rate(&p, &l, &cs.c[1], &r) != 0)
            continue;
        at[k] = t;
        if (rate)
            rate[k] = r;
        k++;
    }
    if (p.errs)
        return -1;
    *out = (trace_t){(trace_kind_t)kind, k, at, rate};
    return 0;
}

/* Parses f and frees the arena t holding its text. */
static int parse_and_free(arena_t *a, arena_t *t, const textfile_t *f, int rc, trace_t *out, diag_t *d)
{
    if (rc == 0)
        rc = trace_parse(a, f, out, d);
    arena_free(t);
    return rc;
}

int trace_load(arena_t *a, const char *path, trace_t *out, diag_t *d)
{
    *out = (trace_t){0};
    arena_t *t = arena_new();
    if (!t) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        return -1;
    }
    textfile_t f;
    int rc = textfile_read(t, path, TEXTFILE_MAX_CSV, TEXTFILE_NO_BOM, &f, d);
    return parse_and_free(a, t, &f, rc, out, d);
}

int trace_parse_text(arena_t *a, const char *name, const char *text, size_t len, trace_t *out, diag_t *d)
{
    *out = (trace_t){0};
    arena_t *t = arena_new();
    char *copy = t ? arena_strndup(t, len ? text : "", len) : NULL;
    if (!copy) {
        arena_free(t);
        diag_oom(d, (srcpos_t){name, 0, 0});
        return -1;
    }
    textfile_t f;
    int rc = textfile_from_text(t, name, copy, len, TEXTFILE_NO_BOM, &f, d);
    return parse_and_free(a, t, &f, rc, out, d);
}
