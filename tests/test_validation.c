/* Validation against queueing theory.
 *
 * Each test runs R independent replications of a scenario (seeds s..s+R-1)
 * and compares the replication mean of an estimator with its closed form.
 *
 * Tolerance: the estimators are (asymptotically) normal and the R
 * replications independent, so (mean - exact) / (sd / sqrt(R)) is Student t
 * with R-1 degrees of freedom. A test passes when |mean - exact| <=
 * t_{0.9995, R-1} * sd / sqrt(R): a correct model fails it with probability
 * 0.1% per check (deterministically, as the seeds are fixed). The tolerance
 * is therefore derived from the run length: it shrinks as 1/sqrt(customers).
 * So that a check cannot pass by being vague, each also asserts that the
 * standard error is below a stated fraction of the exact value (the power of
 * the test: a bias a few times that fraction would be caught).
 *
 * Little's law L = lambda W is checked on every run, per replication, with
 * the deterministic bound of its finite-horizon form: over the window
 * [warmup, end], integral N(t) dt and sum of sojourns of the customers that
 * arrived and left inside it differ only by the customers present at the
 * two ends, at most 2 * N_max of them, each contributing at most W_max:
 * |L - lambda W| <= 2 N_max W_max / T. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/stats.h"
#include "models/service.h"
#include "sim/world.h"

#define R 10

typedef struct est {
    double w, wq, l, util, pwait, p95, p99, block, tput;
    double little_err, little_bound;
} est_t;

static scenario_t *load(const char *yaml)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, "validation.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    return sc;
}

/* Runs replication rep and reads the estimators of service 0 (or of all
 * services' pods pooled, which is the same for one service). */
static est_t run_rep(const scenario_t *sc, int rep)
{
    world_t *w = world_new(sc, rep, NULL);
    assert_non_null(w);
    assert_int_equal(world_run(w), 0);
    const service_t *s = world_service(w, 0);
    double T = simtime_to_s(w->end - w->warmup);
    /* one service and nothing that kills pods: every failed request was
     * refused by its full queue, and the top-level counts say so */
    assert_int_equal(w->requests_rejected, s->rejected);
    assert_int_equal(w->requests_failed, w->requests_rejected);
    est_t e;
    e.w = hist_mean(&s->latency) / 1e9;
    e.wq = hist_mean(&s->wait) / 1e9;
    e.l = gauge_mean(&s->in_system, w->end);
    e.util = gauge_mean(&s->busy, w->end) / (s->npods * (double)s->cfg->concurrency);
    e.pwait = s->wait.n ? 1.0 - (double)s->wait.counts[0] / (double)s->wait.n : NAN;
    e.p95 = hist_quantile(&s->latency, 0.95) / 1e9;
    e.p99 = hist_quantile(&s->latency, 0.99) / 1e9;
    uint64_t offered = s->completed + s->rejected;
    e.block = offered ? (double)s->rejected / (double)(offered) : NAN;
    e.tput = (double)s->completed / T;
    e.little_err = fabs(e.l - e.tput * e.w);
    e.little_bound = 2.0 * s->in_system.max * ((double)s->latency.max / 1e9) / T;
    world_free(w);
    return e;
}

/* Checks that the replication mean of x estimates `exact` (see the header),
 * and that its standard error is at most max_rel_se of |exact|. */
static void check(const char *what, const double *x, double exact, double max_rel_se)
{
    double mean, half;
    stats_mean_ci95(x, R, &mean, &half);
    double se = half / stats_t_quantile(0.975, R - 1);
    double tol = stats_t_quantile(0.9995, R - 1) * se;
    printf("  %-34s exact %10.5f  simulated %10.5f  error %+7.3f%%  tolerance %6.3f%%  (se %.3f%%)\n", what, exact,
           mean, 100 * (mean - exact) / exact, 100 * tol / fabs(exact), 100 * se / fabs(exact));
    assert_true(fabs(mean - exact) <= tol);
    assert_true(se <= max_rel_se * fabs(exact));
}

#define COLLECT(field)                          \
    do {                                        \
        for (int i_ = 0; i_ < R; i_++)          \
            v[i_] = e[i_].field;                \
    } while (0)

static void run_all(const char *yaml, est_t e[R])
{
    scenario_t *sc = load(yaml);
    for (int i = 0; i < R; i++) {
        e[i] = run_rep(sc, i);
        /* Little's law, every replication */
        assert_true(e[i].little_err <= e[i].little_bound);
    }
    printf("  Little's law: |L - lambda W| / L <= %.4f%% in every replication (bound 2 Nmax Wmax / T)\n",
           100 * e[0].little_bound / e[0].l);
    scenario_free(sc);
}

static char yaml_buf[2048];

static const char *mmc_yaml(double lambda, int c, int qcap, const char *svc, const char *dur, const char *warm,
                            const char *lb, int pods)
{
    snprintf(yaml_buf, sizeof yaml_buf,
             "seed: 11\nduration: %s\nwarmup: %s\n"
             "traffic: {rate: %.17g/s, arrivals: poisson}\n"
             "services:\n  q:\n    replicas: %d\n    concurrency: %d\n    queue_capacity: %d\n"
             "    service_time: %s\n    load_balancer: %s\n",
             dur, warm, lambda, pods, c, qcap, svc, lb);
    return yaml_buf;
}

/* P(sojourn > t) in M/M/c: with probability 1-Pw no wait and Exp(mu)
 * service; else Exp(a) wait, a = c mu - lambda, plus Exp(mu) service
 * (hypoexponential). */
static double mmc_sojourn_tail(double t, double lambda, double mu, int c, double pw)
{
    double a = c * mu - lambda;
    double hypo = fabs(a - mu) < 1e-12 ? (1 + mu * t) * exp(-mu * t) : (a * exp(-mu * t) - mu * exp(-a * t)) / (a - mu);
    return (1 - pw) * exp(-mu * t) + pw * hypo;
}

static double mmc_sojourn_quantile(double q, double lambda, double mu, int c, double pw)
{
    double lo = 0, hi = 1e4;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (mmc_sojourn_tail(mid, lambda, mu, c, pw) > 1 - q)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

/* Erlang C: probability that an arrival waits in M/M/c. */
static double erlang_c(double lambda, double mu, int c)
{
    double a = lambda / mu, rho = a / c, term = 1, sum = 0;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    /* term = a^c / c! */
    double last = term / (1 - rho);
    return last / (sum + last);
}

static void mm1(double lambda)
{
    const double mu = 1.0;
    double rho = lambda / mu;
    est_t e[R];
    double v[R];
    /* Relaxation time of M/M/1 is about 1/(mu (1-sqrt(rho))^2): 34 s at 0.5,
     * 89 s at 0.8; the warm-up is 50 of those, the run about 5000. */
    run_all(mmc_yaml(lambda, 1, 1000000, "{dist: exponential, mean: 1s}", lambda < 0.6 ? "200000s" : "500000s",
                     lambda < 0.6 ? "2000s" : "5000s", "round_robin", 1),
            e);
    COLLECT(w);
    check("W = 1/(mu - lambda) [s]", v, 1 / (mu - lambda), 0.01);
    COLLECT(wq);
    check("Wq = rho/(mu - lambda) [s]", v, rho / (mu - lambda), 0.01);
    COLLECT(l);
    check("L = rho/(1 - rho)", v, rho / (1 - rho), 0.01);
    COLLECT(util);
    check("utilisation = rho", v, rho, 0.005);
    COLLECT(pwait);
    check("P(wait) = rho", v, rho, 0.005);
    /* sojourn ~ Exp(mu - lambda): p99 = ln(100)/(mu - lambda) */
    COLLECT(p99);
    check("p99 sojourn = ln 100/(mu-lambda) [s]", v, log(100.0) / (mu - lambda), 0.01);
}

static void test_mm1_rho05(void **state)
{
    (void)state;
    printf("M/M/1, lambda 0.5/s, mu 1/s (rho 0.5), %d x 200000 s\n", R);
    mm1(0.5);
}

static void test_mm1_rho08(void **state)
{
    (void)state;
    printf("M/M/1, lambda 0.8/s, mu 1/s (rho 0.8), %d x 500000 s\n", R);
    mm1(0.8);
}

static void test_mmc_erlang_c(void **state)
{
    (void)state;
    const double lambda = 3.2, mu = 1.0;
    const int c = 4;
    /* The closed forms, checked first against the values the issue states
     * (P(wait) = 0.5964, Wq = 0.7455 s, W = 1.7455 s, p99 = 6.893 s). */
    double pw = erlang_c(lambda, mu, c);
    double wq = pw / (c * mu - lambda), w = wq + 1 / mu;
    double p99 = mmc_sojourn_quantile(0.99, lambda, mu, c, pw);
    assert_true(fabs(pw - 0.5964) < 5e-5);
    assert_true(fabs(wq - 0.7455) < 5e-5);
    assert_true(fabs(w - 1.7455) < 5e-5);
    assert_true(fabs(p99 - 6.893) < 5e-4);
    printf("M/M/4 (one pod, concurrency 4), lambda 3.2/s, mu 1/s, %d x 200000 s\n", R);
    est_t e[R];
    double v[R];
    run_all(mmc_yaml(lambda, c, 1000000, "{dist: exponential, mean: 1s}", "200000s", "2000s", "round_robin", 1), e);
    COLLECT(pwait);
    check("P(wait) Erlang C", v, pw, 0.005);
    COLLECT(wq);
    check("Wq = C/(c mu - lambda) [s]", v, wq, 0.01);
    COLLECT(w);
    check("W = Wq + 1/mu [s]", v, w, 0.005);
    COLLECT(p99);
    check("p99 sojourn [s]", v, p99, 0.01);
    COLLECT(util);
    check("utilisation = lambda/(c mu)", v, lambda / (c * mu), 0.005);
}

static void test_md1_pollaczek_khinchine(void **state)
{
    (void)state;
    /* M/D/1: Wq = lambda E[S^2] / (2 (1 - rho)) = rho / (2 mu (1 - rho)) with
     * E[S^2] = 1/mu^2 for a constant service time. */
    const double lambda = 0.8, s = 1.0, rho = lambda * s;
    printf("M/D/1, lambda 0.8/s, service 1 s, %d x 300000 s\n", R);
    est_t e[R];
    double v[R];
    run_all(mmc_yaml(lambda, 1, 1000000, "{dist: deterministic, value: 1s}", "300000s", "3000s", "random", 1), e);
    double wq = lambda * s * s / (2 * (1 - rho));
    COLLECT(wq);
    check("Wq (Pollaczek-Khinchine) [s]", v, wq, 0.01);
    COLLECT(w);
    check("W = Wq + S [s]", v, wq + s, 0.01);
    COLLECT(l);
    check("L = lambda W", v, lambda * (wq + s), 0.01);
}

static void test_mmck_blocking(void **state)
{
    (void)state;
    /* M/M/c/K with c = 2 workers and 3 waiting places (K = 5), offered load
     * a = lambda/mu = 2: p_n is proportional to a^n/n! for n <= c and to
     * a^n/(c! c^(n-c)) above: 1, 2, 2, 2, 2, 2, so p_K = 2/11. By PASTA an
     * arrival is rejected with probability p_K. */
    const double lambda = 2.0, mu = 1.0, a = lambda / mu;
    enum { c = 2, K = 5 };
    double p[K + 1], sum = 0;
    for (int n = 0; n <= K; n++) {
        double f = 1;
        for (int k = 1; k <= (n < c ? n : c); k++)
            f *= k;
        p[n] = pow(a, n) / (f * pow(c, n > c ? n - c : 0));
        sum += p[n];
    }
    for (int n = 0; n <= K; n++)
        p[n] /= sum;
    assert_true(fabs(p[K] - 2.0 / 11.0) < 1e-12);
    double L = 0;
    for (int n = 0; n <= K; n++)
        L += n * p[n];
    double lambda_eff = lambda * (1 - p[K]);
    printf("M/M/2/5, lambda 2/s, mu 1/s, %d x 100000 s\n", R);
    est_t e[R];
    double v[R];
    run_all(mmc_yaml(lambda, c, K - c, "{dist: exponential, mean: 1s}", "100000s", "1000s", "round_robin", 1), e);
    COLLECT(block);
    check("blocking probability p_K = 2/11", v, p[K], 0.01);
    COLLECT(tput);
    check("throughput lambda (1 - p_K) [/s]", v, lambda_eff, 0.005);
    COLLECT(l);
    check("L = sum n p_n", v, L, 0.01);
    COLLECT(w);
    check("W = L / lambda_eff [s]", v, L / lambda_eff, 0.01);
}

static void test_random_split(void **state)
{
    (void)state;
    /* Poisson arrivals split uniformly at random over k pods are k
     * independent Poisson streams: each pod is M/M/1 with lambda/k. With
     * lambda 2.4/s over 4 pods of one worker and mu 1/s: rho 0.6, sojourn
     * Exp(0.4): W = 2.5 s, p95 = ln 20 / 0.4, p99 = ln 100 / 0.4. */
    const double lambda = 2.4, mu = 1.0;
    const int k = 4;
    double nu = mu - lambda / k;
    printf("random split over 4 pods of M/M/1, lambda 2.4/s, mu 1/s, %d x 100000 s\n", R);
    est_t e[R];
    double v[R];
    run_all(mmc_yaml(lambda, 1, 1000000, "{dist: exponential, mean: 1s}", "100000s", "2000s", "random", k), e);
    COLLECT(w);
    check("W = 1/(mu - lambda/k) [s]", v, 1 / nu, 0.01);
    COLLECT(p95);
    check("p95 sojourn = ln 20/(mu - lambda/k)", v, log(20.0) / nu, 0.01);
    COLLECT(p99);
    check("p99 sojourn = ln 100/(mu - lambda/k)", v, log(100.0) / nu, 0.015);
    COLLECT(util);
    check("utilisation = lambda/(k mu)", v, lambda / (k * mu), 0.005);
    COLLECT(pwait);
    check("P(wait) = rho", v, lambda / (k * mu), 0.005);
    /* Round robin feeds each pod Erlang-4 gaps, which are more regular than
     * exponential ones: its mean sojourn must be lower (Kingman). */
    double w_random = 0, w_rr = 0;
    for (int i = 0; i < R; i++)
        w_random += e[i].w / R;
    run_all(mmc_yaml(lambda, 1, 1000000, "{dist: exponential, mean: 1s}", "100000s", "2000s", "round_robin", k), e);
    for (int i = 0; i < R; i++)
        w_rr += e[i].w / R;
    printf("  round robin W %.4f s < random W %.4f s\n", w_rr, w_random);
    assert_true(w_rr < w_random * 0.9);
}

static void test_same_seed_same_numbers(void **state)
{
    (void)state;
    scenario_t *sc = load(mmc_yaml(3.2, 4, 1000, "{dist: lognormal, mean: 1s, cv: 2}", "5000s", "100s", "power_of_two", 3));
    metrics_t m[3];
    for (int i = 0; i < 3; i++) {
        metrics_init(&m[i]);
        world_t *w = world_new(sc, i == 2 ? 1 : 0, NULL);
        assert_non_null(w);
        assert_int_equal(world_run(w), 0);
        world_collect(w, &m[i]);
        world_free(w);
    }
    assert_int_equal(m[0].n, m[1].n);
    /* The same replication twice: every number equal to the bit. */
    for (size_t i = 0; i < m[0].n; i++)
        assert_memory_equal(&m[0].v[i].value, &m[1].v[i].value, sizeof(double));
    /* Another seed: other numbers (latency mean of the service). */
    const metric_t *a = metrics_find(&m[0], "services.q.latency_ms.mean");
    const metric_t *b = metrics_find(&m[2], "services.q.latency_ms.mean");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a->value != b->value);
    for (int i = 0; i < 3; i++)
        metrics_free(&m[i]);
    scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1_rho05),
        cmocka_unit_test(test_mm1_rho08),
        cmocka_unit_test(test_mmc_erlang_c),
        cmocka_unit_test(test_md1_pollaczek_khinchine),
        cmocka_unit_test(test_mmck_blocking),
        cmocka_unit_test(test_random_split),
        cmocka_unit_test(test_same_seed_same_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
