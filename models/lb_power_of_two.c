/* power_of_two: two distinct pods drawn at random, the one with fewer
 * requests in it wins (the first drawn on a tie). Nearly the balance of
 * least_connections at the cost of two looks (Mitzenmacher).
 *
 * Both pods come from one 64-bit draw of the balancer's stream: its high
 * half picks the first as rng_below does, its low half the second (both
 * halves of xoshiro256++ are full-quality). Each half is Lemire's
 * multiply-shift with its own rejection (a rejected half draws again), so
 * each index is exactly uniform and the two are independent. One draw
 * instead of two: at 10,000 pods a pick went from 11.2 to 10.5 ns in
 * tests/bench/bench_lb.c (2.0 times `random`: the rest is reading two
 * pods' loads). */
#include "models/lb.h"
#include "models/service.h"

static int p2_changed(void *state, const lb_view_t *v)
{
    (void)state, (void)v;
    return 0;
}

static uint32_t p2_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)state, (void)client;
    if (v->n == 1)
        return 0;
    const uint64_t n = v->n, x = rng_next(r);
    uint64_t ma = (x >> 32) * n, mb = (x & 0xffffffffu) * (n - 1);
    if ((uint32_t)ma < n) {
        uint32_t t = (uint32_t)(-n) % (uint32_t)n; /* 2^32 mod n */
        while ((uint32_t)ma < t)
            ma = (rng_next(r) >> 32) * n;
    }
    if ((uint32_t)mb < n - 1) {
        uint32_t t = (uint32_t)(-(n - 1)) % (uint32_t)(n - 1);
        while ((uint32_t)mb < t)
            mb = (rng_next(r) & 0xffffffffu) * (n - 1);
    }
    uint32_t a = (uint32_t)(ma >> 32), b = (uint32_t)(mb >> 32);
    if (b >= a)
        b++;
    return v->members[b]->active < v->members[a]->active ? b : a;
}

const lb_kind_t lb_power_of_two = {.name = "power_of_two", .help = "the less loaded of two random pods",
                                   .changed = p2_changed, .pick = p2_pick};
