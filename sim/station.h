/* station: the tiers a request visits, plugged into the engine one way.
 *
 * A request is born (by the traffic source) with a route: the stations it
 * visits in order. The world hands it to the station at its hop
 * (world_enter); the station serves it, queues it, answers it early (a cache
 * hit) or passes it on to the next hop (world_pass), possibly after a delay
 * of its own (a network leg). The reply travels back through the stations
 * already visited, in reverse order (world_back): each station's `back`
 * sees it pass (fills a cache, adds the return leg) and hands it on, until
 * the request is done at hop 0. A request that passes the end of its route
 * is answered there by the origin at once: the route names every station
 * that takes time.
 *
 * A station kind is a descriptor in one static table (models/catalog.c), as
 * balancers and distributions are: its name, the scenario section holding
 * its instances (`services:` for the service kind), its parameter table
 * (decoding, checking, `clustersim describe`), the sizes of its
 * configuration and state (the core allocates both) and its operations.
 * The engine calls the operations and knows no kind by name; adding a tier
 * touches its files, one table row, its tests and its docs.
 *
 * The world gives the models (sim/world.h): the clock and the bounds of
 * the run (w->now, w->warmup, w->end), the seed for their random streams
 * (w->seed), the configuration (w->sc), the run's arena for allocations at
 * init (w->arena), the stations (w->stations, world_station), the entry
 * route and the source's state (w->entry, w->source), whether the run has
 * failed (w->failed, read only); the event set (world_schedule,
 * world_cancel), the request pool (world_new_request, world_admit) and a
 * pool of per-visit records (world_visit_get/put, `visit_size` bytes), the
 * moves of a request (world_enter, world_pass, world_back), and the writers
 * of the time series, the event log and failures (world_series,
 * world_event, world_fail). The source sets w->source_done at init when it
 * wants every finished request. Nothing else of the world is theirs. */
#ifndef SIM_STATION_H
#define SIM_STATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/cfg.h"
#include "sim/cli.h"
#include "sim/diag.h"
#include "sim/metrics.h"
#include "sim/params.h"
#include "sim/simtime.h"

typedef struct world world_t;
typedef struct scenario scenario_t;
typedef struct station_kind station_kind_t;
typedef struct route route_t;

/* A station as configured: its kind, name and the kind's configuration. */
typedef struct station_cfg {
    const station_kind_t *kind;
    const char *name;
    srcpos_t pos;              /* of its name in the scenario */
    uint32_t index;            /* in scenario_t.stations */
    void *cfg;                 /* kind->cfg_size bytes, decoded by kind->params */
} station_cfg_t;

/* A request: owned by the world's pool. Stations keep what they need of a
 * visit in a visit record of their own. */
typedef struct request {
    void *pool_link;
    simtime_t arrival;
    const route_t *route;
    uint64_t object;           /* the object asked for (catalogue index; 0: none) */
    uint32_t client;
    uint16_t hop;              /* index in route->hops of the station holding it */
    uint8_t region, klass;     /* user region and request class (0 when none) */
    uint8_t edge;              /* the CDN edge serving it (stations that route set it) */
    bool measured;             /* arrived after warm-up */
    bool revalidate;           /* a conditional request (a stale cached copy is held) */
    bool rejected;             /* a full queue (or no ready pod) refused it somewhere */
    uint16_t pod_station;      /* the last service that served it (station index + 1; 0: none) */
    uint32_t pod_uid;          /* and its pod (a database's per-pod connection pools) */
    uint8_t flags;             /* per-request scratch of the stations it crosses */
} request_t;

/* A station in a run. */
typedef struct station station_t;
struct station {
    /* def->kind->arrive, kept here: one load less per visit */
    void (*arrive)(world_t *w, station_t *st, request_t *r);
    void *state;               /* kind->state_size bytes, zeroed, from the run's arena */
    const station_cfg_t *def;
};

/* A route: the stations a request visits, in order. */
struct route {
    const char *name;
    station_t **hops;
    uint32_t n;
};

/* A scheduled fault (the scenario's `faults:`), resolved to its station:
 * `target` is SECTION.NAME (or SECTION for a singleton), and anything after
 * it is the detail (`cdn.london`: the London edge). */
typedef struct fault_spec {
    simtime_t at, duration;     /* duration 0: not given */
    const char *name;           /* one of the kind's `faults` */
    const char *detail;         /* NULL when none */
    srcpos_t pos;               /* of the item */
    srcpos_t name_pos, target_pos;
} fault_spec_t;

/* Rows of the terminal table: a kind prints the lines of its stations. */
typedef struct station_report {
    const scenario_t *sc;
    const metrics_t *summary;  /* the run's metrics (means over replications) */
    int replications;
} station_report_t;

struct station_kind {
    const char *name;          /* "service" */
    const char *section;       /* scenario key of its instances: "services" */
    const char *section_ref;   /* its heading in the reference: "services.NAME" */
    const char *help;          /* for the scenario reference */
    const param_table_t *params;
    size_t cfg_size, state_size;
    size_t visit_size;         /* bytes of a visit record (0: none) */
    size_t max_instances;      /* of this kind in a scenario */
    unsigned section_flags;    /* PF_REQUIRED: the section must be present */
    /* One instance, configured by the section itself (`cdn: {...}`), named
     * after the section; else the section maps names to configurations. */
    bool singleton;
    /* A singleton whose section is absent is still created, with every
     * default, when this says the scenario implies it. */
    bool (*implied)(const scenario_t *sc);
    /* >0: every route starts with the stations of this kind, in increasing
     * order (the browser before the CDN); 0: a route names them. */
    int route_order;
    size_t series_per_station; /* series of timeseries.csv per station (limits) */

    /* ---- the scenario ---- */
    /* Before params decode c->cfg (zeroed): what its decoders need to
     * know, such as the station's name (may be NULL). */
    void (*begin)(station_cfg_t *c);
    /* After params decoded c->cfg from node (NULL when the value was
     * empty): what the table cannot say. 0 or the number of errors. */
    int (*decoded)(station_cfg_t *c, cfg_node_t *node, pctx_t *ctx, const char *path);
    /* Once every station is decoded, for all of this kind at once: names
     * of other stations, limits. 0 or the number of errors. */
    int (*check)(scenario_t *sc, diag_t *d);
    /* Extra reference text after the parameter tables (may be NULL). */
    void (*describe)(FILE *f);
    /* The faults it accepts by name (NULL-terminated; NULL: none), and how a
     * scheduled one is applied: entered into the station's configuration at
     * load, which its `start` then schedules (0 or the number of errors,
     * located at f's positions). Called before `check`. */
    const char *const *faults;
    int (*fault)(scenario_t *sc, station_cfg_t *c, const fault_spec_t *f, diag_t *d);

    /* ---- the run ---- */
    int (*init)(world_t *w, station_t *st);    /* 0, or -1 out of memory */
    int (*start)(world_t *w, station_t *st);   /* after every station's init: its own events */
    void (*destroy)(world_t *w, station_t *st);
    /* A request arrives at this station (r->hop is its index in the route). */
    void (*arrive)(world_t *w, station_t *st, request_t *r);
    /* A hint (NULL: none): a request like r (its route, client, class,
     * region and object are set) will arrive here soon; the kind may start
     * loading what it will read then. Must change nothing. */
    void (*prefetch)(const station_t *st, const request_t *r);
    /* The reply passes back through (NULL: straight through). Must end
     * with world_back(w, r, ok), now or from a later event. */
    void (*back)(world_t *w, station_t *st, request_t *r, bool ok);
    /* End of warm-up: time-weighted statistics restart. */
    void (*restart_stats)(world_t *w, station_t *st);
    /* A pod is gone for good (NULL: the kind keeps nothing per pod): the
     * one that request_t.pod_station and pod_uid name (world_pod_gone). */
    void (*pod_gone)(world_t *w, station_t *st, uint16_t pod_station, uint32_t pod_uid);
    /* Whether this station's pod pod_uid still exists (NULL: the kind has
     * no pods). For a station that hears of a pod late, in a request that
     * pod served (world_pod_alive). */
    bool (*pod_alive)(world_t *w, station_t *st, uint32_t pod_uid);
    /* Pod metrics: true when the metrics-server must scrape this station;
     * `window` opens a scrape's window, `scrape` takes it. */
    bool (*scraped)(const station_cfg_t *c);
    void (*window)(world_t *w, station_t *st);
    void (*scrape)(world_t *w, station_t *st);
    /* A row of the time series at time t (s), interval secs long. */
    void (*sample)(world_t *w, station_t *st, double t, double secs);
    /* Its section of summary.json. */
    void (*collect)(const world_t *w, const station_t *st, metrics_t *m);
    /* Its rows of the terminal table, for every station of this kind. */
    void (*report)(FILE *f, const station_report_t *rep);

    /* ---- capacity planning (`clustersim capacity`'s bottleneck report) ---- */
    /* How close a station of c can get to its limits (NULL: nothing to
     * say): its CPU request over its CPU limit (1 without both), and the
     * most replicas its autoscaler allows (-1: no autoscaler). */
    void (*limits)(const station_cfg_t *c, double *request_over_limit, double *max_replicas);
};

/* ---- the catalogue: what the models give the engine ----------------------- */

/* The request source (traffic): one per run. */
#define SOURCE_KEY_LEN 64
typedef struct source_kind {
    size_t state_size;
    int (*init)(world_t *w, void *state);      /* schedules the first arrival */
    void (*destroy)(world_t *w, void *state);
    void (*scrape)(world_t *w, void *state, simtime_t window);
    void (*sample)(world_t *w, void *state, double t, double secs);
    void (*collect)(const world_t *w, const void *state, metrics_t *m);
    /* A request is done (per-region and per-class statistics; only the
     * interval's series count one that arrived in the warm-up:
     * request_t.measured). */
    void (*done)(world_t *w, void *state, const request_t *r, bool ok);
    /* Its rows of the terminal table (regions, classes), after the totals. */
    void (*report)(FILE *f, const station_report_t *rep);
    /* The keys whose values are sc's offered load, as --set paths, with
     * their values (a traffic multiple m sets each to m times its value;
     * `clustersim capacity`): how many there are, of which the first max
     * are written (as snprintf: call with max 0 to count them), or -1 with a
     * message in err when the load has no rate to multiply (file: sc's, for
     * it). */
    int (*load_keys)(const scenario_t *sc, const char *file, char (*paths)[SOURCE_KEY_LEN], double *values,
                     size_t max, char *err, size_t errlen);
} source_kind_t;

typedef struct catalog {
    const station_kind_t *const *kinds;
    size_t nkinds;
    /* Top-level scenario keys of the models (traffic, hpa_controller):
     * their offsets are into a block of `platform_size` bytes that
     * scenario_models() returns. */
    const param_table_t *platform;
    size_t platform_size;
    /* After every key is decoded, before the kinds' checks. */
    int (*platform_check)(scenario_t *sc, cfg_node_t *root, diag_t *d);
    const source_kind_t *source;
    /* After every station collected: sums over them (cost.total_usd). */
    void (*collect_after)(const world_t *w, metrics_t *m);
    /* `compare --manifest SERVICE=FILE`: the --set value (malloc'd in *set)
     * that gives service svc of sc the autoscaler of manifest FILE; 0, -1
     * with a message in err, or -2 when out of memory. */
    int (*manifest_override)(const scenario_t *sc, const char *svc, const char *file, char **set, char *err,
                             size_t errlen);
    /* The models' subcommands of the CLI (`clustersim hpa replay`). */
    const cli_command_t *commands;
    size_t ncommands;
} catalog_t;

extern const catalog_t model_catalog;

/* The kind named `name` in the catalogue, or NULL. */
const station_kind_t *station_kind_find(const char *name);

#endif
