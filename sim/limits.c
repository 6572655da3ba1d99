#include "sim/limits.h"

#include <stdint.h>
#include <stdlib.h>

#include "models/autoscaler.h"
#include "sim/scenario.h"

/* The most replicas a service's Deployment can be asked for: its initial
 * replicas or, when an autoscaler is higher, the autoscaler's maximum (both
 * autoscalers clamp their decisions to it). */
static int64_t most_replicas(const service_cfg_t *c)
{
    int64_t r = c->replicas;
    const autoscaler_cfg_t *a = &c->autoscaler;
    int64_t amax = a->kind == &autoscaler_hpa ? (a->hpa ? a->hpa->max_replicas : 0)
                   : a->kind                   ? a->max_replicas
                                               : 0;
    return amax > r ? amax : r;
}

/* Visits one request makes from service u, saturated at LIMIT_VISITS + 1
 * (memo[u] 0: not computed yet). The call graph has no loops (checked
 * before) and at most LIMIT_SERVICES services, which bounds the recursion. */
static int64_t visits(const scenario_t *sc, size_t u, int64_t *memo, diag_t *d, int *errs)
{
    if (memo[u])
        return memo[u];
    const service_cfg_t *c = &sc->services[u];
    int64_t v = 1;
    for (size_t k = 0; k < c->ncalls && v <= LIMIT_VISITS; k++) {
        int64_t sub = visits(sc, c->calls[k], memo, d, errs);
        if (sub > LIMIT_VISITS)
            return memo[u] = sub; /* reported at the callee's own call */
        v += sub;
        if (v > LIMIT_VISITS) {
            diag_error(d, c->call_pos[k],
                       "services.%s.calls[%zu]: a request to '%s' would make more than %d service visits (calls, "
                       "counted through every service they call), above clustersim's limit of %d per request",
                       c->name, k, c->name, LIMIT_VISITS, LIMIT_VISITS);
            (*errs)++;
        }
    }
    return memo[u] = v;
}

int limits_check(const scenario_t *sc, srcpos_t interval_pos, diag_t *d)
{
    if (sc->nservices > LIMIT_SERVICES) {
        const service_cfg_t *c = &sc->services[LIMIT_SERVICES];
        diag_error(d, c->pos, "services.%s: service %d of %zu is above clustersim's limit of %d services per run",
                   c->name, LIMIT_SERVICES + 1, sc->nservices, LIMIT_SERVICES);
        return 1;
    }
    int errs = 0;
    int64_t pods = 0, workers = 0;
    for (size_t i = 0; i < sc->nservices; i++) {
        const service_cfg_t *c = &sc->services[i];
        int64_t r = most_replicas(c);
        /* a RollingUpdate rollout keeps up to replicas + maxSurge pods */
        int64_t surge = c->nrollouts && !c->recreate ? k8s_intstr_resolve(c->max_surge, (int32_t)r, true) : 0;
        int64_t p = r + surge;
        if (pods <= LIMIT_PODS && pods + p > LIMIT_PODS) {
            if (surge)
                diag_error(d, c->pos,
                           "services.%s: up to %lld pods at once (%lld replicas + %lld surge in a rollout) bring the "
                           "run to %lld, above clustersim's limit of %d pods per run",
                           c->name, (long long)p, (long long)r, (long long)surge, (long long)(pods + p), LIMIT_PODS);
            else
                diag_error(d, c->pos,
                           "services.%s: up to %lld pod%s at once bring%s the run to %lld, above clustersim's limit "
                           "of %d pods per run",
                           c->name, (long long)p, p == 1 ? "" : "s", p == 1 ? "s" : "", (long long)(pods + p),
                           LIMIT_PODS);
            errs++;
        }
        pods += p;
        int64_t wk = p * c->concurrency;
        if (workers <= LIMIT_WORKERS && workers + wk > LIMIT_WORKERS && !errs) { /* one message per cause */
            diag_error(d, c->pos,
                       "services.%s: up to %lld pods x concurrency %d bring the run to %lld workers, above "
                       "clustersim's limit of %d workers per run",
                       c->name, (long long)p, c->concurrency, (long long)(workers + wk), LIMIT_WORKERS);
            errs++;
        }
        workers += wk;
    }
    /* whole samples: on_sample fires at every interval up to the end */
    int64_t samples = sc->duration / sc->sample_interval;
    int64_t series = LIMIT_SERIES_RUN + LIMIT_SERIES_PER_SERVICE * (int64_t)sc->nservices;
    if (samples > LIMIT_SERIES_ROWS / series) {
        diag_error(d, interval_pos,
                   "sample_interval: %lld samples of %lld series make %lld rows of timeseries.csv, above "
                   "clustersim's limit of %d rows per replication; make it longer",
                   (long long)samples, (long long)series, (long long)(samples * series), LIMIT_SERIES_ROWS);
        errs++;
    }
    int64_t *memo = calloc(sc->nservices, sizeof *memo);
    if (!memo) {
        diag_oom(d, (srcpos_t){sc->file, 0, 0});
        return errs + 1;
    }
    for (size_t i = 0; i < sc->nservices; i++)
        visits(sc, i, memo, d, &errs);
    free(memo);
    return errs;
}
