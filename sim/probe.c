/* probe: see probe.h. The verdicts come from gate_evaluate (the CI rule)
 * and, for the failing side, the same interval's other end; capacity's
 * probes and tune's candidates are judged by the one judge_summary. */
#include "sim/probe.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/results.h"
#include "sim/run.h"
#include "sim/stats.h"

int probe_open(probe_t *p, const char *file, const char *const *sets, size_t nsets, const scenario_opts_t *so,
               diag_t *d)
{
    memset(p, 0, sizeof *p);
    metrics_init(&p->summary);
    p->sc = scenario_load_opts(file, sets, nsets, so, d);
    if (!p->sc)
        return diag_exit_code(d) == 2 ? -1 : -2;
    p->gates = calloc(p->sc->nslo ? p->sc->nslo : 1, sizeof *p->gates);
    if (!p->gates)
        return -2;
    p->verdict = PROBE_UNSURE;
    return 0;
}

void probe_trim(probe_t *p)
{
    for (int i = 0; p->reps && i < p->nreps; i++)
        metrics_free(&p->reps[i]);
    free(p->reps);
    p->reps = NULL;
    p->cap = 0;
}

void probe_free(probe_t *p)
{
    probe_trim(p);
    metrics_free(&p->summary);
    free(p->gates);
    scenario_free(p->sc);
    memset(p, 0, sizeof *p);
}

double probe_margin(const gate_verdict_t *v, double *half)
{
    const slo_t *g = v->slo;
    bool below = g->op == SLO_LT || g->op == SLO_LE;
    double scale = g->threshold != 0 ? fabs(g->threshold) : 1;
    *half = v->half / scale;
    return (below ? g->threshold - v->value : v->value - g->threshold) / scale;
}

bool probe_fails_surely(const gate_verdict_t *v)
{
    if (isnan(v->value) || isnan(v->half))
        return false;
    bool below = v->slo->op == SLO_LT || v->slo->op == SLO_LE;
    /* the interval's end nearest to passing still fails */
    return !slo_pass(v->slo, below ? v->value - v->half : v->value + v->half);
}

probe_verdict_t probe_gate_verdict(const gate_verdict_t *v)
{
    if (v->basis == GATE_NO_SAMPLE || v->basis == GATE_OVERLOADED)
        return PROBE_FAIL;
    if (isnan(v->half)) /* one replication, or one with a sample: no interval */
        return PROBE_UNSURE;
    if (v->pass)
        return PROBE_PASS;
    return probe_fails_surely(v) ? PROBE_FAIL : PROBE_UNSURE;
}

double probe_split(double half, double dof, int k)
{
    if (k <= 1 || !(dof >= 1) || isnan(half))
        return half;
    return half * stats_t_quantile(1 - 0.025 / k, dof) / stats_t_quantile(0.975, dof);
}

int probe_looks(int first, int most)
{
    int looks = 1;
    for (int n = first; n > 0 && n < most; n = 2 * n < most ? 2 * n : most)
        looks++;
    return looks;
}

/* Whether gate v fails surely at a one-sided error of 2.5% / k. */
static bool fails_surely_split(const gate_verdict_t *v, int k)
{
    if (k <= 1 || v->basis != GATE_BY_CI || v->samples < 2)
        return probe_fails_surely(v);
    gate_verdict_t side = *v;
    side.half = probe_split(v->half, v->samples - 1, k);
    return probe_fails_surely(&side);
}

/* probe_judge on replications already aggregated into summary. */
static int judge_summary(const scenario_t *sc, const char *objective, const metrics_t *summary,
                         const metrics_t *reps, int r, int looks, probe_eval_t *out)
{
    memset(out, 0, sizeof *out);
    out->replications = r;
    run_result_t res = {*summary, (metrics_t *)(uintptr_t)reps, r, 0}; /* gate_evaluate only reads them */
    if (gate_evaluate(sc, &res, GATE_ON_CI, &out->gates) != 0)
        return -1;
    const metric_t *m = objective ? metrics_find(summary, objective) : NULL;
    out->objective = m ? m->value : NAN;
    out->objective_half = m && r > 1 ? results_ci95(m) : NAN;
    out->feasible = out->gates.passed == out->gates.n;
    out->margin = out->margin_half = NAN;
    bool nosample = false;
    for (size_t i = 0; i < out->gates.n; i++) {
        const gate_verdict_t *v = &out->gates.v[i];
        /* an overloaded replication fails every gate, whatever more bring */
        out->infeasible |= fails_surely_split(v, looks * (int)out->gates.n) || v->basis == GATE_OVERLOADED;
        double half, mg = probe_margin(v, &half);
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

int probe_judge(const scenario_t *sc, const char *objective, const metrics_t *reps, int r, int looks,
                probe_eval_t *out)
{
    memset(out, 0, sizeof *out); /* probe_eval_free-able whatever happens */
    metrics_t summary;
    metrics_init(&summary);
    int rc = metrics_aggregate(&summary, reps, (size_t)r) != 0 ? -1
             : judge_summary(sc, objective, &summary, reps, r, looks, out);
    metrics_free(&summary);
    return rc;
}

void probe_eval_free(probe_eval_t *e) { gate_report_free(&e->gates); }

/* Aggregates the probe's replications and judges every gate. 0, or -1. */
static int judge(probe_t *p)
{
    metrics_free(&p->summary);
    probe_eval_t ev;
    if (metrics_aggregate(&p->summary, p->reps, (size_t)p->nreps) != 0 ||
        judge_summary(p->sc, NULL, &p->summary, p->reps, p->nreps, 1, &ev) != 0)
        return -1;
    bool any_fail = false, all_pass = true;
    int looks = p->looks > 1 ? p->looks : 1, ngates = (int)ev.gates.n;
    for (size_t i = 0; i < ev.gates.n; i++) {
        const gate_verdict_t *gv = &ev.gates.v[i];
        probe_gate_t *pg = &p->gates[i];
        double half;
        pg->value = gv->value;
        pg->half = gv->half;
        pg->margin = probe_margin(gv, &half);
        pg->verdict = probe_gate_verdict(gv);
        if ((looks > 1 || ngates > 1) && gv->basis == GATE_BY_CI && gv->samples >= 2) {
            /* the error split between the looks and, failing, the gates */
            double side = probe_split(gv->half, gv->samples - 1, looks);
            bool below = gv->slo->op == SLO_LT || gv->slo->op == SLO_LE;
            bool pass = slo_pass(gv->slo, below ? gv->value + side : gv->value - side);
            pg->verdict = pass ? PROBE_PASS : fails_surely_split(gv, looks * ngates) ? PROBE_FAIL : PROBE_UNSURE;
        }
        any_fail |= pg->verdict == PROBE_FAIL;
        all_pass &= pg->verdict == PROBE_PASS;
    }
    probe_eval_free(&ev);
    p->verdict = any_fail ? PROBE_FAIL : all_pass ? PROBE_PASS : PROBE_UNSURE;
    return 0;
}

static int grow(probe_t *p, int n)
{
    if (p->nreps + n <= p->cap)
        return 0;
    int cap = p->cap ? p->cap : 8;
    while (cap < p->nreps + n)
        cap *= 2;
    metrics_t *r = realloc(p->reps, (size_t)cap * sizeof *r);
    if (!r)
        return -1;
    p->reps = r;
    p->cap = cap;
    return 0;
}

int probe_add(probe_t *p, metrics_t *m)
{
    if (p->nreps > 0) {
        const metrics_t *a = &p->reps[0];
        if (a->n != m->n)
            return -1;
        for (size_t i = 0; i < a->n; i++)
            if (strcmp(a->v[i].path, m->v[i].path) != 0)
                return -1;
    }
    if (grow(p, 1) != 0)
        return -1;
    p->reps[p->nreps++] = *m;
    metrics_init(m);
    return judge(p);
}

int probe_simulate(probe_t *p, int first, int n, int threads, const atomic_int *stop, metrics_t *out, char *err,
                   size_t errlen)
{
    /* replication i of run_scenario runs with sc->seed + i: the batch
     * starts at seed + first */
    uint64_t seed = p->sc->seed;
    p->sc->seed = seed + (uint64_t)first;
    run_opts_t o = {NULL, n, threads, false, stop, true};
    run_result_t res;
    int rc = run_scenario(p->sc, &o, &res, err, errlen);
    if (rc == RUN_STOPPED)
        return -3; /* sc is still read: its seed stays as it is */
    p->sc->seed = seed;
    if (rc != RUN_OK) {
        run_result_free(&res);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        out[i] = res.reps[i];
        metrics_init(&res.reps[i]);
    }
    run_result_free(&res);
    return 0;
}

int probe_run(probe_t *p, int n, int threads, const atomic_int *stop, char *err, size_t errlen)
{
    if (grow(p, n) != 0)
        return -2;
    int rc = probe_simulate(p, p->nreps, n, threads, stop, p->reps + p->nreps, err, errlen);
    if (rc != 0)
        return rc;
    p->nreps += n;
    return judge(p) == 0 ? 0 : -2;
}

const char *probe_verdict_name(probe_verdict_t v)
{
    return v == PROBE_PASS ? "pass" : v == PROBE_FAIL ? "fail" : "unsure";
}
