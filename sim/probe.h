/* probe: a scenario judged at one setting, with confidence, for searches
 * over settings: `clustersim capacity` (probe_t: R replications, added as
 * needed) and `clustersim tune` (probe_judge: a candidate's replications,
 * its objective and margins). The replications use the seeds S, S+1, ...,
 * S+R-1, the same at every setting (common random numbers).
 *
 * The rule is check's (gate.h, GATE_ON_CI), with the other side made
 * explicit. For each slo: gate, its mean over the replications and its 95%
 * interval give a verdict in three:
 * - PASS: the whole 95% interval is on the passing side of the threshold
 *   (gate_evaluate's CI rule);
 * - FAIL: the whole interval is on the failing side (the interval's better
 *   end fails: for `<` and `<=` its lower end, for `>` and `>=` its upper
 *   end: the gate "fails surely", more replications cannot make it pass at
 *   95%), or the gate has no sample (nothing was measured);
 * - UNSURE: the interval straddles the threshold, or there is no interval
 *   yet (fewer than two replications with a sample).
 * A probe's verdict is FAIL when one gate fails, PASS when every gate
 * passes, UNSURE otherwise. More replications narrow the intervals:
 * probe_run adds them (the next seeds) to those already there, and
 * probe_add takes replications computed elsewhere (a journal).
 *
 * Judged again as replications come, a probe would stop at the first look
 * that decides, and each look is a chance to be wrong: at 3 looks of 95%
 * intervals a gate at its threshold passed 5.5% of the time, not 2.5%, and
 * more looks kept raising it. So with `looks` L > 1 the error is split
 * between them (Bonferroni): each side of each look is judged at
 * 2.5% / L, its interval's half-width scaled by the ratio of Student t
 * quantiles t(1 - 0.025/L) / t(0.975) at the same degrees of freedom; and
 * since any one of G gates failing fails the probe, the failing side is
 * judged at 2.5% / (L G). Passing needs every gate, which needs no split.
 * The gates' half-widths kept in probe_gate_t are the plain 95% ones.
 *
 * The margin of a gate is how far its value is on the passing side of the
 * threshold, as a fraction of |threshold| (threshold - value for `<`/`<=`,
 * value - threshold for `>`/`>=`; the plain difference when the threshold
 * is 0): positive passes, negative fails, and gates of different units
 * compare. A candidate's margin (probe_judge) is that of its tightest gate
 * (the least margin), with that gate's half-width on the same scale.
 *
 * Library code: nothing is printed, nothing exits; errors are returned. */
#ifndef SIM_PROBE_H
#define SIM_PROBE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "sim/diag.h"
#include "sim/gate.h"
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
    /* the most times the probe will be judged as replications are added
     * (set by its user before the first; 0 or 1: once): see below */
    int looks;
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

/* ---- judging replications (a candidate of a search) ---- */

typedef struct probe_eval {
    int replications;
    double objective, objective_half; /* mean and 95% half-width (NaN: none) */
    gate_report_t gates;              /* one verdict per gate of the scenario, GATE_ON_CI */
    bool feasible;                    /* every gate passes (gate_evaluate's pass) */
    bool infeasible;                  /* a gate fails surely (its whole interval) */
    double margin, margin_half;       /* the tightest gate's margin (NaN: a gate has no sample) */
    size_t margin_gate;               /* which gate that is */
} probe_eval_t;

/* Judges the r replications reps[0..r) (each a run's metrics, the same
 * paths in the same order) on sc's gates and on the metric at objective
 * (any summary.json path; NULL: none, objective NaN). 0, or -1 when out of
 * memory. sc must outlive out (its gates are borrowed): probe_eval_free
 * before scenario_free. looks is the most times the candidate is judged
 * (a search's rounds): `infeasible`, which drops it, is decided as a
 * probe's failing side is, at 2.5% / (looks x gates) (its gates' intervals
 * widened by probe_split); `feasible`, the gates' verdicts and the margin
 * stay those of the plain 95% intervals. */
int probe_judge(const scenario_t *sc, const char *objective, const metrics_t *reps, int r, int looks,
                probe_eval_t *out);
/* A 95% t half-width at dof degrees of freedom widened to a one-sided
 * error of 2.5% / k (Bonferroni over k looks or tests): scaled by
 * t(1 - 0.025/k, dof) / t(0.975, dof); itself when k <= 1 or dof < 1. */
double probe_split(double half, double dof, int k);
/* The looks of a doubling schedule, first, 2 first, 4 first, ... capped
 * at most: how many times a search judges a setting whose replications
 * double from first to most (capacity's probes, tune's rounds). */
int probe_looks(int first, int most);
void probe_eval_free(probe_eval_t *e);
/* Gate v's margin on the scale above, and its half-width in *half. */
double probe_margin(const gate_verdict_t *v, double *half);
/* Whether gate v fails surely: it has a value and an interval, and the
 * interval's end nearest to passing fails. */
bool probe_fails_surely(const gate_verdict_t *v);
/* Gate v's verdict in three (the rule above). */
probe_verdict_t probe_gate_verdict(const gate_verdict_t *v);

#endif
