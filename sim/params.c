#include "sim/params.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/simtime.h"
#include "sim/units.h"

static const char *type_name(const param_t *p)
{
    switch (p->type) {
    case P_INT: return "integer";
    case P_U64: return "integer";
    case P_DOUBLE: return "number";
    case P_SECONDS:
    case P_DURATION: return "duration";
    case P_RATE: return "rate";
    case P_CPU: return "CPU quantity";
    case P_MEMORY: return "memory quantity";
    case P_STRING: return "string";
    case P_ENUM: return "one of";
    case P_BOOL: return "boolean";
    case P_MAP: return "mapping";
    case P_CUSTOM: return p->type_doc ? p->type_doc : "see below";
    }
    return "?";
}

const char *params_scalar(cfg_node_t *node, pctx_t *ctx, const char *path, const char *what)
{
    if (!node || node->kind != CFG_SCALAR || cfg_is_null(node)) {
        diag_error(ctx->diag, node ? node->pos : (srcpos_t){0}, "%s: expected %s, got %s", path, what,
                   cfg_kind_name(node));
        return NULL;
    }
    return node->str;
}

const char *params_path(pctx_t *ctx, const cfg_node_t *at, const char *file)
{
    if (file[0] == '/' || !ctx->basedir)
        return arena_strdup(ctx->arena, file);
    /* written in a base scenario: relative to that file's directory */
    for (size_t i = 0; at && at->pos.file && i < ctx->nbases; i++)
        if (strcmp(at->pos.file, ctx->bases[i]) == 0) {
            const char *slash = strrchr(ctx->bases[i], '/');
            if (!slash)
                return arena_strdup(ctx->arena, file);
            return arena_printf(ctx->arena, "%.*s/%s", (int)(slash - ctx->bases[i]), ctx->bases[i], file);
        }
    return arena_printf(ctx->arena, "%s/%s", ctx->basedir, file);
}

const char *params_begin_ref(pctx_t *ctx, const cfg_node_t *at, const char *path, const char *key, const char *file)
{
    const char *full = params_path(ctx, at, file);
    if (!full) {
        diag_oom(ctx->diag, at->pos);
        return NULL;
    }
    char ref[256];
    snprintf(ref, sizeof ref, "%s.%s", path, key);
    diag_push_ref(ctx->diag, at->pos, ref);
    return full;
}

static void fmt_bound(const param_t *p, double v, char *buf, size_t size)
{
    if (p->type == P_SECONDS || p->type == P_DURATION) {
        units_format_duration(simtime_from_s(v), buf, (unsigned)size);
    } else if (p->type == P_RATE) {
        snprintf(buf, size, "%g/s", v);
    } else if (p->type == P_CPU) {
        snprintf(buf, size, "%gm", v);
    } else {
        snprintf(buf, size, "%g", v);
    }
}

static int check_bounds(const param_t *p, double v, cfg_node_t *node, pctx_t *ctx, const char *path)
{
    if (p->flags & PF_NO_BOUNDS)
        return 0;
    bool low = (p->flags & PF_MIN_EXCL) ? !(v > p->min) : !(v >= p->min);
    if (low || !(v <= p->max)) {
        char lo[32], hi[32];
        fmt_bound(p, p->min, lo, sizeof lo);
        fmt_bound(p, p->max, hi, sizeof hi);
        if (p->max >= 1e300)
            diag_error(ctx->diag, node->pos, "%s: '%s' is out of range (must be %s %s)", path, node->str,
                       (p->flags & PF_MIN_EXCL) ? ">" : ">=", lo);
        else
            diag_error(ctx->diag, node->pos, "%s: '%s' is out of range (%s%s to %s)", path, node->str,
                       (p->flags & PF_MIN_EXCL) ? "above " : "", lo, hi);
        return 1;
    }
    return 0;
}

static int parse_int(const char *s, long long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v == LLONG_MAX || v == LLONG_MIN)
        return -1;
    *out = v;
    return 0;
}

int params_decode_value(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    char *field = (char *)obj + p->offset;
    if (p->type == P_CUSTOM)
        return p->custom(p, node, obj, ctx, path);
    if (p->type == P_MAP) /* `key:` with no value is the mapping with every default */
        return params_decode(p->sub->rows, p->sub->n, cfg_is_null(node) ? NULL : node, field, ctx, path);
    char what[160];
    if (p->type == P_ENUM) {
        size_t k = (size_t)snprintf(what, sizeof what, "one of");
        for (size_t i = 0; p->choices[i] && k < sizeof what; i++)
            k += (size_t)snprintf(what + k, sizeof what - k, "%s %s", i ? "," : "", p->choices[i]);
    } else {
        const char *t = type_name(p);
        snprintf(what, sizeof what, "%s %s", strchr("aeiou", t[0]) ? "an" : "a", t);
    }
    const char *s = params_scalar(node, ctx, path, what);
    if (!s)
        return 1;
    const char *err = NULL;
    double v = 0;
    switch (p->type) {
    case P_U64: {
        /* the whole unsigned 64-bit range (seeds) */
        char *end;
        errno = 0;
        unsigned long long uv = strtoull(s, &end, 10);
        if (!node->plain || *s == '-' || *s == '+' || *s == '\0' || *end || errno == ERANGE) {
            diag_error(ctx->diag, node->pos, "%s: expected an integer from 0 to 18446744073709551615, got %s'%s'%s",
                       path, node->plain ? "" : "the string ", s, node->plain ? "" : " (remove the quotes)");
            return 1;
        }
        *(uint64_t *)field = (uint64_t)uv;
        return 0;
    }
    case P_INT: {
        long long iv;
        if (!node->plain || parse_int(s, &iv) != 0) {
            diag_error(ctx->diag, node->pos, "%s: expected an integer, got %s'%s'%s", path,
                       node->plain ? "" : "the string ", s,
                       !node->plain && parse_int(s, &iv) == 0 ? " (remove the quotes)" : "");
            return 1;
        }
        if (check_bounds(p, (double)iv, node, ctx, path))
            return 1;
        if (iv > INT32_MAX || iv < INT32_MIN) {
            diag_error(ctx->diag, node->pos, "%s: '%s' is too large", path, s);
            return 1;
        }
        *(int *)field = (int)iv;
        return 0;
    }
    case P_DOUBLE:
        if (!node->plain)
            err = units_number(s, &v) == NULL ? "expected a number, not a quoted string (remove the quotes)"
                                              : "expected a number";
        else
            err = units_number(s, &v);
        if (!err && check_bounds(p, v, node, ctx, path))
            return 1;
        if (!err)
            *(double *)field = v;
        break;
    case P_SECONDS:
    case P_DURATION: {
        simtime_t t;
        err = units_duration(s, &t);
        if (err)
            break;
        if (check_bounds(p, simtime_to_s(t), node, ctx, path))
            return 1;
        if (p->type == P_SECONDS) {
            *(double *)field = simtime_to_s(t);
        } else {
            *(simtime_t *)field = t;
        }
        break;
    }
    case P_RATE:
        err = units_rate(s, &v);
        if (!err && check_bounds(p, v, node, ctx, path))
            return 1;
        if (!err)
            *(double *)field = v;
        break;
    case P_CPU: {
        int64_t m;
        err = units_cpu(s, &m);
        if (!err && check_bounds(p, (double)m, node, ctx, path))
            return 1;
        if (!err)
            *(int64_t *)field = m;
        break;
    }
    case P_MEMORY: {
        int64_t b;
        err = units_memory(s, &b);
        if (!err && check_bounds(p, (double)b, node, ctx, path))
            return 1;
        if (!err)
            *(int64_t *)field = b;
        break;
    }
    case P_STRING: {
        const char *c = arena_strdup(ctx->arena, s);
        if (!c) {
            diag_oom(ctx->diag, node->pos);
            return 1;
        }
        *(const char **)field = c;
        break;
    }
    case P_ENUM:
        for (int i = 0; p->choices[i]; i++)
            if (strcmp(p->choices[i], s) == 0) {
                *(int *)field = i;
                return 0;
            }
        diag_error(ctx->diag, node->pos, "%s: unknown value '%s' (valid: %s)", path, s, what + 7);
        return 1;
    case P_BOOL:
        if (node->plain && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")))
            *(bool *)field = true;
        else if (node->plain && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")))
            *(bool *)field = false;
        else
            err = "expected true or false";
        break;
    case P_MAP:
    case P_CUSTOM:
        break;
    }
    if (err) {
        diag_error(ctx->diag, node->pos, "%s: %s, got '%s'", path, err, s);
        return 1;
    }
    return 0;
}

int params_check_unknown(const param_t *tab, size_t n, cfg_node_t *map, pctx_t *ctx, const char *path)
{
    int errs = 0;
    if (!map || map->kind != CFG_MAP)
        return 0;
    for (size_t i = 0; i < map->n; i++) {
        if (map->pairs[i].used)
            continue;
        char valid[400];
        size_t k = 0;
        valid[0] = '\0';
        for (size_t j = 0; j < n && k < sizeof valid; j++)
            k += (size_t)snprintf(valid + k, sizeof valid - k, "%s%s", j ? ", " : "", tab[j].key);
        diag_error(ctx->diag, map->pairs[i].key->pos, "%s%sunknown key '%s' (valid: %s)", path,
                   *path ? ": " : "", map->pairs[i].key->str, valid);
        errs++;
    }
    return errs;
}

int params_decode(const param_t *tab, size_t n, cfg_node_t *map, void *obj, pctx_t *ctx, const char *path)
{
    int errs = 0;
    if (map && map->kind != CFG_MAP) {
        diag_error(ctx->diag, map->pos, "%s: expected a mapping, got %s", *path ? path : "scenario",
                   cfg_kind_name(map));
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        const param_t *p = &tab[i];
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", p->key);
        cfg_node_t *node = map ? cfg_get(map, p->key) : NULL;
        if (node) {
            errs += params_decode_value(p, node, obj, ctx, sub);
        } else if (p->flags & PF_REQUIRED) {
            srcpos_t pos = map ? map->pos : (srcpos_t){0};
            diag_error(ctx->diag, pos, "%s: missing required key '%s'", *path ? path : "scenario", p->key);
            errs++;
        } else if (p->def) {
            /* Defaults are written in YAML and decoded like input; a flow
             * mapping or list (a distribution) is parsed first. */
            cfg_node_t dn = {.kind = CFG_SCALAR, .str = p->def, .plain = true, .pos = {"(default)", 0, 0}};
            cfg_node_t *def = &dn;
            if (p->def[0] == '{' || p->def[0] == '[')
                def = cfg_parse_string(ctx->arena, p->def, strlen(p->def), "(default)", ctx->diag);
            errs += def ? params_decode_value(p, def, obj, ctx, sub) : 1;
        }
    }
    errs += params_check_unknown(tab, n, map, ctx, path);
    return errs;
}

void params_describe(FILE *f, const param_t *tab, size_t n)
{
    fprintf(f, "| key | type | default | bounds | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const param_t *p = &tab[i];
        char type[200], bounds[80] = "", lo[32], hi[32];
        if (p->type == P_ENUM) {
            size_t k = (size_t)snprintf(type, sizeof type, "one of");
            for (size_t j = 0; p->choices[j] && k < sizeof type; j++)
                k += (size_t)snprintf(type + k, sizeof type - k, "%s `%s`", j ? "," : "", p->choices[j]);
        } else {
            snprintf(type, sizeof type, "%s", type_name(p));
        }
        bool numeric = p->type != P_STRING && p->type != P_ENUM && p->type != P_BOOL && p->type != P_CUSTOM &&
                       p->type != P_MAP;
        if (numeric && !(p->flags & PF_NO_BOUNDS)) {
            fmt_bound(p, p->min, lo, sizeof lo);
            fmt_bound(p, p->max, hi, sizeof hi);
            if (p->max >= 1e300)
                snprintf(bounds, sizeof bounds, "%s %s", (p->flags & PF_MIN_EXCL) ? ">" : ">=", lo);
            else
                snprintf(bounds, sizeof bounds, "%s%s to %s", (p->flags & PF_MIN_EXCL) ? "> " : "", lo, hi);
        }
        const char *def = (p->flags & PF_REQUIRED) ? "required" : p->def ? p->def : "none";
        fprintf(f, "| `%s` | %s | %s%s%s | %s | %s |\n", p->key, type, p->def ? "`" : "", def, p->def ? "`" : "",
                bounds, p->help ? p->help : "");
    }
}

static void tree(FILE *f, const char *title, const char *note, const char *prefix, const param_table_t *t)
{
    fprintf(f, "### %s\n\n", title);
    if (note)
        fprintf(f, "%s\n\n", note);
    params_describe(f, t->rows, t->n);
    for (size_t i = 0; i < t->n; i++) {
        const param_t *p = &t->rows[i];
        if (!p->sub)
            continue;
        char path[200], head[220];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", p->sub_name ? p->sub_name : p->key);
        snprintf(head, sizeof head, "`%s`", path);
        fputc('\n', f);
        tree(f, head, p->sub_note, path, p->sub);
    }
}

void params_describe_tree(FILE *f, const char *title, const char *prefix, const param_table_t *t)
{
    tree(f, title, NULL, prefix, t);
}

int params_decode_list(cfg_node_t *node, pctx_t *ctx, const char *path, const param_table_t *tab, size_t size,
                       void **out, size_t *n, size_t max)
{
    if (node->kind != CFG_SEQ || node->n > max) {
        diag_error(ctx->diag, node->pos, "%s: expected a list of at most %zu items, got %s", path, max,
                   node->kind == CFG_SEQ ? "more" : cfg_kind_name(node));
        return 1;
    }
    char *a = arena_alloc(ctx->arena, (node->n ? node->n : 1) * size);
    if (!a) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        errs += params_decode(tab->rows, tab->n, node->items[i], a + i * size, ctx, sub);
    }
    *out = a;
    *n = node->n;
    return errs;
}

int params_decode_names(cfg_node_t *node, pctx_t *ctx, const char *path, const char *what, const char ***names,
                        srcpos_t **pos, size_t *n)
{
    if (node->kind != CFG_SEQ) {
        diag_error(ctx->diag, node->pos, "%s: expected a list of %ss, got %s", path, what, cfg_kind_name(node));
        return 1;
    }
    size_t cap = node->n ? node->n : 1;
    const char **nm = arena_alloc(ctx->arena, cap * sizeof *nm);
    srcpos_t *ps = arena_alloc(ctx->arena, cap * sizeof *ps);
    if (!nm || !ps) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        char article[80];
        snprintf(article, sizeof article, "a %s", what);
        nm[i] = params_scalar(node->items[i], ctx, sub, article);
        ps[i] = node->items[i]->pos;
        errs += !nm[i];
    }
    *names = nm;
    *pos = ps;
    *n = node->n;
    return errs;
}
