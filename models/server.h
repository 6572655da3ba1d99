/* server: the queueing core of every server-like station (a pod, and the
 * database servers and Redis shards that will reuse it): `workers` in
 * front of one FIFO queue of at most `capacity` waiting items; an arrival
 * that finds every worker busy and the queue full is refused (the station
 * counts a rejection). Items are the stations' visit records, linked
 * through a server_item_t as their first member; the core keeps no memory
 * of its own, counts and orders only, and what serving means (a service
 * time, a CPU share, a query) is the station's.
 *
 * Invariants: 0 <= busy <= workers, 0 <= queued <= capacity, queued > 0
 * only when busy == workers (an item waits only for a worker). */
#ifndef MODELS_SERVER_H
#define MODELS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct server_item {
    struct server_item *next;
} server_item_t;

typedef struct server {
    int busy;                   /* items holding a worker */
    int queued;                 /* items waiting */
    server_item_t *qhead, *qtail;
} server_t;

/* Whether an arrival is taken: a free worker, or room in the queue. */
static inline bool server_has_room(const server_t *s, int workers, int capacity)
{
    return s->busy < workers || s->queued < capacity;
}

/* Takes an item (server_has_room was true): it holds a worker at once
 * (true; busy counts it) or waits at the tail of the queue (false). */
static inline bool server_take(server_t *s, int workers, server_item_t *it)
{
    if (s->busy < workers) {
        s->busy++;
        return true;
    }
    it->next = NULL;
    if (s->qtail)
        s->qtail->next = it;
    else
        s->qhead = it;
    s->qtail = it;
    s->queued++;
    return false;
}

/* An item holding a worker is done: the head of the queue takes its worker
 * (returned; busy unchanged), or, with nothing waiting, the worker is free
 * (NULL; busy one less). */
static inline server_item_t *server_release(server_t *s)
{
    server_item_t *it = s->qhead;
    if (!it) {
        s->busy--;
        return NULL;
    }
    s->qhead = it->next;
    if (!s->qhead)
        s->qtail = NULL;
    s->queued--;
    return it;
}

/* Empties the server at once (its items are lost: a crash, a kill): the
 * waiting items, in queue order (linked by next); busy and queued are 0
 * after. The items holding workers are the station's to find. */
static inline server_item_t *server_drain(server_t *s)
{
    server_item_t *q = s->qhead;
    s->qhead = s->qtail = NULL;
    s->busy = s->queued = 0;
    return q;
}

#endif
