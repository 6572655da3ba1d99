/* weighted_round_robin: nginx's smooth weighted round robin. Each pick adds
 * every pod's weight to its current weight, takes the largest (first on a
 * tie) and subtracts the total W from it. Over a cycle of W picks each pod
 * is chosen exactly `weight` times, spread out (5,1,1 gives a a b a c a a
 * rather than a a a a a b c). Weights may be fractional.
 *
 * Without a scan of the pods: pods of equal weight are picked in view order,
 * in turn. (After k picks a pod's current weight is k*w - W*c, c its picks
 * so far; within a group of weight w the pods with the fewest picks have
 * the largest, and the first of them in view order wins the tie. Starting
 * from c = 0 for all, the group is served 0, 1, ..., m-1, 0, 1, ...) So the
 * state is one entry per distinct weight: its weight, the current weight of
 * its next pod (the pods before it in the group, picked once more, are
 * exactly W lower) and a cursor into its pods. A pick adds w to each group,
 * takes the largest (on a tie, the group whose next pod comes first in the
 * view: the first pod with the largest current weight, as nginx) and moves
 * that group's cursor; when the cursor wraps, all its pods have been picked
 * once more and the group's value drops by W. This is nginx's sequence pick
 * for pick, at O(G) per pick for G distinct weights: O(1) with equal weights
 * (then it is round robin from the first pod), as with a service's weights
 * list (a few values, the pods past it weigh 1). Trade-off: G = n distinct
 * weights would cost what the scan did; a kinetic heap over groups could
 * bring that to O(log G) but is not worth its code for lists of weights
 * written by hand.
 *
 * Floating point: the values are the same sums as nginx's, in another order
 * of additions. When the weights are exact binary fractions (integers,
 * halves, ...) of moderate size every value is exact, and the sequences are
 * identical; for weights like 0.1 a rounding difference could break a
 * near-tie the other way.
 *
 * `changed` restarts the cycle (every current weight 0), as nginx does when
 * its peers are reloaded; it groups the pods by sorting (O(n log n)). */
#include "models/lb.h"
#include "models/service.h"

#include <stdlib.h>

typedef struct {
    double w, cur;          /* weight; current weight of the group's next pod */
    uint32_t first, size;   /* its pods: order[first .. first + size) */
    uint32_t next;          /* cursor in 0 .. size-1 */
} wrr_group_t;

typedef struct {
    uint32_t n, ngroups, cap;
    double total;
    uint32_t *order;        /* view indices by (weight, index) */
    wrr_group_t *g;
} wrr_t;

typedef struct {
    double w;
    uint32_t i;
} wrr_key_t;

static int key_cmp(const void *a, const void *b)
{
    const wrr_key_t *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int wrr_changed(void *state, const lb_view_t *v)
{
    wrr_t *s = state;
    uint32_t n = v->n;
    s->n = s->ngroups = 0;
    if (n > s->cap) {
        uint32_t *o = malloc(n * sizeof *o);
        wrr_group_t *g = malloc(n * sizeof *g);
        if (!o || !g) {
            free(o), free(g);
            return -1;
        }
        free(s->order), free(s->g);
        s->order = o, s->g = g, s->cap = n;
    }
    wrr_key_t *key = malloc((n ? n : 1) * sizeof *key);
    if (!key)
        return -1;
    double total = 0; /* summed in view order, as nginx's scan does */
    for (uint32_t i = 0; i < n; i++) {
        key[i] = (wrr_key_t){v->members[i]->weight, i};
        total += v->members[i]->weight;
    }
    qsort(key, n, sizeof *key, key_cmp);
    uint32_t ng = 0;
    for (uint32_t i = 0; i < n; i++) {
        s->order[i] = key[i].i;
        if (i == 0 || key[i].w != key[i - 1].w)
            s->g[ng++] = (wrr_group_t){key[i].w, 0, i, 0, 0};
        s->g[ng - 1].size++;
    }
    free(key);
    s->total = total;
    s->ngroups = ng;
    s->n = n;
    return 0;
}

static uint32_t wrr_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)client, (void)r;
    wrr_t *s = state;
    if (s->n != v->n || !s->ngroups)
        return 0; /* only after a failed `changed`: the run is ending */
    wrr_group_t *g = s->g, *best = g;
    g->cur += g->w;
    for (uint32_t k = 1; k < s->ngroups; k++) {
        wrr_group_t *x = &g[k];
        x->cur += x->w;
        if (x->cur > best->cur ||
            (x->cur == best->cur && s->order[x->first + x->next] < s->order[best->first + best->next]))
            best = x;
    }
    uint32_t i = s->order[best->first + best->next];
    if (++best->next == best->size) {
        best->next = 0;
        best->cur -= s->total;
    }
    return i;
}

static void wrr_fini(void *state)
{
    wrr_t *s = state;
    free(s->order), free(s->g);
    s->order = NULL, s->g = NULL;
    s->cap = s->n = s->ngroups = 0;
}

const lb_kind_t lb_weighted_round_robin = {.name = "weighted_round_robin",
                                           .help = "smooth weighted round robin (nginx) by pod weight",
                                           .state_size = sizeof(wrr_t),
                                           .changed = wrr_changed,
                                           .pick = wrr_pick,
                                           .fini = wrr_fini};
