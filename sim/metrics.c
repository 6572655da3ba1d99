#include "sim/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"

void metrics_init(metrics_t *m) { memset(m, 0, sizeof *m); }

void metrics_free(metrics_t *m)
{
    free(m->v);
    memset(m, 0, sizeof *m);
}

void metrics_add(metrics_t *m, double value, const char *fmt, ...)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        metric_t *g = realloc(m->v, nc * sizeof *g);
        if (!g) {
            m->oom = 1;
            return;
        }
        m->v = g;
        m->cap = nc;
    }
    metric_t *x = &m->v[m->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->path, sizeof x->path, fmt, ap);
    va_end(ap);
    x->value = value;
    x->ci95 = NAN;
}

const metric_t *metrics_find(const metrics_t *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].path, path) == 0)
            return &m->v[i];
    return NULL;
}

int metrics_aggregate(metrics_t *out, const metrics_t *runs, size_t r)
{
    metrics_init(out);
    if (r == 0)
        return 0;
    double *x = malloc(r * sizeof *x);
    if (!x)
        return -1;
    for (size_t i = 0; i < runs[0].n; i++) {
        for (size_t k = 0; k < r; k++) {
            if (runs[k].n != runs[0].n || strcmp(runs[k].v[i].path, runs[0].v[i].path) != 0) {
                free(x);
                return -1;
            }
            x[k] = runs[k].v[i].value;
        }
        double mean, half;
        stats_mean_ci95(x, r, &mean, &half);
        metrics_add(out, mean, "%s", runs[0].v[i].path);
        if (r > 1 && !out->oom)
            out->v[out->n - 1].ci95 = half;
    }
    free(x);
    return out->oom ? -1 : 0;
}

void metrics_add_latency(metrics_t *m, const hist_t *h, const char *prefix, bool with_max)
{
    metrics_add(m, hist_mean(h) / 1e6, "%s.mean", prefix);
    metrics_add(m, hist_quantile(h, 0.50) / 1e6, "%s.p50", prefix);
    metrics_add(m, hist_quantile(h, 0.95) / 1e6, "%s.p95", prefix);
    metrics_add(m, hist_quantile(h, 0.99) / 1e6, "%s.p99", prefix);
    if (with_max)
        metrics_add(m, h->n ? (double)h->max / 1e6 : NAN, "%s.max", prefix);
}

double metrics_value(const metrics_t *m, const char *path)
{
    const metric_t *x = metrics_find(m, path);
    return x ? x->value : NAN;
}
