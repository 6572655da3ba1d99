#include "sim/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
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

/* Appends x (its value, ci95 NaN, and what kind of number it is) under
 * the path fmt formats; sets m->oom when memory ran out. */
static void vadd(metrics_t *m, metric_t x, const char *fmt, va_list ap)
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
    x.ci95 = NAN;
    vsnprintf(x.path, sizeof x.path, fmt, ap);
    m->v[m->n++] = x;
}

void metrics_add(metrics_t *m, double value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(m, (metric_t){.value = value, .trials = -1}, fmt, ap);
    va_end(ap);
}

void metrics_add_count(metrics_t *m, uint64_t events, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(m, (metric_t){.value = (double)events, .trials = -1, .count = true}, fmt, ap);
    va_end(ap);
}

void metrics_add_prop(metrics_t *m, uint64_t successes, uint64_t trials, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(m,
         (metric_t){.value = trials ? (double)successes / (double)trials : (double)NAN,
                    .trials = (double)trials,
                    .successes = (double)successes},
         fmt, ap);
    va_end(ap);
}

size_t metrics_numbers(const metrics_t *m)
{
    size_t n = m->n + 1;
    for (size_t i = 0; i < m->n; i++)
        n += m->v[i].trials >= 0 ? 2 : 0;
    return n;
}

void metrics_to_numbers(const metrics_t *m, double *out)
{
    size_t j = m->n;
    for (size_t i = 0; i < m->n; i++) {
        out[i] = m->v[i].value;
        if (m->v[i].trials >= 0) {
            out[j++] = m->v[i].trials;
            out[j++] = m->v[i].successes;
        }
    }
    out[j] = m->overloaded;
}

void metrics_from_numbers(metrics_t *m, const double *in)
{
    size_t j = m->n;
    for (size_t i = 0; i < m->n; i++) {
        m->v[i].value = in[i];
        m->v[i].ci95 = NAN;
        if (m->v[i].trials >= 0) {
            m->v[i].trials = in[j++];
            m->v[i].successes = in[j++];
        }
    }
    m->overloaded = in[j] != 0;
}

int metrics_select(metrics_t *out, const metrics_t *from, const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n && !out->oom; i++) {
        const metric_t *x = metrics_find(from, paths[i]);
        metrics_add(out, x ? x->value : NAN, "%s", paths[i]);
        if (x && !out->oom) {
            metric_t *y = &out->v[out->n - 1];
            y->trials = x->trials;
            y->successes = x->successes;
            y->count = x->count;
        }
    }
    out->overloaded = from->overloaded;
    return out->oom ? -1 : 0;
}

const metric_t *metrics_find(const metrics_t *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].path, path) == 0)
            return &m->v[i];
    return NULL;
}

/* Edit distance of two paths (bounded: paths are short). */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(b), row[256];
    if (n > 255 || strlen(a) > 255)
        return SIZE_MAX;
    for (size_t j = 0; j <= n; j++)
        row[j] = j;
    for (size_t i = 1; a[i - 1]; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= n; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[n];
}

void metrics_nearest(const metrics_t *m, const char *path, const char *near[3])
{
    size_t best[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}, at[3] = {0, 0, 0};
    for (size_t k = 0; k < m->n; k++) {
        size_t dk = distance(path, m->v[k].path);
        for (int r = 0; r < 3; r++)
            if (dk < best[r]) {
                for (int q = 2; q > r; q--)
                    best[q] = best[q - 1], at[q] = at[q - 1];
                best[r] = dk, at[r] = k;
                break;
            }
    }
    for (size_t r = 0; r < 3; r++)
        near[r] = r < m->n ? m->v[at[r]].path : "-";
}

int metrics_aggregate(metrics_t *out, const metrics_t *runs, size_t r)
{
    metrics_init(out);
    if (r == 0)
        return 0;
    for (size_t k = 0; k < r; k++)
        out->overloaded += runs[k].overloaded;
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
        if (out->oom)
            break;
        metric_t *o = &out->v[out->n - 1];
        if (r > 1)
            o->ci95 = half;
        if (runs[0].v[i].count) { /* a count: its total over the replications with one */
            o->count = true;
            o->trials = 0;
            for (size_t k = 0; k < r; k++)
                if (!isnan(runs[k].v[i].value)) {
                    o->trials++;
                    o->successes += runs[k].v[i].value;
                }
        } else if (runs[0].v[i].trials >= 0) { /* a proportion: its counts, pooled */
            o->trials = 0;
            for (size_t k = 0; k < r; k++)
                if (runs[k].v[i].trials > 0) {
                    o->trials += runs[k].v[i].trials;
                    o->successes += runs[k].v[i].successes;
                }
        }
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
