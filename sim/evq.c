/* evq: the pending-event set, a 4-ary heap of 16-byte packed keys with the
 * event records in a pool beside it (sim/evq.h has the contract and the
 * invariants).
 *
 * Why this layout: it was measured against three others, all with the same
 * pool, handles and (time, seq) order (so with the same pop order):
 *   A  a binary heap of slot numbers, the keys in the event records;
 *   B  a binary heap of 24-byte entries (time, 64-bit seq, slot);
 *   C  a 4-ary heap of those 24-byte entries (this file until this layout);
 *   D  a binary heap of this file's packed 16-byte entries (aligned,
 *      prefetching as below).
 * tests/bench/bench_evq.c's two models, ns per operation of this layout and
 * its time as a fraction of each other's (medians over 5 rounds that run the
 * layouts in turn; GCC -O2, an AMD EPYC virtual machine):
 *
 *   pending    hold (pop + push)               hold + cancel (pop, 2 push, cancel)
 *              ns     /A    /B    /C    /D     ns     /A    /B    /C    /D
 *   10^3       42   0.56  0.56  0.56  0.88     58   0.58  0.62  0.63  0.85
 *   10^4       61   0.54  0.59  0.59  0.92     75   0.53  0.57  0.62  0.85
 *   10^5       77   0.37  0.48  0.50  0.70    103   0.38  0.49  0.56  0.74
 *   10^6      284   0.30  0.67  0.70  0.61    510   0.38  0.61  0.69  0.59
 *
 * Why, independently of the machine:
 * - Fewer bytes per level. The 4 children of a node are 64 contiguous bytes,
 *   one cache line when heap + 1 is on a line boundary (grow() puts it
 *   there), against 96 bytes (2 lines) for C and one line per child for A.
 *   Once the heap is out of cache, a sift costs about one miss per level.
 * - Half the levels of a binary heap (log4 n = log2 n / 2) for 3 more
 *   comparisons a level, which are cheap next to a miss: D against this.
 * - A comparison is one 128-bit unsigned comparison (no second field to
 *   branch on), so the least of 4 children is picked with flags and
 *   conditional moves, not with branches that a random key order mispredicts
 *   half the time.
 * - Picking without branches has a cost: nothing runs ahead into the next
 *   level before the comparisons end. Prefetching the 4 lines of
 *   grandchildren (contiguous: the next level's group is one of them) gets
 *   the overlap back; without it the layout is 1.31 and 1.78 times slower
 *   at 10^5 and 10^6 in the hold model. It is pure overhead in L1 (1.06 at
 *   10^3), hence PREFETCH_MIN.
 * - The seq is 32 bits, to fit; running out (every 2^32 schedules) costs one
 *   O(n log n) renumbering.
 *
 * The simulator's own sets are small: azora-baseline holds 34 pending events
 * on average (at most 96), M/M/4 at most 7. Replaying the operation streams
 * recorded from those runs against C, this layout takes 0.89 of C's time
 * for azora-baseline, 0.86 for global, 1.00 for hpa-step and 1.02 to 1.14
 * for M/M/4 (at 7 events nothing misses the cache, and C's loop with
 * branches is as fast or a little faster). Counted by cachegrind over the
 * whole runs, the set executes 5% more instructions than C in
 * azora-baseline and mispredicts 39% fewer conditional branches (31 M
 * against 50 M, in cachegrind's model of a predictor); in M/M/4, 8% more
 * instructions (packing the key, checking the seq) and as many
 * mispredictions. The set being a tenth to a quarter of a run, the whole
 * program hardly moves. farm-bench, cpu time against C: medians 0.98 and
 * 0.99 for azora-baseline (2 h, 15 pairs each), within the runs' spread;
 * for the M/M/4 bench scenario, six calls of 41 to 61 pairs on a shared,
 * busy machine gave medians from 1.02 (three of them) to 1.14, the cost of
 * those extra instructions being about 1.02.
 *
 * Against a calendar queue (Brown 1988; tests/bench/calendar.h, width
 * from the earliest events' gaps, buckets doubling and halving with the
 * count), in the same models through the same function pointers, calendar
 * time over heap time (bench_evq, best of 3):
 *
 *   pending      10    100  1,000  10^4  10^5  10^6
 *   hold       1.42   1.03   0.81  0.65  0.88  1.61
 *   + cancel   1.69   1.50   1.25  1.04  1.15  1.68
 *
 * The calendar's O(1) hold wins in the pure hold model from 10^3 to 10^5
 * events; with cancellations (timeouts set far ahead, as the simulator's
 * are) and at the simulator's own sizes (tens of events) the heap is
 * faster, and at 10^6 the calendar's lists miss the caches more than the
 * heap's levels do. The heap stays.
 *
 * Tried and dropped: filling the root's hole bottom-up (the hole down to a
 * leaf along the least children, then the entry up from there, with no
 * comparison against it on the way down): hold at 10^5 92 ns against 81,
 * the baseline's 6 h 1.03 of the time (7 pairs). */
#include "sim/evq.h"

#include <stdint.h>
#include <stdlib.h>

#define EVQ_FREE UINT32_MAX
#define ARITY 4
#define CACHE_LINE 64
#define SIGN ((uint64_t)1 << 63)
#define PREFETCH_MIN 4096   /* entries (64 KiB): prefetch when the heap outgrows L1 */
#define SEQ_LIMIT ((uint64_t)1 << 32)

/* A heap entry is its key: time (sign bit flipped, so that unsigned order is
 * signed order), then the 32-bit seq, then the slot, packed high to low into
 * 128 bits. Comparing two entries is one unsigned comparison; the slot never
 * decides it, since no two pending events share a seq. */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 entry_t;
static inline bool less(entry_t a, entry_t b) { return a < b; }
static inline uint64_t hi(entry_t e) { return (uint64_t)(e >> 64); }
static inline uint64_t lo(entry_t e) { return (uint64_t)e; }
static inline entry_t make(uint64_t h, uint64_t l) { return (entry_t)h << 64 | l; }
#else
typedef struct entry {
    uint64_t l, h;
} entry_t;
static inline bool less(entry_t a, entry_t b) { return a.h < b.h || (a.h == b.h && a.l < b.l); }
static inline uint64_t hi(entry_t e) { return e.h; }
static inline uint64_t lo(entry_t e) { return e.l; }
static inline entry_t make(uint64_t h, uint64_t l) { return (entry_t){l, h}; }
#endif

/* (GCC and Clang convert to a signed type modulo 2^64.) */
static inline simtime_t entry_time(entry_t e) { return (simtime_t)(hi(e) ^ SIGN); }
static inline uint32_t entry_slot(entry_t e) { return (uint32_t)lo(e); }
static inline entry_t entry(simtime_t t, uint64_t seq, uint32_t slot)
{
    return make((uint64_t)t ^ SIGN, seq << 32 | slot);
}

typedef struct node {
    evq_fn fn;
    void *obj;
    uint64_t arg;        /* while free: the next free slot (EVQ_FREE ends the list) */
    uint32_t pos;        /* index in heap, or EVQ_FREE */
    uint32_t gen;        /* bumped each time the slot is released */
} node_t;

struct evq {
    entry_t *heap;       /* inside heap_mem, heap + 1 on a cache-line boundary */
    void *heap_mem;
    node_t *nodes;
    size_t n, cap;       /* heap entries (the hole included); capacity of both arrays */
    bool hole;           /* heap[0] is vacant: its event was popped (see evq_pop) */
    uint32_t free_head;  /* first free slot, EVQ_FREE when none */
    uint64_t seq;        /* the next seq; < SEQ_LIMIT once stamped */
};

static int grow(evq_t *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 64;
    if (ncap >= EVQ_FREE)
        return -1;
    /* The children of i are 4i+1 .. 4i+4: with heap + 1 on a line boundary
     * each group of siblings is one line. */
    char *mem = malloc(ncap * sizeof(entry_t) + CACHE_LINE);
    if (!mem)
        return -1;
    size_t off = (CACHE_LINE - ((uintptr_t)mem + sizeof(entry_t)) % CACHE_LINE) % CACHE_LINE;
    entry_t *h = (entry_t *)(void *)(mem + off);
    for (size_t i = 0; i < q->n; i++)
        h[i] = q->heap[i];
    free(q->heap_mem);
    q->heap_mem = mem;
    q->heap = h;
    node_t *nd = realloc(q->nodes, ncap * sizeof *nd);
    if (!nd)
        return -1;
    q->nodes = nd;
    /* New slots join the free list in index order. */
    for (size_t i = ncap; i-- > q->cap;) {
        nd[i].pos = EVQ_FREE;
        nd[i].gen = 1;
        nd[i].arg = q->free_head;
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
    free(q->heap_mem);
    free(q->nodes);
    free(q);
}

static inline void place(evq_t *q, size_t i, entry_t e)
{
    q->heap[i] = e;
    q->nodes[entry_slot(e)].pos = (uint32_t)i;
}

static void sift_up(evq_t *q, size_t i, entry_t e)
{
    while (i > 0) {
        size_t p = (i - 1) / ARITY;
        if (!less(e, q->heap[p]))
            break;
        place(q, i, q->heap[p]);
        i = p;
    }
    place(q, i, e);
}

static void sift_down(evq_t *q, size_t i, entry_t e)
{
    const entry_t *h = q->heap;
    size_t n = q->n;
    for (;;) {
        size_t c = i * ARITY + 1;
        if (c >= n)
            break;
#if defined(__GNUC__)
        /* The grandchildren: the next level's sibling group is one of these
         * four lines; fetching them now overlaps their misses with this
         * level's comparisons. */
        if (n > PREFETCH_MIN)
            for (size_t g = c * ARITY + 1, k = 0; k < ARITY && g < n; k++, g += CACHE_LINE / sizeof(entry_t))
                __builtin_prefetch(h + g);
#endif
        size_t m;
        if (c + ARITY <= n) {
            /* Selected without branches (a tournament of index arithmetic). */
            size_t a = c + less(h[c + 1], h[c]);
            size_t b = c + 2 + less(h[c + 3], h[c + 2]);
            m = less(h[b], h[a]) ? b : a;
        } else {
            m = c;
            for (size_t k = c + 1; k < n; k++)
                if (less(h[k], h[m]))
                    m = k;
        }
        if (!less(h[m], e))
            break;
        place(q, i, h[m]);
        i = m;
    }
    place(q, i, e);
}

/* Closes the hole a pop left at the root, with the last entry, as a pop
 * that sifts at once would have done. */
static inline void fill(evq_t *q)
{
    if (!q->hole)
        return;
    q->hole = false;
    entry_t last = q->heap[--q->n];
    if (q->n > 0)
        sift_down(q, 0, last);
}

static int cmp_entries(const void *pa, const void *pb)
{
    entry_t a = *(const entry_t *)pa, b = *(const entry_t *)pb;
    return less(a, b) ? -1 : less(b, a);
}

/* The 32-bit seqs ran out (2^32 schedules): stamp the pending events again
 * 0, 1, ..., n-1 in (time, seq) order. A sorted array is a heap, and events
 * of equal time keep their order, which is all a seq decides. */
static void renumber(evq_t *q)
{
    qsort(q->heap, q->n, sizeof *q->heap, cmp_entries);
    for (size_t i = 0; i < q->n; i++)
        place(q, i, entry(entry_time(q->heap[i]), i, entry_slot(q->heap[i])));
    q->seq = q->n;
}

evq_handle_t evq_schedule(evq_t *q, simtime_t t, evq_fn fn, void *obj, uint64_t arg)
{
    if (q->free_head == EVQ_FREE && grow(q) != 0)
        return 0;
    if (q->seq == SEQ_LIMIT) {
        fill(q);
        renumber(q);
    }
    uint32_t slot = q->free_head;
    node_t *nd = &q->nodes[slot];
    q->free_head = (uint32_t)nd->arg;
    nd->fn = fn;
    nd->obj = obj;
    nd->arg = arg;
    entry_t e = entry(t, q->seq++, slot);
    if (q->hole) {
        /* into the hole a pop left: one sift down instead of two sifts */
        q->hole = false;
        sift_down(q, 0, e);
    } else {
        sift_up(q, q->n++, e);
    }
    return ((uint64_t)nd->gen << 32) | slot;
}

static void release(evq_t *q, uint32_t slot)
{
    node_t *nd = &q->nodes[slot];
    nd->pos = EVQ_FREE;
    nd->gen = nd->gen + 1 ? nd->gen + 1 : 1;
    nd->arg = q->free_head;
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
    fill(q);
    uint32_t slot = (uint32_t)h;
    size_t i = q->nodes[slot].pos;
    release(q, slot);
    entry_t last = q->heap[--q->n];
    if (i < q->n) {
        if (i > 0 && less(last, q->heap[(i - 1) / ARITY]))
            sift_up(q, i, last);
        else
            sift_down(q, i, last);
    }
    return true;
}

evq_handle_t evq_reschedule(evq_t *q, evq_handle_t h, simtime_t t)
{
    if (!evq_pending(q, h))
        return 0;
    fill(q);
    if (q->seq == SEQ_LIMIT)
        renumber(q);
    uint32_t slot = (uint32_t)h;
    size_t i = q->nodes[slot].pos;
    entry_t e = entry(t, q->seq++, slot);
    if (i > 0 && less(e, q->heap[(i - 1) / ARITY]))
        sift_up(q, i, e);
    else
        sift_down(q, i, e);
    return h;
}

simtime_t evq_peek_time(evq_t *q)
{
    fill(q);
    return q->n ? entry_time(q->heap[0]) : SIM_NEVER;
}

bool evq_pop(evq_t *q, evq_event_t *ev)
{
    fill(q);
    if (q->n == 0)
        return false;
    entry_t top = q->heap[0];
    node_t *nd = &q->nodes[entry_slot(top)];
    ev->time = entry_time(top);
    ev->fn = nd->fn;
    ev->obj = nd->obj;
    ev->arg = nd->arg;
    release(q, entry_slot(top));
    /* The root stays vacant until the next call: an event's action mostly
     * schedules the next one, which then takes the root's place in one sift
     * down, where closing the hole now and adding it after would sift twice
     * (the pop order, fixed by (time, seq), is the same). */
    q->hole = true;
    return true;
}

size_t evq_size(const evq_t *q) { return q->n - q->hole; }

size_t evq_bytes(const evq_t *q)
{
    return sizeof *q + (q->cap ? q->cap * (sizeof(entry_t) + sizeof(node_t)) + CACHE_LINE : 0);
}

void evq__skip_seq(evq_t *q, uint64_t seq)
{
    if (seq > q->seq && seq <= SEQ_LIMIT)
        q->seq = seq;
}
