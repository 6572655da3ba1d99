/* probe: see probe.h. The verdicts come from gate_evaluate (the CI rule)
 * and, for the failing side, the same interval's other end. */
#include "sim/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/gate.h"
#include "sim/run.h"

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

/* Aggregates the replications and judges every gate. 0, or -1. */
static int judge(probe_t *p)
{
    metrics_free(&p->summary);
    if (metrics_aggregate(&p->summary, p->reps, (size_t)p->nreps) != 0)
        return -1;
    run_result_t res = {p->summary, p->reps, p->nreps, 0};
    gate_report_t rep;
    if (gate_evaluate(p->sc, &res, GATE_ON_CI, &rep) != 0)
        return -1;
    bool any_fail = false, all_pass = true;
    for (size_t i = 0; i < p->sc->nslo; i++) {
        const gate_verdict_t *gv = &rep.v[i];
        const slo_t *g = gv->slo;
        probe_gate_t *pg = &p->gates[i];
        pg->value = gv->value;
        pg->half = gv->half;
        bool lower_better = g->op == SLO_LT || g->op == SLO_LE;
        double scale = g->threshold != 0 ? fabs(g->threshold) : 1;
        pg->margin = (lower_better ? g->threshold - gv->value : gv->value - g->threshold) / scale;
        if (gv->basis == GATE_NO_SAMPLE)
            pg->verdict = PROBE_FAIL;
        else if (isnan(gv->half)) /* one replication, or one with a sample: no interval */
            pg->verdict = PROBE_UNSURE;
        else if (gv->pass)
            pg->verdict = PROBE_PASS;
        else /* the interval's better end fails too: the whole interval does */
            pg->verdict = slo_pass(g, lower_better ? gv->value - gv->half : gv->value + gv->half) ? PROBE_UNSURE
                                                                                                  : PROBE_FAIL;
        any_fail |= pg->verdict == PROBE_FAIL;
        all_pass &= pg->verdict == PROBE_PASS;
    }
    gate_report_free(&rep);
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
    run_opts_t o = {NULL, n, threads, false, stop};
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
