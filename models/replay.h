/* replay: the HPA algorithm alone over recorded metrics (a dry run of a
 * manifest), as `clustersim hpa replay` runs it.
 *
 * Metrics CSV: a header naming the columns `time`, `metric`, `value` and
 * optionally `ready_pods` (any order), then one row per sample, in
 * non-decreasing time order:
 *   time        seconds since the start
 *   metric      the metric's name as in the manifest (`cpu`, `memory` for
 *               Resource and ContainerResource metrics)
 *   value       Resource Utilization: percent of the request; Resource
 *               AverageValue: per-pod average (cores, bytes); Pods: per-pod
 *               average; Object/External: the total value. Kubernetes
 *               quantity syntax is accepted (`500m`, `1.2Gi`). Empty: the
 *               metric failed at that time (as no row; a sync in which
 *               every metric failed can so be written, as autoscaler.csv
 *               records it).
 *   ready_pods  optional: how many of the current pods are ready; the others
 *               are Pending (no sample; unready for every metric)
 * A sync runs at each distinct time: every pod reports the given average; a
 * metric with no row at that time fails for that sync (the partial-failure
 * rule applies). After each sync the replicas are the sync's result. Windows
 * and policy periods count from the sample times, a sample exactly one
 * window old having expired (hpa-spec.md §4.4).
 *
 * The file is read by sim/textfile (size cap, whole lines of any length, a
 * byte-order mark or a NUL refused at its place); a row with more or fewer
 * cells than the header is an error, and every cell is read whole. */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H

#include <stdio.h>

#include "sim/cli.h"
#include "sim/diag.h"
#include "models/k8s.h"
#include "sim/textfile.h"

typedef enum { REPLAY_TABLE, REPLAY_CSV, REPLAY_JSON } replay_format_t;

/* The numbers of one HPA sync as text, exactly as `hpa replay` prints them;
 * the simulator's autoscaler.csv writes the same cells (models/autoscaler.c),
 * so a run's rows and a replay of them read alike. A cell with no number is
 * "" (raw and stabilized when metrics were not computed; a metric's value
 * and proposal when it is invalid). */
typedef struct replay_metric_cells {
    char value[32];      /* Utilization: integer percent; else the milli-value as a decimal ("53.333") */
    char target[32];     /* the target in the value's unit */
    char proposal[16];
    const char *error;   /* NULL when valid; why not (hpa_metric_err_str), or "not computed" */
} replay_metric_cells_t;

typedef struct replay_cells {
    char raw[16], stabilized[16], final[16];
    const char *reason;  /* hpa_decision_reason: the limit, or the outcome of a sync that could not scale */
    replay_metric_cells_t m[HPA_MAX_METRICS];  /* spec order */
} replay_cells_t;

/* Fills c with decision d's cells for spec's metrics. */
void replay_cells(const hpa_spec_t *spec, const hpa_decision_t *d, replay_cells_t *c);

/* Replays the metrics of csv_path through h starting from `replicas`,
 * writing one line per sync to out. 0, or -1 with errors in d (bad CSV)
 * before anything is written. */
int replay_run(const k8s_hpa_t *h, const char *csv_path, int32_t replicas, replay_format_t fmt, FILE *out,
               diag_t *d);

/* Parses the metrics CSV text f against spec's metrics and keeps nothing:
 * 0 (and the number of rows in *nrows, if not NULL), or -1 with located
 * errors in d. Safe on any text, and frees what it allocates (the fuzz
 * target's entry). */
int replay_parse_metrics(const hpa_spec_t *spec, const textfile_t *f, size_t *nrows, diag_t *d);

/* `clustersim hpa replay HPA.yaml --metrics CSV`: the CLI's command, added
 * by the catalogue (models/catalog.c). */
extern const cli_command_t replay_command;

#endif
