#include "sim/rng.h"

#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <math.h>

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint32_t rng_stream_seed(uint64_t seed, const char *name)
{
    uint64_t x = rng_mix64(rng_mix64(seed) ^ fnv1a64(name));
    uint32_t s = (uint32_t)(x ^ (x >> 32));
    return s; /* (GSL's MT19937 replaces a seed of 0 by its default, 4357) */
}

rng_t *rng_new(uint64_t seed, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r)
        gsl_rng_set(r, rng_stream_seed(seed, name));
    return r;
}

void rng_free(rng_t *r)
{
    if (r)
        gsl_rng_free(r);
}

double rng_uniform(rng_t *r) { return gsl_rng_uniform(r); }
double rng_uniform_pos(rng_t *r) { return gsl_rng_uniform_pos(r); }
uint32_t rng_below(rng_t *r, uint32_t n) { return (uint32_t)gsl_rng_uniform_int(r, n); }
double rng_exp1(rng_t *r) { return -log(gsl_rng_uniform_pos(r)); }
