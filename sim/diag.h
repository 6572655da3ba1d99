/* diag: diagnostics that point into the input, `file:line:col: message`.
 *
 * Library code never prints or exits on bad input: it adds a diagnostic here
 * and returns an error; main() prints them and exits 2. Lines and columns are
 * 1-based. Warnings are kept apart from errors (they do not fail a load). */
#ifndef SIM_DIAG_H
#define SIM_DIAG_H

#include <stdio.h>
#include <stddef.h>

#define DIAG_MAX 64

typedef struct diag_msg {
    int warning;          /* 1: a warning, 0: an error */
    char text[480];       /* "file:line:col: message" */
} diag_msg_t;

typedef struct diag {
    diag_msg_t msgs[DIAG_MAX];
    size_t n;             /* messages kept (at most DIAG_MAX) */
    size_t errors;        /* errors counted, kept or not */
    size_t warnings;
} diag_t;

/* A source position in a file (file NULL: unknown). */
typedef struct srcpos {
    const char *file;
    int line, col;
} srcpos_t;

void diag_init(diag_t *d);
/* Adds an error at pos (printf-style message). */
void diag_error(diag_t *d, srcpos_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a warning at pos. */
void diag_warning(diag_t *d, srcpos_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints every kept message, one per line, to f. */
void diag_print(const diag_t *d, FILE *f);

#endif
