/* arena: blocks chained in a list; a request larger than the default block
 * gets a block of its own. Memory is zeroed so that structs start empty. */
#include "sim/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK (64 * 1024)
#define ARENA_ALIGN 16

struct block {
    struct block *next;
    size_t used, size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
    struct block *head;
    size_t bytes;   /* held in blocks, headers included */
};

arena_t *arena_new(void) { return calloc(1, sizeof(arena_t)); }

void arena_free(arena_t *a)
{
    if (!a)
        return;
    struct block *b = a->head;
    while (b) {
        struct block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void *arena_alloc(arena_t *a, size_t size)
{
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size == 0)
        size = ARENA_ALIGN;
    struct block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t bs = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = malloc(sizeof(*b) + bs);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = bs;
        a->bytes += sizeof(*b) + bs;
        /* A dedicated big block goes behind the head so the head keeps its room. */
        if (a->head && bs > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *arena_strdup(arena_t *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t arena_bytes(const arena_t *a) { return a ? a->bytes : 0; }

void *arena_append(arena_t *a, const void *arr, size_t n, size_t size)
{
    char *p = arena_alloc(a, (n + 1) * size);
    if (p && n)
        memcpy(p, arr, n * size);
    return p;
}
