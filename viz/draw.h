/* draw: one frame of clustersim-view, drawn with an SDL_Renderer.
 *
 * The same code draws into a window and, for `--snapshot`, the tests and
 * the benchmark, into a surface through SDL's software renderer (no display
 * needed). Text is SDL2_ttf with a DejaVu font; rendered strings are kept
 * in a cache, so a frame that repeats its labels only copies textures.
 *
 * The layout (vlayout_make) is a function of the window size alone:
 *   - a header line (30 px): the scenario, the mode, the cursor time, the
 *     speed, the selected service and the keys;
 *   - a left column (2/5 of the width, at least 360 px): the world map of
 *     the nine regions (top, 40% of the height left under the header), the
 *     pods of every service (the next 30%) and the autoscaler's last sync
 *     for the selected service, "why it scaled" (the rest);
 *   - a right column: six charts over simulated time, stacked, sharing one
 *     time axis with the events lane under them (70 px) and the time labels
 *     (22 px) at the bottom: request rate, desired / ready / running
 *     replicas of the selected service, its p50 / p95 / p99 latency with the
 *     SLO line, its CPU utilisation with the HPA target, the error rate and
 *     the cumulative cost.
 * Each chart's plot area (vlayout_t.plot) leaves 70 px on the left for the
 * y axis labels, 12 px on the right, 18 px on top for the title and legend
 * and 4 px below. Time t maps to vmap_x over [0, tmax], tmax the longest
 * run's duration; a value v to vmap_y over [0, ymax], ymax = vaxis_nice of
 * the largest value the chart shows over the whole run (so the axes do not
 * move while the cursor does).
 *
 * In a compare view the candidate's lines are drawn dashed in the colour of
 * the base's, and its events in a second row of the lane. */
#ifndef VIZ_DRAW_H
#define VIZ_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "viz/vdata.h"

typedef struct vrect {
    int x, y, w, h;
} vrect_t;

enum { VCH_RATE, VCH_REPLICAS, VCH_LATENCY, VCH_CPU, VCH_ERRORS, VCH_COST, VCH_N };

typedef struct vlayout {
    int w, h;
    vrect_t header, map, pods, sync;
    vrect_t chart[VCH_N];   /* a chart's whole box */
    vrect_t plot[VCH_N];    /* its plot area */
    vrect_t lane;           /* the events lane (x and w as the plots') */
    vrect_t axis;           /* the time labels */
} vlayout_t;

/* Colours (0xRRGGBB), named for what they draw; the tests look for them. */
#define VCOL_BG 0x15181e
#define VCOL_PANEL 0x1d2129
#define VCOL_GRID 0x2f3540
#define VCOL_TEXT 0xe6e9ef
#define VCOL_DIM 0x9aa3b2
#define VCOL_OFFERED 0x8a93a6   /* request rate: offered */
#define VCOL_ARRIVAL 0x4ea8ff   /* request rate: arrived */
#define VCOL_DESIRED 0xffb000   /* replicas the autoscaler wants */
#define VCOL_READY 0x3ddc84     /* Ready pods */
#define VCOL_RUNNING 0x9d8cff   /* every pod (running, starting or terminating) */
#define VCOL_P50 0x4ea8ff
#define VCOL_P95 0xffb000
#define VCOL_P99 0xff5a5f
#define VCOL_SLO 0xff2d9b       /* an SLO threshold, a target */
#define VCOL_CPU 0x3ddc84
#define VCOL_SEEN 0x35e0e0      /* the CPU value an autoscaler sync saw */
#define VCOL_ERRORS 0xff5a5f
#define VCOL_COST 0xffd84d
#define VCOL_CURSOR 0xffffff
#define VCOL_EV_UP 0x3ddc84     /* scale-up marker */
#define VCOL_EV_DOWN 0x4ea8ff   /* scale-down marker */
#define VCOL_EV_FAULT 0xff3b3b  /* fault marker */
#define VCOL_EV_OTHER 0xc8c8c8  /* recovery, rollout, other */
#define VCOL_POD_START 0xffb000 /* a starting pod's outline */
#define VCOL_POD_TERM 0x6b7280  /* a terminating pod */

/* The layout of a w x h frame (see above). */
void vlayout_make(vlayout_t *L, int w, int h);
/* The smallest 1, 2, 2.5 or 5 x 10^k at or above 1.1 x max (1 when max <= 0). */
double vaxis_nice(double max);
/* The pixel column of time t in a plot over [0, tmax]. */
int vmap_x(const vrect_t *plot, double t, double tmax);
/* The pixel row of value v in a plot over [0, ymax] (clamped to the plot). */
int vmap_y(const vrect_t *plot, double v, double ymax);
/* The pixel of latitude lat, longitude lon (degrees) in the map panel m:
 * equirectangular over 110 W to 170 E and 60 N to 50 S, from 8 px inside
 * m's left and right edges and 22 px under its top to 8 px above its
 * bottom. A location's mark is a disc centred there. */
void vmap_geo(const vrect_t *m, double lat, double lon, int *x, int *y);
/* The x pixel of an event marker's centre and the y of its row (row 0: the
 * base's events, 1: the candidate's) in the lane. */
int vlane_y(const vlayout_t *L, int row, int nrows);

/* Pod k's box (0-based) of service svc of n in the pods panel: services
 * in rows of (panel height - 24) / n px (at most 44) from 22 px under the
 * panel's top; 12 px boxes 3 px apart from 170 px after its left edge, one
 * or two lines of them as the row allows, leaving 40 px on the right for
 * "+N" (the pods not drawn). Pods are drawn Ready first, then starting,
 * then terminating. False when box k does not fit. */
bool vpod_box(const vlayout_t *L, int nservices, int svc, int k, vrect_t *b);

/* The bar of metric row m (0-based) of nm rows in the sync panel: 12 px
 * high, rows 32 px apart from 64 px under the panel's top (the metric's
 * name, value and target above the bar), from 6 px after its left edge to
 * 96 px before its right (the proposal after it); where nm rows do not fit
 * so, they come closer (at least 24 px apart) and the bars thinner (the
 * pitch less 16 px). The bar spans 0 to vaxis_nice(max(value, target)) and
 * the target is a 3 px tick centred on its column. False when row m does
 * not fit in the panel above its bottom 18 px (where the panel then says
 * how many more there are, and a compare view names the runs). */
bool vsync_bar(const vlayout_t *L, int m, int nm, vrect_t *bar);
/* The time axis's tick step (s) for a run of tmax s drawn over width px
 * with labels at most label_w px wide: the first of 1, 5, 10, 15, 30 min,
 * 1, 2, 3, 6, 12 h, 1, 2, 7 days (then doubling) with at most 8 steps in
 * tmax and ticks at least 2 label_w + 8 px apart, so that no two labels
 * overlap: the first is drawn left-aligned at its tick, the others centred,
 * the last right-aligned where centred would pass the axis's end. With no
 * run (tmax <= 0) or no width (<= 1 px): one step, the run's length or 1 min. */
double vaxis_time_step(double tmax, int width, int label_w);

/* The largest value over the whole run of what chart c shows for run r and
 * service index svc (the tests recompute axes from it): every series drawn,
 * the target lines and, for CPU, the values the autoscaler's syncs saw. */
double vchart_max(const vrun_t *r, int c, int svc);
/* The cumulative cost in USD at sample i (see README: rebuilt from the
 * replica and edge series and summary.json's costs; at the last sample it
 * is summary.json's cost.total_usd for one replication, near the mean of
 * R, the shown replication's pods at the mean prices, for R). */
double vcost_at(const vrun_t *r, int i);

typedef struct vtext vtext_t;
typedef struct vview vview_t;

struct vview {
    SDL_Renderer *ren;
    TTF_Font *font, *small, *bold;
    vtext_t *cache;
    const vrun_t *run[2];   /* base (or the only run), candidate (or NULL) */
    int nruns;
    int show;               /* the run the map, pods and sync panels show */
    double cursor;          /* s */
    int service;            /* index into run[show]->services */
    int mouse_x, mouse_y;   /* -1: not over the window */
    const char *mode;       /* "replay", "live", "compare" */
    char status[96];        /* "paused", "100x", ... */
    vlayout_t L;
    double *cost[2];        /* each run's computed series: cost, then errors */
    int cost_nt[2];         /* samples when it was computed */
};

/* The first font found: $CLUSTERSIM_FONT, then the DejaVu paths of Debian
 * (fonts-dejavu-core) and other systems; NULL when none is readable. */
const char *vview_font_path(void);
/* Opens the fonts and the text cache for ren. 0, or -1 with a message in err. */
int vview_init(vview_t *v, SDL_Renderer *ren, char *err, size_t errlen);
void vview_free(vview_t *v);
/* The end of the longest run (s). */
double vview_tmax(const vview_t *v);
/* The legend of line l of chart c (its label and value at the cursor,
 * "base / candidate" in a compare view, then its unit when asked): a run's
 * value is "\xe2\x80\x93" once the cursor is past the run's end (its last sample
 * and its duration), not its last value. False when c has no line l. */
bool vlegend_text(const vview_t *v, int c, int l, bool unit, char *out, size_t n);
/* Draws one w x h frame (does not present it). */
void vview_draw(vview_t *v, int w, int h);

#endif
