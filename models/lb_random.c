/* random: a uniformly random ready pod (Poisson arrivals split at random stay
 * Poisson: k pods behave as k independent queues). */
#include "models/lb.h"
#include "models/service.h"

static int rnd_changed(void *state, const lb_view_t *v)
{
    (void)state, (void)v;
    return 0;
}

static uint32_t rnd_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)state, (void)client;
    return v->n == 1 ? 0 : rng_below(r, v->n);
}

const lb_kind_t lb_random = {.name = "random", .help = "a uniformly random pod", .changed = rnd_changed, .pick = rnd_pick};
