/* weighted_round_robin: nginx's smooth weighted round robin. Each pick adds
 * every pod's weight to its current weight, takes the largest (first on a
 * tie) and subtracts the total from it. Over a cycle of sum(weights) picks
 * each pod is chosen exactly `weight` times, spread out (5,1,1 gives
 * a a b a c a a rather than a a a a a b c). Weights may be fractional. */
#include "models/lb.h"
#include "models/service.h"

static void wrr_changed(void *state, const lb_view_t *v)
{
    (void)state;
    for (uint32_t i = 0; i < v->n; i++)
        v->members[i]->weight_cur = 0;
}

static uint32_t wrr_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)state, (void)client, (void)r;
    double total = 0;
    uint32_t best = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        lb_member_t *p = v->members[i];
        p->weight_cur += p->weight;
        total += p->weight;
        if (p->weight_cur > v->members[best]->weight_cur)
            best = i;
    }
    v->members[best]->weight_cur -= total;
    return best;
}

const lb_kind_t lb_weighted_round_robin = {"weighted_round_robin", "smooth weighted round robin (nginx) by pod weight",
                                           0, wrr_changed, wrr_pick};
