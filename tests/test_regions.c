/* test_regions: users in regions, the network legs between them, CDN
 * edges (routing, outages, purges, TTL and LRU caches) and the regions'
 * daily curves, through scenarios run end to end (scenario_load_string,
 * world_new, world_run, world_collect).
 *
 * Exact checks. Where nothing is random but the arrival times (a
 * deterministic service time far from saturation, or no service at all,
 * `route: []`), every latency is a sum of network legs and the service
 * time, so the histograms' exact fields are compared: n, sum, min and max
 * (sim/hist.h: only the quantiles are bucketed). A leg between locations a
 * and b costs its RTT, half each way: leg(a, b) = rtt(a, b) rounded to a
 * whole nanosecond; the model schedules whole nanoseconds, so each half may
 * be rounded (models/cdn.c halves with an integer division): a sum of k legs
 * is checked to within k ns (exact for the whole-millisecond RTTs of the
 * matrix tests).
 *
 * Statistical checks, as tests/test_validation.c. Counts are Poisson or
 * binomial and pass when within Z = 4.42 standard deviations (two-sided
 * 1e-5 of the normal approximation; every mean is in the thousands), so a
 * correct model fails one with probability about 1e-5, deterministically
 * since the seeds are fixed. Hit ratios are averaged over R independent
 * replications: |mean - theory| <= t_{0.9995, R-1} se + allowance, where the
 * allowance is a stated bound on the bias of a finite run (0 when there is
 * none); each also asserts se below a bound derived from the binomial
 * standard error (the power of the check).
 *
 * Runs from the repository root (make test does); about 2 s at -O2, 4 s
 * under ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/catalog.h"
#include "models/geo.h"
#include "models/traffic.h"
#include "sim/stats.h"
#include "sim/world.h"

#define R 10
#define Z 4.42

/* ---- helpers ---------------------------------------------------------------- */

static scenario_t *load_sets(const char *yaml, const char *const *sets, size_t nsets)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, "regions-test.yaml", sets, nsets, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    return sc;
}

static scenario_t *load(const char *yaml) { return load_sets(yaml, NULL, 0); }

static world_t *run_world(const scenario_t *sc, int rep, FILE *series, FILE *events)
{
    world_t *w = world_new(sc, rep, &(world_files_t){series, events, NULL});
    assert_non_null(w);
    int rc = world_run(w);
    if (rc != 0)
        fprintf(stderr, "world_run: %s\n", w->error);
    assert_int_equal(rc, 0);
    return w;
}

/* Runs replication rep, its time series to series (NULL: none), and
 * collects its metrics into m. */
static void run_metrics_series(const scenario_t *sc, int rep, FILE *series, metrics_t *m)
{
    world_t *w = run_world(sc, rep, series, NULL);
    metrics_init(m);
    world_collect(w, m);
    world_free(w);
}

static void run_metrics(const scenario_t *sc, int rep, metrics_t *m) { run_metrics_series(sc, rep, NULL, m); }

static double metric(const metrics_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static double metric(const metrics_t *m, const char *fmt, ...)
{
    char path[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    const metric_t *x = metrics_find(m, path);
    if (!x)
        fprintf(stderr, "no metric %s\n", path);
    assert_non_null(x);
    return x->value;
}

static int loc(const char *name)
{
    int i = geo_find(name);
    assert_true(i >= 0);
    return i;
}

static const regions_cfg_t *regions_of(const scenario_t *sc) { return &platform_of(sc)->regions; }

/* The round trip of a leg a-b (header), ns. */
static simtime_t leg(const scenario_t *sc, int a, int b)
{
    double ms = regions_of(sc)->rtt[a * GEO_NLOCATIONS + b];
    return (simtime_t)(ms * 1e6 + 0.5);
}

/* Every value of h is one value, within k ns of v (the rounding of k legs,
 * header), and there are some. Returns it. */
static simtime_t hist_all_equal(const char *what, const hist_t *h, simtime_t v, int k)
{
    printf("  %-44s n %7llu  min %.6f ms  max %.6f ms  expected %.6f ms\n", what, (unsigned long long)h->n,
           (double)h->min / 1e6, (double)h->max / 1e6, (double)v / 1e6);
    assert_true(h->n > 0);
    assert_int_equal(h->min, h->max);
    assert_true(h->min >= v - k && h->min <= v + k);
    assert_true(h->sum == (double)h->min * (double)h->n); /* sums of integers below 2^53: exact */
    return h->min;
}

static void check_count(const char *what, double n, double mean, double var)
{
    double tol = Z * sqrt(var);
    printf("  %-44s %9.0f  expected %10.1f  error %+8.1f  tolerance %7.1f (%.2f%%)\n", what, n, mean, n - mean, tol,
           100 * tol / mean);
    assert_true(fabs(n - mean) <= tol);
}

/* Replication mean of x against theory (header); returns the tolerance. */
static double check_reps(const char *what, const double *x, double theory, double allowance, double max_se)
{
    double mean, half;
    stats_mean_ci95(x, R, &mean, &half);
    double se = half / stats_t_quantile(0.975, R - 1);
    double tol = stats_t_quantile(0.9995, R - 1) * se + allowance;
    printf("  %-44s theory %.5f  simulated %.5f  error %+.5f  tolerance %.5f (se %.5f <= %.5f, allowance %.5f)\n",
           what, theory, mean, mean - theory, tol, se, max_se, allowance);
    assert_true(fabs(mean - theory) <= tol);
    assert_true(se <= max_se);
    return tol;
}

/* The rows of an event log (a tmpfile) that contain both a and b. */
static int log_rows(FILE *f, const char *a, const char *b)
{
    char line[512];
    int n = 0;
    rewind(f);
    while (fgets(line, sizeof line, f))
        if (strstr(line, a) && strstr(line, b))
            n++;
    return n;
}

/* ---- 1. legs of fixed RTT ---------------------------------------------------- */

/* One user region (london), the origin in new-york, one edge in london, the
 * matrix model with round RTTs: london-london 10 ms, london-new-york 70 ms,
 * new-york-new-york 4 ms (every pair of the locations in use). Nothing is
 * cached: `post` is a POST and `private` is private (both bypass the edge)
 * and visit `web`, whose service time is 5 ms and whose 1,000 workers never
 * queue at 50 requests/s; `direct` visits no service (the origin answers at
 * once). So every latency is fixed:
 *   post, private: 5 + RTT(london, london edge) + RTT(edge, new-york) = 85 ms
 *   direct:             RTT(london, london edge) + RTT(edge, new-york) = 80 ms
 * and with `cdn: {edges: []}` (no CDN, straight to the origin):
 *   post, private: 5 + RTT(london, new-york) = 75 ms;  direct: 70 ms. */
static const char *legs_yaml =
    "name: legs\nseed: 3\nduration: 60s\n"
    "traffic:\n  rate: 50/s\n  classes:\n"
    "    post: {share: 0.4, method: POST, path: /api/orders, route: [web]}\n"
    "    private: {share: 0.3, path: /api/public/me, private: true, route: [web]}\n"
    "    direct: {share: 0.3, method: POST, path: /api/ping, route: []}\n"
    "regions:\n  origin: new-york\n  routing: anycast\n  diurnal: false\n  network: {model: matrix}\n"
    "  rtt:\n    london: {london: 10ms, new-york: 70ms}\n    new-york: {new-york: 4ms}\n"
    "  users:\n    london: {share: 1}\n"
    "cdn: {edges: [london]}\n"
    "services:\n  web: {replicas: 1, concurrency: 1000, service_time: {dist: deterministic, value: 5ms}}\n";

static void legs_run(const char *const *sets, size_t nsets, double svc_ms, double direct_ms)
{
    scenario_t *sc = load_sets(legs_yaml, sets, nsets);
    world_t *w = run_world(sc, 0, NULL, NULL);
    const traffic_t *t = world_traffic(w);
    const traffic_cfg_t *tc = &platform_of(sc)->traffic;
    for (size_t k = 0; k < tc->nmix; k++) {
        char what[80];
        snprintf(what, sizeof what, "%s%s", tc->mix[k].name, nsets ? " (no CDN)" : "");
        double ms = tc->mix[k].nroute ? svc_ms : direct_ms;
        hist_all_equal(what, &t->cls_latency[k], simtime_from_s(ms / 1e3), 0);
    }
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    assert_true(fabs(metric(&m, "classes.post.latency_ms.mean") - svc_ms) < 1e-9);
    assert_true(fabs(metric(&m, "classes.direct.latency_ms.mean") - direct_ms) < 1e-9);
    assert_true(metric(&m, "requests.failed") == 0);
    if (!nsets) { /* every request bypassed the edge, none was looked up */
        /* (requests of the last 5 ms are still on their way to the edge) */
        double bypass = metric(&m, "cache.cdn.bypass");
        assert_true(bypass >= metric(&m, "requests.completed") && bypass <= metric(&m, "requests.total"));
        assert_true(metric(&m, "cache.cdn.hits") + metric(&m, "cache.cdn.misses") == 0);
        assert_true(metric(&m, "cache.cdn.origin_requests") == bypass);
    }
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);
}

static void test_legs_matrix(void **state)
{
    (void)state;
    printf("fixed legs, matrix RTTs (london 10 ms, london-new-york 70 ms), service 5 ms\n");
    legs_run(NULL, 0, 85, 80);
    static const char *const nocdn[] = {"cdn.edges=[]"};
    legs_run(nocdn, 1, 75, 70);
}

/* The great-circle model: RTT = 2 d fibre_factor / 200 km/ms + per_hop x
 * hops between distinct locations, local_rtt on the diagonal, d by the
 * haversine formula on a sphere of 6371 km (computed here independently).
 * With network {fibre_factor 1.3, per_hop 1 ms, hops 7, local_rtt 6 ms},
 * users in london and the origin in sydney, the `direct` latency is
 * leg(london, london) + leg(london, sydney); an `rtt` entry replaces one pair
 * (london-sydney 250 ms) and leaves the others to the model. */
static double haversine_km(int a, int b)
{
    const geo_location_t *p = geo_location(a), *q = geo_location(b);
    double r = acos(-1.0) / 180, dlat = (q->lat - p->lat) * r, dlon = (q->lon - p->lon) * r;
    double h = sin(dlat / 2) * sin(dlat / 2) + cos(p->lat * r) * cos(q->lat * r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * 6371.0 * asin(sqrt(h));
}

static void test_legs_great_circle(void **state)
{
    (void)state;
    static const char *const gc[] = {
        "regions.network={fibre_factor: 1.3, per_hop: 1ms, hops: 7, local_rtt: 6ms}",
        "regions.origin=sydney",
    };
    const int lon = loc("london"), syd = loc("sydney"), fra = loc("frankfurt");
    for (int pass = 0; pass < 2; pass++) {
        /* the matrix model goes: the base's rtt entries are removed (the
         * model must fill every pair) unless the second pass sets one */
        const char *sets[5] = {gc[0], gc[1], "regions.rtt={}", "regions.network.model=great_circle",
                               "regions.rtt={london: {sydney: 250ms}}"};
        scenario_t *sc = load_sets(legs_yaml, sets, pass ? 5 : 4);
        const regions_cfg_t *rg = regions_of(sc);
        double want = pass ? 250.0 : 2 * haversine_km(lon, syd) * 1.3 / 200 + 7;
        double lf = 2 * haversine_km(lon, fra) * 1.3 / 200 + 7;
        printf("  RTT london-sydney %.6f ms (formula %.6f), london-frankfurt %.6f (%.6f), london-london %.6f (6)\n",
               rg->rtt[lon * GEO_NLOCATIONS + syd], want, rg->rtt[lon * GEO_NLOCATIONS + fra], lf,
               rg->rtt[lon * GEO_NLOCATIONS + lon]);
        assert_true(fabs(rg->rtt[lon * GEO_NLOCATIONS + syd] - want) < 1e-6);
        assert_true(rg->rtt[syd * GEO_NLOCATIONS + lon] == rg->rtt[lon * GEO_NLOCATIONS + syd]);
        assert_true(fabs(rg->rtt[lon * GEO_NLOCATIONS + fra] - lf) < 1e-6);
        assert_true(rg->rtt[lon * GEO_NLOCATIONS + lon] == 6.0);
        world_t *w = run_world(sc, 0, NULL, NULL);
        const traffic_t *t = world_traffic(w);
        int k = traffic_class_index(&platform_of(sc)->traffic, "direct");
        hist_all_equal(pass ? "direct, london-sydney given 250 ms" : "direct, great circle",
                       &t->cls_latency[k], leg(sc, lon, lon) + leg(sc, lon, syd), 2);
        world_free(w);
        scenario_free(sc);
    }
}

/* A browser cache: one client, one object of max_age 1 h, one request a
 * second (deterministic arrivals) and legs of 80 ms: the first request
 * crosses both legs and fills the browser before the second comes, every
 * later one is a fresh hit answered in the browser with no network at all
 * (latency 0). So of n requests: 1 miss, n - 1 hits, latency min 0 and max
 * 80 ms; the CDN sees one request. */
static void test_browser_hit_is_free(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "traffic.arrivals=deterministic",
        "traffic.rate=1/s",
        "traffic.clients=1",
        "traffic.classes={page: {share: 1, path: /api/public/x, max_age: 1h, route: []}}",
        "browser={}",
    };
    scenario_t *sc = load_sets(legs_yaml, sets, 5);
    world_t *w = run_world(sc, 0, NULL, NULL);
    const hist_t *h = &world_traffic(w)->cls_latency[0];
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    double n = metric(&m, "requests.total");
    printf("  browser: %.0f requests, %.0f hits, %.0f misses; latency min %.3f max %.3f ms\n", n,
           metric(&m, "cache.browser.hits"), metric(&m, "cache.browser.misses"), (double)h->min / 1e6,
           (double)h->max / 1e6);
    assert_true(n >= 59);
    assert_true(metric(&m, "cache.browser.misses") == 1);
    assert_true(metric(&m, "cache.browser.hits") == n - 1);
    assert_int_equal(h->min, 0);
    assert_int_equal(h->max, 80 * SIM_MS);
    assert_true(h->sum == 80.0 * SIM_MS);
    assert_true(metric(&m, "cache.cdn.hits") + metric(&m, "cache.cdn.misses") == 1);
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);
}

/* ---- 2. edge outages ------------------------------------------------------------ */

/* Users in london only, edges in london and frankfurt, the origin in
 * new-york, the default great-circle network, anycast routing, one class
 * `direct` with no service: a request's latency is exactly
 *   leg(london, e) + leg(e, new-york), e its edge.
 * No outage: e = london for all. An outage of london for the whole run:
 * e = frankfurt for all, a rise of exactly
 *   [leg(london, frankfurt) - leg(london, london)] + [leg(frankfurt, new-york) - leg(london, new-york)].
 * (each to within 2 ns, header). An outage over [100 s, 200 s) of a 300 s
 * run: anycast picks the edge at arrival, so requests arriving in the
 * outage have the frankfurt latency B, the others the london one A (those
 * of the runs above): min A, max B, and n_B = (sum - n A)/(B - A).
 * Given n completed requests, arrivals are uniform over the time they can
 * complete in, [0, 300 s - A] (later ones are still on their way at the
 * end; they all arrive after the outage), so n_B ~ Binomial(n, 100 /
 * (300 - A)). */
static const char *outage_yaml =
    "name: outage\nseed: 5\nduration: 300s\n"
    "traffic:\n  rate: 100/s\n  clients: 100000\n  classes:\n"
    "    direct: {share: 1, method: POST, path: /api/ping, route: []}\n"
    "regions:\n  origin: new-york\n  routing: anycast\n  diurnal: false\n"
    "  users:\n    london: {share: 1}\n"
    "cdn:\n  edges: [london, frankfurt]\n"
    "services:\n  web: {replicas: 1}\n";

static void test_outage_anycast(void **state)
{
    (void)state;
    const int lon = loc("london"), fra = loc("frankfurt"), ny = loc("new-york");
    static const char *const whole[] = {"cdn.outages=[{edge: london, at: 0s}]"};
    static const char *const part[] = {"cdn.outages=[{edge: london, at: 100s, duration: 100s}]"};
    scenario_t *sa = load(outage_yaml), *sb = load_sets(outage_yaml, whole, 1), *sp = load_sets(outage_yaml, part, 1);
    simtime_t A = leg(sa, lon, lon) + leg(sa, lon, ny), B = leg(sa, lon, fra) + leg(sa, fra, ny);
    printf("anycast outage of the london edge: RTT london-london %.4f, london-frankfurt %.4f, london-new-york %.4f, "
           "frankfurt-new-york %.4f ms\n",
           regions_of(sa)->rtt[lon * GEO_NLOCATIONS + lon], regions_of(sa)->rtt[lon * GEO_NLOCATIONS + fra],
           regions_of(sa)->rtt[lon * GEO_NLOCATIONS + ny], regions_of(sa)->rtt[fra * GEO_NLOCATIONS + ny]);
    const simtime_t rise = B - A;
    assert_true(rise > 0);

    world_t *w = run_world(sa, 0, NULL, NULL);
    A = hist_all_equal("london users, no outage", &world_traffic(w)->reg_latency[0], A, 2);
    world_free(w);
    w = run_world(sb, 0, NULL, NULL);
    B = hist_all_equal("london users, london edge down all run", &world_traffic(w)->reg_latency[0], B, 2);
    printf("  the latency rises by %.6f ms (from the RTTs: %.6f ms)\n", (double)(B - A) / 1e6, (double)rise / 1e6);
    assert_true(llabs((B - A) - rise) <= 4);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    assert_true(metric(&m, "cache.cdn.edges.london.requests") == 0);
    double fr = metric(&m, "cache.cdn.edges.frankfurt.requests");
    assert_true(fr >= metric(&m, "requests.completed") && fr <= metric(&m, "requests.total"));
    assert_true(metric(&m, "requests.failed") == 0);
    metrics_free(&m);
    world_free(w);

    FILE *ev = tmpfile();
    assert_non_null(ev);
    w = run_world(sp, 0, NULL, ev);
    const hist_t *h = &world_traffic(w)->reg_latency[0];
    printf("  london edge down in [100 s, 200 s): min %.6f max %.6f ms\n", (double)h->min / 1e6, (double)h->max / 1e6);
    assert_int_equal(h->min, A);
    assert_int_equal(h->max, B);
    double nb = (h->sum - (double)h->n * (double)A) / (double)(B - A);
    assert_true(fabs(nb - round(nb)) < 1e-6);
    double p = 100.0 / (300.0 - (double)A / 1e9);
    check_count("requests served by frankfurt", nb, (double)h->n * p, (double)h->n * p * (1 - p));
    /* the outage and the recovery are rows of events.csv */
    assert_int_equal(log_rows(ev, ",100,cdn.london/edge,up,down,", "outage"), 1);
    assert_int_equal(log_rows(ev, ",200,cdn.london/edge,down,up,", "recovered"), 1);
    assert_int_equal(log_rows(ev, "cdn.london/edge", ""), 2);
    fclose(ev);
    world_free(w);
    scenario_free(sa);
    scenario_free(sb);
    scenario_free(sp);
}

/* Under geo_dns with dns_ttl T = 60 s, each client re-resolves at times
 * phase_c + k T (phase_c uniform, from a hash of the client). The london
 * edge dies at t0 = 100 s for good; the origin is in london. A request of
 * client c at t in [t0, t0 + T) fails (after dead_edge_timeout) iff c last
 * resolved before t0, i.e. t < t0 + L_c with L_c = (phase_c - t0) mod T,
 * uniform on [0, T). With C clients each receiving Poisson(rate / C)
 * requests, the failures are, given the phases, Poisson with mean
 * (rate / C) sum_c L_c; over the phases E = rate T / 2 and
 * Var = rate T / 2 + rate^2 Var(L) / C = rate T / 2 + rate^2 T^2 / (12 C).
 * At rate 200/s and C = 10^5 clients: 6000 failures, sd 78. Failures in the
 * first half of the TTL alone (a run ending at t0 + T/2; a failure is counted
 * when its request arrives): E = rate E[min(L, T/2)] = rate 3T/8 = 4500,
 * Var = 4500 + rate^2 (5 T^2 / 192) / C. No failure after t0 + T: a longer
 * run (same seed, same arrivals) counts exactly as many. Requests that do
 * not fail cost 2 leg(london, london) (before the outage) or
 * 2 leg(london, frankfurt) (after, within 2 ns). Under anycast nothing fails. */
static void test_outage_geo_dns(void **state)
{
    (void)state;
    const int lon = loc("london"), fra = loc("frankfurt");
    const double rate = 200, T = 60, C = 100000;
    const char *base[] = {"traffic.rate=200/s", "regions.origin=london", "regions.routing=geo_dns", "regions.dns_ttl=60s",
                          "cdn.outages=[{edge: london, at: 100s}]", "duration=170s"};
    printf("geo_dns, dns_ttl 60 s, london edge down from 100 s, %g requests/s from %g clients\n", rate, C);
    scenario_t *sc = load_sets(outage_yaml, base, 6);
    world_t *w = run_world(sc, 0, NULL, NULL);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    double dead = metric(&m, "cache.cdn.dead_edge_failures");
    check_count("failures at the dead edge", dead, rate * T / 2, rate * T / 2 + rate * rate * T * T / (12 * C));
    /* every failure is one of them, and the rest took one of two routes */
    assert_true(metric(&m, "requests.failed") == dead);
    assert_true(fabs(metric(&m, "regions.london.error_rate") - dead / (metric(&m, "requests.completed") + dead)) < 1e-12);
    const hist_t *h = &world_traffic(w)->reg_latency[0];
    assert_int_equal(h->min, 2 * leg(sc, lon, lon)); /* 10 ms: exact */
    assert_true(llabs(h->max - 2 * leg(sc, lon, fra)) <= 2);
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);

    base[5] = "duration=300s";
    sc = load_sets(outage_yaml, base, 6);
    run_metrics(sc, 0, &m);
    printf("  the same seed to 300 s: %.0f failures (none after the TTL)\n", metric(&m, "cache.cdn.dead_edge_failures"));
    assert_true(metric(&m, "cache.cdn.dead_edge_failures") == dead);
    metrics_free(&m);
    scenario_free(sc);

    base[5] = "duration=130s";
    sc = load_sets(outage_yaml, base, 6);
    run_metrics(sc, 0, &m);
    check_count("failures in [t0, t0 + T/2)", metric(&m, "cache.cdn.dead_edge_failures"), rate * 3 * T / 8,
                rate * 3 * T / 8 + rate * rate * 5 * T * T / (192 * C));
    metrics_free(&m);
    scenario_free(sc);

    base[2] = "regions.routing=anycast";
    sc = load_sets(outage_yaml, base, 6);
    run_metrics(sc, 0, &m);
    assert_true(metric(&m, "cache.cdn.dead_edge_failures") == 0);
    assert_true(metric(&m, "requests.failed") == 0);
    metrics_free(&m);
    scenario_free(sc);
}

/* ---- 3. purges and outages move results the right way ----------------------------- */

/* A cacheable class `news` (GET under /api/public/, 1,000 objects, Zipf 0.8,
 * edge TTL 1 h by a rule) and a static class `assets` (edge_cache_ttl 2 h),
 * one edge, zero RTTs (the matrix: a reply fills the edge at the instant of
 * its miss), 600 s. Within the run nothing expires, so an object misses
 * only on its first request. A purge of surrogate key `news` at 300 s
 * removes every news entry: as many as the news objects requested before,
 * which is the misses of a run ending at 300 s (same seed, same arrivals).
 * With common random numbers the two 600 s runs differ only after the
 * purge, by one miss for each purged object asked for again: misses rise
 * by at least 1 and at most the entries purged, and `assets` is untouched. */
static const char *purge_yaml =
    "name: purge\nseed: 7\nduration: 600s\n"
    "traffic:\n  rate: 100/s\n  classes:\n"
    "    news: {share: 0.5, path: /api/public/*, objects: 1000, zipf: 0.8, surrogate_key: news, route: []}\n"
    "    assets: {share: 0.5, path: /static/*, static: true, objects: 1000, zipf: 0.8, route: []}\n"
    "regions:\n  origin: london\n  diurnal: false\n  network: {model: matrix}\n  rtt: {london: {london: 0s}}\n"
    "  users:\n    london: {share: 1}\n"
    "cdn:\n  edges: [london]\n  rules: [{path: /api/public/*, ttl: 1h}]\n"
    "services:\n  web: {replicas: 1}\n";

static void test_purge_lowers_hits(void **state)
{
    (void)state;
    static const char *const with[] = {"cdn.purges=[{at: 300s, surrogate_key: news}]"};
    static const char *const upto[] = {"duration=300s"};
    scenario_t *s0 = load(purge_yaml), *s1 = load_sets(purge_yaml, with, 1), *s2 = load_sets(purge_yaml, upto, 1);
    metrics_t m0, m1, m2;
    run_metrics(s0, 0, &m0);
    FILE *ev = tmpfile();
    assert_non_null(ev);
    world_t *w = run_world(s1, 0, NULL, ev);
    metrics_init(&m1);
    world_collect(w, &m1);
    world_free(w);
    run_metrics(s2, 0, &m2);
    double miss0 = metric(&m0, "cache.cdn.misses"), miss1 = metric(&m1, "cache.cdn.misses");
    double purged = metric(&m1, "cache.cdn.purged");
    /* news misses before 300 s: requests x (1 - hit ratio), an integer */
    double news300 = metric(&m2, "classes.news.requests") * (1 - metric(&m2, "cache.cdn.classes.news.hit_ratio"));
    printf("purge of `news` at 300 s: %.0f entries removed (news objects seen before: %.3f); misses %.0f -> %.0f, "
           "hit ratio %.5f -> %.5f\n",
           purged, news300, miss0, miss1, metric(&m0, "cache.cdn.hit_ratio"), metric(&m1, "cache.cdn.hit_ratio"));
    assert_true(purged > 0);
    assert_true(fabs(purged - news300) < 1e-6);
    assert_true(metric(&m0, "cache.cdn.purged") == 0);
    assert_true(miss1 > miss0);
    assert_true(miss1 - miss0 <= purged);
    assert_true(metric(&m1, "cache.cdn.origin_requests") > metric(&m0, "cache.cdn.origin_requests"));
    assert_true(metric(&m1, "cache.cdn.hit_ratio") < metric(&m0, "cache.cdn.hit_ratio"));
    assert_true(metric(&m1, "cache.cdn.classes.news.hit_ratio") < metric(&m0, "cache.cdn.classes.news.hit_ratio"));
    assert_true(metric(&m1, "cache.cdn.classes.assets.hit_ratio") == metric(&m0, "cache.cdn.classes.assets.hit_ratio"));
    assert_true(metric(&m1, "requests.total") == metric(&m0, "requests.total"));
    assert_int_equal(log_rows(ev, "cdn/purge", "news"), 1);
    assert_int_equal(log_rows(ev, ",300,", "purge by surrogate key"), 1);
    fclose(ev);
    metrics_free(&m0);
    metrics_free(&m1);
    metrics_free(&m2);
    scenario_free(s0);
    scenario_free(s1);
    scenario_free(s2);
}

/* What a warm-up leaves out, and what it does not. One london edge of 100
 * objects of 1 KiB (LRU) over a catalogue of 1000: after the warm-up every
 * miss fills the edge and evicts one object, so its evictions are its
 * misses but for the requests the warm-up's end finds in flight (about 1 s
 * of them at most, 100/s: 100 allowed); counting the warm-up's evictions
 * too would double them. The series, though, cover the warm-up: the
 * region's latency has its rows there as the services' do. HEADs send no
 * body: no egress. */
static void test_warmup_counts(void **state)
{
    (void)state;
    const char *yaml = "duration: 2000s\nwarmup: 1000s\nsample_interval: 100s\n"
                       "traffic:\n  rate: 100/s\n  classes:\n"
                       "    a: {share: 0.5, path: /static/x, objects: 1000, size: 1Ki, static: true, route: []}\n"
                       "    h: {share: 0.5, method: HEAD, path: /static/y, objects: 1, size: 1Mi, static: true,\n"
                       "        max_age: 0s, route: []}\n"
                       "regions: {origin: london, diurnal: false, users: {london: {share: 1.0}}}\n"
                       "cdn: {edges: [london], capacity: 100Ki, edge_cache_ttl: 3650d}\n"
                       "services: {web: {}}\n";
    scenario_t *sc = load(yaml);
    FILE *series = tmpfile();
    assert_non_null(series);
    metrics_t m;
    run_metrics_series(sc, 0, series, &m);
    double ev = metric(&m, "cache.cdn.edges.london.evictions"), miss = metric(&m, "cache.cdn.misses");
    double hmiss = (1 - metric(&m, "cache.cdn.classes.h.hit_ratio")) * metric(&m, "classes.h.requests");
    printf("  london edge after warm-up: %.0f evictions, %.0f misses (%.0f of them the HEAD object's)\n", ev, miss,
           hmiss);
    /* the HEAD object, 1 MiB, is larger than the edge: never stored, never evicting */
    assert_true(miss > 10000 && fabs(ev - (miss - hmiss)) <= 100);
    /* the HEADs' bodies are not sent: the egress is the 1 KiB objects'
     * (but for the few requests in flight at the end: 10 allowed; one
     * HEAD body would be 1 MiB) */
    double gets = metric(&m, "classes.a.requests"), kib = metric(&m, "cache.cdn.egress_gib") * 1048576.0;
    printf("  egress %.0f KiB for %.0f GETs of 1 KiB\n", kib, gets);
    assert_true(kib <= gets && kib >= gets - 10);
    /* region latency rows in the warm-up (times 100..1000 s) as after it */
    rewind(series);
    char line[300];
    int rows_warm = 0, rows_after = 0;
    while (fgets(line, sizeof line, series))
        if (strstr(line, ",region.london.latency_p95_ms,")) {
            double t = atof(strchr(line, ',') + 1);
            if (t <= 1000)
                rows_warm++;
            else
                rows_after++;
        }
    printf("  region.london.latency_p95_ms: %d rows in the warm-up, %d after\n", rows_warm, rows_after);
    assert_int_equal(rows_warm, 10);
    assert_int_equal(rows_after, 10);
    fclose(series);
    metrics_free(&m);
    scenario_free(sc);
}

/* A browser stores responses to GET and HEAD only: max_age on a POST
 * class is an input error, located, rather than a cache no browser has. */
static void test_max_age_needs_get(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(
        "traffic:\n  classes:\n    login: {share: 1, method: POST, path: /api/auth/login, max_age: 1h, route: [web]}\n"
        "browser: {}\nservices: {web: {}}\n",
        "post.yaml", NULL, 0, &d);
    assert_null(sc);
    assert_true(d.n > 0);
    printf("  %s\n", d.msgs[0].text);
    assert_non_null(strstr(d.msgs[0].text, "post.yaml:3:69: traffic.classes.login.max_age: browsers store responses "
                                            "to GET and HEAD only, and this class is POST"));
}

/* Users in london and frankfurt (half each), edges in both, the origin in
 * new-york, cacheable GETs: an outage of the london edge over [100 s, 200 s)
 * sends london's users to frankfurt (farther, and a cache london's users
 * had not warmed): their mean latency rises, the london edge serves fewer
 * requests and frankfurt more. The arrivals are the same (common random
 * numbers): per-region request counts are equal. */
static void test_outage_raises_latency(void **state)
{
    (void)state;
    const char *yaml =
        "name: outage2\nseed: 9\nduration: 300s\n"
        "traffic:\n  rate: 200/s\n  classes:\n"
        "    news: {share: 1, path: /api/public/*, objects: 2000, zipf: 0.8, route: []}\n"
        "regions:\n  origin: new-york\n  routing: anycast\n  diurnal: false\n"
        "  users:\n    london: {share: 0.5}\n    frankfurt: {share: 0.5}\n"
        "cdn:\n  edges: [london, frankfurt]\n"
        "services:\n  web: {replicas: 1}\n";
    static const char *const out[] = {"cdn.outages=[{edge: london, at: 100s, duration: 100s}]"};
    scenario_t *s0 = load(yaml), *s1 = load_sets(yaml, out, 1);
    metrics_t m0, m1;
    run_metrics(s0, 0, &m0);
    run_metrics(s1, 0, &m1);
    printf("london edge down for 100 s of 300: london users' mean latency %.3f -> %.3f ms; london edge requests "
           "%.0f -> %.0f, frankfurt %.0f -> %.0f\n",
           metric(&m0, "regions.london.latency_ms.mean"), metric(&m1, "regions.london.latency_ms.mean"),
           metric(&m0, "cache.cdn.edges.london.requests"), metric(&m1, "cache.cdn.edges.london.requests"),
           metric(&m0, "cache.cdn.edges.frankfurt.requests"), metric(&m1, "cache.cdn.edges.frankfurt.requests"));
    assert_true(metric(&m1, "regions.london.latency_ms.mean") > metric(&m0, "regions.london.latency_ms.mean"));
    assert_true(metric(&m1, "cache.cdn.edges.london.requests") < metric(&m0, "cache.cdn.edges.london.requests"));
    assert_true(metric(&m1, "cache.cdn.edges.frankfurt.requests") > metric(&m0, "cache.cdn.edges.frankfurt.requests"));
    assert_true(metric(&m1, "regions.london.requests") == metric(&m0, "regions.london.requests"));
    assert_true(metric(&m1, "regions.frankfurt.requests") == metric(&m0, "regions.frankfurt.requests"));
    assert_true(metric(&m1, "requests.failed") == 0);
    metrics_free(&m0);
    metrics_free(&m1);
    scenario_free(s0);
    scenario_free(s1);
}

/* ---- 4. CDN hit ratios against theory ------------------------------------------------ */

/* One region, one edge, the origin in the same place, all RTTs 0 (the matrix
 * allows it): a reply fills the edge at the instant of its miss (the events
 * of one instant run before the next arrival, which is at least 1 ns
 * later), so the edge is the ideal TTL cache of tests/test_cache.c. One
 * class of N objects at total rate Lambda (Poisson), object i with
 * probability p_i: object i's requests are a Poisson stream of rate
 * lambda_i = Lambda p_i, independent of the others (thinning), and with no
 * capacity objects do not interact. x_i = lambda_i T.
 *  - set_on_miss: the misses of object i are a renewal process of cycle
 *    T + Exp(lambda_i) (a miss, a fresh period T, the wait for the next
 *    request), one miss and Poisson(x_i) hits per cycle: h_i = x_i/(1+x_i).
 *    Bias of a finite window H (after a warm-up W): by Lorden's inequality
 *    the expected renewals in any window of length H differ from H / mu_i
 *    (mu_i = T + 1/lambda_i) by at most E[C^2]/mu^2 = (x^2+2x+2)/(x+1)^2
 *    <= 2; only when object i has no request in [0, W) (probability
 *    e^{-lambda_i W}: e^{-20} for the uniform catalogue, at most e^{-3.9}
 *    for the rarest Zipf object) is it up to one more. So the allowance on
 *    the hit ratio is sum_i [(x_i^2+2x_i+2)/(x_i+1)^2 + e^{-lambda_i W}]
 *    / (Lambda H): 6.3e-4 (uniform) and 7.3e-4 (Zipf 1).
 *  - refresh_on_hit: a request hits iff the previous request of its object
 *    came less than T before: h_i = 1 - e^{-x_i}, exactly, for every request
 *    but an object's first; the allowance is sum_i e^{-lambda_i W} / (Lambda H).
 * The hit ratio is sum_i p_i h_i. Lambda = 1000/s, T = 100 ms, W = 2 s,
 * H = 200 s (2 10^5 requests per replication), R = 10.
 * Standard error: binomial sqrt(h(1-h)/(R n)) or less (test_cache.c: set on
 * miss counts vary less than binomial; refresh on hit hits are independent
 * given the objects' counts); bound twice binomial. */
#define HIT_YAML \
    "name: hits\nseed: 13\nduration: 202s\nwarmup: 2s\n" \
    "traffic:\n  rate: 1000/s\n  classes:\n" \
    "    obj: {share: 1, path: /c/*, objects: %d, zipf: %g, route: []}\n" \
    "regions:\n  origin: london\n  diurnal: false\n  network: {model: matrix}\n  rtt: {london: {london: 0s}}\n" \
    "  users:\n    london: {share: 1}\n" \
    "cdn:\n  edges: [london]\n  ttl_mode: %s\n  capacity: %s\n  rules: [{path: /c/*, ttl: %s}]\n" \
    "services:\n  web: {replicas: 1}\n"

static double *popularity(int n, double s)
{
    double *p = malloc((size_t)n * sizeof *p), sum = 0;
    assert_non_null(p);
    for (int i = 0; i < n; i++)
        sum += p[i] = pow(i + 1, -s);
    for (int i = 0; i < n; i++)
        p[i] /= sum;
    return p;
}

/* Runs R replications; x[rep] the measured hit ratio. Checks per run that
 * every measured request was a lookup. */
static void hit_runs(const char *yaml, double x[R], double *n_per_rep)
{
    scenario_t *sc = load(yaml);
    double n = 0;
    for (int rep = 0; rep < R; rep++) {
        metrics_t m;
        run_metrics(sc, rep, &m);
        double hits = metric(&m, "cache.cdn.hits"), misses = metric(&m, "cache.cdn.misses");
        assert_true(hits + misses == metric(&m, "requests.total"));
        assert_true(metric(&m, "cache.cdn.bypass") == 0);
        assert_true(metric(&m, "cache.cdn.classes.obj.hit_ratio") == metric(&m, "cache.cdn.hit_ratio"));
        assert_true(metric(&m, "cache.cdn.regions.london.hit_ratio") == metric(&m, "cache.cdn.hit_ratio"));
        x[rep] = hits / (hits + misses);
        n += (hits + misses) / R;
        metrics_free(&m);
    }
    *n_per_rep = n;
    scenario_free(sc);
}

static void ttl_case(int N, double s, bool refresh)
{
    const double Lambda = 1000, T = 0.1, W = 2, H = 200;
    char yaml[2048];
    snprintf(yaml, sizeof yaml, HIT_YAML, N, s, refresh ? "refresh_on_hit" : "set_on_miss", "0", "100ms");
    double *p = popularity(N, s), h = 0, allow = 0;
    for (int i = 0; i < N; i++) {
        double xi = Lambda * p[i] * T;
        h += p[i] * (refresh ? -expm1(-xi) : xi / (1 + xi));
        double lorden = (xi * xi + 2 * xi + 2) / ((xi + 1) * (xi + 1));
        allow += (refresh ? 0 : lorden) + exp(-Lambda * p[i] * W);
    }
    allow /= Lambda * H;
    free(p);
    double x[R], n;
    hit_runs(yaml, x, &n);
    char what[100];
    snprintf(what, sizeof what, "N=%d zipf %g, T 100 ms, %s", N, s, refresh ? "refresh_on_hit" : "set_on_miss");
    check_reps(what, x, h, allow, 2 * sqrt(h * (1 - h) / (n * R)));
}

static void test_ttl_hit_ratio(void **state)
{
    (void)state;
    printf("CDN TTL hit ratio vs theory: Lambda 1000/s, %d x 200 s\n", R);
    ttl_case(100, 0, false); /* x = 1: h = 1/2 */
    ttl_case(100, 0, true);  /* h = 1 - 1/e */
    ttl_case(100, 1, false); /* x_i from 19 down to 0.19 */
    ttl_case(100, 1, true);
}

/* An LRU edge: capacity C objects of 4 KiB (the class's default size), a
 * TTL far beyond the run, Zipf 0.8 over N = 10,000 objects. Under the
 * independent reference model Che's approximation gives h = sum_i p_i
 * (1 - e^{-p_i t_C}), sum_i (1 - e^{-p_i t_C}) = C (t_C in requests);
 * tests/test_cache.c compares it with the exact LRU hit ratio for these N,
 * C and s and finds them within 0.002: that is the allowance. The warm-up
 * is 3 t_C requests (the cache is full, and from then on its state is a
 * function of the recent requests). LRU hits are positively correlated;
 * the bound on se is three times binomial (as test_cache.c). Power: FIFO's
 * approximation (h_i = p_i t/(1 + p_i t), sum h_i = C), what a cache that
 * forgot to move hits to the front would give, is farther than the
 * tolerance. */
static double che_time(const double *p, int n, double C, bool fifo)
{
    double lo = 0, hi = 1;
    for (int it = 0; it < 200; it++) {
        double t = hi, sum = 0;
        for (int i = 0; i < n; i++)
            sum += fifo ? p[i] * t / (1 + p[i] * t) : -expm1(-p[i] * t);
        if (sum >= C)
            break;
        lo = hi;
        hi *= 2;
    }
    for (int it = 0; it < 100; it++) {
        double t = (lo + hi) / 2, sum = 0;
        for (int i = 0; i < n; i++)
            sum += fifo ? p[i] * t / (1 + p[i] * t) : -expm1(-p[i] * t);
        if (sum < C)
            lo = t;
        else
            hi = t;
    }
    return (lo + hi) / 2;
}

static void test_lru_che(void **state)
{
    (void)state;
    const int N = 10000, C = 100;
    const double s = 0.8, Lambda = 1000, H = 200;
    double *p = popularity(N, s);
    double tc = che_time(p, N, C, false), tf = che_time(p, N, C, true), che = 0, fifo = 0;
    for (int i = 0; i < N; i++) {
        che += p[i] * -expm1(-p[i] * tc);
        fifo += p[i] * p[i] * tf / (1 + p[i] * tf);
    }
    free(p);
    double warm = ceil(3 * tc / Lambda);
    char yaml[2048];
    snprintf(yaml, sizeof yaml, HIT_YAML, N, s, "set_on_miss", "400Ki", "3650d");
    char dur[64], wu[64];
    snprintf(dur, sizeof dur, "duration=%gs", warm + H);
    snprintf(wu, sizeof wu, "warmup=%gs", warm);
    const char *sets[] = {dur, wu};
    scenario_t *sc = load_sets(yaml, sets, 2);
    double x[R], n = 0;
    for (int rep = 0; rep < R; rep++) {
        metrics_t m;
        run_metrics(sc, rep, &m);
        double hits = metric(&m, "cache.cdn.hits"), misses = metric(&m, "cache.cdn.misses");
        assert_true(metric(&m, "cache.cdn.edges.london.bytes_used") == C * 4096.0);
        assert_true(metric(&m, "cache.cdn.edges.london.evictions") > 0);
        x[rep] = hits / (hits + misses);
        n += (hits + misses) / R;
        metrics_free(&m);
    }
    scenario_free(sc);
    printf("CDN LRU edge, N %d, C %d, Zipf %g: t_C %.0f requests, warm-up %g s\n", N, C, s, tc, warm);
    double tol = check_reps("LRU edge vs Che", x, che, 0.002, 3 * sqrt(che * (1 - che) / (n * R)));
    printf("  FIFO approximation %.5f: Che - FIFO %.5f > tolerance %.5f\n", fifo, che - fifo, tol);
    assert_true(che - fifo > tol);
}

/* ---- 5. diurnal curves ---------------------------------------------------------------- */

/* regions.diurnal: true with users in london (UTC+0, share 0.6) and
 * singapore (UTC+8, share 0.4), 10 requests/s, one day from 00:00 UTC.
 * Region i's rate at UTC time t is rate share_i c(t + offset_i), c the
 * built-in curve (mean 1), linear between whole hours; offsets are whole
 * hours, so the count of UTC hour k is Poisson with mean
 *   E_ik = rate share_i 3600 (c[h] + c[h+1]) / 2,  h = (k + offset_i) mod 24,
 * and the day's count Poisson(rate share_i 86400). Counts per hour come from
 * timeseries.csv (region.NAME.arrival_rate x 3600 s, every request counted).
 * Each hour within Z sd; over the 24 hours sum (N - E)^2 / E is chi-square
 * with 24 degrees of freedom, below 66 with probability 1 - 1e-5
 * (Wilson-Hilferty). The local hour 20-21 (c 1.52 -> 1.49) against 04-05
 * (0.44 -> 0.47): a ratio of 3.01/0.91 = 3.31, within Z sqrt(1/E1 + 1/E2)
 * relative (delta method). */
static void diurnal_day(int start)
{
    char yaml[600];
    snprintf(yaml, sizeof yaml,
             "name: diurnal\nseed: 17\nduration: 1d\nsample_interval: 1h\n"
             "traffic:\n  rate: 10/s\n  classes:\n    ping: {share: 1, method: POST, path: /api/ping, route: []}\n"
             "regions:\n  origin: london\n  diurnal: true\n  start_utc: %dh\n"
             "  users:\n    london: {share: 0.6}\n    singapore: {share: 0.4}\n"
             "cdn: {edges: []}\n"
             "services:\n  web: {replicas: 1}\n",
             start);
    const double rate = 10;
    const char *names[2] = {"london", "singapore"};
    const double share[2] = {0.6, 0.4};
    const int off[2] = {0, 8};
    const double *c = geo_diurnal_builtin();
    double mean = 0;
    for (int h = 0; h < 24; h++)
        mean += c[h] / 24;
    assert_true(fabs(mean - 1) < 1e-12);
    scenario_t *sc = load(yaml);
    const regions_cfg_t *rg = regions_of(sc);
    assert_true(rg->diurnal);
    for (int i = 0; i < 2; i++)
        assert_true(rg->utc_offset[i] == off[i]);
    FILE *series = tmpfile();
    assert_non_null(series);
    metrics_t m;
    run_metrics_series(sc, 0, series, &m);
    double cnt[2][24];
    int seen[2] = {0, 0};
    char line[256];
    rewind(series);
    while (fgets(line, sizeof line, series)) {
        int rep;
        double t, v;
        char name[128];
        if (sscanf(line, "%d,%lf,%127[^,],%lf", &rep, &t, name, &v) != 4)
            continue;
        for (int i = 0; i < 2; i++) {
            char want[64];
            snprintf(want, sizeof want, "region.%s.arrival_rate", names[i]);
            if (strcmp(name, want) != 0)
                continue;
            int k = (int)lround(t / 3600) - 1;
            assert_true(k >= 0 && k < 24);
            cnt[i][k] = v * 3600;
            assert_true(fabs(cnt[i][k] - round(cnt[i][k])) < 0.05); /* printed to 6 digits: still a count */
            cnt[i][k] = round(cnt[i][k]);
            seen[i]++;
        }
    }
    fclose(series);
    printf("diurnal curves, one day at 10/s from %02d:00 UTC: london (UTC+0) 0.6, singapore (UTC+8) 0.4\n", start);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(seen[i], 24);
        double chi2 = 0, total = 0, e_local[24];
        for (int k = 0; k < 24; k++) {
            int h = (k + start + off[i]) % 24;
            double e = rate * share[i] * 3600 * (c[h] + c[(h + 1) % 24]) / 2;
            e_local[h] = e;
            assert_true(fabs(cnt[i][k] - e) <= Z * sqrt(e));
            chi2 += (cnt[i][k] - e) * (cnt[i][k] - e) / e;
            total += cnt[i][k];
        }
        char what[100];
        snprintf(what, sizeof what, "%s: requests in the day", names[i]);
        double day = metric(&m, "regions.%s.requests", names[i]);
        check_count(what, day, rate * share[i] * 86400, rate * share[i] * 86400);
        assert_true(day == total);
        printf("  %-44s chi-square over 24 hours %.2f (24 df; bound 66)\n", names[i], chi2);
        assert_true(chi2 < 66);
        int k20 = (20 - start - off[i] + 48) % 24, k4 = (4 - start - off[i] + 48) % 24;
        double r = cnt[i][k20] / cnt[i][k4], want = (c[20] + c[21]) / (c[4] + c[5]);
        double tol = want * Z * sqrt(1 / e_local[20] + 1 / e_local[4]);
        printf("  %-44s local 20-21 h %.0f, 04-05 h %.0f: ratio %.4f, curve %.4f, tolerance %.4f\n", names[i],
               cnt[i][k20], cnt[i][k4], r, want, tol);
        assert_true(fabs(r - want) <= tol);
    }
    metrics_free(&m);
    scenario_free(sc);
}

static void test_diurnal(void **state)
{
    (void)state;
    diurnal_day(0);
}

/* The same day started at 05:00 UTC (regions.start_utc): hour k of the run
 * is UTC hour k + 5, so each expectation above shifts by five hours. */
static void test_diurnal_start_utc(void **state)
{
    (void)state;
    diurnal_day(5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legs_matrix),
        cmocka_unit_test(test_legs_great_circle),
        cmocka_unit_test(test_browser_hit_is_free),
        cmocka_unit_test(test_outage_anycast),
        cmocka_unit_test(test_outage_geo_dns),
        cmocka_unit_test(test_purge_lowers_hits),
        cmocka_unit_test(test_outage_raises_latency),
        cmocka_unit_test(test_ttl_hit_ratio),
        cmocka_unit_test(test_lru_che),
        cmocka_unit_test(test_warmup_counts),
        cmocka_unit_test(test_max_age_needs_get),
        cmocka_unit_test(test_diurnal),
        cmocka_unit_test(test_diurnal_start_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
