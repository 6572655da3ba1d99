/* lb: load-balancer policies behind one interface.
 *
 * A balancer sees the members that may take new requests (a service's ready
 * pods; later a database's replicas, a Redis tier's shards), each as an
 * `lb_member_t` (its load, identity and weight, nothing of the model behind
 * it), and picks one per request. Each policy is a descriptor
 * in one table (lb.c), its code in a file of its own (lb_NAME.c); the core
 * allocates `state_size` bytes of private state per service and calls
 * `changed` whenever the set changes (a pod added, removed, readied).
 * Members keep a little scratch (`weight_cur`) for policies that need it, so
 * no policy allocates.
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
    int active;       /* requests in it (in service plus queued) */
    uint32_t uid;     /* stable for the member's life (ip_hash) */
    double weight;    /* weighted_round_robin */
    double weight_cur;/* scratch of weighted_round_robin */
} lb_member_t;

typedef struct lb_view {
    lb_member_t **members; /* the members that take requests, in a stable order */
    uint32_t n;            /* >= 1 when pick is called */
} lb_view_t;

typedef struct lb_kind {
    const char *name;
    const char *help;
    size_t state_size;
    /* Called once the view is first known and after every change of it. */
    void (*changed)(void *state, const lb_view_t *v);
    /* The member (index into v->members) for a request from `client`. */
    uint32_t (*pick)(void *state, const lb_view_t *v, uint32_t client, rng_t *r);
} lb_kind_t;

/* The policy named `name`, or NULL. */
const lb_kind_t *lb_find(const char *name);
/* Writes the valid names, comma separated, into buf. */
void lb_names(char *buf, size_t size);
/* The policies, in table order (n set to their count). */
const lb_kind_t *const *lb_all(size_t *n);

extern const lb_kind_t lb_round_robin, lb_least_connections, lb_ip_hash, lb_weighted_round_robin, lb_random,
    lb_power_of_two;

#endif
