/* evq: the pending-event set.
 *
 * A 4-ary min-heap ordered by (time, seq), where seq is a counter stamped at
 * scheduling: events at the same instant fire in the order they were
 * scheduled, so a run repeats to the byte. A heap entry is its key, 16 bytes:
 * time, a 32-bit seq and the event's pool slot packed into one 128-bit
 * integer, so a comparison is one unsigned comparison and sifting never
 * touches the event records; the callback and its arguments sit in a pool of
 * nodes reused through a free list. Nothing is allocated per event: the pool
 * and heap only grow (doubling) when the number of pending events reaches a
 * new maximum. (sim/evq.c says why this layout and what it was measured
 * against.)
 *
 * A handle names one scheduled event: pool slot plus a generation, so a stale
 * handle (the event fired or was cancelled, the slot reused) is recognised
 * and cancel() on it does nothing. Cancel is O(log n).
 *
 * A pop leaves the root vacant (a hole) until the next call: a schedule then
 * puts its event there in one sift down (the action of a popped event mostly
 * schedules one), any other call closes it first. The pop order is the same.
 *
 * Invariants: heap[i] >= heap[(i-1)/4] by key (for i >= 1 the hole aside); node[slot of heap[i]].pos == i
 * for every pending event; a free node has pos == EVQ_FREE; every pending
 * seq is below the next one to stamp, and the seqs, once 2^32 of them were
 * stamped, are renumbered 0..n-1 in (time, seq) order. */
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/simtime.h"

typedef struct evq evq_t;
typedef uint64_t evq_handle_t;          /* 0 is never a valid handle */

/* An event's action: ctx is the run's context, obj and arg as scheduled. */
typedef void (*evq_fn)(void *ctx, void *obj, uint64_t arg);

typedef struct evq_event {
    simtime_t time;
    evq_fn fn;
    void *obj;
    uint64_t arg;
} evq_event_t;

/* A new empty set with room for `hint` pending events, or NULL. */
evq_t *evq_new(size_t hint);
void evq_free(evq_t *q);
/* Schedules fn(ctx, obj, arg) at time t; returns its handle, or 0 when memory
 * ran out (the set is unchanged). */
evq_handle_t evq_schedule(evq_t *q, simtime_t t, evq_fn fn, void *obj, uint64_t arg);
/* Removes a pending event; false when h is not pending (fired, cancelled, 0). */
bool evq_cancel(evq_t *q, evq_handle_t h);
/* Moves a pending event to time t as if it were cancelled and scheduled
 * again with the same action (it takes the next seq, so it fires after the
 * events already due at t), in one sift instead of two; returns h, or 0 when
 * h is not pending (the set is unchanged). The free list and every other
 * event are left as cancel-then-schedule would leave them. */
evq_handle_t evq_reschedule(evq_t *q, evq_handle_t h, simtime_t t);
/* True when h names a pending event. */
bool evq_pending(const evq_t *q, evq_handle_t h);
/* Time of the earliest pending event, SIM_NEVER when empty (not const: it
 * closes the hole a pop left). */
simtime_t evq_peek_time(evq_t *q);
/* Removes the earliest event into *ev; false when empty. */
bool evq_pop(evq_t *q, evq_event_t *ev);
/* Number of pending events. */
size_t evq_size(const evq_t *q);
/* Bytes held by the set (for memory reports). */
size_t evq_bytes(const evq_t *q);

/* For tests only: makes `seq` (at most 2^32) the next sequence number to
 * stamp, when it is above the current one, so that a test can reach the
 * renumbering of the 32-bit seqs without 2^32 schedules. */
void evq__skip_seq(evq_t *q, uint64_t seq);

#endif
