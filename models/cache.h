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
 *    capacity until it is refilled, evicted or purged: expiry frees nothing
 *    by itself (no timer per entry).
 * cache_fill inserts or replaces an object, making it most recently used with
 * expiry now + ttl, then evicts least recently used entries (fresh or stale
 * alike) until the bytes used fit the capacity. An object larger than the
 * whole capacity is not stored (an older version of it is dropped). Capacity
 * 0 means unbounded: nothing is ever evicted.
 *
 * Cost. Entries come from a pool (sim/pool.h) and sit in a chained hash table
 * (keys mixed by rng_mix64) and a doubly linked recency list. Memory is
 * proportional to the objects actually filled, whatever the catalogue they
 * come from (10^4 objects requested out of 10^9 cost 10^4 entries); a cache
 * that was never filled holds no memory at all. Lookup, fill, remove and each
 * eviction are O(1) expected; the table doubles when entries outnumber its
 * buckets (amortised, rare), and nothing is allocated per lookup. Purges scan
 * every entry: they are scheduled events, not the hot path.
 *
 * Invariants: used == sum of the sizes of the entries; count == number of
 * entries == length of the recency list == number of entries in the table;
 * capacity == 0 or used <= capacity after every call; every entry has
 * 0 <= size and (capacity == 0 or size <= capacity). */
#ifndef MODELS_CACHE_H
#define MODELS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/pool.h"
#include "sim/simtime.h"

typedef enum { CACHE_TTL_SET_ON_MISS, CACHE_TTL_REFRESH_ON_HIT } cache_ttl_mode_t;
typedef enum { CACHE_MISS, CACHE_HIT, CACHE_STALE } cache_result_t;

typedef struct cache_entry {
    struct cache_entry *hnext;          /* hash chain (first word: the pool's free link) */
    struct cache_entry *newer, *older;  /* recency list, NULL at the ends */
    uint64_t key;
    int64_t size;                       /* bytes */
    simtime_t ttl, expiry;              /* fresh while now < expiry */
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
    cache_entry_t **buckets;            /* NULL until the first fill */
    size_t mask;                        /* buckets - 1 (a power of two minus one) */
    cache_entry_t *mru, *lru;           /* ends of the recency list */
    pool_t pool;
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
/* Removes every entry whose key matches; returns how many (not evictions). */
size_t cache_purge(cache_t *c, bool (*match)(uint64_t key, void *arg), void *arg);
/* Removes every entry; returns how many. The memory is kept for reuse. */
size_t cache_purge_all(cache_t *c);
/* Entries, and the bytes they use (sizes of the objects). */
static inline size_t cache_entries(const cache_t *c) { return c->count; }
static inline int64_t cache_used(const cache_t *c) { return c->used; }
/* Bytes of memory the cache holds (entries' pool and hash table). */
size_t cache_bytes(const cache_t *c);

/* The terminal table of the cache layers (browser, CDN and its edges): a
 * header, and a row of measured hits, misses and requests that bypass the
 * layer (NaN: not shown). */
#include <stdio.h>
void cache_report_header(FILE *f);
void cache_report_row(FILE *f, const char *label, double hits, double misses, double bypass);

#endif
