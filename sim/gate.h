/* gate: a scenario's `slo:` gates judged on a run's results, for
 * `clustersim check`, and the reports CI systems read (JUnit XML, Markdown).
 *
 * The rule that decides a gate:
 * - one replication: there is no interval, so the value decides (slo_pass);
 * - R >= 2, GATE_ON_CI (the default): the whole 95% confidence interval of
 *   the mean over replications must be on the passing side of the threshold:
 *   for `<` and `<=` its upper end, for `>` and `>=` its lower end, is
 *   compared with the operator. The half-width is the one summary.json holds
 *   (results_ci95: Student t over the replications, and for a percentile
 *   widened by the histogram's resolution, for a proportion covering the
 *   binomial interval of its pooled counts);
 * - R >= 2, GATE_ON_MEAN: the mean decides, as `run`'s verdicts do.
 * A gate whose metric has no sample (no request completed: NaN) fails
 * whatever the rule, and so does every gate when a replication stopped at
 * the limit of requests in flight (metrics_t.overloaded: the others alone
 * would leave out the worst); under the CI rule a gate that has a sample in fewer
 * than two replications has no interval and fails too.
 *
 * The writers put a whole file in place or none: the text goes to a
 * temporary file beside the target (.NAME.tmp-PID-N), is synced, and is
 * renamed over the target. Library code: errors are returned with a message,
 * nothing is printed but the summary asked for, nothing exits. */
#ifndef SIM_GATE_H
#define SIM_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/run.h"
#include "sim/scenario.h"

typedef enum gate_rule {
    GATE_ON_CI,   /* the whole 95% interval on the passing side (default) */
    GATE_ON_MEAN, /* the mean over replications */
} gate_rule_t;

/* How one gate was decided. */
typedef enum gate_basis {
    GATE_BY_VALUE,     /* one replication: the value */
    GATE_BY_CI,        /* the interval's end */
    GATE_BY_MEAN,      /* the mean */
    GATE_NO_SAMPLE,    /* no value at all: fails */
    GATE_NO_INTERVAL,  /* CI rule, a sample in fewer than 2 replications: fails */
    GATE_OVERLOADED,   /* a replication stopped at the limit of requests in flight: fails */
} gate_basis_t;

typedef struct gate_verdict {
    const slo_t *slo;
    double value;      /* mean over the replications with a sample; NaN: none */
    double half;       /* 95% half-width; NaN when there is no interval */
    int samples;       /* replications with a sample */
    bool pass;         /* the verdict under the rule */
    bool pass_mean;    /* the mean alone would pass (the value with R = 1) */
    bool proportion;   /* its metric is a proportion: the interval shown stays in [0, 1] */
    bool count;        /* a count of events: the interval shown stays at or above 0 */
    gate_basis_t basis;
} gate_verdict_t;

typedef struct gate_report {
    const char *scenario; /* borrowed from the scenario */
    uint64_t seed;
    int replications;
    int overloaded;       /* of them, stopped at the limit of requests in flight: every gate fails */
    gate_rule_t rule;
    double wall_s;
    gate_verdict_t *v;    /* one per gate, in the scenario's order */
    size_t n, passed;
} gate_report_t;

/* Judges every gate of sc on res under rule. 0, or -1 when out of memory.
 * rep borrows sc's gates: free sc after gate_report_free. */
int gate_evaluate(const scenario_t *sc, const run_result_t *res, gate_rule_t rule, gate_report_t *rep);
void gate_report_free(gate_report_t *rep);
/* The rule that decided, in words, e.g. "the whole 95% confidence interval
 * (3 replications)" (into buf). */
const char *gate_rule_text(const gate_report_t *rep, char *buf, size_t size);
/* The terminal summary: a header, one line per gate (name, metric, value,
 * interval, threshold, verdict), and "N of M gates pass (rule: ...)".
 * quiet: the last line only. */
void gate_print(FILE *f, const gate_report_t *rep, bool quiet);
/* Whether path can take a report: its missing parent directories are
 * created (as `run -o` does), then the parent must be writable and path, if
 * it exists, a regular file (or a link to one). 0, or -1 with a message in
 * err (bad input: nothing was run yet). */
int gate_check_output(const char *path, char *err, size_t errlen);
/* JUnit XML: one <testsuite> named after the scenario with a <testcase> per
 * gate (classname the scenario, name the gate); a failing gate carries
 * <failure message="..."> with its value, interval and threshold.
 * 0, or -1 with a message in err (the target is then unchanged). */
int gate_write_junit(const char *path, const gate_report_t *rep, char *err, size_t errlen);
/* A Markdown summary for a pull-request comment: a heading with the count, a
 * table (gate, metric, value ± half-width, threshold, verdict) and the rule.
 * 0, or -1 with a message in err (the target is then unchanged). */
int gate_write_markdown(const char *path, const gate_report_t *rep, char *err, size_t errlen);

/* The pieces the writers above are made of, for other reports (compare):
 * writes a whole file, emit(f, ctx) into a temporary file beside path,
 * synced, then renamed over path (a link to a file: the file it points to).
 * 0, or -1 with a message in err (no file left behind, the target unchanged). */
int gate_write_file(const char *path, void (*emit)(FILE *, const void *), const void *ctx, char *err,
                    size_t errlen);
/* s escaped for XML text and attribute values. XML 1.0 cannot hold control
 * characters other than tab, newline and carriage return, even escaped:
 * they become '?'. */
void gate_xml_put(FILE *f, const char *s);
/* s as the text of a Markdown table cell: characters that would end the cell
 * or start inline syntax (emphasis, code, links, HTML, entities) are
 * backslash-escaped; line breaks become spaces. */
void gate_md_put(FILE *f, const char *s);
/* s as a JSON string, quotes included (", \ and control characters escaped). */
void gate_json_put(FILE *f, const char *s);
/* One JUnit <testcase> of class `classname` named `name`, `line` its
 * system-out; a <failure> of `failure_type` carrying `line` when that is not
 * NULL (a passing case: NULL). */
void gate_junit_case(FILE *f, const char *classname, const char *name, const char *failure_type,
                     const char *line);

#endif
