/* rng: xoshiro256++ as a GSL generator, and an exponential ziggurat.
 *
 * Why xoshiro256++ (Blackman and Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 47(4), 2021). It passes BigCrush and
 * PractRand; its state is 32 bytes (GSL's mt19937 keeps 5000 per stream,
 * gfsr4 131080, taus2 24); an output is 64 bits, so a double has 53 random
 * bits from one draw (zipf.c needed two of MT19937's 32-bit draws), and the
 * ziggurat takes its layer and its position from one draw. taus2 and gfsr4,
 * GSL's fastest, give 32 bits a draw and are linear over GF(2) with no
 * scrambled output, the structure BigCrush's linear-complexity tests find
 * (in taus2's kind, combined Tausworthe, and in MT19937 itself).
 * xoshiro256+ would save one rotate and add, but its lowest bits are weak
 * (linear); the ziggurat's layer index is the lowest 8 bits and
 * rng_below's rejection reads the low half of a product, so ++ (every bit
 * good) is the one generator for every draw.
 *
 * Measured (tests/bench/bench_rng.c, one run on the shared 2-core x86-64,
 * gcc -O2, load average about 5: thread CPU time, medians of 15 rounds of
 * 2,000,000 draws; the ratio is the median of per-round ratios to mt19937):
 *
 *   uniform on [0, 1)                    ns/draw  vs mt19937
 *     mt19937  gsl_rng_uniform             10.3      1.00
 *     taus2    gsl_rng_uniform              4.1      0.40
 *     gfsr4    gsl_rng_uniform              3.7      0.36
 *     xoshiro256++ gsl_rng_uniform          3.8      0.39
 *     xoshiro256++ rng_uniform (inline)     1.7      0.16
 *   exponential, mean 1
 *     mt19937  -log(gsl_rng_uniform_pos)   16.8      1.00  (dist.c before)
 *     taus2    the same                    10.3      0.60
 *     gfsr4    the same                    10.1      0.60
 *     xoshiro256++ the same                 9.5      0.56
 *     xoshiro256++ -log(rng_uniform_pos)    7.4      0.43
 *     xoshiro256++ rng_exp1 (ziggurat)      2.7      0.16
 *
 * Through GSL's function pointer the three fast generators cost about the
 * same (the call dominates); inlining takes a uniform from 0.39 to 0.16 of
 * mt19937's time, and the ziggurat an exponential from 0.43 to 0.16 (log
 * was most of it). The assert in rng.h that a stream is of this type costs
 * about 0.3 ns of an inline uniform (another run's medians: 1.18 ns with
 * it, 0.86 with -DNDEBUG); it is kept, since a gsl_rng of another type
 * would be read as garbage silently, and an event costs far more.
 * Whole command, the plan's baseline scenario over 2 h of simulated time
 * (7 runs, against the build before this change, in turn): CPU time 0.81
 * of before (median; 0.73-0.95), peak memory the same.
 *
 * Seeding. rng_stream_seed mixes (scenario seed, FNV-1a of the name) into a
 * 64-bit x; the four state words are the next four outputs of SplitMix64
 * from x, mix64(x + j gamma) for j = 0..3, the seeding Vigna recommends.
 * mix64 is a bijection and the four inputs differ, so the words differ and
 * the state is never the forbidden all-zero one. Streams start at unrelated
 * points of a period of 2^256 - 1: they overlap with negligible probability.
 *
 * The exponential: the ziggurat of Marsaglia and Tsang ("The ziggurat method
 * for generating random variables", J. Stat. Softw. 5(8), 2000) with 256
 * layers, in the form of Doornik ("An improved ziggurat method", 2005) and
 * Rust's rand_distr: the layer index and the position come from disjoint
 * bits of one 64-bit output (bits 0-7 and 11-63), so they are independent.
 * Layers i = 1..255 are the rectangles [0, x_i] x [f(x_i), f(x_{i+1})]
 * under f(x) = exp(-x), each of area v, with x_1 = r = 7.6971..., x_256 = 0;
 * layer 0 is [0, x_0] x [0, f(r)], also of area v, its part beyond r
 * standing for the tail (area f(r) = P(X > r)). A draw picks a layer and a
 * point x uniform on [0, x_i): below x_{i+1} it is under the curve
 * (accepted at once: 97.8% of draws, the mean of x_{i+1} / x_i); else, in
 * layer 0 the result is r + Exp(1) (the tail, by memorylessness:
 * r - log U), elsewhere a height y uniform on
 * [f(x_i), f(x_{i+1})) accepts x when y < exp(-x), or the draw starts
 * again. Every accepted x is then a point uniform under the curve: the law
 * is exact, up to the 2^-53 grid of x in each layer, the rounding of the
 * tables to doubles (relative 1e-16) and of libm's exp and log.
 * sim/rng_tables.py computes the tables in 80-digit decimal arithmetic
 * (r solves f(x_255) + v / x_255 = 1) and prints them; they are constants
 * here so that no platform's libm changes them. */
#include "sim/rng.h"

#include <gsl/gsl_rng.h>
#include <math.h>

/* ---- the generator --------------------------------------------------------- */

static void seed_state(rng_state_t *st, uint64_t x)
{
    for (int j = 0; j < 4; j++)
        st->s[j] = rng_mix64(x + (uint64_t)j * 0x9e3779b97f4a7c15ULL);
}

static void x_set(void *state, unsigned long seed) { seed_state(state, (uint64_t)seed); }

static unsigned long x_get(void *state)
{
    gsl_rng g = {&rng_xoshiro256pp, state};
    return (unsigned long)(rng_next(&g) >> 32);
}

static double x_get_double(void *state)
{
    gsl_rng g = {&rng_xoshiro256pp, state};
    return rng_uniform(&g);
}

const gsl_rng_type rng_xoshiro256pp = {
    "xoshiro256++", 0xffffffffUL, 0, sizeof(rng_state_t), x_set, x_get, x_get_double,
};

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t rng_stream_seed(uint64_t seed, const char *name)
{
    return rng_mix64(rng_mix64(seed) ^ fnv1a64(name));
}

rng_t *rng_new(uint64_t seed, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(&rng_xoshiro256pp);
    if (r)
        seed_state(r->state, rng_stream_seed(seed, name));
    return r;
}

void rng_free(rng_t *r)
{
    if (r)
        gsl_rng_free(r);
}

/* ---- the exponential ziggurat ------------------------------------------------ */

/* Generated by sim/rng_tables.py: BEGIN */
/* r = 7.6971174701310497140446280 */
/* v = 3.9496598225815572199775720e-3 */
#define ZIG_R 0x1.ec9d9297ebb83p+2 /* 7.69711747013104971404 */
const uint64_t rng__zig_k[256] = {
    0x1c5214272497c8ULL, 0x1cdb4dd9e4e8c1ULL, 0x1dddf62bac0bb2ULL, 0x1e5961c78b267dULL,
    0x1ea2a61e122db2ULL, 0x1ed38ca188151fULL, 0x1ef6aefa57cbe8ULL, 0x1f113e047b0415ULL,
    0x1f26143450340bULL, 0x1f36e5a38a59a3ULL, 0x1f44c7665c6fdcULL, 0x1f50724ece1173ULL,
    0x1f5a66904fe3c5ULL, 0x1f630000a8e268ULL, 0x1f6a8234b7352cULL, 0x1f71200f1a241dULL,
    0x1f7700a3582acdULL, 0x1f7c427839e927ULL, 0x1f80fdc336039cULL, 0x1f8545f904db90ULL,
    0x1f892aec479608ULL, 0x1f8cb99e7385f9ULL, 0x1f8ffcda9ae41eULL, 0x1f92fda9cef1f4ULL,
    0x1f95c3abd03f7aULL, 0x1f98555b782fbaULL, 0x1f9ab84415abc6ULL, 0x1f9cf12b79f9beULL,
    0x1f9f04336bbe0cULL, 0x1fa0f4f47df316ULL, 0x1fa2c693c5c096ULL, 0x1fa47bd48bea01ULL,
    0x1fa61726d1f215ULL, 0x1fa79ab3508d3eULL, 0x1fa908656f66a3ULL, 0x1faa61f399ff29ULL,
    0x1faba8e640060cULL, 0x1facde9dbf2d74ULL, 0x1fae045767e106ULL, 0x1faf1b31c479a8ULL,
    0x1fb0243042e1c3ULL, 0x1fb1203e5a9605ULL, 0x1fb21032442854ULL, 0x1fb2f4cf539c40ULL,
    0x1fb3cec803e748ULL, 0x1fb49ebfbf69d3ULL, 0x1fb5654c6f37e2ULL, 0x1fb622f7d96944ULL,
    0x1fb6d840d55595ULL, 0x1fb7859c5b895dULL, 0x1fb82b76765b55ULL, 0x1fb8ca33174a18ULL,
    0x1fb9622ed4abfdULL, 0x1fb9f3bf92b61aULL, 0x1fba7f351a70aeULL, 0x1fbb04d9a0d18eULL,
    0x1fbb84f23fe6a3ULL, 0x1fbbffbf63b7abULL, 0x1fbc757d2c4de6ULL, 0x1fbce663c6201cULL,
    0x1fbd52a7b9f827ULL, 0x1fbdba7a354409ULL, 0x1fbe1e094ba615ULL, 0x1fbe7d80327ddcULL,
    0x1fbed907770cc7ULL, 0x1fbf30c52fc60cULL, 0x1fbf84dd294890ULL, 0x1fbfd5710f72baULL,
    0x1fc022a092f366ULL, 0x1fc06c898baff2ULL, 0x1fc0b348184da5ULL, 0x1fc0f6f6bb2416ULL,
    0x1fc137ae74d6b8ULL, 0x1fc17586dccd11ULL, 0x1fc1b09637bb3dULL, 0x1fc1e8f18c6757ULL,
    0x1fc21eacb6d39fULL, 0x1fc251da79f165ULL, 0x1fc2828c8ffcf1ULL, 0x1fc2b0d3b99f9fULL,
    0x1fc2dcbfcbf264ULL, 0x1fc3065fbd7889ULL, 0x1fc32dc1b2281aULL, 0x1fc352f3069372ULL,
    0x1fc376005a4594ULL, 0x1fc396f599614dULL, 0x1fc3b5de0591b5ULL, 0x1fc3d2c43e593dULL,
    0x1fc3edb248cb63ULL, 0x1fc406b196bbf8ULL, 0x1fc41dcb0d6e0fULL, 0x1fc433070bcb9aULL,
    0x1fc4466d702e22ULL, 0x1fc458059dc038ULL, 0x1fc467d6817e84ULL, 0x1fc475e696dee7ULL,
    0x1fc4823bec237bULL, 0x1fc48cdc265ec2ULL, 0x1fc495cc852df6ULL, 0x1fc49d11e62de4ULL,
    0x1fc4a2b0c82e76ULL, 0x1fc4a6ad4e28a1ULL, 0x1fc4a90b41fa35ULL, 0x1fc4a9ce16eaa0ULL,
    0x1fc4a8f8ebfb8dULL, 0x1fc4a68e8e07fdULL, 0x1fc4a29179b434ULL, 0x1fc49d03dd30b2ULL,
    0x1fc495e799d21cULL, 0x1fc48d3e457ff7ULL, 0x1fc483092bfbbaULL, 0x1fc477495001b3ULL,
    0x1fc469ff6c4505ULL, 0x1fc45b2bf447e9ULL, 0x1fc44acf15112bULL, 0x1fc438e8b5bfc8ULL,
    0x1fc4257877fd69ULL, 0x1fc4107db85062ULL, 0x1fc3f9f78e4da9ULL, 0x1fc3e1e4ccab41ULL,
    0x1fc3c84401334aULL, 0x1fc3ad137497fbULL, 0x1fc390512a2888ULL, 0x1fc371fadf66f9ULL,
    0x1fc3520e0b7ec8ULL, 0x1fc33087de9c10ULL, 0x1fc30d654122eeULL, 0x1fc2e8a2d2c6b5ULL,
    0x1fc2c23ce98047ULL, 0x1fc29a2f906310ULL, 0x1fc27076864fc3ULL, 0x1fc2450d3c8400ULL,
    0x1fc217eed505dfULL, 0x1fc1e91620ea44ULL, 0x1fc1b87d9e74b5ULL, 0x1fc1861f770f4cULL,
    0x1fc151f57d1944ULL, 0x1fc11bf9298a65ULL, 0x1fc0e42399698bULL, 0x1fc0aa6d8b1428ULL,
    0x1fc06ecf5b54b4ULL, 0x1fc0314102458aULL, 0x1fbff1ba0ffdb1ULL, 0x1fbfb031a904c5ULL,
    0x1fbf6c9e828ae4ULL, 0x1fbf26f6de6176ULL, 0x1fbedf3086b129ULL, 0x1fbe9540c96960ULL,
    0x1fbe491c7364dfULL, 0x1fbdfab7cb3f42ULL, 0x1fbdaa068bd66cULL, 0x1fbd56fbde729dULL,
    0x1fbd018a548fa0ULL, 0x1fbca9a3e140d6ULL, 0x1fbc4f39d22996ULL, 0x1fbbf23cc8029fULL,
    0x1fbb929caea4e3ULL, 0x1fbb3048b49146ULL, 0x1fbacb2f41ec18ULL, 0x1fba633deee287ULL,
    0x1fb9f861796f28ULL, 0x1fb98a85ba7205ULL, 0x1fb919959a0f75ULL, 0x1fb8a57b0347f7ULL,
    0x1fb82e1ed6ba0aULL, 0x1fb7b368dc7da9ULL, 0x1fb7353fb5079aULL, 0x1fb6b388c9010bULL,
    0x1fb62e2837fe5aULL, 0x1fb5a500c5fdabULL, 0x1fb517f3c793feULL, 0x1fb486e10cacd8ULL,
    0x1fb3f1a6c9be0dULL, 0x1fb358217f4e19ULL, 0x1fb2ba2bdfa84cULL, 0x1fb2179eb2963bULL,
    0x1fb17050b6f1fcULL, 0x1fb0c41681dff5ULL, 0x1fb012c25b7a14ULL, 0x1faf5c2418b07fULL,
    0x1faea008f21d6eULL, 0x1fadde3b5782c2ULL, 0x1fad1682bf9feaULL, 0x1fac48a3740586ULL,
    0x1fab745e588233ULL, 0x1faa9970adb859ULL, 0x1fa9b793ce5ff0ULL, 0x1fa8ce7ce6a876ULL,
    0x1fa7dddca51ec5ULL, 0x1fa6e55ee46784ULL, 0x1fa5e4aa4d097eULL, 0x1fa4db5fee6aa4ULL,
    0x1fa3c91ace0684ULL, 0x1fa2ad6f6bc4fdULL, 0x1fa187eb3a333aULL, 0x1fa058140936c1ULL,
    0x1f9f1d6761a1cfULL, 0x1f9dd759cfd804ULL, 0x1f9c85561b717bULL, 0x1f9b26bc697f01ULL,
    0x1f99bae146ba82ULL, 0x1f98410c968893ULL, 0x1f96b878633893ULL, 0x1f95204f8b64dcULL,
    0x1f9377ac47afd9ULL, 0x1f91bd968358e2ULL, 0x1f8ff102013e18ULL, 0x1f8e10cc45d04bULL,
    0x1f8c1bba3d39aeULL, 0x1f8a10759374fbULL, 0x1f87ed89b24263ULL, 0x1f85b16056b914ULL,
    0x1f835a3dad9163ULL, 0x1f80e63be2113aULL, 0x1f7e5346079f8bULL, 0x1f7b9f12413ff6ULL,
    0x1f78c71b045cc1ULL, 0x1f75c8974d09d8ULL, 0x1f72a07190f13bULL, 0x1f6f4b3d32e4f5ULL,
    0x1f6bc52a2b02e8ULL, 0x1f6809f685967aULL, 0x1f6414dd445773ULL, 0x1f5fe08210d08dULL,
    0x1f5b66d9099997ULL, 0x1f56a109c3ecc1ULL, 0x1f51874c5c3323ULL, 0x1f4c10bf1d3a10ULL,
    0x1f463332d788fcULL, 0x1f3fe2eb6e694dULL, 0x1f39125157c107ULL, 0x1f31b18fb95533ULL,
    0x1f29ae1951a875ULL, 0x1f20f20c452572ULL, 0x1f176369f1f77bULL, 0x1f0ce313a796b8ULL,
    0x1f014b76ddd4a5ULL, 0x1ef46eca361cd1ULL, 0x1ee614ae6e5689ULL, 0x1ed5f6f08799cfULL,
    0x1ec3bd07b46558ULL, 0x1eaef5b14ef09fULL, 0x1e970daf08ae3fULL, 0x1e7b42096f046dULL,
    0x1e5a8b177cb7a4ULL, 0x1e337b71d47838ULL, 0x1e0409dfac9dcaULL, 0x1dc934dd172c72ULL,
    0x1d7e5bd56b18b4ULL, 0x1d1bfe2d5c3974ULL, 0x1c951d0f88651cULL, 0x1bd127f719447dULL,
    0x1a9bb7320eb0afULL, 0x186ef58e3f3c11ULL, 0x137d5bd79c3180ULL, 0x00000000000000ULL,
};
const double rng__zig_w[256] = {
    0x1.164ec94bf5dc1p-50, 0x1.ec9d9297ebb83p-51, 0x1.bc39e51da71fcp-51,
    0x1.9e9dc0d487b85p-51, 0x1.8939fe6f2ed19p-51, 0x1.78750d6eac62fp-51,
    0x1.6aa676d4bbf72p-51, 0x1.5ee7ae17313d2p-51, 0x1.54ad83ccf73f6p-51,
    0x1.4b9d7cd4751d1p-51, 0x1.4379766e41362p-51, 0x1.3c14ec7c8b861p-51,
    0x1.354ee27ccf75ep-51, 0x1.2f0e38a4411f0p-51, 0x1.293f5ae49aaa5p-51,
    0x1.23d2bb659919fp-51, 0x1.1ebbca0c9fa7cp-51, 0x1.19f03bcb3c2d6p-51,
    0x1.156786775442ap-51, 0x1.111a8034392a6p-51, 0x1.0d031785d48a0p-51,
    0x1.091c1cdcba54ep-51, 0x1.056118bf58eefp-51, 0x1.01ce2b362ec2ep-51,
    0x1.fcbfe43f6c6e5p-52, 0x1.f626e9791f7a7p-52, 0x1.efcc26750ea4ap-52,
    0x1.e9aaf2af383c1p-52, 0x1.e3bf26e190960p-52, 0x1.de050af4ef19fp-52,
    0x1.d87946fec3becp-52, 0x1.d318d6b2738c5p-52, 0x1.cde0fecf2a97fp-52,
    0x1.c8cf442c8c8f4p-52, 0x1.c3e1641c2e0a7p-52, 0x1.bf154de4bef77p-52,
    0x1.ba691d276da5ep-52, 0x1.b5db15091ea0fp-52, 0x1.b1699c003b60ap-52,
    0x1.ad13382d845c4p-52, 0x1.a8d68c2ad86eap-52, 0x1.a4b2543e84c3bp-52,
    0x1.a0a563e49f178p-52, 0x1.9caea3a24d9eap-52, 0x1.98cd0f18d1ad8p-52,
    0x1.94ffb34fc2a0ep-52, 0x1.9145ad2f37544p-52, 0x1.8d9e2823b3695p-52,
    0x1.8a085ce695babp-52, 0x1.8683906687342p-52, 0x1.830f12cc0bec3p-52,
    0x1.7faa3e96e1412p-52, 0x1.7c5477d1476d3p-52, 0x1.790d2b56b71f9p-52,
    0x1.75d3ce2bd71c3p-52, 0x1.72a7dce5cd218p-52, 0x1.6f88db1f42507p-52,
    0x1.6c7652f9a7b1ep-52, 0x1.696fd4a9748eep-52, 0x1.6674f60c3f432p-52,
    0x1.63855247b2e94p-52, 0x1.60a0897081879p-52, 0x1.5dc640388bd9ep-52,
    0x1.5af61fa38e107p-52, 0x1.582fd4c1b4461p-52, 0x1.5573106f8a75ap-52,
    0x1.52bf871acaab2p-52, 0x1.5014f08b99508p-52, 0x1.4d7307b1cb127p-52,
    0x1.4ad98a75da14cp-52, 0x1.4848398d39432p-52, 0x1.45bed851bc92cp-52,
    0x1.433d2c9bd42f8p-52, 0x1.40c2fe9f5eeadp-52, 0x1.3e5018cadded0p-52,
    0x1.3be447a8d8b83p-52, 0x1.397f59c345143p-52, 0x1.37211f88ca856p-52,
    0x1.34c96b33bc965p-52, 0x1.327810b2aa7d0p-52, 0x1.302ce59265965p-52,
    0x1.2de7c0e962d70p-52, 0x1.2ba87b445db51p-52, 0x1.296eee942532bp-52,
    0x1.273af61c7daa6p-52, 0x1.250c6e6403bbap-52, 0x1.22e33524fe550p-52,
    0x1.20bf293f0f4a2p-52, 0x1.1ea02aa9b3370p-52, 0x1.1c861a6782a5ap-52,
    0x1.1a70da7a27820p-52, 0x1.18604dd6fae9ep-52, 0x1.1654585c404c1p-52,
    0x1.144cdec6f3a2bp-52, 0x1.1249c6a92154ap-52, 0x1.104af660befcep-52,
    0x1.0e50550efcfb7p-52, 0x1.0c59ca900946fp-52, 0x1.0a673f733c819p-52,
    0x1.08789cf3aad0fp-52, 0x1.068dccf1126dbp-52, 0x1.04a6b9e9224a3p-52,
    0x1.02c34ef11391bp-52, 0x1.00e377af911d4p-52, 0x1.fe0e40add09d8p-53,
    0x1.fa5c6b3efe1e5p-53, 0x1.f6b1498515ed0p-53, 0x1.f30cb6ea0bc7fp-53,
    0x1.ef6e8fc5b9168p-53, 0x1.ebd6b154a7678p-53, 0x1.e844f9af4237fp-53,
    0x1.e4b947c16a452p-53, 0x1.e1337b426509bp-53, 0x1.ddb374ad2357fp-53,
    0x1.da391538da50ap-53, 0x1.d6c43ed1ea3fep-53, 0x1.d354d4130f2adp-53,
    0x1.cfeab83ed7180p-53, 0x1.cc85cf395a56cp-53, 0x1.c925fd82323fbp-53,
    0x1.c5cb282eab1a4p-53, 0x1.c27534e42e02dp-53, 0x1.bf2409d2dfd85p-53,
    0x1.bbd78db072610p-53, 0x1.b88fa7b324fb6p-53, 0x1.b54c3f8cf2542p-53,
    0x1.b20d3d66e8bb5p-53, 0x1.aed289dcaacffp-53, 0x1.ab9c0df81657ap-53,
    0x1.a869b32d0f30fp-53, 0x1.a53b63556c690p-53, 0x1.a21108ad0592dp-53,
    0x1.9eea8dcdde951p-53, 0x1.9bc7ddac7035dp-53, 0x1.98a8e3940bbf4p-53,
    0x1.958d8b235828ap-53, 0x1.9275c048e73e1p-53, 0x1.8f616f3fe1513p-53,
    0x1.8c50848cc6094p-53, 0x1.8942ecfa40f54p-53, 0x1.86389596108e7p-53,
    0x1.83316badfe62ap-53, 0x1.802d5ccce7277p-53, 0x1.7d2c56b7d17f7p-53,
    0x1.7a2e476b1240ap-53, 0x1.77331d177d130p-53, 0x1.743ac61fa041cp-53,
    0x1.714531150a9fbp-53, 0x1.6e524cb59a608p-53, 0x1.6b6207e8d3cdfp-53,
    0x1.687451bd3ebeep-53, 0x1.65891965c9b8cp-53, 0x1.62a04e3731a2ep-53,
    0x1.5fb9dfa56cf26p-53, 0x1.5cd5bd4119335p-53, 0x1.59f3d6b4e9cf9p-53,
    0x1.57141bc316f27p-53, 0x1.54367c42cb5f8p-53, 0x1.515ae81d900fbp-53,
    0x1.4e814f4cb45eap-53, 0x1.4ba9a1d6b18a4p-53, 0x1.48d3cfcc883c4p-53,
    0x1.45ffc94716ca7p-53, 0x1.432d7e6466cd0p-53, 0x1.405cdf44f09c4p-53,
    0x1.3d8ddc08d336dp-53, 0x1.3ac064ccfeffcp-53, 0x1.37f469a851af0p-53,
    0x1.3529daa8a1ba1p-53, 0x1.3260a7cfb7611p-53, 0x1.2f98c11031721p-53,
    0x1.2cd2164a53b5dp-53, 0x1.2a0c9748bcdaap-53, 0x1.274833bd0189fp-53,
    0x1.2484db3c2a329p-53, 0x1.21c27d3b10e05p-53, 0x1.1f01090a9c4e2p-53,
    0x1.1c406dd3d5283p-53, 0x1.19809a93d2396p-53, 0x1.16c17e1777ffbp-53,
    0x1.140306f707dbep-53, 0x1.114523917ac15p-53, 0x1.0e87c207a2f66p-53,
    0x1.0bcad03710137p-53, 0x1.090e3bb4b0072p-53, 0x1.0651f1c7276f8p-53,
    0x1.0395df60db162p-53, 0x1.00d9f119a3cd9p-53, 0x1.fc3c26504a9a1p-54,
    0x1.f6c462b57feb5p-54, 0x1.f14c6e202949fp-54, 0x1.ebd41e5e21b62p-54,
    0x1.e65b483cf1044p-54, 0x1.e0e1bf77c31fep-54, 0x1.db6756a429057p-54,
    0x1.d5ebdf1d86b8dp-54, 0x1.d06f28ef0e6fbp-54, 0x1.caf102bc25adbp-54,
    0x1.c57139a70d29fp-54, 0x1.bfef99359fe99p-54, 0x1.ba6beb33f8f89p-54,
    0x1.b4e5f794c979bp-54, 0x1.af5d844f224c9p-54, 0x1.a9d255396d261p-54,
    0x1.a4442be14884ap-54, 0x1.9eb2c75ff03bfp-54, 0x1.991de42ad1338p-54,
    0x1.93853bdfda244p-54, 0x1.8de8850d0c52ap-54, 0x1.884772f2be1ecp-54,
    0x1.82a1b53fed599p-54, 0x1.7cf6f7c7e8172p-54, 0x1.7746e23077973p-54,
    0x1.71911797990bbp-54, 0x1.6bd5362faa944p-54, 0x1.6612d6d0c68e0p-54,
    0x1.60498c7dd2ecfp-54, 0x1.5a78e3db8befdp-54, 0x1.54a0629786f4dp-54,
    0x1.4ebf86bcd0b93p-54, 0x1.48d5c5f35e712p-54, 0x1.42e28ca706748p-54,
    0x1.3ce53d12162a0p-54, 0x1.36dd2e26d8202p-54, 0x1.30c9aa526da4bp-54,
    0x1.2aa9ee123680bp-54, 0x1.247d26538ff2ep-54, 0x1.1e426e93e49e7p-54,
    0x1.17f8ceb4bdfa0p-54, 0x1.119f38749f5afp-54, 0x1.0b348479b80fcp-54,
    0x1.04b76ed6a7558p-54, 0x1.fc4d25d683209p-55, 0x1.ef00ccf5f4faap-55,
    0x1.e186678f1735ap-55, 0x1.d3da24df17c36p-55, 0x1.c5f7bd78c3f89p-55,
    0x1.b7da5dddda3c4p-55, 0x1.a97c8be5d5203p-55, 0x1.9ad80552237d2p-55,
    0x1.8be5954d3606fp-55, 0x1.7c9cdda17d019p-55, 0x1.6cf40f0a72bbdp-55,
    0x1.5cdf89d024ac3p-55, 0x1.4c515c60bfe21p-55, 0x1.3b388fe3d6ecap-55,
    0x1.2980290da2633p-55, 0x1.170db24d6f670p-55, 0x1.03bf049c65c3cp-55,
    0x1.decd8b76dbd98p-56, 0x1.b38d1ef79b7ccp-56, 0x1.85090fbc27a80p-56,
    0x1.522e6e54a2a73p-56, 0x1.19335a95b8dbap-56, 0x1.ad6b2495b4d2bp-57,
    0x1.0589d8b5d4119p-57,
};
static const double zig_f[257] = {
    0x1.5e5d3f59d055cp-13, 0x1.dc31c329f0b4bp-12, 0x1.fb20af78dfcb9p-11,
    0x1.92bb5540c3e25p-10, 0x1.1946ba8e1a324p-9, 0x1.6d888f3a1feffp-9,
    0x1.c58b381cd4b11p-9, 0x1.1073d69574043p-8, 0x1.3fa97cee322fdp-8,
    0x1.7049f37ec3620p-8, 0x1.a23e9d4974836p-8, 0x1.d5751fa745dc5p-8,
    0x1.04ef2295fd7f9p-7, 0x1.1fb69edb37671p-7, 0x1.3b0b8c1516f62p-7,
    0x1.56e930be416cbp-7, 0x1.734b6e6aa74f5p-7, 0x1.902ea688fa7bdp-7,
    0x1.ad8fa5542c92dp-7, 0x1.cb6b9146e2757p-7, 0x1.e9bfdde89c7cep-7,
    0x1.04452091e02f0p-6, 0x1.13e4554725f5fp-6, 0x1.23bc9e1b93a32p-6,
    0x1.33cd225315d84p-6, 0x1.44151ce87f0bep-6, 0x1.5493da6ab0251p-6,
    0x1.6548b72a24077p-6, 0x1.76331da87fc96p-6, 0x1.8752853ec9967p-6,
    0x1.98a670f132a48p-6, 0x1.aa2e6e6924e9bp-6, 0x1.bbea150fa5870p-6,
    0x1.cdd9054331b0cp-6, 0x1.dffae7a517468p-6, 0x1.f24f6c7af9890p-6,
    0x1.026b2590dfaeep-5, 0x1.0bc7a0c7cd651p-5, 0x1.153d09f19b3a1p-5,
    0x1.1ecb45ff312d4p-5, 0x1.28723c956c00cp-5, 0x1.3231d7e3f14aep-5,
    0x1.3c0a047ff18ffp-5, 0x1.45fab14266b19p-5, 0x1.5003cf296c5ebp-5,
    0x1.5a25513c5d2cap-5, 0x1.645f2c726a041p-5, 0x1.6eb1579b6af52p-5,
    0x1.791bcb4ab089ep-5, 0x1.839e81c3a396bp-5, 0x1.8e3976e80776dp-5,
    0x1.98eca827b7c4cp-5, 0x1.a3b81471bf138p-5, 0x1.ae9bbc26a8084p-5,
    0x1.b997a10bed985p-5, 0x1.c4abc640721e9p-5, 0x1.cfd83031e794ap-5,
    0x1.db1ce49315810p-5, 0x1.e679ea52eb2e5p-5, 0x1.f1ef49944e834p-5,
    0x1.fd7d0ba699676p-5, 0x1.04919d7f5c817p-4, 0x1.0a70f19871b3bp-4,
    0x1.105c88756ca50p-4, 0x1.165468f755392p-4, 0x1.1c589a86fa340p-4,
    0x1.22692512c9d8cp-4, 0x1.2886110ce0570p-4, 0x1.2eaf676948dd1p-4,
    0x1.34e5319c6e718p-4, 0x1.3b277999b9f9ep-4, 0x1.417649d25b10ep-4,
    0x1.47d1ad343985cp-4, 0x1.4e39af290d929p-4, 0x1.54ae5b959d036p-4,
    0x1.5b2fbed91bb3ep-4, 0x1.61bde5ccadef7p-4, 0x1.6858ddc30b620p-4,
    0x1.6f00b488416b6p-4, 0x1.75b5786193c1ep-4, 0x1.7c77380d7a6f3p-4,
    0x1.834602c3bc4bap-4, 0x1.8a21e835a533bp-4, 0x1.910af88e574b9p-4,
    0x1.9801447336b70p-4, 0x1.9f04dd046f428p-4, 0x1.a615d3dd938b7p-4,
    0x1.ad343b1655465p-4, 0x1.b460254356548p-4, 0x1.bb99a5771268fp-4,
    0x1.c2e0cf42e10afp-4, 0x1.ca35b6b80fd57p-4, 0x1.d198706914dd7p-4,
    0x1.d909116ad9398p-4, 0x1.e087af561bafbp-4, 0x1.e8146048eb9ccp-4,
    0x1.efaf3ae83c33cp-4, 0x1.f758566190414p-4, 0x1.ff0fca6cbea8dp-4,
    0x1.036ad7a6e7f04p-3, 0x1.07550eeb7a5bep-3, 0x1.0b4697b54b62fp-3,
    0x1.0f3f7efec1720p-3, 0x1.133fd20c9712fp-3, 0x1.17479e6f0ae78p-3,
    0x1.1b56f2031d666p-3, 0x1.1f6ddaf3dca65p-3, 0x1.238c67bbbe878p-3,
    0x1.27b2a72609940p-3, 0x1.2be0a8504cf34p-3, 0x1.30167aabe7d6ep-3,
    0x1.34542dffa0cafp-3, 0x1.3899d2694d5c9p-3, 0x1.3ce7785f8a905p-3,
    0x1.413d30b386a9ap-3, 0x1.459b0c92dccc6p-3, 0x1.4a011d8983096p-3,
    0x1.4e6f7583cb6fap-3, 0x1.52e626d078c49p-3, 0x1.57654422e78f5p-3,
    0x1.5bece0954c2b6p-3, 0x1.607d0fab06a31p-3, 0x1.6515e5530d1acp-3,
    0x1.69b775ea6da28p-3, 0x1.6e61d63ee84eap-3, 0x1.73151b91a2839p-3,
    0x1.77d15b99f46fep-3, 0x1.7c96ac8851baep-3, 0x1.816525094e7e6p-3,
    0x1.863cdc48c1af9p-3, 0x1.8b1de9f5062d5p-3, 0x1.900866425bb79p-3,
    0x1.94fc69ee692a1p-3, 0x1.99fa0e43e1623p-3, 0x1.9f016d1e4c512p-3,
    0x1.a412a0edf5cbcp-3, 0x1.a92dc4bc03c49p-3, 0x1.ae52f42eb5b0bp-3,
    0x1.b3824b8dcef3ep-3, 0x1.b8bbe7c72e4a5p-3, 0x1.bdffe67394435p-3,
    0x1.c34e65db9afeep-3, 0x1.c8a784fce1802p-3, 0x1.ce0b638f6d09fp-3,
    0x1.d37a220b431fdp-3, 0x1.d8f3e1ae3eeb8p-3, 0x1.de78c48224f39p-3,
    0x1.e408ed62f83a7p-3, 0x1.e9a48005940f2p-3, 0x1.ef4ba0fe8e09bp-3,
    0x1.f4fe75c963e7ep-3, 0x1.fabd24cff9354p-3, 0x1.0043eab93476ap-2,
    0x1.032f580797c2cp-2, 0x1.0620ef05d90d2p-2, 0x1.0918c4ee93e13p-2,
    0x1.0c16ef88f5333p-2, 0x1.0f1b852d9a66cp-2, 0x1.12269ccba9fbap-2,
    0x1.15384dee291efp-2, 0x1.1850b0c191982p-2, 0x1.1b6fde19abc5ap-2,
    0x1.1e95ef77b09dbp-2, 0x1.21c2ff10b7effp-2, 0x1.24f727d4776fdp-2,
    0x1.2832857457629p-2, 0x1.2b75346ae2262p-2, 0x1.2ebf520394270p-2,
    0x1.3210fc6312435p-2, 0x1.356a528fcd0ddp-2, 0x1.38cb747b17defp-2,
    0x1.3c34830abb285p-2, 0x1.3fa5a0230a14ep-2, 0x1.431eeeb1841e2p-2,
    0x1.46a092b80beefp-2, 0x1.4a2ab158bdad3p-2, 0x1.4dbd70e26f91dp-2,
    0x1.5158f8dde89f5p-2, 0x1.54fd721bda3e7p-2, 0x1.58ab06c3aa9efp-2,
    0x1.5c61e2631ee6cp-2, 0x1.602231fef5876p-2, 0x1.63ec2424827e4p-2,
    0x1.67bfe8fc60d9fp-2, 0x1.6b9db25e4e99cp-2, 0x1.6f85b3e649e9dp-2,
    0x1.7378230b08deap-2, 0x1.77753735e72e3p-2, 0x1.7b7d29dc6801ep-2,
    0x1.7f90369b6ce59p-2, 0x1.83ae9b5446138p-2, 0x1.87d8984bc3f8cp-2,
    0x1.8c0e704b75d39p-2, 0x1.905068c545d04p-2, 0x1.949ec9f9a8110p-2,
    0x1.98f9df2097ba8p-2, 0x1.9d61f695a3792p-2, 0x1.a1d76207521f4p-2,
    0x1.a65a76aa30140p-2, 0x1.aaeb8d6fdf6e5p-2, 0x1.af8b03428ef5fp-2,
    0x1.b43939454806fp-2, 0x1.b8f6951990b88p-2, 0x1.bdc3812aeeeb5p-2,
    0x1.c2a06d00ea583p-2, 0x1.c78dcd983fb60p-2, 0x1.cc8c1dc40e092p-2,
    0x1.d19bde97e1a0bp-2, 0x1.d6bd97db9ed7ap-2, 0x1.dbf1d88a7210cp-2,
    0x1.e139375e137fcp-2, 0x1.e6945367dd351p-2, 0x1.ec03d4b969d90p-2,
    0x1.f1886d1eb424dp-2, 0x1.f722d8ebfc5fap-2, 0x1.fcd3dfe214576p-2,
    0x1.014e2b160f324p-1, 0x1.043e8ebd26548p-1, 0x1.073b931ee3b7dp-1,
    0x1.0a45b8854d02ap-1, 0x1.0d5d8812b1e2bp-1, 0x1.108394a1cc38dp-1,
    0x1.13b87bc33169cp-1, 0x1.16fce6dce6feep-1, 0x1.1a518c71e3b25p-1,
    0x1.1db7319877b89p-1, 0x1.212eaba813ec8p-1, 0x1.24b8e228c50a3p-1,
    0x1.2856d111132bdp-1, 0x1.2c098b61f4f24p-1, 0x1.2fd23e345da5ep-1,
    0x1.33b23450e6318p-1, 0x1.37aada708ddd9p-1, 0x1.3bbdc44e1d114p-1,
    0x1.3fecb2bb18b80p-1, 0x1.44399afa8e125p-1, 0x1.48a6afb8ee069p-1,
    0x1.4d366c151f8afp-1, 0x1.51eba1578899ap-1, 0x1.56c9882da8773p-1,
    0x1.5bd3d694cac75p-1, 0x1.610edc1a7af66p-1, 0x1.667fa6d4f5c06p-1,
    0x1.6c2c3498418c6p-1, 0x1.721bb5ba94b63p-1, 0x1.7856e9b09d47ep-1,
    0x1.7ee8a2d243126p-1, 0x1.85de87806c5b8p-1, 0x1.8d4a376d3d22fp-1,
    0x1.95431c455aa39p-1, 0x1.9de9715556d9bp-1, 0x1.a76baa562fae7p-1,
    0x1.b210f0ee67f2ap-1, 0x1.be5007beb7b27p-1, 0x1.cd0a65081fff1p-1,
    0x1.e0545e5881137p-1, 0x1.0000000000000p+0,
};
/* Generated by sim/rng_tables.py: END */

/* The draws rng_exp1 does not accept at once: layer i, position m (53 bits)
 * at or beyond x_{i+1}. */
double rng__exp1_slow(rng_t *r, unsigned i, uint64_t m)
{
    for (;;) {
        if (i == 0)
            return ZIG_R - log(rng_uniform_pos(r));
        double x = (double)(int64_t)m * rng__zig_w[i];
        if (zig_f[i] + rng_uniform(r) * (zig_f[i + 1] - zig_f[i]) < exp(-x))
            return x;
        uint64_t u = rng_next(r);
        i = (unsigned)(u & 0xff);
        m = u >> 11;
        if (m < rng__zig_k[i])
            return (double)(int64_t)m * rng__zig_w[i];
    }
}
