/* diag: diagnostics that point into the input, `file:line:col: message`.
 *
 * Library code never prints or exits on bad input: it adds a diagnostic here
 * and returns an error; main() prints them and exits 2. Lines and columns are
 * 1-based. Warnings are kept apart from errors (they do not fail a load).
 *
 * Running out of memory is not bad input: diag_oom() records it as an error
 * and sets `oom`, and main() then exits 3 (internal error), not 2.
 *
 * A file named by another (a manifest or a samples file named by a scenario
 * key) is read inside a context: while diag_push_ref() is in force, every
 * message also names the key that referenced the file, as
 * `manifest.yaml:3:5: message (named by scenario.yaml:12:15: services.api.deployment)`.
 * Messages longer than a slot end in "..." rather than being cut silently. */
#ifndef SIM_DIAG_H
#define SIM_DIAG_H

#include <stdio.h>
#include <stddef.h>

#define DIAG_MAX 64

/* A source position in a file (file NULL: unknown). */
typedef struct srcpos {
    const char *file;
    int line, col;
} srcpos_t;

typedef struct diag_msg {
    int warning;          /* 1: a warning, 0: an error */
    char text[1024];      /* "file:line:col: message" */
} diag_msg_t;

typedef struct diag {
    diag_msg_t msgs[DIAG_MAX];
    size_t n;             /* messages kept (at most DIAG_MAX) */
    size_t errors;        /* errors counted, kept or not */
    size_t warnings;
    int oom;              /* an allocation failed: an internal error */
    srcpos_t ref_at;      /* the referencing key's place (inside diag_push_ref()) */
    char ref_key[256];    /* its path, e.g. "services.api.deployment"; "" outside */
} diag_t;


void diag_init(diag_t *d);
/* Adds an error at pos (printf-style message). */
void diag_error(diag_t *d, srcpos_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a warning at pos. */
void diag_warning(diag_t *d, srcpos_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds the error "out of memory" at pos and marks d as an internal failure. */
void diag_oom(diag_t *d, srcpos_t pos);
/* From now until diag_pop_ref(), messages name `key` at `at` as the place
 * that referenced the file they are about (one level; a nested push replaces).
 * at.file must stay valid until the pop. */
void diag_push_ref(diag_t *d, srcpos_t at, const char *key);
void diag_pop_ref(diag_t *d);
/* An error about the file as a whole (it cannot be opened, it is too large):
 * inside diag_push_ref() it is reported at the referencing key, as
 * `scenario.yaml:12:15: services.api.deployment: cannot open 'x.yaml': ...`;
 * outside, at `path: message`. */
void diag_error_file(diag_t *d, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The exit code main() gives for a failed load: 3 after diag_oom(), else 2. */
int diag_exit_code(const diag_t *d);
/* Prints every kept message, one per line, to f. */
void diag_print(const diag_t *d, FILE *f);

#endif
