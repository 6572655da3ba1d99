/* Tests of models/cache: the data structure, then its hit ratios against
 * theory.
 *
 * Unit tests pin the contract of models/cache.h on hand-made sequences (LRU
 * order, byte capacity, expiry, purges) and compare every call of long
 * random sequences with a reference LRU written naively here (an array in
 * recency order, linear scans), checking the invariants of cache.h and of
 * its table after every call. The table (open addressing, linear probing,
 * backward-shift deletion) is attacked where it could break: keys made to
 * collide by choosing their hashes (key_with_hash inverts rng_mix64),
 * deletions in the middle of runs and in runs that wrap around the table's
 * end (exact slots worked out by hand), one run of hundreds of entries
 * churned, and a table that cannot grow (max_bytes stands for the failed
 * allocation).
 *
 * Validation drives the cache with Poisson request streams (exponential gaps
 * from sim/rng, times in integer nanoseconds) and compares hit ratios with
 * closed forms:
 *  - one object of rate lambda, TTL T. Set on miss: a miss starts a fresh
 *    period of length T holding Poisson(lambda T) hits, so the hit ratio is
 *    lambda T / (1 + lambda T). Refresh on hit: a request hits iff the gap
 *    since the previous request is < T: 1 - exp(-lambda T).
 *  - a Zipf catalogue (p_i proportional to i^-s) requested at total rate
 *    Lambda: the superposition of independent Poisson streams of rates
 *    Lambda p_i is one Poisson stream choosing object i with probability
 *    p_i, and with an unbounded cache objects do not interact, so the hit
 *    ratio is sum_i p_i h(Lambda p_i T) for either mode;
 *  - LRU of C unit-size objects, no TTL, under the independent reference
 *    model: Che's approximation and, where it is affordable, the exact hit
 *    ratio (see lru_exact).
 *
 * Every stream starts in its stationary state, so the estimators are unbiased
 * from the first request: a TTL entry is filled in the past as the
 * stationary law says (set on miss: fresh with probability
 * lambda T/(1 + lambda T), its age then uniform on [0, T); refresh on hit:
 * the age of the last request is Exp(lambda), fresh iff it is < T). An LRU
 * cache of C unit objects holds exactly the C most recently requested
 * distinct objects, so once it is full its state is a function of the recent
 * requests alone and is stationary: a warm-up of 3 t_C requests (t_C from
 * Che, about the number of requests that bring C distinct objects) fills it
 * except with negligible probability, and the test asserts it is full.
 *
 * Tolerance (as tests/test_validation.c): R replications with different
 * seeds; the replication mean is Student t with R-1 degrees of freedom
 * around the true value, and a check passes when
 * |mean - theory| <= t_{0.9995, R-1} se + allowance, where allowance is 0
 * for exact formulas and states the accuracy of an approximation otherwise.
 * A correct cache fails a check with probability 0.1% (deterministically:
 * the seeds are fixed). So that no check passes by vagueness, each also
 * asserts se <= max_se, a bound set from the binomial standard error
 * sqrt(h (1 - h) / (R n)) of R n requests with a margin for the sampling
 * error of se and for the correlation between requests (stated per test). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/cache.h"
#include "sim/rng.h"
#include "sim/stats.h"

#define R 10

/* ------------------------------------------------------------------ */
/* Invariants of cache.h, checked by walking the list and the table.   */

/* The table's view of a key, as models/cache.c places it: its home slot
 * is the top bits of rng_mix64(key). */
static size_t home_of(const cache_t *c, uint64_t key) { return (size_t)(rng_mix64(key) >> c->shift); }
/* Entry p >= 1 (cache_entry, without its NULL for 0), and its size. */
static const cache_entry_t *entry_at(const cache_t *c, uint32_t p) { return &c->slots[p - 1]; }
static int64_t size_of(const cache_entry_t *e) { return (int64_t)(e->size1 - 1); }

/* The contract's invariants (used, count, list, capacity) and the
 * structure's: the list runs through occupied slots only, each once; every
 * occupied slot is on it and reachable from its key's home with no empty
 * slot on the way (what linear probing needs of a deletion); no key is in
 * two slots; the load stays at most 7/8. */
static void check_invariants(cache_t *c)
{
    cache_settle(c); /* a hit's pending move first: the list is then whole */
    size_t n = 0;
    int64_t used = 0;
    uint32_t prev = 0;
    size_t slots = c->slots ? c->mask + 1 : 0;
    unsigned char *seen = calloc(slots + 1, 1);
    assert_non_null(seen);
    if (c->capacity == 0 && c->slots) {
        /* unbounded: no recency list; the table alone is counted */
        assert_int_equal(c->mru, 0);
        assert_int_equal(c->lru, 0);
        for (size_t j = 0; j < slots; j++)
            if (c->slots[j].size1) {
                assert_int_equal(c->slots[j].newer, 0);
                assert_int_equal(c->slots[j].older, 0);
                seen[j + 1] = 1;
                used += size_of(&c->slots[j]);
                n++;
            }
    }
    for (uint32_t p = c->mru; p; p = entry_at(c, p)->older) {
        assert_true(p <= slots);
        assert_int_equal(seen[p], 0); /* no cycle */
        seen[p] = 1;
        const cache_entry_t *e = entry_at(c, p);
        assert_true(e->size1 != 0);
        assert_int_equal(e->newer, prev);
        assert_true(size_of(e) >= 0);
        if (c->capacity > 0)
            assert_true(size_of(e) <= c->capacity);
        used += size_of(e);
        n++;
        prev = p;
    }
    assert_int_equal(c->lru, prev);
    assert_int_equal(n, c->count);
    assert_int_equal(used, c->used);
    if (c->capacity > 0)
        assert_true(c->used <= c->capacity);
    size_t in_table = 0;
    if (c->slots) {
        assert_true(slots >= 16 && (slots & c->mask) == 0);
        assert_int_equal((size_t)1 << (64 - c->shift), slots);
        for (size_t j = 0; j < slots; j++) {
            const cache_entry_t *e = &c->slots[j];
            if (!e->size1)
                continue;
            assert_int_equal(seen[j + 1], 1); /* on the list */
            for (size_t k = home_of(c, e->key); k != j; k = (k + 1) & c->mask) {
                assert_true(c->slots[k].size1 != 0);
                assert_true(c->slots[k].key != e->key);
            }
            in_table++;
        }
        assert_true(c->count <= slots - slots / 8);
    } else {
        assert_int_equal(c->count, 0);
    }
    assert_int_equal(in_table, c->count);
    free(seen);
}

/* Asserts the recency order, most recent first; an unbounded cache keeps
 * none, so there only that it holds exactly those keys. */
static void check_order(cache_t *c, const uint64_t *keys, size_t n)
{
    cache_settle(c); /* a hit's pending move first: the list is then whole */
    if (c->capacity == 0) {
        assert_int_equal(c->count, n);
        for (size_t i = 0; i < n; i++) {
            bool found = false;
            for (size_t j = 0; c->slots && j <= c->mask; j++)
                found |= c->slots[j].size1 && c->slots[j].key == keys[i];
            assert_true(found);
        }
        check_invariants(c);
        return;
    }
    const cache_entry_t *e = cache_entry(c, c->mru);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(e);
        assert_int_equal(e->key, keys[i]);
        e = cache_entry(c, e->older);
    }
    assert_null(e);
    check_invariants(c);
}

/* ------------------------------------------------------------------ */
/* Unit tests                                                          */

static void test_init_empty(void **state)
{
    (void)state;
    cache_t c;
    assert_int_equal(cache_init(&c, -1, CACHE_TTL_SET_ON_MISS), -1);
    assert_int_equal(cache_init(&c, 100, CACHE_TTL_SET_ON_MISS), 0);
    assert_int_equal(cache_lookup(&c, 42, 0), CACHE_MISS);
    assert_int_equal(c.stats.misses, 1);
    assert_int_equal(cache_entries(&c), 0);
    assert_int_equal(cache_used(&c), 0);
    assert_int_equal(cache_bytes(&c), 0); /* nothing held before the first fill */
    assert_false(cache_remove(&c, 42));
    assert_int_equal(cache_purge_all(&c), 0);
    check_invariants(&c);
    cache_destroy(&c);
}

/* A hand-made sequence on 4 bytes of unit objects; expected orders worked
 * out by hand from the rule "hit or fill = most recent, evict the least". */
static void test_lru_order_exact(void **state)
{
    (void)state;
    cache_t c;
    assert_int_equal(cache_init(&c, 4, CACHE_TTL_SET_ON_MISS), 0);
    for (uint64_t k = 1; k <= 4; k++)
        assert_int_equal(cache_fill(&c, k, 1, SIM_NEVER, 0), 0);
    check_order(&c, (const uint64_t[]){4, 3, 2, 1}, 4);
    assert_int_equal(cache_lookup(&c, 2, 1), CACHE_HIT);
    check_order(&c, (const uint64_t[]){2, 4, 3, 1}, 4);
    assert_int_equal(cache_lookup(&c, 1, 2), CACHE_HIT);
    check_order(&c, (const uint64_t[]){1, 2, 4, 3}, 4);
    assert_int_equal(cache_lookup(&c, 1, 3), CACHE_HIT); /* already most recent */
    check_order(&c, (const uint64_t[]){1, 2, 4, 3}, 4);
    assert_int_equal(cache_fill(&c, 5, 1, SIM_NEVER, 4), 0); /* evicts 3 */
    check_order(&c, (const uint64_t[]){5, 1, 2, 4}, 4);
    assert_int_equal(c.stats.evictions, 1);
    assert_int_equal(cache_peek(&c, 3, 4), CACHE_MISS);
    assert_int_equal(cache_fill(&c, 2, 1, SIM_NEVER, 5), 0); /* replace: no eviction */
    check_order(&c, (const uint64_t[]){2, 5, 1, 4}, 4);
    assert_int_equal(c.stats.evictions, 1);
    assert_int_equal(cache_lookup(&c, 9, 6), CACHE_MISS); /* a miss changes nothing */
    assert_int_equal(cache_peek(&c, 4, 6), CACHE_HIT);    /* nor does a peek */
    check_order(&c, (const uint64_t[]){2, 5, 1, 4}, 4);
    assert_int_equal(cache_fill(&c, 6, 2, SIM_NEVER, 7), 0); /* 2 bytes: evicts 4 then 1 */
    check_order(&c, (const uint64_t[]){6, 2, 5}, 3);
    assert_int_equal(c.stats.evictions, 3);
    assert_int_equal(cache_used(&c), 4);
    assert_int_equal(cache_fill(&c, 5, 3, SIM_NEVER, 8), 0); /* grows to 3 bytes: evicts 2 then 6, not itself */
    check_order(&c, (const uint64_t[]){5}, 1);
    assert_int_equal(c.stats.evictions, 5);
    assert_int_equal(cache_used(&c), 3);
    assert_int_equal(cache_fill(&c, 7, 0, SIM_NEVER, 9), 0); /* size 0 fits anywhere */
    check_order(&c, (const uint64_t[]){7, 5}, 2);
    assert_true(cache_remove(&c, 5));
    check_order(&c, (const uint64_t[]){7}, 1);
    assert_int_equal(c.stats.hits, 3);
    assert_int_equal(c.stats.misses, 1);
    cache_destroy(&c);
}

static void test_larger_than_capacity(void **state)
{
    (void)state;
    cache_t c;
    assert_int_equal(cache_init(&c, 100, CACHE_TTL_SET_ON_MISS), 0);
    assert_int_equal(cache_fill(&c, 1, 101, SIM_NEVER, 0), 0);
    assert_int_equal(cache_entries(&c), 0);
    assert_int_equal(cache_lookup(&c, 1, 0), CACHE_MISS);
    assert_int_equal(cache_fill(&c, 2, 30, SIM_NEVER, 0), 0);
    assert_int_equal(cache_fill(&c, 1, 50, SIM_NEVER, 0), 0);
    assert_int_equal(cache_fill(&c, 1, 101, SIM_NEVER, 1), 0); /* the old version goes, 2 stays */
    check_order(&c, (const uint64_t[]){2}, 1);
    assert_int_equal(cache_used(&c), 30);
    assert_int_equal(c.stats.evictions, 0);
    assert_int_equal(cache_fill(&c, 3, 100, SIM_NEVER, 2), 0); /* exactly the capacity: stored */
    check_order(&c, (const uint64_t[]){3}, 1);
    assert_int_equal(cache_used(&c), 100);
    cache_destroy(&c);
}

static bool is_even(uint64_t key, void *arg)
{
    (void)arg;
    return key % 2 == 0;
}

static bool below(uint64_t key, void *arg) { return key < *(const uint64_t *)arg; }

/* A purge, in a cache that keeps recency (a capacity far above its
 * contents) and in an unbounded one, which keeps none and walks its table. */
static void purge_case(int64_t cap)
{
    cache_t c;
    assert_int_equal(cache_init(&c, cap, CACHE_TTL_SET_ON_MISS), 0);
    for (uint64_t k = 0; k < 100; k++)
        assert_int_equal(cache_fill(&c, k, 10, SIM_NEVER, 0), 0);
    size_t held = cache_bytes(&c);
    assert_int_equal(cache_purge(&c, is_even, NULL), 50);
    check_invariants(&c);
    assert_int_equal(cache_entries(&c), 50);
    assert_int_equal(cache_used(&c), 500);
    uint64_t odd[50];
    for (size_t i = 0; i < 50; i++)
        odd[i] = 99 - 2 * i; /* recency order kept: newest first */
    if (cap > 0)
        check_order(&c, odd, 50);
    for (uint64_t k = 0; k < 100; k++)
        assert_int_equal(cache_peek(&c, k, 0), k % 2 ? CACHE_HIT : CACHE_MISS);
    uint64_t lim = 51;
    assert_int_equal(cache_purge(&c, below, &lim), 25); /* 1, 3, ..., 49 */
    assert_int_equal(cache_purge(&c, below, &lim), 0);
    check_invariants(&c);
    assert_int_equal(cache_purge_all(&c), 25);
    check_invariants(&c);
    assert_int_equal(cache_entries(&c), 0);
    assert_int_equal(cache_used(&c), 0);
    assert_int_equal(cache_peek(&c, 99, 0), CACHE_MISS);
    assert_int_equal(c.stats.evictions, 0); /* purges are not evictions */
    for (uint64_t k = 0; k < 100; k++)      /* memory is reused */
        assert_int_equal(cache_fill(&c, k + 1000, 10, SIM_NEVER, 0), 0);
    assert_int_equal(cache_bytes(&c), held);
    check_invariants(&c);
    cache_destroy(&c);
}

static void test_purge(void **state)
{
    (void)state;
    purge_case((int64_t)1 << 40);
    purge_case(0);
}

static void test_stale_after_expiry(void **state)
{
    (void)state;
    cache_t c;
    /* a capacity far above its contents: recency is kept (see check_order) */
    assert_int_equal(cache_init(&c, (int64_t)1 << 40, CACHE_TTL_SET_ON_MISS), 0);
    assert_int_equal(cache_fill(&c, 1, 1, 500, 1000), 0);
    assert_int_equal(cache_fill(&c, 2, 1, 5000, 1000), 0); /* its own, longer, ttl */
    assert_int_equal(cache_lookup(&c, 1, 1499), CACHE_HIT); /* fresh while now < 1000 + 500 */
    assert_int_equal(cache_lookup(&c, 2, 1499), CACHE_HIT);
    assert_int_equal(cache_lookup(&c, 1, 1500), CACHE_STALE);
    assert_int_equal(cache_lookup(&c, 2, 1500), CACHE_HIT);
    assert_int_equal(c.stats.stale, 1);
    /* the stale entry stays, and keeps its place in the recency order */
    assert_int_equal(cache_entries(&c), 2);
    check_order(&c, (const uint64_t[]){2, 1}, 2);
    assert_int_equal(cache_lookup(&c, 1, 1600), CACHE_STALE);
    check_order(&c, (const uint64_t[]){2, 1}, 2);
    /* revalidation renews it from now */
    assert_int_equal(cache_fill(&c, 1, 1, 500, 1600), 0);
    check_order(&c, (const uint64_t[]){1, 2}, 2);
    assert_int_equal(cache_lookup(&c, 1, 2099), CACHE_HIT);
    assert_int_equal(cache_lookup(&c, 1, 2100), CACHE_STALE);
    assert_int_equal(cache_lookup(&c, 2, 5999), CACHE_HIT);
    assert_int_equal(cache_lookup(&c, 2, 6000), CACHE_STALE);
    /* ttl 0: stored but always stale (a must-revalidate object) */
    assert_int_equal(cache_fill(&c, 3, 1, 0, 7000), 0);
    assert_int_equal(cache_lookup(&c, 3, 7000), CACHE_STALE);
    /* SIM_NEVER never expires, even filled late (no overflow) */
    assert_int_equal(cache_fill(&c, 4, 1, SIM_NEVER, SIM_NEVER / 2), 0);
    assert_int_equal(cache_lookup(&c, 4, SIM_NEVER - 1), CACHE_HIT);
    assert_int_equal(cache_fill(&c, 5, 1, SIM_NEVER - 10, 100), 0);
    assert_int_equal(cache_lookup(&c, 5, SIM_NEVER - 1), CACHE_HIT);
    cache_destroy(&c);
}

/* cache_expire sweeps the table a few slots a call, round from where it
 * stopped: it removes exactly the expired entries (fresh ones, and all of
 * them before their expiry, stay), keeps every invariant after each call
 * (backward shifts, relinks, a hit's pending move), and once it has looked
 * at (table slots + removals) slots, one pass, every expired entry is gone. */
static void expire_case(int64_t capacity)
{
    cache_t c;
    assert_int_equal(cache_init(&c, capacity, CACHE_TTL_SET_ON_MISS), 0);
    enum { N = 3000 };
    /* keys 1..N filled at t = 0; odd ones live 1000 ns, even ones forever */
    for (uint64_t k = 1; k <= N; k++)
        assert_int_equal(cache_fill(&c, k, 1, k % 2 ? 1000 : SIM_NEVER, 0), 0);
    assert_int_equal(cache_expire(&c, 999, c.mask + 1), 0); /* none expired yet */
    check_invariants(&c);
    assert_int_equal(cache_lookup(&c, 2, 1500), CACHE_HIT); /* a move pending across the sweep */
    size_t removed = 0, looked = 0, slots = c.mask + 1;
    while (looked + 7 <= slots + N / 2) {
        removed += cache_expire(&c, 1500, 7);
        looked += 7;
        check_invariants(&c);
    }
    removed += cache_expire(&c, 1500, slots + N / 2 - looked); /* the pass's last slots */
    assert_int_equal(removed, N / 2);
    assert_int_equal(cache_entries(&c), N / 2);
    for (uint64_t k = 1; k <= N; k++)
        assert_int_equal(cache_peek(&c, k, 1500), k % 2 ? CACHE_MISS : CACHE_HIT);
    assert_int_equal(c.stats.evictions, 0); /* expiry is not eviction */
    /* more slots than the table: one pass, nothing left to remove */
    assert_int_equal(cache_expire(&c, 1500, (size_t)1 << 40), 0);
    cache_destroy(&c);
    /* an empty cache: nothing to sweep */
    assert_int_equal(cache_init(&c, capacity, CACHE_TTL_SET_ON_MISS), 0);
    assert_int_equal(cache_expire(&c, 1500, 8), 0);
    cache_destroy(&c);
}

static void test_expire(void **state)
{
    (void)state;
    expire_case((int64_t)1 << 40);
    expire_case(0);
}

static void test_refresh_on_hit(void **state)
{
    (void)state;
    cache_t set, ref;
    assert_int_equal(cache_init(&set, 0, CACHE_TTL_SET_ON_MISS), 0);
    assert_int_equal(cache_init(&ref, 0, CACHE_TTL_REFRESH_ON_HIT), 0);
    assert_int_equal(cache_fill(&set, 7, 1, 100, 0), 0);
    assert_int_equal(cache_fill(&ref, 7, 1, 100, 0), 0);
    assert_int_equal(cache_lookup(&set, 7, 90), CACHE_HIT);
    assert_int_equal(cache_lookup(&ref, 7, 90), CACHE_HIT);   /* expiry 190 */
    assert_int_equal(cache_lookup(&set, 7, 150), CACHE_STALE); /* expiry stayed 100 */
    assert_int_equal(cache_lookup(&ref, 7, 189), CACHE_HIT);  /* expiry 289 */
    assert_int_equal(cache_lookup(&ref, 7, 288), CACHE_HIT);  /* expiry 388 */
    assert_int_equal(cache_lookup(&ref, 7, 388), CACHE_STALE);
    assert_int_equal(cache_lookup(&ref, 7, 400), CACHE_STALE); /* a stale lookup refreshes nothing */
    assert_int_equal(cache_fill(&ref, 7, 1, 100, 400), 0);
    assert_int_equal(cache_lookup(&ref, 7, 499), CACHE_HIT);
    /* each entry refreshes by its own ttl */
    assert_int_equal(cache_fill(&ref, 8, 1, 1000, 500), 0);
    assert_int_equal(cache_lookup(&ref, 8, 1400), CACHE_HIT); /* expiry 2400 */
    assert_int_equal(cache_lookup(&ref, 8, 2399), CACHE_HIT);
    assert_int_equal(cache_lookup(&ref, 7, 2399), CACHE_STALE);
    cache_destroy(&set);
    cache_destroy(&ref);
}

/* The reference: entries in an array, most recent first, linear scans. */
typedef struct ref_entry {
    uint64_t key;
    int64_t size;
    simtime_t ttl, expiry;
} ref_entry_t;

typedef struct ref_lru {
    ref_entry_t e[64];
    size_t n;
    int64_t cap, used;
    uint64_t evictions;
    cache_ttl_mode_t mode;
} ref_lru_t;

static simtime_t ref_expiry(simtime_t now, simtime_t ttl) { return ttl == SIM_NEVER ? SIM_NEVER : now + ttl; }

static long ref_find(const ref_lru_t *r, uint64_t key)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].key == key)
            return (long)i;
    return -1;
}

static ref_entry_t ref_take(ref_lru_t *r, size_t i)
{
    ref_entry_t x = r->e[i];
    memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof x);
    r->n--;
    r->used -= x.size;
    return x;
}

static void ref_push_front(ref_lru_t *r, ref_entry_t x)
{
    memmove(&r->e[1], &r->e[0], r->n * sizeof x);
    r->e[0] = x;
    r->n++;
    r->used += x.size;
}

static cache_result_t ref_lookup(ref_lru_t *r, uint64_t key, simtime_t now)
{
    long i = ref_find(r, key);
    if (i < 0)
        return CACHE_MISS;
    if (now >= r->e[i].expiry)
        return CACHE_STALE;
    ref_entry_t x = ref_take(r, (size_t)i);
    if (r->mode == CACHE_TTL_REFRESH_ON_HIT)
        x.expiry = ref_expiry(now, x.ttl);
    ref_push_front(r, x);
    return CACHE_HIT;
}

static void ref_fill(ref_lru_t *r, uint64_t key, int64_t size, simtime_t ttl, simtime_t now)
{
    long i = ref_find(r, key);
    if (i >= 0)
        ref_take(r, (size_t)i);
    if (r->cap > 0 && size > r->cap)
        return;
    while (r->cap > 0 && r->used + size > r->cap) {
        ref_take(r, r->n - 1);
        r->evictions++;
    }
    ref_push_front(r, (ref_entry_t){key, size, ttl, ref_expiry(now, ttl)});
}

static void check_same(cache_t *c, const ref_lru_t *r)
{
    cache_settle(c); /* a hit's pending move first: the list is then whole */
    if (c->capacity == 0) {
        /* unbounded: no order to compare; the same entries, key by key */
        for (size_t i = 0; i < r->n; i++) {
            const cache_entry_t *f = NULL;
            for (size_t j = 0; c->slots && j <= c->mask; j++)
                if (c->slots[j].size1 && c->slots[j].key == r->e[i].key)
                    f = &c->slots[j];
            assert_non_null(f);
            if (!f)
                return;
            assert_int_equal(size_of(f), r->e[i].size);
            assert_int_equal(f->expiry, r->e[i].expiry);
        }
        assert_int_equal(c->count, r->n);
        assert_int_equal(c->used, r->used);
        assert_int_equal(c->stats.evictions, r->evictions);
        check_invariants(c);
        return;
    }
    const cache_entry_t *e = cache_entry(c, c->mru);
    for (size_t i = 0; i < r->n; i++, e = cache_entry(c, e->older)) {
        assert_non_null(e);
        assert_int_equal(e->key, r->e[i].key);
        assert_int_equal(size_of(e), r->e[i].size);
        assert_int_equal(e->expiry, r->e[i].expiry);
    }
    assert_null(e);
    assert_int_equal(c->used, r->used);
    assert_int_equal(c->stats.evictions, r->evictions);
    check_invariants(c);
}

/* A key whose rng_mix64 is h: the SplitMix64 finaliser undone (each
 * xorshift inverted by repeating it, each odd multiplier by its inverse
 * mod 2^64), so a test chooses where the table puts a key. */
static uint64_t inverse_odd(uint64_t a)
{
    uint64_t x = a; /* right to 3 bits; each Newton step doubles them */
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

static uint64_t key_with_hash(uint64_t h)
{
    uint64_t x = h;
    x ^= x >> 31 ^ x >> 62;
    x *= inverse_odd(0x94d049bb133111ebULL);
    x ^= x >> 27 ^ x >> 54;
    x *= inverse_odd(0xbf58476d1ce4e5b9ULL);
    x ^= x >> 30 ^ x >> 60;
    x -= 0x9e3779b97f4a7c15ULL;
    assert_int_equal(rng_mix64(x), h);
    return x;
}

/* A random sequence of every call, each result and the whole state compared
 * with the reference after every call: sizes 0..100 bytes (now and then
 * one larger than the capacity), TTLs from none to longer than the gaps,
 * times advancing by 0..30 ns (ties included). With `freeze`, the cache
 * starts afresh every 5,000 calls and its table may not grow (max_bytes)
 * from the 20th call to the 2,020th: a fill of a new key then fails once
 * the table is 7/8 full, and must leave the state as it was. */
static void random_vs_reference(cache_ttl_mode_t mode, int64_t cap, uint64_t seed, const uint64_t *keys, uint32_t nkeys,
                                int ops, bool freeze)
{
    static const simtime_t ttls[] = {0, 1, 50, 200, SIM_NEVER};
    rng_t *g = rng_new(seed, "cache.reference");
    assert_non_null(g);
    assert_true(nkeys <= 64);
    cache_t c;
    ref_lru_t r = {.cap = cap, .mode = mode};
    assert_int_equal(cache_init(&c, cap, mode), 0);
    simtime_t now = 0;
    size_t hits = 0, stale = 0, refused = 0, purged = 0;
    uint64_t evictions = 0;
    for (int op = 0; op < ops; op++) {
        if (freeze && op % 5000 == 0) {
            evictions += r.evictions;
            cache_destroy(&c);
            assert_int_equal(cache_init(&c, cap, mode), 0);
            r = (ref_lru_t){.cap = cap, .mode = mode};
        }
        bool frozen = freeze && op % 5000 >= 20 && op % 5000 < 2020;
        c.max_bytes = frozen ? cache_bytes(&c) : 0;
        now += rng_below(g, 31);
        uint64_t key = keys[rng_below(g, nkeys)];
        uint32_t what = rng_below(g, 1000);
        int64_t size = -1;
        simtime_t ttl = 0;
        if (what < 600) {
            cache_result_t got = cache_lookup(&c, key, now);
            cache_result_t want = ref_lookup(&r, key, now);
            assert_int_equal(got, want);
            hits += got == CACHE_HIT;
            stale += got == CACHE_STALE;
            if (got != CACHE_HIT) {
                size = (int64_t)rng_below(g, 101) + (rng_below(g, 50) == 0 ? (int64_t)cap : 0);
                ttl = ttls[rng_below(g, 5)];
            }
        } else if (what < 930) {
            size = (int64_t)rng_below(g, 101);
            ttl = ttls[rng_below(g, 5)];
        } else if (what < 970) {
            long i = ref_find(&r, key);
            assert_int_equal(cache_remove(&c, key), i >= 0);
            if (i >= 0)
                ref_take(&r, (size_t)i);
        } else if (what < 990) {
            long i = ref_find(&r, key);
            cache_result_t want = i < 0 ? CACHE_MISS : now < r.e[i].expiry ? CACHE_HIT : CACHE_STALE;
            assert_int_equal(cache_peek(&c, key, now), want);
        } else if (what < 999) {
            uint64_t lim = keys[rng_below(g, nkeys)];
            size_t want = 0;
            for (size_t i = r.n; i-- > 0;)
                if (r.e[i].key < lim) {
                    ref_take(&r, i);
                    want++;
                }
            assert_int_equal(cache_purge(&c, below, &lim), want);
            purged += want;
        } else {
            assert_int_equal(cache_purge_all(&c), r.n);
            r.n = 0;
            r.used = 0;
        }
        if (size >= 0) {
            bool had = ref_find(&r, key) >= 0;
            size_t room = c.slots ? c.mask + 1 - (c.mask + 1) / 8 : 0;
            if (cache_fill(&c, key, size, ttl, now) == 0) {
                ref_fill(&r, key, size, ttl, now);
            } else {
                /* only a new key, only when the table could not grow and is 7/8 full */
                assert_true(frozen && !had && c.count == room);
                refused++;
            }
        }
        check_same(&c, &r);
    }
    evictions += r.evictions;
    printf("  reference, %u keys, capacity %lld%s: %zu hits, %zu stale, %llu evictions, %zu purged, %zu fills refused\n",
           nkeys, (long long)cap, freeze ? ", table frozen at times" : "", hits, stale,
           (unsigned long long)evictions, purged, refused);
    /* the sequence exercised what it is meant to */
    assert_true(hits > (size_t)ops / 50 && stale > (size_t)ops / 50);
    assert_true(cap == 0 ? evictions == 0 : evictions > (uint64_t)ops / 20);
    assert_true(purged > 0);
    assert_true(!freeze || refused > 0);
    cache_destroy(&c);
    rng_free(g);
}

/* 60 keys that collide on purpose (hashes chosen through key_with_hash), in
 * every table size the reference runs reach (16 to 128 slots, homes the
 * top 4 to 7 bits): 20 with the same top 8 bits (one home, one long run),
 * 20 with the top 7 bits set (homes at the end of the table: runs wrap
 * around to slot 0), 20 anywhere. */
static void colliding_keys(uint64_t *keys, rng_t *g)
{
    for (uint32_t i = 0; i < 60; i++) {
        uint64_t low = (uint64_t)rng_below(g, 1u << 30) << 20 | i;
        uint64_t h = i < 20   ? 0x5aULL << 56 | low
                     : i < 40 ? 0xfeULL << 56 | low << 1
                              : (uint64_t)rng_below(g, 256) << 56 | low << 2;
        keys[i] = key_with_hash(h);
    }
}

static void test_random_vs_reference(void **state)
{
    (void)state;
    uint64_t spread[40], colliding[60];
    for (uint32_t i = 0; i < 40; i++)
        spread[i] = (uint64_t)i * 0x100000001ULL; /* keys far apart */
    random_vs_reference(CACHE_TTL_SET_ON_MISS, 1000, 1, spread, 40, 20000, false);
    random_vs_reference(CACHE_TTL_REFRESH_ON_HIT, 1000, 2, spread, 40, 20000, false);
    random_vs_reference(CACHE_TTL_REFRESH_ON_HIT, 0, 3, spread, 40, 20000, false);
    rng_t *g = rng_new(4, "cache.colliding");
    assert_non_null(g);
    colliding_keys(colliding, g);
    rng_free(g);
    random_vs_reference(CACHE_TTL_SET_ON_MISS, 300, 5, colliding, 60, 100000, false);
    random_vs_reference(CACHE_TTL_REFRESH_ON_HIT, 2000, 6, colliding, 60, 100000, true);
    random_vs_reference(CACHE_TTL_SET_ON_MISS, 0, 7, colliding, 60, 100000, true);
    random_vs_reference(CACHE_TTL_REFRESH_ON_HIT, 0, 8, colliding, 60, 100000, false);
}

/* Probe lengths: the mean over the entries of the slots read to find each
 * (1 + its distance from its home), and the largest. Linear probing with a
 * random hash at load a reads (1 + 1/(1 - a))/2 slots on average (Knuth):
 * 1.46 at a = 0.48, where 10^6 keys sit in 2^21 slots; a weak hash piles the
 * patterns below into runs of thousands. */
static double mean_probe(const cache_t *c, size_t *longest)
{
    double sum = 0;
    size_t n = 0, m = 0;
    for (size_t j = 0; j <= c->mask; j++) {
        if (!c->slots[j].size1)
            continue;
        size_t d = (j - home_of(c, c->slots[j].key)) & c->mask;
        sum += (double)(d + 1);
        n++;
        if (d + 1 > m)
            m = d + 1;
    }
    *longest = m;
    return sum / (double)n;
}

/* The slot of key, or -1 (scanning the whole table, as the cache does not). */
static long slot_of(const cache_t *c, uint64_t key)
{
    for (size_t j = 0; c->slots && j <= c->mask; j++)
        if (c->slots[j].size1 && c->slots[j].key == key)
            return (long)j;
    return -1;
}

/* A key whose home is slot `home` of a 16-slot table (the top 4 bits of its
 * hash), the rest of the hash told apart by `n`. */
static uint64_t key_at(unsigned home, uint64_t n) { return key_with_hash((uint64_t)home << 60 | n << 8 | 0x5a); }

/* Deletions in the middle and at the start of a run, in a run that wraps
 * around the end of the table, and next to an entry already at its home
 * (which must not move back): exact slots worked out by hand from
 * backward-shift deletion (an entry moves back into the hole unless its home
 * lies after the hole), and every key still found, the recency order kept
 * through the moves. 16 slots hold up to 10 entries before doubling; 8
 * bytes of unit objects, so nothing is evicted until the end. */
static void test_deletion_in_runs(void **state)
{
    (void)state;
    cache_t c;
    assert_int_equal(cache_init(&c, 8, CACHE_TTL_SET_ON_MISS), 0);
    uint64_t a = key_at(3, 1), b = key_at(3, 2), d = key_at(3, 3), e = key_at(4, 4), f = key_at(5, 5);
    uint64_t g = key_at(8, 6);
    uint64_t fill[] = {a, b, d, e, f, g};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(cache_fill(&c, fill[i], 1, SIM_NEVER, 0), 0);
    assert_int_equal(c.mask + 1, 16);
    long want1[] = {3, 4, 5, 6, 7, 8}; /* a b d at 3..5 (home 3), e at 6, f at 7, g at its home 8 */
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(slot_of(&c, fill[i]), want1[i]);
    assert_true(cache_remove(&c, b)); /* middle of the run: d, e, f each move back one */
    assert_int_equal(slot_of(&c, a), 3);
    assert_int_equal(slot_of(&c, d), 4);
    assert_int_equal(slot_of(&c, e), 5);
    assert_int_equal(slot_of(&c, f), 6);
    assert_int_equal(slot_of(&c, g), 8); /* at its home: stays */
    assert_int_equal(c.slots[7].size1, 0);
    check_order(&c, (const uint64_t[]){g, f, e, d, a}, 5);
    assert_true(cache_remove(&c, a)); /* start of the run: d back to its home; e, f are at theirs */
    assert_int_equal(slot_of(&c, d), 3);
    assert_int_equal(slot_of(&c, e), 4);
    assert_int_equal(slot_of(&c, f), 5);
    assert_int_equal(c.slots[6].size1, 0);
    assert_true(cache_remove(&c, d)); /* e and f are at their homes: nothing moves */
    assert_int_equal(slot_of(&c, e), 4);
    assert_int_equal(slot_of(&c, f), 5);
    assert_int_equal(c.slots[3].size1, 0);
    check_order(&c, (const uint64_t[]){g, f, e}, 3);
    /* a run that wraps: three keys of home 15 take 15, 0, 1; x (home 0) and
     * y (home 1) follow at 2 and 3. Removing the first pulls all four back. */
    uint64_t w1 = key_at(15, 7), w2 = key_at(15, 8), w3 = key_at(15, 9), x = key_at(0, 10), y = key_at(1, 11);
    uint64_t wrap[] = {w1, w2, w3, x, y};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(cache_fill(&c, wrap[i], 1, SIM_NEVER, 1), 0);
    long want2[] = {15, 0, 1, 2, 3};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(slot_of(&c, wrap[i]), want2[i]);
    assert_int_equal(cache_lookup(&c, e, 2), CACHE_HIT); /* order: e y x w3 w2 w1 g f */
    assert_true(cache_remove(&c, w1));
    assert_int_equal(slot_of(&c, w2), 15);
    assert_int_equal(slot_of(&c, w3), 0);
    assert_int_equal(slot_of(&c, x), 1);
    assert_int_equal(slot_of(&c, y), 2);
    assert_int_equal(c.slots[3].size1, 0);
    check_order(&c, (const uint64_t[]){e, y, x, w3, w2, g, f}, 7);
    for (size_t i = 1; i < 5; i++)
        assert_int_equal(cache_peek(&c, wrap[i], 3), CACHE_HIT);
    assert_int_equal(cache_peek(&c, w1, 3), CACHE_MISS);
    assert_int_equal(cache_peek(&c, key_at(15, 12), 3), CACHE_MISS); /* probes 15, 0, 1, 2 and stops at 3 */
    /* an eviction deletes in a run too: 7 bytes + 2 > 8 evicts the least
     * recent, f, at its home 5, where the new key (home 5) then goes */
    assert_int_equal(cache_fill(&c, key_at(5, 13), 2, SIM_NEVER, 4), 0);
    assert_int_equal(c.stats.evictions, 1);
    assert_int_equal(cache_used(&c), 8);
    assert_int_equal(slot_of(&c, f), -1);
    assert_int_equal(slot_of(&c, key_at(5, 13)), 5);
    cache_destroy(&c);
}

/* Many inserts and removes of keys that all have one home (the top 20 bits
 * of their hashes agree, so they collide in any table up to 2^20 slots):
 * one run of about 900 entries, wrapping around the end of the table (the
 * home is the last slot), churned 50,000 times by fills, removals, lookups
 * and purges, against a plain array of which keys are in. */
static bool every_seventh(uint64_t key, void *arg)
{
    (void)arg;
    return ((rng_mix64(key) >> 8) & 0xffff) % 7 == 0;
}

static void test_colliding_churn(void **state)
{
    (void)state;
    enum { N = 1500, OPS = 50000 };
    static uint64_t keys[N];
    static bool in[N];
    for (uint64_t i = 0; i < N; i++)
        keys[i] = key_with_hash(0xfffffULL << 44 | i << 8 | 0x3c);
    cache_t c;
    assert_int_equal(cache_init(&c, 0, CACHE_TTL_SET_ON_MISS), 0);
    rng_t *g = rng_new(9, "cache.churn");
    assert_non_null(g);
    size_t n = 0, purged = 0;
    for (int op = 1; op <= OPS; op++) {
        uint32_t i = rng_below(g, N), what = rng_below(g, 1000);
        if (what < 500) {
            assert_int_equal(cache_fill(&c, keys[i], 1, SIM_NEVER, op), 0);
            n += !in[i];
            in[i] = true;
        } else if (what < 800) {
            assert_int_equal(cache_remove(&c, keys[i]), in[i]);
            n -= in[i];
            in[i] = false;
        } else if (what < 999) {
            assert_int_equal(cache_lookup(&c, keys[i], op), in[i] ? CACHE_HIT : CACHE_MISS);
        } else {
            size_t want = 0;
            for (size_t k = 0; k < N; k++)
                if (in[k] && every_seventh(keys[k], NULL)) {
                    in[k] = false;
                    want++;
                }
            assert_int_equal(cache_purge(&c, every_seventh, NULL), want);
            n -= want;
            purged += want;
        }
        assert_int_equal(cache_entries(&c), n);
        assert_int_equal(cache_used(&c), (int64_t)n);
        if (op % 5000 == 0) {
            check_invariants(&c);
            for (size_t k = 0; k < N; k++)
                assert_int_equal(cache_peek(&c, keys[k], op), in[k] ? CACHE_HIT : CACHE_MISS);
        }
    }
    size_t longest;
    double mean = mean_probe(&c, &longest);
    printf("  one home, %zu entries in %zu slots: longest probe %zu (mean %.0f); %zu purged\n", n, c.mask + 1, longest,
           mean, purged);
    assert_int_equal(longest, n); /* one run indeed */
    assert_true(purged > 0);
    cache_destroy(&c);
    rng_free(g);
}

/* A table that cannot double (max_bytes stands for the failed allocation)
 * keeps working up to 7/8 full: 16 slots hold 10 entries before doubling,
 * then 14 without; a 15th new key is refused and changes nothing, while
 * lookups, refills, removals and purges go on; once memory is there again
 * the table doubles at the next new key. Both modes (REFRESH_ON_HIT's TTLs
 * sit in an array of their own), and a bounded cache, where the refused
 * fill would have evicted: refused all the same, nothing evicted. */
static void frozen_table(cache_ttl_mode_t mode, int64_t cap)
{
    cache_t c;
    assert_int_equal(cache_init(&c, cap, mode), 0);
    for (uint64_t k = 1; k <= 10; k++)
        assert_int_equal(cache_fill(&c, k, 1, 100, 0), 0);
    size_t held = cache_bytes(&c);
    assert_int_equal(held, 16 * (sizeof(cache_entry_t) + (mode == CACHE_TTL_REFRESH_ON_HIT ? 8 : 0)));
    c.max_bytes = held;
    for (uint64_t k = 11; k <= 14; k++)
        assert_int_equal(cache_fill(&c, k, 1, 100, 0), 0);
    assert_int_equal(cache_bytes(&c), held);
    assert_int_equal(cache_entries(&c), 14);
    const uint64_t order[] = {14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    check_order(&c, order, 14);
    cache_stats_t before = c.stats;
    assert_int_equal(cache_fill(&c, 15, 1, 100, 1), -1);
    check_order(&c, order, 14);
    assert_int_equal(cache_used(&c), 14);
    assert_memory_equal(&c.stats, &before, sizeof before);
    for (uint64_t k = 1; k <= 14; k++)
        assert_int_equal(cache_peek(&c, k, 1), CACHE_HIT);
    for (uint64_t k = 15; k <= 100; k++)
        assert_int_equal(cache_peek(&c, k, 1), CACHE_MISS);
    assert_int_equal(cache_fill(&c, 3, 1, 100, 2), 0); /* present: fine */
    assert_int_equal(cache_lookup(&c, 5, 3), CACHE_HIT);
    assert_int_equal(cache_lookup(&c, 6, 100), CACHE_STALE);
    check_order(&c, (const uint64_t[]){5, 3, 14, 13, 12, 11, 10, 9, 8, 7, 6, 4, 2, 1}, 14);
    assert_true(cache_remove(&c, 7));
    assert_int_equal(cache_fill(&c, 15, 1, 100, 4), 0); /* room again */
    assert_int_equal(cache_fill(&c, 16, 1, 100, 4), -1);
    uint64_t lim = 3;
    assert_int_equal(cache_purge(&c, below, &lim), 2);
    assert_int_equal(cache_fill(&c, 16, 1, 100, 5), 0);
    assert_int_equal(cache_fill(&c, 17, 1, 100, 5), 0);
    assert_int_equal(cache_fill(&c, 18, 1, 100, 5), -1);
    check_order(&c, (const uint64_t[]){17, 16, 15, 5, 3, 14, 13, 12, 11, 10, 9, 8, 6, 4}, 14);
    assert_int_equal(c.stats.evictions, 0);
    c.max_bytes = 0;
    assert_int_equal(cache_fill(&c, 18, 1, 100, 6), 0);
    assert_int_equal(c.mask + 1, 32);
    if (cap == 0)
        check_order(&c, (const uint64_t[]){18, 17, 16, 15, 5, 3, 14, 13, 12, 11, 10, 9, 8, 6, 4}, 15);
    else /* 14 bytes: the least recent goes */
        check_order(&c, (const uint64_t[]){18, 17, 16, 15, 5, 3, 14, 13, 12, 11, 10, 9, 8, 6}, 14);
    cache_destroy(&c);
}

static void test_growth_fails(void **state)
{
    (void)state;
    frozen_table(CACHE_TTL_SET_ON_MISS, 0);
    frozen_table(CACHE_TTL_REFRESH_ON_HIT, 0);
    frozen_table(CACHE_TTL_SET_ON_MISS, 14);
}

/* 10^4 distinct keys out of a catalogue of 10^9, each requested 3 times:
 * 10^4 entries, and memory in proportion. Bound: the table doubles when a
 * new entry would take it above 5/8 full, so it has fewer than
 * 2 n 8/5 = 3.2 n slots of 32 bytes. */
static void test_memory_only_requested(void **state)
{
    (void)state;
    enum { N = 10000 };
    cache_t c;
    assert_int_equal(cache_init(&c, 0, CACHE_TTL_SET_ON_MISS), 0);
    rng_t *g = rng_new(5, "cache.memory");
    assert_non_null(g);
    static uint64_t keys[N];
    for (size_t i = 0; i < N; i++)
        keys[i] = (uint64_t)i * 99991u; /* distinct, below 10^9 */
    for (int round = 0; round < 3; round++) {
        for (size_t i = N; i > 1; i--) { /* shuffle */
            size_t j = rng_below(g, (uint32_t)i);
            uint64_t t = keys[i - 1];
            keys[i - 1] = keys[j];
            keys[j] = t;
        }
        for (size_t i = 0; i < N; i++)
            if (cache_lookup(&c, keys[i], round) != CACHE_HIT)
                assert_int_equal(cache_fill(&c, keys[i], 1000, SIM_NEVER, round), 0);
    }
    assert_int_equal(cache_entries(&c), N);
    assert_int_equal(c.stats.misses, N);
    assert_int_equal(c.stats.hits, 2 * N);
    size_t bound = 32 * N / 10 * sizeof(cache_entry_t);
    printf("  10^4 keys of 10^9: %zu bytes held (%.1f per entry; bound %zu)\n", cache_bytes(&c),
           (double)cache_bytes(&c) / N, bound);
    assert_true(cache_bytes(&c) >= N * sizeof(cache_entry_t));
    assert_true(cache_bytes(&c) <= bound);
    check_invariants(&c);
    cache_destroy(&c);
    rng_free(g);
}

/* 10^6 keys in three patterns a weak hash would pile up (consecutive,
 * multiples of 2^32, multiples of 2^20): the table grows from 16 slots
 * through 17 doublings and every key is still found, no absent one is;
 * removing every other key (half a million backward shifts) loses none. */
static void test_many_keys(void **state)
{
    (void)state;
    enum { N = 1000000 };
    static const unsigned shifts[] = {0, 32, 20};
    for (size_t p = 0; p < 3; p++) {
        cache_t c;
        assert_int_equal(cache_init(&c, 0, CACHE_TTL_SET_ON_MISS), 0);
        for (uint64_t i = 0; i < N; i++)
            assert_int_equal(cache_fill(&c, i << shifts[p], 1, SIM_NEVER, 0), 0);
        assert_int_equal(cache_entries(&c), N);
        /* load in (5/16, 5/8] */
        assert_true((c.mask + 1) / 8 * 5 >= (size_t)N && (c.mask + 1) / 16 * 5 < (size_t)N);
        for (uint64_t i = 0; i < N; i++) {
            assert_int_equal(cache_peek(&c, i << shifts[p], 0), CACHE_HIT);
            assert_int_equal(cache_peek(&c, (i + N) << shifts[p], 0), CACHE_MISS);
        }
        size_t longest;
        double mean = mean_probe(&c, &longest);
        double a = (double)N / (double)(c.mask + 1), theory = (1 + 1 / (1 - a)) / 2;
        printf("  10^6 keys (i << %u): %zu slots, mean probe %.3f (random hash %.3f), longest %zu\n", shifts[p],
               c.mask + 1, mean, theory, longest);
        assert_true(fabs(mean - theory) < 0.05);
        assert_true(longest <= 100);
        for (uint64_t i = 0; i < N; i += 2)
            assert_true(cache_remove(&c, i << shifts[p]));
        for (uint64_t i = 0; i < N; i++)
            assert_int_equal(cache_peek(&c, i << shifts[p], 0), i % 2 ? CACHE_HIT : CACHE_MISS);
        assert_int_equal(cache_entries(&c), N / 2);
        check_invariants(&c);
        cache_destroy(&c);
    }
    /* bounded: 10^6 fills into 10^5 bytes of unit objects keep the last 10^5 */
    cache_t c;
    assert_int_equal(cache_init(&c, N / 10, CACHE_TTL_SET_ON_MISS), 0);
    for (uint64_t i = 0; i < N; i++)
        assert_int_equal(cache_fill(&c, i, 1, SIM_NEVER, 0), 0);
    assert_int_equal(cache_entries(&c), N / 10);
    assert_int_equal(c.stats.evictions, N - N / 10);
    for (uint64_t i = 0; i < N; i++)
        assert_int_equal(cache_peek(&c, i, 0), i >= N - N / 10 ? CACHE_HIT : CACHE_MISS);
    check_invariants(&c);
    cache_destroy(&c);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */

/* Compares the replication mean of x with `theory` (see the header);
 * returns the tolerance. */
static double check(const char *what, const double *x, double theory, double allowance, double max_se)
{
    double mean, half;
    stats_mean_ci95(x, R, &mean, &half);
    double se = half / stats_t_quantile(0.975, R - 1);
    double tol = stats_t_quantile(0.9995, R - 1) * se + allowance;
    printf("  %-40s theory %.5f  simulated %.5f  error %+.5f  tolerance %.5f (se %.5f, bound %.5f)\n", what, theory,
           mean, mean - theory, tol, se, max_se);
    assert_true(fabs(mean - theory) <= tol);
    assert_true(se <= max_se);
    return tol;
}

/* Binomial standard error of a hit ratio h over R n requests. */
static double binom_se(double h, double n) { return sqrt(h * (1 - h) / (n * R)); }

/* Fills `key` as the stationary law of its TTL process says (header). */
static void stationary_start(cache_t *c, uint64_t key, double lambda, double T, simtime_t t0, rng_t *g)
{
    simtime_t ttl = simtime_from_s(T);
    if (c->mode == CACHE_TTL_SET_ON_MISS) {
        if (rng_uniform(g) < lambda * T / (1 + lambda * T))
            assert_int_equal(cache_fill(c, key, 1, ttl, t0 - simtime_from_s(rng_uniform(g) * T)), 0);
    } else {
        double age = rng_exp1(g) / lambda;
        if (age < T)
            assert_int_equal(cache_fill(c, key, 1, ttl, t0 - simtime_from_s(age)), 0);
    }
}

/* The TTL hit ratio of one object (header). */
static double ttl_hit(cache_ttl_mode_t mode, double x /* lambda T */)
{
    return mode == CACHE_TTL_SET_ON_MISS ? x / (1 + x) : -expm1(-x);
}

static const char *mode_name(cache_ttl_mode_t m) { return m == CACHE_TTL_SET_ON_MISS ? "set-on-miss" : "refresh-on-hit"; }

/* A request: a miss or a stale entry is (re)filled. Returns 1 on a hit. */
static int request(cache_t *c, uint64_t key, simtime_t ttl, simtime_t now)
{
    if (cache_lookup(c, key, now) == CACHE_HIT)
        return 1;
    assert_int_equal(cache_fill(c, key, 1, ttl, now), 0);
    return 0;
}

/* One object, rate lambda, TTL 1 s; n requests per replication.
 * Binomial se with n = 10^5, R = 10: 2.9e-4 at lambda T = 0.1, 5.0e-4 and
 * 4.8e-4 at 1, 3.7e-4 and 8.2e-5 at 5 (set on miss, refresh on hit).
 * Refresh on hit: hits are independent (a hit is a gap < T, and gaps are
 * independent), so se is binomial. Set on miss: cycles of one miss and
 * Poisson(x) hits, x = lambda T; the misses among n requests have variance
 * n x / (1 + x)^3 (renewal counting), the binomial's divided by 1 + x. So
 * se is at most binomial and the bound is twice binomial: a correct cache
 * exceeds it with probability P(chi2_9 > 36) = 4e-5. */
static void ttl_single(cache_ttl_mode_t mode, double lambda)
{
    const double T = 1.0;
    const long n = 100000;
    double v[R];
    for (int rep = 0; rep < R; rep++) {
        rng_t *g = rng_new((uint64_t)rep, mode == CACHE_TTL_SET_ON_MISS ? "cache.single.set" : "cache.single.refresh");
        assert_non_null(g);
        cache_t c;
        assert_int_equal(cache_init(&c, 0, mode), 0);
        simtime_t t = 1000 * SIM_S, ttl = simtime_from_s(T);
        stationary_start(&c, 1, lambda, T, t, g);
        long hits = 0;
        for (long k = 0; k < n; k++) {
            t += simtime_from_s(rng_exp1(g) / lambda);
            hits += request(&c, 1, ttl, t);
        }
        assert_int_equal(c.stats.hits, (uint64_t)hits);
        v[rep] = (double)hits / (double)n;
        cache_destroy(&c);
        rng_free(g);
    }
    char what[80];
    double h = ttl_hit(mode, lambda * T);
    snprintf(what, sizeof what, "%s, lambda T = %g", mode_name(mode), lambda * T);
    check(what, v, h, 0, 2 * binom_se(h, (double)n));
}

static void test_ttl_single_object(void **state)
{
    (void)state;
    static const double lt[] = {0.1, 1, 5};
    for (size_t i = 0; i < 3; i++) {
        ttl_single(CACHE_TTL_SET_ON_MISS, lt[i]);
        ttl_single(CACHE_TTL_REFRESH_ON_HIT, lt[i]);
    }
}

/* Zipf popularity: p[i] for rank i + 1, and its CDF for the sampler. */
typedef struct zipf {
    size_t n;
    double *p, *cdf;
} zipf_t;

static zipf_t zipf_new(size_t n, double s)
{
    zipf_t z = {n, malloc(n * sizeof(double)), malloc(n * sizeof(double))};
    assert_non_null(z.p);
    assert_non_null(z.cdf);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += z.p[i] = pow((double)(i + 1), -s);
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        z.p[i] /= sum;
        z.cdf[i] = acc += z.p[i];
    }
    z.cdf[n - 1] = 1.0;
    return z;
}

static void zipf_free(zipf_t *z)
{
    free(z->p);
    free(z->cdf);
}

/* The first i with cdf[i] > u, u uniform on [0, 1): P(i) = p[i]. */
static size_t zipf_draw(const zipf_t *z, rng_t *g)
{
    double u = rng_uniform(g);
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A Zipf catalogue of 1,000 objects (s = 0.8) at Lambda = 1,000/s with TTL
 * 1 s: lambda_i T runs from 65 (the top object) down to 0.26, so the sum
 * mixes objects almost always fresh with objects almost always missed.
 * n = 5 10^5 requests per replication; binomial se 2.2e-4 (set on miss,
 * h = 0.63) and 2.0e-4 (refresh on hit, h = 0.73). Given the objects'
 * request counts (multinomial), hits are independent Bernoulli(h_i) per
 * object (refresh) or fewer-than-binomial renewal counts (set on miss), and
 * the total variance works out to at most n h (1 - h): bound twice that; the
 * two modes' theories differ by 0.1, hundreds of tolerances. */
static void ttl_zipf(cache_ttl_mode_t mode)
{
    const size_t N = 1000;
    const double s = 0.8, Lambda = 1000, T = 1.0;
    const long n = 500000;
    zipf_t z = zipf_new(N, s);
    double h = 0;
    for (size_t i = 0; i < N; i++)
        h += z.p[i] * ttl_hit(mode, Lambda * z.p[i] * T);
    double v[R];
    for (int rep = 0; rep < R; rep++) {
        rng_t *g = rng_new((uint64_t)rep, mode == CACHE_TTL_SET_ON_MISS ? "cache.zipf.set" : "cache.zipf.refresh");
        assert_non_null(g);
        cache_t c;
        assert_int_equal(cache_init(&c, 0, mode), 0);
        simtime_t t = 1000 * SIM_S, ttl = simtime_from_s(T);
        for (size_t i = 0; i < N; i++)
            stationary_start(&c, i, Lambda * z.p[i], T, t, g);
        long hits = 0;
        for (long k = 0; k < n; k++) {
            t += simtime_from_s(rng_exp1(g) / Lambda);
            hits += request(&c, zipf_draw(&z, g), ttl, t);
        }
        v[rep] = (double)hits / (double)n;
        cache_destroy(&c);
        rng_free(g);
    }
    char what[80];
    snprintf(what, sizeof what, "Zipf %zu s=%.1f, %s", N, s, mode_name(mode));
    check(what, v, h, 0, 2 * binom_se(h, (double)n));
    zipf_free(&z);
}

static void test_ttl_zipf(void **state)
{
    (void)state;
    ttl_zipf(CACHE_TTL_SET_ON_MISS);
    ttl_zipf(CACHE_TTL_REFRESH_ON_HIT);
}

/* Che's characteristic time (in requests): sum_i (1 - exp(-p_i t)) = C, by
 * bisection (the sum increases from 0 to n > C). */
static double che_time(const zipf_t *z, double C)
{
    double lo = 0, hi = 1;
    for (;;) {
        double sum = 0;
        for (size_t i = 0; i < z->n; i++)
            sum += -expm1(-z->p[i] * hi);
        if (sum >= C)
            break;
        lo = hi;
        hi *= 2;
    }
    for (int it = 0; it < 100; it++) {
        double mid = (lo + hi) / 2, sum = 0;
        for (size_t i = 0; i < z->n; i++)
            sum += -expm1(-z->p[i] * mid);
        if (sum < C)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static double che_hit(const zipf_t *z, double tc)
{
    double h = 0;
    for (size_t i = 0; i < z->n; i++)
        h += z->p[i] * -expm1(-z->p[i] * tc);
    return h;
}

/* The characteristic-time approximation for FIFO (Martina, Garetto, Leonardi,
 * INFOCOM 2014): h_i = p_i t / (1 + p_i t), sum_i h_i = C. A cache that forgot to move hits
 * to the front would be FIFO: the gap LRU - FIFO is what the LRU check must
 * be able to see. */
static double fifo_hit(const zipf_t *z, double C)
{
    double lo = 0, hi = 1;
    for (;;) {
        double sum = 0;
        for (size_t i = 0; i < z->n; i++)
            sum += z->p[i] * hi / (1 + z->p[i] * hi);
        if (sum >= C)
            break;
        lo = hi;
        hi *= 2;
    }
    for (int it = 0; it < 100; it++) {
        double mid = (lo + hi) / 2, sum = 0;
        for (size_t i = 0; i < z->n; i++)
            sum += z->p[i] * mid / (1 + z->p[i] * mid);
        if (sum < C)
            lo = mid;
        else
            hi = mid;
    }
    double t = (lo + hi) / 2, h = 0;
    for (size_t i = 0; i < z->n; i++)
        h += z->p[i] * z->p[i] * t / (1 + z->p[i] * t);
    return h;
}

/* The exact LRU hit ratio under the independent reference model with
 * Poisson requests (object i at rate p_i, time in requests; Flajolet, Gardy,
 * Thimonier 1992): a request for i hits iff fewer than C distinct other
 * objects were requested since i's previous request, whose age A is
 * Exp(p_i) and independent of the others; in a window of length t, object j
 * is requested with probability b_j = 1 - exp(-p_j t), independently. So
 *   h_i = 1 - int_0^inf p_i e^{-p_i t} G_i(t) dt,  G_i(t) = P(K_{-i}(t) >= C),
 * K_{-i}(t) the Poisson-binomial number of other objects requested.
 *
 * Numerics: at each t the distribution of K(t) (all objects) is built by
 * the usual product of (1 - b + b z), truncated at K_max = mu + 10 sigma + 30
 * (its tail beyond is below e^-45 by Bernstein's inequality), and object i is
 * divided out: forwards when b_i <= 1/2, backwards from K_max when b_i > 1/2
 * (each direction divides by the larger of b_i, 1 - b_i, so errors shrink).
 * G(t) rises from 0 to 1 around Che's t_C; outside [t_lo, t_hi] (where
 * mu +- (10 sigma + 30) = C) it is within e^-45 of 0 or 1, which is asserted
 * at both ends, and the integral is closed in form there. Inside, composite
 * Simpson with M intervals, compared with M/2 to show the quadrature error. */
static void k_moments(const zipf_t *z, double t, double *mu, double *sd)
{
    double m = 0, v = 0;
    for (size_t j = 0; j < z->n; j++) {
        double b = -expm1(-z->p[j] * t);
        m += b;
        v += b * (1 - b);
    }
    *mu = m;
    *sd = sqrt(v);
}

/* G_i(t) for every i into g. */
static void lru_g(const zipf_t *z, size_t C, double t, double *q, double *g)
{
    double mu, sd;
    k_moments(z, t, &mu, &sd);
    size_t kmax = (size_t)(mu + 10 * sd + 30);
    if (kmax < C + 1)
        kmax = C + 1;
    if (kmax > z->n)
        kmax = z->n;
    size_t deg = 0;
    q[0] = 1;
    for (size_t j = 0; j < z->n; j++) {
        double b = -expm1(-z->p[j] * t), a = 1 - b;
        if (deg < kmax)
            q[++deg] = 0;
        for (size_t k = deg; k > 0; k--)
            q[k] = q[k] * a + q[k - 1] * b;
        q[0] *= a;
    }
    for (size_t i = 0; i < z->n; i++) {
        double b = -expm1(-z->p[i] * t), a = 1 - b, f = 0;
        if (b <= 0.5) {
            double r = q[0] / a;
            f = r;
            for (size_t k = 1; k < C; k++) {
                r = (q[k] - b * r) / a;
                f += r;
            }
        } else {
            double r = 0; /* P(K_{-i} = kmax), negligible */
            for (size_t k = kmax; k > 0; k--) {
                r = (q[k] - a * r) / b; /* P(K_{-i} = k - 1) */
                if (k - 1 < C)
                    f += r;
            }
        }
        double gi = 1 - f;
        g[i] = gi < 0 ? 0 : gi > 1 ? 1 : gi;
    }
}

/* t where mu(t) + dir (10 sigma(t) + 30) = C, by bisection. */
static double lru_edge(const zipf_t *z, double C, double dir)
{
    double lo = 0, hi = 1, mu, sd;
    for (;;) {
        k_moments(z, hi, &mu, &sd);
        if (mu + dir * (10 * sd + 30) >= C)
            break;
        lo = hi;
        hi *= 2;
    }
    for (int it = 0; it < 60; it++) {
        double mid = (lo + hi) / 2;
        k_moments(z, mid, &mu, &sd);
        if (mu + dir * (10 * sd + 30) < C)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

/* The exact hit ratio (M Simpson intervals) and the same with M/2 in *coarse. */
static double lru_exact(const zipf_t *z, size_t C, int M, double *coarse)
{
    double t_lo = lru_edge(z, (double)C, 1), t_hi = lru_edge(z, (double)C, -1);
    double *q = malloc((z->n + 1) * sizeof *q), *g = malloc(z->n * sizeof *g);
    double *acc = calloc(z->n, sizeof *acc), *acc2 = calloc(z->n, sizeof *acc2);
    assert_true(q && g && acc && acc2);
    double hstep = (t_hi - t_lo) / M;
    for (int k = 0; k <= M; k++) {
        double t = t_lo + k * hstep;
        lru_g(z, C, t, q, g);
        if (k == 0)
            for (size_t i = 0; i < z->n; i++)
                assert_true(g[i] < 1e-12);
        if (k == M)
            for (size_t i = 0; i < z->n; i++)
                assert_true(g[i] > 1 - 1e-12);
        double w = (k == 0 || k == M) ? 1 : (k % 2 ? 4 : 2);
        double w2 = k % 2 ? 0 : (k == 0 || k == M) ? 1 : (k % 4 ? 4 : 2);
        for (size_t i = 0; i < z->n; i++) {
            double f = z->p[i] * exp(-z->p[i] * t) * g[i];
            acc[i] += w * f;
            acc2[i] += w2 * f;
        }
    }
    double h = 0, h2 = 0;
    for (size_t i = 0; i < z->n; i++) {
        double tail = exp(-z->p[i] * t_hi);
        h += z->p[i] * (1 - acc[i] * hstep / 3 - tail);
        h2 += z->p[i] * (1 - acc2[i] * 2 * hstep / 3 - tail);
    }
    free(q);
    free(g);
    free(acc);
    free(acc2);
    *coarse = h2;
    return h;
}

/* LRU of C unit objects, no TTL, N objects of Zipf(s) popularity, n
 * requests per replication after a warm-up of 3 t_C requests.
 *
 * Che's approximation (Che, Tung, Wang, IEEE JSAC 2002) replaces the time
 * an object survives in the cache, the time until C distinct other objects
 * are requested, by a constant t_C. Fricker, Robert and Roberts ("A
 * versatile and accurate approximation for LRU cache performance", ITC 24,
 * 2012) explain its accuracy: that time is driven by many independent
 * objects and concentrates around t_C as C grows, so the approximation is
 * asymptotically exact for large caches, and they report close agreement
 * with simulated LRU for Zipf popularities down to small caches. Here it
 * is also checked against the exact value (lru_exact), computed
 * independently of the cache: |Che - exact| is below 2e-5 for N = 10^4,
 * C = 100, s = 0.8 and 1.0 (printed). The allowance on Che is 0.002 absolute
 * (for catalogues of N = 10^4 and caches of C >= 100, as here): a hundred times what the exact computation
 * shows at the smallest cache tested (the approximation improves as C
 * grows); the test asserts |Che - exact| <= allowance wherever it computes
 * the exact value, so the allowance is seen to hold rather than assumed.
 * The exact value (about 0.5 s at -O2 for C = 100) is computed only for
 * C = 100: for C = 1000 it costs 8 s.
 *
 * Standard errors with n = 2 10^5, R = 10 (binomial): 2.6e-4 at C = 100,
 * s = 0.8 (h = 0.157); 3.4e-4 to 3.5e-4 for the others (h = 0.39 to 0.68).
 * LRU hits are positively correlated (a popular object, once in, hits in
 * runs): in a one-off run of 100 replications the se was 1.1 to 1.25 times
 * binomial, so the bound is three times binomial (a correct cache exceeds
 * it with probability about P(chi2_9 > 52), below 1e-7). So the tolerance is about 0.001 to 0.002 against the exact value, 0.003
 * to 0.004 against Che. Power: a cache that did not move hits to the front
 * would be FIFO, whose hit ratio (same approximation) is 0.02 to 0.05 lower;
 * the test asserts that gap exceeds the tolerance. */
static void lru_zipf(size_t N, size_t C, double s, long n, bool exact)
{
    zipf_t z = zipf_new(N, s);
    double tc = che_time(&z, (double)C);
    double che = che_hit(&z, tc), fifo = fifo_hit(&z, (double)C);
    long warm = (long)ceil(3 * tc);
    double v[R];
    for (int rep = 0; rep < R; rep++) {
        char name[64];
        snprintf(name, sizeof name, "cache.lru.%zu.%zu.%g", N, C, s);
        rng_t *g = rng_new((uint64_t)rep, name);
        assert_non_null(g);
        cache_t c;
        assert_int_equal(cache_init(&c, (int64_t)C, CACHE_TTL_SET_ON_MISS), 0);
        simtime_t t = 0;
        for (long k = 0; k < warm; k++)
            request(&c, zipf_draw(&z, g), SIM_NEVER, ++t);
        assert_int_equal(cache_entries(&c), C); /* full: stationary from here */
        long hits = 0;
        for (long k = 0; k < n; k++)
            hits += request(&c, zipf_draw(&z, g), SIM_NEVER, ++t);
        assert_int_equal(c.stats.evictions, (uint64_t)(warm + n) - c.stats.hits - C);
        v[rep] = (double)hits / (double)n;
        cache_destroy(&c);
        rng_free(g);
    }
    const double allowance = 0.002;
    double max_se = 3 * binom_se(che, (double)n);
    char what[80];
    snprintf(what, sizeof what, "LRU N=%zu C=%zu s=%.1f vs Che", N, C, s);
    double tol = check(what, v, che, allowance, max_se);
    printf("  %-40s FIFO approximation %.5f: LRU - FIFO %.5f > tolerance %.5f\n", "", fifo, che - fifo, tol);
    assert_true(che - fifo > tol);
    if (exact) {
        double coarse, ex = lru_exact(&z, C, 128, &coarse);
        printf("  %-40s exact %.6f (Simpson M/2: %.6f), Che - exact %+.6f\n", "", ex, coarse, che - ex);
        assert_true(fabs(ex - coarse) < 1e-6);
        assert_true(fabs(che - ex) <= allowance);
        snprintf(what, sizeof what, "LRU N=%zu C=%zu s=%.1f vs exact", N, C, s);
        check(what, v, ex, 0, max_se);
    }
    zipf_free(&z);
}

static void test_lru_che(void **state)
{
    (void)state;
    lru_zipf(10000, 100, 0.8, 200000, true);
    lru_zipf(10000, 100, 1.0, 200000, true);
    lru_zipf(10000, 1000, 0.8, 200000, false);
    lru_zipf(10000, 1000, 1.0, 200000, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_empty),
        cmocka_unit_test(test_lru_order_exact),
        cmocka_unit_test(test_larger_than_capacity),
        cmocka_unit_test(test_purge),
        cmocka_unit_test(test_stale_after_expiry),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_refresh_on_hit),
        cmocka_unit_test(test_random_vs_reference),
        cmocka_unit_test(test_deletion_in_runs),
        cmocka_unit_test(test_colliding_churn),
        cmocka_unit_test(test_growth_fails),
        cmocka_unit_test(test_memory_only_requested),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_ttl_single_object),
        cmocka_unit_test(test_ttl_zipf),
        cmocka_unit_test(test_lru_che),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
