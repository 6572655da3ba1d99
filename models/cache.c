#define _DEFAULT_SOURCE /* madvise */
#include "models/cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/linprobe.h"
#include "sim/prefetch.h"
#include "sim/rng.h"

/* A small first table (16 slots, 512 bytes): a simulator may hold one cache
 * per client, most of them holding a handful of objects. */
#define CACHE_FIRST_SLOTS 16
/* Links are 32-bit positions + 1. */
#define CACHE_MAX_SLOTS ((size_t)1 << 31)
/* Slots are aligned to cache lines, two to a line. */
#define CACHE_LINE 64
#define HUGE_PAGE ((size_t)2 << 20)


/* The table doubles when a new entry would take it above load_soft; when it
 * cannot, it fills up to load_hard, which leaves empty slots to end every
 * probe (n is a power of two >= CACHE_FIRST_SLOTS). Linear probing at load a
 * reads (1 + 1/(1 - a))/2 slots to find a key and (1 + 1/(1 - a)^2)/2 to
 * miss one (Knuth): 1.8 and 4.1 at 5/8, 4.5 and 32.5 at 7/8 (slower, never
 * wrong). Measured on the baseline, 1/2 (twice the memory at times) was
 * 16% slower than 5/8, 3/4 no faster. */
static inline size_t load_soft(size_t n) { return n / 8 * 5; }
static inline size_t load_hard(size_t n) { return n - n / 8; }

static inline size_t home_of(const cache_t *c, uint64_t key) { return (size_t)(rng_mix64(key) >> c->shift); }
static inline cache_entry_t *at(const cache_t *c, uint32_t p) { return &c->slots[p - 1]; }
static inline int64_t size_of(const cache_entry_t *e) { return (int64_t)(e->size1 - 1); }

/* The position + 1 of key's slot, or 0. */
static inline uint32_t find(const cache_t *c, uint64_t key)
{
    if (!c->slots)
        return 0;
    size_t j = home_of(c, key);
    /* a miss reads 4 slots on average at the highest load: the next line too */
    PREFETCH(&c->slots[((j | 1) + 1) & c->mask]);
    for (;; j = (j + 1) & c->mask) {
        const cache_entry_t *e = &c->slots[j];
        if (!e->size1)
            return 0;
        if (e->key == key)
            return (uint32_t)j + 1;
    }
}

/* ---- recency list: mru is the newest end ------------------------------------ */

/* Only a cache with a capacity keeps the list: without one nothing is ever
 * evicted, so recency decides nothing, and a hit writes nothing (its
 * entry's links stay 0; mru and lru stay 0). */
static inline bool ordered(const cache_t *c) { return c->capacity > 0; }

static void list_unlink(cache_t *c, uint32_t p)
{
    const cache_entry_t *e = at(c, p);
    if (e->newer)
        at(c, e->newer)->older = e->older;
    else
        c->mru = e->older;
    if (e->older)
        at(c, e->older)->newer = e->newer;
    else
        c->lru = e->newer;
}

static void list_push_mru(cache_t *c, uint32_t p)
{
    cache_entry_t *e = at(c, p);
    e->newer = 0;
    e->older = c->mru;
    if (c->mru)
        at(c, c->mru)->newer = p;
    else
        c->lru = p;
    c->mru = p;
}

static inline void settle(cache_t *c)
{
    uint32_t p = c->touch;
    if (p) {
        c->touch = 0;
        if (c->mru != p) {
            list_unlink(c, p);
            list_push_mru(c, p);
        }
    }
}

void cache_settle(cache_t *c) { settle(c); }

/* Moves the entry in slot `from` to the empty slot `to`, relinking its
 * neighbours. */
static void move_slot(cache_t *c, size_t from, size_t to)
{
    cache_entry_t *e = &c->slots[to];
    *e = c->slots[from];
    if (c->ttls)
        c->ttls[to] = c->ttls[from];
    uint32_t p = (uint32_t)to + 1;
    if (!ordered(c))
        return;
    if (e->newer)
        at(c, e->newer)->older = p;
    else
        c->mru = p;
    if (e->older)
        at(c, e->older)->newer = p;
    else
        c->lru = p;
}

/* Empties slot `hole` by backward shift (sim/linprobe.h), so every key
 * stays reachable from its home without tombstones. */
static void unslot(cache_t *c, size_t hole)
{
    for (size_t j = (hole + 1) & c->mask;; j = (j + 1) & c->mask) {
        const cache_entry_t *e = &c->slots[j];
        if (!e->size1)
            break;
        if (linprobe_moves_back(home_of(c, e->key), hole, j, c->mask)) {
            move_slot(c, j, hole);
            hole = j;
        }
    }
    c->slots[hole].size1 = 0;
}

/* Takes the entry at p out of the list, the table and the accounting. */
static void drop(cache_t *c, uint32_t p)
{
    if (ordered(c))
        list_unlink(c, p);
    c->used -= size_of(at(c, p));
    c->count--;
    unslot(c, p - 1);
}

/* ---- memory ------------------------------------------------------------------ */

static inline size_t slot_bytes(const cache_t *c)
{
    return sizeof(cache_entry_t) + (c->mode == CACHE_TTL_REFRESH_ON_HIT ? sizeof(simtime_t) : 0);
}

size_t cache_bytes(const cache_t *c) { return c->slots ? (c->mask + 1) * slot_bytes(c) : 0; }

/* Doubles the table (or makes the first); 0, or -1 with the old one kept. */
static int grow_table(cache_t *c)
{
    size_t old = c->slots ? c->mask + 1 : 0;
    size_t n = old ? old * 2 : CACHE_FIRST_SLOTS;
    if (n > CACHE_MAX_SLOTS || (c->max_bytes && n * slot_bytes(c) > c->max_bytes))
        return -1;
    /* A table of 2 MiB or more asks for huge pages: a lookup in a large
     * table (the browsers', tens of MiB over a day) is a miss in the TLB as
     * well as in the caches, and a huge page takes one step off the page
     * walk. The baseline day: 0.89 of the CPU time (median of 3 pairs). */
    size_t bytes = n * sizeof(cache_entry_t);
    cache_entry_t *t = aligned_alloc(bytes >= HUGE_PAGE ? HUGE_PAGE : CACHE_LINE, bytes);
#ifdef MADV_HUGEPAGE
    if (t && bytes >= HUGE_PAGE)
        (void)madvise(t, bytes, MADV_HUGEPAGE);
#endif
    simtime_t *tt = NULL;
    if (!t || (c->mode == CACHE_TTL_REFRESH_ON_HIT && !(tt = malloc(n * sizeof *tt)))) {
        free(t);
        return -1;
    }
    memset(t, 0, n * sizeof *t);
    cache_entry_t *prev = c->slots;
    simtime_t *prevt = c->ttls;
    unsigned bits = 0;
    while (((size_t)1 << bits) < n)
        bits++;
    c->slots = t;
    c->ttls = tt;
    c->mask = n - 1;
    c->shift = 64 - bits;
    /* each entry to its new slot, its old slot keeping the new position in
     * `older` (its links were copied); then the links are translated */
    for (size_t j = 0; j < old; j++) {
        if (!prev[j].size1)
            continue;
        size_t k = home_of(c, prev[j].key);
        while (t[k].size1)
            k = (k + 1) & c->mask;
        t[k] = prev[j];
        if (tt)
            tt[k] = prevt[j];
        prev[j].older = (uint32_t)k + 1;
    }
    for (size_t k = 0; old && k < n; k++) {
        if (!t[k].size1)
            continue;
        if (t[k].newer)
            t[k].newer = prev[t[k].newer - 1].older;
        if (t[k].older)
            t[k].older = prev[t[k].older - 1].older;
    }
    if (c->mru) {
        c->mru = prev[c->mru - 1].older;
        c->lru = prev[c->lru - 1].older;
    }
    free(prev);
    free(prevt);
    return 0;
}

/* ---- the calls --------------------------------------------------------------- */

int cache_init(cache_t *c, int64_t capacity_bytes, cache_ttl_mode_t mode)
{
    memset(c, 0, sizeof *c);
    if (capacity_bytes < 0)
        return -1;
    c->capacity = capacity_bytes;
    c->mode = mode;
    return 0;
}

void cache_destroy(cache_t *c)
{
    free(c->slots);
    free(c->ttls);
    memset(c, 0, sizeof *c);
}

static inline simtime_t expiry_of(simtime_t now, simtime_t ttl)
{
    return now > 0 && ttl > SIM_NEVER - now ? SIM_NEVER : now + ttl;
}

cache_result_t cache_lookup(cache_t *c, uint64_t key, simtime_t now)
{
    settle(c);
    uint32_t p = find(c, key);
    if (!p) {
        c->stats.misses++;
        return CACHE_MISS;
    }
    cache_entry_t *e = at(c, p);
    if (now >= e->expiry) {
        c->stats.stale++;
        return CACHE_STALE;
    }
    c->stats.hits++;
    if (ordered(c) && c->mru != p) {
        /* the move writes both neighbours: it waits for the next call */
        PREFETCH(at(c, e->newer));
        if (e->older)
            PREFETCH(at(c, e->older));
        c->touch = p;
    }
    if (c->mode == CACHE_TTL_REFRESH_ON_HIT)
        e->expiry = expiry_of(now, c->ttls[p - 1]);
    return CACHE_HIT;
}

void cache_prefetch(const cache_t *c, uint64_t key)
{
    if (c->slots) {
        size_t j = home_of(c, key);
        PREFETCH(&c->slots[j]);
        /* the probe goes on into the next line as often as not (2 slots a
         * line, 1.8 read on average for a hit): that line too */
        PREFETCH(&c->slots[((j | 1) + 1) & c->mask]);
    }
}

cache_result_t cache_peek(const cache_t *c, uint64_t key, simtime_t now)
{
    uint32_t p = find(c, key);
    if (!p)
        return CACHE_MISS;
    return now < at(c, p)->expiry ? CACHE_HIT : CACHE_STALE;
}

int cache_fill(cache_t *c, uint64_t key, int64_t size_bytes, simtime_t ttl, simtime_t now)
{
    assert(size_bytes >= 0 && ttl >= 0);
    settle(c);
    if (c->capacity > 0 && size_bytes > c->capacity) {
        cache_remove(c, key);
        return 0;
    }
    /* an eviction starts at the least recently used entry: its line can
     * load while the key is probed for */
    if (c->capacity > 0 && c->used + size_bytes > c->capacity)
        PREFETCH(at(c, c->lru));
    uint32_t p = find(c, key);
    if (p) {
        /* most recent first: the evictions below take the least recent
         * first and stop once the object fits, which they do before
         * reaching it (with it alone, used - its size = 0) */
        if (ordered(c) && c->mru != p) {
            list_unlink(c, p);
            list_push_mru(c, p);
        }
        c->used -= size_of(at(c, p));
    } else if (!c->slots || c->count + 1 > load_soft(c->mask + 1)) {
        /* whatever can fail comes first, so a failure changes nothing; the
         * table may grow one eviction early, never to a different result */
        if (grow_table(c) != 0 && (!c->slots || c->count + 1 > load_hard(c->mask + 1)))
            return -1;
    }
    if (c->capacity > 0) {
        bool evicted = false;
        while (c->used + size_bytes > c->capacity) {
            /* the list is not empty: used > capacity - size >= 0 counts some entry in it */
            drop(c, c->lru);
            c->stats.evictions++;
            evicted = true;
        }
        /* The next eviction writes into the next victim's newer neighbour:
         * after an eviction the victim (the new lru) is in the processor's
         * cache (its link was just written), so that neighbour's position
         * is known at no cost and its line can load meanwhile. */
        if (evicted && c->lru && at(c, c->lru)->newer) {
            PREFETCH(at(c, at(c, c->lru)->newer));
            /* and closing its hole reads the slots after it: the next line */
            PREFETCH(&c->slots[(((c->lru - 1) | 1) + 1) & c->mask]);
        }
    }
    if (p) {
        if (ordered(c))
            p = c->mru; /* evictions may have moved it back */
    } else {
        size_t j = home_of(c, key);
        while (c->slots[j].size1)
            j = (j + 1) & c->mask;
        p = (uint32_t)j + 1;
        c->slots[j].key = key;
        if (ordered(c))
            list_push_mru(c, p);
        else
            c->slots[j].newer = c->slots[j].older = 0;
        c->count++;
    }
    cache_entry_t *e = at(c, p);
    e->size1 = (uint64_t)size_bytes + 1;
    e->expiry = expiry_of(now, ttl);
    if (c->ttls)
        c->ttls[p - 1] = ttl;
    c->used += size_bytes;
    return 0;
}

bool cache_remove(cache_t *c, uint64_t key)
{
    settle(c);
    uint32_t p = find(c, key);
    if (!p)
        return false;
    drop(c, p);
    return true;
}

size_t cache_expire(cache_t *c, simtime_t now, size_t slots)
{
    if (!c->slots)
        return 0;
    settle(c);
    size_t n = 0, j = c->sweep & c->mask;
    if (slots > c->mask + 1)
        slots = c->mask + 1;
    /* a removal shifts later entries of the run back into j (never before
     * it), so j is looked at again: one pass sees every entry */
    for (size_t k = 0; k < slots; k++) {
        if (c->slots[j].size1 && now >= c->slots[j].expiry) {
            drop(c, (uint32_t)j + 1);
            n++;
        } else {
            j = (j + 1) & c->mask;
        }
    }
    c->sweep = j;
    return n;
}

size_t cache_purge(cache_t *c, bool (*match)(uint64_t key, void *arg), void *arg)
{
    size_t n = 0;
    settle(c);
    if (!ordered(c)) {
        /* no list: the table in slot order; a removal shifts later entries
         * of the run back into the slot, so the slot is looked at again
         * (an entry seen before may be seen twice: it did not match) */
        for (size_t j = 0; c->slots && j <= c->mask;) {
            if (c->slots[j].size1 && match(c->slots[j].key, arg)) {
                drop(c, (uint32_t)j + 1);
                n++;
            } else {
                j++;
            }
        }
        return n;
    }
    for (uint32_t p = c->lru; p;) {
        uint32_t next = at(c, p)->newer;
        if (match(at(c, p)->key, arg)) {
            uint64_t nkey = next ? at(c, next)->key : 0;
            drop(c, p);
            n++;
            /* the shift may have moved the next entry back */
            if (next && (!at(c, next)->size1 || at(c, next)->key != nkey))
                next = find(c, nkey);
        }
        p = next;
    }
    return n;
}

size_t cache_purge_all(cache_t *c)
{
    size_t n = c->count;
    if (c->slots)
        memset(c->slots, 0, (c->mask + 1) * sizeof *c->slots);
    c->mru = c->lru = c->touch = 0;
    c->used = 0;
    c->count = 0;
    return n;
}

/* ---- the terminal table ------------------------------------------------------ */

void cache_report_header(FILE *f)
{
    fprintf(f, "\n%-16s %12s %12s %12s %9s %12s\n", "cache layer", "lookups", "hits", "misses", "hit ratio",
            "bypass");
}

void cache_report_row(FILE *f, const char *label, double hits, double misses, double bypass)
{
    double n = hits + misses;
    fprintf(f, "%-16.16s %12.0f %12.0f %12.0f", label, n, hits, misses);
    if (n > 0)
        fprintf(f, " %8.2f%%", 100 * hits / n);
    else
        fprintf(f, " %9s", "-");
    if (bypass == bypass)
        fprintf(f, " %12.0f", bypass);
    fputc('\n', f);
}
