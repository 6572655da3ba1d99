/* Unit tests of viz/vdata: clustersim-view's reader of a results directory.
 * No SDL: built and run with or without SDL2.
 *
 * The fixtures tests/view/autoscaler.csv and tests/view/events.csv are
 * written by hand; the values expected here are read off them. Error cases
 * are inline texts named "t.csv": each `t.csv:L:C:` is counted by hand from
 * the text (lines and columns 1-based, columns in bytes). Run from the
 * repository root, as `make test` does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/textfile.h"
#include "viz/vdata.h"
#include "tests/testlib.h"

typedef int (*parse_fn)(vrun_t *, const char *, const char *, size_t, diag_t *);

/* Parses text with fn into a fresh run; returns fn's result. */
static int parse(parse_fn fn, const char *text, vrun_t *r, diag_t *d)
{
    diag_init(d);
    assert_true(vdata_init(r, "t"));
    return fn(r, "t.csv", text, strlen(text), d);
}

/* Reads a fixture file into fn. */
static int parse_file(parse_fn fn, const char *path, vrun_t *r, diag_t *d)
{
    arena_t *a = arena_new();
    textfile_t f;
    diag_init(d);
    assert_non_null(a);
    assert_int_equal(textfile_read(a, path, TEXTFILE_MAX_CSV, 0, &f, d), 0);
    assert_true(vdata_init(r, "t"));
    int rc = fn(r, f.path, f.text, f.len, d);
    arena_free(a);
    return rc;
}

static void test_autoscaler_fixture(void **state)
{
    (void)state;
    vrun_t r;
    diag_t d;
    assert_int_equal(parse_file(vdata_parse_autoscaler, "tests/view/autoscaler.csv", &r, &d), 0);
    assert_true(r.has_autoscaler);
    /* replication 1's row is left out: syncs 360 and 405 of api-gateway, 420
     * and 435 of payments (the last, every metric failed: empty cells) */
    assert_int_equal(r.nsyncs, 4);
    assert_true(isnan(r.syncs[3].m[0].value) && isnan(r.syncs[3].m[0].proposal) && r.syncs[3].m[0].target == 70);
    assert_true(isnan(r.syncs[3].raw) && isnan(r.syncs[3].stabilized) && r.syncs[3].final == 2);
    assert_string_equal(r.syncs[3].reason, "FailedComputeMetricsReplicas");
    const vsync_t *s = &r.syncs[1];
    assert_true(s->t == 405 && strcmp(s->service, "api-gateway") == 0);
    assert_true(s->current == 3 && s->raw == 8 && s->stabilized == 8 && s->final == 6);
    assert_string_equal(s->reason, "ScaleUpLimit");
    assert_int_equal(s->nm, 2);
    assert_string_equal(s->m[0].metric, "cpu");
    assert_true(s->m[0].value == 85 && s->m[0].target == 70 && s->m[0].proposal == 4);
    assert_true(isnan(s->m[1].proposal)); /* empty: unavailable */
    assert_string_equal(r.syncs[0].reason, "");
    /* the sync at or before a time, per service, within an age */
    assert_int_equal(vdata_sync_at(&r, "api-gateway", 404, 100), 0);
    assert_int_equal(vdata_sync_at(&r, "api-gateway", 430, 100), 1);
    assert_int_equal(vdata_sync_at(&r, "api-gateway", 430, 10), -1);
    assert_int_equal(vdata_sync_at(&r, "payments", 430, 100), 2);
    assert_int_equal(vdata_sync_at(&r, "payments", 419, 100), -1);
    vdata_free(&r);
}

static void test_events_fixture(void **state)
{
    (void)state;
    vrun_t r;
    diag_t d;
    assert_int_equal(parse_file(vdata_parse_events, "tests/view/events.csv", &r, &d), 0);
    assert_int_equal(r.nevents, 4);
    assert_int_equal(r.events[0].kind, VEV_SCALE_UP);
    assert_string_equal(r.events[1].reason, "outage, scheduled"); /* a quoted comma */
    assert_int_equal(r.events[1].kind, VEV_FAULT);
    assert_string_equal(r.events[2].reason, "raw 7 \"stabilized\" 7"); /* a doubled quote */
    assert_int_equal(r.events[2].kind, VEV_SCALE_DOWN);
    assert_int_equal(r.events[3].kind, VEV_RECOVER);
    vdata_free(&r);
}

static void test_timeseries(void **state)
{
    (void)state;
    vrun_t r;
    diag_t d;
    const char *text = "replication,time_s,series,value\n"
                       "0,10,offered_rate,5\n"
                       "0,10,web.replicas,2\n"
                       "0,10,edge.london.up,1\n"
                       "0,10,region.london.latency_p95_ms,40\n"
                       "1,10,web.replicas,99\n"
                       "0,20,web.replicas,3\n"
                       "0,20,web.latency_p99_ms,\n";
    assert_int_equal(parse(vdata_parse_timeseries, text, &r, &d), 0);
    assert_int_equal(r.nt, 2);
    assert_true(r.t[0] == 10 && r.t[1] == 20);
    int s = vdata_find(&r, "web.replicas");
    assert_true(s >= 0 && vdata_value(&r, s, 0) == 2 && vdata_value(&r, s, 1) == 3);
    assert_int_equal(vdata_find2(&r, NULL, "web", "replicas"), s);
    assert_true(isnan(vdata_value(&r, vdata_find(&r, "offered_rate"), 1))); /* no row at 20 */
    assert_true(isnan(vdata_value(&r, vdata_find(&r, "web.latency_p99_ms"), 1)));
    assert_int_equal(vdata_find(&r, "nothing"), -1);
    assert_int_equal(r.nservices, 1);
    assert_string_equal(r.services[0], "web");
    assert_true(r.nedges == 1 && strcmp(r.edges[0], "london") == 0);
    assert_true(r.nregions == 1 && strcmp(r.regions[0], "london") == 0);
    assert_int_equal(vdata_sample_at(&r, 0), 0);
    assert_int_equal(vdata_sample_at(&r, 19.9), 0);
    assert_int_equal(vdata_sample_at(&r, 20), 1);
    assert_int_equal(vdata_sample_at(&r, 1e9), 1);
    vdata_free(&r);

    /* replication 1 instead: its one row, and none of replication 0's */
    diag_init(&d);
    assert_true(vdata_init(&r, "t"));
    r.replication = 1;
    assert_int_equal(vdata_parse_timeseries(&r, "t.csv", text, strlen(text), &d), 0);
    assert_int_equal(r.nt, 1);
    s = vdata_find(&r, "web.replicas");
    assert_true(s >= 0 && r.t[0] == 10 && vdata_value(&r, s, 0) == 99);
    assert_int_equal(vdata_find(&r, "offered_rate"), -1);
    vdata_free(&r);
}

/* Many series: the name table grows and still finds each. */
static void test_many_series(void **state)
{
    (void)state;
    vrun_t r;
    assert_true(vdata_init(&r, "t"));
    const char *err = NULL;
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "s%d.replicas", i);
        assert_int_equal(vdata_add_sample(&r, 1, name, i, &err), 0);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "s%d.replicas", i);
        int s = vdata_find(&r, name);
        assert_true(s >= 0 && vdata_value(&r, s, 0) == i);
    }
    assert_int_equal(r.nservices, 1000);
    vdata_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        parse_fn fn;
        const char *text, *prefix, *part;
    } cases[] = {
        {vdata_parse_timeseries, "", "t.csv:1:1: ", "empty file"},
        {vdata_parse_timeseries, "replication,time_s,value\n", "t.csv:1:1: ", "no column 'series'"},
        {vdata_parse_timeseries, "replication,time_s,series,value\n0,1x,a,1\n", "t.csv:2:3: ", "expected a number"},
        {vdata_parse_timeseries, "replication,time_s,series,value\n0,5,a,1\n0,4,a,1\n", "t.csv:3:3: ",
         "time goes back"},
        {vdata_parse_timeseries, "replication,time_s,series,value\n0,5,a\n", "t.csv:2:1: ",
         "3 cells where the header has 4"},
        {vdata_parse_timeseries, "replication,time_s,series,value\n-1,5,a,1\n", "t.csv:2:1: ", "replication"},
        {vdata_parse_timeseries, "replication,time_s,series,value\n0,5,,1\n", "t.csv:2:5: ", "empty name"},
        {vdata_parse_events, "replication,time_s,object,from,to,reason\n0,1,a/hpa,1,2,\"open\n", "t.csv:2:15: ",
         "not closed"},
        {vdata_parse_events, "replication,time_s,object,from,to,reason\n0,1,a/hpa,\"1\"x,2,r\n", "t.csv:2:14: ",
         "must end at a comma"},
        {vdata_parse_autoscaler,
         "replication,time_s,service,current,metric,value,target,proposal,raw,stabilized,final,reason\n"
         "0,1,a,3,cpu,abc,70,,3,3,3,\n",
         "t.csv:2:13: ", "expected a number"},
        {vdata_parse_autoscaler, "replication,time_s,service,current,metric,value,target,proposal,raw,final,reason\n",
         "t.csv:1:1: ", "no column 'stabilized'"},
        {vdata_parse_summary, "{\"schema\": \"clustersim.summary/v1\",\n  \"x\": }", "t.csv:2:8: ",
         "not valid JSON"},
        {vdata_parse_summary, "{\"scenario\": \"x\"}", "t.csv:1:1: ", "not a clustersim summary"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vrun_t r;
        diag_t d;
        if (parse(cases[i].fn, cases[i].text, &r, &d) != -1) {
            print_error("case %zu: no error\n", i);
            fail();
        }
        tl_expect_error(&d, cases[i].prefix, cases[i].part);
        vdata_free(&r);
    }
}

static void test_summary(void **state)
{
    (void)state;
    vrun_t r;
    diag_t d;
    const char *text = "{\"schema\": \"clustersim.summary/v1\", \"scenario\": \"s\", \"duration_s\": 600,"
                       " \"replications\": 1,"
                       " \"warmup_s\": 60, \"services\": {\"web\": {\"cost_usd\": 2, \"pod_hours\": 4}},"
                       " \"cost\": {\"total_usd\": 3, \"cdn_egress_usd\": 0.5},"
                       " \"slo\": [{\"name\": \"p99\", \"metric\": \"latency_ms.p99\", \"op\": \"<\","
                       " \"threshold\": 200, \"value\": 1, \"pass\": true}]}";
    assert_int_equal(parse(vdata_parse_summary, text, &r, &d), 0);
    assert_string_equal(r.scenario, "s");
    assert_true(r.duration_s == 600 && r.warmup_s == 60 && r.cost_total_usd == 3 && r.cdn_egress_usd == 0.5);
    assert_true(r.ncost == 1 && strcmp(r.cost_service[0], "web") == 0 && r.cost_service_usd[0] == 2 &&
                r.pod_hours[0] == 4);
    assert_true(r.nslos == 1 && r.slos[0].threshold == 200 && strcmp(r.slos[0].op, "<") == 0);
    vdata_free(&r);
    /* a null where a run writes a number is not taken for 0 */
    text = "{\"schema\": \"clustersim.summary/v1\", \"duration_s\": 600, \"replications\": 1, \"warmup_s\": 60,"
           " \"cost\": {\"total_usd\": null}}";
    assert_int_equal(parse(vdata_parse_summary, text, &r, &d), -1);
    tl_expect_error(&d, "t.csv:1:1: ", "cost.total_usd: expected a number");
    vdata_free(&r);
}

/* A directory that is not a results directory: the message names the file. */
static void test_load_missing(void **state)
{
    (void)state;
    vrun_t r;
    diag_t d;
    diag_init(&d);
    assert_int_equal(vdata_load(&r, "tests/view", 0, &d), -1);
    tl_expect_error(&d, "tests/view/summary.json: ", "cannot open");
    vdata_free(&r);
}

/* Each row of events.csv the models write, in the lane as what it is
 * (the from and to texts of models/cdn.c, database.c, redis.c, service.c
 * and deployment.c): a database server's recovery was drawn as a fault,
 * and a primary's or an origin's failure as a rollout step. */
static void test_event_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *object, *from, *to;
        vevent_kind_t kind;
    } rows[] = {
        {"web/hpa", "3", "6", VEV_SCALE_UP},
        {"web/threshold", "6", "5", VEV_SCALE_DOWN},
        {"london/edge", "up", "down", VEV_FAULT},
        {"london/edge", "down", "up", VEV_RECOVER},
        {"cdn/origin", "up", "down", VEV_FAULT},
        {"cdn/origin", "down", "up", VEV_RECOVER},
        {"database.1/replica", "up", "down", VEV_FAULT},
        {"database.1/replica", "down", "up", VEV_RECOVER},
        {"database.1/replica", "down", "down", VEV_OTHER},
        {"database.0/primary", "up", "down", VEV_FAULT},
        {"database.1/primary", "replica", "primary", VEV_RECOVER},
        {"database.0/primary", "down", "up", VEV_RECOVER},
        {"redis.0/redis", "primary", "failed", VEV_FAULT},
        {"redis.0/redis", "failed", "failed", VEV_OTHER},
        {"redis.0/redis", "failed", "replica promoted", VEV_RECOVER},
        {"web/pod", "Ready", "OOMKilled", VEV_FAULT},
        {"cdn/purge", "news", "12 entries removed", VEV_FAULT},
        {"web/deployment", "revision 1", "revision 2", VEV_OTHER},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (vdata_event_kind(rows[i].object, rows[i].from, rows[i].to) != rows[i].kind) {
            print_error("%s %s -> %s: kind %d, expected %d\n", rows[i].object, rows[i].from, rows[i].to,
                        (int)vdata_event_kind(rows[i].object, rows[i].from, rows[i].to), (int)rows[i].kind);
            fail();
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_kinds),
        cmocka_unit_test(test_autoscaler_fixture), cmocka_unit_test(test_events_fixture),
        cmocka_unit_test(test_timeseries),         cmocka_unit_test(test_many_series),
        cmocka_unit_test(test_errors),             cmocka_unit_test(test_summary),
        cmocka_unit_test(test_load_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
