/* test_scenario: the scenario loader's contract.
 *
 * Bad input: every file of tests/scenarios/bad/ starts with
 *   # expect: LINE:COL: SUBSTRING
 * and must fail to load, its first error reading `PATH:LINE:COL: ...` with
 * SUBSTRING in the message. The positions were worked out by reading each
 * YAML file (1-based, the comment line is line 1), not copied from the
 * program's output; where the program disagrees, the file says why in a
 * trailing comment and the test fails on purpose.
 *
 * Good input: quickstart.yaml, the smallest scenario (every default), the
 * DESIGN.md `mm4` example, --set overrides, profiles with factors, calls
 * resolved to service indices. Values pinned here come from the parameter
 * tables (sim/scenario.c scenario_params, models/traffic.c traffic_params,
 * models/service.c service_params and decode_services) and from unit
 * arithmetic done by hand.
 *
 * Runs from the repository root (make test does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/catalog.h"
#include "models/service.h"
#include "sim/scenario.h"

#define BAD_DIR "tests/scenarios/bad"
#define MIN_BAD_FILES 20
#define EPS 1e-12

/* ---- helpers ---------------------------------------------------------------- */

/* cmocka 1.1.5 has no double comparison (assert_float_equal is in float). */
#define assert_double_close(a, b, eps) double_close((a), (b), (eps), #a, __FILE__, __LINE__)
static void double_close(double a, double b, double eps, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        fprintf(stderr, "%s:%d: %s is %.17g, expected %.17g (+- %g)\n", file, line, expr, a, b, eps);
        _fail(file, line);
    }
}

/* The first error (not a warning) kept in d, or NULL. */
static const char *first_error(const diag_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (!d->msgs[i].warning)
            return d->msgs[i].text;
    return NULL;
}

static void print_diag(const diag_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "    | %s\n", d->msgs[i].text);
}

/* Loads YAML text named `name`; on failure prints the diagnostics so that a
 * failing assertion says why. */
/* The station index of the station named `name`, or -1. */
static int station_index(const scenario_t *sc, const char *name)
{
    const station_cfg_t *c = scenario_station(sc, NULL, name);
    return c ? (int)c->index : -1;
}

static scenario_t *load_text(const char *yaml, const char *name, const char *const *sets, size_t nsets)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, name, sets, nsets, &d);
    if (!sc) {
        fprintf(stderr, "  %s did not load:\n", name);
        print_diag(&d);
    }
    return sc;
}

/* Loads text that must fail; returns a copy of the first error's text. */
static char *load_text_error(const char *yaml, const char *name, const char *const *sets, size_t nsets)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, name, sets, nsets, &d);
    if (sc) {
        fprintf(stderr, "  %s loaded but should not have\n", name);
        scenario_free(sc);
        return NULL;
    }
    const char *e = first_error(&d);
    if (!e || d.errors == 0) {
        fprintf(stderr, "  %s: NULL returned without an error\n", name);
        return NULL;
    }
    return strdup(e);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- (a) every malformed scenario of tests/scenarios/bad ------------------- */

typedef struct expect {
    int line, col;
    char substring[400];
} expect_t;

static int read_expect(const char *path, expect_t *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[600];
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    int off = 0;
    if (sscanf(buf, "# expect: %d:%d: %n", &e->line, &e->col, &off) != 2 || off == 0 || buf[off] == '\0')
        return -1;
    snprintf(e->substring, sizeof e->substring, "%s", buf + off);
    return 0;
}

/* Checks one bad file; 0 if it behaves as its first line says. */
static int check_bad_file(const char *path)
{
    expect_t e;
    if (read_expect(path, &e) != 0) {
        fprintf(stderr, "FAIL %s: first line is not '# expect: LINE:COL: SUBSTRING'\n", path);
        return 1;
    }
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load(path, NULL, 0, &d);
    if (sc) {
        fprintf(stderr, "FAIL %s: loaded, expected %d:%d: %s\n", path, e.line, e.col, e.substring);
        scenario_free(sc);
        return 1;
    }
    const char *msg = first_error(&d);
    if (d.errors < 1 || !msg) {
        fprintf(stderr, "FAIL %s: NULL returned without any error\n", path);
        return 1;
    }
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, e.line, e.col);
    size_t plen = strlen(prefix);
    /* the substring is looked for in the message only, never in the path */
    const char *colon = strstr(msg, ": ");
    int pos_ok = strncmp(msg, prefix, plen) == 0;
    int text_ok = pos_ok ? strstr(msg + plen, e.substring) != NULL : (colon && strstr(colon, e.substring) != NULL);
    if (!pos_ok || !text_ok) {
        fprintf(stderr, "FAIL %s:\n    expected %s...%s...\n    got      %s\n", path, prefix, e.substring, msg);
        return 1;
    }
    printf("ok   %s\n", path);
    return 0;
}

static void test_bad_scenarios(void **state)
{
    (void)state;
    DIR *dir = opendir(BAD_DIR);
    assert_non_null(dir);
    char *names[512];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL && n < sizeof names / sizeof names[0]) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
            continue;
        names[n] = malloc(sizeof BAD_DIR + len + 1);
        assert_non_null(names[n]);
        sprintf(names[n], "%s/%s", BAD_DIR, de->d_name);
        n++;
    }
    closedir(dir);
    qsort(names, n, sizeof names[0], cmp_str);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed += check_bad_file(names[i]);
        free(names[i]);
    }
    printf("%zu bad scenarios, %d not as expected\n", n, failed);
    assert_true(n >= MIN_BAD_FILES);
    /* Every file must give its expected first error (no exceptions). */
    assert_int_equal(failed, 0);
}

/* The unknown load balancer's message names every valid policy. */
static void test_unknown_lb_lists_valid_names(void **state)
{
    (void)state;
    char *e = load_text_error("traffic: {rate: 1/s}\nservices:\n  web: {load_balancer: rr}\n", "lb.yaml", NULL, 0);
    assert_non_null(e);
    assert_non_null(strstr(e, "lb.yaml:3:24: "));
    assert_non_null(strstr(e, "'rr'"));
    size_t n;
    const lb_kind_t *const *all = lb_all(&n);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(e, all[i]->name));
    free(e);
}

/* A zero-byte file and a missing file are errors, never a crash. */
static void test_empty_and_missing_files(void **state)
{
    (void)state;
    char path[] = "/tmp/clustersim-empty-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    diag_t d;
    diag_init(&d);
    assert_null(scenario_load(path, NULL, 0, &d));
    assert_true(d.errors >= 1);
    char prefix[100];
    snprintf(prefix, sizeof prefix, "%s:1:1: ", path);
    assert_non_null(first_error(&d));
    assert_memory_equal(first_error(&d), prefix, strlen(prefix));
    assert_non_null(strstr(first_error(&d), "empty"));
    unlink(path);

    diag_init(&d);
    assert_null(scenario_load("tests/scenarios/bad/no-such-file.yaml", NULL, 0, &d));
    assert_true(d.errors >= 1);
    assert_non_null(strstr(first_error(&d), "tests/scenarios/bad/no-such-file.yaml"));
    assert_non_null(strstr(first_error(&d), "cannot open"));
}

/* Hostile input: an alias bomb and very deep nesting are refused. */
static void test_hostile_yaml(void **state)
{
    (void)state;
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "services: {web: {}}\n";
    char *e = load_text_error(bomb, "bomb.yaml", NULL, 0);
    assert_non_null(e);
    assert_non_null(strstr(e, "too large"));
    assert_memory_equal(e, "bomb.yaml:", 10);
    free(e);

    char deep[1000];
    size_t k = (size_t)snprintf(deep, sizeof deep, "services: {web: {}}\nx: ");
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    for (int i = 0; i < 100; i++)
        deep[k++] = ']';
    deep[k++] = '\n';
    deep[k] = '\0';
    e = load_text_error(deep, "deep.yaml", NULL, 0);
    assert_non_null(e);
    assert_non_null(strstr(e, "nesting"));
    assert_memory_equal(e, "deep.yaml:2:", 12);
    free(e);
}

/* Every prefix of a valid scenario loads or fails with a positioned error
 * (never a crash, never an error without a position inside the text). */
static void test_truncations_never_crash(void **state)
{
    (void)state;
    const char *full = "name: cut\n"
                       "seed: 5\n"
                       "duration: 10m\n"
                       "warmup: 1m\n"
                       "traffic:\n"
                       "  rate: 12/s\n"
                       "  profile:\n"
                       "    - {at: 0s, factor: 1}\n"
                       "    - {at: 5m, rate: 20/s}\n"
                       "services:\n"
                       "  web:\n"
                       "    replicas: 2\n"
                       "    concurrency: 4\n"
                       "    service_time: {dist: gamma, mean: 20ms, cv: 0.5}\n"
                       "    load_balancer: weighted_round_robin\n"
                       "    weights: [2, 1]\n"
                       "    calls: [db]\n"
                       "  db:\n"
                       "    service_time: {dist: uniform, min: 1ms, max: 3ms}\n";
    size_t len = strlen(full);
    int bad = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        char *text = strndup(full, cut);
        assert_non_null(text);
        diag_t d;
        diag_init(&d);
        scenario_t *sc = scenario_load_string(text, "cut.yaml", NULL, 0, &d);
        if (sc) {
            scenario_free(sc);
        } else {
            const char *e = first_error(&d);
            int line = 0, col = 0, off = 0;
            if (!e || sscanf(e, "cut.yaml:%d:%d: %n", &line, &col, &off) != 2 || off == 0 || line < 1 || col < 1) {
                fprintf(stderr, "FAIL prefix of %zu bytes: %s\n", cut, e ? e : "(no error)");
                bad++;
            }
        }
        free(text);
    }
    assert_int_equal(bad, 0);
}

/* ---- (b) good scenarios --------------------------------------------------- */

static void test_quickstart_loads(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load("scenarios/quickstart.yaml", NULL, 0, &d);
    if (!sc)
        print_diag(&d);
    assert_non_null(sc);
    assert_int_equal(d.errors, 0);
    assert_string_equal(sc->name, "quickstart");
    assert_int_equal(sc->seed, 42);
    assert_int_equal(sc->duration, 2 * 3600 * SIM_S);
    assert_int_equal(sc->warmup, 5 * 60 * SIM_S);
    /* auto sample interval: 7200 s / 5 s = 1440 rows > 1000, / 10 s = 720 */
    assert_int_equal(sc->sample_interval, 10 * SIM_S);
    assert_double_close(platform_of(sc)->traffic.rate, 30.0, EPS);
    assert_int_equal(platform_of(sc)->traffic.arrivals, ARRIVALS_POISSON);
    assert_int_equal(scenario_nservices(sc), 1);
    const service_cfg_t *w = scenario_service(sc, 0);
    assert_string_equal(w->name, "web");
    assert_int_equal(w->replicas, 2);
    assert_int_equal(w->concurrency, 8);
    assert_int_equal(w->queue_capacity, 100);
    assert_string_equal(w->service_time.kind->name, "lognormal");
    assert_double_close(w->service_time.mean, 0.25, EPS);
    assert_double_close(w->service_time.cv, 1.0, EPS);
    assert_ptr_equal(w->lb, &lb_round_robin);
    scenario_free(sc);
}

/* The documented defaults (scenario_params, traffic_params, service_params,
 * decode_services):
 *   name: the file name up to its first '.'; seed 1; duration 1h; warmup 0s;
 *   sample_interval: the smallest of 1s, 2s, 5s, ... giving at most 1000
 *   rows (1h: 3600/5 = 720, so 5s);
 *   traffic: rate 1/s, arrivals poisson, no profile, clients 1000;
 *   service: replicas 1, concurrency 1, queue_capacity 1000, service_time
 *   {dist: exponential, mean: 100ms}, load_balancer round_robin, no
 *   weights, no calls. */
static void check_defaults(const scenario_t *sc)
{
    assert_string_equal(sc->name, "minimal");
    assert_int_equal(sc->seed, 1);
    assert_int_equal(sc->duration, 3600 * SIM_S);
    assert_int_equal(sc->warmup, 0);
    assert_int_equal(sc->sample_interval, 5 * SIM_S);
    assert_double_close(platform_of(sc)->traffic.rate, 1.0, EPS);
    assert_int_equal(platform_of(sc)->traffic.arrivals, ARRIVALS_POISSON);
    assert_int_equal(platform_of(sc)->traffic.nprofile, 0);
    assert_null(platform_of(sc)->traffic.profile);
    assert_int_equal(platform_of(sc)->traffic.clients, 1000);
    assert_int_equal(scenario_nservices(sc), 1);
    const service_cfg_t *w = scenario_service(sc, 0);
    assert_string_equal(w->name, "web");
    assert_int_equal(w->replicas, 1);
    assert_int_equal(w->concurrency, 1);
    assert_int_equal(w->queue_capacity, 1000);
    assert_non_null(w->service_time.kind);
    assert_string_equal(w->service_time.kind->name, "exponential");
    assert_double_close(w->service_time.mean, 0.1, EPS);
    assert_ptr_equal(w->lb, &lb_round_robin);
    assert_int_equal(w->nweights, 0);
    assert_int_equal(w->ncalls, 0);
}

/* Without a `traffic` key the traffic defaults apply: the smallest scenario
 * of scenarios/README.md (`services: {web: {}}`) loads with every default. */
static void test_minimal_defaults(void **state)
{
    (void)state;
    scenario_t *sc = load_text("services: {web: {}}\n", "minimal.yaml", NULL, 0);
    assert_non_null(sc);
    check_defaults(sc);
    scenario_free(sc);
}

/* An empty `traffic:` mapping gets the same defaults as no traffic key. */
static void test_minimal_with_empty_traffic(void **state)
{
    (void)state;
    scenario_t *sc = load_text("traffic: {}\nservices: {web: {}}\n", "minimal.yaml", NULL, 0);
    assert_non_null(sc);
    check_defaults(sc);
    scenario_free(sc);
}

static const char mm4[] = "name: mm4\n"
                          "seed: 7\n"
                          "duration: 20000s          # \"5ms\", \"30s\", \"10m\", \"2h\", \"1d\"; a bare number is seconds\n"
                          "warmup: 1000s             # statistics ignore requests that arrive before this\n"
                          "traffic:\n"
                          "  rate: 3.2/s             # \"/s\", \"/min\", \"/h\"; a bare number is per second\n"
                          "  arrivals: poisson\n"
                          "services:\n"
                          "  web:\n"
                          "    replicas: 1\n"
                          "    concurrency: 4        # workers per pod, sharing the pod's FIFO queue\n"
                          "    queue_capacity: 1000  # waiting room per pod (not counting requests in service);\n"
                          "                          # a request that finds it full is rejected\n"
                          "    service_time: {dist: exponential, mean: 1s}\n"
                          "    load_balancer: round_robin\n";

/* DESIGN.md's minimal example decodes to exactly what it says. */
static void test_design_mm4(void **state)
{
    (void)state;
    scenario_t *sc = load_text(mm4, "design-mm4.yaml", NULL, 0);
    assert_non_null(sc);
    assert_string_equal(sc->name, "mm4");
    assert_int_equal(sc->seed, 7);
    assert_int_equal(sc->duration, (simtime_t)20000 * SIM_S);
    assert_int_equal(sc->duration, 20000000000000LL);
    assert_int_equal(sc->warmup, (simtime_t)1000 * SIM_S);
    /* 20000 s: /15 s = 1333 rows > 1000, /30 s = 666 */
    assert_int_equal(sc->sample_interval, 30 * SIM_S);
    assert_double_close(platform_of(sc)->traffic.rate, 3.2, EPS);
    assert_int_equal(platform_of(sc)->traffic.arrivals, ARRIVALS_POISSON);
    assert_int_equal(platform_of(sc)->traffic.nprofile, 0);
    assert_int_equal(platform_of(sc)->traffic.clients, 1000);
    assert_int_equal(scenario_nservices(sc), 1);
    const service_cfg_t *w = scenario_service(sc, 0);
    assert_string_equal(w->name, "web");
    assert_int_equal(w->replicas, 1);
    assert_int_equal(w->concurrency, 4);
    assert_int_equal(w->queue_capacity, 1000);
    assert_string_equal(w->service_time.kind->name, "exponential");
    assert_double_close(w->service_time.mean, 1.0, EPS);
    assert_double_close(dist_mean(&w->service_time), 1.0, EPS);
    assert_ptr_equal(w->lb, &lb_round_robin);
    assert_string_equal(w->lb->name, "round_robin");
    assert_int_equal(w->ncalls, 0);
    scenario_free(sc);
}

/* Units as the documentation writes them. */
static void test_units(void **state)
{
    (void)state;
    static const struct {
        const char *duration;
        simtime_t ns;
        const char *rate;
        double per_s;
    } cases[] = {
        {"5ms", 5 * SIM_MS, "3.2/s", 3.2},       {"30s", 30 * SIM_S, "200/min", 200.0 / 60},
        {"10m", 600 * SIM_S, "10/h", 10.0 / 3600}, {"2h", 7200 * SIM_S, "4", 4.0},
        {"1d", 86400 * SIM_S, "0.5", 0.5},         {"90", 90 * SIM_S, "7/s", 7.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[200];
        snprintf(text, sizeof text, "duration: %s\ntraffic: {rate: %s}\nservices: {web: {}}\n", cases[i].duration,
                 cases[i].rate);
        scenario_t *sc = load_text(text, "units.yaml", NULL, 0);
        assert_non_null(sc);
        assert_int_equal(sc->duration, cases[i].ns);
        assert_double_close(platform_of(sc)->traffic.rate, cases[i].per_s, 1e-12);
        scenario_free(sc);
    }
}

static void test_set_overrides(void **state)
{
    (void)state;
    const char *sets[] = {
        "services.web.replicas=4",
        "traffic.rate=5/s",
        "services.web.service_time={dist: deterministic, value: 2ms}",
        "services.api.concurrency=3", /* a new key path: creates services.api */
        "duration=2h",
    };
    scenario_t *sc = load_text(mm4, "mm4.yaml", sets, sizeof sets / sizeof sets[0]);
    assert_non_null(sc);
    assert_int_equal(scenario_service(sc, 0)->replicas, 4);
    assert_int_equal(scenario_service(sc, 0)->concurrency, 4); /* untouched */
    assert_double_close(platform_of(sc)->traffic.rate, 5.0, EPS);
    assert_string_equal(scenario_service(sc, 0)->service_time.kind->name, "deterministic");
    assert_double_close(scenario_service(sc, 0)->service_time.value, 0.002, EPS);
    assert_int_equal(scenario_nservices(sc), 2);
    assert_string_equal(scenario_service(sc, 1)->name, "api");
    assert_int_equal(scenario_service(sc, 1)->concurrency, 3);
    assert_int_equal(scenario_service(sc, 1)->replicas, 1);
    assert_int_equal(station_index(sc, "api"), 1);
    assert_int_equal(sc->duration, 7200 * SIM_S);
    scenario_free(sc);

    /* a path through a key that is absent creates the maps on the way */
    const char *mk[] = {"traffic.rate=8/min"};
    sc = load_text("services: {web: {}}\n", "mk.yaml", mk, 1);
    assert_non_null(sc);
    assert_double_close(platform_of(sc)->traffic.rate, 8.0 / 60, EPS);
    scenario_free(sc);

    /* an index into a sequence */
    const char *idx[] = {"services.web.calls.1=api"};
    sc = load_text("traffic: {rate: 1/s}\nservices:\n  web: {calls: [db, db]}\n  api: {}\n  db: {}\n", "idx.yaml",
                   idx, 1);
    assert_non_null(sc);
    assert_int_equal(scenario_service(sc, 0)->ncalls, 2);
    assert_int_equal(scenario_service(sc, 0)->calls[0], 2);
    assert_int_equal(scenario_service(sc, 0)->calls[1], 1);
    scenario_free(sc);
}

/* A bad --set value is reported against the override, its column pointing
 * into the argument ("services.web.replicas=" is 22 characters: the value
 * starts at column 23). */
static void test_set_bad_value(void **state)
{
    (void)state;
    const char *sets[] = {"services.web.replicas=abc"};
    char *e = load_text_error(mm4, "mm4.yaml", sets, 1);
    assert_non_null(e);
    assert_string_equal(strstr(e, "--set[1]:1:23: ") == e ? "yes" : e, "yes");
    assert_non_null(strstr(e, "expected an integer"));
    free(e);

    /* the second override is --set[2]; out of range, at its value */
    const char *two[] = {"services.web.replicas=2", "services.web.concurrency=0"};
    e = load_text_error(mm4, "mm4.yaml", two, 2);
    assert_non_null(e);
    assert_string_equal(strstr(e, "--set[2]:1:26: ") == e ? "yes" : e, "yes");
    assert_non_null(strstr(e, "out of range"));
    free(e);

    /* an unknown key given by --set points at the key */
    const char *unk[] = {"services.web.replica=2"};
    e = load_text_error(mm4, "mm4.yaml", unk, 1);
    assert_non_null(e);
    assert_string_equal(strstr(e, "--set[1]:1:14: ") == e ? "yes" : e, "yes");
    assert_non_null(strstr(e, "unknown key 'replica'"));
    free(e);

    /* a value inside a flow mapping: 'expo' is at column 34 */
    const char *dist[] = {"services.web.service_time={dist: expo, mean: 1s}"};
    e = load_text_error(mm4, "mm4.yaml", dist, 1);
    assert_non_null(e);
    assert_string_equal(strstr(e, "--set[1]:1:34: ") == e ? "yes" : e, "yes");
    assert_non_null(strstr(e, "unknown distribution 'expo'"));
    free(e);

    /* no '=' at all */
    const char *noeq[] = {"services.web.replicas"};
    e = load_text_error(mm4, "mm4.yaml", noeq, 1);
    assert_non_null(e);
    assert_memory_equal(e, "--set[1]:1:", 11);
    assert_non_null(strstr(e, "PATH=VALUE"));
    free(e);
}

/* A YAML syntax error inside a --set value is reported on line 1 with a
 * column inside the argument (1 .. length + 1), not at the end-of-input mark
 * of the value parsed on its own. */
static void test_set_syntax_error_position(void **state)
{
    (void)state;
    const char *arg = "services.web.service_time={dist: exponential, mean: 1s";
    const char *sets[] = {arg};
    char *e = load_text_error(mm4, "mm4.yaml", sets, 1);
    assert_non_null(e);
    int line = 0, col = 0;
    assert_int_equal(sscanf(e, "--set[1]:%d:%d: ", &line, &col), 2);
    if (line != 1 || col < 1 || col > (int)strlen(arg) + 1)
        fprintf(stderr, "  got: %s\n", e);
    assert_int_equal(line, 1);
    assert_in_range(col, 1, strlen(arg) + 1);
    free(e);
}

/* Profile points with factor resolve to factor x traffic.rate. */
static void test_profile_factors(void **state)
{
    (void)state;
    const char *yaml = "traffic:\n"
                       "  rate: 10/s\n"
                       "  profile:\n"
                       "    - {at: 0s, factor: 0.5}\n"
                       "    - {at: 1h, rate: 30/s}\n"
                       "    - {at: 2h, factor: 2}\n"
                       "services: {web: {}}\n";
    scenario_t *sc = load_text(yaml, "profile.yaml", NULL, 0);
    assert_non_null(sc);
    assert_int_equal(platform_of(sc)->traffic.nprofile, 3);
    const traffic_point_t *p = platform_of(sc)->traffic.profile;
    assert_int_equal(p[0].at, 0);
    assert_int_equal(p[1].at, 3600 * SIM_S);
    assert_int_equal(p[2].at, 7200 * SIM_S);
    assert_double_close(p[0].rate, 5.0, EPS);
    assert_double_close(p[1].rate, 30.0, EPS);
    assert_double_close(p[2].rate, 20.0, EPS);
    /* the rate in between is linear, and constant beyond the ends */
    assert_double_close(traffic_rate_at(&platform_of(sc)->traffic, 1800 * SIM_S), 17.5, 1e-9);
    assert_double_close(traffic_rate_at(&platform_of(sc)->traffic, 9000 * SIM_S), 20.0, 1e-9);
    assert_int_equal(p[1].pos.line, 5);
    assert_int_equal(p[1].pos.col, 7);
    scenario_free(sc);

    /* a --set of the base rate rescales the factors */
    const char *sets[] = {"traffic.rate=100/s"};
    sc = load_text(yaml, "profile.yaml", sets, 1);
    assert_non_null(sc);
    assert_double_close(platform_of(sc)->traffic.profile[0].rate, 50.0, EPS);
    assert_double_close(platform_of(sc)->traffic.profile[1].rate, 30.0, EPS);
    assert_double_close(platform_of(sc)->traffic.profile[2].rate, 200.0, EPS);
    scenario_free(sc);
}

/* Calls resolve to service indices (file order), and a diamond is not a loop. */
static void test_calls_resolve(void **state)
{
    (void)state;
    const char *yaml = "traffic: {rate: 1/s}\n"
                       "services:\n"
                       "  web: {calls: [auth, api]}\n"
                       "  api: {calls: [db, cache]}\n"
                       "  auth: {calls: [db]}\n"
                       "  cache: {}\n"
                       "  db: {}\n";
    scenario_t *sc = load_text(yaml, "calls.yaml", NULL, 0);
    assert_non_null(sc);
    assert_int_equal(scenario_nservices(sc), 5);
    assert_int_equal(station_index(sc, "web"), 0);
    assert_int_equal(station_index(sc, "api"), 1);
    assert_int_equal(station_index(sc, "auth"), 2);
    assert_int_equal(station_index(sc, "cache"), 3);
    assert_int_equal(station_index(sc, "db"), 4);
    assert_int_equal(station_index(sc, "nope"), -1);
    const service_cfg_t *s[5];
    for (size_t i = 0; i < 5; i++)
        s[i] = scenario_service(sc, i);
    assert_int_equal(s[0]->ncalls, 2);
    assert_int_equal(s[0]->calls[0], 2);
    assert_int_equal(s[0]->calls[1], 1);
    assert_string_equal(s[0]->call_names[0], "auth");
    assert_int_equal(s[0]->call_pos[1].line, 3);
    assert_int_equal(s[0]->call_pos[1].col, 23);
    assert_int_equal(s[1]->ncalls, 2);
    assert_int_equal(s[1]->calls[0], 4);
    assert_int_equal(s[1]->calls[1], 3);
    assert_int_equal(s[2]->ncalls, 1);
    assert_int_equal(s[2]->calls[0], 4);
    assert_int_equal(s[3]->ncalls, 0);
    assert_int_equal(s[4]->ncalls, 0);
    scenario_free(sc);
}

/* Every distribution kind decodes from its documented form. */
static void test_distributions(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *kind;
        double mean;
    } cases[] = {
        {"{dist: exponential, mean: 20ms}", "exponential", 0.020},
        {"{dist: deterministic, value: 5ms}", "deterministic", 0.005},
        {"5ms", "deterministic", 0.005},
        {"{dist: lognormal, mean: 20ms, cv: 1.5}", "lognormal", 0.020},
        {"{dist: gamma, mean: 1s, cv: 0.5}", "gamma", 1.0},
        {"{dist: gamma, shape: 4, scale: 250ms}", "gamma", 1.0},
        {"{dist: weibull, shape: 1, scale: 1s}", "weibull", 1.0},
        {"{dist: pareto, shape: 2, scale: 10ms}", "pareto", 0.020},
        {"{dist: uniform, min: 1ms, max: 5ms}", "uniform", 0.003},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[300];
        snprintf(text, sizeof text, "traffic: {rate: 1/s}\nservices:\n  web:\n    service_time: %s\n", cases[i].yaml);
        scenario_t *sc = load_text(text, "dist.yaml", NULL, 0);
        assert_non_null(sc);
        assert_string_equal(scenario_service(sc, 0)->service_time.kind->name, cases[i].kind);
        assert_double_close(dist_mean(&scenario_service(sc, 0)->service_time), cases[i].mean, 1e-9);
        scenario_free(sc);
    }
}

/* YAML merge keys: explicit keys win over merged ones; the first of several
 * merged mappings wins. */
static void test_merge_keys(void **state)
{
    (void)state;
    /* a scenario rejects unknown top-level keys, so anchors live inside services */
    const char *sc_text = "services:\n"
                          "  web: &web {replicas: 3, concurrency: 2, queue_capacity: 7}\n"
                          "  api:\n"
                          "    <<: *web\n"
                          "    concurrency: 5\n";
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(sc_text, "merge.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    assert_int_equal(scenario_service(sc, 1)->replicas, 3);       /* merged */
    assert_int_equal(scenario_service(sc, 1)->concurrency, 5);    /* explicit wins */
    assert_int_equal(scenario_service(sc, 1)->queue_capacity, 7); /* merged */
    scenario_free(sc);
    /* a merge key must name a mapping */
    diag_init(&d);
    sc = scenario_load_string("services:\n  web:\n    <<: 3\n", "merge.yaml", NULL, 0, &d);
    assert_null(sc);
    assert_non_null(strstr(d.msgs[0].text, "merge.yaml:3:9: a merge key"));
}

/* `base:` (tests/scenarios/base/): the child's values replace the base's,
 * mappings merge key by key, new keys are added after the base's (services
 * keep the base's order: traffic still enters web), the base's name is not
 * inherited, and a file named in the base is found beside the base. A base
 * of a base applies in turn. A cycle, a missing base and an error inside a
 * base are located errors. */
static void test_base(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load("tests/scenarios/base/child.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    assert_string_equal(sc->name, "child");
    assert_int_equal(sc->seed, 8);
    assert_int_equal(sc->duration, 600 * SIM_S);
    assert_int_equal(scenario_nservices(sc), 3);
    const service_cfg_t *web = scenario_service(sc, 0);
    assert_string_equal(web->name, "web");
    assert_int_equal(web->replicas, 2);
    assert_int_equal(web->concurrency, 5);     /* child */
    assert_int_equal(web->queue_capacity, 9);  /* base, merged */
    assert_int_equal(web->cpu_request_m, 250); /* sub/deploy.yaml, beside the base */
    assert_int_equal(web->grace, 12 * SIM_S);
    assert_string_equal(scenario_service(sc, 1)->name, "db");
    assert_int_equal(scenario_service(sc, 1)->replicas, 4);
    assert_string_equal(scenario_service(sc, 2)->name, "cache");
    scenario_free(sc);

    diag_init(&d);
    sc = scenario_load("tests/scenarios/base/grandchild.yaml", NULL, 0, &d);
    assert_non_null(sc);
    assert_string_equal(sc->name, "grand");
    assert_int_equal(sc->seed, 8);
    assert_int_equal(scenario_service(sc, 0)->concurrency, 5);
    assert_int_equal(scenario_service(sc, 1)->replicas, 6);
    scenario_free(sc);

    diag_init(&d);
    assert_null(scenario_load("tests/scenarios/base/cycle.yaml", NULL, 0, &d));
    assert_non_null(strstr(first_error(&d), "tests/scenarios/base/cycle.yaml:1:7: base: more than 8"));
    diag_init(&d);
    assert_null(scenario_load("tests/scenarios/base/missing.yaml", NULL, 0, &d));
    assert_non_null(strstr(first_error(&d), "no-such-base.yaml"));
    assert_non_null(strstr(first_error(&d), "cannot open"));
    diag_init(&d);
    assert_null(scenario_load("tests/scenarios/base/bad-in-base.yaml", NULL, 0, &d));
    assert_non_null(strstr(first_error(&d), "tests/scenarios/base/sub/bad.yaml:2:19: services.web.replicas"));
}

/* `web:` with no value is a service with every default. */
static void test_null_service(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string("services:\n  web:\n", "null.yaml", NULL, 0, &d);
    assert_non_null(sc);
    assert_int_equal(scenario_service(sc, 0)->replicas, 1);
    assert_int_equal(scenario_service(sc, 0)->queue_capacity, 1000);
    scenario_free(sc);
}

/* Shorthand options name themselves and count columns in their value:
 * --seed abc is "--seed:1:1", not a column of the internal "seed=abc". */
static void test_labeled_overrides(void **state)
{
    (void)state;
    const char *sets[] = {"seed=abc"};
    const char *labels[] = {"--seed"};
    diag_t d;
    diag_init(&d);
    scenario_opts_t o = {labels, false};
    scenario_t *sc = scenario_load_opts("scenarios/quickstart.yaml", sets, 1, &o, &d);
    assert_null(sc);
    assert_int_equal(strncmp(d.msgs[0].text, "--seed:1:1: seed:", 17), 0);
}

/* A quoted number is a string: the message says so. Seeds take the whole
 * unsigned 64-bit range. */
static void test_quoted_number_and_big_seed(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string("services:\n  web: {replicas: \"4\"}\n", "q.yaml", NULL, 0, &d);
    assert_null(sc);
    assert_non_null(strstr(d.msgs[0].text, "q.yaml:2:19: services.web.replicas: expected an integer, got the string '4' (remove the quotes)"));
    diag_init(&d);
    sc = scenario_load_string("seed: 18446744073709551615\nservices:\n  web: {}\n", "s.yaml", NULL, 0, &d);
    assert_non_null(sc);
    assert_true(sc->seed == UINT64_MAX);
    scenario_free(sc);
    diag_init(&d);
    sc = scenario_load_string("seed: 18446744073709551616\nservices:\n  web: {}\n", "s.yaml", NULL, 0, &d);
    assert_null(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_base),
        cmocka_unit_test(test_null_service),
        cmocka_unit_test(test_labeled_overrides),
        cmocka_unit_test(test_quoted_number_and_big_seed),
        cmocka_unit_test(test_bad_scenarios),
        cmocka_unit_test(test_unknown_lb_lists_valid_names),
        cmocka_unit_test(test_empty_and_missing_files),
        cmocka_unit_test(test_hostile_yaml),
        cmocka_unit_test(test_truncations_never_crash),
        cmocka_unit_test(test_quickstart_loads),
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_minimal_with_empty_traffic),
        cmocka_unit_test(test_design_mm4),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_set_bad_value),
        cmocka_unit_test(test_set_syntax_error_position),
        cmocka_unit_test(test_profile_factors),
        cmocka_unit_test(test_calls_resolve),
        cmocka_unit_test(test_distributions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
