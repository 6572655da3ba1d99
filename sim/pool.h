/* pool: fixed-size objects from chunks, reused through a free list.
 *
 * Requests and per-service visits are taken from and returned to a pool in
 * the event loop; chunks are allocated only when the number of live objects
 * reaches a new maximum, and never move, so pointers stay valid. pool_get
 * does not clear the object: the caller, who knows its type and size,
 * initialises it (a constant-size clear the compiler can inline). */
#ifndef SIM_POOL_H
#define SIM_POOL_H

#include <stddef.h>

/* Under AddressSanitizer a free object is poisoned, as freed memory is:
 * reading or writing an object after pool_put is reported where it happens
 * (the free-list link inside it is read only by pool_get, which unpoisons
 * the object first). */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POOL_POISON(obj, n) ASAN_POISON_MEMORY_REGION((obj), (n))
#define POOL_UNPOISON(obj, n) ASAN_UNPOISON_MEMORY_REGION((obj), (n))
#else
#define POOL_POISON(obj, n) ((void)(obj), (void)(n))
#define POOL_UNPOISON(obj, n) ((void)(obj), (void)(n))
#endif

typedef struct pool {
    size_t size;          /* object size, rounded up to a pointer */
    size_t per_chunk;
    void *free;           /* free list, linked through the objects' first word */
    void **chunks;
    size_t nchunks, cap_chunks;
    size_t live, peak;
    size_t bytes;         /* held in chunks */
    size_t objects;       /* held in chunks */
    size_t max_objects;   /* at most this many (0: no bound); pool_get fails past it */
} pool_t;

void pool_init(pool_t *p, size_t objsize, size_t per_chunk);
void pool_destroy(pool_t *p);
/* Adds a chunk to the free list; 0, or -1 when memory ran out or the pool
 * holds max_objects already. */
int pool_add_chunk(pool_t *p);

/* An object (contents undefined), or NULL when memory ran out or
 * max_objects are live (pool_full tells which). Inline: a
 * request and a visit are taken and returned per request. */
static inline void *pool_get(pool_t *p)
{
    if (!p->free && pool_add_chunk(p) != 0)
        return NULL;
    void *obj = p->free;
    POOL_UNPOISON(obj, p->size);
    p->free = *(void **)obj;
    if (++p->live > p->peak)
        p->peak = p->live;
    return obj;
}

static inline void pool_put(pool_t *p, void *obj)
{
    *(void **)obj = p->free;
    POOL_POISON(obj, p->size);
    p->free = obj;
    p->live--;
}
/* Whether the pool holds max_objects, all of them live. */
static inline int pool_full(const pool_t *p) { return p->max_objects && p->live >= p->max_objects; }

/* Bytes held by the pool. */
size_t pool_bytes(const pool_t *p);

#endif
