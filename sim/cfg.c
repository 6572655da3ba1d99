#include "sim/cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_TEXT (16u << 20)
#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 200000

/* Where positions point. A --set value is one line inside an option: its
 * columns are shifted by the option's prefix and anything past its end (a
 * parser reaching the end of input) is reported just after its last column. */
typedef struct posmap {
    const char *name;
    int shift;          /* added to columns (one_line only) */
    int one_line;
    size_t len;         /* text length (one_line only) */
} posmap_t;

typedef struct conv {
    arena_t *a;
    diag_t *d;
    yaml_document_t *doc;
    const posmap_t *pm;
    size_t nodes;
    int failed;
} conv_t;

static srcpos_t map_pos(const posmap_t *pm, yaml_mark_t m)
{
    if (!pm->one_line)
        return (srcpos_t){pm->name, (int)m.line + 1, (int)m.column + 1};
    size_t col = m.line == 0 && m.column < pm->len ? m.column : pm->len;
    return (srcpos_t){pm->name, 1, (int)col + 1 + pm->shift};
}

static cfg_node_t *convert(conv_t *c, yaml_node_t *yn, int depth)
{
    srcpos_t pos = map_pos(c->pm, yn->start_mark);
    if (depth > CFG_MAX_DEPTH) {
        if (!c->failed)
            diag_error(c->d, pos, "nesting deeper than %d levels (a recursive alias?)", CFG_MAX_DEPTH);
        c->failed = 1;
        return NULL;
    }
    if (++c->nodes > CFG_MAX_NODES) {
        if (!c->failed)
            diag_error(c->d, pos, "document too large (more than %d nodes after expanding aliases)", CFG_MAX_NODES);
        c->failed = 1;
        return NULL;
    }
    cfg_node_t *n = arena_alloc(c->a, sizeof *n);
    if (!n)
        goto oom;
    n->pos = pos;
    switch (yn->type) {
    case YAML_SCALAR_NODE: {
        n->kind = CFG_SCALAR;
        n->str = arena_strndup(c->a, (const char *)yn->data.scalar.value, yn->data.scalar.length);
        if (!n->str)
            goto oom;
        if (strlen(n->str) != yn->data.scalar.length) {
            diag_error(c->d, pos, "a NUL character inside a scalar");
            c->failed = 1;
            return NULL;
        }
        const char *tag = (const char *)yn->tag;
        bool default_tag = !tag || strcmp(tag, YAML_DEFAULT_SCALAR_TAG) == 0;
        n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && default_tag;
        break;
    }
    case YAML_SEQUENCE_NODE: {
        n->kind = CFG_SEQ;
        size_t k = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);
        n->items = arena_alloc(c->a, (k ? k : 1) * sizeof *n->items);
        if (!n->items)
            goto oom;
        for (size_t i = 0; i < k; i++) {
            yaml_node_t *child = yaml_document_get_node(c->doc, yn->data.sequence.items.start[i]);
            if (!child || !(n->items[i] = convert(c, child, depth + 1)))
                return NULL;
        }
        n->n = k;
        break;
    }
    case YAML_MAPPING_NODE: {
        n->kind = CFG_MAP;
        size_t k = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);
        n->pairs = arena_alloc(c->a, (k ? k : 1) * sizeof *n->pairs);
        if (!n->pairs)
            goto oom;
        size_t np = 0;
        for (size_t i = 0; i < k; i++) {
            yaml_node_pair_t *p = &yn->data.mapping.pairs.start[i];
            yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
            yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
            if (!kn || !vn)
                return NULL;
            if (kn->type != YAML_SCALAR_NODE) {
                diag_error(c->d, map_pos(c->pm, kn->start_mark), "a mapping key must be a scalar");
                c->failed = 1;
                return NULL;
            }
            cfg_node_t *key = convert(c, kn, depth + 1);
            if (!key)
                return NULL;
            if (key->plain && strcmp(key->str, "<<") == 0)
                continue; /* merge keys are applied below, after the explicit keys */
            for (size_t j = 0; j < np; j++)
                if (strcmp(n->pairs[j].key->str, key->str) == 0) {
                    diag_error(c->d, key->pos, "duplicate key '%s' (first at line %d)", key->str,
                               n->pairs[j].key->pos.line);
                    c->failed = 1;
                    return NULL;
                }
            cfg_node_t *val = convert(c, vn, depth + 1);
            if (!val)
                return NULL;
            n->pairs[np].key = key;
            n->pairs[np].val = val;
            np++;
        }
        n->n = np;
        /* YAML merge keys (`<<: *base` or `<<: [*a, *b]`): the merged
         * mappings' keys are added unless the mapping already has them; an
         * earlier merged mapping wins over a later one. */
        for (size_t i = 0; i < k; i++) {
            yaml_node_pair_t *p = &yn->data.mapping.pairs.start[i];
            yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
            yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
            if (!kn || !vn || kn->type != YAML_SCALAR_NODE || kn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                kn->data.scalar.length != 2 || memcmp(kn->data.scalar.value, "<<", 2) != 0)
                continue;
            cfg_node_t *val = convert(c, vn, depth + 1);
            if (!val)
                return NULL;
            size_t nsrc = val->kind == CFG_SEQ ? val->n : 1;
            for (size_t s = 0; s < nsrc; s++) {
                cfg_node_t *src = val->kind == CFG_SEQ ? val->items[s] : val;
                if (src->kind != CFG_MAP) {
                    diag_error(c->d, src->pos, "a merge key (<<) takes a mapping or a list of mappings, got %s",
                               cfg_kind_name(src));
                    c->failed = 1;
                    return NULL;
                }
                for (size_t j = 0; j < src->n; j++) {
                    size_t e;
                    for (e = 0; e < n->n; e++)
                        if (strcmp(n->pairs[e].key->str, src->pairs[j].key->str) == 0)
                            break;
                    if (e < n->n)
                        continue;
                    cfg_pair_t *grown = arena_alloc(c->a, (n->n + 1) * sizeof *grown);
                    if (!grown)
                        goto oom;
                    memcpy(grown, n->pairs, n->n * sizeof *grown);
                    grown[n->n].key = src->pairs[j].key;
                    grown[n->n].val = src->pairs[j].val;
                    n->pairs = grown;
                    n->n++;
                }
            }
        }
        break;
    }
    default:
        diag_error(c->d, pos, "empty YAML node");
        c->failed = 1;
        return NULL;
    }
    return n;
oom:
    diag_oom(c->d, pos);
    c->failed = 1;
    return NULL;
}

static void parser_error(yaml_parser_t *p, const posmap_t *pm, const char *text, size_t len, diag_t *d)
{
    const char *problem = p->problem ? p->problem : "malformed YAML";
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

/* Parses up to `max` documents (0: all) of text. */
static int parse_docs(arena_t *a, const char *text, size_t len, const posmap_t *pm, size_t max,
                      cfg_node_t ***docs, size_t *ndocs, diag_t *d)
{
    const char *name = pm->name;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        diag_oom(d, (srcpos_t){name, 0, 0});
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    size_t cap = 0, n = 0;
    cfg_node_t **out = NULL;
    int rc = 0;
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            parser_error(&parser, pm, text, len, d);
            rc = -1;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root) {
            yaml_document_delete(&doc);
            break;
        }
        conv_t c = {a, d, &doc, pm, 0, 0};
        cfg_node_t *node = convert(&c, root, 0);
        yaml_document_delete(&doc);
        if (!node) {
            rc = -1;
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            cfg_node_t **grown = arena_alloc(a, nc * sizeof *grown);
            if (!grown) {
                diag_oom(d, (srcpos_t){name, 0, 0});
                rc = -1;
                break;
            }
            if (n)
                memcpy(grown, out, n * sizeof *grown);
            out = grown;
            cap = nc;
        }
        out[n++] = node;
        if (max && n == max)
            break;
    }
    yaml_parser_delete(&parser);
    *docs = out;
    *ndocs = n;
    return rc;
}

static char *read_text(arena_t *a, const char *path, size_t *len, diag_t *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_error(d, (srcpos_t){path, 0, 0}, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= CFG_MAX_TEXT) {
                diag_error(d, (srcpos_t){path, 0, 0}, "file larger than %u MiB", CFG_MAX_TEXT >> 20);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *g = realloc(buf, cap * 2);
            if (!g)
                break;
            buf = g;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        diag_error(d, (srcpos_t){path, 0, 0}, "cannot read: %s", buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    char *text = arena_strndup(a, buf, n);
    free(buf);
    if (!text)
        diag_oom(d, (srcpos_t){path, 0, 0});
    *len = n;
    return text;
}

int cfg_parse_file_all(arena_t *a, const char *path, cfg_node_t ***docs, size_t *ndocs, diag_t *d)
{
    size_t len;
    char *text = read_text(a, path, &len, d);
    if (!text)
        return -1;
    const char *name = arena_strdup(a, path);
    posmap_t pm = {name ? name : path, 0, 0, 0};
    return parse_docs(a, text, len, &pm, 0, docs, ndocs, d);
}

int cfg_parse_text_all(arena_t *a, const char *text, size_t len, const char *name, cfg_node_t ***docs,
                       size_t *ndocs, diag_t *d)
{
    posmap_t pm = {name, 0, 0, 0};
    return parse_docs(a, text, len, &pm, 0, docs, ndocs, d);
}

/* One document of text; a second one is an error (it would be ignored). */
static cfg_node_t *parse_one(arena_t *a, const char *text, size_t len, const posmap_t *pm, diag_t *d)
{
    cfg_node_t **docs;
    size_t n;
    if (parse_docs(a, text, len, pm, 0, &docs, &n, d) != 0)
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
    char *text = read_text(a, path, &len, d);
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
        if (!val)
            return -1;
        val->kind = CFG_SCALAR;
        val->str = "";
        val->plain = true;
        val->pos = (srcpos_t){label, 1, 1};
    } else {
        posmap_t pm = {label, voff, 1, strlen(eq + 1)};
        if (!(val = parse_one(a, eq + 1, strlen(eq + 1), &pm, d)))
            return -1;
    }
    cfg_node_t *cur = root;
    const char *p = assign;
    while (p < eq) {
        const char *dot = memchr(p, '.', (size_t)(eq - p));
        const char *end = dot ? dot : eq;
        int col = (int)(p - assign) + 1;
        if (end == p) {
            diag_error(d, (srcpos_t){label, 1, col}, "empty path component");
            return -1;
        }
        char *key = arena_strndup(a, p, (size_t)(end - p));
        if (!key)
            return -1;
        bool last = end == eq;
        if (cur->kind == CFG_SEQ) {
            char *e;
            long idx = strtol(key, &e, 10);
            if (*e || idx < 0 || (size_t)idx >= cur->n) {
                diag_error(d, (srcpos_t){label, 1, col}, "'%s': expected an index from 0 to %zu", key,
                           cur->n ? cur->n - 1 : 0);
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
                if (!np || !kn || !mn)
                    return -1;
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
        p = end + 1;
    }
    return 0;
}
