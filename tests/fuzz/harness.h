/* The readers' fuzz harness, shared by the libFuzzer targets
 * (tests/fuzz/fuzz_NAME.c, `make fuzz` with clang) and by the corpus replay
 * that `make test` runs (tests/test_fuzz.c). One function per reader turns
 * bytes into a call of that reader and checks one property:
 *
 *   any input loads, or fails with at least one error; every message (error
 *   or warning) is located, `FILE:LINE:COL: text` or `FILE: text`; a load
 *   that succeeds reports no error; never a crash, a hang, a leak (ASan's
 *   leak checker, in both uses) or a silent failure.
 *
 * FILE must be a name the diagnostic may legitimately start with: the
 * input's own name, the label of an override (`--set[2]`, `--seed`), or a
 * file the input names (a manifest or a samples file, resolved against the
 * input's directory as the loader resolves it) that exists. The check
 * matches those known names as prefixes: it never guesses where a file name
 * ends, so a `:` inside a name (the inputs here are named with one on
 * purpose) cannot make it stop on a false positive.
 *
 * The readers' inputs are named "fuzz:NAME.EXT"; none of them is a file. */
#ifndef TESTS_FUZZ_HARNESS_H
#define TESTS_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/arena.h"
#include "sim/cfg.h"
#include "sim/dist.h"
#include "models/k8s.h"
#include "models/replay.h"
#include "models/trace.h"
#include "sim/scenario.h"
#include "sim/textfile.h"
#include "sim/world.h"
#include "viz/vdata.h"

/* ---- the located-message check ------------------------------------------- */

/* After a file name: ": " or ":LINE:COL: " (LINE and COL decimal). */
static inline bool fuzz_place_follows(const char *p)
{
    if (p[0] != ':')
        return false;
    if (p[1] == ' ')
        return true;
    p++;
    for (int part = 0; part < 2; part++) {
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != ':')
            return false;
    }
    return *p == ' ';
}

/* Whether message m starts with the known name `name` (len bytes) and a
 * place. A message longer than its slot ends in "..." (diag.h); when the cut
 * fell inside the name or its place, the part that is left must match. */
static inline bool fuzz_starts_with(const char *m, const char *name, size_t len)
{
    if (len == 0)
        return false;
    if (strncmp(m, name, len) == 0 && fuzz_place_follows(m + len))
        return true;
    size_t mlen = strlen(m);
    if (mlen + 1 == sizeof(((diag_msg_t *)0)->text) && mlen >= 3 && strcmp(m + mlen - 3, "...") == 0) {
        size_t kept = mlen - 3; /* the message before "..." */
        /* the name and at most ":LLLLLLLLLL:CCCCCCCCCC: " were cut */
        if (len + 24 >= kept && strncmp(m, name, len < kept ? len : kept) == 0)
            return true;
    }
    return false;
}

/* The files a scenario names: its scalar values, resolved as the loader
 * resolves them (absolute, or relative to the scenario's directory). A
 * message may start with one of them only if it exists: a file that cannot
 * be opened is reported at the key that names it. A named scenario (a
 * `base:`) names files in turn, relative to its own directory, up to the
 * loader's 8 deep. */
static inline bool fuzz_names_file(arena_t *a, const cfg_node_t *n, const char *dir, const char *m, int depth)
{
    if (!n)
        return false;
    if (n->kind == CFG_SCALAR) {
        const char *s = n->str;
        if (!s || !*s)
            return false;
        char path[8192];
        int k = s[0] == '/' ? snprintf(path, sizeof path, "%s", s) : snprintf(path, sizeof path, "%s/%s", dir, s);
        if (k < 0 || (size_t)k >= sizeof path || access(path, F_OK) != 0)
            return false;
        if (fuzz_starts_with(m, path, (size_t)k))
            return true;
        /* a scenario named as a `base:` names files of its own, beside it */
        size_t len = (size_t)k;
        if (depth >= 8 || len < 5 || strcmp(path + len - 5, ".yaml") != 0)
            return false;
        diag_t *scratch = calloc(1, sizeof *scratch);
        if (!scratch)
            return false;
        cfg_node_t *root = cfg_parse_file(a, path, scratch);
        free(scratch);
        char sub[8192] = ".";
        const char *slash = strrchr(path, '/');
        if (slash)
            snprintf(sub, sizeof sub, "%.*s", (int)(slash - path), path);
        return fuzz_names_file(a, root, sub, m, depth + 1);
    }
    for (size_t i = 0; i < n->n; i++)
        if (fuzz_names_file(a, n->kind == CFG_MAP ? n->pairs[i].val : n->items[i], dir, m, depth))
            return true;
    return false;
}

/* What a diagnostic may start with. */
typedef struct fuzz_names {
    const char *input;            /* the input's name */
    const char *const *labels;    /* the overrides' labels (nsets of them) */
    const char *const *sets;      /* the overrides, applied to the scenario */
    size_t nsets;
    const char *scenario;         /* scenario text (NULL: the input names no file) */
    bool quiet;                   /* do not print a violation (tests of the check) */
} fuzz_names_t;

/* Loads that succeeded, counted by fuzz_check (test_fuzz checks that its
 * seeds reach past the error paths). */
static unsigned long fuzz_loads;

/* 0 when the diagnostics of a load (loaded or not) keep the property, -1
 * (after printing them) when they do not. */
static inline int fuzz_check(const diag_t *d, bool loaded, const fuzz_names_t *nm)
{
    const char *why = NULL;
    fuzz_loads += loaded;
    if (loaded && d->errors)
        why = "loaded, yet reported errors";
    else if (!loaded && d->errors == 0)
        why = "failed without an error";
    bool unplaced[DIAG_MAX] = {false};
    size_t nunplaced = 0;
    for (size_t i = 0; i < d->n && !why; i++) {
        const char *m = d->msgs[i].text;
        bool ok = fuzz_starts_with(m, nm->input, strlen(nm->input));
        for (size_t s = 0; !ok && s < nm->nsets; s++)
            ok = fuzz_starts_with(m, nm->labels[s], strlen(nm->labels[s]));
        if (!ok) {
            unplaced[i] = true;
            nunplaced++;
        }
    }
    if (nunplaced && !why) {
        /* Only now (rarely) parse the scenario again for the files it names,
         * with its overrides applied as the loader applies them. */
        arena_t *a = nm->scenario ? arena_new() : NULL;
        diag_t *scratch = a ? calloc(1, sizeof *scratch) : NULL;
        cfg_node_t *root = NULL;
        if (scratch) {
            root = cfg_parse_string(a, nm->scenario, strlen(nm->scenario), nm->input, scratch);
            for (size_t s = 0; root && s < nm->nsets; s++)
                if (cfg_apply_set(a, root, nm->sets[s], nm->labels[s], false, scratch) != 0)
                    root = NULL;
        }
        char dir[4096] = ".";
        const char *slash = strrchr(nm->input, '/');
        if (slash && (size_t)(slash - nm->input) < sizeof dir)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - nm->input), nm->input);
        for (size_t i = 0; i < d->n && !why; i++)
            if (unplaced[i] && !fuzz_names_file(a, root, dir, d->msgs[i].text, 0))
                why = "a message does not start with a place the input can name";
        free(scratch);
        arena_free(a);
    }
    if (!why)
        return 0;
    if (nm->quiet)
        return -1;
    fprintf(stderr, "fuzz property violated: %s\n", why);
    diag_print(d, stderr);
    return -1;
}

/* ---- the readers ----------------------------------------------------------- */

/* A NUL-terminated copy of the input (NULL when out of memory). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

/* The scenario loader on the input as YAML text (up to its first NUL: the
 * loader takes a string), named as a file in scenarios/ (so that the
 * manifests it names resolve there); then, when it loads, `then` (NULL:
 * nothing) with the scenario. */
static inline int fuzz_scenario_with(const uint8_t *data, size_t size, void (*then)(const scenario_t *sc))
{
    char *text = fuzz_text(data, size);
    diag_t *d = calloc(1, sizeof *d);
    int rc = 0;
    if (text && d) {
        static const char name[] = "scenarios/fuzz:scenario.yaml";
        scenario_t *sc = scenario_load_string(text, name, NULL, 0, d);
        fuzz_names_t nm = {name, NULL, NULL, 0, text};
        rc = fuzz_check(d, sc != NULL, &nm);
        if (sc && rc == 0 && then)
            then(sc);
        scenario_free(sc);
    }
    free(d);
    free(text);
    return rc;
}

static inline int fuzz_scenario_input(const uint8_t *data, size_t size) { return fuzz_scenario_with(data, size, NULL); }

/* Events a run of fuzz_run_input may take: a bound on its cost (about 10
 * ms in the sanitizer build), however long or busy the scenario. */
#define FUZZ_RUN_EVENTS 20000

/* What `run` does with a scenario that loads: its world made, run
 * (FUZZ_RUN_EVENTS events at most) and collected. The property: it ends,
 * with no crash, no sanitizer report and no leak; it may fail (world_run's
 * error, such as memory running out in a model), which is not a finding. */
static inline void fuzz_run_world(const scenario_t *sc)
{
    world_t *w = world_new(sc, 0, NULL);
    if (!w)
        return;
    w->event_limit = FUZZ_RUN_EVENTS;
    if (world_run(w) == 0) {
        metrics_t m;
        metrics_init(&m);
        world_collect(w, &m);
        metrics_free(&m);
    }
    world_free(w);
}

/* The scenario loader, as fuzz_scenario_input, then the run of what loads
 * (fuzz_run_world). */
static inline int fuzz_run_input(const uint8_t *data, size_t size) { return fuzz_scenario_with(data, size, fuzz_run_world); }

/* The Kubernetes manifest reader on the input (every byte, NULs included),
 * as kubectl's default (unknown fields are warnings) and as --validate=strict. */
static inline int fuzz_k8s_input(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    diag_t *d = calloc(1, sizeof *d);
    int rc = 0;
    for (int strict = 0; strict < 2 && text && d && rc == 0; strict++) {
        static const char name[] = "fuzz:manifest.yaml";
        arena_t *a = arena_new();
        if (!a)
            break;
        diag_init(d);
        k8s_objects_t o;
        int r = k8s_load_text(a, name, text, size, strict, &o, d);
        fuzz_names_t nm = {name, NULL, NULL, 0, NULL};
        rc = fuzz_check(d, r == 0, &nm);
        arena_free(a);
    }
    free(d);
    free(text);
    return rc;
}

/* The empirical samples reader on the input as a CSV file (every byte),
 * reading column 0 and column 1. */
static inline int fuzz_empirical_input(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    diag_t *d = calloc(1, sizeof *d);
    int rc = 0;
    for (int column = 0; column < 2 && text && d && rc == 0; column++) {
        static const char name[] = "fuzz:samples.csv";
        arena_t *a = arena_new();
        if (!a)
            break;
        diag_init(d);
        textfile_t f;
        dist_t dist = {0};
        int r = textfile_from_text(a, name, text, size, TEXTFILE_NO_BOM, &f, d);
        if (r == 0)
            r = dist_empirical_parse(&f, column, &dist, a, d);
        if (r == 0 && !(dist.nsamples > 0 && dist.samples && dist.a >= 0)) {
            fprintf(stderr, "fuzz: samples loaded without samples\n");
            rc = -1;
        }
        fuzz_names_t nm = {name, NULL, NULL, 0, NULL, false};
        if (rc == 0)
            rc = fuzz_check(d, r == 0, &nm);
        arena_free(a);
    }
    free(d);
    free(text);
    return rc;
}

/* The traffic trace reader (traffic.replay) on the input as a CSV file
 * (every byte): a rate profile or timestamps; a trace that loads is in
 * order, within its bounds and not empty. */
static inline int fuzz_trace_input(const uint8_t *data, size_t size)
{
    diag_t *d = calloc(1, sizeof *d);
    arena_t *a = arena_new();
    int rc = 0;
    if (d && a) {
        static const char name[] = "fuzz:trace.csv";
        trace_t tr;
        int r = trace_parse_text(a, name, (const char *)data, size, &tr, d);
        for (size_t i = 0; r == 0 && i < tr.n; i++) {
            bool order = i == 0 || (tr.kind == TRACE_RATES ? tr.at[i] > tr.at[i - 1] : tr.at[i] >= tr.at[i - 1]);
            if (!order || tr.at[i] < 0 || (tr.rate && !(tr.rate[i] >= 0 && tr.rate[i] <= TRACE_MAX_RATE))) {
                fprintf(stderr, "fuzz: a trace loaded out of order or bounds at row %zu\n", i);
                rc = -1;
                break;
            }
        }
        if (r == 0 && tr.n == 0) {
            fprintf(stderr, "fuzz: an empty trace loaded\n");
            rc = -1;
        }
        fuzz_names_t nm = {name, NULL, NULL, 0, NULL, false};
        if (rc == 0)
            rc = fuzz_check(d, r == 0, &nm);
    }
    arena_free(a);
    free(d);
    return rc;
}

/* The HPA whose metrics the metrics target reads: one metric of each source,
 * named as in tests/hpa/traces (so the corpus's rows match). */
static const char fuzz_metrics_hpa[] =
    "apiVersion: autoscaling/v2\n"
    "kind: HorizontalPodAutoscaler\n"
    "metadata: {name: fuzz}\n"
    "spec:\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
    "  minReplicas: 1\n"
    "  maxReplicas: 50\n"
    "  metrics:\n"
    "  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}\n"
    "  - {type: ContainerResource, containerResource: {name: memory, container: app,\n"
    "     target: {type: AverageValue, averageValue: 256Mi}}}\n"
    "  - {type: Pods, pods: {metric: {name: http_requests_per_second},\n"
    "     target: {type: AverageValue, averageValue: \"100\"}}}\n"
    "  - {type: Object, object: {metric: {name: queue_depth},\n"
    "     describedObject: {apiVersion: v1, kind: Service, name: web}, target: {type: Value, value: \"30\"}}}\n"
    "  - {type: External, external: {metric: {name: inflight}, target: {type: AverageValue, averageValue: 500m}}}\n";

/* The `hpa replay` metrics reader on the input as a CSV file (every byte),
 * against the HPA above (loaded once, kept for the process). */
static inline int fuzz_metrics_input(const uint8_t *data, size_t size)
{
    static arena_t *hpa_arena;
    static k8s_objects_t hpa;
    if (!hpa_arena) {
        diag_t *d = calloc(1, sizeof *d);
        if (!d || !(hpa_arena = arena_new()) ||
            k8s_load_text(hpa_arena, "fuzz-hpa.yaml", fuzz_metrics_hpa, strlen(fuzz_metrics_hpa), true, &hpa, d) !=
                0 ||
            hpa.n_hpas != 1) {
            fprintf(stderr, "fuzz: the metrics target's HPA does not load\n");
            if (d)
                diag_print(d, stderr);
            free(d);
            return -1;
        }
        free(d);
    }
    char *text = fuzz_text(data, size);
    diag_t *d = calloc(1, sizeof *d);
    arena_t *a = arena_new();
    int rc = 0;
    if (text && d && a) {
        static const char name[] = "fuzz:metrics.csv";
        textfile_t f;
        int r = textfile_from_text(a, name, text, size, TEXTFILE_NO_BOM, &f, d);
        size_t rows = 0;
        if (r == 0)
            r = replay_parse_metrics(&hpa.hpas[0].spec, &f, &rows, d);
        fuzz_names_t nm = {name, NULL, NULL, 0, NULL, false};
        rc = fuzz_check(d, r == 0, &nm);
    }
    arena_free(a);
    free(d);
    free(text);
    return rc;
}

/* The scenario the --set target overrides (relative to the repository root,
 * where `make test` and `make fuzz` run). */
#define FUZZ_SET_BASE "tests/fuzz/set-base.yaml"
#define FUZZ_SET_MAX 8

/* `--set PATH=VALUE` overrides on a fixed valid scenario: each line of the
 * input (up to FUZZ_SET_MAX) is one override, labelled as `clustersim run`
 * labels it: `--set[i]`, or `--seed` and `--duration` for the shorthands,
 * which main() turns into "seed=N" and "duration=T". */
static inline int fuzz_set_input(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    diag_t *d = calloc(1, sizeof *d);
    char *base = NULL;
    int rc = 0;
    FILE *f = fopen(FUZZ_SET_BASE, "rb");
    if (f) {
        static char buf[16384];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        base = buf;
    }
    if (text && d && base) {
        const char *sets[FUZZ_SET_MAX], *labels[FUZZ_SET_MAX];
        char numbered[FUZZ_SET_MAX][16];
        size_t nsets = 0;
        for (char *p = text; nsets < FUZZ_SET_MAX;) {
            char *nl = strchr(p, '\n');
            if (nl)
                *nl = '\0';
            sets[nsets] = p;
            snprintf(numbered[nsets], sizeof numbered[nsets], "--set[%zu]", nsets + 1);
            labels[nsets] = strncmp(p, "seed=", 5) == 0       ? "--seed"
                            : strncmp(p, "duration=", 9) == 0 ? "--duration"
                                                              : numbered[nsets];
            nsets++;
            if (!nl)
                break;
            p = nl + 1;
        }
        /* the shorthands count columns in the value alone: named labels */
        const char *named[FUZZ_SET_MAX];
        for (size_t i = 0; i < nsets; i++)
            named[i] = labels[i] == numbered[i] ? NULL : labels[i];
        scenario_opts_t o = {named, false};
        scenario_t *sc = scenario_load_opts(FUZZ_SET_BASE, sets, nsets, &o, d);
        fuzz_names_t nm = {FUZZ_SET_BASE, labels, sets, nsets, base};
        rc = fuzz_check(d, sc != NULL, &nm);
        scenario_free(sc);
    } else if (!base) {
        fprintf(stderr, "fuzz: cannot read %s (run from the repository root)\n", FUZZ_SET_BASE);
        rc = -1;
    }
    free(d);
    free(text);
    return rc;
}

/* A libFuzzer entry point over one of the functions above: a violated
 * property is a finding (abort, so that libFuzzer keeps the input). */
/* clustersim-view's readers of a results directory (viz/vdata.h): the
 * same bytes as timeseries.csv, events.csv, autoscaler.csv and
 * summary.json. Besides the located-message property, what loaded keeps
 * the model's invariants: sample times strictly increasing, every sync
 * with at least one metric, in time order. */
static inline int fuzz_results_input(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"fuzz:timeseries.csv", "fuzz:events.csv", "fuzz:autoscaler.csv",
                                        "fuzz:summary.json"};
    int (*const parse[])(vrun_t *, const char *, const char *, size_t, diag_t *) = {
        vdata_parse_timeseries, vdata_parse_events, vdata_parse_autoscaler, vdata_parse_summary};
    char *text = malloc(size + 1);
    diag_t *d = calloc(1, sizeof *d);
    int rc = 0;
    if (!text || !d) {
        free(text);
        free(d);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (int k = 0; k < 4 && rc == 0; k++) {
        vrun_t r;
        diag_init(d);
        if (!vdata_init(&r, "fuzz"))
            break;
        int got = parse[k](&r, names[k], text, size, d);
        for (int i = 1; got == 0 && i < r.nt; i++)
            if (!(r.t[i] > r.t[i - 1])) {
                fprintf(stderr, "fuzz: sample times out of order at %d\n", i);
                rc = -1;
            }
        for (int i = 0; got == 0 && i < r.nsyncs; i++)
            if (r.syncs[i].nm < 1 || (i > 0 && r.syncs[i].t < r.syncs[i - 1].t)) {
                fprintf(stderr, "fuzz: sync %d has no metric or is out of order\n", i);
                rc = -1;
            }
        fuzz_names_t nm = {names[k], NULL, NULL, 0, NULL, false};
        if (rc == 0)
            rc = fuzz_check(d, got == 0, &nm);
        vdata_free(&r);
    }
    free(text);
    free(d);
    return rc;
}

#define FUZZ_TARGET(fn)                                                  \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);        \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)         \
    {                                                                    \
        if (fn(data, size) != 0)                                         \
            abort();                                                     \
        return 0;                                                        \
    }

#endif
