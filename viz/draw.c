/* draw: the panels of clustersim-view (see draw.h for the layout). */
#include "viz/draw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/geo.h"
#include "sim/journal.h"

/* ---- layout and axes ----------------------------------------------------- */

void vlayout_make(vlayout_t *L, int w, int h)
{
    memset(L, 0, sizeof *L);
    L->w = w;
    L->h = h;
    L->header = (vrect_t){0, 0, w, 30};
    int lw = w * 2 / 5 < 360 ? 360 : w * 2 / 5, top = 30, rest = h - top;
    L->map = (vrect_t){6, top + 4, lw - 12, rest * 40 / 100 - 8};
    L->pods = (vrect_t){6, top + rest * 40 / 100, lw - 12, rest * 30 / 100 - 4};
    L->sync = (vrect_t){6, top + rest * 70 / 100, lw - 12, rest - rest * 70 / 100 - 6};
    int rx = lw, rw = w - lw - 6, lane_h = 70, axis_h = 22;
    int ch = (h - top - lane_h - axis_h - 4) / VCH_N;
    for (int c = 0; c < VCH_N; c++) {
        L->chart[c] = (vrect_t){rx, top + 2 + c * ch, rw, ch - 2};
        L->plot[c] = (vrect_t){rx + 70, L->chart[c].y + 18, rw - 70 - 12, ch - 2 - 18 - 4};
    }
    L->lane = (vrect_t){rx + 70, top + 2 + VCH_N * ch + 2, rw - 70 - 12, lane_h - 4};
    L->axis = (vrect_t){rx + 70, L->lane.y + L->lane.h, rw - 70 - 12, axis_h};
}

double vaxis_nice(double max)
{
    if (!(max > 0) || !isfinite(max))
        return 1;
    double want = max * 1.1, p = pow(10, floor(log10(want)));
    static const double steps[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * p >= want)
            return steps[i] * p;
    return 10 * p;
}

int vmap_x(const vrect_t *plot, double t, double tmax)
{
    if (!(tmax > 0))
        return plot->x;
    double f = t / tmax;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return plot->x + (int)lround(f * (plot->w - 1));
}

int vmap_y(const vrect_t *plot, double v, double ymax)
{
    double f = ymax > 0 ? v / ymax : 0;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return plot->y + plot->h - 1 - (int)lround(f * (plot->h - 1));
}

enum { SYNC_FOOT = 18 };

bool vsync_bar(const vlayout_t *L, int m, int nm, vrect_t *bar)
{
    const vrect_t *p = &L->sync;
    /* from the first bar's top to the bottom line (18 px: "+N more", the
     * compare view's tag), which no bar enters */
    int pitch = 32, h = 12, room = p->h - 64 - SYNC_FOOT;
    if (nm > 1 && (nm - 1) * pitch + h > room) {
        /* closer rows, thinner bars: at least 24 px a row (the text's 16 and an 8 px bar) */
        pitch = (room - 8) / (nm - 1);
        pitch = pitch < 24 ? 24 : pitch > 32 ? 32 : pitch;
        h = pitch - 16 > 12 ? 12 : pitch - 16;
        /* the last bar ends at the bottom line when they all fit; never below 8 px (then the last rows do
         * not fit, and are refused) */
        h = room - (nm - 1) * pitch < h ? room - (nm - 1) * pitch : h;
        h = h < 8 ? 8 : h;
    }
    *bar = (vrect_t){p->x + 6, p->y + 64 + pitch * m, p->w - 12 - 90, h};
    return m >= 0 && m < nm && bar->y + bar->h + SYNC_FOOT <= p->y + p->h;
}

double vaxis_time_step(double tmax, int width, int label_w)
{
    static const double steps[] = {60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800};
    size_t n = sizeof steps / sizeof steps[0];
    double need = 2.0 * label_w + 8; /* px between ticks: see draw.h */
    if (!(tmax > 0) || width <= 1 || !isfinite(tmax))
        return steps[0] > tmax || !isfinite(tmax) ? steps[0] : tmax; /* no axis to fit (one tick) */
    for (size_t k = 0; k < n; k++)
        if (tmax / steps[k] <= 8 && steps[k] / tmax * (width - 1) >= need)
            return steps[k];
    double step = steps[n - 1];
    while (step < tmax && (tmax / step > 8 || step / tmax * (width - 1) < need))
        step *= 2;
    return step;
}

/* The height of a service's row in the pods panel. */
static int pod_row_h(const vlayout_t *L, int nservices)
{
    int rowh = nservices ? (L->pods.h - 24) / nservices : 0;
    return rowh > 44 ? 44 : rowh;
}

bool vpod_box(const vlayout_t *L, int nservices, int svc, int k, vrect_t *b)
{
    const vrect_t *p = &L->pods;
    int rowh = pod_row_h(L, nservices), y = p->y + 22 + svc * rowh, box = 12, gap = 3;
    int per_row = (p->w - 176 - 40) / (box + gap), rows = (rowh - 2) / (box + gap);
    rows = rows < 1 ? 1 : rows > 2 ? 2 : rows;
    if (svc < 0 || svc >= nservices || per_row < 1 || k < 0 || k >= per_row * rows || y + 16 > p->y + p->h)
        return false;
    *b = (vrect_t){p->x + 170 + (k % per_row) * (box + gap), y + 2 + (k / per_row) * (box + gap), box, box};
    return true;
}

int vlane_y(const vlayout_t *L, int row, int nrows)
{
    int top = L->lane.y + 16, hh = L->lane.h - 16;
    return top + hh * (2 * row + 1) / (2 * nrows);
}

/* ---- what the charts show ------------------------------------------------ */

/* The interval (s) that sample i covers. */
static double interval_at(const vrun_t *r, int i)
{
    return i > 0 ? r->t[i] - r->t[i - 1] : r->t[0];
}

/* The series the charts compute, 2 x nt values (malloc'd; NULL when out of
 * memory): [0, nt) the cumulative cost, [nt, 2 nt) the error rate
 * (errors_at). The cost at each sample:
 * each service's pods times its price per pod-hour (its cost_usd over its
 * pod_hours in summary.json), the CDN's egress spread over the samples in
 * proportion to the edges' requests, and the rest of cost.total_usd (Redis,
 * the database: fixed prices) spread evenly over time; all from the end of
 * the warm-up, as summary.json counts cost. At the last sample it is
 * summary.json's total. */
static double errors_at(const vrun_t *r, int i);

static double *derived_series(const vrun_t *r)
{
    double *c = malloc((size_t)(r->nt ? 2 * r->nt : 1) * sizeof *c);
    int *svc = malloc((size_t)(r->ncost + r->nedges + 1) * sizeof *svc), *edge = svc ? svc + r->ncost : NULL;
    if (!c || !svc) {
        free(c);
        free(svc);
        return NULL;
    }
    double egress_total = 0, fixed = r->cost_total_usd - r->cdn_egress_usd, span = 0;
    for (int k = 0; k < r->ncost; k++) {
        svc[k] = vdata_find2(r, NULL, r->cost_service[k], "replicas");
        fixed -= r->cost_service_usd[k];
    }
    for (int e = 0; e < r->nedges; e++)
        edge[e] = vdata_find2(r, "edge", r->edges[e], "requests_rps");
    for (int j = 0; j < r->nt; j++) {
        if (r->t[j] <= r->warmup_s)
            continue;
        span += interval_at(r, j);
        for (int e = 0; e < r->nedges; e++) {
            double v = vdata_value(r, edge[e], j);
            if (isfinite(v))
                egress_total += v * interval_at(r, j);
        }
    }
    double acc = 0;
    for (int j = 0; j < r->nt; j++) {
        if (r->t[j] > r->warmup_s) {
            double dt = interval_at(r, j);
            for (int k = 0; k < r->ncost; k++) {
                double v = vdata_value(r, svc[k], j);
                if (r->pod_hours[k] > 0 && isfinite(v))
                    acc += v * r->cost_service_usd[k] / r->pod_hours[k] * dt / 3600;
            }
            for (int e = 0; e < r->nedges && egress_total > 0; e++) {
                double v = vdata_value(r, edge[e], j);
                if (isfinite(v))
                    acc += r->cdn_egress_usd * v * dt / egress_total;
            }
            if (r->live_prices)
                acc += r->fixed_usd_hour * dt / 3600;
            else if (fixed > 0 && span > 0)
                acc += fixed * dt / span;
        }
        c[j] = acc;
    }
    free(svc);
    for (int j = 0; j < r->nt; j++)
        c[r->nt + j] = errors_at(r, j);
    return c;
}

double vcost_at(const vrun_t *r, int i)
{
    if (i < 0 || i >= r->nt)
        return NAN;
    double *c = derived_series(r), v = c ? c[i] : NAN;
    free(c);
    return v;
}

/* The error rate (%) at sample i: requests rejected by every service over
 * the interval, over the requests that arrived in it. */
static double errors_at(const vrun_t *r, int i)
{
    double rejected = 0, arrived = vdata_value(r, vdata_find(r, "arrival_rate"), i) * interval_at(r, i);
    for (int s = 0; s < r->nservices; s++) {
        double v = vdata_value(r, vdata_find2(r, NULL, r->services[s], "rejected"), i);
        if (isfinite(v))
            rejected += v;
    }
    return arrived > 0 ? 100 * rejected / arrived : 0;
}

/* The CPU metric's value (%) at sync s when it is svc's, or NAN. */
static double sync_cpu(const vsync_t *s, const char *svc)
{
    if (strcmp(s->service, svc) != 0)
        return NAN;
    for (int m = 0; m < s->nm; m++)
        if (strstr(s->m[m].metric, "cpu"))
            return s->m[m].value;
    return NAN;
}

/* Whether autoscaler.csv has a sync of svc (a service without an
 * autoscaler has none). */
static bool has_syncs(const vrun_t *r, const char *svc)
{
    for (int i = 0; i < r->nsyncs; i++)
        if (strcmp(r->syncs[i].service, svc) == 0)
            return true;
    return false;
}

/* The HPA's CPU target (%) for svc from autoscaler.csv, or NAN. */
static double cpu_target(const vrun_t *r, const char *svc)
{
    for (int i = 0; i < r->nsyncs; i++)
        if (strcmp(r->syncs[i].service, svc) == 0)
            for (int m = 0; m < r->syncs[i].nm; m++)
                if (strstr(r->syncs[i].m[m].metric, "cpu") && isfinite(r->syncs[i].m[m].target))
                    return r->syncs[i].m[m].target;
    return NAN;
}

/* The latency SLO for svc: a gate on services.SVC.latency_ms.*, else one on
 * the end-to-end latency_ms.*, else the tightest latency gate of any path
 * (a class's, a region's: labelled with its name). */
static const vslo_t *latency_slo(const vrun_t *r, const char *svc)
{
    char pre[300];
    snprintf(pre, sizeof pre, "services.%s.latency_ms.", svc);
    const vslo_t *best = NULL;
    for (int pass = 0; pass < 3 && !best; pass++)
        for (int i = 0; i < r->nslos; i++) {
            const vslo_t *g = &r->slos[i];
            bool hit = pass == 0   ? strncmp(g->metric, pre, strlen(pre)) == 0
                       : pass == 1 ? strncmp(g->metric, "latency_ms.p", 12) == 0
                                   : strstr(g->metric, "latency_ms.p") != NULL;
            if (hit && (!best || g->threshold < best->threshold))
                best = g;
        }
    return best;
}

/* A line's series: an index in the run, or one of these (computed), or -1:
 * the run has no such series, and the line nothing to draw (NaN). */
enum { LINE_ERRORS = -100, LINE_COST = -101 };

typedef struct line {
    int series;             /* index in the run, LINE_ERRORS, LINE_COST, or -1 (none) */
    double scale;
    uint32_t color;
    const char *label;
    const char *unit;
} line_t;

/* The lines of chart c for run r and service name svc; returns their number. */
static int chart_lines(const vrun_t *r, int c, const char *svc, line_t *out)
{
    int n = 0;
    switch (c) {
    case VCH_RATE:
        out[n++] = (line_t){vdata_find(r, "offered_rate"), 1, VCOL_OFFERED, "offered", "req/s"};
        out[n++] = (line_t){vdata_find(r, "arrival_rate"), 1, VCOL_ARRIVAL, "arrived", "req/s"};
        break;
    case VCH_REPLICAS:
        out[n++] = (line_t){vdata_find2(r, NULL, svc, "replicas"), 1, VCOL_RUNNING, "pods", "pods"};
        out[n++] = (line_t){vdata_find2(r, NULL, svc, "replicas_desired"), 1, VCOL_DESIRED, "desired", "pods"};
        out[n++] = (line_t){vdata_find2(r, NULL, svc, "replicas_ready"), 1, VCOL_READY, "ready", "pods"};
        break;
    case VCH_LATENCY:
        out[n++] = (line_t){vdata_find2(r, NULL, svc, "latency_p50_ms"), 1, VCOL_P50, "p50", "ms"};
        out[n++] = (line_t){vdata_find2(r, NULL, svc, "latency_p95_ms"), 1, VCOL_P95, "p95", "ms"};
        out[n++] = (line_t){vdata_find2(r, NULL, svc, "latency_p99_ms"), 1, VCOL_P99, "p99", "ms"};
        break;
    case VCH_CPU:
        out[n++] = (line_t){vdata_find2(r, NULL, svc, "cpu_utilization"), 100, VCOL_CPU, "CPU", "%"};
        break;
    case VCH_ERRORS:
        out[n++] = (line_t){LINE_ERRORS, 1, VCOL_ERRORS, "rejected", "%"};
        break;
    case VCH_COST:
        out[n++] = (line_t){LINE_COST, 1, VCOL_COST, "cost so far", "USD"};
        break;
    }
    return n;
}

/* Line l's value at sample i; derived: derived_series(r) or NULL. */
static double line_value(const vrun_t *r, const line_t *l, int i, const double *derived)
{
    if (l->series == LINE_ERRORS)
        return derived ? derived[r->nt + i] : errors_at(r, i);
    if (l->series == LINE_COST)
        return derived ? derived[i] : vcost_at(r, i);
    if (l->series < 0) /* a series the run does not have (a service without it, or the other run's) */
        return NAN;
    return vdata_value(r, l->series, i) * l->scale;
}

double vchart_max(const vrun_t *r, int c, int svc)
{
    const char *name = svc >= 0 && svc < r->nservices ? r->services[svc] : "";
    line_t lines[4];
    int n = chart_lines(r, c, name, lines);
    double max = 0;
    if (c == VCH_COST)
        return r->nt ? vcost_at(r, r->nt - 1) : 0;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < r->nt; i++) {
            double v = line_value(r, &lines[k], i, NULL);
            if (isfinite(v) && v > max)
                max = v;
        }
    if (c == VCH_CPU) {
        double tg = cpu_target(r, name);
        if (isfinite(tg) && tg > max)
            max = tg;
        for (int j = 0; j < r->nsyncs; j++) {
            double val = sync_cpu(&r->syncs[j], name);
            if (isfinite(val) && val > max)
                max = val;
        }
    }
    if (c == VCH_LATENCY) {
        /* the SLO line raises the axis only up to 3 x the data: a far
         * threshold would flatten the lines (it is then named at the top) */
        const vslo_t *g = latency_slo(r, name);
        if (g && g->threshold > max && g->threshold <= 3 * max)
            max = g->threshold;
    }
    return max;
}

/* ---- text ---------------------------------------------------------------- */

#define TEXT_SLOTS 4096

typedef struct vtext_slot {
    char *key;              /* font id, colour, string; NULL: empty */
    SDL_Texture *tex;
    int w, h;
} vtext_slot_t;

struct vtext {
    vtext_slot_t slot[TEXT_SLOTS];
    int used;
};

static void text_clear(vtext_t *c)
{
    for (int i = 0; i < TEXT_SLOTS; i++) {
        free(c->slot[i].key);
        if (c->slot[i].tex)
            SDL_DestroyTexture(c->slot[i].tex);
        c->slot[i] = (vtext_slot_t){0};
    }
    c->used = 0;
}

/* The texture of s in font f and colour col (cached); NULL on failure. */
static vtext_slot_t *text_get(vview_t *v, TTF_Font *f, uint32_t col, const char *s)
{
    char key[512];
    int fid = f == v->font ? 0 : f == v->small ? 1 : 2;
    snprintf(key, sizeof key, "%d|%06x|%s", fid, (unsigned)col, s);
    vtext_t *c = v->cache;
    uint64_t h = journal_fnv(JOURNAL_FNV_INIT, key, strlen(key));
    for (int probe = 0; probe < TEXT_SLOTS; probe++) {
        vtext_slot_t *sl = &c->slot[(h + (uint64_t)probe) % TEXT_SLOTS];
        if (sl->key && strcmp(sl->key, key) == 0)
            return sl;
        if (!sl->key) {
            if (c->used >= TEXT_SLOTS * 3 / 4) { /* full: start again */
                text_clear(c);
                return text_get(v, f, col, s);
            }
            SDL_Color sc = {(Uint8)(col >> 16), (Uint8)(col >> 8), (Uint8)col, 255};
            SDL_Surface *surf = TTF_RenderUTF8_Blended(f, s, sc);
            if (!surf)
                return NULL;
            SDL_Texture *tex = SDL_CreateTextureFromSurface(v->ren, surf);
            int w = surf->w, hh = surf->h;
            SDL_FreeSurface(surf);
            char *k = strdup(key);
            if (!tex || !k) {
                free(k);
                if (tex)
                    SDL_DestroyTexture(tex);
                return NULL;
            }
            *sl = (vtext_slot_t){k, tex, w, hh};
            c->used++;
            return sl;
        }
    }
    return NULL;
}

/* Draws s with its top-left at (x, y); align 0 left, 1 centre, 2 right of x.
 * Returns the width drawn. */
static int text(vview_t *v, TTF_Font *f, uint32_t col, int x, int y, int align, const char *s)
{
    if (!s[0])
        return 0;
    vtext_slot_t *sl = text_get(v, f, col, s);
    if (!sl)
        return 0;
    SDL_Rect dst = {x - (align == 1 ? sl->w / 2 : align == 2 ? sl->w : 0), y, sl->w, sl->h};
    SDL_RenderCopy(v->ren, sl->tex, NULL, &dst);
    return sl->w;
}

static void fill(vview_t *v, vrect_t r, uint32_t c);

/* Text on the panel's colour, readable over the lines it crosses. */
static void label(vview_t *v, uint32_t col, int x, int y, int align, const char *s)
{
    vtext_slot_t *sl = text_get(v, v->small, col, s);
    if (!sl)
        return;
    int x0 = x - (align == 1 ? sl->w / 2 : align == 2 ? sl->w : 0);
    fill(v, (vrect_t){x0 - 3, y, sl->w + 6, sl->h}, VCOL_PANEL);
    text(v, v->small, col, x, y, align, s);
}

static int textf(vview_t *v, TTF_Font *f, uint32_t col, int x, int y, int align, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static int textf(vview_t *v, TTF_Font *f, uint32_t col, int x, int y, int align, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return text(v, f, col, x, y, align, buf);
}

/* The width of s in font f, in px (0 when it cannot be measured). */
static int text_w(TTF_Font *f, const char *s)
{
    int w = 0, h = 0;
    return s[0] && TTF_SizeUTF8(f, s, &w, &h) == 0 ? w : 0;
}

/* s into out (n bytes), cut at a character and ended with "\xe2\x80\xa6" so
 * that it is at most maxw px wide in font f; "" when not even that fits. */
/* Cuts a UTF-8 sequence left incomplete at the end of s (by a truncating
 * snprintf), so that only whole characters reach the font. */
static void utf8_trim(char *s)
{
    size_t len = strlen(s), j = len;
    while (j > 0 && ((unsigned char)s[j - 1] & 0xc0) == 0x80)
        j--;
    if (j == 0)
        return;
    unsigned char lead = (unsigned char)s[j - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (len - (j - 1) < need)
        s[j - 1] = '\0';
}

static void elide(TTF_Font *f, const char *s, int maxw, char *out, size_t n)
{
    size_t whole = strlen(s);
    snprintf(out, n, "%s", s);
    if (whole < n && text_w(f, out) <= maxw)
        return;
    if (n < 4) { /* (no room for the ellipsis) */
        out[0] = '\0';
        return;
    }
    /* s's first len bytes, whole characters, and the ellipsis: within n */
    size_t len = whole < n - 4 ? whole : n - 4;
    while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
        len--;
    for (;;) {
        snprintf(out, n, "%.*s\xe2\x80\xa6", (int)len, s);
        if (text_w(f, out) <= maxw)
            return;
        if (len == 0)
            break;
        do
            len--;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80);
    }
    out[0] = '\0';
}

/* ---- primitives ---------------------------------------------------------- */

/* Opaque drawing copies pixels; blending (slower in the software
 * renderer) only where alpha asks for it. */
static void color(vview_t *v, uint32_t c, int alpha)
{
    SDL_SetRenderDrawBlendMode(v->ren, alpha < 255 ? SDL_BLENDMODE_BLEND : SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(v->ren, (Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c, (Uint8)alpha);
}

static void fill(vview_t *v, vrect_t r, uint32_t c)
{
    color(v, c, 255);
    SDL_Rect sr = {r.x, r.y, r.w, r.h};
    SDL_RenderFillRect(v->ren, &sr);
}

static void outline(vview_t *v, vrect_t r, uint32_t c)
{
    color(v, c, 255);
    SDL_Rect sr = {r.x, r.y, r.w, r.h};
    SDL_RenderDrawRect(v->ren, &sr);
}

static void disc(vview_t *v, int cx, int cy, int rad, uint32_t c)
{
    color(v, c, 255);
    for (int dy = -rad; dy <= rad; dy++) {
        int dx = (int)sqrt((double)(rad * rad - dy * dy));
        SDL_RenderDrawLine(v->ren, cx - dx, cy + dy, cx + dx, cy + dy);
    }
}

/* A triangle pointing up (dir 1) or down (-1) centred at (cx, cy). */
static void triangle(vview_t *v, int cx, int cy, int size, int dir, uint32_t c)
{
    color(v, c, 255);
    for (int k = 0; k <= size; k++) {
        int y = cy - dir * size / 2 + dir * k;
        SDL_RenderDrawLine(v->ren, cx - k / 2 - 1, y, cx + k / 2 + 1, y);
    }
}

static void fmt_hms(char *buf, size_t n, double t)
{
    long s = lround(t);
    if (s >= 86400)
        snprintf(buf, n, "%ldd %02ld:%02ld:%02ld", s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60);
    else
        snprintf(buf, n, "%02ld:%02ld:%02ld", s / 3600, s % 3600 / 60, s % 60);
}

/* A value in at most 4 significant digits, without a useless ".0". */
static void fmt_num(char *buf, size_t n, double x)
{
    if (!isfinite(x))
        snprintf(buf, n, "-");
    else if (fabs(x) >= 10000)
        snprintf(buf, n, "%.0f", x);
    else
        snprintf(buf, n, "%.4g", x);
}

/* ---- set-up -------------------------------------------------------------- */

const char *vview_font_path(void)
{
    static const char *const paths[] = {
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", /* Debian, Ubuntu: fonts-dejavu-core */
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",          /* Fedora, Arch */
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/local/share/fonts/dejavu/DejaVuSans.ttf",    /* FreeBSD */
        "/usr/X11R6/lib/X11/fonts/TTF/DejaVuSans.ttf",
    };
    const char *env = getenv("CLUSTERSIM_FONT");
    if (env && env[0])
        return env;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

/* The bold face beside path (DejaVuSans.ttf -> DejaVuSans-Bold.ttf). */
static TTF_Font *open_bold(const char *path, int size)
{
    char buf[1024];
    const char *dot = strrchr(path, '.');
    if (!dot || (size_t)(dot - path) + 12 > sizeof buf)
        return NULL;
    snprintf(buf, sizeof buf, "%.*s-Bold%s", (int)(dot - path), path, dot);
    return TTF_OpenFont(buf, size);
}

int vview_init(vview_t *v, SDL_Renderer *ren, char *err, size_t errlen)
{
    const char *path = vview_font_path();
    v->ren = ren;
    if (!path) {
        snprintf(err, errlen,
                 "no font: install fonts-dejavu-core (make deps) or set CLUSTERSIM_FONT to a .ttf file");
        return -1;
    }
    v->font = TTF_OpenFont(path, 14);
    v->small = TTF_OpenFont(path, 12);
    v->bold = open_bold(path, 14);
    if (!v->bold)
        v->bold = TTF_OpenFont(path, 14);
    v->cache = calloc(1, sizeof *v->cache);
    if (!v->font || !v->small || !v->bold || !v->cache) {
        snprintf(err, errlen, "%s: cannot open the font: %s", path, v->cache ? TTF_GetError() : "out of memory");
        vview_free(v);
        return -1;
    }
    v->mouse_x = v->mouse_y = -1;
    return 0;
}

void vview_free(vview_t *v)
{
    free(v->cost[0]);
    free(v->cost[1]);
    v->cost[0] = v->cost[1] = NULL;
    if (v->cache) {
        text_clear(v->cache);
        free(v->cache);
    }
    if (v->font)
        TTF_CloseFont(v->font);
    if (v->small)
        TTF_CloseFont(v->small);
    if (v->bold)
        TTF_CloseFont(v->bold);
    v->cache = NULL;
    v->font = v->small = v->bold = NULL;
}

double vview_tmax(const vview_t *v)
{
    double tmax = 0;
    for (int k = 0; k < v->nruns; k++) {
        const vrun_t *r = v->run[k];
        double e = r->duration_s > 0 ? r->duration_s : 0;
        if (r->nt && r->t[r->nt - 1] > e)
            e = r->t[r->nt - 1];
        if (e > tmax)
            tmax = e;
    }
    return tmax;
}

/* ---- panels -------------------------------------------------------------- */

static const char *svc_name(const vview_t *v)
{
    const vrun_t *r = v->run[v->show];
    return v->service >= 0 && v->service < r->nservices ? r->services[v->service] : "";
}

typedef struct hitem {
    TTF_Font *f;
    uint32_t col;
    char s[600];
    int gap, w;
    bool on;
} hitem_t;

static void hitem(hitem_t *h, TTF_Font *f, uint32_t col, int gap, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void hitem(hitem_t *h, TTF_Font *f, uint32_t col, int gap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->s, sizeof h->s, fmt, ap);
    va_end(ap);
    utf8_trim(h->s);
    h->f = f;
    h->col = col;
    h->gap = gap;
    h->on = h->s[0] != '\0';
}

/* The header's items, left to right. Where they do not all fit, the least
 * needed go first (the keys, the program's name, the speed, the service,
 * the replication), then the run's description is cut: the cursor's time
 * always shows. In a compare view of two scenarios of different names the
 * header says so, in amber. */
static void draw_header(vview_t *v)
{
    const vrun_t *r = v->run[0];
    fill(v, v->L.header, VCOL_PANEL);
    char now[32], end[32];
    fmt_hms(now, sizeof now, v->cursor);
    fmt_hms(end, sizeof end, vview_tmax(v));
    enum { H_NAME, H_RUN, H_DIFF, H_REP, H_TIME, H_STATUS, H_SVC, H_N };
    hitem_t it[H_N];
    memset(it, 0, sizeof it);
    static const int drop[] = {H_NAME, H_STATUS, H_SVC, H_REP, H_DIFF}; /* first dropped first */
    hitem(&it[H_NAME], v->bold, VCOL_TEXT, 12, "clustersim-view");
    if (v->nruns == 2)
        hitem(&it[H_RUN], v->font, VCOL_TEXT, 16, "compare: %s (solid) vs %s (dashed)", r->dir, v->run[1]->dir);
    else
        hitem(&it[H_RUN], v->font, VCOL_TEXT, 16, "%s: %s", v->mode, r->scenario);
    const char *n0 = r->scenario ? r->scenario : "?", *n1 = v->nruns == 2 && v->run[1]->scenario ? v->run[1]->scenario : "?";
    if (v->nruns == 2 && strcmp(n0, n1) != 0)
        hitem(&it[H_DIFF], v->font, VCOL_DESIRED, 16, "different scenarios: %s, %s", n0, n1);
    if (r->replication > 0 || r->replications > 1)
        hitem(&it[H_REP], v->font, VCOL_TEXT, 16, "replication %d", r->replication);
    hitem(&it[H_TIME], v->bold, VCOL_TEXT, 12, "t = %s / %s", now, end);
    hitem(&it[H_STATUS], v->font, VCOL_DIM, 16, "%s", v->status);
    hitem(&it[H_SVC], v->font, VCOL_DESIRED, 16, "service %d: %s", v->service + 1, svc_name(v));
    int room = v->L.w - 8 - 8, total = 0;
    for (int k = 0; k < H_N; k++)
        if (it[k].on)
            total += (it[k].w = text_w(it[k].f, it[k].s)) + it[k].gap;
    for (size_t d = 0; d < sizeof drop / sizeof drop[0] && total > room; d++)
        if (it[drop[d]].on) {
            total -= it[drop[d]].w + it[drop[d]].gap;
            it[drop[d]].on = false;
        }
    if (total > room) { /* cut the run's description */
        char cut[600];
        int left = it[H_RUN].w - (total - room);
        elide(it[H_RUN].f, it[H_RUN].s, left > 0 ? left : 0, cut, sizeof cut);
        snprintf(it[H_RUN].s, sizeof it[H_RUN].s, "%s", cut);
        total -= it[H_RUN].w - text_w(it[H_RUN].f, cut);
    }
    int x = 8;
    for (int k = 0; k < H_N; k++)
        if (it[k].on)
            x += text(v, it[k].f, it[k].col, x, 7, 0, it[k].s) + it[k].gap;
    static const char keys[] =
        "space pause  \xe2\x86\x90\xe2\x86\x92 step  [ ] sync  +/- speed  1-9 service  c run  s screenshot  q quit";
    vtext_slot_t *ks = text_get(v, v->small, VCOL_DIM, keys);
    if (ks && v->L.w - 8 - ks->w > x)
        text(v, v->small, VCOL_DIM, v->L.w - 8, 8, 2, keys);
}

/* Longitude/latitude to the map panel (equirectangular, cropped to where
 * the nine regions are: 110 W to 170 E, 60 N to 50 S). */
#define MAP_W (-110.0)
#define MAP_E 170.0
#define MAP_N 60.0
#define MAP_S (-50.0)

void vmap_geo(const vrect_t *m, double lat, double lon, int *x, int *y)
{
    *x = m->x + 8 + (int)lround((lon - MAP_W) / (MAP_E - MAP_W) * (m->w - 16));
    *y = m->y + 22 + (int)lround((MAP_N - lat) / (MAP_N - MAP_S) * (m->h - 30));
}

/* Coarse coastlines (lat, lon pairs, a path each): enough to place the
 * regions, not a map to navigate by. */
static const double coast_africa[] = {35, -6, 31, -10, 21, -17, 15, -17, 5, -8, 4, 7, -5, 12, -17, 12, -29, 16,
                                      -34, 18, -34, 25, -26, 33, -15, 40, -3, 40, 2, 45, 11, 51, 12, 43, 22, 37,
                                      30, 33, 31, 25, 33, 12, 37, 10, 35, -6};
static const double coast_europe[] = {36, -6, 43, -9, 48, -5, 51, 2, 54, 8, 57, 8, 58, 11, 56, 13, 59, 18,
                                      60, 22, 60, 30, 46, 30, 45, 37, 41, 29, 40, 22, 37, 22, 40, 18, 45, 13,
                                      40, 15, 38, 12, 44, 9, 43, 3, 36, -6};
static const double coast_uk[] = {50, -5, 51, 1, 53, 0, 56, -2, 58, -3, 58, -6, 55, -5, 53, -4, 51, -3, 50, -5};
static const double coast_asia[] = {41, 29, 37, 36, 30, 35, 29, 33, 13, 43, 12, 45, 22, 59, 25, 57, 26, 56,
                                    25, 62, 25, 67, 20, 73, 8, 77, 13, 80, 22, 89, 22, 92, 16, 95, 10, 98,
                                    1, 104, 8, 100, 13, 100, 10, 106, 21, 108, 22, 114, 31, 122, 40, 120,
                                    41, 122, 39, 126, 35, 126, 38, 129, 43, 132, 53, 141, 60, 150};
static const double coast_australia[] = {-12, 131, -15, 129, -14, 127, -20, 119, -22, 114, -26, 113, -35, 116,
                                         -35, 118, -33, 124, -32, 134, -35, 137, -38, 140, -39, 146, -37, 150,
                                         -33, 152, -28, 153, -24, 152, -19, 147, -14, 144, -11, 142, -17, 141,
                                         -12, 136, -12, 131};
static const double coast_samerica[] = {12, -72, 10, -62, 5, -52, -1, -48, -5, -35, -13, -38, -23, -42,
                                        -28, -48, -34, -53, -38, -57, -42, -63, -50, -68, -50, -75, -40, -73,
                                        -30, -71, -18, -70, -14, -76, -5, -81, 1, -80, 8, -78, 12, -72};
static const double coast_namerica[] = {60, -64, 52, -56, 47, -53, 45, -61, 44, -66, 41, -70, 39, -74, 35, -76,
                                        30, -81, 25, -80, 27, -82, 30, -84, 29, -89, 29, -95, 26, -97, 21, -97,
                                        18, -95, 21, -87, 17, -88, 15, -84, 9, -79, 8, -82, 16, -95, 20, -105,
                                        23, -110};
static const struct {
    const double *p;
    size_t n;
} coasts[] = {
#define C(a) {a, sizeof a / sizeof a[0] / 2}
    C(coast_africa), C(coast_europe),   C(coast_uk),       C(coast_asia),
    C(coast_australia), C(coast_samerica), C(coast_namerica),
#undef C
};

static uint32_t latency_color(double p95)
{
    if (!isfinite(p95))
        return VCOL_DIM;
    return p95 < 100 ? VCOL_READY : p95 < 200 ? VCOL_DESIRED : VCOL_EV_FAULT;
}

/* In a compare view, which run a left-hand panel shows (c swaps). */
static void shown_run(vview_t *v, vrect_t p)
{
    if (v->nruns == 2)
        label(v, VCOL_DESIRED, p.x + p.w - 6, p.y + p.h - 18, 2, v->show ? "candidate (c: base)" : "base (c: candidate)");
}

/* A map or pods panel's background and title, which run it shows, and the
 * longer of its two legends (long, short) that fits at x + legend_x. */
static void panel_head(vview_t *v, vrect_t p, const char *title, int legend_x, const char *const legend[2])
{
    fill(v, p, VCOL_PANEL);
    text(v, v->bold, VCOL_TEXT, p.x + 6, p.y + 3, 0, title);
    shown_run(v, p);
    for (int k = 0; k < 2; k++) {
        vtext_slot_t *ls = text_get(v, v->small, VCOL_DIM, legend[k]);
        if (ls && p.x + legend_x + ls->w <= p.x + p.w - 4) {
            text(v, v->small, VCOL_DIM, p.x + legend_x, p.y + 4, 0, legend[k]);
            break;
        }
    }
}

/* A place for a lw x lh label of the mark at (x, y) of radius rad in the
 * map m: right of it, left, below, above, then the corners round it, where
 * it stays inside the map (under its title line) and overlaps none of the
 * n rectangles in obst but obst[skip] (zero-width ones are none). */
static bool map_label_at(const vrect_t *m, int x, int y, int rad, int lw, int lh, const vrect_t *obst, int n,
                         int skip, vrect_t *out)
{
    vrect_t cand[12] = {{x + rad + 4, y - lh / 2, lw, lh},   {x - rad - 4 - lw, y - lh / 2, lw, lh},
                        {x - lw / 2, y + rad + 2, lw, lh},     {x - lw / 2, y - rad - 2 - lh, lw, lh},
                        {x + rad + 4, y - lh + 4, lw, lh},     {x - rad - 4 - lw, y - lh + 4, lw, lh},
                        {x + rad + 4, y - 4, lw, lh},          {x - rad - 4 - lw, y - 4, lw, lh},
                        {x + rad + 2, y + rad + 1, lw, lh},    {x - rad - 2 - lw, y + rad + 1, lw, lh},
                        {x + rad + 2, y - rad - 1 - lh, lw, lh}, {x - rad - 2 - lw, y - rad - 1 - lh, lw, lh}};
    for (int c = 0; c < 12; c++) {
        vrect_t q = cand[c];
        bool ok = q.x >= m->x && q.x + q.w <= m->x + m->w && q.y >= m->y + 18 && q.y + q.h <= m->y + m->h;
        for (int j = 0; j < n && ok; j++)
            ok = j == skip || obst[j].w == 0 || q.x >= obst[j].x + obst[j].w || q.x + q.w <= obst[j].x ||
                 q.y >= obst[j].y + obst[j].h || q.y + q.h <= obst[j].y;
        if (ok) {
            *out = q;
            return true;
        }
    }
    return false;
}

static void draw_map(vview_t *v, int i)
{
    const vrun_t *r = v->run[v->show];
    vrect_t m = v->L.map;
    static const char *const legend[] = {
        "request rate (req/s) \xc2\xb7 p95 latency (ms) \xc2\xb7 CDN hit ratio; colour: p95 < 100, < 200, \xe2\x89\xa5 200 ms",
        "req/s \xc2\xb7 p95 ms \xc2\xb7 CDN hits; p95 < 100, < 200, \xe2\x89\xa5 200 ms"};
    panel_head(v, m, "Regions", 74, legend);
    color(v, VCOL_GRID, 255);
    for (int lon = -90; lon <= 160; lon += 30) {
        int x0, y0, x1, y1;
        vmap_geo(&m, MAP_N, lon, &x0, &y0);
        vmap_geo(&m, MAP_S, lon, &x1, &y1);
        SDL_RenderDrawLine(v->ren, x0, y0, x1, y1);
    }
    for (int lat = -40; lat <= 60; lat += 20) {
        int x0, y0, x1, y1;
        vmap_geo(&m, lat, MAP_W, &x0, &y0);
        vmap_geo(&m, lat, MAP_E, &x1, &y1);
        SDL_RenderDrawLine(v->ren, x0, y0, x1, y1);
    }
    color(v, 0x4a5568, 255);
    for (size_t c = 0; c < sizeof coasts / sizeof coasts[0]; c++) {
        SDL_Point pts[64];
        size_t n = coasts[c].n < 64 ? coasts[c].n : 64;
        for (size_t k = 0; k < n; k++)
            vmap_geo(&m, coasts[c].p[2 * k], coasts[c].p[2 * k + 1], &pts[k].x, &pts[k].y);
        SDL_RenderDrawLines(v->ren, pts, (int)n);
    }
    /* one mark per location named by an edge or a user region */
    const char *names[32];
    int nn = 0;
    for (int k = 0; k < r->nedges && nn < 32; k++)
        names[nn++] = r->edges[k];
    for (int k = 0; k < r->nregions && nn < 32; k++) {
        bool dup = false;
        for (int j = 0; j < nn; j++)
            dup = dup || strcmp(names[j], r->regions[k]) == 0;
        if (!dup)
            names[nn++] = r->regions[k];
    }
    if (nn == 0)
        text(v, v->font, VCOL_DIM, m.x + m.w / 2, m.y + m.h / 2, 1, "no regions in this scenario");
    /* the marks first, then the labels: each location gets the richest
     * label that fits among the marks and the labels placed (two lines;
     * the name and rate; the name; its first three letters), every one a
     * name before any gets more */
    enum { TIERS = 4 };
    struct {
        int x, y, rad, tier;
        bool down;
        char l1[TIERS][96], l2[96];
        vrect_t at;
    } loc[32];
    vrect_t obst[65];
    int nloc = 0;
    for (int k = 0; k < nn && nloc < 32; k++) {
        int g = geo_find(names[k]);
        if (g < 0)
            continue;
        const geo_location_t *gl = geo_location(g);
        int x, y;
        vmap_geo(&m, gl->lat, gl->lon, &x, &y);
        double rate = vdata_value(r, vdata_find2(r, "edge", names[k], "requests_rps"), i);
        if (!isfinite(rate))
            rate = vdata_value(r, vdata_find2(r, "region", names[k], "arrival_rate"), i);
        double p95 = vdata_value(r, vdata_find2(r, "region", names[k], "latency_p95_ms"), i);
        double hit = vdata_value(r, vdata_find2(r, "edge", names[k], "hit_ratio"), i);
        double up = vdata_value(r, vdata_find2(r, "edge", names[k], "up"), i);
        int rad = 4 + (isfinite(rate) ? (int)lround(sqrt(rate) / 2) : 0);
        rad = rad > 18 ? 18 : rad;
        disc(v, x, y, rad, latency_color(p95));
        bool down = isfinite(up) && up == 0;
        if (down) {
            color(v, VCOL_EV_FAULT, 255);
            for (int d = -1; d <= 1; d++) {
                SDL_RenderDrawLine(v->ren, x - rad - 3 + d, y - rad - 3, x + rad + 3 + d, y + rad + 3);
                SDL_RenderDrawLine(v->ren, x - rad - 3 + d, y + rad + 3, x + rad + 3 + d, y - rad - 3);
            }
        }
        char a[16], b[16];
        fmt_num(a, sizeof a, rate);
        fmt_num(b, sizeof b, p95);
        const char *dn = down ? " DOWN" : "";
        snprintf(loc[nloc].l1[0], 96, "%s%s", names[k], dn);
        if (isfinite(hit))
            snprintf(loc[nloc].l2, 96, "%s/s  %s ms  %.0f%%", a, b, hit * 100);
        else
            snprintf(loc[nloc].l2, 96, "%s/s  %s ms", a, b);
        snprintf(loc[nloc].l1[1], 96, "%s %s/s%s", names[k], a, dn);
        snprintf(loc[nloc].l1[2], 96, "%s%s", names[k], dn);
        snprintf(loc[nloc].l1[3], 96, "%.3s%s", names[k], dn);
        loc[nloc].x = x;
        loc[nloc].y = y;
        loc[nloc].rad = rad;
        loc[nloc].down = down;
        loc[nloc].tier = TIERS; /* none */
        obst[nloc] = (vrect_t){x - rad, y - rad, 2 * rad + 1, 2 * rad + 1};
        nloc++;
    }
    /* obst: [0, nloc) the marks, [nloc + j] location j's label (w 0: none) */
    for (int j = 0; j < nloc; j++)
        obst[nloc + j] = (vrect_t){0, 0, 0, 0};
    vrect_t tag = {m.x + m.w - 160, m.y + m.h - 18, 160, 18}; /* shown_run's corner, in a compare view */
    int nobst = 2 * nloc;
    if (v->nruns == 2)
        obst[nobst++] = tag;
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < nloc; j++) {
            /* pass 0: the name, else its first letters; pass 1: the richest that fits */
            int from = pass == 0 ? TIERS - 1 : 0, to = pass == 0 ? 2 : loc[j].tier - 1;
            for (int tier = from; pass == 0 ? tier >= to : tier <= to; tier += pass == 0 ? -1 : 1) {
                int lw = text_w(v->small, loc[j].l1[tier]), lh = tier == 0 ? 28 : 14;
                if (tier == 0 && text_w(v->small, loc[j].l2) > lw)
                    lw = text_w(v->small, loc[j].l2);
                vrect_t at;
                if (!map_label_at(&m, loc[j].x, loc[j].y, loc[j].rad, lw, lh, obst, nobst, nloc + j, &at))
                    continue;
                loc[j].tier = tier;
                loc[j].at = at;
                obst[nloc + j] = at;
                if (pass == 1)
                    break; /* the richest that fits */
            }
        }
    for (int j = 0; j < nloc; j++) {
        if (loc[j].tier == TIERS)
            continue;
        text(v, v->small, VCOL_TEXT, loc[j].at.x, loc[j].at.y, 0, loc[j].l1[loc[j].tier]);
        if (loc[j].tier == 0)
            text(v, v->small, VCOL_DIM, loc[j].at.x, loc[j].at.y + 14, 0, loc[j].l2);
    }
}

/* Pods as boxes (see README: derived from the replica counts). */
static void draw_pods(vview_t *v, int i)
{
    const vrun_t *r = v->run[v->show];
    vrect_t p = v->L.pods;
    static const char *const legend[] = {"fill: ready, height = busy workers; outline: starting; grey: terminating",
                                         "fill: ready (height: busy); outline: starting; grey: terminating"};
    panel_head(v, p, "Pods", 50, legend);
    int rowh = pod_row_h(&v->L, r->nservices), y = p.y + 22;
    for (int s = 0; s < r->nservices && y + 16 <= p.y + p.h; s++, y += rowh) {
        const char *n = r->services[s];
        double rep = vdata_value(r, vdata_find2(r, NULL, n, "replicas"), i);
        double ready = vdata_value(r, vdata_find2(r, NULL, n, "replicas_ready"), i);
        double want = vdata_value(r, vdata_find2(r, NULL, n, "replicas_desired"), i);
        double util = vdata_value(r, vdata_find2(r, NULL, n, "utilization"), i);
        double gone = vdata_value(r, vdata_find2(r, NULL, n, "replicas_terminating"), i);
        int nrep = isfinite(rep) ? (int)rep : 0;
        int nready = isfinite(ready) ? (int)ready : nrep;
        int nwant = isfinite(want) ? (int)want : nrep;
        /* terminating: the run's count; from runs without it, inferred */
        int term = isfinite(gone) ? (int)gone : nrep > nwant ? nrep - nwant : 0;
        int start = nrep - term - nready > 0 ? nrep - term - nready : 0;
        int shown_ready = nrep - term - start;
        bool sel = s == v->service;
        textf(v, sel ? v->bold : v->font, sel ? VCOL_DESIRED : VCOL_TEXT, p.x + 6, y, 0, "%d %s", s + 1, n);
        if (rowh >= 32) /* room for the counts under the name */
            textf(v, v->small, VCOL_DIM, p.x + 6, y + 16, 0, "%d ready, %d starting, %d terminating; busy %.0f%%",
                  shown_ready, start, term, isfinite(util) ? util * 100 : 0);
        int k = 0;
        vrect_t b;
        for (; k < nrep && vpod_box(&v->L, r->nservices, s, k, &b); k++) {
            if (k < shown_ready) {
                fill(v, b, 0x24452f);
                int hh = (int)lround((isfinite(util) ? util : 0) * b.h);
                hh = hh > b.h ? b.h : hh;
                uint32_t c = util > 0.8 ? VCOL_EV_FAULT : util > 0.5 ? VCOL_DESIRED : VCOL_READY;
                fill(v, (vrect_t){b.x, b.y + b.h - hh, b.w, hh}, c);
            } else if (k < shown_ready + start)
                outline(v, b, VCOL_POD_START);
            else
                fill(v, b, VCOL_POD_TERM);
        }
        if (k < nrep && k > 0 && vpod_box(&v->L, r->nservices, s, k - 1, &b))
            textf(v, v->small, VCOL_DIM, b.x + b.w + 4, b.y - 1, 0, "+%d", nrep - k);
    }
}

static void draw_sync(vview_t *v)
{
    const vrun_t *r = v->run[v->show];
    vrect_t p = v->L.sync;
    fill(v, p, VCOL_PANEL);
    int title_end = p.x + 6 + textf(v, v->bold, VCOL_TEXT, p.x + 6, p.y + 3, 0, "Why it scaled: %s", svc_name(v));
    shown_run(v, p);
    int y = p.y + 24;
    if (!r->has_autoscaler) {
        text(v, v->font, VCOL_DIM, p.x + 6, y, 0, "this results directory has no autoscaler.csv");
        text(v, v->small, VCOL_DIM, p.x + 6, y + 18, 0, "(runs of an older clustersim do not write it)");
        return;
    }
    int k = vdata_sync_at(r, svc_name(v), v->cursor, 1e18);
    if (k < 0) {
        text(v, v->font, VCOL_DIM, p.x + 6, y, 0, "no autoscaler sync of this service before the cursor");
        return;
    }
    const vsync_t *s = &r->syncs[k];
    char at[32];
    fmt_hms(at, sizeof at, s->t);
    char raw[16], stab[16];
    fmt_num(raw, sizeof raw, s->raw);
    fmt_num(stab, sizeof stab, s->stabilized);
    /* the sync's line, shorter where the panel is narrow */
    char line[3][300];
    snprintf(line[0], sizeof line[0], "sync at %s: %g pods; raw %s, stabilized %s \xe2\x86\x92 %g %s", at, s->current,
             raw, stab, s->final, s->reason);
    snprintf(line[1], sizeof line[1], "%s: %g pods; raw %s, stab. %s \xe2\x86\x92 %g %s", at, s->current, raw, stab,
             s->final, s->reason);
    utf8_trim(line[0]);
    utf8_trim(line[1]);
    int room = p.w - 12;
    if (text_w(v->font, line[0]) <= room)
        text(v, v->font, VCOL_TEXT, p.x + 6, y, 0, line[0]);
    else if (text_w(v->font, line[1]) <= room)
        text(v, v->font, VCOL_TEXT, p.x + 6, y, 0, line[1]);
    else {
        elide(v->small, line[1], room, line[2], sizeof line[2]);
        text(v, v->small, VCOL_TEXT, p.x + 6, y + 1, 0, line[2]);
    }
    if (v->cursor - s->t > 0.5) { /* where it clears the title */
        char note[96];
        snprintf(note, sizeof note, "the last sync, %.0f s before the cursor ([ ] step syncs)", v->cursor - s->t);
        vtext_slot_t *ns = text_get(v, v->small, VCOL_DIM, note);
        if (ns && p.x + p.w - 6 - ns->w > title_end + 8)
            text(v, v->small, VCOL_DIM, p.x + p.w - 6, p.y + 5, 2, note);
    }
    y += 22;
    for (int m = 0; m < s->nm; m++) {
        vrect_t bar;
        if (!vsync_bar(&v->L, m, s->nm, &bar)) {
            textf(v, v->small, VCOL_DIM, p.x + 6, p.y + p.h - 16, 0, "+%d more metric%s", s->nm - m, s->nm - m == 1 ? "" : "s");
            break;
        }
        const vmetric_t *mt = &s->m[m];
        int bx = bar.x, bw = bar.w;
        y = bar.y - 3;
        char val[16], tg[16];
        fmt_num(val, sizeof val, mt->value);
        fmt_num(tg, sizeof tg, mt->target);
        textf(v, v->small, VCOL_TEXT, bx, bar.y - 16, 0, "%s: %s, target %s", mt->metric, val, tg);
        fill(v, bar, VCOL_GRID);
        if (!isfinite(mt->value)) { /* not computed at this sync */
            text(v, v->small, VCOL_DIM, bx + 6, bar.y - 1, 0, "no value (not scraped yet, or no Ready pod)");
            text(v, v->small, VCOL_DIM, bx + bw + 6, bar.y - 1, 0, "no proposal");
            continue;
        }
        double scale = vaxis_nice(isfinite(mt->target) ? fmax(mt->value, mt->target) : mt->value);
        int vw = (int)lround(fmin(mt->value / scale, 1) * bw);
        fill(v, (vrect_t){bx, bar.y, vw > 0 ? vw : 0, bar.h}, mt->value > mt->target ? VCOL_DESIRED : VCOL_READY);
        int tx = bx + (int)lround(fmin(mt->target / scale, 1) * bw);
        if (isfinite(mt->target))
            fill(v, (vrect_t){tx - 1, bar.y - 3, 3, bar.h + 6}, VCOL_SLO);
        if (isfinite(mt->proposal))
            textf(v, v->small, VCOL_TEXT, bx + bw + 6, bar.y - 1, 0, "\xe2\x86\x92 %g %s", mt->proposal,
                  mt->proposal == 1 ? "pod" : "pods");
        else
            text(v, v->small, VCOL_DIM, bx + bw + 6, bar.y - 1, 0, "no proposal");
    }
}

/* A polyline of a line_t over every sample (dashed: the candidate's). */
static void draw_series(vview_t *v, const vrun_t *r, const line_t *l, const vrect_t *pl, double tmax, double ymax,
                        bool dashed, const double *cost)
{
    color(v, l->color, 255);
    int px = 0, py = 0;
    bool have = false;
    double acc = 0;
    for (int i = 0; i < r->nt; i++) {
        double y = line_value(r, l, i, cost);
        if (!isfinite(y)) {
            have = false;
            continue;
        }
        int x = vmap_x(pl, r->t[i], tmax), yy = vmap_y(pl, y, ymax);
        if (have) {
            acc += hypot(x - px, yy - py);
            if (!dashed || fmod(acc, 12) < 7) {
                SDL_RenderDrawLine(v->ren, px, py, x, yy);
                SDL_RenderDrawLine(v->ren, px, py + 1, x, yy + 1);
            }
        } else
            SDL_RenderDrawPoint(v->ren, x, yy);
        px = x;
        py = yy;
        have = true;
    }
}

/* One item of a chart's legend: in full, and without its unit. */
typedef struct legend {
    uint32_t col;
    char full[80], brief[80];
} legend_t;

/* A legend's value of line l of run r at the cursor: "\xe2\x80\x93" (no value)
 * past the run's end, where its last sample would be stale (a compare of
 * runs of different lengths). */
static void legend_value(char *b, size_t n, const vrun_t *r, const line_t *l, double cursor, const double *derived)
{
    double end = r->nt ? fmax(r->t[r->nt - 1], r->duration_s) : 0;
    if (!r->nt || cursor > end + 1e-6)
        snprintf(b, n, "\xe2\x80\x93");
    else
        fmt_num(b, n, line_value(r, l, vdata_sample_at(r, cursor), derived));
}

static void chart_title(char *b, size_t n, int c, const char *svc);

bool vlegend_text(const vview_t *v, int c, int l, bool unit, char *out, size_t n)
{
    const char *svc = svc_name(v);
    line_t lines[4], l2[4];
    const vrun_t *r = v->run[0];
    if (l < 0 || l >= chart_lines(r, c, svc, lines)) {
        out[0] = '\0';
        return false;
    }
    char b[16], b2[16] = "";
    legend_value(b, sizeof b, r, &lines[l], v->cursor, v->cost[0]);
    if (v->nruns == 2) {
        const vrun_t *c2 = v->run[1];
        if (l < chart_lines(c2, c, svc, l2))
            legend_value(b2, sizeof b2, c2, &l2[l], v->cursor, v->cost[1]);
        else
            fmt_num(b2, sizeof b2, NAN);
    }
    snprintf(out, n, "%s %s%s%s%s%s", lines[l].label, b, b2[0] ? " / " : "", b2, unit ? " " : "",
             unit ? lines[l].unit : "");
    utf8_trim(out);
    return true;
}

/* A chart's short title, for narrow charts. */
static const char *chart_title_short(int c)
{
    static const char *const t[VCH_N] = {"Rate (req/s)", "Replicas (pods)", "Latency (ms)", "CPU (%)", "Errors (%)",
                                         "Cost (USD)"};
    return c >= 0 && c < VCH_N ? t[c] : "";
}

/* Draws chart c's title and legend in its box's top line, the fullest that
 * fits: the title and every item with its unit; without units; the short
 * title; then the items cut (the last ones first). Returns the x after it. */
static int draw_legend(vview_t *v, int c, const char *svc, vrect_t box, const legend_t *lg, int n)
{
    char title[160];
    chart_title(title, sizeof title, c, svc);
    int right = box.x + box.w - 4;
    for (int tier = 0; tier < 4; tier++) {
        const char *t = tier < 2 ? title : chart_title_short(c);
        int w = 6 + text_w(v->bold, t) + 14;
        for (int k = 0; k < n; k++)
            w += text_w(v->small, tier == 0 ? lg[k].full : lg[k].brief) + 12;
        if (box.x + w - 12 > right && tier < 3)
            continue;
        int x = box.x + 6 + text(v, v->bold, VCOL_TEXT, box.x + 6, box.y + 1, 0, t) + 14;
        for (int k = 0; k < n; k++) {
            char cut[80];
            elide(v->small, tier == 0 ? lg[k].full : lg[k].brief, right - x, cut, sizeof cut);
            if (cut[0])
                x += text(v, v->small, lg[k].col, x, box.y + 3, 0, cut) + 12;
        }
        return x;
    }
    return box.x;
}

/* A chart's title: what it shows and its unit. */
static void chart_title(char *b, size_t n, int c, const char *svc)
{
    switch (c) {
    case VCH_RATE: snprintf(b, n, "Request rate (req/s)"); break;
    case VCH_REPLICAS: snprintf(b, n, "Replicas of %s (pods)", svc); break;
    case VCH_LATENCY: snprintf(b, n, "Latency of %s (ms)", svc); break;
    case VCH_CPU: snprintf(b, n, "CPU of %s (%% of request)", svc); break;
    case VCH_ERRORS: snprintf(b, n, "Errors (rejected, %% of arrivals)"); break;
    default: snprintf(b, n, "Cost (USD, cumulative after warm-up)"); break;
    }
}

static void draw_chart(vview_t *v, int c, double tmax, double *const cost[2])
{
    vrect_t box = v->L.chart[c], pl = v->L.plot[c];
    const char *svc = svc_name(v);
    fill(v, box, VCOL_PANEL);
    char title[160];
    /* the legend: the title, then each line's value at the cursor (base /
     * candidate), laid out after the lines are drawn */
    legend_t lg[6];
    int nlg = 0;
    /* y scale over every run shown */
    double max = 0;
    for (int k = 0; k < v->nruns; k++) {
        const vrun_t *r = v->run[k];
        int si = -1;
        for (int s = 0; s < r->nservices; s++)
            if (strcmp(r->services[s], svc) == 0)
                si = s;
        /* (cost: the cached series' end, as vchart_max computes it) */
        double m = 0;
        if (c == VCH_COST && cost[k]) /* from the cached series, as vchart_max computes them */
            m = r->nt ? cost[k][r->nt - 1] : 0;
        else if (c == VCH_ERRORS && cost[k])
            for (int j = 0; j < r->nt; j++)
                m = cost[k][r->nt + j] > m ? cost[k][r->nt + j] : m;
        else
            m = vchart_max(r, c, si);
        max = m > max ? m : max;
    }
    double ymax = vaxis_nice(max);
    /* grid and y labels: 0, half, top */
    for (int g = 0; g <= 2; g++) {
        double val = ymax * g / 2;
        int y = vmap_y(&pl, val, ymax);
        color(v, VCOL_GRID, 255);
        SDL_RenderDrawLine(v->ren, pl.x, y, pl.x + pl.w - 1, y);
        char b[16];
        fmt_num(b, sizeof b, val);
        text(v, v->small, VCOL_DIM, pl.x - 4, y - (g == 2 ? 0 : g == 0 ? 13 : 7), 2, b);
    }
    line_t lines[4];
    int targets_y = -1;
    char target_txt[200] = "", note[200] = "";
    uint32_t note_col = VCOL_DIM;
    for (int k = 0; k < v->nruns; k++) {
        const vrun_t *r = v->run[k];
        int n = chart_lines(r, c, svc, lines);
        /* targets first, under the data */
        if (c == VCH_CPU && k == 0) {
            double tg = cpu_target(r, svc);
            if (isfinite(tg)) {
                int y = vmap_y(&pl, tg, ymax);
                fill(v, (vrect_t){pl.x, y, pl.w, 1}, VCOL_SLO);
                snprintf(title, sizeof title, "HPA target %g%%", tg);
                targets_y = y;
                snprintf(target_txt, sizeof target_txt, "%s", title);
            }
        }
        if (c == VCH_LATENCY && k == 0) {
            const vslo_t *g = latency_slo(r, svc);
            if (g && g->threshold <= ymax) {
                int y = vmap_y(&pl, g->threshold, ymax);
                fill(v, (vrect_t){pl.x, y, pl.w, 1}, VCOL_SLO);
                snprintf(target_txt, sizeof target_txt, "SLO %s: %s %s %g ms", g->name, g->metric, g->op,
                         g->threshold);
                targets_y = y;
            } else if (g)
                snprintf(note, sizeof note, "\xe2\x86\x91 SLO %s: %s %g ms (off the axis)", g->name, g->op,
                         g->threshold), note_col = VCOL_SLO;
            else
                snprintf(note, sizeof note, "no latency SLO in the scenario");
        }
        for (int l = 0; l < n; l++)
            draw_series(v, r, &lines[l], &pl, tmax, ymax, k == 1, cost[k]);
        if (c == VCH_CPU && k == 0 && r->has_autoscaler) {
            /* what the controller saw at each sync: its CPU metric */
            int seen = 0, last_x = -100;
            for (int j = 0; j < r->nsyncs; j++) {
                double val = sync_cpu(&r->syncs[j], svc);
                int dx = vmap_x(&pl, r->syncs[j].t, tmax);
                if (!isfinite(val) || dx - last_x < 6) /* dots at least 6 px apart: the line shows */
                    continue;
                fill(v, (vrect_t){dx - 1, vmap_y(&pl, val, ymax) - 1, 3, 3}, VCOL_SEEN);
                last_x = dx;
                seen++;
            }
            if (seen && nlg < 6)
                lg[nlg++] = (legend_t){VCOL_SEEN, "\xe2\x97\x8f what the HPA saw", "\xe2\x97\x8f HPA saw"};
        }
        if (k == 0) /* each line's value at the cursor (base / candidate) */
            for (int l = 0; l < n && nlg < 6; l++) {
                legend_t *e = &lg[nlg++];
                e->col = lines[l].color;
                vlegend_text(v, c, l, true, e->full, sizeof e->full);
                vlegend_text(v, c, l, false, e->brief, sizeof e->brief);
            }
    }
    int x = draw_legend(v, c, svc, box, lg, nlg);
    if (targets_y >= 0) /* over the lines, on the panel's colour */
        label(v, VCOL_SLO, pl.x + pl.w - 4, targets_y - 15 < pl.y ? targets_y + 2 : targets_y - 15, 2, target_txt);
    if (c == VCH_CPU && !isfinite(cpu_target(v->run[0], svc)))
        snprintf(note, sizeof note, "%s",
                 !v->run[0]->has_autoscaler   ? "HPA target: no autoscaler.csv"
                 : has_syncs(v->run[0], svc) ? "no CPU metric in its HPA"
                                             : "no autoscaler");
    if (c == VCH_COST && !v->run[0]->has_summary)
        snprintf(note, sizeof note, "%s",
                 !v->run[0]->live_prices ? "cost: known at the run's end (summary.json)"
                 : v->run[0]->nedges     ? "at the scenario's prices; CDN egress known at the run's end"
                                         : "at the scenario's prices");
    if (c == VCH_COST && v->run[0]->has_summary)
        snprintf(note, sizeof note, "summary: %.2f USD after warm-up", v->run[0]->cost_total_usd);
    /* the note at the right, where it clears the legend */
    vtext_slot_t *ns = note[0] ? text_get(v, v->small, note_col, note) : NULL;
    if (ns && pl.x + pl.w - 4 - ns->w > x)
        text(v, v->small, note_col, pl.x + pl.w - 4, box.y + 3, 2, note);
}

static uint32_t event_color(vevent_kind_t k)
{
    return k == VEV_SCALE_UP ? VCOL_EV_UP : k == VEV_SCALE_DOWN ? VCOL_EV_DOWN : k == VEV_FAULT ? VCOL_EV_FAULT
                                                                                              : VCOL_EV_OTHER;
}

static void draw_lane(vview_t *v, double tmax)
{
    vrect_t ln = v->L.lane;
    fill(v, (vrect_t){v->L.chart[0].x, ln.y, v->L.chart[0].w, ln.h}, VCOL_PANEL);
    text(v, v->bold, VCOL_TEXT, v->L.chart[0].x + 6, ln.y + 1, 0, "Events");
    int lx = v->L.chart[0].x + 70;
    static const struct {
        uint32_t c;
        const char *s;
    } legend[] = {{VCOL_EV_UP, "\xe2\x96\xb2 scale up"},
                  {VCOL_EV_DOWN, "\xe2\x96\xbc scale down"},
                  {VCOL_EV_FAULT, "\xe2\x97\x86 fault"},
                  {VCOL_EV_OTHER, "| recovery, rollout"}};
    for (size_t k = 0; k < sizeof legend / sizeof legend[0]; k++)
        lx += text(v, v->small, legend[k].c, lx, ln.y + 2, 0, legend[k].s) + 12;
    /* the last event at or before the cursor */
    const vrun_t *r0 = v->run[v->show];
    for (int e = r0->nevents - 1; e >= 0; e--)
        if (r0->events[e].t <= v->cursor) {
            const vevent_t *ev = &r0->events[e];
            char at[32];
            fmt_hms(at, sizeof at, ev->t);
            textf(v, v->small, VCOL_TEXT, lx + 8, ln.y + 2, 0, "last: %s %s %s \xe2\x86\x92 %s %.60s", at,
                  ev->object, ev->from, ev->to, ev->reason);
            break;
        }
    for (int k = 0; k < v->nruns; k++) {
        const vrun_t *r = v->run[k];
        int cy = vlane_y(&v->L, k, v->nruns);
        color(v, VCOL_GRID, 255);
        SDL_RenderDrawLine(v->ren, ln.x, cy, ln.x + ln.w - 1, cy);
        if (v->nruns == 2)
            text(v, v->small, VCOL_DIM, ln.x - 4, cy - 7, 2, k == 0 ? "base" : "cand.");
        for (int e = 0; e < r->nevents; e++) {
            const vevent_t *ev = &r->events[e];
            int x = vmap_x(&ln, ev->t, tmax);
            uint32_t col = event_color(ev->kind);
            switch (ev->kind) {
            case VEV_SCALE_UP: triangle(v, x, cy, 8, 1, col); break;
            case VEV_SCALE_DOWN: triangle(v, x, cy, 8, -1, col); break;
            case VEV_FAULT:
                color(v, col, 255);
                for (int d = 0; d <= 5; d++)
                    SDL_RenderDrawLine(v->ren, x - (5 - d), cy - d, x + (5 - d), cy - d),
                        SDL_RenderDrawLine(v->ren, x - (5 - d), cy + d, x + (5 - d), cy + d);
                break;
            default: fill(v, (vrect_t){x - 1, cy - 6, 2, 13}, col); break;
            }
        }
    }
}

/* A time axis label: h:min under a day, else days and h:min:s. */
static void axis_label(char *b, size_t n, double t)
{
    fmt_hms(b, n, t);
    if (t < 86400)
        b[5] = '\0'; /* hh:mm */
}

static void draw_axis(vview_t *v, double tmax)
{
    vrect_t a = v->L.axis;
    char b[32];
    axis_label(b, sizeof b, tmax); /* the widest label (times grow) */
    int lw = text_w(v->small, b);
    axis_label(b, sizeof b, 0);
    lw = text_w(v->small, b) > lw ? text_w(v->small, b) : lw;
    double step = vaxis_time_step(tmax, a.w, lw);
    for (double t = 0; t <= tmax + 1e-9; t += step) {
        int x = vmap_x(&a, t, tmax);
        color(v, VCOL_DIM, 255);
        SDL_RenderDrawLine(v->ren, x, a.y, x, a.y + 4);
        axis_label(b, sizeof b, t);
        int align = t == 0 ? 0 : x + text_w(v->small, b) / 2 > v->L.w - 2 ? 2 : 1;
        text(v, v->small, VCOL_DIM, x, a.y + 5, align, b);
    }
    text(v, v->small, VCOL_DIM, a.x - 8, a.y + 5, 2, "h:min");
}

/* Exact values under the mouse: the chart it is over, at its time. */
static void draw_hover(vview_t *v, double tmax, double *const cost[2])
{
    int mx = v->mouse_x, my = v->mouse_y;
    for (int c = 0; c < VCH_N; c++) {
        vrect_t pl = v->L.plot[c];
        if (mx < pl.x || mx >= pl.x + pl.w || my < v->L.chart[c].y || my >= pl.y + pl.h)
            continue;
        double t = (double)(mx - pl.x) / (pl.w > 1 ? pl.w - 1 : 1) * tmax;
        color(v, VCOL_DIM, 255);
        SDL_RenderDrawLine(v->ren, mx, pl.y, mx, pl.y + pl.h - 1);
        char lines_txt[8][96];
        int n = 0;
        char at[32];
        fmt_hms(at, sizeof at, t);
        snprintf(lines_txt[n++], 96, "t = %s", at);
        for (int k = 0; k < v->nruns; k++) {
            const vrun_t *r = v->run[k];
            int i = vdata_sample_at(r, t);
            line_t ls[4];
            int nl = chart_lines(r, c, svc_name(v), ls);
            for (int l = 0; l < nl && n < 8 && i >= 0; l++) {
                char b[16];
                legend_value(b, sizeof b, r, &ls[l], t, cost[k]);
                snprintf(lines_txt[n++], 96, "%s%s: %s %s", v->nruns == 2 ? (k ? "cand. " : "base ") : "",
                         ls[l].label, b, ls[l].unit);
            }
        }
        int w = 190, h = n * 16 + 6, bx = mx + 12 + w > pl.x + pl.w ? mx - 12 - w : mx + 12;
        int by = my + h > v->L.h ? v->L.h - h : my;
        color(v, 0x000000, 220);
        SDL_Rect sr = {bx, by, w, h};
        SDL_RenderFillRect(v->ren, &sr);
        for (int k = 0; k < n; k++)
            text(v, v->small, VCOL_TEXT, bx + 6, by + 3 + 16 * k, 0, lines_txt[k]);
        return;
    }
    /* an event marker within 5 px */
    for (int k = 0; k < v->nruns; k++) {
        const vrun_t *r = v->run[k];
        int cy = vlane_y(&v->L, k, v->nruns);
        if (abs(my - cy) > 7)
            continue;
        for (int e = 0; e < r->nevents; e++) {
            const vevent_t *ev = &r->events[e];
            if (abs(vmap_x(&v->L.lane, ev->t, tmax) - mx) > 5)
                continue;
            char at[32], buf[300];
            fmt_hms(at, sizeof at, ev->t);
            snprintf(buf, sizeof buf, "%s %s: %s \xe2\x86\x92 %s %s", at, ev->object, ev->from, ev->to, ev->reason);
            vtext_slot_t *sl = text_get(v, v->small, VCOL_TEXT, buf);
            int w = sl ? sl->w + 12 : 200, bx = mx + w > v->L.w ? v->L.w - w : mx;
            color(v, 0x000000, 220);
            SDL_Rect sr = {bx, cy - 30, w, 20};
            SDL_RenderFillRect(v->ren, &sr);
            text(v, v->small, VCOL_TEXT, bx + 6, cy - 28, 0, buf);
            return;
        }
    }
}

static void clip(vview_t *v, const vrect_t *r)
{
    SDL_Rect sr = r ? (SDL_Rect){r->x, r->y, r->w, r->h} : (SDL_Rect){0, 0, 0, 0};
    SDL_RenderSetClipRect(v->ren, r ? &sr : NULL);
}

void vview_draw(vview_t *v, int w, int h)
{
    vlayout_make(&v->L, w, h);
    color(v, VCOL_BG, 255);
    SDL_RenderClear(v->ren);
    double tmax = vview_tmax(v);
    const vrun_t *r = v->run[v->show];
    int i = vdata_sample_at(r, v->cursor);
    /* the computed series, rebuilt only when samples were added (live) */
    for (int k = 0; k < v->nruns; k++)
        if (!v->cost[k] || v->cost_nt[k] != v->run[k]->nt) {
            free(v->cost[k]);
            v->cost[k] = derived_series(v->run[k]);
            v->cost_nt[k] = v->run[k]->nt;
        }
    double *const *cost = v->cost;
    /* each panel is clipped to its box: at small sizes text is cut at its
     * panel's edge rather than drawn over the next one */
    clip(v, &v->L.header);
    draw_header(v);
    clip(v, &v->L.map);
    draw_map(v, i);
    clip(v, &v->L.pods);
    draw_pods(v, i);
    clip(v, &v->L.sync);
    draw_sync(v);
    for (int c = 0; c < VCH_N; c++) {
        clip(v, &v->L.chart[c]);
        draw_chart(v, c, tmax, cost);
    }
    vrect_t lane = {v->L.chart[0].x, v->L.lane.y, v->L.chart[0].w, v->L.lane.h};
    clip(v, &lane);
    draw_lane(v, tmax);
    clip(v, NULL);
    draw_axis(v, tmax);
    /* the time cursor across the charts and the lane */
    int cx = vmap_x(&v->L.plot[0], v->cursor, tmax);
    color(v, VCOL_CURSOR, 160);
    SDL_RenderDrawLine(v->ren, cx, v->L.plot[0].y, cx, v->L.lane.y + v->L.lane.h);
    if (v->mouse_x >= 0)
        draw_hover(v, tmax, cost);
}
