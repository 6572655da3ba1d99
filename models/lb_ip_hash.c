/* ip_hash: a client always reaches the same pod while the ready set is
 * unchanged, and few clients move when it changes.
 *
 * Method: a consistent-hashing ring with IH_V virtual nodes per pod (Karger
 * et al.; ketama, nginx's `hash ... consistent`). Pod uid u owns the points
 * hash(u, j), j < IH_V, on a 32-bit circle; a client goes to the owner of
 * the first point at or after hash(client), wrapping past the top. Points
 * are kept sorted by (position, uid), so the mapping depends only on the
 * set of uids, never on the pods' order in the view (uids are stable for a
 * pod's life). When a pod leaves, its points go and only its clients move
 * (each to the next point's owner); when one joins, only the clients whose
 * next point is now one of its own move, all to it: a 1/(n+1) share in
 * expectation.
 *
 * Why a ring and not the alternatives: jump hash needs buckets numbered
 * 0..n-1 and can only drop the last one, while pods leave in any order;
 * Maglev moves a few clients that did not have to move; rendezvous hashing
 * (what this file did before) costs a hash per pod per request. The ring
 * moves the fewest clients possible, and with the bucket index below a
 * lookup is O(1) expected.
 *
 * Balance: the n*IH_V points cut the circle into arcs that are (nearly)
 * uniform spacings, so a pod's share is a sum of IH_V of n*IH_V spacings,
 * Beta(IH_V, (n-1)*IH_V) distributed: mean 1/n, standard deviation
 * sqrt((n-1)/(n^2 (n*IH_V+1))), about 1/(n sqrt(IH_V)): 10% of the mean at
 * IH_V = 100 (ketama uses 160). That is the price over rendezvous hashing,
 * whose shares are exact up to the clients' own randomness. Memory: 8 bytes
 * per point plus a 4-byte bucket per point, about 1.2 kB per pod.
 *
 * Lookup: the points sorted by position, and a bucket index over the top
 * bits of the circle: B, the least power of two >= the number of points,
 * buckets; idx[b] is the first point at or after the start of bucket b.
 * A lookup reads idx[hash >> shift] and steps over the points of that bucket
 * below the hash, fewer than one on average.
 *
 * `changed` keeps the points of pods that stay (renumbered to their new
 * view positions), merges in IH_V sorted points per new pod and rebuilds the
 * index: O(n log n + n*IH_V) per change of the set, nothing per request
 * (tests/bench/bench_lb.c: about 1 ms at 1,000 pods, 10 ms at 10,000).
 *
 * Trade-off measured there: up to 1,000 pods a pick costs at most about 2x
 * `random`; at 10,000 pods the ring and its index (12 MB) no longer fit in
 * the caches and a pick is two cache misses, 4-6x `random` on the shared
 * test machine (it was ~1,200x with rendezvous hashing). Fewer virtual
 * nodes would shrink it at the cost of balance. Tried and dropped: a
 * bucket index that names the pod directly when no point falls in the
 * bucket (no measurable gain), huge pages (about a quarter faster,
 * not worth Linux-only code). */
#include "models/lb.h"
#include "models/service.h"

#include <stdbool.h>
#include <stdlib.h>

enum { IH_V = 100 };

typedef struct {
    uint32_t pos;  /* on the circle */
    uint32_t view; /* its pod's index in the view */
} ih_point_t;

typedef struct {
    uint32_t n, npts, shift;
    ih_point_t *pts;  /* npts = n * IH_V, by (pos, uid) */
    uint32_t *idx;    /* 2^(32 - shift) buckets */
    uint32_t *uids;   /* uids[i]: the uid at view index i (n of them) */
} ih_t;

typedef struct {
    uint32_t uid, view;
} ih_uid_t;

static uint32_t point_pos(uint32_t uid, uint32_t j) { return (uint32_t)(rng_mix64(((uint64_t)uid << 32) | j) >> 32); }

/* Disjoint from the points' inputs (j < IH_V < 2^31). */
static uint32_t client_pos(uint32_t client)
{
    return (uint32_t)(rng_mix64(((uint64_t)client << 32) | 0x80000000u) >> 32);
}

static int uid_cmp(const void *a, const void *b)
{
    const ih_uid_t *x = a, *y = b;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

typedef struct {
    uint32_t pos, uid;
} ih_new_t;

static int new_cmp(const void *a, const void *b)
{
    const ih_new_t *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int ih_changed(void *state, const lb_view_t *v)
{
    ih_t *s = state;
    const uint32_t n = v->n, on = s->n;
    ih_uid_t *cur = malloc((n ? n : 1) * sizeof *cur);
    uint32_t *remap = malloc((on ? on : 1) * sizeof *remap);
    uint32_t *uids = malloc((n ? n : 1) * sizeof *uids);
    unsigned char *old = calloc(n ? n : 1, 1);
    ih_new_t *add = NULL;
    ih_point_t *pts = NULL;
    uint32_t *idx = NULL;
    if (!cur || !remap || !uids || !old)
        goto oom;
    for (uint32_t i = 0; i < n; i++) {
        cur[i] = (ih_uid_t){v->members[i]->uid, i};
        uids[i] = v->members[i]->uid;
    }
    qsort(cur, n, sizeof *cur, uid_cmp);
    /* the old view's pods: where they are now (UINT32_MAX: gone) */
    for (uint32_t i = 0; i < on; i++) {
        uint32_t lo = 0, hi = n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (cur[mid].uid < s->uids[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        remap[i] = UINT32_MAX;
        if (lo < n && cur[lo].uid == s->uids[i]) {
            remap[i] = cur[lo].view;
            old[lo] = 1;
        }
    }
    uint32_t nnew = 0;
    for (uint32_t k = 0; k < n; k++)
        nnew += !old[k];
    add = malloc((nnew ? (size_t)nnew * IH_V : 1) * sizeof *add);
    size_t npts = (size_t)n * IH_V;
    uint32_t shift = 32;
    while (shift > 0 && ((size_t)1 << (32 - shift)) < npts)
        shift--;
    pts = malloc((npts ? npts : 1) * sizeof *pts);
    idx = malloc(((size_t)1 << (32 - shift)) * sizeof *idx);
    if (!add || !pts || !idx)
        goto oom;
    size_t na = 0;
    for (uint32_t k = 0; k < n; k++)
        if (!old[k])
            for (uint32_t j = 0; j < IH_V; j++)
                add[na++] = (ih_new_t){point_pos(cur[k].uid, j), cur[k].uid};
    qsort(add, na, sizeof *add, new_cmp);
    /* merge the staying points (in order, renumbered) with the new ones */
    size_t a = 0, o = 0, out = 0, onp = s->npts;
    for (;;) {
        while (o < onp && remap[s->pts[o].view] == UINT32_MAX)
            o++;
        if (o == onp && a == na)
            break;
        bool take_old = a == na;
        if (o < onp && a < na) {
            uint32_t p = s->pts[o].pos, u = s->uids[s->pts[o].view];
            take_old = p < add[a].pos || (p == add[a].pos && u < add[a].uid);
        }
        if (take_old) {
            pts[out++] = (ih_point_t){s->pts[o].pos, remap[s->pts[o].view]};
            o++;
        } else {
            uint32_t lo = 0, hi = n; /* the new pod's view index, by uid */
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (cur[mid].uid < add[a].uid)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            pts[out++] = (ih_point_t){add[a].pos, cur[lo].view};
            a++;
        }
    }
    /* idx[b]: the first point at or after b << shift */
    size_t nb = (size_t)1 << (32 - shift), p = 0;
    for (size_t b = 0; b < nb; b++) {
        uint64_t start = (uint64_t)b << shift;
        while (p < out && pts[p].pos < start)
            p++;
        idx[b] = (uint32_t)p;
    }
    free(s->pts), free(s->idx), free(s->uids);
    s->pts = pts, s->idx = idx, s->uids = uids;
    s->npts = (uint32_t)out, s->n = n, s->shift = shift;
    free(cur), free(remap), free(old), free(add);
    return 0;
oom:
    free(cur), free(remap), free(uids), free(old), free(add), free(pts), free(idx);
    return -1;
}

static uint32_t ih_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)r;
    const ih_t *s = state;
    if (s->n != v->n || !s->npts)
        return 0; /* only after a failed `changed`: the run is ending */
    uint32_t h = client_pos(client);
    uint32_t j = s->idx[(uint64_t)h >> s->shift];
    while (j < s->npts && s->pts[j].pos < h)
        j++;
    return s->pts[j < s->npts ? j : 0].view;
}

static void ih_fini(void *state)
{
    ih_t *s = state;
    free(s->pts), free(s->idx), free(s->uids);
    s->pts = NULL, s->idx = NULL, s->uids = NULL;
    s->n = s->npts = 0;
}

const lb_kind_t lb_ip_hash = {.name = "ip_hash",
                              .help = "sticky by client id (consistent-hashing ring: minimal remapping)",
                              .state_size = sizeof(ih_t),
                              .changed = ih_changed,
                              .pick = ih_pick,
                              .fini = ih_fini};
