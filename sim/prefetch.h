/* prefetch: a hint to start loading a line that will be read soon (nothing
 * where the compiler has no such builtin). Models use it where they know a
 * key well before they look it up: the lookup then finds the line in the
 * processor's cache instead of waiting for memory. It changes no result. */
#ifndef SIM_PREFETCH_H
#define SIM_PREFETCH_H

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

#endif
