/* power_of_two: two distinct pods drawn at random, the one with fewer
 * requests in it wins (the first drawn on a tie). Nearly the balance of
 * least_connections at the cost of two looks (Mitzenmacher). */
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
    uint32_t a = rng_below(r, v->n);
    uint32_t b = rng_below(r, v->n - 1);
    if (b >= a)
        b++;
    return v->members[b]->active < v->members[a]->active ? b : a;
}

const lb_kind_t lb_power_of_two = {.name = "power_of_two", .help = "the less loaded of two random pods",
                                   .changed = p2_changed, .pick = p2_pick};
