/* rng: named random streams on GSL.
 *
 * Every consumer (a service's service times, the traffic source, a load
 * balancer) owns a stream seeded from (scenario seed, stream name), so adding
 * a component never shifts another's numbers and two variants of a scenario
 * see the same traffic (common random numbers). The generator is GSL's
 * MT19937; its seed is 32 bits (GSL's gsl_rng_set), mixed from the 64-bit
 * scenario seed and a 64-bit FNV-1a hash of the name by SplitMix64. Models see
 * only rng_t and the calls below; samplers live in dist.c. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

typedef gsl_rng rng_t;

/* A stream for (seed, name), or NULL when out of memory. */
rng_t *rng_new(uint64_t seed, const char *name);
void rng_free(rng_t *r);
/* The 32-bit seed rng_new gives the generator (for tests). */
uint32_t rng_stream_seed(uint64_t seed, const char *name);
/* Uniform on [0, 1). */
double rng_uniform(rng_t *r);
/* Uniform on (0, 1). */
double rng_uniform_pos(rng_t *r);
/* Uniform integer on [0, n), n >= 1. */
uint32_t rng_below(rng_t *r, uint32_t n);
/* Exponential with mean 1. */
double rng_exp1(rng_t *r);
/* SplitMix64 finaliser: a well-mixed 64-bit hash of x (inline: the traffic
 * source hashes twice per request). */
static inline uint64_t rng_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

#endif
