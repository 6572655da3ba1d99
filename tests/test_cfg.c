/* The YAML loader (sim/cfg.c) under hostile input.
 *
 * Cost: each hostile shape is generated at a size n and at 8 n, and loaded
 * three times at each size. The memory the loader keeps (the arena's bytes,
 * deterministic) must grow at most like the input: a ratio under 12 for 8x
 * the input (8 for the input plus the arena's 64 KiB block rounding). The
 * CPU time (the least of three loads) must grow less than 32x: linear is 8,
 * and caches, which hold the small input but not the large one, were seen to
 * add up to 2.6x more on this kind of machine; a quadratic step, as the
 * loader had before (libyaml's loader with a linear anchor scan, a pair
 * array copied for every merged key, a duplicate-key scan per key), gives 64
 * and more. These are ratios between two sizes in one process, not
 * wall-clock limits.
 *
 * Memory bound: the largest inputs under the size cap stay within the bound
 * the header of sim/cfg.c states: 2 L + 200,000 x 128 bytes (+ 1 MiB of
 * block slack) for a text of L bytes.
 *
 * Location: libyaml's reader errors (control characters, invalid UTF-8) used
 * to come out at 1:1; they must point at the offending character, in a file
 * and in a --set value. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>

#include "sim/cfg.h"

/* ---- a growable text buffer ---- */

typedef struct buf {
    char *s;
    size_t n, cap;
} buf_t;

static void put(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(k >= 0);
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = 2 * (b->n + (size_t)k + 1);
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* ---- hostile shapes, each of size ~n ---- */

static void gen_nested(buf_t *b, int n)
{
    for (int i = 0; i < n; i++)
        put(b, "[");
}

static void gen_keys(buf_t *b, int n)
{
    for (int i = 0; i < n; i++)
        put(b, "k%d: %d\n", i, i);
}

static void gen_merge(buf_t *b, int n)
{
    put(b, "base: &b {");
    for (int i = 0; i < n; i++)
        put(b, "%sk%d: 1", i ? ", " : "", i);
    put(b, "}\nx:\n  <<: *b\n  k0: 2\n");
}

static void gen_merge_list(buf_t *b, int n)
{
    for (int i = 0; i < n; i++)
        put(b, "a%d: &a%d {k%d: 1}\n", i, i, i);
    put(b, "x:\n  <<: [");
    for (int i = 0; i < n; i++)
        put(b, "%s*a%d", i ? ", " : "", i);
    put(b, "]\n");
}

static void gen_list(buf_t *b, int n)
{
    put(b, "x:\n");
    for (int i = 0; i < n; i++)
        put(b, "- a\n");
}

static void gen_anchors(buf_t *b, int n)
{
    for (int i = 0; i < n; i++)
        put(b, "k%d: &a%d %d\n", i, i, i);
    for (int i = 0; i < n; i++)
        put(b, "r%d: *a%d\n", i, n - 1 - i);
}

static void gen_documents(buf_t *b, int n)
{
    for (int i = 0; i < n; i++)
        put(b, "---\nk: %d\n", i);
}

static void gen_flow(buf_t *b, int n)
{
    put(b, "x: [");
    for (int i = 0; i < n; i++)
        put(b, "%s{a: %d}", i ? "," : "", i);
    put(b, "]\n");
}

typedef struct shape {
    const char *name;
    void (*gen)(buf_t *, int);
    int n;          /* the small size; 8 n stays under the node limit */
} shape_t;

static const shape_t shapes[] = {
    {"nested [", gen_nested, 100000},  {"keys in one mapping", gen_keys, 10000},
    {"merged keys", gen_merge, 5000},  {"a list of merges", gen_merge_list, 3000},
    {"a long list", gen_list, 20000},  {"anchors and aliases", gen_anchors, 5000},
    {"documents", gen_documents, 8000}, {"a long flow list", gen_flow, 5000},
};

typedef struct cost {
    double cpu_s;
    size_t bytes;
} cost_t;

static cost_t load_cost(const char *text, size_t len)
{
    double t[3];
    size_t bytes = 0;
    for (int r = 0; r < 3; r++) {
        arena_t *a = arena_new();
        assert_non_null(a);
        diag_t *d = calloc(1, sizeof *d);
        assert_non_null(d);
        cfg_node_t **docs;
        size_t ndocs;
        clock_t c0 = clock();
        (void)cfg_parse_text_all(a, text, len, "hostile.yaml", &docs, &ndocs, d);
        t[r] = (double)(clock() - c0) / CLOCKS_PER_SEC;
        assert_false(d->oom);
        bytes = arena_bytes(a);
        arena_free(a);
        free(d);
    }
    /* the least of three: noise from other work on the machine only adds */
    double least = t[0] < t[1] ? t[0] : t[1];
    return (cost_t){least < t[2] ? least : t[2], bytes};
}

static void test_cost_grows_linearly(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        buf_t small = {0}, big = {0};
        shapes[i].gen(&small, shapes[i].n);
        shapes[i].gen(&big, 8 * shapes[i].n);
        cost_t cs = load_cost(small.s, small.n), cb = load_cost(big.s, big.n);
        /* a floor of 1 ms keeps a near-zero time from making a huge ratio */
        double tr = (cb.cpu_s > 1e-3 ? cb.cpu_s : 1e-3) / (cs.cpu_s > 1e-3 ? cs.cpu_s : 1e-3);
        double mr = (double)cb.bytes / (double)cs.bytes;
        printf("  %-22s %8zu -> %8zu bytes: cpu %.4fs -> %.4fs (x%.1f), memory %zu -> %zu (x%.1f)\n",
               shapes[i].name, small.n, big.n, cs.cpu_s, cb.cpu_s, tr, cs.bytes, cb.bytes, mr);
        if (!(tr < 32))
            fail_msg("%s: cpu time grew x%.1f for 8x the input", shapes[i].name, tr);
        if (!(mr < 12))
            fail_msg("%s: memory grew x%.1f for 8x the input", shapes[i].name, mr);
        free(small.s);
        free(big.s);
    }
}

/* The largest inputs under the 16 MiB cap stay within the stated bound. */
static void test_memory_bound_near_the_cap(void **state)
{
    (void)state;
    const size_t target = (size_t)15 << 20;
    for (int kind = 0; kind < 4; kind++) {
        buf_t b = {0};
        if (kind == 0) { /* one huge scalar */
            put(&b, "a: ");
            while (b.n < target)
                put(&b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        } else if (kind == 1) { /* long keys up to the node limit, then more */
            for (int i = 0; b.n < target; i++)
                put(&b, "k%d_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: v\n", i);
        } else if (kind == 2) { /* billion laughs */
            put(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
            for (int i = 1; i < 9; i++) {
                put(&b, "a%d: &a%d [", i, i);
                char prev[16];
                snprintf(prev, sizeof prev, i == 1 ? "a" : "a%d", i - 1);
                for (int j = 0; j < 10; j++)
                    put(&b, "%s*%s", j ? ", " : "", prev);
                put(&b, "]\n");
            }
        } else { /* many small documents */
            while (b.n < target)
                put(&b, "---\n[a, b, c]\n");
        }
        arena_t *a = arena_new();
        diag_t *d = calloc(1, sizeof *d);
        assert_non_null(a);
        assert_non_null(d);
        cfg_node_t **docs;
        size_t ndocs;
        (void)cfg_parse_text_all(a, b.s, b.n, "big.yaml", &docs, &ndocs, d);
        size_t bound = 2 * b.n + (size_t)200000 * 128 + ((size_t)1 << 20);
        printf("  input %zu bytes: %zu bytes kept (bound %zu)%s%s\n", b.n, arena_bytes(a), bound,
               d->n ? "; " : "", d->n ? d->msgs[0].text : "");
        assert_true(arena_bytes(a) <= bound);
        arena_free(a);
        free(d);
        free(b.s);
    }
}

/* The first error of loading text, or "" when it loads. */
static const char *first_error(diag_t *d, const char *text)
{
    arena_t *a = arena_new();
    assert_non_null(a);
    diag_init(d);
    cfg_node_t *root = cfg_parse_string(a, text, strlen(text), "t.yaml", d);
    arena_free(a);
    return root ? "" : d->msgs[0].text;
}

static void expect(const char *text, const char *want)
{
    diag_t d;
    const char *got = first_error(&d, text);
    if (strcmp(got, want) != 0)
        fail_msg("for %s\n  want: %s\n  got:  %s", text, want, got);
}

static void test_reader_errors_are_located(void **state)
{
    (void)state;
    expect("a: 1\nb: [1, 2\x07]\n", "t.yaml:2:9: control characters are not allowed (U+0007)");
    expect("a: 1\n# caf\xc3\xa9\nw\xff: 1\n", "t.yaml:3:2: invalid leading UTF-8 octet (byte 0xFF)");
    /* columns count characters, as libyaml's marks do: é is one */
    expect("k: \xc3\xa9\xc3\xa9\x01\n", "t.yaml:1:6: control characters are not allowed (U+0001)");
    /* a byte-order mark is not a column */
    expect("\xEF\xBB\xBFk: \x02\n", "t.yaml:1:4: control characters are not allowed (U+0002)");
    expect("k: \"a\\0b\"\n", "t.yaml:1:4: a NUL character inside a scalar");
}

static void test_set_reader_error_column(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    diag_t d;
    diag_init(&d);
    cfg_node_t *root = cfg_parse_string(a, "x: 1\n", 5, "t.yaml", &d);
    assert_non_null(root);
    /* "x=ab\x07": the control character is the option's 5th character */
    assert_int_equal(cfg_apply_set(a, root, "x=ab\x07", "--set", false, &d), -1);
    assert_string_equal(d.msgs[0].text, "--set:1:5: control characters are not allowed (U+0007)");
    arena_free(a);
}

static void test_aliases(void **state)
{
    (void)state;
    expect("a: *nope\n", "t.yaml:1:4: undefined alias '*nope'");
    expect("a: &a [1, *a]\n", "t.yaml:1:11: a recursive alias: '*a' is inside the collection it names");
    expect("a: &x 1\nb: &x 2\n", "t.yaml:2:4: anchor 'x' (first defined at line 1) is defined twice");
    expect("? [a]\n: 1\n", "t.yaml:1:3: a mapping key must be a scalar");
    expect("a: &m {k: 1}\n*m : 2\n", "t.yaml:2:1: a mapping key must be a scalar");
    expect("a: {k: 1, k: 2}\n", "t.yaml:1:11: duplicate key 'k' (first at line 1)");
    expect("x: 1\n<<: [1]\n", "t.yaml:2:6: a merge key (<<) takes a mapping or a list of mappings, got a scalar");

    /* an alias is a copy: a key marked used, or a --set, in one place leaves the other alone */
    arena_t *a = arena_new();
    diag_t d;
    diag_init(&d);
    const char *t = "a: &s {k: 1}\nb: *s\nc: &v scalar\nd: *v\n";
    cfg_node_t *root = cfg_parse_string(a, t, strlen(t), "t.yaml", &d);
    assert_non_null(root);
    cfg_node_t *ma = cfg_get(root, "a"), *mb = cfg_get(root, "b");
    assert_true(ma != mb && ma->pairs != mb->pairs);
    assert_non_null(cfg_get(ma, "k"));
    assert_false(mb->pairs[0].used);
    assert_int_equal(cfg_apply_set(a, root, "b.k=2", "--set", false, &d), 0);
    assert_string_equal(cfg_get(ma, "k")->str, "1");
    assert_string_equal(cfg_get(mb, "k")->str, "2");
    /* the copy keeps the anchored original's position */
    assert_int_equal(cfg_get(root, "d")->pos.line, 3);
    assert_string_equal(cfg_get(root, "d")->str, "scalar");
    arena_free(a);

    /* merge keys: explicit keys win, then the earlier merged mapping */
    a = arena_new();
    t = "p: &p {x: 1, y: 1}\nq: &q {y: 2, z: 2}\nm:\n  <<: [*p, *q]\n  x: 0\n";
    root = cfg_parse_string(a, t, strlen(t), "t.yaml", &d);
    assert_non_null(root);
    cfg_node_t *m = cfg_get(root, "m");
    assert_int_equal(m->n, 3);
    assert_string_equal(cfg_get(m, "x")->str, "0");
    assert_string_equal(cfg_get(m, "y")->str, "1");
    assert_string_equal(cfg_get(m, "z")->str, "2");
    arena_free(a);
}

static void test_depth_limit(void **state)
{
    (void)state;
    buf_t ok = {0}, deep = {0};
    for (int i = 0; i < 64; i++)
        put(&ok, "[");
    put(&ok, "x");
    for (int i = 0; i < 64; i++)
        put(&ok, "]");
    diag_t d;
    assert_string_equal(first_error(&d, ok.s), "");
    /* 65 collections (depths 0 to 64) are fine; a 66th, or a scalar inside the 65th, is not */
    for (int i = 0; i < 66; i++)
        put(&deep, "[");
    assert_string_equal(first_error(&d, deep.s), "t.yaml:1:66: nesting deeper than 64 levels");
    deep.n = 65;
    put(&deep, "x");
    assert_string_equal(first_error(&d, deep.s), "t.yaml:1:66: nesting deeper than 64 levels");
    /* an alias whose copy would go past the limit is refused where it is used */
    buf_t al = {0};
    put(&al, "a: &a [[[[x]]]]\nb: ");
    for (int i = 0; i < 60; i++)
        put(&al, "[");
    put(&al, "*a");
    for (int i = 0; i < 60; i++)
        put(&al, "]");
    put(&al, "\n");
    assert_string_equal(first_error(&d, al.s), "t.yaml:2:64: nesting deeper than 64 levels");
    free(ok.s);
    free(deep.s);
    free(al.s);
}

static void expect_set(const char *assign, const char *want)
{
    arena_t *a = arena_new();
    diag_t d;
    diag_init(&d);
    cfg_node_t *root = cfg_parse_string(a, "s: {w: 1}\nl: [1, 2]\n", 19, "t.yaml", &d);
    assert_non_null(root);
    int rc = cfg_apply_set(a, root, assign, "--set", false, &d);
    const char *got = rc == 0 ? "" : d.msgs[0].text;
    if (strcmp(got, want) != 0)
        fail_msg("for --set %s\n  want: %s\n  got:  %s", assign, want, got);
    arena_free(a);
}

static void test_set_paths(void **state)
{
    (void)state;
    expect_set("s.w=3", "");
    expect_set("l.1=3", "");
    expect_set("s.w.=3", "--set:1:5: empty path component");
    expect_set("s..w=3", "--set:1:3: empty path component");
    expect_set(".s=3", "--set:1:1: empty path component");
    expect_set("l.2=3", "--set:1:3: '2': expected an index from 0 to 1");
    expect_set("l.+1=3", "--set:1:3: '+1': expected an index from 0 to 1");
    expect_set("l. 1=3", "--set:1:3: ' 1': expected an index from 0 to 1");
    expect_set("l.99999999999999999999999=3", "--set:1:3: '99999999999999999999999': expected an index from 0 to 1");
    expect_set("=3", "--set:1:1: expected PATH=VALUE, e.g. services.web.replicas=4");
}

/* A merge patch (cfg_merge_patch): maps by key, a map of indexes into a
 * list item by item, nulls remove keys (also inside a map that is added),
 * anything else replaces; patched nodes keep the patch's positions. */
static cfg_node_t *path_get(cfg_node_t *n, const char *a, const char *b, long i, const char *c)
{
    n = cfg_get(n, a);
    if (b)
        n = cfg_get(n, b);
    if (i >= 0)
        n = n && n->kind == CFG_SEQ && (size_t)i < n->n ? n->items[i] : NULL;
    return c ? cfg_get(n, c) : n;
}

static const char *merge(arena_t *a, const char *target, const char *patch, cfg_node_t **out)
{
    static diag_t d;
    diag_init(&d);
    cfg_node_t *t = cfg_parse_string(a, target, strlen(target), "t.yaml", &d);
    cfg_node_t *p = cfg_parse_string(a, patch, strlen(patch), "p.yaml", &d);
    assert_true(t && p);
    int rc = cfg_merge_patch(a, &t, p, "", &d);
    *out = t;
    return rc == 0 ? "" : d.msgs[0].text;
}

static void test_merge_patch(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    assert_non_null(a);
    cfg_node_t *t;
    assert_string_equal(merge(a, "a: {x: 1, y: [{p: 1}, {p: 2}], z: 3}\nb: keep\n",
                              "a: {x: 5, y: {1: {p: 9, q: 7}}, z: null, w: {k: ~, m: 2}}\nc: [1, 2]\n", &t),
                        "");
    assert_string_equal(path_get(t, "a", "x", -1, NULL)->str, "5");
    assert_int_equal(path_get(t, "a", "x", -1, NULL)->pos.line, 1); /* the patch's */
    assert_string_equal(path_get(t, "a", "y", 0, "p")->str, "1");
    assert_string_equal(path_get(t, "a", "y", 1, "p")->str, "9");
    assert_string_equal(path_get(t, "a", "y", 1, "q")->str, "7");
    assert_null(path_get(t, "a", "z", -1, NULL));
    assert_null(path_get(t, "a", "w", -1, "k"));
    assert_string_equal(path_get(t, "a", "w", -1, "m")->str, "2");
    assert_int_equal(path_get(t, "a", "w", -1, NULL)->n, 1);
    assert_string_equal(path_get(t, "b", NULL, -1, NULL)->str, "keep");
    assert_int_equal(path_get(t, "c", NULL, -1, NULL)->n, 2);
    /* a scalar or a list replaces whatever was there */
    assert_string_equal(merge(a, "a: {x: 1}\n", "a: [3]\n", &t), "");
    assert_true(path_get(t, "a", NULL, -1, NULL)->kind == CFG_SEQ);
    /* errors, at the patch */
    assert_string_equal(merge(a, "a: {y: [1, 2]}\n", "a: {y: {2: 5}}\n", &t),
                        "p.yaml:1:9: a.y: the list has 2 items, no item 2");
    assert_string_equal(merge(a, "a: {y: [1, 2]}\n", "a: {y: {0: null}}\n", &t),
                        "p.yaml:1:12: a.y.0: an item of a list cannot be removed by a patch");
    arena_free(a);
}

/* A patch of n keys into a mapping of n keys (half of them shared): the
 * merge's cost grows with the sizes, not with their product (as
 * test_cost_grows_linearly: 8 times the keys must cost under 32 times the
 * time, where a scan per key would cost 64). */
static double merge_cost(int n)
{
    buf_t tb = {0}, pb = {0};
    for (int i = 0; i < n; i++) {
        put(&tb, "k%d: %d\n", i, i);
        put(&pb, "k%d: %d\n", i + n / 2, -i);
    }
    double least = 1e30;
    for (int r = 0; r < 3; r++) {
        arena_t *a = arena_new();
        assert_non_null(a);
        diag_t *d = calloc(1, sizeof *d);
        assert_non_null(d);
        cfg_node_t *t = cfg_parse_string(a, tb.s, tb.n, "t.yaml", d), *p = cfg_parse_string(a, pb.s, pb.n, "p.yaml", d);
        assert_true(t && p);
        clock_t c0 = clock();
        assert_int_equal(cfg_merge_patch(a, &t, p, "", d), 0);
        double c = (double)(clock() - c0) / CLOCKS_PER_SEC;
        least = c < least ? c : least;
        assert_int_equal(t->n, (size_t)n + (size_t)(n / 2));
        arena_free(a);
        free(d);
    }
    free(tb.s), free(pb.s);
    return least > 1e-3 ? least : 1e-3;
}

static void test_merge_patch_linear(void **state)
{
    (void)state;
    double small = merge_cost(10000), big = merge_cost(80000);
    printf("  merge patch: 10000 -> 80000 keys: cpu %.4fs -> %.4fs (x%.1f)\n", small, big, big / small);
    if (!(big / small < 32))
        fail_msg("a merge patch's time grew x%.1f for 8x the keys", big / small);
}

int main(void)
{
    /* Keep freed memory mapped, so that the repeated loads time the loader
     * rather than the kernel's page faults on memory handed back and taken
     * again (which grow with the size and would blur the ratio). */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_grows_linearly),     cmocka_unit_test(test_memory_bound_near_the_cap),
        cmocka_unit_test(test_reader_errors_are_located), cmocka_unit_test(test_set_reader_error_column),
        cmocka_unit_test(test_aliases),                 cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_set_paths),               cmocka_unit_test(test_merge_patch),
        cmocka_unit_test(test_merge_patch_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
