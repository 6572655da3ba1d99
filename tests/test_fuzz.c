/* Replays the fuzz corpus through the scenario loader's harness, and
 * deterministic mutants of it (so that `make test`, and its sanitizer runs,
 * exercise hostile input without a fuzzer installed).
 *
 * Corpus: tests/fuzz/corpus/, tests/scenarios/bad/ and scenarios/ for the
 * scenario loader; the manifests of scenarios/manifests/, tests/hpa/ and
 * tests/k8s/ for the Kubernetes manifest reader. Each file
 * is loaded as is, then MUTANTS times mutated by a seeded generator: byte
 * flips, deletions, duplications, truncations and insertions of YAML and
 * scenario tokens (anchors, aliases, tags, tabs, huge numbers, units). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/k8s.h"
#include "sim/rng.h"
#include "tests/fuzz/harness.h"

#define MUTANTS 200
#define MAX_INPUT (64 * 1024)

static const char *const tokens[] = {
    ":", ": ", "- ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: *a", "!!str ", "!!map ", "\t", "'", "\"", "~",
    "null", "1e400", "-1", "0", "-0", "9999999999999999999", "0x10", "nan", ".inf", "1d", "5ms", "/s", "/min",
    "3.2/m", "500m", "512Mi", "services:", "web:", "traffic:", "rate:", "profile:", "- {at: 0s, rate: 1/s}",
    "dist:", "exponential", "empirical", "file: /dev/null", "calls: [web]", "weights: [1, 2]",
    "load_balancer: ip_hash", "replicas: 10000", "queue_capacity: 0", "\n", "\n  ", "---\n", "...\n", "#", "%YAML 1.1\n",
    "\xff", "\xc3\x28", "\0"};
#define NTOKENS (sizeof tokens / sizeof tokens[0])

typedef struct {
    uint64_t s;
} prng_t;

static uint64_t next(prng_t *p) { return rng_mix64(p->s++); }

static size_t mutate(prng_t *p, const uint8_t *in, size_t n, uint8_t *out)
{
    size_t len = n;
    memcpy(out, in, n);
    int ops = 1 + (int)(next(p) % 4);
    for (int k = 0; k < ops; k++) {
        size_t at = len ? next(p) % (len + 1) : 0;
        switch (next(p) % 5) {
        case 0: /* flip a byte */
            if (at < len)
                out[at] ^= (uint8_t)(1u << (next(p) % 8));
            break;
        case 1: { /* delete a range */
            size_t m = next(p) % 16;
            if (at + m > len)
                m = len - at;
            memmove(out + at, out + at + m, len - at - m);
            len -= m;
            break;
        }
        case 2: { /* duplicate a range */
            size_t m = next(p) % 64;
            if (at + m > len)
                m = len - at;
            if (len + m <= MAX_INPUT) {
                memmove(out + at + m, out + at, len - at);
                len += m;
            }
            break;
        }
        case 3: /* truncate */
            len = at;
            break;
        default: { /* insert a token */
            const char *t = tokens[next(p) % NTOKENS];
            size_t m = t[0] ? strlen(t) : 1;
            if (len + m <= MAX_INPUT) {
                memmove(out + at + m, out + at, len - at);
                memcpy(out + at, t, m);
                len += m;
            }
            break;
        }
        }
    }
    return len;
}

/* The manifest reader's property: a file loads, or fails with at least one
 * error positioned in it; never a crash or a leak. Mutants go through a
 * temporary file, as k8s_load reads files. */
static int manifest_input(const uint8_t *data, size_t size)
{
    static const char *path = "/tmp/clustersim-fuzz-manifest.yaml";
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    arena_t *a = arena_new();
    diag_t *d = calloc(1, sizeof *d);
    int rc = 0;
    if (a && d) {
        k8s_objects_t o;
        if (k8s_load(a, path, false, &o, d) != 0) {
            const char *m = NULL;
            for (size_t i = 0; i < d->n && !m; i++)
                if (!d->msgs[i].warning)
                    m = d->msgs[i].text;
            if (d->errors == 0 || !m || strncmp(m, path, strlen(path)) != 0)
                rc = -1;
        }
    }
    arena_free(a);
    free(d);
    return rc;
}

static int replay_with(const char *dir, int *files, int (*prop)(const uint8_t *, size_t), const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    static uint8_t buf[MAX_INPUT], mut[MAX_INPUT];
    struct dirent *e;
    int failures = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (n == 0 && !strstr(e->d_name, "yaml"))
            continue;
        if (suffix && !strstr(e->d_name, suffix))
            continue;
        (*files)++;
        if (prop(buf, n) != 0) {
            printf("property violated by %s\n", path);
            failures++;
        }
        prng_t p = {0};
        for (const char *c = e->d_name; *c; c++)
            p.s = p.s * 131 + (unsigned char)*c;
        for (int i = 0; i < MUTANTS; i++) {
            size_t m = mutate(&p, buf, n, mut);
            if (prop(mut, m) != 0) {
                printf("property violated by mutant %d of %s\n", i, path);
                failures++;
            }
        }
    }
    closedir(d);
    return failures;
}

static int replay_dir(const char *dir, int *files) { return replay_with(dir, files, fuzz_scenario_input, NULL); }

static void test_manifest_mutants(void **state)
{
    (void)state;
    int files = 0, failures = 0;
    failures += replay_with("scenarios/manifests", &files, manifest_input, ".yaml");
    failures += replay_with("tests/hpa/bad", &files, manifest_input, ".yaml");
    failures += replay_with("tests/hpa/traces", &files, manifest_input, ".hpa.yaml");
    failures += replay_with("tests/k8s", &files, manifest_input, ".yaml");
    printf("replayed %d manifests and %d mutants\n", files, files * MUTANTS);
    assert_true(files >= 20);
    assert_int_equal(failures, 0);
}

static void test_corpus_and_mutants(void **state)
{
    (void)state;
    int files = 0, failures = 0;
    failures += replay_dir("tests/fuzz/corpus", &files);
    failures += replay_dir("tests/scenarios/bad", &files);
    failures += replay_dir("scenarios", &files);
    printf("replayed %d corpus files and %d mutants\n", files, files * MUTANTS);
    assert_true(files >= 3);
    assert_int_equal(failures, 0);
}

/* Inputs that once needed care: each must fail cleanly with a position. */
static void test_hostile_inputs(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "",                                                   /* empty */
        "a: &a [*a]\n",                                       /* recursive alias */
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n", /* laughs */
        "services: {web: {replicas: 99999999999999999999}}\n", /* integer overflow */
        "duration: 1e400\nservices: {web: {}}\n",            /* float overflow */
        "services: {web: {service_time: {dist: empirical, file: /nonexistent}}}\n",
        "services: {web: {service_time: {dist: empirical, file: /dev/null}}}\n",
        "\xef\xbb\xbfservices: {web: {}}\n{",                 /* BOM and junk */
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        assert_int_equal(fuzz_scenario_input((const uint8_t *)inputs[i], strlen(inputs[i])), 0);
    /* and none of them loads */
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        diag_t d;
        diag_init(&d);
        scenario_t *sc = scenario_load_string(inputs[i], "h.yaml", NULL, 0, &d);
        if (sc)
            printf("unexpectedly loaded: input %zu\n", i);
        assert_null(sc);
        scenario_free(sc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_inputs),
        cmocka_unit_test(test_corpus_and_mutants),
        cmocka_unit_test(test_manifest_mutants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
