/* test_probe: the three verdicts of a probe (sim/probe.h) on hand-made
 * replications.
 *
 * Where the numbers come from: three replications of requests.error_rate
 * with the values 1, 2, 3 have mean 2 and sample standard deviation 1, so the
 * Student-t 95% half-width is t_{0.975,2} / sqrt(3) = 4.302652729911275 /
 * 1.7320508075688772 = 2.4841377118, the interval [-0.4841, 4.4841]. Against
 * it: `<` 5 passes (upper end below), `<` 4 is unsure (the interval holds 4),
 * `<` -1 fails (lower end -0.48 is not below -1); `>` -1 passes, `>` 0 is
 * unsure, `>` 5 fails. One replication has no interval: unsure, whatever
 * the value. A replication without a sample (NaN) fails its gate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/probe.h"

#define HALF 2.4841377118 /* t_{0.975,2} / sqrt(3), above */

static const char yaml[] =
    "services: {web: {}}\n"
    "slo:\n"
    "  - {name: lt5, metric: requests.error_rate, op: \"<\", threshold: 5}\n"
    "  - {name: lt4, metric: requests.error_rate, op: \"<\", threshold: 4}\n"
    "  - {name: ltm1, metric: requests.error_rate, op: \"<\", threshold: -1}\n"
    "  - {name: gtm1, metric: requests.error_rate, op: \">\", threshold: -1}\n"
    "  - {name: gt0, metric: requests.error_rate, op: \">\", threshold: 0}\n"
    "  - {name: gt5, metric: requests.error_rate, op: \">\", threshold: 5}\n";

/* A probe of the scenario above, from a file written for it. */
static void open_probe(probe_t *p, const char *text)
{
    char path[] = "test_probe-XXXXXX"; /* in the current directory, removed at once */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    diag_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    diag_init(d);
    scenario_opts_t so = {NULL, false, NULL};
    int rc = probe_open(p, path, NULL, 0, &so, d);
    if (rc != 0)
        diag_print(d, stderr);
    free(d);
    unlink(path);
    assert_int_equal(rc, 0);
}

static void add(probe_t *p, double v)
{
    metrics_t m;
    metrics_init(&m);
    metrics_add(&m, v, "requests.error_rate");
    assert_int_equal(probe_add(p, &m), 0);
}

static void verdicts(void **state)
{
    (void)state;
    probe_t p;
    open_probe(&p, yaml);
    add(&p, 1);
    /* one replication: no interval, every gate unsure */
    for (size_t i = 0; i < p.sc->nslo; i++)
        assert_int_equal(p.gates[i].verdict, PROBE_UNSURE);
    assert_int_equal(p.verdict, PROBE_UNSURE);
    add(&p, 2);
    add(&p, 3);
    assert_int_equal(p.nreps, 3);
    assert_float_equal(p.gates[0].value, 2, 1e-12);
    assert_float_equal(p.gates[0].half, HALF, 1e-9);
    static const probe_verdict_t want[] = {PROBE_PASS, PROBE_UNSURE, PROBE_FAIL,
                                           PROBE_PASS, PROBE_UNSURE, PROBE_FAIL};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(p.gates[i].verdict, want[i]);
    assert_int_equal(p.verdict, PROBE_FAIL);
    /* margins: (5 - 2) / 5 for `<` 5, (2 - 5) / 5 for `>` 5 */
    assert_float_equal(p.gates[0].margin, 0.6, 1e-12);
    assert_float_equal(p.gates[5].margin, -0.6, 1e-12);
    assert_string_equal(probe_verdict_name(p.verdict), "fail");
    probe_free(&p);
}

static void whole_pass_and_no_sample(void **state)
{
    (void)state;
    probe_t p;
    open_probe(&p, "services: {web: {}}\n"
                   "slo: [{name: lt5, metric: requests.error_rate, op: \"<\", threshold: 5}]\n");
    add(&p, 1);
    add(&p, 2);
    add(&p, 3);
    assert_int_equal(p.verdict, PROBE_PASS);
    probe_free(&p);

    open_probe(&p, "services: {web: {}}\n"
                   "slo: [{name: lt5, metric: requests.error_rate, op: \"<\", threshold: 5}]\n");
    add(&p, NAN);
    add(&p, NAN);
    assert_int_equal(p.gates[0].verdict, PROBE_FAIL);
    assert_int_equal(p.verdict, PROBE_FAIL);
    /* a replication with other paths is refused */
    metrics_t m;
    metrics_init(&m);
    metrics_add(&m, 1, "latency_ms.mean");
    assert_int_equal(probe_add(&p, &m), -1);
    metrics_free(&m);
    probe_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verdicts),
        cmocka_unit_test(whole_pass_and_no_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
