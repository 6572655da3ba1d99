/* scenario: a what-if run, loaded from YAML and checked before anything runs.
 *
 * The loader is strict: an unknown key, a wrong type, a value out of its
 * bounds, a missing required key or a reference to an undefined service is
 * an error with `file:line:col: message`; every error found is reported (up
 * to DIAG_MAX) and nothing runs. `--set PATH=VALUE` overrides are applied to
 * the YAML tree before decoding, so they are checked like the file. The
 * keys, their units, defaults and bounds are the tables of models and of
 * this file; `clustersim describe` prints them (scenarios/README.md). */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/arena.h"
#include "sim/diag.h"
#include "sim/metrics.h"
#include "sim/simtime.h"
#include "sim/station.h"

/* An SLO gate: a path into summary.json, an operator and a threshold. */
enum { SLO_LT, SLO_LE, SLO_GT, SLO_GE };
typedef struct slo {
    const char *name, *metric;
    int op;
    double threshold;
    srcpos_t pos, metric_pos;
} slo_t;

/* Whether value meets the gate (NaN, no sample, never does). */
static inline bool slo_pass(const slo_t *g, double v)
{
    switch (g->op) {
    case SLO_LT: return v < g->threshold;
    case SLO_LE: return v <= g->threshold;
    case SLO_GT: return v > g->threshold;
    default: return v >= g->threshold;
    }
}
extern const char *const slo_ops[];

struct scenario {
    const char *name;
    const char *file;
    uint64_t seed;
    simtime_t duration, warmup, sample_interval;
    simtime_t metrics_resolution;  /* metrics-server --metric-resolution */
    simtime_t metrics_window;      /* CPU and request rates are averaged over it */
    station_cfg_t *stations;      /* by kind in catalogue order, then in file order */
    size_t nstations;
    struct slo *slo;              /* the `slo:` gates, in file order */
    size_t nslo;
    fault_spec_t *faults;         /* the `faults:` schedule, as written */
    const char **fault_targets;
    size_t nfaults;
    arena_t *arena;               /* owns everything above */
    /* the models' top-level keys (catalog_t.platform), scenario_models() */
    _Alignas(16) unsigned char models[];
};

/* Loads a scenario file with overrides ("PATH=VALUE", nsets of them). NULL
 * with diagnostics in d on any error. */
scenario_t *scenario_load(const char *path, const char *const *sets, size_t nsets, diag_t *d);
/* Options of a load. */
typedef struct scenario_opts {
    const char *const *labels;  /* per override: its name in messages (NULL entries or
                                   array: "--set[i]"), columns counted in its value */
    bool strict;                /* unknown fields in referenced manifests are errors */
    const bool *whole;          /* per override (NULL: none): a labelled override's columns count
                                   in the whole PATH=VALUE, as an unlabelled one's (sweep's --vary) */
} scenario_opts_t;
/* The same, with options (NULL: none). */
scenario_t *scenario_load_opts(const char *path, const char *const *sets, size_t nsets, const scenario_opts_t *o,
                               diag_t *d);
/* The same from YAML text (name used in messages and as base directory "."). */
scenario_t *scenario_load_string(const char *yaml, const char *name, const char *const *sets, size_t nsets,
                                 diag_t *d);
void scenario_free(scenario_t *s);
/* The station of kind k (NULL: any) named `name`, or NULL. */
const station_cfg_t *scenario_station(const scenario_t *s, const station_kind_t *k, const char *name);
/* The stations of kind k: the first, and their count in *n (consecutive). */
station_cfg_t *scenario_stations_of(const scenario_t *s, const station_kind_t *k, size_t *n);
/* The block of the models' top-level keys. */
static inline void *scenario_models(const scenario_t *s) { return (void *)(uintptr_t)s->models; }
/* Every metric path a run of s writes to summary.json, in order (values
 * meaningless): the paths depend only on the configuration, so a world that
 * has not run lists them. 0, or -1 when out of memory (out is then empty). */
int scenario_metric_paths(const scenario_t *s, metrics_t *out);
/* Writes the scenario reference (Markdown tables of every key). */
void scenario_describe(FILE *f);

#endif
