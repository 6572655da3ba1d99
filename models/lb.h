/* lb: load-balancer policies behind one interface.
 *
 * A balancer sees the members that may take new requests (a service's ready
 * pods; later a database's replicas, a Redis tier's shards), each as an
 * `lb_member_t` (its load, identity and weight, nothing of the model behind
 * it), and picks one per request. Each policy is a descriptor
 * in one table (lb.c), its code in a file of its own (lb_NAME.c); the core
 * allocates `state_size` bytes of private state per service and calls
 * `changed` whenever the set changes (a pod added, removed, readied).
 *
 * Cost: a pick must not scan the members. Policies that need an index over
 * them (least_connections, ip_hash, weighted_round_robin) build it in
 * `changed`, O(n) or O(n log n) on a change of the set, which is rare
 * (a scaling step, a pod ready or gone); a pick is then O(1) or O(log n).
 * That index is allocated in `changed` (which says when it could not be)
 * and freed by `fini`. A policy that orders its members by load is told of
 * every change of a member's `active` through `load_changed`: the core
 * changes `active` only with lb_set_active() below.
 *
 * Requests carry a client id (ip_hash); policies that draw random numbers
 * use the service's balancer stream, so they do not perturb service times. */
#ifndef MODELS_LB_H
#define MODELS_LB_H

#include <stddef.h>
#include <stdint.h>
#include "sim/rng.h"

/* What a balancer knows of one member. */
typedef struct lb_member {
    int active;       /* requests in it (in service plus queued); set with lb_set_active */
    uint32_t uid;     /* stable for the member's life (ip_hash) */
    double weight;    /* weighted_round_robin */
    uint32_t pos;     /* scratch of the policy: the member's index in the view
                       * at the last `changed` (stale once it left the view) */
} lb_member_t;

typedef struct lb_view {
    lb_member_t **members; /* the members that take requests, in a stable order */
    uint32_t n;            /* >= 1 when pick is called */
    uint32_t capacity;     /* the most members the view will hold, 0 if unknown:
                            * ip_hash sizes its table by it */
} lb_view_t;

typedef struct lb_kind {
    const char *name;
    const char *help;
    size_t state_size;      /* zeroed by the core before the first `changed` */
    /* Called once the view is first known and after every change of it;
     * -1 when out of memory (the state stays valid for `fini`). */
    int (*changed)(void *state, const lb_view_t *v);
    /* The member (index into v->members) for a request from `client`. */
    uint32_t (*pick)(void *state, const lb_view_t *v, uint32_t client, rng_t *r);
    /* Optional: m->active changed. m may have left the view (a draining pod);
     * the view is the one of the last `changed`. */
    void (*load_changed)(void *state, const lb_view_t *v, const lb_member_t *m);
    /* Optional: frees what `changed` allocated (also after a failed one). */
    void (*fini)(void *state);
} lb_kind_t;

/* Sets m's load to `active` and tells the policy. */
static inline void lb_set_active(const lb_kind_t *k, void *state, const lb_view_t *v, lb_member_t *m, int active)
{
    m->active = active;
    if (k->load_changed)
        k->load_changed(state, v, m);
}

/* Frees a policy's state's allocations (a no-op for most). */
static inline void lb_fini(const lb_kind_t *k, void *state)
{
    if (k->fini && state)
        k->fini(state);
}

/* The policy named `name`, or NULL. */
const lb_kind_t *lb_find(const char *name);
/* Writes the valid names, comma separated, into buf. */
void lb_names(char *buf, size_t size);
/* The policies, in table order (n set to their count). */
const lb_kind_t *const *lb_all(size_t *n);

extern const lb_kind_t lb_round_robin, lb_least_connections, lb_ip_hash, lb_weighted_round_robin, lb_random,
    lb_power_of_two;

#endif
