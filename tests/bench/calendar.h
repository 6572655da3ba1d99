/* calendar: a calendar queue (R. Brown, "Calendar queues: a fast O(1)
 * priority queue implementation for the simulation event set problem",
 * CACM 31(10), 1988), for tests/bench/bench_evq.c to measure against the
 * engine's heap (sim/evq.c). Not used by the simulator.
 *
 * The same contract as sim/evq.h where the benchmark needs it: pop in
 * (time, seq) order, handles that cancel. Events hang in `nb` buckets (a
 * power of two) of `width` ns each, bucket (t / width) mod nb, each a list
 * sorted by (time, seq), doubly linked through a node pool (32-bit links)
 * so that a cancel is O(1). A pop scans from the current bucket for an
 * event of the current "year"; after a whole year with none it finds the
 * least head directly. The buckets double (halve) when the count passes 2
 * nb (falls below nb / 2), and the width is set then to three times the
 * mean gap between pending events, as Brown's resize does from a sample
 * (here from the span of every pending time, which is O(n) as the resize
 * already is). */
#ifndef BENCH_CALENDAR_H
#define BENCH_CALENDAR_H

#include <stdint.h>
#include <stdlib.h>

#include "sim/evq.h"

#define CQ_NIL UINT32_MAX

typedef struct cq_node {
    simtime_t t;
    uint64_t seq;
    uint32_t next, prev, bucket, gen;
    evq_fn fn;
    void *obj;
    uint64_t arg;
} cq_node_t;

typedef struct cq {
    cq_node_t *nodes;
    uint32_t *head; /* per bucket; CQ_NIL when empty */
    uint32_t cap, free_head, nb;
    size_t n;
    uint64_t seq;
    simtime_t width, last;  /* last: the last time popped */
    uint32_t cur;           /* the bucket of `last` */
    simtime_t top;          /* the end of cur's day in the current year */
} cq_t;

static inline uint32_t cq_bucket(const cq_t *q, simtime_t t) { return (uint32_t)((uint64_t)(t / q->width) & (q->nb - 1)); }
static inline int cq_before(const cq_node_t *a, const cq_node_t *b) { return a->t < b->t || (a->t == b->t && a->seq < b->seq); }

static void cq_link(cq_t *q, uint32_t i)
{
    cq_node_t *nd = &q->nodes[i];
    uint32_t b = cq_bucket(q, nd->t), p = CQ_NIL, c = q->head[b];
    while (c != CQ_NIL && cq_before(&q->nodes[c], nd))
        p = c, c = q->nodes[c].next;
    nd->bucket = b, nd->prev = p, nd->next = c;
    if (p == CQ_NIL)
        q->head[b] = i;
    else
        q->nodes[p].next = i;
    if (c != CQ_NIL)
        q->nodes[c].prev = i;
}

static void cq_unlink(cq_t *q, uint32_t i)
{
    cq_node_t *nd = &q->nodes[i];
    if (nd->prev == CQ_NIL)
        q->head[nd->bucket] = nd->next;
    else
        q->nodes[nd->prev].next = nd->next;
    if (nd->next != CQ_NIL)
        q->nodes[nd->next].prev = nd->prev;
}

/* Sets where a scan starts: the day of `last`. */
static void cq_aim(cq_t *q)
{
    q->cur = cq_bucket(q, q->last);
    q->top = (q->last / q->width + 1) * q->width;
}

/* nb buckets, and the width three times the mean gap between the earliest
 * pending events (Brown's rule), estimated from 64 evenly spread pending
 * events: below the 8th least of them lie about n/8 events. Relinks
 * everything. */
static int cq_resize(cq_t *q, uint32_t nb)
{
    uint32_t *h = malloc((size_t)nb * sizeof *h);
    if (!h)
        return -1;
    enum { M = 64, K = 8 };
    simtime_t lo = INT64_MAX, sample[M];
    size_t step = q->n / M > 1 ? q->n / M : 1, seen = 0;
    int m = 0;
    uint32_t list = CQ_NIL; /* every pending node, through next */
    for (uint32_t b = 0; b < q->nb; b++)
        for (uint32_t c = q->head[b], nx; c != CQ_NIL; c = nx) {
            nx = q->nodes[c].next;
            simtime_t t = q->nodes[c].t;
            lo = t < lo ? t : lo;
            if (seen++ % step == 0 && m < M) { /* kept sorted: insertion */
                int j = m++;
                while (j > 0 && sample[j - 1] > t)
                    sample[j] = sample[j - 1], j--;
                sample[j] = t;
            }
            q->nodes[c].next = list;
            list = c;
        }
    free(q->head);
    q->head = h;
    q->nb = nb;
    for (uint32_t b = 0; b < nb; b++)
        h[b] = CQ_NIL;
    if (m > K) {
        double below = (double)K * (double)q->n / (double)m; /* events below sample[K] */
        simtime_t w = (simtime_t)(3.0 * (double)(sample[K] - lo) / below);
        q->width = w > 0 ? w : 1;
    }
    for (uint32_t c = list, nx; c != CQ_NIL; c = nx) {
        nx = q->nodes[c].next;
        cq_link(q, c);
    }
    cq_aim(q);
    return 0;
}

static int cq_grow_pool(cq_t *q)
{
    uint32_t ncap = q->cap ? q->cap * 2 : 64;
    cq_node_t *nd = realloc(q->nodes, (size_t)ncap * sizeof *nd);
    if (!nd)
        return -1;
    q->nodes = nd;
    for (uint32_t i = ncap; i-- > q->cap;) {
        nd[i].gen = 1;
        nd[i].bucket = CQ_NIL;
        nd[i].next = q->free_head;
        q->free_head = i;
    }
    q->cap = ncap;
    return 0;
}

static cq_t *cq_new(void)
{
    cq_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->free_head = CQ_NIL;
    q->nb = 2;
    q->width = SIM_S;
    q->head = malloc(2 * sizeof *q->head);
    if (!q->head) {
        free(q);
        return NULL;
    }
    q->head[0] = q->head[1] = CQ_NIL;
    cq_aim(q);
    return q;
}

static void cq_free(cq_t *q)
{
    if (q) {
        free(q->nodes);
        free(q->head);
        free(q);
    }
}

static cq_t *cq_new_hint(size_t hint)
{
    cq_t *q = cq_new();
    while (q && q->cap < hint)
        if (cq_grow_pool(q) != 0) {
            cq_free(q);
            return NULL;
        }
    return q;
}

static evq_handle_t cq_schedule(cq_t *q, simtime_t t, evq_fn fn, void *obj, uint64_t arg)
{
    if (q->free_head == CQ_NIL && cq_grow_pool(q) != 0)
        return 0;
    uint32_t i = q->free_head;
    cq_node_t *nd = &q->nodes[i];
    q->free_head = nd->next;
    nd->t = t, nd->seq = q->seq++, nd->fn = fn, nd->obj = obj, nd->arg = arg;
    cq_link(q, i);
    if (++q->n > 2 * (size_t)q->nb && cq_resize(q, q->nb * 2) != 0)
        return 0;
    return (uint64_t)nd->gen << 32 | i;
}

static void cq_release(cq_t *q, uint32_t i)
{
    cq_node_t *nd = &q->nodes[i];
    nd->bucket = CQ_NIL;
    nd->gen = nd->gen + 1 ? nd->gen + 1 : 1;
    nd->next = q->free_head;
    q->free_head = i;
    if (--q->n < q->nb / 2 && q->nb > 2)
        (void)cq_resize(q, q->nb / 2);
}

static bool cq_pop(cq_t *q, evq_event_t *ev)
{
    if (!q->n)
        return false;
    uint32_t found = CQ_NIL;
    for (uint32_t k = 0; k < q->nb; k++) {
        uint32_t c = q->head[q->cur];
        if (c != CQ_NIL && q->nodes[c].t < q->top) {
            found = c;
            break;
        }
        q->cur = (q->cur + 1) & (q->nb - 1);
        q->top += q->width;
    }
    if (found == CQ_NIL) { /* a year with none: the least head, directly */
        for (uint32_t b = 0; b < q->nb; b++) {
            uint32_t c = q->head[b];
            if (c != CQ_NIL && (found == CQ_NIL || cq_before(&q->nodes[c], &q->nodes[found])))
                found = c;
        }
    }
    cq_node_t *nd = &q->nodes[found];
    cq_unlink(q, found);
    ev->time = nd->t, ev->fn = nd->fn, ev->obj = nd->obj, ev->arg = nd->arg;
    q->last = nd->t;
    cq_aim(q);
    cq_release(q, found);
    return true;
}

static bool cq_cancel(cq_t *q, evq_handle_t h)
{
    uint32_t i = (uint32_t)h;
    if (!h || i >= q->cap || q->nodes[i].gen != (uint32_t)(h >> 32) || q->nodes[i].bucket == CQ_NIL)
        return false;
    cq_unlink(q, i);
    cq_release(q, i);
    return true;
}

#endif
