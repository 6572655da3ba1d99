#include "sim/pool.h"

#include <stdlib.h>
#include <string.h>

void pool_init(pool_t *p, size_t objsize, size_t per_chunk)
{
    memset(p, 0, sizeof *p);
    p->size = (objsize + sizeof(void *) - 1) / sizeof(void *) * sizeof(void *);
    p->per_chunk = per_chunk ? per_chunk : 256;
}

void pool_destroy(pool_t *p)
{
    for (size_t i = 0; i < p->nchunks; i++)
        free(p->chunks[i]); /* (poisoned objects and all: free resets the shadow) */
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

int pool_add_chunk(pool_t *p)
{
    size_t n = p->per_chunk;
    if (p->max_objects) {
        if (p->objects >= p->max_objects)
            return -1;
        if (n > p->max_objects - p->objects)
            n = p->max_objects - p->objects;
    }
    if (p->nchunks == p->cap_chunks) {
        size_t nc = p->cap_chunks ? p->cap_chunks * 2 : 8;
        void **c = realloc(p->chunks, nc * sizeof *c);
        if (!c)
            return -1;
        p->chunks = c;
        p->cap_chunks = nc;
    }
    char *mem = malloc(p->size * n);
    if (!mem)
        return -1;
    p->chunks[p->nchunks++] = mem;
    p->bytes += p->size * n;
    p->objects += n;
    for (size_t i = n; i-- > 0;) {
        void *obj = mem + i * p->size;
        *(void **)obj = p->free;
        POOL_POISON(obj, p->size);
        p->free = obj;
    }
    /* Chunks double so that a run that needs many objects asks malloc rarely. */
    if (p->per_chunk < 65536)
        p->per_chunk *= 2;
    return 0;
}

size_t pool_bytes(const pool_t *p) { return p->bytes + p->cap_chunks * sizeof(void *); }
