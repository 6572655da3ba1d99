/* dist: probability distributions as values parsed from YAML.
 *
 *   {dist: exponential, mean: 1s}          {dist: deterministic, value: 5ms}
 *   {dist: lognormal, mean: 20ms, cv: 1.5} {dist: gamma, mean: 1s, cv: 0.5} or {shape, scale}
 *   {dist: weibull, shape: 1.5, scale: 1s} {dist: pareto, shape: 2.5, scale: 10ms}
 *   {dist: uniform, min: 1ms, max: 5ms}    {dist: empirical, file: samples.csv}
 *   "5ms" (a bare duration)  = deterministic
 *
 * Values are durations, sampled in seconds. Kinds are descriptors in one
 * static table (dist.c): name, parameter rows, prepare, sample. Sampling uses
 * GSL's gsl_ran_* algorithms, which do not depend on the platform's libm
 * beyond IEEE arithmetic, on sim/rng's generator; the exponential is
 * sim/rng's ziggurat (its tables are constants, not computed by the libm at
 * hand). An empirical distribution resamples the values of
 * a CSV file uniformly (a bootstrap of the observed service times). */
#ifndef SIM_DIST_H
#define SIM_DIST_H

#include <stdio.h>
#include "sim/params.h"
#include "sim/rng.h"
#include "sim/simtime.h"
#include "sim/textfile.h"

typedef struct dist dist_t;
typedef struct dist_kind dist_kind_t;

struct dist {
    const dist_kind_t *kind;
    double mean, cv, value, shape, scale, min, max;   /* seconds, or unitless */
    const char *file;
    int column;
    double a, b;                                      /* sampler parameters */
    double *samples;                                  /* empirical, in the arena */
    size_t nsamples;
};

struct dist_kind {
    const char *name;
    const param_t *params;
    size_t nparams;
    /* Checks parameter combinations and fills a, b; errors go to ctx. */
    int (*prepare)(dist_t *d, cfg_node_t *map, pctx_t *ctx, const char *path);
    double (*sample)(const dist_t *d, rng_t *r);
    double (*mean_of)(const dist_t *d);
    const char *help;
};

/* Decodes a distribution from node (a mapping with `dist:`, or a duration). */
int dist_decode(cfg_node_t *node, dist_t *d, pctx_t *ctx, const char *path);
/* A deterministic distribution of v seconds. */
void dist_deterministic(dist_t *d, double v);
/* One draw, in seconds (>= 0). */
static inline double dist_sample(const dist_t *d, rng_t *r) { return d->kind->sample(d, r); }
/* Draws are capped at 2^62 ns (146 years): a heavy tail (pareto with shape
 * below 1) can draw anything, and the time it is added to must not overflow
 * (times are at most 3650 days, so time + draw < 2^63). */
#define DIST_MAX_NS ((simtime_t)1 << 62)
/* One draw, in nanoseconds, in [0, DIST_MAX_NS]. */
static inline simtime_t dist_sample_ns(const dist_t *d, rng_t *r)
{
    double s = d->kind->sample(d, r);
    if (!(s < 4.6e9)) /* also NaN */
        return DIST_MAX_NS;
    return s > 0 ? simtime_from_s(s) : 0;
}
/* The distribution's mean, in seconds (INFINITY when it has none). */
double dist_mean(const dist_t *d);
/* Parses the samples of an empirical distribution from f (a CSV, the
 * durations in 0-based `column`; see dist.c) into d->samples (in a),
 * d->nsamples and d->a (their mean). 0, or -1 with located errors in diag.
 * Any text is safe: the fuzz target calls it with arbitrary bytes. */
int dist_empirical_parse(const textfile_t *f, int column, dist_t *d, arena_t *a, diag_t *diag);
/* The kind named `name`, or NULL. */
const dist_kind_t *dist_find(const char *name);
/* Writes the reference of every kind (Markdown). */
void dist_describe(FILE *f);

#endif
