/* params: configuration keys declared once, as data.
 *
 * A table of param_t rows (key, type, where it is stored, default, bounds,
 * help) drives parsing, defaults, validation, error messages and the
 * reference tables of scenarios/README.md (`clustersim describe`). Bounds are
 * in the key's display unit: seconds for durations, per second for rates,
 * millicores for CPU, bytes for memory. */
#ifndef SIM_PARAMS_H
#define SIM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "sim/arena.h"
#include "sim/cfg.h"
#include "sim/diag.h"

typedef enum {
    P_INT,       /* int */
    P_U64,       /* uint64_t */
    P_DOUBLE,    /* double */
    P_SECONDS,   /* double seconds, duration syntax */
    P_DURATION,  /* simtime_t, duration syntax */
    P_RATE,      /* double per second */
    P_CPU,       /* int64_t millicores */
    P_MEMORY,    /* int64_t bytes */
    P_STRING,    /* const char * in the arena */
    P_ENUM,      /* int: index into choices */
    P_BOOL,      /* bool */
    P_MAP,       /* a mapping decoded by ->sub, at obj + offset */
    P_CUSTOM,    /* decoded by ->custom */
} ptype_t;

enum {
    PF_REQUIRED = 1,   /* must be given */
    PF_MIN_EXCL = 2,   /* the lower bound is exclusive */
    PF_NO_BOUNDS = 4,  /* min/max are not checked */
};

typedef struct pctx {
    arena_t *arena;
    diag_t *diag;
    const char *basedir;   /* directory of the scenario (for relative files) */
    bool strict;           /* unknown fields in Kubernetes manifests are errors */
    const char *const *bases; /* the files of the scenario's `base:` chain, as nodes name them */
    size_t nbases;         /* (a relative path written in one is relative to its directory) */
} pctx_t;

typedef struct param param_t;

/* A table of rows; its address is a constant, so other tables can point to it. */
typedef struct param_table {
    const param_t *rows;
    size_t n;
} param_table_t;
#define PARAM_TABLE(rows) {rows, sizeof(rows) / sizeof((rows)[0])}

struct param {
    const char *key;
    ptype_t type;
    size_t offset;             /* where in the decoded struct */
    const char *def;           /* default, in YAML syntax; NULL: none (zero) */
    double min, max;
    unsigned flags;
    const char *const *choices;/* P_ENUM: NULL-terminated names */
    /* P_CUSTOM: decodes node into obj; path names the key for messages. */
    int (*custom)(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path);
    const char *type_doc;      /* P_CUSTOM: how the type reads in the reference */
    const char *help;
    /* a nested table: decoded by P_MAP rows, documented for any row */
    const param_table_t *sub;
    const char *sub_name;      /* its heading in the reference (default: the key) */
    const char *sub_note;      /* a line under that heading */
    const void *data;          /* P_CUSTOM: the decoder's own datum (e.g. a station kind) */
};

/* Decodes the keys of `tab` from map (NULL: every key absent) into obj.
 * `path` prefixes messages ("services.web"). Reports missing required keys,
 * type and range errors and unknown keys; returns the number of errors. */
int params_decode(const param_t *tab, size_t n, cfg_node_t *map, void *obj, pctx_t *ctx, const char *path);
/* Decodes a list of 1 to max mappings (0 to max when min0) by the table tab
 * into a new arena array of n items of `size` bytes (*out, *n). Returns the
 * number of errors. */
int params_decode_list(cfg_node_t *node, pctx_t *ctx, const char *path, const param_table_t *tab, size_t size,
                       void **out, size_t *n, size_t max);
/* Decodes a list of names (scalars; `what` says what one is, for messages)
 * into new arena arrays of the names and their positions (*names, *pos, *n;
 * a NULL name where an item was not a scalar, reported). Returns the number
 * of errors. */
int params_decode_names(cfg_node_t *node, pctx_t *ctx, const char *path, const char *what, const char ***names,
                        srcpos_t **pos, size_t *n);
/* Decodes one value of param p from node (for lists of values). */
int params_decode_value(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path);
/* Reports every key of map not read by a decoder as unknown, naming the valid
 * ones from tab. Returns the number of errors. */
int params_check_unknown(const param_t *tab, size_t n, cfg_node_t *map, pctx_t *ctx, const char *path);
/* Writes a Markdown table of the keys. */
void params_describe(FILE *f, const param_t *tab, size_t n);
/* Writes the table of the keys under `### title`, then, under headings
 * `prefix.KEY`, the nested tables of its rows, recursively. */
void params_describe_tree(FILE *f, const char *title, const char *prefix, const param_table_t *t);
/* A file named in the scenario: absolute, or relative to the scenario's
 * directory (in the arena; NULL when out of memory). */
const char *params_path(pctx_t *ctx, const cfg_node_t *at, const char *file);
/* The full path of the file named by the key `path.key` (its value node at),
 * entered as a reference (diag_push_ref), so that the file's errors, and a
 * file that cannot be read, name that key; the caller ends it with
 * diag_pop_ref(ctx->diag). NULL (out of memory, reported) with nothing entered. */
const char *params_begin_ref(pctx_t *ctx, const cfg_node_t *at, const char *path, const char *key, const char *file);
/* A scalar's text, or NULL with an error when node is not a non-null scalar. */
const char *params_scalar(cfg_node_t *node, pctx_t *ctx, const char *path, const char *what);

#endif
