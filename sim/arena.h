/* arena: a per-run bump allocator whose objects are freed all at once.
 *
 * Scenario trees, names and tables live as long as the scenario; they are
 * allocated here and released by one arena_free(). Allocation returns NULL on
 * failure (callers report an error, never exit). */
#ifndef SIM_ARENA_H
#define SIM_ARENA_H

#include <stddef.h>

typedef struct arena arena_t;

/* A new empty arena, or NULL when out of memory. */
arena_t *arena_new(void);
/* Frees every block of the arena (NULL is allowed). */
void arena_free(arena_t *a);
/* size zeroed bytes aligned for any object, or NULL. */
void *arena_alloc(arena_t *a, size_t size);
/* A copy of the n bytes at s plus a terminating NUL, or NULL. */
char *arena_strndup(arena_t *a, const char *s, size_t n);
/* A copy of the string s, or NULL. */
char *arena_strdup(arena_t *a, const char *s);
/* Bytes the arena holds from the system (for tests of memory bounds). */
size_t arena_bytes(const arena_t *a);
/* A formatted string in the arena, or NULL. */
char *arena_printf(arena_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A copy of array arr (n items of size bytes) with one more item, zeroed,
 * at its end: for lists that grow a few times while a scenario loads (the
 * old copy stays in the arena). NULL when out of memory. */
void *arena_append(arena_t *a, const void *arr, size_t n, size_t size);

#endif
