/* least_connections: the pod with the fewest requests in it (in service plus
 * queued). Ties go round robin, as nginx's least_conn does, so that an idle
 * service does not pile every request on its first pod. */
#include "models/lb.h"
#include "models/service.h"

typedef struct {
    uint32_t start;
} lc_t;

static void lc_changed(void *state, const lb_view_t *v)
{
    lc_t *s = state;
    if (v->n)
        s->start %= v->n;
}

static uint32_t lc_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)client, (void)r;
    lc_t *s = state;
    uint32_t n = v->n, start = s->start < n ? s->start : 0, best = start;
    int best_active = v->members[best]->active;
    /* every pod once, from the rotating start: the first of the least loaded wins */
    for (uint32_t k = 1; k < n && best_active > 0; k++) {
        uint32_t i = start + k < n ? start + k : start + k - n;
        if (v->members[i]->active < best_active) {
            best = i;
            best_active = v->members[i]->active;
        }
    }
    s->start = best + 1 == n ? 0 : best + 1;
    return best;
}

const lb_kind_t lb_least_connections = {"least_connections", "the pod with the fewest requests in it (ties in turn)",
                                        sizeof(lc_t), lc_changed, lc_pick};
