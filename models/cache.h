/* cache: one LRU cache of objects with per-object TTLs and a byte capacity.
 *
 * The data structure behind every cache layer of the simulator (a browser
 * cache per client, a CDN edge per region, later Redis and a database query
 * cache). It knows no world and schedules no event: the caller passes the
 * current simulated time to each call.
 *
 * Model. Objects are named by a uint64_t key (any value: the key is hashed).
 * An entry holds the object's size in bytes, its own TTL (classes of objects
 * have different TTLs) and its expiry. A lookup at time `now` finds:
 *  - MISS: no entry;
 *  - HIT: an entry with now < expiry; it becomes most recently used, and in
 *    CACHE_TTL_REFRESH_ON_HIT mode its expiry becomes now + its ttl (an idle
 *    timeout); in CACHE_TTL_SET_ON_MISS mode the expiry is left alone (a
 *    fixed lifetime from the fill, as HTTP max-age);
 *  - STALE: an entry with now >= expiry. The entry stays and its recency is
 *    not changed: the caller decides, either revalidating (a must-revalidate
 *    layer sends a conditional request) or treating it as a miss, and in both
 *    cases calls cache_fill, which renews it. A stale entry keeps occupying
 *    capacity until it is refilled, evicted, purged or swept by
 *    cache_expire: expiry frees nothing by itself (no timer per entry).
 * cache_fill inserts or replaces an object, making it most recently used with
 * expiry now + ttl, then evicts least recently used entries (fresh or stale
 * alike) until the bytes used fit the capacity. An object larger than the
 * whole capacity is not stored (an older version of it is dropped). Capacity
 * 0 means unbounded: nothing is ever evicted, so no recency is kept at all
 * (the list is empty, and a hit writes nothing: an unbounded CDN edge's
 * hits cost one read each).
 *
 * Cost. The entries are the slots of one open-addressing table with linear
 * probing (a key's home slot is the top bits of rng_mix64(key)). A 32-byte
 * slot holds the key, the size, the expiry and the recency list's two links,
 * which are 32-bit slot positions; the TTL, which only
 * CACHE_TTL_REFRESH_ON_HIT reads again, is in a parallel array kept in that
 * mode only. Slots are two to a 64-byte line, so a lookup, hit or miss, reads
 * about one line (its home line, the next one prefetched), and a hit then
 * writes into its two list neighbours. A fill reads the line where the key
 * goes; an eviction reads the least recently used entry (prefetched while
 * the key is probed for) and closes its gap by shifting the rest of its run
 * back (backward-shift deletion: no chain to walk and no tombstones, so the
 * table does not degrade with churn), relinking each entry it moves. The
 * table doubles, rehashing every entry, when a new one would take it above
 * 5/8 full: its load stays in (5/16, 5/8], which is 51 to 102 bytes per
 * entry (8 more in REFRESH_ON_HIT mode), and 1.5 times the new table while it
 * doubles. The trade-off, measured: an index of 8-byte slots (hash bits
 * and an entry number) in front of an array of 32-byte entries took 43 to
 * 55 bytes per entry, but a hit, or an eviction, then waited for two misses
 * in a row (slot, then entry). On scenarios/azora-baseline.yaml's day (over
 * a million browser entries; one run each) the table of entries ran in 84 s
 * against 111 s, its peak 138 MB against 100 MB; the chained table of
 * 56-byte entries with 8-byte buckets that both replaced (64 to 72 bytes per
 * entry) took 127 s and 149 MB. Growth is amortised and rare, and nothing is
 * allocated per lookup. Memory is proportional to the objects actually
 * filled, whatever the catalogue they come from (10^4 objects requested out
 * of 10^9 cost 10^4 entries); a cache that was never filled holds no memory
 * at all. Purges walk every entry: they are scheduled events, not the hot
 * path.
 *
 * Out of memory. A table that cannot double keeps working at a higher load
 * (longer probes, the same results) up to 7/8 full; a fill of a new key
 * beyond that returns -1 and changes nothing. Lookups, removals, purges and
 * fills of keys already present never allocate and never fail.
 *
 * Invariants: used == sum of the sizes of the entries; count == number of
 * entries == number of entries in the table == (capacity > 0) the length
 * of the recency list, (capacity == 0) the list is empty;
 * capacity == 0 or used <= capacity after every call; every entry has
 * 0 <= size and (capacity == 0 or size <= capacity). */
#ifndef MODELS_CACHE_H
#define MODELS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/simtime.h"

typedef enum { CACHE_TTL_SET_ON_MISS, CACHE_TTL_REFRESH_ON_HIT } cache_ttl_mode_t;
typedef enum { CACHE_MISS, CACHE_HIT, CACHE_STALE } cache_result_t;

/* An entry, which is a slot of the table, named by its position + 1: the
 * links' 0 is "none" (the ends of the recency list), and a zeroed cache is
 * an empty one. */
typedef struct cache_entry {
    uint64_t key;
    uint64_t size1;                     /* size in bytes + 1; 0 marks an empty slot */
    simtime_t expiry;                   /* fresh while now < expiry */
    uint32_t newer, older;              /* recency list */
} cache_entry_t;

/* Counters; the caller may clear them (at the end of a warm-up, say). */
typedef struct cache_stats {
    uint64_t hits, stale, misses;       /* lookups by result */
    uint64_t evictions;                 /* entries evicted to make room */
} cache_stats_t;

/* Open so that a layer can embed one cache per client in an array and a test
 * can walk the recency list; change it only through the calls below. */
typedef struct cache {
    int64_t capacity;                   /* bytes, 0 = unbounded */
    cache_ttl_mode_t mode;
    int64_t used;                       /* bytes of the entries */
    size_t count;                       /* entries */
    cache_entry_t *slots;               /* the table (entry p at slots[p - 1]); NULL until the first fill */
    simtime_t *ttls;                    /* entry p's ttl at ttls[p - 1] (REFRESH_ON_HIT only) */
    size_t mask;                        /* slots - 1 (a power of two minus one) */
    unsigned shift;                     /* a key's home slot is rng_mix64(key) >> shift */
    uint32_t mru, lru;                  /* ends of the recency list, 0 = empty */
    uint32_t touch;                     /* a hit whose move to the mru end is pending (0: none) */
    size_t sweep;                       /* where cache_expire goes on from (a slot, taken mod the table) */
    size_t max_bytes;                   /* 0, or the table may not grow beyond cache_bytes() = this, as
                                           if memory ran out (tests reach those paths through it) */
    cache_stats_t stats;
} cache_t;

/* An empty cache of capacity_bytes (0 = unbounded); 0, or -1 when the
 * capacity is negative. Holds no memory until the first fill. */
int cache_init(cache_t *c, int64_t capacity_bytes, cache_ttl_mode_t mode);
/* Frees every entry and the table; c may then be initialised again. */
void cache_destroy(cache_t *c);
/* The state of `key` at `now` (see the header); a HIT makes the entry most
 * recently used and, in REFRESH_ON_HIT mode, sets its expiry to now + ttl.
 * Counted in c->stats. */
cache_result_t cache_lookup(cache_t *c, uint64_t key, simtime_t now);
/* Starts loading the line where `key` would be (a lookup or fill of it
 * soon after then finds it in the processor's cache): a hint that changes
 * nothing. A layer that knows a request's key well before it looks it up
 * calls it then: the lookup no longer waits for memory. */
void cache_prefetch(const cache_t *c, uint64_t key);
/* As cache_lookup, changing nothing (no recency, expiry or counter). */
cache_result_t cache_peek(const cache_t *c, uint64_t key, simtime_t now);
/* Inserts or replaces `key` (size_bytes >= 0, ttl >= 0, SIM_NEVER for no
 * expiry) as the most recently used entry, expiring at now + ttl, evicting
 * least recently used entries until it fits. An object larger than the
 * capacity is not stored and an older version of it is removed. 0, or -1 when
 * memory ran out (the cache is then unchanged). */
int cache_fill(cache_t *c, uint64_t key, int64_t size_bytes, simtime_t ttl, simtime_t now);
/* Removes `key` (an invalidation); false when it was not there. */
bool cache_remove(cache_t *c, uint64_t key);
/* Active expiry, for a layer whose expired entries are deleted (Redis's
 * EXPIRE) rather than kept for revalidation (HTTP): looks at `slots` slots
 * (at most the table's) from where the last call stopped, round the table,
 * removing the expired entries (now >= expiry), and returns how many it
 * removed. A slot whose entry it removed is looked at again (the removal
 * shifted the rest of the run back into it), so the calls pass over every
 * slot once per (table slots + removals) slots looked at: with a few slots
 * per operation, an expired entry holds its bytes for at most about that
 * many operations, at a bounded cost per call. Not counted as evictions. */
size_t cache_expire(cache_t *c, simtime_t now, size_t slots);
/* Removes every entry whose key matches; returns how many (not evictions). */
size_t cache_purge(cache_t *c, bool (*match)(uint64_t key, void *arg), void *arg);
/* Removes every entry; returns how many. The memory is kept for reuse. */
size_t cache_purge_all(cache_t *c);
/* Entries, and the bytes they use (sizes of the objects). */
static inline size_t cache_entries(const cache_t *c) { return c->count; }
static inline int64_t cache_used(const cache_t *c) { return c->used; }
/* A hit's move to the most recent end of the list is applied at the start
 * of the next call that changes the cache (its neighbours' lines load
 * meanwhile: the move writes them); no call between reads the order, so
 * every eviction sees the order the moves made at once would have left.
 * This applies a pending move: call it before walking the list. */
void cache_settle(cache_t *c);
/* Entry p (a position + 1, as the links name it), or NULL for 0: for walking
 * the recency list from c->mru through older (after cache_settle). */
static inline const cache_entry_t *cache_entry(const cache_t *c, uint32_t p) { return p ? &c->slots[p - 1] : NULL; }
/* Bytes of memory the cache holds (the table and, in REFRESH_ON_HIT mode,
 * the TTLs). */
size_t cache_bytes(const cache_t *c);

/* The terminal table of the cache layers (browser, CDN and its edges): a
 * header, and a row of measured hits, misses and requests that bypass the
 * layer (NaN: not shown). */
#include <stdio.h>
void cache_report_header(FILE *f);
void cache_report_row(FILE *f, const char *label, double hits, double misses, double bypass);

#endif
