/* evaluate: a candidate's replications judged (evaluate.h). */
#include "sim/evaluate.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sim/results.h"
#include "sim/run.h"

double eval_margin(const gate_verdict_t *v, double *half)
{
    const slo_t *g = v->slo;
    bool below = g->op == SLO_LT || g->op == SLO_LE;
    double scale = g->threshold != 0 ? fabs(g->threshold) : 1;
    *half = v->half / scale;
    return (below ? g->threshold - v->value : v->value - g->threshold) / scale;
}

bool eval_fails_surely(const gate_verdict_t *v)
{
    if (isnan(v->value) || isnan(v->half))
        return false;
    bool below = v->slo->op == SLO_LT || v->slo->op == SLO_LE;
    /* the interval's end nearest to passing still fails */
    return !slo_pass(v->slo, below ? v->value - v->half : v->value + v->half);
}

int eval_judge(const scenario_t *sc, const char *objective, const metrics_t *reps, int r, eval_t *out)
{
    memset(out, 0, sizeof *out);
    out->replications = r;
    run_result_t res = {0};
    res.reps = (metrics_t *)(uintptr_t)reps; /* gate_evaluate only reads them */
    res.replications = r;
    if (metrics_aggregate(&res.summary, reps, (size_t)r) != 0 ||
        gate_evaluate(sc, &res, GATE_ON_CI, &out->gates) != 0) {
        metrics_free(&res.summary);
        return -1;
    }
    const metric_t *m = metrics_find(&res.summary, objective);
    out->objective = m ? m->value : NAN;
    out->objective_half = m && r > 1 ? results_ci95(m) : NAN;
    metrics_free(&res.summary);
    out->feasible = out->gates.passed == out->gates.n;
    out->margin = out->margin_half = NAN;
    bool nosample = false;
    for (size_t i = 0; i < out->gates.n; i++) {
        const gate_verdict_t *v = &out->gates.v[i];
        out->infeasible |= eval_fails_surely(v);
        double half, mg = eval_margin(v, &half);
        if (nosample)
            continue;
        if (isnan(mg)) { /* no sample: no margin for the candidate */
            nosample = true;
            out->margin = out->margin_half = NAN;
            out->margin_gate = i;
        } else if (i == 0 || mg < out->margin) {
            out->margin = mg;
            out->margin_half = half;
            out->margin_gate = i;
        }
    }
    return 0;
}

void eval_free(eval_t *e) { gate_report_free(&e->gates); }
