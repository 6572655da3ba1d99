/* round_robin: pods in turn. After a change of the ready set the cursor is
 * kept modulo the new size, so the rotation goes on rather than restarting. */
#include "models/lb.h"
#include "models/service.h"

typedef struct {
    uint32_t next;
} rr_t;

static int rr_changed(void *state, const lb_view_t *v)
{
    rr_t *s = state;
    if (v->n)
        s->next %= v->n;
    return 0;
}

static uint32_t rr_pick(void *state, const lb_view_t *v, uint32_t client, rng_t *r)
{
    (void)client, (void)r;
    rr_t *s = state;
    uint32_t i = s->next < v->n ? s->next : 0;
    s->next = i + 1 == v->n ? 0 : i + 1;
    return i;
}

const lb_kind_t lb_round_robin = {
    .name = "round_robin", .help = "each ready pod in turn", .state_size = sizeof(rr_t), .changed = rr_changed,
    .pick = rr_pick};
