/* least_connections: the pod with the fewest requests in it (in service plus
 * queued). Ties go round robin, as nginx's least_conn does, so that an idle
 * service does not pile every request on its first pod: the pick is the
 * first member, from a rotating start (one past the last pick), whose
 * `active` is the least of all.
 *
 * Index: a min segment tree over view positions. `size` is the least power
 * of two >= n; t[size + i] is member i's `active` (INT_MAX past n) and
 * t[k] = min(t[2k], t[2k+1]), so t[1] is the least load. A pick starts at
 * leaf `start`, climbs until a subtree to its right holds the least value
 * (or past the root: then the search wraps to position 0) and descends to
 * that subtree's first leaf with it: O(log n), and O(1) when a neighbour of
 * the start is least loaded (an idle service). The tree learns of each
 * change of `active` through load_changed (the member's `pos` is its leaf;
 * a member that left the view is ignored); an update climbs only while the
 * minimum changes. `changed` rebuilds the tree in O(n).
 *
 * Invariant: between calls, t[size + i] == v->members[i]->active for every
 * i < n, and every inner node is the min of its children. lc_scan below is
 * the definition the tree must agree with (tests/test_lb.c checks them
 * against each other); pick falls back to it if the tree does not match the
 * view (only after a failed allocation, when the run is ending anyway). */
#include "models/lb.h"
#include "models/service.h"

#include <limits.h>
#include <stdlib.h>

typedef struct {
    uint32_t start;
    uint32_t n, size, cap; /* members, leaves, leaves allocated */
    int *t;                /* 2 * cap */
} lc_t;

static uint32_t lc_scan(lc_t *s, const lb_view_t *v)
{
    uint32_t n = v->n, start = s->start < n ? s->start : 0, best = start;
    int best_active = v->members[best]->active;
    /* every pod once, from the rotating start: the first of the least loaded wins */
    for (uint32_t k = 1; k < n && best_active > 0; k++) {
        uint32_t i = start + k < n ? start + k : start + k - n;
        if (v->members[i]->active < best_active) {
            best = i;
            best_active = v->members[i]->active;
        }
    }
    s->start = best + 1 == n ? 0 : best + 1;
    return best;
}

static int lc_changed(void *state, const lb_view_t *v)
{
    lc_t *s = state;
    if (v->n)
        s->start %= v->n;
    uint32_t size = 1;
    while (size < v->n)
        size <<= 1;
    if (size > s->cap) {
        int *t = malloc(2 * (size_t)size * sizeof *t);
        if (!t) {
            s->n = 0;
            return -1;
        }
        free(s->t);
        s->t = t;
        s->cap = size;
    }
    s->n = v->n;
    s->size = size;
    int *t = s->t;
    for (uint32_t i = 0; i < v->n; i++) {
        v->members[i]->pos = i;
        t[size + i] = v->members[i]->active;
    }
    for (uint32_t i = v->n; i < size; i++)
        t[size + i] = INT_MAX;
    for (uint32_t k = size - 1; k >= 1; k--)
        t[k] = t[2 * k] < t[2 * k + 1] ? t[2 * k] : t[2 * k + 1];
    return 0;
}

static void lc_load_changed(void *state, const lb_view_t *v, const lb_member_t *m)
{
    lc_t *s = state;
    uint32_t i = m->pos;
    if (i >= s->n || i >= v->n || v->members[i] != m)
        return; /* not in the view: a draining pod, a database's primary */
    int *t = s->t;
    uint32_t k = s->size + i;
    int x = m->active;
    t[k] = x;
    /* up while the parent's minimum changes: it is the least of the new
     * value and the sibling's */
    for (; k > 1; k >>= 1) {
        int sib = t[k ^ 1], p = x < sib ? x : sib;
        if (t[k >> 1] == p)
            break; /* the ancestors' minima are unchanged too */
        t[k >> 1] = x = p;
    }
}

static uint32_t lc_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)client, (void)r;
    lc_t *s = state;
    uint32_t n = v->n;
    if (s->n != n)
        return lc_scan(s, v);
    const int *t = s->t;
    const int least = t[1];
    uint32_t k = s->size + (s->start < n ? s->start : 0);
    /* the next subtree to the right that holds `least`: climb while k is
     * a right child, then step to the right sibling; past the root, wrap */
    while (t[k] != least) {
        while (k & 1)
            k >>= 1;
        if (!k) {
            k = 1;
            break;
        }
        k++;
    }
    while (k < s->size) { /* its first leaf holding `least` */
        k <<= 1;
        k += t[k] != least;
    }
    uint32_t best = k - s->size;
    s->start = best + 1 == n ? 0 : best + 1;
    return best;
}

static void lc_fini(void *state)
{
    lc_t *s = state;
    free(s->t);
    s->t = NULL;
    s->cap = s->n = 0;
}

const lb_kind_t lb_least_connections = {.name = "least_connections",
                                        .help = "the pod with the fewest requests in it (ties in turn)",
                                        .state_size = sizeof(lc_t),
                                        .changed = lc_changed,
                                        .pick = lc_pick,
                                        .load_changed = lc_load_changed,
                                        .fini = lc_fini};
