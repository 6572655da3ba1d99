#!/usr/bin/env bash
# test_hpa_replay.sh: `clustersim hpa replay` against the golden traces of
# the HPA specification (hpa-spec.md, beside DESIGN.md) §8 and its manifest
# validation (§4.1, §6).
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_hpa_replay.sh     (from the repository root)
#
# Fixtures (tests/hpa/):
#   traces/NAME.hpa.yaml       the trace's HPA manifest
#   traces/NAME.metrics.csv    time,metric,value: one sample per metric per 15 s sync
#   traces/NAME.args           extra arguments (the starting --replicas)
#   traces/NAME.expected.csv   time,current,raw,stabilized,final,reason, one row per sync,
#                              transcribed from the spec's table
#   traces/c1.proposals.csv    the per-metric proposals of trace (c1)
#   bad/*.yaml                 one defect each; line 1 is "# expect: LINE:COL: SUBSTRING"
#   warn/unknown_field.yaml    the seed manifest (unknown minReplicas inside a policy),
#   warn/unknown_field.expect  and the warning line it must produce
#
# Output columns are selected by header name, so extra or reordered columns do
# not matter; numbers are compared numerically ("15" = "15.0"). Prints one line
# per check and ends with "N passed, M failed"; exits non-zero on any failure.

set -u

. "$(dirname "$0")/lib.sh"
cli_init hpa
TRACES=tests/hpa/traces
BAD_DIR=tests/hpa/bad
WARN_DIR=tests/hpa/warn
TRACE_NAMES="a a2_legacy a2_behavior b c1 c2 d e_min e_max"
COLS=time,current,raw,stabilized,final,reason

if [ ! -x "$CLUSTERSIM" ]; then
    not_ok "$CLUSTERSIM is not an executable (build it with make)"
    finish
fi
if [ ! -d "$TRACES" ] || [ ! -d "$BAD_DIR" ]; then
    not_ok "run from the repository root: $TRACES and $BAD_DIR not found"
    finish
fi

# select_cols FILE COL1,COL2,...: prints those columns of the CSV FILE, picked
# by header name, without the header; integers and decimals are normalised
# ("15.000" -> 15, "53.3330" -> 53.333). Exit 2 (and a message on stderr) if a
# column is missing.
select_cols() {
    awk -F, -v cols="$2" '
        { sub(/\r$/, "") }
        NR == 1 {
            n = split(cols, want, ",")
            for (i = 1; i <= NF; i++) idx[$i] = i
            for (j = 1; j <= n; j++)
                if (!(want[j] in idx)) { printf "no column \"%s\" in the header: %s\n", want[j], $0 > "/dev/stderr"; missing = 1; exit 2 }
            next
        }
        {
            line = ""
            for (j = 1; j <= n; j++) {
                v = $(idx[want[j]])
                if (v ~ /^-?[0-9]+(\.[0-9]*)?$/) v = v + 0
                line = line (j > 1 ? "," : "") v
            }
            print line
        }
        END { if (missing) exit 2 }' "$1"
}

# first_diff EXPECTED ACTUAL COLS: describes the first row where the two
# normalised tables differ (or the row-count difference).
first_diff() {
    awk -v cols="$3" '
        NR == FNR { want[FNR] = $0; nw = FNR; next }
        { got[FNR] = $0; ng = FNR }
        END {
            n = nw > ng ? nw : ng
            for (i = 1; i <= n; i++) {
                if (want[i] != got[i]) {
                    printf "sync row %d (columns %s): expected \"%s\", got \"%s\"", i, cols,
                        i <= nw ? want[i] : "<no row>", i <= ng ? got[i] : "<no row>"
                    if (nw != ng) printf "; %d rows expected, %d rows output", nw, ng
                    printf "\n"
                    exit
                }
            }
        }' "$1" "$2"
}

# compare_cols LABEL EXPECTED_CSV ACTUAL_CSV COLS
compare_cols() {
    local label=$1 expf=$2 actf=$3 cols=$4
    if ! select_cols "$expf" "$cols" >"$TMP/exp.norm" 2>"$TMP/sel.err"; then
        not_ok "$label" "fixture $expf: $(cat "$TMP/sel.err")"
        return
    fi
    if ! select_cols "$actf" "$cols" >"$TMP/act.norm" 2>"$TMP/sel.err"; then
        not_ok "$label" "output: $(cat "$TMP/sel.err")"
        return
    fi
    if cmp -s "$TMP/exp.norm" "$TMP/act.norm"; then
        ok "$label ($(wc -l <"$TMP/exp.norm") syncs)"
    else
        not_ok "$label" "$(first_diff "$TMP/exp.norm" "$TMP/act.norm" "$cols")"
    fi
}

# read_args NAME: the trace's extra arguments, in the array ARGS.
read_args() {
    ARGS=()
    [ -f "$TRACES/$1.args" ] && read -r -a ARGS <"$TRACES/$1.args"
}

# metric_names CSV: the metric names of a metrics CSV in order of first appearance.
metric_names() {
    awk -F, 'NR > 1 { sub(/\r$/, ""); if (!($2 in seen)) { seen[$2] = 1; printf "%s%s", (n++ ? "," : ""), $2 } }' "$1"
}

# ---- the golden traces ------------------------------------------------------------

for name in $TRACE_NAMES; do
    hpa=$TRACES/$name.hpa.yaml
    csv=$TRACES/$name.metrics.csv
    exp=$TRACES/$name.expected.csv
    if [ ! -f "$hpa" ] || [ ! -f "$csv" ] || [ ! -f "$exp" ]; then
        not_ok "trace $name: fixture files present" "missing $hpa, $csv or $exp"
        continue
    fi
    read_args "$name"
    run hpa replay "$hpa" --metrics "$csv" "${ARGS[@]}" --format csv
    cp "$OUT" "$TMP/$name.out"
    if [ $rc -ne 0 ]; then
        not_ok "trace $name: hpa replay exits 0" "exit $rc; stderr: $(first_err)"
        continue
    fi
    compare_cols "trace $name: $COLS" "$exp" "$TMP/$name.out" "$COLS"

    # The header: time,current, NAME,NAME_proposal per metric in manifest order
    # (the metrics CSVs list them in manifest order), raw,stabilized,final,reason.
    metrics=$(metric_names "$csv")
    want_header="time,current"
    IFS=, read -r -a mlist <<<"$metrics"
    for m in "${mlist[@]}"; do want_header="$want_header,$m,${m}_proposal"; done
    want_header="$want_header,raw,stabilized,final,reason"
    got_header=$(head -n 1 "$TMP/$name.out" | tr -d '\r')
    if [ "$got_header" = "$want_header" ]; then
        ok "trace $name: csv header $want_header"
    else
        not_ok "trace $name: csv header" "expected: $want_header" "got:      $got_header"
    fi

    # Each metric's observed column echoes the value of the metrics CSV at that
    # sync (integer percent for Utilization, the decimal average for Pods, the
    # total for External), within 0.001.
    bad_obs=$(awk -F, -v metrics="$metrics" '
        { sub(/\r$/, "") }
        NR == FNR { if (FNR > 1) val[$1 + 0, $2] = $3; next }
        FNR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; nm = split(metrics, m, ","); next }
        {
            for (j = 1; j <= nm; j++) {
                if (!(m[j] in idx)) { print "no column " m[j]; exit }
                got = $(idx[m[j]]); want = val[$(idx["time"]) + 0, m[j]]
                d = got - want
                if (got !~ /^-?[0-9]+(\.[0-9]*)?$/ || d > 0.001 || d < -0.001) {
                    printf "time %s, column %s: expected %s, got %s\n", $(idx["time"]), m[j], want, got
                    exit
                }
            }
        }' "$csv" "$TMP/$name.out")
    if [ -z "$bad_obs" ]; then
        ok "trace $name: observed metric columns ($metrics) echo the metrics CSV"
    else
        not_ok "trace $name: observed metric columns echo the metrics CSV" "$bad_obs"
    fi

    # No warning for the manifests that have no unknown field (c1 and c2 are
    # the seed manifest and its variant: they warn, checked below).
    case $name in
    c1 | c2)
        # the policy's minReplicas key: line 46 of the seed (c1), 45 in c2 (no spec.minReplicas line)
        wline=46
        [ "$name" = c2 ] && wline=45
        if grep -qF "$hpa:$wline:9: warning: unknown field \"spec.behavior.scaleUp.policies[0].minReplicas\"" "$ERR"; then
            ok "trace $name: warning for the unknown minReplicas inside the policy"
        else
            not_ok "trace $name: warning for the unknown minReplicas inside the policy" "stderr: $(one_line "$ERR")"
        fi
        ;;
    *)
        if grep -qi warning "$ERR"; then
            not_ok "trace $name: no warning on stderr" "stderr: $(one_line "$ERR")"
        else
            ok "trace $name: no warning on stderr"
        fi
        ;;
    esac
done

# (c1): each metric's own proposal.
if [ -f "$TMP/c1.out" ]; then
    compare_cols "trace c1: per-metric proposals" "$TRACES/c1.proposals.csv" "$TMP/c1.out" \
        time,cpu_proposal,memory_proposal,http_requests_per_second_proposal
else
    not_ok "trace c1: per-metric proposals" "no output from trace c1"
fi

# --replicas defaults to spec.minReplicas: c1 (minReplicas 3) without --replicas is c1.
run hpa replay "$TRACES/c1.hpa.yaml" --metrics "$TRACES/c1.metrics.csv" --format csv
if [ $rc -eq 0 ]; then
    cp "$OUT" "$TMP/c1-default.out"
    compare_cols "trace c1 without --replicas (starts at spec.minReplicas 3)" "$TRACES/c1.expected.csv" \
        "$TMP/c1-default.out" "$COLS"
else
    not_ok "trace c1 without --replicas: exit 0" "exit $rc; stderr: $(first_err)"
fi

# A multi-document manifest: the first autoscaling/v2 HorizontalPodAutoscaler is used.
{
    cat <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web:1
        resources:
          requests: {cpu: 200m}
---
EOF
    cat "$TRACES/a.hpa.yaml"
} >"$TMP/multi.yaml"
read_args a
run hpa replay "$TMP/multi.yaml" --metrics "$TRACES/a.metrics.csv" "${ARGS[@]}" --format csv
if [ $rc -eq 0 ]; then
    cp "$OUT" "$TMP/multi.out"
    compare_cols "trace a with a Deployment document before the HPA" "$TRACES/a.expected.csv" "$TMP/multi.out" "$COLS"
else
    not_ok "trace a with a Deployment document before the HPA: exit 0" "exit $rc; stderr: $(first_err)"
fi

# The optional ready_pods column: all pods ready (= current) gives trace (a) again.
awk -F, 'NR == FNR { if (FNR > 1) cur[$1] = $2; next }
         FNR == 1 { print "time,metric,value,ready_pods"; next }
         { print $0 "," cur[$1] }' "$TRACES/a.expected.csv" "$TRACES/a.metrics.csv" >"$TMP/ready.csv"
run hpa replay "$TRACES/a.hpa.yaml" --metrics "$TMP/ready.csv" "${ARGS[@]}" --format csv
if [ $rc -eq 0 ]; then
    cp "$OUT" "$TMP/ready.out"
    compare_cols "trace a with a ready_pods column equal to current" "$TRACES/a.expected.csv" "$TMP/ready.out" "$COLS"
else
    not_ok "trace a with a ready_pods column equal to current: exit 0" "exit $rc; stderr: $(first_err)"
fi

# --strict on a manifest without unknown fields changes nothing.
read_args d
run hpa replay "$TRACES/d.hpa.yaml" --metrics "$TRACES/d.metrics.csv" "${ARGS[@]}" --format csv --strict
if [ $rc -eq 0 ]; then
    cp "$OUT" "$TMP/strict-d.out"
    compare_cols "trace d with --strict" "$TRACES/d.expected.csv" "$TMP/strict-d.out" "$COLS"
else
    not_ok "trace d with --strict: exit 0" "exit $rc; stderr: $(first_err)"
fi

# ---- the unknown field of the seed manifest (hpa-spec.md §6) -----------------------

WARN_YAML=$WARN_DIR/unknown_field.yaml
want_warn=$(head -n 1 "$WARN_DIR/unknown_field.expect")
want_pos=${want_warn%%: warning:*}
read_args c1
run hpa replay "$WARN_YAML" --metrics "$TRACES/c1.metrics.csv" "${ARGS[@]}" --format csv
if [ $rc -eq 0 ] && grep -qF -- "$want_warn" "$ERR" && [ "$(grep -F -- "$want_warn" "$ERR" | head -n 1 | cut -c1-${#want_warn})" = "$want_warn" ] &&
    [ -s "$OUT" ]; then
    ok "seed manifest: exit 0, $want_warn"
else
    not_ok "seed manifest: exit 0 with the warning on stderr" "expected a line starting: $want_warn" \
        "exit $rc; stderr: $(one_line "$ERR")"
fi
run hpa replay "$WARN_YAML" --metrics "$TRACES/c1.metrics.csv" "${ARGS[@]}" --format csv --strict
line1=$(first_err)
if [ $rc -eq 2 ] && [[ "$line1" == "$want_pos: "* ]] && [[ "$line1" == *minReplicas* ]] && [ ! -s "$OUT" ]; then
    ok "seed manifest with --strict: exit 2, $line1"
else
    not_ok "seed manifest with --strict: exit 2, '$want_pos: ...minReplicas...' on stderr, nothing on stdout" \
        "exit $rc; stderr: $line1; stdout: $(one_line "$OUT")"
fi

# ---- malformed manifests ----------------------------------------------------------

nbad=0
for f in "$BAD_DIR"/*.yaml; do
    [ -f "$f" ] || continue
    nbad=$((nbad + 1))
    expect=$(head -n 1 "$f")
    if [[ ! "$expect" =~ ^#\ expect:\ ([0-9]+):([0-9]+):\ (.+)$ ]]; then
        not_ok "$f: first line is '# expect: LINE:COL: SUBSTRING'" "$expect"
        continue
    fi
    pos="$f:${BASH_REMATCH[1]}:${BASH_REMATCH[2]}: "
    substr=${BASH_REMATCH[3]}
    run hpa replay "$f" --metrics "$TRACES/a.metrics.csv" --format csv
    line1=$(first_err)
    if [ $rc -eq 2 ] && [[ "$line1" == "$pos"* ]] && [[ "$line1" == *"$substr"* ]] && [ ! -s "$OUT" ]; then
        ok "$f: exit 2, $line1"
    else
        not_ok "$f: exit 2, '$pos...$substr...' on stderr, nothing on stdout" \
            "exit $rc; stderr: $line1; stdout: $(one_line "$OUT")"
    fi
done
if [ "$nbad" -ge 20 ]; then
    ok "$nbad malformed manifests in $BAD_DIR (at least 20)"
else
    not_ok "at least 20 malformed manifests in $BAD_DIR" "found $nbad"
fi

# ---- malformed metrics CSVs -------------------------------------------------------

# csv_check LABEL CSV LINE COL: the command must exit 2 with "CSV:LINE:COL: " on
# the first stderr line (COL "any": any column), nothing on stdout. Columns are
# character columns, 1-based, as in the manifest messages.
csv_check() {
    local label=$1 csvf=$2 want_line=$3 want_col=$4
    read_args a
    run hpa replay "$TRACES/a.hpa.yaml" --metrics "$csvf" "${ARGS[@]}" --format csv
    line1=$(first_err)
    local re
    if [ "$want_col" = any ]; then re="^$csvf:$want_line:[0-9]+: ."; else re="^$csvf:$want_line:$want_col: ."; fi
    if [ $rc -eq 2 ] && [[ "$line1" =~ $re ]] && [ ! -s "$OUT" ]; then
        ok "metrics CSV, $label: exit 2, $line1"
    else
        not_ok "metrics CSV, $label: exit 2, '$csvf:$want_line:$want_col: ...' on stderr, nothing on stdout" \
            "exit $rc; stderr: $line1; stdout: $(one_line "$OUT")"
    fi
}

printf 'time,metrics,value\n0,cpu,50\n15,cpu,50\n' >"$TMP/bad_header.csv"
csv_check "bad header (metrics)" "$TMP/bad_header.csv" 1 any
printf 'time,metric,value\n0,cpu,50\n15,cpu,fifty\n30,cpu,50\n' >"$TMP/bad_value.csv"
csv_check "non-numeric value 'fifty'" "$TMP/bad_value.csv" 3 8
printf 'time,metric,value\n0,cpu,50\n15,cpu,50\n10,cpu,50\n' >"$TMP/time_backwards.csv"
csv_check "time going backwards (15 then 10)" "$TMP/time_backwards.csv" 4 1
printf 'time,metric,value\n0,cpu,50\n15,gpu,50\n' >"$TMP/unknown_metric.csv"
csv_check "metric 'gpu' not in the manifest" "$TMP/unknown_metric.csv" 3 4
printf 'time,metric,value\n0,cpu,50\nfifteen,cpu,50\n' >"$TMP/bad_time.csv"
csv_check "non-numeric time 'fifteen'" "$TMP/bad_time.csv" 3 1

# ---- other formats, help, command line --------------------------------------------

read_args a
run hpa replay "$TRACES/a.hpa.yaml" --metrics "$TRACES/a.metrics.csv" "${ARGS[@]}" --format table
if [ $rc -eq 0 ] && [ -s "$OUT" ]; then
    ok "--format table: exit 0, $(wc -l <"$OUT") lines"
else
    not_ok "--format table: exit 0 and output" "exit $rc; stderr: $(first_err)"
fi
run hpa replay "$TRACES/a.hpa.yaml" --metrics "$TRACES/a.metrics.csv" "${ARGS[@]}" --format json
if [ $rc -eq 0 ] && [ -s "$OUT" ] && python3 -m json.tool "$OUT" >/dev/null 2>"$TMP/json.err"; then
    ok "--format json: exit 0, valid JSON"
else
    not_ok "--format json: exit 0, valid JSON" "exit $rc; stderr: $(first_err); json.tool: $(head -n 1 "$TMP/json.err")" \
        "stdout: $(one_line "$OUT")"
fi
run hpa replay --help
if [ $rc -eq 0 ] && grep -q -- '--metrics' "$OUT"; then
    ok "hpa replay --help: exit 0, usage naming --metrics"
else
    not_ok "hpa replay --help: exit 0, usage naming --metrics on stdout" "exit $rc; stdout: $(one_line "$OUT")"
fi
run hpa replay "$TRACES/a.hpa.yaml"
if [ $rc -eq 2 ] && [ ! -s "$OUT" ] && [ -s "$ERR" ]; then
    ok "hpa replay without --metrics: exit 2, $(first_err)"
else
    not_ok "hpa replay without --metrics: exit 2, a message on stderr, nothing on stdout" \
        "exit $rc; stderr: $(first_err); stdout: $(one_line "$OUT")"
fi
run hpa replay "$TRACES/a.hpa.yaml" --metrics "$TRACES/a.metrics.csv" --format xml
if [ $rc -eq 2 ] && [ ! -s "$OUT" ] && [ -s "$ERR" ]; then
    ok "hpa replay --format xml: exit 2, $(first_err)"
else
    not_ok "hpa replay --format xml: exit 2, a message on stderr, nothing on stdout" \
        "exit $rc; stderr: $(first_err); stdout: $(one_line "$OUT")"
fi
run hpa replay "$TMP/no-such-file.yaml" --metrics "$TRACES/a.metrics.csv"
if [ $rc -eq 2 ] && [ ! -s "$OUT" ] && [ -s "$ERR" ]; then
    ok "hpa replay of a missing manifest: exit 2, $(first_err)"
else
    not_ok "hpa replay of a missing manifest: exit 2, a message on stderr, nothing on stdout" \
        "exit $rc; stderr: $(first_err); stdout: $(one_line "$OUT")"
fi


# A successful replay prints its manifest's warnings and nothing else on stderr.
"$CLUSTERSIM" hpa replay tests/hpa/traces/c1.hpa.yaml --metrics tests/hpa/traces/c1.metrics.csv --replicas 3 \
    --format csv >/dev/null 2>"$TMP/c1.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(wc -l <"$TMP/c1.err")" -eq 1 ] && grep -q 'warning: unknown field' "$TMP/c1.err"; then
    ok "hpa replay c1: exit 0, exactly one line on stderr (the warning)"
else
    not_ok "hpa replay c1: exit 0, exactly one line on stderr (the warning)" "exit $rc; stderr: $(tr '\n' '|' <"$TMP/c1.err")"
fi

# ---- null fields, as the API server decodes them --------------------------------------
# `behavior:` with its fields commented out is null: Spec.Behavior == nil, the
# legacy path, so trace (a2)'s manifest with it replays the legacy golden trace
# (before, it took the behavior path: 2 -> 6 and back to 2).
{ cat "$TRACES/a2_legacy.hpa.yaml"; printf '  behavior:\n  #  scaleUp: {stabilizationWindowSeconds: 0}\n'; } >"$TMP/bnull.hpa.yaml"
read_args a2_legacy
run hpa replay "$TMP/bnull.hpa.yaml" --metrics "$TRACES/a2_legacy.metrics.csv" "${ARGS[@]}" --format csv
cp "$OUT" "$TMP/bnull.out"
if [ $rc -eq 0 ]; then
    compare_cols "behavior: null is the legacy path (trace a2_legacy): $COLS" "$TRACES/a2_legacy.expected.csv" "$TMP/bnull.out" "$COLS"
else
    not_ok "behavior: null replays" "exit $rc; stderr: $(first_err)"
fi
# `policies: null` keeps the default policies (copyHPAScalingRules replaces
# only a non-nil list): the same replay as the rules without the key.
hpa_rules() {
    sed -n '1,/^  metrics:/p' "$TRACES/a2_legacy.hpa.yaml" | sed '$d'
    printf '  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target: {type: Utilization, averageUtilization: 50}\n'
    printf '  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 0\n%b' "$1"
}
hpa_rules '      policies:\n' >"$TMP/pnull.hpa.yaml"
hpa_rules '' >"$TMP/pnone.hpa.yaml"
run hpa replay "$TMP/pnull.hpa.yaml" --metrics "$TRACES/a2_legacy.metrics.csv" "${ARGS[@]}" --format csv
cp "$OUT" "$TMP/pnull.out"
rc_null=$rc
run hpa replay "$TMP/pnone.hpa.yaml" --metrics "$TRACES/a2_legacy.metrics.csv" "${ARGS[@]}" --format csv
if [ $rc_null -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$TMP/pnull.out" "$OUT"; then
    ok "policies: null keeps the default policies (the same replay as no key)"
else
    not_ok "policies: null keeps the default policies" "exit $rc_null and $rc; $(one_line "$TMP/pnull.out")"
fi

# ---- a tolerance finer than a milli-unit ----------------------------------------------
# A Pods target of 100 at 1000 replicas, observed 100.07: the ratio 1.0007 is
# above 1 + 0.0005, so ceil(1000 x 1.0007) = 1001 (read as milli-units, 0.0005
# became 0.001 and the ratio fell inside it: 1000).
printf '%s\n' 'apiVersion: autoscaling/v2' 'kind: HorizontalPodAutoscaler' 'metadata: {name: t}' 'spec:' \
    '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}' '  minReplicas: 1' '  maxReplicas: 2000' \
    '  metrics:' '  - type: Pods' '    pods:' '      metric: {name: inflight}' \
    '      target: {type: AverageValue, averageValue: "100"}' '  behavior:' '    scaleUp: {tolerance: 0.0005}' \
    >"$TMP/tol.hpa.yaml"
printf 'time,metric,value\n0,inflight,100.07\n' >"$TMP/tol.csv"
run hpa replay "$TMP/tol.hpa.yaml" --metrics "$TMP/tol.csv" --replicas 1000 --format csv
final=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "final") c = i; next } { print $c }' "$OUT")
if [ $rc -eq 0 ] && [ "$final" = 1001 ]; then
    ok "scaleUp.tolerance 0.0005: 100.07 against 100 at 1000 replicas scales to 1001"
else
    not_ok "scaleUp.tolerance 0.0005: expected final 1001" "exit $rc; final '$final'; stderr: $(first_err)"
fi

# ---- two metrics of one name -------------------------------------------------------
# A metrics file names a metric by its name only: cpu as a Resource and as a
# ContainerResource cannot be told apart, an input error (before, the second
# never got a value and every sync failed to compute it).
printf '%s\n' 'apiVersion: autoscaling/v2' 'kind: HorizontalPodAutoscaler' 'metadata: {name: dup}' 'spec:' \
    '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}' '  minReplicas: 1' '  maxReplicas: 10' \
    '  metrics:' '  - type: Resource' '    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}' \
    '  - type: ContainerResource' \
    '    containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 50}}' \
    >"$TMP/dup.hpa.yaml"
printf 'time,metric,value\n0,cpu,60\n' >"$TMP/dup.csv"
run hpa replay "$TMP/dup.hpa.yaml" --metrics "$TMP/dup.csv" --replicas 6
if [ $rc -eq 2 ] && [ ! -s "$OUT" ] && grep -q "dup.hpa.yaml:1:1: spec.metrics\[1\]: metrics\[0\] has the same name, 'cpu'" "$ERR"; then
    ok "two metrics named cpu: exit 2, $(first_err)"
else
    not_ok "two metrics named cpu: exit 2 at the manifest" "exit $rc; stderr: $(first_err)"
fi

# ---- targets read by the fields present ------------------------------------------------
# The controller computes a Resource metric from averageValue when it is set,
# whatever target.type says, and a Pods metric from averageValue; the API
# server accepts those manifests. So `type: Utilization` with only
# averageValue replays as `type: AverageValue` does (before: exit 2,
# "averageUtilization: Invalid value: 0"), and a Pods target of type Value
# with averageValue as one of type AverageValue (before: exit 2).
target_hpa() {
    printf '%s\n' 'apiVersion: autoscaling/v2' 'kind: HorizontalPodAutoscaler' 'metadata: {name: t}' 'spec:' \
        '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}' '  minReplicas: 1' \
        '  maxReplicas: 10' '  metrics:' "$1"
}
target_hpa '  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageValue: 100m}}}' >"$TMP/tu.hpa.yaml"
target_hpa '  - {type: Resource, resource: {name: cpu, target: {type: AverageValue, averageValue: 100m}}}' >"$TMP/ta.hpa.yaml"
target_hpa '  - {type: Pods, pods: {metric: {name: inflight}, target: {type: Value, averageValue: "10"}}}' >"$TMP/pv.hpa.yaml"
target_hpa '  - {type: Pods, pods: {metric: {name: inflight}, target: {type: AverageValue, averageValue: "10"}}}' >"$TMP/pa.hpa.yaml"
printf 'time,metric,value\n0,cpu,0.15\n15,cpu,0.05\n0,inflight,25\n15,inflight,4\n' >"$TMP/t.csv"
for pair in "tu ta cpu" "pv pa inflight"; do
    set -- $pair
    grep -e '^time' -e ",$3," "$TMP/t.csv" >"$TMP/$3.csv"
    run hpa replay "$TMP/$1.hpa.yaml" --metrics "$TMP/$3.csv" --replicas 2 --format csv
    cp "$OUT" "$TMP/$1.out"
    rc1=$rc
    run hpa replay "$TMP/$2.hpa.yaml" --metrics "$TMP/$3.csv" --replicas 2 --format csv
    if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$TMP/$1.out" "$OUT"; then
        ok "$3: $(grep -o 'target: {[^}]*}' "$TMP/$1.hpa.yaml") replays as its averageValue"
    else
        not_ok "$3: the target read by its fields" "exit $rc1 and $rc; $(one_line "$TMP/$1.out") | $(one_line "$OUT")"
    fi
done

finish
