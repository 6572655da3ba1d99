#include "models/cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

/* A small first table and first pool chunk: a simulator may hold one cache
 * per client, most of them holding a handful of objects. */
#define CACHE_FIRST_BUCKETS 16
#define CACHE_FIRST_CHUNK 16

int cache_init(cache_t *c, int64_t capacity_bytes, cache_ttl_mode_t mode)
{
    memset(c, 0, sizeof *c);
    if (capacity_bytes < 0)
        return -1;
    c->capacity = capacity_bytes;
    c->mode = mode;
    pool_init(&c->pool, sizeof(cache_entry_t), CACHE_FIRST_CHUNK);
    return 0;
}

void cache_destroy(cache_t *c)
{
    pool_destroy(&c->pool);
    free(c->buckets);
    memset(c, 0, sizeof *c);
}

size_t cache_bytes(const cache_t *c)
{
    return pool_bytes(&c->pool) + (c->buckets ? (c->mask + 1) * sizeof *c->buckets : 0);
}

static inline size_t bucket_of(const cache_t *c, uint64_t key) { return (size_t)rng_mix64(key) & c->mask; }

static cache_entry_t *find(const cache_t *c, uint64_t key)
{
    if (!c->buckets)
        return NULL;
    cache_entry_t *e = c->buckets[bucket_of(c, key)];
    while (e && e->key != key)
        e = e->hnext;
    return e;
}

/* Recency list: mru is the newest end. */
static void list_unlink(cache_t *c, cache_entry_t *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->mru = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->lru = e->newer;
}

static void list_push_mru(cache_t *c, cache_entry_t *e)
{
    e->newer = NULL;
    e->older = c->mru;
    if (c->mru)
        c->mru->newer = e;
    else
        c->lru = e;
    c->mru = e;
}

static void hash_unlink(cache_t *c, cache_entry_t *e)
{
    cache_entry_t **p = &c->buckets[bucket_of(c, e->key)];
    while (*p != e)
        p = &(*p)->hnext;
    *p = e->hnext;
}

/* Takes a linked entry out of the list, the table and the accounting. */
static void drop(cache_t *c, cache_entry_t *e)
{
    list_unlink(c, e);
    hash_unlink(c, e);
    c->used -= e->size;
    c->count--;
    pool_put(&c->pool, e);
}

/* Doubles the table. On failure the old table stays: chains grow longer
 * (lookups slow down) but the cache stays correct, so a fill that already
 * has its entry does not fail for want of a bigger table. */
static void grow(cache_t *c)
{
    size_t n = (c->mask + 1) * 2;
    cache_entry_t **nb = calloc(n, sizeof *nb);
    if (!nb)
        return;
    for (size_t b = 0; b <= c->mask; b++) {
        cache_entry_t *e = c->buckets[b];
        while (e) {
            cache_entry_t *next = e->hnext;
            size_t nbk = (size_t)rng_mix64(e->key) & (n - 1);
            e->hnext = nb[nbk];
            nb[nbk] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = nb;
    c->mask = n - 1;
}

static inline simtime_t expiry_of(simtime_t now, simtime_t ttl)
{
    return now > 0 && ttl > SIM_NEVER - now ? SIM_NEVER : now + ttl;
}

static cache_result_t state(const cache_entry_t *e, simtime_t now)
{
    if (!e)
        return CACHE_MISS;
    return now < e->expiry ? CACHE_HIT : CACHE_STALE;
}

cache_result_t cache_lookup(cache_t *c, uint64_t key, simtime_t now)
{
    cache_entry_t *e = find(c, key);
    cache_result_t r = state(e, now);
    if (r == CACHE_HIT) {
        c->stats.hits++;
        if (c->mru != e) {
            list_unlink(c, e);
            list_push_mru(c, e);
        }
        if (c->mode == CACHE_TTL_REFRESH_ON_HIT)
            e->expiry = expiry_of(now, e->ttl);
    } else if (r == CACHE_STALE) {
        c->stats.stale++;
    } else {
        c->stats.misses++;
    }
    return r;
}

cache_result_t cache_peek(const cache_t *c, uint64_t key, simtime_t now) { return state(find(c, key), now); }

int cache_fill(cache_t *c, uint64_t key, int64_t size_bytes, simtime_t ttl, simtime_t now)
{
    assert(size_bytes >= 0 && ttl >= 0);
    if (c->capacity > 0 && size_bytes > c->capacity) {
        cache_remove(c, key);
        return 0;
    }
    if (!c->buckets) {
        c->buckets = calloc(CACHE_FIRST_BUCKETS, sizeof *c->buckets);
        if (!c->buckets)
            return -1;
        c->mask = CACHE_FIRST_BUCKETS - 1;
    }
    cache_entry_t *e = find(c, key);
    if (e) {
        /* out of the list while room is made, so it is not its own victim */
        list_unlink(c, e);
        c->used -= e->size;
    } else {
        e = pool_get(&c->pool);
        if (!e)
            return -1;
        e->key = key;
        size_t b = bucket_of(c, key);
        e->hnext = c->buckets[b];
        c->buckets[b] = e;
        c->count++;
    }
    e->size = size_bytes;
    e->ttl = ttl;
    e->expiry = expiry_of(now, ttl);
    if (c->capacity > 0) {
        while (c->used + size_bytes > c->capacity) {
            /* the list is not empty: used > capacity - size >= 0 counts some entry in it */
            drop(c, c->lru);
            c->stats.evictions++;
        }
    }
    c->used += size_bytes;
    list_push_mru(c, e);
    if (c->count > c->mask + 1)
        grow(c);
    return 0;
}

bool cache_remove(cache_t *c, uint64_t key)
{
    cache_entry_t *e = find(c, key);
    if (!e)
        return false;
    drop(c, e);
    return true;
}

size_t cache_purge(cache_t *c, bool (*match)(uint64_t key, void *arg), void *arg)
{
    size_t n = 0;
    cache_entry_t *e = c->lru;
    while (e) {
        cache_entry_t *newer = e->newer;
        if (match(e->key, arg)) {
            drop(c, e);
            n++;
        }
        e = newer;
    }
    return n;
}

size_t cache_purge_all(cache_t *c)
{
    size_t n = c->count;
    cache_entry_t *e = c->lru;
    while (e) {
        cache_entry_t *newer = e->newer;
        pool_put(&c->pool, e);
        e = newer;
    }
    if (c->buckets)
        memset(c->buckets, 0, (c->mask + 1) * sizeof *c->buckets);
    c->mru = c->lru = NULL;
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
