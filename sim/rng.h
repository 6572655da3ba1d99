/* rng: named random streams on GSL.
 *
 * Every consumer (a service's service times, the traffic source, a load
 * balancer) owns a stream seeded from (scenario seed, stream name), so adding
 * a component never shifts another's numbers and two variants of a scenario
 * see the same traffic (common random numbers).
 *
 * The generator is xoshiro256++ (Blackman and Vigna), registered with GSL as
 * the gsl_rng_type rng_xoshiro256pp, so rng_t is still a gsl_rng and every
 * gsl_ran_* sampler (sim/dist.c) draws from it. Its 256-bit state is filled
 * by SplitMix64 from a 64-bit stream seed, itself mixed from the 64-bit
 * scenario seed and a 64-bit FNV-1a hash of the name (rng_stream_seed). The
 * draws the engine makes most (uniform, uniform_pos, below, exp1) are inline
 * below and read the state directly, without GSL's function pointer; the
 * exponential is a 256-layer ziggurat. sim/rng.c says why this generator
 * and what it measured.
 *
 * Invariant: every rng_t is made by rng_new (or is a gsl_rng of type
 * rng_xoshiro256pp); the inline draws assert it. Models see only rng_t and
 * the calls below; samplers live in dist.c. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <assert.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

typedef gsl_rng rng_t;

/* The generator's state, which a gsl_rng of type rng_xoshiro256pp points to;
 * never all zero. */
typedef struct rng_state {
    uint64_t s[4];
} rng_state_t;

/* xoshiro256++ as a GSL generator: gsl_rng_get gives the upper 32 bits of an
 * output (max 2^32 - 1), gsl_rng_uniform the upper 53 bits over 2^53 (as
 * rng_uniform), and gsl_rng_set(r, s) seeds it as rng_new does from the
 * stream seed s (unsigned long: 64 bits on the LP64 systems this targets). */
extern const gsl_rng_type rng_xoshiro256pp;

/* A stream for (seed, name), or NULL when out of memory. */
rng_t *rng_new(uint64_t seed, const char *name);
void rng_free(rng_t *r);
/* The 64-bit stream seed rng_new fills the state from (for tests). */
uint64_t rng_stream_seed(uint64_t seed, const char *name);

static inline uint64_t *rng__s(rng_t *r)
{
    assert(r->type == &rng_xoshiro256pp);
    return ((rng_state_t *)r->state)->s;
}

static inline uint64_t rng__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The next 64-bit output; all 64 bits are good. */
static inline uint64_t rng_next(rng_t *r)
{
    uint64_t *s = rng__s(r);
    uint64_t out = rng__rotl(s[0] + s[3], 23) + s[0];
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng__rotl(s[3], 45);
    return out;
}

/* Uniform on [0, 1): a multiple of 2^-53 (53 random bits). */
static inline double rng_uniform(rng_t *r) { return (double)(int64_t)(rng_next(r) >> 11) * 0x1p-53; }

/* Uniform on (0, 1): an odd multiple of 2^-53, from 2^-53 to 1 - 2^-53
 * (52 random bits), never 0 or 1, without a loop. */
static inline double rng_uniform_pos(rng_t *r)
{
    return (double)(int64_t)((rng_next(r) >> 11) | 1) * 0x1p-53;
}

/* Uniform integer on [0, n), n >= 1: exactly uniform (Lemire's
 * multiply-shift on 32 bits; the rare low products that would bias it are
 * drawn again, with probability below n / 2^32). */
static inline uint32_t rng_below(rng_t *r, uint32_t n)
{
    uint64_t m = (rng_next(r) >> 32) * (uint64_t)n;
    if ((uint32_t)m < n) {
        uint32_t t = (uint32_t)(-n) % n;     /* 2^32 mod n */
        while ((uint32_t)m < t)
            m = (rng_next(r) >> 32) * (uint64_t)n;
    }
    return (uint32_t)(m >> 32);
}

/* The ziggurat's tables (sim/rng.c) and its rare path. */
extern const uint64_t rng__zig_k[256];
extern const double rng__zig_w[256];
double rng__exp1_slow(rng_t *r, unsigned i, uint64_t m);

/* Exponential with mean 1, exact in distribution: one 64-bit draw, a table
 * look-up and a multiply in 97.8% of the draws (sim/rng.c). */
static inline double rng_exp1(rng_t *r)
{
    uint64_t u = rng_next(r);
    unsigned i = (unsigned)(u & 0xff);
    uint64_t m = u >> 11;
    if (m < rng__zig_k[i])
        return (double)(int64_t)m * rng__zig_w[i];
    return rng__exp1_slow(r, i, m);
}

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
