/* lb: load-balancer policies behind one interface.
 *
 * A service's balancer sees the pods that may take new requests (the ready
 * set, `lb_view_t`) and picks one per request. Each policy is a descriptor
 * in one table (lb.c), its code in a file of its own (lb_NAME.c); the core
 * allocates `state_size` bytes of private state per service and calls
 * `changed` whenever the ready set changes (a pod added, removed, readied).
 * Pods keep a little per-pod scratch (`pod_t.lb_weight_cur`) for policies
 * that need it, so no policy allocates.
 *
 * Requests carry a client id (ip_hash); policies that draw random numbers
 * use the service's balancer stream, so they do not perturb service times. */
#ifndef MODELS_LB_H
#define MODELS_LB_H

#include <stddef.h>
#include <stdint.h>
#include "sim/rng.h"

typedef struct pod pod_t;

typedef struct lb_view {
    pod_t **pods;     /* the ready pods, in pod order */
    uint32_t n;       /* >= 1 when pick is called */
} lb_view_t;

typedef struct lb_kind {
    const char *name;
    const char *help;
    size_t state_size;
    /* Called once the view is first known and after every change of it. */
    void (*changed)(void *state, const lb_view_t *v);
    /* The pod (index into v->pods) for a request from `client`. */
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
