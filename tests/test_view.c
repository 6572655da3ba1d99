/* Pixel tests of clustersim-view's frame (viz/draw), headless through SDL's
 * software renderer; built only when SDL2 is there (Makefile).
 *
 * The run is scenarios/hpa-step.yaml (30 min, a load step that scales the
 * api-gateway from 3 to 11 pods and back), run by $CLUSTERSIM into a
 * temporary directory. Expected pixels come from the run's files, read here
 * with a parser of this test's own, and the documented layout: the replica
 * chart's y axis is vaxis_nice of the largest replica count, a value maps
 * with vmap_y, a time with vmap_x over [0, the run's last sample]; an
 * event's marker sits at vlane_y of its row. Run from the repository root. */
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
#include <zlib.h>

#include "models/geo.h"
#include "viz/draw.h"
#include "viz/png.h"

/* under build/, which every build has (tests run from the repository root) */
static char tmpdir[] = "build/test-view-XXXXXX";
static char dir[64]; /* tmpdir/run: the results */
static char jnb[64]; /* tmpdir/jnb: johannesburg-outage, shortened (setup) */

/* hpa-step's duration (30 min): its last sample, the right end of the time axis */
#define RUN_END 1800.0

/* Series name in DIR/timeseries.csv (replication 0): its value at time t
 * (-1 without a row there) and its largest value (0 without rows). */
static void csv_series_in(const char *d, const char *name, double t, double *at, double *max)
{
    char path[256], line[512];
    snprintf(path, sizeof path, "%s/timeseries.csv", d);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    *at = -1;
    *max = 0;
    while (fgets(line, sizeof line, f)) {
        int rep;
        double tt, v;
        char s[200];
        if (sscanf(line, "%d,%lf,%199[^,],%lf", &rep, &tt, s, &v) == 4 && rep == 0 && !strcmp(s, name)) {
            if (tt == t)
                *at = v;
            if (v > *max)
                *max = v;
        }
    }
    fclose(f);
}

static void csv_series(const char *name, double t, double *at, double *max)
{
    csv_series_in(dir, name, t, at, max);
}

/* The value of series name at time t (replication 0); it must have one. */
static double csv_value(const char *name, double t)
{
    double at, max;
    csv_series(name, t, &at, &max);
    assert_true(at >= 0);
    return at;
}

/* The largest value of series name (replication 0). */
static double csv_max(const char *name)
{
    double at, max;
    csv_series(name, -1, &at, &max);
    return max;
}

/* Runs scenarios/hpa-step.yaml with $CLUSTERSIM (and the options in extra,
 * each followed by a space) into out; system()'s result. */
static int run_hpa_step(const char *extra, const char *out)
{
    const char *exe = getenv("CLUSTERSIM") ? getenv("CLUSTERSIM") : "bin/clustersim";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s run scenarios/hpa-step.yaml %s-q -o %s >/dev/null 2>&1", exe, extra, out);
    return system(cmd);
}

/* The first scale-up and scale-down of api-gateway in DIR/events.csv
 * (replication 0), -1 when there is none. */
static void first_changes(const char *d, double *t_up, double *t_down)
{
    char path[256], line[512];
    snprintf(path, sizeof path, "%s/events.csv", d);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    *t_up = *t_down = -1;
    while (fgets(line, sizeof line, fp)) {
        int rep, from, to;
        double t;
        if (sscanf(line, "%d,%lf,api-gateway/hpa,%d,%d", &rep, &t, &from, &to) == 4 && rep == 0) {
            if (to > from && *t_up < 0)
                *t_up = t;
            if (to < from && *t_down < 0)
                *t_down = t;
        }
    }
    fclose(fp);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(dir, sizeof dir, "%s/run", tmpdir);
    if (run_hpa_step("", dir) != 0)
        return -1;
    /* the outage scenario, its Johannesburg edge down from 10 to 20 min of 30 */
    const char *exe = getenv("CLUSTERSIM") ? getenv("CLUSTERSIM") : "bin/clustersim";
    char cmd[1024];
    snprintf(jnb, sizeof jnb, "%s/jnb", tmpdir);
    snprintf(cmd, sizeof cmd,
             "%s run scenarios/johannesburg-outage.yaml --duration 30m --set warmup=0s "
             "--set 'faults=[{at: 10m, target: cdn.johannesburg, fault: region_outage, duration: 10m}]' "
             "-q -o %s >/dev/null 2>&1",
             exe, jnb);
    if (system(cmd) != 0)
        return -1;
    return TTF_Init();
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    TTF_Quit();
    SDL_Quit();
    return system(cmd);
}

static uint32_t pixel(SDL_Surface *s, int x, int y)
{
    return ((const uint32_t *)s->pixels)[(size_t)y * (size_t)(s->pitch / 4) + (size_t)x] & 0xffffff;
}

typedef struct frame {
    SDL_Surface *s;
    SDL_Renderer *ren;
    vview_t v;
    vrun_t r;
} frame_t;

static void draw_dir(frame_t *f, const char *d_, int w, int h, double cursor)
{
    diag_t d;
    diag_init(&d);
    assert_int_equal(vdata_load(&f->r, d_, 0, &d), 0);
    f->s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(f->s);
    f->ren = SDL_CreateSoftwareRenderer(f->s);
    assert_non_null(f->ren);
    memset(&f->v, 0, sizeof f->v);
    char err[256];
    assert_int_equal(vview_init(&f->v, f->ren, err, sizeof err), 0);
    f->v.run[0] = &f->r;
    f->v.nruns = 1;
    f->v.mode = "replay";
    f->v.cursor = cursor;
    vview_draw(&f->v, w, h);
}

static void draw(frame_t *f, int w, int h, double cursor)
{
    draw_dir(f, dir, w, h, cursor);
}

static void undraw(frame_t *f)
{
    vview_free(&f->v);
    SDL_DestroyRenderer(f->ren);
    SDL_FreeSurface(f->s);
    vdata_free(&f->r);
}

/* The Ready line of the replica chart where the data puts it, at two sizes. */
static void test_replica_line(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1600, 900}, {1000, 620}};
    double ymax = vaxis_nice(fmax(csv_max("api-gateway.replicas"), csv_max("api-gateway.replicas_desired")));
    /* 300 s: before the step, 3 pods; 1100 s: after it, the most pods.
     * Ready is drawn last, so it is on top where the lines agree. */
    static const double at[] = {300, 1100};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        frame_t f;
        draw(&f, sizes[k][0], sizes[k][1], 0);
        const vrect_t *pl = &f.v.L.plot[VCH_REPLICAS];
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            double ready = csv_value("api-gateway.replicas_ready", at[i]);
            int x = vmap_x(pl, at[i], RUN_END), y = vmap_y(pl, ready, ymax);
            uint32_t got = pixel(f.s, x, y);
            if (got != VCOL_READY) {
                print_error("size %dx%d, t %g: ready %g at (%d, %d) is %06x, not %06x\n", sizes[k][0], sizes[k][1],
                            at[i], ready, x, y, (unsigned)got, VCOL_READY);
                fail();
            }
            /* one pod higher or lower is not the line */
            assert_int_not_equal(pixel(f.s, x, vmap_y(pl, ready + 1, ymax)), VCOL_READY);
            assert_int_not_equal(pixel(f.s, x, vmap_y(pl, ready - 1, ymax)), VCOL_READY);
        }
        /* a sample in the scale-up where fewer pods are Ready than desired,
         * the same at the samples before and after it (so no line's
         * segment towards a neighbour crosses its column): each line at
         * its own value, which a line drawing another series would miss */
        double t = -1, want = 0, ready = 0;
        for (double s = 10; s + 5 <= RUN_END && t < 0; s += 5) {
            want = csv_value("api-gateway.replicas_desired", s);
            ready = csv_value("api-gateway.replicas_ready", s);
            bool steady = true;
            for (double ds = -5; ds <= 5; ds += 10)
                steady = steady && csv_value("api-gateway.replicas_desired", s + ds) == want &&
                         csv_value("api-gateway.replicas_ready", s + ds) == ready;
            if (steady && ready + 2 <= want)
                t = s;
        }
        assert_true(t > 0);
        int x = vmap_x(pl, t, RUN_END), yr = vmap_y(pl, ready, ymax), yd = vmap_y(pl, want, ymax);
        if (pixel(f.s, x, yr) != VCOL_READY || pixel(f.s, x, yd) != VCOL_DESIRED) {
            print_error("size %dx%d, t %g: ready %g at (%d, %d) is %06x; desired %g at (%d, %d) is %06x\n",
                        sizes[k][0], sizes[k][1], t, ready, x, yr, (unsigned)pixel(f.s, x, yr), want, x, yd,
                        (unsigned)pixel(f.s, x, yd));
            fail();
        }
        undraw(&f);
    }
}

/* The map: Johannesburg's mark where its coordinates put it (vmap_geo),
 * green (its users' p95 under 100 ms), with no cross while its edge is up
 * and the red cross of DOWN over its corners while it is down; a frame at
 * the minimum size labels every location it marks. */
static void test_map(void **state)
{
    (void)state;
    const geo_location_t *loc = geo_location(geo_find("johannesburg"));
    assert_non_null(loc);
    static const double at[] = {300, 900}; /* up, then down (10 to 20 min) */
    for (int k = 0; k < 2; k++) {
        double rate, p95, up, max;
        csv_series_in(jnb, "edge.johannesburg.requests_rps", at[k], &rate, &max);
        csv_series_in(jnb, "region.johannesburg.latency_p95_ms", at[k], &p95, &max);
        csv_series_in(jnb, "edge.johannesburg.up", at[k], &up, &max);
        assert_true(rate >= 0 && p95 > 0 && p95 < 100 && up == (k == 0));
        frame_t f;
        draw_dir(&f, jnb, 1600, 900, at[k]);
        int x, y, rad = 4 + (int)lround(sqrt(rate) / 2);
        rad = rad > 18 ? 18 : rad;
        vmap_geo(&f.v.L.map, loc->lat, loc->lon, &x, &y);
        /* the mark, one pixel in from its edge left and right (its centre
         * is under the cross when down) */
        assert_int_equal(pixel(f.s, x + rad - 1, y), VCOL_READY);
        assert_int_equal(pixel(f.s, x - rad + 1, y), VCOL_READY);
        /* the cross's ends: (x -+ (rad + 3), y - (rad + 3)) */
        uint32_t c1 = pixel(f.s, x - rad - 3, y - rad - 3), c2 = pixel(f.s, x + rad + 3, y - rad - 3);
        if (k == 0)
            assert_true(c1 != VCOL_EV_FAULT && c2 != VCOL_EV_FAULT);
        else
            assert_true(c1 == VCOL_EV_FAULT && c2 == VCOL_EV_FAULT);
        undraw(&f);
    }
}

/* No two time-axis labels overlap, whatever the width and the run's
 * length: labels w px wide, the first left-aligned at its tick, the others
 * centred, the last right-aligned (the worst case), at least 4 px apart. */
static void test_time_ticks(void **state)
{
    (void)state;
    static const double tmax[] = {600, 1800, 3600, 4 * 3600, 6 * 3600, 86400, 2 * 86400, 7 * 86400, 30 * 86400};
    static const int label_w[] = {33, 40, 75};
    for (size_t a = 0; a < sizeof tmax / sizeof tmax[0]; a++)
        for (int width = 200; width <= 3000; width += 17)
            for (size_t b = 0; b < sizeof label_w / sizeof label_w[0]; b++) {
                int lw = label_w[b];
                double step = vaxis_time_step(tmax[a], width, lw);
                vrect_t ax = {0, 0, width, 20};
                int n = (int)floor(tmax[a] / step + 1e-9) + 1, prev_right = -1000;
                assert_true(n <= 9);
                for (int k = 0; k < n; k++) {
                    int x = vmap_x(&ax, k * step, tmax[a]);
                    int left = k == 0 ? x : k == n - 1 ? x - lw : x - lw / 2;
                    if (left < prev_right + 4) {
                        print_error("tmax %g, width %d, label %d px: step %g puts label %d at %d, the one before "
                                    "ends at %d\n",
                                    tmax[a], width, lw, step, k, left, prev_right);
                        fail();
                    }
                    prev_right = left + lw;
                }
            }
    /* no room, or no run: one finite step, at once (a width of 0 once
     * doubled the step for ever) */
    assert_true(isfinite(vaxis_time_step(7200, 0, 50)) && vaxis_time_step(7200, 0, 50) >= 7200);
    assert_true(isfinite(vaxis_time_step(7200, 1, 50)));
    assert_true(vaxis_time_step(0, 800, 50) > 0);
}

/* The sync panel's bars stay inside it, above its 18 px bottom line (the
 * "+N more" note, the compare tag), whatever the count: rows that do not
 * fit at the closest pitch (24 px) are refused, never squeezed to a
 * negative height (a panel 135 px tall, 800x500's, and 200 px). */
static void test_sync_bars_fit(void **state)
{
    (void)state;
    static const int heights[] = {135, 200, 400};
    for (size_t i = 0; i < sizeof heights / sizeof heights[0]; i++)
        for (int nm = 1; nm <= 12; nm++) {
            vlayout_t L = {.sync = {0, 100, 400, heights[i]}};
            int fit = 0;
            for (int m = 0; m < nm; m++) {
                vrect_t bar;
                if (!vsync_bar(&L, m, nm, &bar))
                    break;
                fit++;
                assert_true(bar.h >= 8);
                assert_true(bar.y - 16 >= L.sync.y && bar.y + bar.h + 18 <= L.sync.y + L.sync.h);
            }
            /* as many as fit: from y + 64, a row every 24 px at least */
            int most = 1 + (heights[i] - 64 - 18 - 8) / 24;
            assert_int_equal(fit, nm < most ? nm : most);
        }
}

/* A series the run does not have draws nothing: the charts of a service
 * without CPU or latency series (here one that is not in the run) are
 * empty, where the missing series' -1 was taken for the computed error
 * line and drew the rejections (hpa-step rejects requests during its
 * scale-up, so that line is not empty). */
static void test_missing_series_draws_nothing(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    vrun_t r;
    assert_int_equal(vdata_load(&r, dir, 0, &d), 0);
    assert_true(vchart_max(&r, VCH_ERRORS, 0) > 0);
    assert_true(vchart_max(&r, VCH_CPU, r.nservices) == 0);
    assert_true(vchart_max(&r, VCH_LATENCY, r.nservices) == 0);
    assert_true(vchart_max(&r, VCH_CPU, 0) > 0); /* api-gateway has its CPU */
    vdata_free(&r);
}

/* The first scale-up of events.csv is a scale-up marker in the lane. */
static void test_event_marker(void **state)
{
    (void)state;
    double t_up, t_down;
    first_changes(dir, &t_up, &t_down);
    assert_true(t_up > 0 && t_down > 0);
    frame_t f;
    draw(&f, 1600, 900, 0);
    int y = vlane_y(&f.v.L, 0, 1);
    assert_int_equal(pixel(f.s, vmap_x(&f.v.L.lane, t_up, RUN_END), y), VCOL_EV_UP);
    assert_int_equal(pixel(f.s, vmap_x(&f.v.L.lane, t_down, RUN_END), y), VCOL_EV_DOWN);
    /* and nothing of a marker's colour halfway between the run's start and the first event */
    assert_int_not_equal(pixel(f.s, vmap_x(&f.v.L.lane, t_up / 2, RUN_END), y), VCOL_EV_UP);
    undraw(&f);
}

/* The time cursor is drawn at --at's column. */
static void test_cursor(void **state)
{
    (void)state;
    frame_t f;
    draw(&f, 1600, 900, 900);
    const vrect_t *pl = &f.v.L.plot[VCH_ERRORS];
    int x = vmap_x(pl, 900, RUN_END);
    /* a blended white over the panel: brighter than anything around it */
    uint32_t c = pixel(f.s, x, pl->y + 2), n = pixel(f.s, x + 3, pl->y + 2);
    assert_true((c & 0xff) > 0xa0 && (n & 0xff) < 0x40);
    undraw(&f);
}

/* The metric rows of DIR/autoscaler.csv's api-gateway sync at time t
 * (replication 0, values present): value and target of each, up to 4. */
static int csv_sync(double t, double *value, double *target)
{
    char path[256], line[512];
    snprintf(path, sizeof path, "%s/autoscaler.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    while (fgets(line, sizeof line, f) && n < 4) {
        int rep;
        double tt, cur, v, tg;
        char metric[64];
        if (sscanf(line, "%d,%lf,api-gateway,%lf,%63[^,],%lf,%lf", &rep, &tt, &cur, metric, &v, &tg) == 6 &&
            rep == 0 && tt == t) {
            value[n] = v;
            target[n++] = tg;
        }
    }
    fclose(f);
    return n;
}

/* The bar of metric m is drawn as the sync panel's rules say (vsync_bar):
 * the target's tick at target / scale, the value's bar (amber over its
 * target, green under) ending at value / scale. */
static void check_bar(const frame_t *f, int m, int nm, double value, double target)
{
    vrect_t bar;
    assert_true(vsync_bar(&f->v.L, m, nm, &bar));
    double scale = vaxis_nice(value > target ? value : target);
    int tx = bar.x + (int)lround(target / scale * bar.w), vx = bar.x + (int)lround(value / scale * bar.w);
    int y = bar.y + bar.h / 2;
    assert_int_equal(pixel(f->s, tx, y), VCOL_SLO);
    if (abs(vx - tx) > 3) {
        assert_int_equal(pixel(f->s, vx - 2, y), value > target ? VCOL_DESIRED : VCOL_READY);
        assert_int_equal(pixel(f->s, vx + 2, y), VCOL_GRID);
    }
}

/* Why it scaled: the run's own autoscaler.csv (the sync at 600 s, as this
 * test reads it), then none (nothing drawn where a tick would be), then the
 * hand-written fixture (tests/view/autoscaler.csv: at 405 s cpu 85 against
 * 70, requests 250 against 100), whose CPU values also make the CPU chart's
 * target line and dots. */
static void test_sync_panel(void **state)
{
    (void)state;
    char cmd[512], path[256], keep[256];
    double value[4], target[4];
    int n = csv_sync(600, value, target);
    assert_true(n >= 1);
    frame_t f;
    draw(&f, 1600, 900, 605);
    for (int m = 0; m < n; m++)
        check_bar(&f, m, n, value[m], target[m]);
    undraw(&f);
    snprintf(path, sizeof path, "%s/autoscaler.csv", dir);
    snprintf(keep, sizeof keep, "%s/autoscaler.kept", tmpdir);
    assert_int_equal(rename(path, keep), 0);
    draw(&f, 1600, 900, 410);
    assert_false(f.r.has_autoscaler);
    vrect_t bar;
    assert_true(vsync_bar(&f.v.L, 0, 2, &bar));
    int tick_x = bar.x + (int)lround(70.0 / vaxis_nice(85) * bar.w);
    assert_int_not_equal(pixel(f.s, tick_x, bar.y + bar.h / 2), VCOL_SLO);
    undraw(&f);
    snprintf(cmd, sizeof cmd, "cp tests/view/autoscaler.csv %s/", dir);
    assert_int_equal(system(cmd), 0);
    draw(&f, 1600, 900, 410);
    assert_true(f.r.has_autoscaler);
    check_bar(&f, 0, 2, 85, 70);
    check_bar(&f, 1, 2, 250, 100);
    /* the CPU chart's HPA target line at 70%, and a dot for what the sync
     * at 405 s saw (85%); the axis covers the series (a fraction, shown in
     * %) and the fixture's values */
    const vrect_t *pl = &f.v.L.plot[VCH_CPU];
    double top = csv_max("api-gateway.cpu_utilization") * 100;
    double ymax = vaxis_nice(top > 85 ? top : 85);
    assert_int_equal(pixel(f.s, pl->x + 5, vmap_y(pl, 70, ymax)), VCOL_SLO);
    assert_int_equal(pixel(f.s, vmap_x(pl, 405, RUN_END), vmap_y(pl, 85, ymax)), VCOL_SEEN);
    undraw(&f);
    assert_int_equal(rename(keep, path), 0);
}

/* Hovering a chart shows a box of exact values beside the mouse. */
static void test_hover(void **state)
{
    (void)state;
    frame_t f;
    draw(&f, 1600, 900, 0);
    const vrect_t *pl = &f.v.L.plot[VCH_REPLICAS];
    int mx = pl->x + pl->w / 3, my = pl->y + pl->h / 2;
    uint32_t before = pixel(f.s, mx + 20, my + 5);
    f.v.mouse_x = mx;
    f.v.mouse_y = my;
    vview_draw(&f.v, 1600, 900);
    uint32_t after = pixel(f.s, mx + 20, my + 5);
    /* the box: black at 220/255 over the panel, darker than it was */
    assert_true((after & 0xff) < (before & 0xff) && (after & 0xff) < 0x10);
    undraw(&f);
}

/* The pods panel: one box per pod, Ready ones filled, starting ones an
 * amber outline, at the first sample where the run had pods starting (after
 * its first scale-up), counts from timeseries.csv. */
static void test_pod_boxes(void **state)
{
    (void)state;
    double t = -1, rep = 0, ready = 0, gone = 0;
    for (double s = 5; s <= RUN_END && t < 0; s += 5) {
        rep = csv_value("api-gateway.replicas", s);
        ready = csv_value("api-gateway.replicas_ready", s);
        gone = csv_value("api-gateway.replicas_terminating", s);
        if (rep > ready + gone)
            t = s;
    }
    assert_true(t > 0 && ready >= 1);
    frame_t f;
    draw(&f, 1600, 900, t);
    vrect_t b;
    for (int k = 0; k < (int)rep + 1; k++) {
        assert_true(vpod_box(&f.v.L, 1, 0, k, &b));
        uint32_t edge = pixel(f.s, b.x, b.y + b.h / 2), mid = pixel(f.s, b.x + b.w / 2, b.y + b.h / 2);
        if (k < (int)ready) /* filled: no panel colour inside */
            assert_true(edge == mid && mid != VCOL_PANEL);
        else if (k < (int)(rep - gone)) /* starting: an outline round the panel's colour */
            assert_true(edge == VCOL_POD_START && mid == VCOL_PANEL);
        else if (k >= (int)rep) /* no pod */
            assert_true(edge == VCOL_PANEL && mid == VCOL_PANEL);
    }
    undraw(&f);
}

/* Draws the test run (at `at`) in compare mode against the run in cand,
 * loaded into c (vdata_free it after undraw). */
static void draw_compare(frame_t *f, vrun_t *c, const char *cand, double at)
{
    diag_t d;
    diag_init(&d);
    assert_int_equal(vdata_load(c, cand, 0, &d), 0);
    draw(f, 1600, 900, at);
    f->v.run[1] = c;
    f->v.nruns = 2;
    f->v.mode = "compare";
    vview_draw(&f->v, 1600, 900);
}

/* Compare: the candidate (another seed, so other events) has its events in
 * the lane's second row, the base in the first; each run's first scale-up
 * marker is where its own events.csv puts it. */
static void test_compare_lanes(void **state)
{
    (void)state;
    char cand[128];
    snprintf(cand, sizeof cand, "%s/cand", tmpdir);
    assert_int_equal(run_hpa_step("--seed 9 ", cand), 0);
    frame_t f;
    vrun_t c;
    draw_compare(&f, &c, cand, 0);
    double tb, tc, down;
    first_changes(dir, &tb, &down);
    first_changes(cand, &tc, &down);
    assert_true(tb > 0 && tc > 0);
    int xb = vmap_x(&f.v.L.lane, tb, RUN_END), xc = vmap_x(&f.v.L.lane, tc, RUN_END);
    assert_int_equal(pixel(f.s, xb, vlane_y(&f.v.L, 0, 2)), VCOL_EV_UP);
    assert_int_equal(pixel(f.s, xc, vlane_y(&f.v.L, 1, 2)), VCOL_EV_UP);
    undraw(&f);
    vdata_free(&c);
}

/* Pixels of colour col in the header (row 0 to 29). */
static int header_pixels(const frame_t *f, uint32_t col)
{
    int n = 0;
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < f->s->w; x++)
            n += pixel(f->s, x, y) == col;
    return n;
}

/* Compare, past the shorter run's end: its legend values are a dash, not
 * its last sample's; the longer run's are its own. And the header says, in
 * amber, when the two runs are of different scenarios. */
static void test_compare_past_end(void **state)
{
    (void)state;
    char longer[128], txt[160], want[160];
    snprintf(longer, sizeof longer, "%s/long", tmpdir);
    assert_int_equal(run_hpa_step("--duration 1h ", longer), 0);
    frame_t f;
    vrun_t c;
    draw_compare(&f, &c, longer, 2700);
    double pods, max;
    csv_series_in(longer, "api-gateway.replicas", 2700, &pods, &max);
    assert_true(pods >= 1);
    assert_true(vlegend_text(&f.v, VCH_REPLICAS, 0, true, txt, sizeof txt));
    snprintf(want, sizeof want, "pods \xe2\x80\x93 / %g pods", pods);
    assert_string_equal(txt, want);
    /* within both runs: both values */
    f.v.cursor = 600;
    assert_true(vlegend_text(&f.v, VCH_REPLICAS, 0, false, txt, sizeof txt));
    csv_series_in(longer, "api-gateway.replicas", 600, &pods, &max);
    snprintf(want, sizeof want, "pods %g / %g", csv_value("api-gateway.replicas", 600), pods);
    assert_string_equal(txt, want);
    int same = header_pixels(&f, VCOL_DESIRED);
    undraw(&f);
    vdata_free(&c);
    /* the same against the outage scenario's run */
    draw_compare(&f, &c, jnb, 600);
    int other = header_pixels(&f, VCOL_DESIRED);
    assert_true(same > 0 && other > same + 100);
    undraw(&f);
    vdata_free(&c);
}

/* A PNG the writer makes reads back: signature, size, pixels. */
static void test_png(void **state)
{
    (void)state;
    uint32_t px[2][3] = {{0xffff0000, 0xff00ff00, 0xff0000ff}, {0xff123456, 0xffffffff, 0xff000000}};
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/t.png", dir);
    assert_int_equal(vpng_write(path, px, 3, 2, 12, err, sizeof err), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char b[4096];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    assert_int_equal(b[19], 3);  /* width */
    assert_int_equal(b[23], 2);  /* height */
    assert_int_equal(b[24], 8);  /* depth */
    assert_int_equal(b[25], 2);  /* RGB */
    /* IDAT follows IHDR's 13 bytes and CRC */
    size_t at = 8 + 8 + 13 + 4;
    assert_memory_equal(b + at + 4, "IDAT", 4);
    uLong zlen = (uLong)b[at] << 24 | (uLong)b[at + 1] << 16 | (uLong)b[at + 2] << 8 | b[at + 3];
    assert_true(at + 8 + zlen <= n);
    unsigned char raw[64];
    uLongf rawlen = sizeof raw;
    assert_int_equal(uncompress(raw, &rawlen, b + at + 8, zlen), Z_OK);
    static const unsigned char want[] = {0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0x12, 0x34, 0x56, 255, 255, 255, 0, 0, 0};
    assert_int_equal(rawlen, sizeof want);
    assert_memory_equal(raw, want, sizeof want);
    remove(path);
}

static void test_axis(void **state)
{
    (void)state;
    /* the smallest 1, 2, 2.5, 5 x 10^k at or above 1.1 x max */
    assert_true(vaxis_nice(0) == 1 && vaxis_nice(-3) == 1);
    assert_true(vaxis_nice(9) == 10);    /* 9.9 */
    assert_true(vaxis_nice(11) == 20);   /* 12.1 */
    assert_true(vaxis_nice(2.2) == 2.5); /* 2.42 */
    assert_true(vaxis_nice(4) == 5);     /* 4.4 */
    vrect_t p = {100, 50, 101, 11};
    assert_int_equal(vmap_x(&p, 0, 10), 100);
    assert_int_equal(vmap_x(&p, 10, 10), 200);
    assert_int_equal(vmap_x(&p, 5, 10), 150);
    assert_int_equal(vmap_y(&p, 0, 10), 60);
    assert_int_equal(vmap_y(&p, 10, 10), 50);
    assert_int_equal(vmap_y(&p, 20, 10), 50); /* clamped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axis),          cmocka_unit_test(test_replica_line),
        cmocka_unit_test(test_missing_series_draws_nothing), cmocka_unit_test(test_event_marker),
        cmocka_unit_test(test_cursor),        cmocka_unit_test(test_sync_panel),   cmocka_unit_test(test_hover),
        cmocka_unit_test(test_pod_boxes),     cmocka_unit_test(test_compare_lanes), cmocka_unit_test(test_png),
        cmocka_unit_test(test_map),           cmocka_unit_test(test_time_ticks), cmocka_unit_test(test_sync_bars_fit), cmocka_unit_test(test_compare_past_end),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
