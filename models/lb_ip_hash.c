/* ip_hash: a client always reaches the same pod while the ready set is
 * unchanged, and the fewest clients possible move when it changes.
 *
 * Method: AnchorHash (Mendelson, Vargaftik, Barabash, Lorenz, Keslassy,
 * Orda, "AnchorHash: A Scalable Consistent Hash", IEEE/ACM ToN 2021). The
 * table has `cap` buckets (the anchor), of which N work: one per pod in the
 * view. A client's key k goes to bucket b = h(k) mod cap; while b is not
 * working, to h_b(k) mod A[b] among the buckets that worked just after b
 * stopped (A[b], with the successor chain K resolving the ones that stopped
 * since), until a working bucket answers. Buckets stop and restart in stack
 * order: a pod that leaves frees its bucket, and the next pod to join takes
 * the bucket freed last.
 *
 * What it guarantees (the paper's theorems, checked by tests/test_lb.c):
 * - Minimal disruption: when a pod leaves only its clients move; when one
 *   joins only clients that now go to it move, a 1/N share in expectation.
 * - Balance: every working bucket gets a 1/N share of the key space, up to
 *   the hashes' randomness (a client count per pod is Binomial(C, 1/N)),
 *   whatever the history of joins and leaves. The ring this file used
 *   before (100 virtual nodes per pod) had shares Beta(100, 100(N-1)): 10%
 *   of the mean of spread on top of the clients' own.
 * - Cost: O(1 + ln(cap/N)) hashes per pick in expectation, in arrays of 8
 *   bytes per bucket (the hot one) and 24 (the cold ones, read only past a
 *   stopped bucket or on a change). At 10,000 pods the hot array is 100 kB
 *   and a pick is one hash and one read; the ring and its index were 12 MB
 *   and two cache misses (tests/bench/bench_lb.c: see the README's speed
 *   section).
 *
 * What it gives up: the mapping depends on the order of the set's changes,
 * not only on the set (a ring's mapping is a function of the set). Runs are
 * still deterministic: the service's changes happen in simulated-time
 * order. Within one `changed`, leaving pods stop in increasing uid order,
 * then joining pods start in increasing uid order, so the result does not
 * depend on the order of the view either.
 *
 * The anchor's size is fixed when it is built: the view's capacity (a
 * service sizes it as its most replicas plus its rollout surge; see
 * models/service.h), or twice the first view's size when the view has none.
 * A view that outgrows it rebuilds the table at twice the size, which moves
 * clients as a new table would (a scenario's services never outgrow theirs).
 *
 * Hashes: h(k) and h_b(k) are the top 32 bits of splitmix64's finalizer of
 * the client's key and of the key plus b, reduced to a range by multiply
 * and shift (Lemire): the reduction favours some values over others by at
 * most cap/2^32 of a share (2.3e-6 at 10,000 buckets). */
#include "models/lb.h"
#include "models/service.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t a;    /* A[b]: 0 while b works, else the working count just after it stopped */
    uint32_t view; /* while b works: its pod's index in the view */
} ih_slot_t;

typedef struct {
    uint32_t cap, N, nr; /* anchor size, working buckets (one per pod of the view at the
                          * last `changed`; 0: no table), depth of the stopped stack */
    ih_slot_t *s;        /* cap: the hot array */
    uint32_t *K, *W, *L, *R, *uid; /* cap each: successors, working set, places in W, stack, uids */
} ih_t;

typedef struct {
    uint32_t uid, idx; /* a pod's uid and its index (in the view, or its bucket) */
} ih_pair_t;

static inline uint32_t range32(uint64_t x, uint32_t n) { return (uint32_t)(((x >> 32) * n) >> 32); }
static inline uint64_t client_key(uint32_t client) { return rng_mix64((uint64_t)client << 32 | 0x80000000u); }

static int pair_cmp(const void *a, const void *b)
{
    const ih_pair_t *x = a, *y = b;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static void ih_release(ih_t *s)
{
    free(s->s);
    free(s->K);
    s->s = NULL, s->K = s->W = s->L = s->R = s->uid = NULL;
    s->cap = s->N = s->nr = 0;
}

/* A table of cap buckets, the first w working (INITANCHOR). */
static int ih_build(ih_t *s, uint32_t cap, uint32_t w)
{
    ih_release(s);
    ih_slot_t *sl = malloc((size_t)cap * sizeof *sl);
    uint32_t *cold = malloc((size_t)cap * 5 * sizeof *cold);
    if (!sl || !cold) {
        free(sl), free(cold);
        return -1;
    }
    s->s = sl, s->K = cold, s->W = cold + cap, s->L = cold + 2 * (size_t)cap, s->R = cold + 3 * (size_t)cap,
    s->uid = cold + 4 * (size_t)cap;
    s->cap = cap, s->N = w, s->nr = 0;
    for (uint32_t b = 0; b < cap; b++) {
        sl[b] = (ih_slot_t){0, 0};
        s->K[b] = s->L[b] = s->W[b] = b;
    }
    for (uint32_t b = cap; b-- > w;) {
        s->R[s->nr++] = b;
        sl[b].a = b;
    }
    return 0;
}

/* Starts the bucket stopped last (ADDBUCKET); the caller checked nr > 0. */
static uint32_t ih_add(ih_t *s)
{
    uint32_t b = s->R[--s->nr];
    s->s[b].a = 0;
    s->L[s->W[s->N]] = s->N;
    s->W[s->L[b]] = s->K[b] = b;
    s->N++;
    return b;
}

/* Stops working bucket b (REMOVEBUCKET); the caller keeps N >= 1. */
static void ih_remove(ih_t *s, uint32_t b)
{
    s->R[s->nr++] = b;
    s->N--;
    s->s[b].a = s->N;
    s->W[s->L[b]] = s->K[b] = s->W[s->N];
    s->L[s->W[s->N]] = s->L[b];
}

static int ih_changed(void *state, const lb_view_t *v)
{
    ih_t *s = state;
    const uint32_t n = v->n;
    if (n == 0) { /* nothing to pick from: the next view starts a new table */
        ih_release(s);
        return 0;
    }
    ih_pair_t *cur = malloc((size_t)n * sizeof *cur);
    ih_pair_t *old = malloc(((size_t)s->N + 1) * sizeof *old);
    if (!cur || !old)
        goto oom;
    for (uint32_t i = 0; i < n; i++)
        cur[i] = (ih_pair_t){v->members[i]->uid, i};
    qsort(cur, n, sizeof *cur, pair_cmp);
    uint32_t nold = s->N;
    for (uint32_t i = 0; i < nold; i++)
        old[i] = (ih_pair_t){s->uid[s->W[i]], s->W[i]};
    qsort(old, nold, sizeof *old, pair_cmp);

    /* merge by uid: pods that stay, leave, join */
    uint32_t stay = 0, i = 0, j = 0;
    while (i < nold && j < n) {
        if (old[i].uid == cur[j].uid)
            stay++, i++, j++;
        else if (old[i].uid < cur[j].uid)
            i++;
        else
            j++;
    }
    if (!s->N || n > s->cap || stay == 0) {
        /* a new table: the first (the view's capacity, or twice the view),
         * or one every client moves to anyway (no pod stays), or twice the
         * table the view outgrew */
        uint32_t cap = s->N ? s->cap : v->capacity >= n ? v->capacity : n > UINT32_MAX / 2 ? n : 2 * n;
        if (cap < n)
            cap = s->cap > UINT32_MAX / 2 ? n : 2 * s->cap > n ? 2 * s->cap : n;
        if (ih_build(s, cap, n) != 0)
            goto oom;
        for (uint32_t k = 0; k < n; k++) { /* bucket k: the k-th pod by uid */
            s->uid[k] = cur[k].uid;
            s->s[k].view = cur[k].idx;
        }
    } else {
        /* leaving pods stop in increasing uid order (one pod stays, so one
         * bucket still works), then joining pods start in increasing uid
         * order, each in the bucket stopped last */
        for (i = 0, j = 0; i < nold; i++) {
            while (j < n && cur[j].uid < old[i].uid)
                j++;
            if (!(j < n && cur[j].uid == old[i].uid))
                ih_remove(s, old[i].idx);
        }
        for (i = 0, j = 0; j < n; j++) {
            while (i < nold && old[i].uid < cur[j].uid)
                i++;
            uint32_t b = i < nold && old[i].uid == cur[j].uid ? old[i].idx : ih_add(s);
            s->uid[b] = cur[j].uid;
            s->s[b].view = cur[j].idx;
        }
    }
    free(cur), free(old);
    return 0;
oom:
    free(cur), free(old);
    ih_release(s);
    return -1;
}

static uint32_t ih_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)r;
    const ih_t *s = state;
    if (s->N != v->n)
        return 0; /* only after a failed `changed`: the run is ending */
    const ih_slot_t *sl = s->s;
    const uint64_t k = client_key(client);
    uint32_t b = range32(k, s->cap);
    while (sl[b].a) { /* b stopped: among the buckets working after it */
        uint32_t ab = sl[b].a, h = range32(rng_mix64(k + b), ab);
        while (sl[h].a >= ab) /* h stopped before b: its successor */
            h = s->K[h];
        b = h;
    }
    return sl[b].view;
}

static void ih_fini(void *state) { ih_release(state); }

const lb_kind_t lb_ip_hash = {.name = "ip_hash",
                              .help = "sticky by client id (AnchorHash: minimal remapping, exact balance)",
                              .state_size = sizeof(ih_t),
                              .changed = ih_changed,
                              .pick = ih_pick,
                              .fini = ih_fini};
