/* results: summary.json and the terminal table (cJSON lives only here).
 *
 * summary.json nests the metric paths ("services.web.latency_ms.p99"
 * becomes services -> web -> latency_ms -> p99); with replications each
 * number has a sibling NAME_ci95, the half-width of its 95% confidence
 * interval. Numbers are printed by cJSON (shortest form that reads back
 * exactly), so equal runs give equal bytes; only wall_s differs. The seed
 * is a 64-bit integer written with all its digits (a double would round
 * seeds above 2^53).
 *
 * A percentile's interval allows for what the histogram it comes from can
 * tell apart: its NAME_ci95 is the replications' Student-t half-width plus
 * hist_resolution() at its value (half a bucket, 0.39% to 0.78% of the
 * value, a bias of the reading that averaging does not shrink), so ten
 * replications landing in one bucket report that bucket's half-width, not
 * 0. A proportion's (metrics_add_prop) also covers the binomial 95%
 * interval of its counts pooled over the replications, so that
 * replications that all saw no error in few requests do not report 0 +- 0;
 * a count of events' (metrics_add_count) the Poisson interval of its total.
 * results_ci95() is that number, for every reader of a run's intervals
 * (summary.json, check's gates, sweep, tune and capacity). */
#ifndef SIM_RESULTS_H
#define SIM_RESULTS_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/run.h"
#include "sim/scenario.h"

#define RESULTS_SCHEMA "clustersim.summary/v1"

/* The summary as JSON text (malloc'd), or NULL when out of memory;
 * run_scenario writes it and a newline to summary.json. */
char *results_summary_json(const scenario_t *sc, const run_result_t *res);
/* Whether path is a percentile of a latency histogram: PREFIX_ms.pNN. */
bool results_is_percentile(const char *path);
/* How far the value at path may be from what it stands for because of the
 * histogram it was read from: for a percentile (PREFIX_ms.pNN) at value ms,
 * hist_resolution there, in ms; 0 for any other metric or a NaN value. */
double results_resolution(const char *path, double value);
/* The 95% half-width of m as summary.json gives it: m->ci95, and for a
 * percentile at least the histogram's resolution at its value (in ms). NaN
 * when m has no interval (one replication, or no sample). */
double results_ci95(const metric_t *m);
/* Prints the per-service table. */
void results_print_table(FILE *f, const scenario_t *sc, const run_result_t *res);

#endif
