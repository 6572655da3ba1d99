/* evaluate: one candidate configuration judged on its replications: the
 * objective's mean and 95% interval, and each `slo:` gate's value, interval,
 * verdict and margin, for searches over configurations (`clustersim tune`).
 *
 * The rule is check's (gate.h, GATE_ON_CI): a gate passes when its whole
 * 95% interval is on the passing side. A search also needs the other side:
 * a gate fails *with confidence* when its whole interval is on the failing
 * side (for `<` and `<=` the interval's lower end fails, for `>` and `>=`
 * its upper end), so that more replications cannot make it pass (at 95%).
 * A gate with no sample, or no interval yet, is neither.
 *
 * The margin of a gate is how far its value is on the passing side of the
 * threshold, as a fraction of |threshold| (threshold - value for `<`/`<=`,
 * value - threshold for `>`/`>=`; the plain difference when the threshold
 * is 0): positive passes, negative fails, and gates of different units
 * compare. A candidate's margin is that of its tightest gate (the least
 * margin), with that gate's half-width on the same scale.
 *
 * Library code: nothing is printed, nothing exits. */
#ifndef SIM_EVALUATE_H
#define SIM_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/gate.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

typedef struct eval {
    int replications;
    double objective, objective_half; /* mean and 95% half-width (NaN: none) */
    gate_report_t gates;              /* one verdict per gate of the scenario, GATE_ON_CI */
    bool feasible;                    /* every gate passes (its whole interval) */
    bool infeasible;                  /* a gate fails with confidence (its whole interval) */
    double margin, margin_half;       /* the tightest gate's margin (NaN: a gate has no sample) */
    size_t margin_gate;               /* which gate that is */
} eval_t;

/* Judges the r replications reps[0..r) (each a run's metrics, the same
 * paths in the same order) on sc's gates and on the metric at objective
 * (any summary.json path). 0, or -1 when out of memory. sc must outlive
 * out (its gates are borrowed): eval_free before scenario_free. */
int eval_judge(const scenario_t *sc, const char *objective, const metrics_t *reps, int r, eval_t *out);
void eval_free(eval_t *e);
/* Gate g's margin on the scale above, and its half-width in *half. */
double eval_margin(const gate_verdict_t *v, double *half);
/* Whether gate v fails with confidence (see above). */
bool eval_fails_surely(const gate_verdict_t *v);

#endif
