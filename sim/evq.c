#include "sim/evq.h"

#include <stdlib.h>

#define EVQ_FREE UINT32_MAX
#define ARITY 4

typedef struct entry {
    simtime_t time;
    uint64_t seq;
    uint32_t slot;
} entry_t;

typedef struct node {
    evq_fn fn;
    void *obj;
    uint64_t arg;
    uint32_t pos;        /* index in heap, or EVQ_FREE */
    uint32_t gen;        /* bumped each time the slot is released */
    uint32_t next_free;  /* free-list link while free */
} node_t;

struct evq {
    entry_t *heap;
    node_t *nodes;
    size_t n, cap;       /* pending events; capacity of both arrays */
    uint32_t free_head;  /* first free slot, EVQ_FREE when none */
    uint64_t seq;
};

static inline bool less(const entry_t *a, const entry_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static int grow(evq_t *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 64;
    if (ncap >= EVQ_FREE)
        return -1;
    entry_t *h = realloc(q->heap, ncap * sizeof *h);
    if (!h)
        return -1;
    q->heap = h;
    node_t *nd = realloc(q->nodes, ncap * sizeof *nd);
    if (!nd)
        return -1;
    q->nodes = nd;
    /* New slots join the free list in index order. */
    for (size_t i = ncap; i-- > q->cap;) {
        nd[i].pos = EVQ_FREE;
        nd[i].gen = 1;
        nd[i].next_free = q->free_head;
        q->free_head = (uint32_t)i;
    }
    q->cap = ncap;
    return 0;
}

evq_t *evq_new(size_t hint)
{
    evq_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->free_head = EVQ_FREE;
    while (q->cap < hint)
        if (grow(q) != 0) {
            evq_free(q);
            return NULL;
        }
    return q;
}

void evq_free(evq_t *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q->nodes);
    free(q);
}

static inline void place(evq_t *q, size_t i, entry_t e)
{
    q->heap[i] = e;
    q->nodes[e.slot].pos = (uint32_t)i;
}

static void sift_up(evq_t *q, size_t i, entry_t e)
{
    while (i > 0) {
        size_t p = (i - 1) / ARITY;
        if (!less(&e, &q->heap[p]))
            break;
        place(q, i, q->heap[p]);
        i = p;
    }
    place(q, i, e);
}

static void sift_down(evq_t *q, size_t i, entry_t e)
{
    size_t n = q->n;
    for (;;) {
        size_t c = i * ARITY + 1;
        if (c >= n)
            break;
        size_t end = c + ARITY < n ? c + ARITY : n;
        size_t best = c;
        for (size_t k = c + 1; k < end; k++)
            if (less(&q->heap[k], &q->heap[best]))
                best = k;
        if (!less(&q->heap[best], &e))
            break;
        place(q, i, q->heap[best]);
        i = best;
    }
    place(q, i, e);
}

evq_handle_t evq_schedule(evq_t *q, simtime_t t, evq_fn fn, void *obj, uint64_t arg)
{
    if (q->free_head == EVQ_FREE && grow(q) != 0)
        return 0;
    uint32_t slot = q->free_head;
    node_t *nd = &q->nodes[slot];
    q->free_head = nd->next_free;
    nd->fn = fn;
    nd->obj = obj;
    nd->arg = arg;
    entry_t e = {t, q->seq++, slot};
    sift_up(q, q->n++, e);
    return ((uint64_t)nd->gen << 32) | slot;
}

static void release(evq_t *q, uint32_t slot)
{
    node_t *nd = &q->nodes[slot];
    nd->pos = EVQ_FREE;
    nd->gen = nd->gen + 1 ? nd->gen + 1 : 1;
    nd->next_free = q->free_head;
    q->free_head = slot;
}

bool evq_pending(const evq_t *q, evq_handle_t h)
{
    uint32_t slot = (uint32_t)h, gen = (uint32_t)(h >> 32);
    return h != 0 && slot < q->cap && q->nodes[slot].gen == gen && q->nodes[slot].pos != EVQ_FREE;
}

bool evq_cancel(evq_t *q, evq_handle_t h)
{
    if (!evq_pending(q, h))
        return false;
    uint32_t slot = (uint32_t)h;
    size_t i = q->nodes[slot].pos;
    release(q, slot);
    entry_t last = q->heap[--q->n];
    if (i < q->n) {
        if (i > 0 && less(&last, &q->heap[(i - 1) / ARITY]))
            sift_up(q, i, last);
        else
            sift_down(q, i, last);
    }
    return true;
}

simtime_t evq_peek_time(const evq_t *q) { return q->n ? q->heap[0].time : SIM_NEVER; }

bool evq_pop(evq_t *q, evq_event_t *ev)
{
    if (q->n == 0)
        return false;
    entry_t top = q->heap[0];
    node_t *nd = &q->nodes[top.slot];
    ev->time = top.time;
    ev->fn = nd->fn;
    ev->obj = nd->obj;
    ev->arg = nd->arg;
    release(q, top.slot);
    entry_t last = q->heap[--q->n];
    if (q->n > 0)
        sift_down(q, 0, last);
    return true;
}

size_t evq_size(const evq_t *q) { return q->n; }

size_t evq_bytes(const evq_t *q) { return sizeof *q + q->cap * (sizeof(entry_t) + sizeof(node_t)); }
