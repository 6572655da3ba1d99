/* bench_rng: the cost of one random draw, per generator and per path.
 *
 * Uniform on [0, 1) and exponential with mean 1, from GSL's mt19937 (the
 * engine's generator until sim/rng.c changed it), taus2 and gfsr4 (GSL's
 * fastest), and xoshiro256++ (sim/rng) both through GSL's function pointer
 * and through the inline draws of sim/rng.h. The exponential is -log U
 * (what dist.c did: U from gsl_rng_uniform_pos) for each generator, and
 * sim/rng's ziggurat (rng_exp1).
 *
 * 15 rounds; in each, every variant draws 2,000,000 times in turn (the
 * order rotating by round), timed in thread CPU time. Printed per variant:
 * the median ns per draw over the rounds, the fastest round, and the median
 * of the per-round ratios to mt19937 of the same kind (each ratio pairs
 * two timings taken a few milliseconds apart, so it survives a machine
 * whose speed drifts). sim/rng.c quotes these ratios. Never a pass/fail on
 * time: it prints numbers. */
#define _DEFAULT_SOURCE
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/rng.h"

enum { ROUNDS = 15, DRAWS = 2000000 };

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double u_gsl(gsl_rng *g, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += gsl_rng_uniform(g);
    return s;
}

static double e_gsl(gsl_rng *g, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += -log(gsl_rng_uniform_pos(g));
    return s;
}

static double u_inline(gsl_rng *g, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += rng_uniform(g);
    return s;
}

static double e_inline_log(gsl_rng *g, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += -log(rng_uniform_pos(g));
    return s;
}

static double e_zig(gsl_rng *g, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += rng_exp1(g);
    return s;
}

typedef struct variant {
    const char *name;
    int exp;                        /* 0 uniform, 1 exponential */
    const gsl_rng_type *const *type;  /* GSL's, or NULL for rng_new */
    double (*run)(gsl_rng *g, long n);
    gsl_rng *g;
    double ns[ROUNDS], ratio[ROUNDS];
} variant_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double t[ROUNDS];
    for (int i = 0; i < n; i++)
        t[i] = v[i];
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

int main(void)
{
    variant_t v[] = {
        {"uniform  mt19937      gsl_rng_uniform", 0, &gsl_rng_mt19937, u_gsl, NULL, {0}, {0}},
        {"uniform  taus2        gsl_rng_uniform", 0, &gsl_rng_taus2, u_gsl, NULL, {0}, {0}},
        {"uniform  gfsr4        gsl_rng_uniform", 0, &gsl_rng_gfsr4, u_gsl, NULL, {0}, {0}},
        {"uniform  xoshiro256++ gsl_rng_uniform", 0, NULL, u_gsl, NULL, {0}, {0}},
        {"uniform  xoshiro256++ rng_uniform", 0, NULL, u_inline, NULL, {0}, {0}},
        {"exp      mt19937      -log(gsl_rng_uniform_pos)", 1, &gsl_rng_mt19937, e_gsl, NULL, {0}, {0}},
        {"exp      taus2        -log(gsl_rng_uniform_pos)", 1, &gsl_rng_taus2, e_gsl, NULL, {0}, {0}},
        {"exp      gfsr4        -log(gsl_rng_uniform_pos)", 1, &gsl_rng_gfsr4, e_gsl, NULL, {0}, {0}},
        {"exp      xoshiro256++ -log(gsl_rng_uniform_pos)", 1, NULL, e_gsl, NULL, {0}, {0}},
        {"exp      xoshiro256++ -log(rng_uniform_pos)", 1, NULL, e_inline_log, NULL, {0}, {0}},
        {"exp      xoshiro256++ rng_exp1 (ziggurat)", 1, NULL, e_zig, NULL, {0}, {0}},
    };
    enum { NV = sizeof v / sizeof v[0] };
    for (int i = 0; i < NV; i++) {
        if (v[i].type) {
            v[i].g = gsl_rng_alloc(*v[i].type);
            if (v[i].g)
                gsl_rng_set(v[i].g, 7);
        } else {
            v[i].g = rng_new(7, "bench_rng");
        }
        if (!v[i].g) {
            fprintf(stderr, "bench_rng: out of memory\n");
            return 1;
        }
    }
    volatile double sink = 0;
    for (int i = 0; i < NV; i++)          /* warm-up: caches, tables, frequency */
        sink += v[i].run(v[i].g, DRAWS / 4);
    for (int k = 0; k < ROUNDS; k++) {
        for (int j = 0; j < NV; j++) {
            variant_t *x = &v[(j + k) % NV];
            double t0 = cpu_s();
            sink += x->run(x->g, DRAWS);
            x->ns[k] = (cpu_s() - t0) * 1e9 / DRAWS;
        }
        for (int i = 0; i < NV; i++)
            v[i].ratio[k] = v[i].ns[k] / v[v[i].exp ? 5 : 0].ns[k];
    }
    printf("== one draw, ns (thread CPU time; %d rounds of %d draws; median, fastest round)\n", ROUNDS, DRAWS);
    printf("%-50s %8s %8s %s\n", "", "median", "fastest", "vs mt19937 (median of per-round ratios)");
    for (int i = 0; i < NV; i++) {
        double lo = v[i].ns[0];
        for (int k = 1; k < ROUNDS; k++)
            lo = fmin(lo, v[i].ns[k]);
        printf("%-50s %8.2f %8.2f %6.3f\n", v[i].name, median(v[i].ns, ROUNDS), lo, median(v[i].ratio, ROUNDS));
        gsl_rng_free(v[i].g);
    }
    (void)sink;
    return 0;
}
