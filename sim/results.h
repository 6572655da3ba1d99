/* results: summary.json and the terminal table (cJSON lives only here).
 *
 * summary.json nests the metric paths ("services.web.latency_ms.p99"
 * becomes services -> web -> latency_ms -> p99); with replications each
 * number has a sibling NAME_ci95, the half-width of its 95% confidence
 * interval. Numbers are printed by cJSON (shortest form that reads back
 * exactly), so equal runs give equal bytes; only wall_s differs. The seed
 * is a 64-bit integer written with all its digits (a double would round
 * seeds above 2^53). */
#ifndef SIM_RESULTS_H
#define SIM_RESULTS_H

#include <stdio.h>

#include "sim/run.h"
#include "sim/scenario.h"

#define RESULTS_SCHEMA "clustersim.summary/v1"

/* The summary as JSON text (malloc'd), or NULL when out of memory;
 * run_scenario writes it and a newline to summary.json. */
char *results_summary_json(const scenario_t *sc, const run_result_t *res);
/* Prints the per-service table. */
void results_print_table(FILE *f, const scenario_t *sc, const run_result_t *res);

#endif
