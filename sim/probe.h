/* probe: a scenario judged at one setting, with confidence: R replications
 * (seeds S, S+1, ..., S+R-1, the same at every setting: common random
 * numbers), each slo: gate's mean over them and its 95% interval, and a
 * verdict in three: the gate holds, fails, or the interval cannot tell.
 *
 * The rule (check's --gate-on ci, with the other side made explicit):
 * - PASS: the whole 95% interval is on the passing side of the threshold
 *   (gate_evaluate's CI rule);
 * - FAIL: the whole interval is on the failing side (the interval's better
 *   end fails: for `<` and `<=` its lower end, for `>` and `>=` its upper
 *   end), or the gate has no sample (nothing was measured);
 * - UNSURE: the interval straddles the threshold, or there is no interval
 *   yet (fewer than two replications with a sample).
 * The probe's verdict is FAIL when one gate fails, PASS when every gate
 * passes, UNSURE otherwise. More replications narrow the intervals:
 * probe_run adds them (the next seeds) to those already there, and
 * probe_add takes replications computed elsewhere (a journal).
 *
 * For `clustersim capacity`, and for any search that asks "does the
 * scenario meet its slo: at this setting?". Library code: errors are
 * returned. */
#ifndef SIM_PROBE_H
#define SIM_PROBE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "sim/diag.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

typedef enum probe_verdict { PROBE_PASS, PROBE_FAIL, PROBE_UNSURE } probe_verdict_t;

/* One gate at the probe. */
typedef struct probe_gate {
    double value;           /* mean over the replications with a sample (NaN: none) */
    double half;            /* 95% half-width (NaN: no interval) */
    double margin;          /* how far the mean is on the passing side, relative to
                               |threshold| (absolute when the threshold is 0); < 0: failing */
    probe_verdict_t verdict;
} probe_gate_t;

typedef struct probe {
    scenario_t *sc;         /* the scenario with the probe's overrides */
    metrics_t *reps;        /* per replication, in seed order */
    int nreps, cap;
    metrics_t summary;      /* mean over reps, with ci95 when nreps > 1 */
    probe_gate_t *gates;    /* one per sc->slo */
    probe_verdict_t verdict;
} probe_t;

/* Loads the scenario at this setting (file with sets[0..nsets), as
 * scenario_load_opts with so). 0; -1 bad input (diagnostics in d); -2 out
 * of memory. p needs probe_free in every case. */
int probe_open(probe_t *p, const char *file, const char *const *sets, size_t nsets, const scenario_opts_t *so,
               diag_t *d);
void probe_free(probe_t *p);
/* Frees the replications' metrics, keeping the summary, the gates and
 * nreps: a finished probe (no probe_run or probe_add after it). */
void probe_trim(probe_t *p);
/* Runs n more replications (seeds S + nreps, ...) in threads (0: one per
 * core) and judges again. 0; -1 a run failed (message in err); -2 out of
 * memory; -3 stopped by *stop (replications may still be running, reading
 * p->sc: end the process without freeing p). */
int probe_run(probe_t *p, int n, int threads, const atomic_int *stop, char *err, size_t errlen);
/* Runs replications first..first+n-1 (seeds S + first, ...) in threads
 * into out[0..n), without adding them (for a share of a batch computed by
 * one process of many). Returns as probe_run; out[] needs metrics_free
 * after 0. */
int probe_simulate(probe_t *p, int first, int n, int threads, const atomic_int *stop, metrics_t *out, char *err,
                   size_t errlen);
/* Adds replication metrics computed elsewhere (taken: m is left empty) as
 * the next replication and judges again. 0, or -1 when m's paths are not
 * the scenario's or memory ran out. */
int probe_add(probe_t *p, metrics_t *m);
/* The verdict's name: "pass", "fail", "unsure". */
const char *probe_verdict_name(probe_verdict_t v);

#endif
