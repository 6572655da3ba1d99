/* Replays the fuzz corpora through the readers' harness (tests/fuzz/
 * harness.h), and deterministic mutants of them, so that `make test` (and
 * its sanitizer runs) exercise hostile input without a fuzzer installed.
 *
 * One table row per fuzz target: its checked-in corpus (tests/fuzz/
 * corpus-NAME/, the seeds written for it and the inputs fuzzing found) and
 * the repository's own fixtures for that reader. Each file is read as is,
 * then MUTANTS times mutated by a seeded generator: byte flips, deletions,
 * duplications, truncations and insertions of tokens (YAML: anchors,
 * aliases, tags, tabs; values: huge numbers, units; CSV: separators, line
 * ends; overrides: `=`, `.`). `make fuzz` reads the same directories as
 * seeds (its FUZZ_SEEDS_NAME in the Makefile).
 *
 * The check itself is tested too: it must refuse unlocated messages and
 * silent failures, and accept file names holding a `:`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/rng.h"
#include "tests/fuzz/harness.h"

#define MUTANTS 200
/* Seeds at the loaders' limits (named limit_*: 200,000 nodes through
 * aliases, merge keys, 100 KB cells) cost many times an ordinary input:
 * their mutants are fewer, to keep this test to seconds. */
#define MAX_INPUT (512 * 1024)
#define LARGE_INPUT (64 * 1024)
#define LARGE_MUTANTS 10
/* The run target's: a run of up to FUZZ_RUN_EVENTS events costs tens of
 * loads. */
#define RUN_MUTANTS 12

static const char *const tokens[] = {
    ":", ": ", "- ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: *a", "!!str ", "!!map ", "\t", "'", "\"", "~",
    "null", "1e400", "-1", "0", "-0", "9999999999999999999", "0x10", "nan", ".inf", "1d", "5ms", "/s", "/min",
    "3.2/m", "500m", "512Mi", "services:", "web:", "traffic:", "rate:", "profile:", "- {at: 0s, rate: 1/s}",
    "dist:", "exponential", "empirical", "file: /dev/null", "calls: [web]", "weights: [1, 2]",
    "load_balancer: ip_hash", "replicas: 10000", "queue_capacity: 0", "\n", "\n  ", "---\n", "...\n", "#", "%YAML 1.1\n",
    "\xff", "\xc3\x28", "\xef\xbb\xbf", "\r\n", "\r", "=", ".", "services.web.", "seed=", ",,", "time,metric,value\n",
    "\0"};
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

typedef int (*fuzz_fn)(const uint8_t *, size_t);

/* Replays the regular files of dir whose names contain suffix (NULL: all). */
static int replay_with(const char *dir, const char *suffix, fuzz_fn prop, int nmutants, int *files, int *mutants)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    static uint8_t buf[MAX_INPUT], mut[MAX_INPUT];
    struct dirent *e;
    int failures = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || (suffix && !strstr(e->d_name, suffix)))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        (*files)++;
        if (prop(buf, n) != 0) {
            printf("property violated by %s\n", path);
            failures++;
        }
        prng_t p = {0};
        for (const char *c = e->d_name; *c; c++)
            p.s = p.s * 131 + (unsigned char)*c;
        int nm = n > LARGE_INPUT || strncmp(e->d_name, "limit_", 6) == 0 ? LARGE_MUTANTS : nmutants;
        *mutants += nm;
        for (int i = 0; i < nm; i++) {
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

/* A fuzz target's corpus: its own directory and the fixtures it reads. */
typedef struct {
    const char *dir, *suffix;
} seed_dir_t;

typedef struct {
    const char *name;
    fuzz_fn prop;
    int min_files;        /* fewer means a directory went missing */
    seed_dir_t dirs[6];
    int mutants;          /* per file (0: MUTANTS) */
} target_t;

static const target_t targets[] = {
    {"scenario", fuzz_scenario_input, 40,
     {{"tests/fuzz/corpus-scenario", NULL}, {"tests/scenarios/bad", ".yaml"}, {"scenarios", ".yaml"}}},
    {"k8s", fuzz_k8s_input, 30,
     {{"tests/fuzz/corpus-k8s", NULL},
      {"scenarios/manifests", ".yaml"},
      {"tests/hpa/bad", ".yaml"},
      {"tests/hpa/warn", ".yaml"},
      {"tests/hpa/traces", ".hpa.yaml"},
      {"tests/k8s", ".yaml"}}},
    {"set", fuzz_set_input, 8, {{"tests/fuzz/corpus-set", NULL}}},
    {"empirical", fuzz_empirical_input, 5, {{"tests/fuzz/corpus-empirical", NULL}}},
    {"metrics", fuzz_metrics_input, 12, {{"tests/fuzz/corpus-metrics", NULL}, {"tests/hpa/traces", ".metrics.csv"}}},
    {"trace", fuzz_trace_input, 6, {{"tests/fuzz/corpus-trace", NULL}, {"tests/traces", ".csv"}}},
    {"results", fuzz_results_input, 5, {{"tests/fuzz/corpus-results", NULL}, {"tests/view", ".csv"}}},
    /* runs cost far more than loads: fewer mutants (most of which do not
     * load anyway) */
    {"run", fuzz_run_input, 13, {{"tests/fuzz/corpus-run", NULL}, {"scenarios", ".yaml"}}, RUN_MUTANTS},
};

static void replay_target(const target_t *t)
{
    int files = 0, mutants = 0, failures = 0;
    for (size_t i = 0; i < sizeof t->dirs / sizeof t->dirs[0] && t->dirs[i].dir; i++)
        failures += replay_with(t->dirs[i].dir, t->dirs[i].suffix, t->prop, t->mutants ? t->mutants : MUTANTS, &files,
                                &mutants);
    printf("%s: replayed %d files and %d mutants\n", t->name, files, mutants);
    assert_true(files >= t->min_files);
    assert_int_equal(failures, 0);
}

static void test_scenario_corpus(void **state)
{
    (void)state;
    replay_target(&targets[0]);
}

static void test_run_corpus(void **state)
{
    (void)state;
    replay_target(&targets[7]);
}

static void test_k8s_corpus(void **state)
{
    (void)state;
    replay_target(&targets[1]);
}

static void test_set_corpus(void **state)
{
    (void)state;
    replay_target(&targets[2]);
}

static void test_empirical_corpus(void **state)
{
    (void)state;
    replay_target(&targets[3]);
}

static void test_metrics_corpus(void **state)
{
    (void)state;
    replay_target(&targets[4]);
}

static void test_trace_corpus(void **state)
{
    (void)state;
    replay_target(&targets[5]);
}

static void test_results_corpus(void **state)
{
    (void)state;
    replay_target(&targets[6]);
}

/* ---- the check itself ------------------------------------------------------ */

static int check_one(bool loaded, srcpos_t pos, const char *msg, const fuzz_names_t *nm)
{
    diag_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    if (msg)
        diag_error(d, pos, "%s", msg);
    int rc = fuzz_check(d, loaded, nm);
    free(d);
    return rc;
}

/* A message must start with a name the input may name, then a place. */
static void test_check_refuses(void **state)
{
    (void)state;
    const char *labels[] = {"--set[1]"}, *sets[] = {"services.web.replicas=0"};
    fuzz_names_t nm = {"in:put.yaml", labels, sets, 1, "services: {web: {deployment: x.yaml}}\n", true};
    /* accepted: the input's name (with its ':'), the label, file-level */
    assert_int_equal(check_one(false, (srcpos_t){"in:put.yaml", 3, 7}, "bad", &nm), 0);
    assert_int_equal(check_one(false, (srcpos_t){"in:put.yaml", 0, 0}, "too large", &nm), 0);
    assert_int_equal(check_one(false, (srcpos_t){"--set[1]", 1, 23}, "must be >= 1", &nm), 0);
    assert_int_equal(check_one(true, (srcpos_t){0}, NULL, &nm), 0);
    /* refused: no place, another file, a name cut short, a silent failure,
     * errors from a load that succeeded, a file named but absent */
    assert_int_equal(check_one(false, (srcpos_t){NULL, 0, 0}, "services.web: bad", &nm), -1);
    assert_int_equal(check_one(false, (srcpos_t){"other.yaml", 1, 1}, "bad", &nm), -1);
    assert_int_equal(check_one(false, (srcpos_t){"in", 1, 1}, "bad", &nm), -1);
    assert_int_equal(check_one(false, (srcpos_t){0}, NULL, &nm), -1);
    assert_int_equal(check_one(true, (srcpos_t){"in:put.yaml", 1, 1}, "bad", &nm), -1);
    assert_int_equal(check_one(false, (srcpos_t){"./x.yaml", 1, 1}, "bad", &nm), -1);
    /* a message cut at its slot's end, inside a long name: still its name */
    char longname[1200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    fuzz_names_t ln = {longname, NULL, NULL, 0, NULL, true};
    assert_int_equal(check_one(false, (srcpos_t){longname, 1, 1}, "bad", &ln), 0);
    longname[5] = 'b';
    assert_int_equal(check_one(false, (srcpos_t){longname, 1, 1}, "bad", &nm), -1);
}

/* The false stop of the first harness: a file the input names, with a ':'
 * in its name, fails to load. Its errors start with its name, where the old
 * check took the first ':' for the end of the name ("/tmp/.../web", then
 * "v2 deployment.yaml:4:19: ...", no place) and stopped the fuzzer. */
static void test_colon_in_named_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/clustersim-fuzz-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/web:v2 deployment.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: [}\n", f);
    fclose(f);
    char text[512];
    snprintf(text, sizeof text, "services:\n  web:\n    deployment: '%s'\n", path);
    diag_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    scenario_t *sc = scenario_load_string(text, "fuzz:scenario.yaml", NULL, 0, d);
    assert_null(sc);
    assert_true(d->n > 0);
    assert_int_equal(strncmp(d->msgs[0].text, path, strlen(path)), 0);
    free(d);
    assert_int_equal(fuzz_scenario_input((const uint8_t *)text, strlen(text)), 0);
    /* the --set target naming the same file, and a label with a value
     * holding ':' */
    char set[512];
    snprintf(set, sizeof set, "services.web.autoscaler.manifest=%s\nseed=x:1", path);
    assert_int_equal(fuzz_set_input((const uint8_t *)set, strlen(set)), 0);
    unlink(path);
    rmdir(dir);
}

/* A file the input names that is not there: the error is at the key that
 * names it, in the input (issue 6, class 3), not at the absent file. */
static void test_missing_named_file_at_key(void **state)
{
    (void)state;
    const char *text = "services:\n  web:\n    deployment: 'no:such/deployment.yaml'\n";
    assert_int_equal(fuzz_scenario_input((const uint8_t *)text, strlen(text)), 0);
    text = "services:\n  web:\n    autoscaler: {kind: hpa, manifest: no-such-hpa.yaml}\n";
    assert_int_equal(fuzz_scenario_input((const uint8_t *)text, strlen(text)), 0);
    text = "services.web.autoscaler.manifest=no-such-hpa.yaml";
    assert_int_equal(fuzz_set_input((const uint8_t *)text, strlen(text)), 0);
}

/* The --set target's base scenario loads as it is (else every override
 * would fail, and the target would test nothing). */
static void test_set_base_loads(void **state)
{
    (void)state;
    diag_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    scenario_t *sc = scenario_load(FUZZ_SET_BASE, NULL, 0, d);
    if (!sc)
        diag_print(d, stdout);
    assert_non_null(sc);
    assert_int_equal(d->errors, 0);
    scenario_free(sc);
    free(d);
}

/* Some seeds load, so each target reaches past its readers' error paths
 * (the k8s and empirical targets load each input twice: two modes, two
 * columns; a second column is missing in durations.csv). */
static void test_seeds_load(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        fuzz_fn fn;
        unsigned long loads;
    } seeds[] = {
        {"scenarios/quickstart.yaml", fuzz_scenario_input, 1},
        {"tests/fuzz/corpus-scenario/calls_profile.yaml", fuzz_scenario_input, 1},
        {"tests/fuzz/corpus-k8s/behavior_policies.yaml", fuzz_k8s_input, 2},
        {"tests/fuzz/corpus-set/replicas", fuzz_set_input, 1},
        {"tests/fuzz/corpus-set/dist_seed_duration", fuzz_set_input, 1},
        {"tests/fuzz/corpus-empirical/durations.csv", fuzz_empirical_input, 1},
        {"tests/fuzz/corpus-empirical/header_two_columns.csv", fuzz_empirical_input, 2},
        {"tests/fuzz/corpus-metrics/every_metric.csv", fuzz_metrics_input, 1},
    };
    static uint8_t buf[MAX_INPUT];
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        FILE *f = fopen(seeds[i].path, "rb");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        unsigned long before = fuzz_loads;
        assert_int_equal(seeds[i].fn(buf, n), 0);
        if (fuzz_loads - before != seeds[i].loads)
            printf("%s: %lu loads, expected %lu\n", seeds[i].path, fuzz_loads - before, seeds[i].loads);
        assert_int_equal(fuzz_loads - before, seeds[i].loads);
    }
}

/* 200,001 nodes without an alias: a flow list of 400 KB, past the node
 * limit, fails at a place in the input. Built here rather than kept as a
 * seed: a seed that size slows `make fuzz` on the scenario target 17-fold. */
static void test_node_limit_flat(void **state)
{
    (void)state;
    size_t n = 200001, len = 0;
    char *big = malloc(2 * n + 64);
    assert_non_null(big);
    len += (size_t)sprintf(big, "services: {web: {weights: [");
    for (size_t i = 0; i < n; i++)
        big[len++] = '0', big[len++] = ',';
    len += (size_t)sprintf(big + len - 1, "]}}\n") - 1;
    diag_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    scenario_t *sc = scenario_load_string(big, "big.yaml", NULL, 0, d);
    assert_null(sc);
    assert_true(d->n > 0 && strncmp(d->msgs[0].text, "big.yaml:", 9) == 0);
    printf("%s\n", d->msgs[0].text);
    free(d);
    assert_int_equal(fuzz_scenario_input((const uint8_t *)big, len), 0);
    free(big);
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
        cmocka_unit_test(test_check_refuses),
        cmocka_unit_test(test_colon_in_named_file),
        cmocka_unit_test(test_missing_named_file_at_key),
        cmocka_unit_test(test_set_base_loads),
        cmocka_unit_test(test_seeds_load),
        cmocka_unit_test(test_hostile_inputs),
        cmocka_unit_test(test_node_limit_flat),
        cmocka_unit_test(test_scenario_corpus),
        cmocka_unit_test(test_k8s_corpus),
        cmocka_unit_test(test_set_corpus),
        cmocka_unit_test(test_empirical_corpus),
        cmocka_unit_test(test_metrics_corpus),
        cmocka_unit_test(test_trace_corpus),
        cmocka_unit_test(test_results_corpus),
        cmocka_unit_test(test_run_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
