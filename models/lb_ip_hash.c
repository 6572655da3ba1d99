/* ip_hash: a client always reaches the same pod while the ready set is
 * unchanged. Rendezvous (highest-random-weight) hashing on (client, pod uid):
 * when a pod leaves, only its clients move; when one joins, only the clients
 * it now wins move (about 1/n of them), the fewest any mapping can move. Pod
 * uids are stable for a pod's life, so a pod's clients do not depend on its
 * position in the ready list. Cost: one hash per ready pod per request. */
#include "models/lb.h"
#include "models/service.h"

static void ih_changed(void *state, const lb_view_t *v) { (void)state, (void)v; }

static uint32_t ih_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)state, (void)r;
    uint32_t best = 0;
    uint64_t best_h = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        uint64_t h = rng_mix64(((uint64_t)client << 32) ^ v->members[i]->uid);
        if (i == 0 || h > best_h) {
            best = i;
            best_h = h;
        }
    }
    return best;
}

const lb_kind_t lb_ip_hash = {"ip_hash", "sticky by client id (rendezvous hashing: minimal remapping)", 0, ih_changed,
                              ih_pick};
