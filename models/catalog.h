/* catalog: the models the engine runs, in one table per kind.
 *
 * The engine (sim/) reaches models only through `model_catalog`
 * (sim/station.h): the station kinds in the order their sections are
 * decoded and their stations created, the models' top-level scenario keys
 * (traffic, hpa_controller), which live in the platform block below, and
 * the request source. A new tier adds its kind to the table in catalog.c. */
#ifndef MODELS_CATALOG_H
#define MODELS_CATALOG_H

#include "models/cost.h"
#include "models/hpa.h"
#include "models/regions.h"
#include "models/traffic.h"
#include "sim/scenario.h"

/* The models' top-level keys of a scenario. */
typedef struct platform_cfg {
    traffic_cfg_t traffic;
    regions_cfg_t regions;         /* users' locations and the network (enabled: given) */
    hpa_config_t hpa_controller;   /* kube-controller-manager's HPA flags */
    cost_cfg_t cost;               /* prices */
} platform_cfg_t;

static inline platform_cfg_t *platform_of(const scenario_t *sc) { return scenario_models(sc); }

#endif
