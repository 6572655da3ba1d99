/* gauge: a time-weighted level (busy workers, queue length, replicas).
 *
 * The gauge keeps the area under its step function since `start`; its mean
 * over [start, now] is area / (now - start). Updates are O(1) and inline, as
 * they happen on every request. */
#ifndef SIM_GAUGE_H
#define SIM_GAUGE_H

#include "sim/simtime.h"

typedef struct gauge {
    double value;
    double area;          /* value x ns since start */
    double max, min;      /* since start */
    simtime_t last, start;
} gauge_t;

static inline void gauge_init(gauge_t *g, simtime_t now, double v)
{
    g->value = g->max = g->min = v;
    g->area = 0;
    g->last = g->start = now;
}

static inline void gauge_set(gauge_t *g, simtime_t now, double v)
{
    g->area += g->value * (double)(now - g->last);
    g->last = now;
    g->value = v;
    if (v > g->max)
        g->max = v;
    if (v < g->min)
        g->min = v;
}

static inline void gauge_add(gauge_t *g, simtime_t now, double dv) { gauge_set(g, now, g->value + dv); }

/* Area from start to now. */
static inline double gauge_area(const gauge_t *g, simtime_t now)
{
    return g->area + g->value * (double)(now - g->last);
}

/* Forgets the past: statistics restart at now (end of warm-up). */
static inline void gauge_restart(gauge_t *g, simtime_t now) { gauge_init(g, now, g->value); }

/* Time-weighted mean over [start, now]; the current value when no time passed. */
static inline double gauge_mean(const gauge_t *g, simtime_t now)
{
    return now > g->start ? gauge_area(g, now) / (double)(now - g->start) : g->value;
}

#endif
