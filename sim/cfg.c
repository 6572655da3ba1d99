/* cfg: YAML built into a tree straight from libyaml's events.
 *
 * libyaml's own loader (yaml_parser_load) builds a whole document before
 * anything can be checked, and it looks anchors up by a linear scan; on
 * hostile input that is unbounded memory and quadratic time. Here the tree
 * is built from the event stream, and every limit is enforced on the event
 * that would exceed it, so loading stops as soon as a limit is reached:
 *
 *   - text: TEXTFILE_MAX_YAML bytes (sim/textfile.h), checked while reading;
 *   - nesting: CFG_MAX_DEPTH collections, checked on each start event;
 *   - nodes: CFG_MAX_NODES in the whole file, keys and aliases' copies counted.
 *
 * Every step is linear or n log n in the input: anchors and the keys of a
 * mapping are found through hash tables (small mappings scan), a merge key
 * adds its pairs to a growing array (amortised), an alias is one copy of the
 * anchored tree (counted against the node limit). Memory for a file of L
 * bytes is therefore at most about 2 L (the text and its scalars) plus
 * CFG_MAX_NODES x (a node, a pair and an item pointer, about 100 bytes):
 * under 60 MiB for the largest file accepted.
 *
 * An alias is a copy, not a shared node, so that marking a key used and
 * `--set` on one place never changes the other. A mapping key is a scalar
 * (or an alias of one). An alias to an anchor whose collection is still open
 * (a recursive structure) is an error, as is an undefined alias or an anchor
 * defined twice in one document (libyaml's loader refuses both too). */
#include "sim/cfg.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "sim/textfile.h"

#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 200000
#define SMALL_MAP 8 /* mappings up to this many keys look keys up by scanning */

/* Where positions point. A --set value is one line inside an option: its
 * columns are shifted by the option's prefix and anything past its end (a
 * parser reaching the end of input) is reported just after its last column. */
typedef struct posmap {
    const char *name;
    int shift;          /* added to columns (one_line only) */
    int one_line;
    size_t len;         /* text length (one_line only) */
} posmap_t;

static srcpos_t map_pos(const posmap_t *pm, yaml_mark_t m)
{
    if (!pm->one_line)
        return (srcpos_t){pm->name, (int)m.line + 1, (int)m.column + 1};
    size_t col = m.line == 0 && m.column < pm->len ? m.column : pm->len;
    return (srcpos_t){pm->name, 1, (int)col + 1 + pm->shift};
}

/* ---- a string-keyed hash table (open addressing, power-of-two size) ---- */

typedef struct slot {
    const char *key;
    void *val;
} slot_t;

typedef struct strtab {
    slot_t *v;
    size_t cap, n;
} strtab_t;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
    h ^= h >> 33; /* mix the high bits down: the table uses the low ones */
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static slot_t *tab_slot(const strtab_t *t, const char *key)
{
    size_t i = (size_t)str_hash(key) & (t->cap - 1);
    while (t->v[i].key && strcmp(t->v[i].key, key) != 0)
        i = (i + 1) & (t->cap - 1);
    return &t->v[i];
}

/* The value stored for key, or NULL. */
static void *tab_get(const strtab_t *t, const char *key)
{
    return t->cap ? tab_slot(t, key)->val : NULL;
}

/* Stores key -> val (replacing). 0, or -1 when out of memory. */
static int tab_put(strtab_t *t, const char *key, void *val)
{
    if (2 * (t->n + 1) > t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 16;
        slot_t *nv = calloc(nc, sizeof *nv);
        if (!nv)
            return -1;
        strtab_t g = {nv, nc, t->n};
        for (size_t i = 0; i < t->cap; i++)
            if (t->v[i].key)
                *tab_slot(&g, t->v[i].key) = t->v[i];
        free(t->v);
        *t = g;
    }
    slot_t *s = tab_slot(t, key);
    if (!s->key)
        t->n++;
    s->key = key;
    s->val = val;
    return 0;
}

static void tab_free(strtab_t *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* ---- the builder ---- */

/* A collection being built. Its pairs or items grow in malloc'd scratch and
 * move to the arena, at their exact size, when the collection ends. */
typedef struct frame {
    cfg_node_t *node;
    cfg_pair_t *pairs;      /* a mapping's */
    cfg_node_t **items;     /* a sequence's, or a mapping's merge values */
    size_t n, cap, nitems, capitems;
    strtab_t keys;          /* key -> pair index + 1, once the mapping outgrows SMALL_MAP */
    cfg_node_t *key;        /* a key waiting for its value */
    bool merge;             /* that key is `<<` */
    struct anchor_def *anchor; /* its anchor, completed when the collection ends */
} frame_t;

typedef struct anchor_def {
    cfg_node_t *node;       /* NULL while its collection is still open */
    srcpos_t pos;
} anchor_def_t;

typedef struct builder {
    arena_t *a;
    diag_t *d;
    const posmap_t *pm;
    frame_t stack[CFG_MAX_DEPTH + 1];
    int depth;              /* open collections */
    size_t nodes;           /* in the whole file */
    strtab_t anchors;       /* name -> anchor_def_t* (in the arena), per document */
    cfg_node_t *root;       /* the current document's */
    int failed;
} builder_t;

static int fail(builder_t *b, srcpos_t pos, const char *msg)
{
    if (!b->failed)
        diag_error(b->d, pos, "%s", msg);
    b->failed = 1;
    return -1;
}

static int oom(builder_t *b, srcpos_t pos)
{
    if (!b->failed)
        diag_oom(b->d, pos);
    b->failed = 1;
    return -1;
}

/* A new node at depth `depth`, counted against the limits. */
static cfg_node_t *new_node(builder_t *b, cfg_kind_t kind, srcpos_t pos, int depth)
{
    char msg[96];
    if (depth > CFG_MAX_DEPTH) {
        snprintf(msg, sizeof msg, "nesting deeper than %d levels", CFG_MAX_DEPTH);
        fail(b, pos, msg);
        return NULL;
    }
    if (++b->nodes > CFG_MAX_NODES) {
        snprintf(msg, sizeof msg, "document too large (more than %d nodes, aliases expanded)", CFG_MAX_NODES);
        fail(b, pos, msg);
        return NULL;
    }
    cfg_node_t *n = arena_alloc(b->a, sizeof *n);
    if (!n) {
        oom(b, pos);
        return NULL;
    }
    n->kind = kind;
    n->pos = pos;
    return n;
}

/* A copy of the tree at src placed at `depth` (an alias's expansion).
 * Strings are shared: they are never modified. */
static cfg_node_t *copy_tree(builder_t *b, const cfg_node_t *src, srcpos_t at, int depth)
{
    cfg_node_t *n = new_node(b, src->kind, at, depth);
    if (!n)
        return NULL;
    *n = *src; /* positions stay those of the anchored original, as libyaml's loader gives them */
    if (src->kind == CFG_MAP) {
        n->pairs = arena_alloc(b->a, (src->n ? src->n : 1) * sizeof *n->pairs);
        if (!n->pairs)
            return oom(b, at), NULL;
        for (size_t i = 0; i < src->n; i++) {
            n->pairs[i].used = false;
            if (!(n->pairs[i].key = copy_tree(b, src->pairs[i].key, at, depth + 1)) ||
                !(n->pairs[i].val = copy_tree(b, src->pairs[i].val, at, depth + 1)))
                return NULL;
        }
    } else if (src->kind == CFG_SEQ) {
        n->items = arena_alloc(b->a, (src->n ? src->n : 1) * sizeof *n->items);
        if (!n->items)
            return oom(b, at), NULL;
        for (size_t i = 0; i < src->n; i++) {
            if (!(n->items[i] = copy_tree(b, src->items[i], at, depth + 1)))
                return NULL;
        }
    }
    return n;
}

static bool is_merge_key(const cfg_node_t *k) { return k->plain && strcmp(k->str, "<<") == 0; }

/* The index of key among the frame's pairs, or -1. */
static long find_key(const frame_t *f, const char *key)
{
    if (f->keys.cap) {
        void *v = tab_get(&f->keys, key);
        return v ? (long)((uintptr_t)v - 1) : -1;
    }
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->pairs[i].key->str, key) == 0)
            return (long)i;
    return -1;
}

/* Appends a pair to a mapping frame (its key known to be new). */
static int add_pair(builder_t *b, frame_t *f, cfg_node_t *key, cfg_node_t *val)
{
    if (f->n == f->cap) {
        size_t nc = f->cap ? 2 * f->cap : 8;
        cfg_pair_t *g = realloc(f->pairs, nc * sizeof *g);
        if (!g)
            return oom(b, key->pos);
        f->pairs = g;
        f->cap = nc;
    }
    f->pairs[f->n] = (cfg_pair_t){key, val, false};
    f->n++;
    if (f->n > SMALL_MAP && !f->keys.cap) {
        for (size_t i = 0; i < f->n; i++)
            if (tab_put(&f->keys, f->pairs[i].key->str, (void *)(uintptr_t)(i + 1)) != 0)
                return oom(b, key->pos);
    } else if (f->keys.cap && tab_put(&f->keys, key->str, (void *)(uintptr_t)f->n) != 0) {
        return oom(b, key->pos);
    }
    return 0;
}

static int add_item(builder_t *b, frame_t *f, cfg_node_t *item)
{
    if (f->nitems == f->capitems) {
        size_t nc = f->capitems ? 2 * f->capitems : 8;
        cfg_node_t **g = realloc(f->items, nc * sizeof *g);
        if (!g)
            return oom(b, item->pos);
        f->items = g;
        f->capitems = nc;
    }
    f->items[f->nitems++] = item;
    return 0;
}

/* A complete node arrives: it becomes the root, an item, a key or a value. */
static int place(builder_t *b, cfg_node_t *n)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    frame_t *f = &b->stack[b->depth - 1];
    if (f->node->kind == CFG_SEQ)
        return add_item(b, f, n);
    if (!f->key) {
        if (n->kind != CFG_SCALAR)
            return fail(b, n->pos, "a mapping key must be a scalar");
        f->merge = is_merge_key(n);
        if (!f->merge) {
            long first = find_key(f, n->str);
            if (first >= 0) {
                char msg[64];
                snprintf(msg, sizeof msg, " (first at line %d)", f->pairs[first].key->pos.line);
                if (!b->failed)
                    diag_error(b->d, n->pos, "duplicate key '%s'%s", n->str, msg);
                b->failed = 1;
                return -1;
            }
        }
        f->key = n;
        return 0;
    }
    cfg_node_t *key = f->key;
    f->key = NULL;
    /* merge keys are applied when the mapping ends, after the explicit keys */
    return f->merge ? add_item(b, f, n) : add_pair(b, f, key, n);
}

/* Registers an anchor (node NULL: its collection is still open); NULL on error. */
static anchor_def_t *define_anchor(builder_t *b, const char *name, srcpos_t pos, cfg_node_t *node)
{
    anchor_def_t *old = tab_get(&b->anchors, name);
    if (old) {
        char msg[64];
        snprintf(msg, sizeof msg, "' (first defined at line %d)", old->pos.line);
        if (!b->failed)
            diag_error(b->d, pos, "anchor '%s%s is defined twice", name, msg);
        b->failed = 1;
        return NULL;
    }
    anchor_def_t *def = arena_alloc(b->a, sizeof *def);
    const char *key = arena_strdup(b->a, name);
    if (!def || !key || tab_put(&b->anchors, key, def) != 0)
        return oom(b, pos), NULL;
    def->node = node;
    def->pos = pos;
    return def;
}

static void free_frame(frame_t *f)
{
    free(f->pairs);
    free(f->items);
    tab_free(&f->keys);
    memset(f, 0, sizeof *f);
}

/* The frame on top ends: its node gets its final arrays, merges applied. */
static cfg_node_t *close_frame(builder_t *b)
{
    frame_t *f = &b->stack[b->depth - 1];
    cfg_node_t *n = f->node;
    if (n->kind == CFG_SEQ) {
        n->n = f->nitems;
        n->items = arena_alloc(b->a, (f->nitems ? f->nitems : 1) * sizeof *n->items);
        if (!n->items)
            return oom(b, n->pos), NULL;
        if (f->nitems)
            memcpy(n->items, f->items, f->nitems * sizeof *n->items);
    } else {
        /* YAML merge keys (`<<: *base` or `<<: [*a, *b]`): the merged
         * mappings' keys are added unless the mapping already has them; an
         * earlier merged mapping wins over a later one. */
        for (size_t m = 0; m < f->nitems; m++) {
            cfg_node_t *val = f->items[m];
            size_t nsrc = val->kind == CFG_SEQ ? val->n : 1;
            for (size_t s = 0; s < nsrc; s++) {
                cfg_node_t *src = val->kind == CFG_SEQ ? val->items[s] : val;
                if (src->kind != CFG_MAP) {
                    if (!b->failed)
                        diag_error(b->d, src->pos, "a merge key (<<) takes a mapping or a list of mappings, got %s",
                                   cfg_kind_name(src));
                    b->failed = 1;
                    return NULL;
                }
                for (size_t j = 0; j < src->n; j++)
                    if (find_key(f, src->pairs[j].key->str) < 0 &&
                        add_pair(b, f, src->pairs[j].key, src->pairs[j].val) != 0)
                        return NULL;
            }
        }
        n->n = f->n;
        n->pairs = arena_alloc(b->a, (f->n ? f->n : 1) * sizeof *n->pairs);
        if (!n->pairs)
            return oom(b, n->pos), NULL;
        if (f->n)
            memcpy(n->pairs, f->pairs, f->n * sizeof *n->pairs);
    }
    if (f->anchor)
        f->anchor->node = n;
    free_frame(f);
    b->depth--;
    return n;
}

static void reset_document(builder_t *b)
{
    while (b->depth > 0)
        free_frame(&b->stack[--b->depth]);
    tab_free(&b->anchors);
    b->root = NULL;
}

/* One event. 0 to go on, 1 at the end of a document (b->root set), 2 at the
 * end of the stream, -1 on an error (reported). */
static int on_event(builder_t *b, const yaml_event_t *ev)
{
    srcpos_t pos = map_pos(b->pm, ev->start_mark);
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 2;
    case YAML_DOCUMENT_START_EVENT:
        reset_document(b);
        return 0;
    case YAML_DOCUMENT_END_EVENT:
        return 1;
    case YAML_SCALAR_EVENT: {
        cfg_node_t *n = new_node(b, CFG_SCALAR, pos, b->depth);
        if (!n)
            return -1;
        size_t len = ev->data.scalar.length;
        if (!(n->str = arena_strndup(b->a, (const char *)ev->data.scalar.value, len)))
            return oom(b, pos);
        if (strlen(n->str) != len)
            return fail(b, pos, "a NUL character inside a scalar");
        const char *tag = (const char *)ev->data.scalar.tag;
        bool default_tag = !tag || strcmp(tag, YAML_DEFAULT_SCALAR_TAG) == 0;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && default_tag;
        if (ev->data.scalar.anchor && !define_anchor(b, (const char *)ev->data.scalar.anchor, pos, n))
            return -1;
        return place(b, n);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        if (b->depth > 0) {
            frame_t *p = &b->stack[b->depth - 1];
            if (p->node->kind == CFG_MAP && !p->key)
                return fail(b, pos, "a mapping key must be a scalar");
        }
        cfg_node_t *n = new_node(b, seq ? CFG_SEQ : CFG_MAP, pos, b->depth);
        if (!n)
            return -1;
        const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
        frame_t *f = &b->stack[b->depth];
        memset(f, 0, sizeof *f);
        f->node = n;
        b->depth++;
        if (anchor && !(f->anchor = define_anchor(b, (const char *)anchor, pos, NULL)))
            return -1;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        cfg_node_t *n = close_frame(b);
        return n ? place(b, n) : -1;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        anchor_def_t *def = tab_get(&b->anchors, name);
        if (def && def->node && def->node->kind != CFG_SCALAR && b->depth > 0 &&
            b->stack[b->depth - 1].node->kind == CFG_MAP && !b->stack[b->depth - 1].key)
            return fail(b, pos, "a mapping key must be a scalar");
        if (!def || !def->node) {
            if (!b->failed)
                diag_error(b->d, pos, def ? "a recursive alias: '*%s' is inside the collection it names"
                                          : "undefined alias '*%s'", name);
            b->failed = 1;
            return -1;
        }
        cfg_node_t *n = copy_tree(b, def->node, pos, b->depth);
        return n ? place(b, n) : -1;
    }
    default: /* stream start, no event */
        return 0;
    }
}

/* The line and column (in characters, as libyaml's marks count) of a byte
 * offset of text: libyaml's reader errors give an offset, not a mark. */
static srcpos_t offset_pos(const posmap_t *pm, const char *text, size_t len, size_t offset)
{
    yaml_mark_t m = {0, 0, 0};
    size_t start = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (size_t i = start; i < offset && i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            m.line++;
            m.column = 0;
        } else if ((c & 0xC0) != 0x80 && !(c == '\r' && i + 1 < len && text[i + 1] == '\n')) {
            m.column++;
        }
    }
    return map_pos(pm, m);
}

static void parser_error(yaml_parser_t *p, const posmap_t *pm, const char *text, size_t len, diag_t *d)
{
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_MEMORY_ERROR) {
        diag_oom(d, (srcpos_t){pm->name, 0, 0});
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        srcpos_t at = offset_pos(pm, text, len, p->problem_offset);
        if (p->problem_value < 0)
            diag_error(d, at, "%s", problem);
        else if (strstr(problem, "octet") || strstr(problem, "UTF-8") || strstr(problem, "UTF-16"))
            diag_error(d, at, "%s (byte 0x%02X)", problem, (unsigned)p->problem_value & 0xFFu);
        else
            diag_error(d, at, "%s (U+%04X)", problem, (unsigned)p->problem_value);
        return;
    }
    srcpos_t at = map_pos(pm, p->problem_mark);
    size_t idx = p->problem_mark.index;
    if (idx < len && text[idx] == '\t' && strstr(problem, "cannot start any token")) {
        diag_error(d, at, "a tab character: YAML indents with spaces, never tabs");
    } else if (p->context) {
        srcpos_t ctx = map_pos(pm, p->context_mark);
        if (ctx.line != at.line || ctx.col != at.col)
            diag_error(d, at, "%s %s (the construct starts at line %d, column %d)", p->context, problem, ctx.line,
                       ctx.col);
        else
            diag_error(d, at, "%s %s", p->context, problem);
    } else {
        diag_error(d, at, "%s", problem);
    }
}

/* Parses every document of text into *docs (arena), *ndocs of them. */
static int parse_docs(arena_t *a, const char *text, size_t len, const posmap_t *pm, cfg_node_t ***docs,
                      size_t *ndocs, diag_t *d)
{
    *docs = NULL;
    *ndocs = 0;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        diag_oom(d, (srcpos_t){pm->name, 0, 0});
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    builder_t *b = calloc(1, sizeof *b);
    if (!b) {
        yaml_parser_delete(&parser);
        diag_oom(d, (srcpos_t){pm->name, 0, 0});
        return -1;
    }
    b->a = a;
    b->d = d;
    b->pm = pm;
    size_t cap = 0, n = 0;
    cfg_node_t **out = NULL;
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            parser_error(&parser, pm, text, len, d);
            rc = -1;
            break;
        }
        int r = on_event(b, &ev);
        yaml_event_delete(&ev);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 2)
            break;
        if (r == 1 && b->root) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 4;
                cfg_node_t **grown = arena_alloc(a, nc * sizeof *grown);
                if (!grown) {
                    diag_oom(d, (srcpos_t){pm->name, 0, 0});
                    rc = -1;
                    break;
                }
                if (n)
                    memcpy(grown, out, n * sizeof *grown);
                out = grown;
                cap = nc;
            }
            out[n++] = b->root;
            b->root = NULL;
        }
    }
    reset_document(b);
    free(b);
    yaml_parser_delete(&parser);
    *docs = out;
    *ndocs = n;
    return rc;
}

static const char *read_text(arena_t *a, const char *path, size_t *len, diag_t *d)
{
    textfile_t f;
    if (textfile_read(a, path, TEXTFILE_MAX_YAML, 0, &f, d) != 0)
        return NULL;
    *len = f.len;
    return f.text;
}

int cfg_parse_file_all(arena_t *a, const char *path, cfg_node_t ***docs, size_t *ndocs, diag_t *d)
{
    size_t len;
    const char *text = read_text(a, path, &len, d);
    if (!text)
        return -1;
    const char *name = arena_strdup(a, path);
    posmap_t pm = {name ? name : path, 0, 0, 0};
    return parse_docs(a, text, len, &pm, docs, ndocs, d);
}

int cfg_parse_text_all(arena_t *a, const char *text, size_t len, const char *name, cfg_node_t ***docs,
                       size_t *ndocs, diag_t *d)
{
    posmap_t pm = {name, 0, 0, 0};
    return parse_docs(a, text, len, &pm, docs, ndocs, d);
}

/* One document of text; a second one is an error (it would be ignored). */
static cfg_node_t *parse_one(arena_t *a, const char *text, size_t len, const posmap_t *pm, diag_t *d)
{
    cfg_node_t **docs;
    size_t n;
    if (parse_docs(a, text, len, pm, &docs, &n, d) != 0)
        return NULL;
    if (n > 1) {
        diag_error(d, docs[1]->pos, "a second YAML document: a scenario is one document (remove the '---')");
        return NULL;
    }
    if (n == 0) {
        diag_error(d, (srcpos_t){pm->name, 1, 1 + pm->shift}, "empty document");
        return NULL;
    }
    return docs[0];
}

cfg_node_t *cfg_parse_string(arena_t *a, const char *text, size_t len, const char *name, diag_t *d)
{
    posmap_t pm = {name, 0, 0, 0};
    return parse_one(a, text, len, &pm, d);
}

cfg_node_t *cfg_parse_file(arena_t *a, const char *path, diag_t *d)
{
    size_t len;
    const char *text = read_text(a, path, &len, d);
    if (!text)
        return NULL;
    const char *name = arena_strdup(a, path);
    return cfg_parse_string(a, text, len, name ? name : path, d);
}

cfg_pair_t *cfg_find(cfg_node_t *map, const char *key)
{
    if (!map || map->kind != CFG_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key->str, key) == 0) {
            map->pairs[i].used = true;
            return &map->pairs[i];
        }
    return NULL;
}

cfg_node_t *cfg_get(cfg_node_t *map, const char *key)
{
    cfg_pair_t *p = cfg_find(map, key);
    return p ? p->val : NULL;
}

bool cfg_is_null(const cfg_node_t *n)
{
    if (!n || n->kind != CFG_SCALAR || !n->plain)
        return false;
    const char *s = n->str;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *cfg_kind_name(const cfg_node_t *n)
{
    if (!n)
        return "nothing";
    if (n->kind == CFG_MAP)
        return "a mapping";
    if (n->kind == CFG_SEQ)
        return "a sequence";
    return cfg_is_null(n) ? "null" : "a scalar";
}

/* A deep copy of src in a (positions kept, every map entry unused); only
 * for the scalars and sequences of a patch, which --set cannot nest (its
 * paths make maps), so their depth is the parser's, at most CFG_MAX_DEPTH. */
static cfg_node_t *dup_tree(arena_t *a, const cfg_node_t *src)
{
    cfg_node_t *n = arena_alloc(a, sizeof *n);
    if (!n)
        return NULL;
    *n = *src;
    if (src->kind == CFG_MAP) {
        if (!(n->pairs = arena_alloc(a, (src->n ? src->n : 1) * sizeof *n->pairs)))
            return NULL;
        for (size_t i = 0; i < src->n; i++)
            if (!(n->pairs[i].key = dup_tree(a, src->pairs[i].key)) || !(n->pairs[i].val = dup_tree(a, src->pairs[i].val)))
                return NULL;
            else
                n->pairs[i].used = false;
    } else if (src->kind == CFG_SEQ) {
        if (!(n->items = arena_alloc(a, (src->n ? src->n : 1) * sizeof *n->items)))
            return NULL;
        for (size_t i = 0; i < src->n; i++)
            if (!(n->items[i] = dup_tree(a, src->items[i])))
                return NULL;
    }
    return n;
}

static bool is_null(const cfg_node_t *n)
{
    return n->kind == CFG_SCALAR && n->plain &&
           (!n->str[0] || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
            !strcmp(n->str, "NULL"));
}

static bool all_indexes(const cfg_node_t *map)
{
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->pairs[i].key->str;
        if (!*k || strspn(k, "0123456789") != strlen(k))
            return false;
    }
    return true;
}

/* cfg_merge_patch at depth: the patch may come from --set paths, which the
 * parser's nesting limit does not bound, so the merge keeps its own. */
static int merge_patch(arena_t *a, cfg_node_t **target, const cfg_node_t *patch, const char *path, int depth,
                       diag_t *d)
{
    if (depth > CFG_MAX_DEPTH) {
        diag_error(d, patch->pos, "%s: a patch nested deeper than %d levels", path, CFG_MAX_DEPTH);
        return -1;
    }
    cfg_node_t *t = *target;
    char sub[256];
    if (patch->kind == CFG_MAP && t && t->kind == CFG_SEQ && patch->n && all_indexes(patch)) {
        for (size_t i = 0; i < patch->n; i++) {
            const cfg_pair_t *pp = &patch->pairs[i];
            char *end;
            unsigned long long k = strtoull(pp->key->str, &end, 10);
            if (k >= t->n || is_null(pp->val)) {
                if (k >= t->n)
                    diag_error(d, pp->key->pos, "%s: the list has %zu item%s, no item %s", path, t->n,
                               t->n == 1 ? "" : "s", pp->key->str);
                else
                    diag_error(d, pp->val->pos, "%s.%s: an item of a list cannot be removed by a patch", path,
                               pp->key->str);
                return -1;
            }
            snprintf(sub, sizeof sub, "%s.%s", path, pp->key->str);
            if (merge_patch(a, &t->items[k], pp->val, sub, depth + 1, d) != 0)
                return -1;
        }
        return 0;
    }
    if (patch->kind == CFG_MAP && t && t->kind == CFG_MAP) {
        /* the target's keys in a table (linear in the two maps' sizes, as
         * every input's cost must be); a removed key's value is NULLed,
         * and the pairs are compacted at the end */
        cfg_pair_t *pairs = arena_alloc(a, (t->n + patch->n + 1) * sizeof *pairs);
        strtab_t idx = {0};
        int rc = pairs ? 0 : -1;
        if (pairs && t->n)
            memcpy(pairs, t->pairs, t->n * sizeof *pairs);
        size_t n = t->n;
        for (size_t j = 0; rc == 0 && j < n; j++)
            rc = tab_put(&idx, pairs[j].key->str, (void *)(uintptr_t)(j + 1));
        if (rc != 0) {
            tab_free(&idx);
            diag_oom(d, patch->pos);
            return -1;
        }
        for (size_t i = 0; i < patch->n; i++) {
            const cfg_pair_t *pp = &patch->pairs[i];
            size_t j = (size_t)(uintptr_t)tab_get(&idx, pp->key->str);
            if (is_null(pp->val)) { /* removes the key, if there */
                if (j)
                    pairs[j - 1].val = NULL;
                continue;
            }
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", pp->key->str);
            if (!j) {
                pairs[n] = (cfg_pair_t){dup_tree(a, pp->key), NULL, false};
                if (!pairs[n].key || tab_put(&idx, pp->key->str, (void *)(uintptr_t)(n + 1)) != 0) {
                    tab_free(&idx);
                    diag_oom(d, pp->key->pos);
                    return -1;
                }
                j = ++n;
            }
            if (merge_patch(a, &pairs[j - 1].val, pp->val, sub, depth + 1, d) != 0) {
                tab_free(&idx);
                return -1;
            }
        }
        tab_free(&idx);
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (pairs[j].val)
                pairs[k++] = pairs[j];
        t->pairs = pairs;
        t->n = k;
        return 0;
    }
    if (patch->kind == CFG_MAP) {
        /* onto anything but a map: a new map, the patch merged into it (so
         * its nulls, at any depth, are dropped, as RFC 7386 does) */
        cfg_node_t *m = arena_alloc(a, sizeof *m);
        if (!m) {
            diag_oom(d, patch->pos);
            return -1;
        }
        *m = (cfg_node_t){.kind = CFG_MAP, .pos = patch->pos, .str = "", .n = 0, .pairs = NULL};
        *target = m;
        return merge_patch(a, target, patch, path, depth, d);
    }
    /* a scalar or a sequence replaces the target */
    cfg_node_t *n = dup_tree(a, patch);
    if (!n) {
        diag_oom(d, patch->pos);
        return -1;
    }
    *target = n;
    return 0;
}

int cfg_merge_patch(arena_t *a, cfg_node_t **target, const cfg_node_t *patch, const char *path, diag_t *d)
{
    return merge_patch(a, target, patch, path, 0, d);
}

int cfg_apply_set(arena_t *a, cfg_node_t *root, const char *assign, const char *label, bool value_cols,
                  diag_t *d)
{
    const char *eq = strchr(assign, '=');
    if (!eq || eq == assign) {
        diag_error(d, (srcpos_t){label, 1, 1}, "expected PATH=VALUE, e.g. services.web.replicas=4");
        return -1;
    }
    /* Columns count in the whole option, or in the value alone when the
     * option was built from a shorthand (--seed N). */
    int voff = value_cols ? 0 : (int)(eq - assign) + 1;
    cfg_node_t *val;
    if (eq[1] == '\0') { /* an empty value is a null scalar */
        val = arena_alloc(a, sizeof *val);
        if (!val) {
            diag_oom(d, (srcpos_t){label, 1, 1});
            return -1;
        }
        val->kind = CFG_SCALAR;
        val->str = "";
        val->plain = true;
        val->pos = (srcpos_t){label, 1, voff + 1};
    } else {
        posmap_t pm = {label, voff, 1, strlen(eq + 1)};
        if (!(val = parse_one(a, eq + 1, strlen(eq + 1), &pm, d)))
            return -1;
    }
    /* Every component of the path is used: an empty one (`a..b`, `a.b.`)
     * is an error, never skipped. */
    cfg_node_t *cur = root;
    const char *p = assign;
    for (;;) {
        const char *dot = memchr(p, '.', (size_t)(eq - p));
        const char *end = dot ? dot : eq;
        int col = (int)(p - assign) + 1;
        if (end == p) {
            diag_error(d, (srcpos_t){label, 1, col}, "empty path component");
            return -1;
        }
        char *key = arena_strndup(a, p, (size_t)(end - p));
        if (!key) {
            diag_oom(d, (srcpos_t){label, 1, col});
            return -1;
        }
        bool last = !dot;
        if (cur->kind == CFG_SEQ) {
            size_t idx = 0, k;
            for (k = 0; key[k] >= '0' && key[k] <= '9' && idx <= cur->n; k++)
                idx = idx * 10 + (size_t)(key[k] - '0');
            /* one spelling per index (no leading zero): a path names a
             * place once, so `a.1` and `a.01` are not two paths */
            if (key[k] || idx >= cur->n || (key[0] == '0' && key[1])) {
                diag_error(d, (srcpos_t){label, 1, col}, "'%s': expected an index from 0 to %zu%s", key,
                           cur->n ? cur->n - 1 : 0, key[0] == '0' && key[1] && !key[k] ? " (no leading zero)" : "");
                return -1;
            }
            if (last)
                cur->items[idx] = val;
            else
                cur = cur->items[idx];
        } else if (cur->kind == CFG_MAP) {
            size_t i;
            for (i = 0; i < cur->n; i++)
                if (strcmp(cur->pairs[i].key->str, key) == 0)
                    break;
            if (i == cur->n) {
                cfg_pair_t *np = arena_alloc(a, (cur->n + 1) * sizeof *np);
                cfg_node_t *kn = arena_alloc(a, sizeof *kn);
                cfg_node_t *mn = arena_alloc(a, sizeof *mn);
                if (!np || !kn || !mn) {
                    diag_oom(d, (srcpos_t){label, 1, col});
                    return -1;
                }
                if (cur->n)
                    memcpy(np, cur->pairs, cur->n * sizeof *np);
                kn->kind = CFG_SCALAR;
                kn->str = key;
                kn->plain = true;
                kn->pos = (srcpos_t){label, 1, col};
                mn->kind = CFG_MAP;
                mn->pos = kn->pos;
                np[cur->n].key = kn;
                np[cur->n].val = mn;
                cur->pairs = np;
                cur->n++;
            }
            if (last)
                cur->pairs[i].val = val;
            else
                cur = cur->pairs[i].val;
        } else {
            diag_error(d, (srcpos_t){label, 1, col}, "'%s': the value above it is a scalar, not a mapping", key);
            return -1;
        }
        if (last)
            break;
        p = end + 1;
    }
    return 0;
}
