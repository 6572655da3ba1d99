/* cfg: a YAML document as a tree of nodes that remember where they came from.
 *
 * libyaml parses (this is the only file that includes yaml.h); the tree is
 * built from its events, with every limit checked as the event arrives (the
 * header of cfg.c states the limits and the memory bound). The tree keeps
 * each node's 1-based line and column so that any later check can report
 * `file:line:col: message`. Nodes live in the caller's arena. Every map
 * entry has a `used` mark, set by the decoders that read it, so that
 * unknown keys can be reported afterwards.
 *
 * Limits against hostile input: 16 MiB of text, nesting 64 deep, 200,000
 * nodes in a file (aliases are expanded, and counted). YAML merge keys
 * (`<<: *base`) are applied: explicit keys win over merged ones. A file or
 * string parsed as one document must hold exactly one. */
#ifndef SIM_CFG_H
#define SIM_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include "sim/arena.h"
#include "sim/diag.h"

typedef enum { CFG_SCALAR, CFG_MAP, CFG_SEQ } cfg_kind_t;

typedef struct cfg_node cfg_node_t;

typedef struct cfg_pair {
    cfg_node_t *key;   /* a scalar */
    cfg_node_t *val;
    bool used;
} cfg_pair_t;

struct cfg_node {
    cfg_kind_t kind;
    srcpos_t pos;
    const char *str;   /* scalar text */
    bool plain;        /* an unquoted scalar without an explicit tag */
    size_t n;          /* pairs of a map, items of a sequence */
    cfg_pair_t *pairs;
    cfg_node_t **items;
};

/* Parses one YAML document from a file; NULL with a diagnostic on error (an
 * empty file is an error). `name` is the file name used in messages. */
cfg_node_t *cfg_parse_file(arena_t *a, const char *path, diag_t *d);
/* Parses every document of a file into *docs (count *ndocs); -1 on error. */
int cfg_parse_file_all(arena_t *a, const char *path, cfg_node_t ***docs, size_t *ndocs, diag_t *d);
/* Parses every document of text (len bytes, NUL-terminated), named `name`. */
int cfg_parse_text_all(arena_t *a, const char *text, size_t len, const char *name, cfg_node_t ***docs,
                       size_t *ndocs, diag_t *d);
/* Parses one document from text, naming it `name` in messages. */
cfg_node_t *cfg_parse_string(arena_t *a, const char *text, size_t len, const char *name, diag_t *d);
/* Merges patch into *target, as a JSON merge patch (RFC 7386) with one
 * addition: a map merges into a map key by key (a null value, `~` or
 * `null`, removes the key; a new key is added); a map whose keys are whole
 * numbers merges into a sequence item by item (the items must exist), so
 * that the maps `--set a.b.0.c=V` makes reach into lists; any other patch
 * replaces the target. The patch's nodes are copied with their positions,
 * so a later message about a patched value points at the patch. `path`
 * names the target in messages. 0, or -1 with a located error in d. */
int cfg_merge_patch(arena_t *a, cfg_node_t **target, const cfg_node_t *patch, const char *path, diag_t *d);
/* Applies one override "a.b.0.c=VALUE" (VALUE is YAML) to root; missing maps
 * on the path are created. `label` names the override in messages, whose
 * columns count in the whole option, or in VALUE alone with value_cols. */
int cfg_apply_set(arena_t *a, cfg_node_t *root, const char *assign, const char *label, bool value_cols,
                  diag_t *d);
/* The map entry for key, or NULL; marks it used. */
cfg_pair_t *cfg_find(cfg_node_t *map, const char *key);
/* The value for key (marking it used), or NULL. */
cfg_node_t *cfg_get(cfg_node_t *map, const char *key);
/* True for a null scalar: empty plain, "~", "null", "Null", "NULL". */
bool cfg_is_null(const cfg_node_t *n);
/* "mapping", "sequence", "null" or "scalar" (for messages). */
const char *cfg_kind_name(const cfg_node_t *n);

#endif
