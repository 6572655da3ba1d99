#!/usr/bin/env bash
# test_readers.sh: the files a scenario names (empirical samples, Kubernetes
# manifests) and `hpa replay` metrics go through one reader (sim/textfile):
# a size cap that ends an endless file, whole lines of any length, a
# byte-order mark or a NUL refused at its line:col, and errors about a
# referenced file at the scenario key that named it.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_readers.sh     (from the repository root)
#
# Positions are counted by hand in the files written below (1-based, bytes).

set -u

. "$(dirname "$0")/lib.sh"
cli_init readers
HPA=tests/hpa/traces/a.hpa.yaml   # one Resource cpu metric, Utilization

if [ ! -x "$CLUSTERSIM" ]; then
    not_ok "$CLUSTERSIM is not an executable (build it with make)"
    finish
fi
if [ ! -f "$HPA" ]; then
    not_ok "run from the repository root: $HPA not found"
    finish
fi

# scenario FILE SERVICE_TIME [EXTRA...]: one service `web` whose service_time
# is on line 10 ("    service_time: " is 18 characters, so a flow mapping's
# `file: ` value starts at column 43 for {dist: empirical, file: X}).
# Concurrency 100 against 1 request/s of 2 s work: nobody waits, so every
# latency is one service time.
scenario() {
    local f=$1 st=$2
    shift 2
    {
        printf 'name: readers\nseed: 1\nduration: 60s\ntraffic:\n  rate: 1/s\nservices:\n  web:\n'
        printf '    replicas: 1\n    concurrency: 100\n    service_time: %s\n' "$st"
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$f"
}
SCEN=$TMP/s.yaml
KEY="$SCEN:10:43: services.web.service_time.file"

# expect_start LABEL PREFIX [SUBSTRING]: exit 2 and stderr's first line starts with PREFIX (and holds SUBSTRING)
expect_start() {
    local label=$1 prefix=$2 sub=${3:-}
    local e
    e=$(first_err)
    if [ "$rc" -ne 2 ]; then
        not_ok "$label: exit 2" "exit $rc; stderr: $(one_line "$ERR")"
    elif [ "${e#"$prefix"}" = "$e" ]; then
        not_ok "$label: message starts with $prefix" "got: $e"
    elif [ -n "$sub" ] && [ "${e#*"$sub"}" = "$e" ]; then
        not_ok "$label: message holds '$sub'" "got: $e"
    else
        ok "$label: exit 2, $e"
    fi
}

# summary_field FILE EXPR: a value of summary.json (python3 reads it).
summary_field() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$1"; }

# ---- the size cap ends an endless file -----------------------------------------

# run_guarded ARGS...: run, but a reader without a cap reads /dev/zero
# forever; a generous guard (the cap takes about a second) turns that into a
# failure (exit 124) instead of a suite that never ends. Not a timing check.
run_guarded() {
    if command -v timeout >/dev/null; then
        timeout 300 "$CLUSTERSIM" "$@" >"$OUT" 2>"$ERR"
        rc=$?
    else
        run "$@"
    fi
}

scenario "$SCEN" "{dist: empirical, file: /dev/zero}"
run_guarded validate "$SCEN"
expect_start "empirical file /dev/zero" "$KEY: '/dev/zero': larger than 256 MiB"

run_guarded hpa replay "$HPA" --metrics /dev/zero
expect_start "hpa replay --metrics /dev/zero" "/dev/zero: larger than 256 MiB"

# ---- lines of any length, read whole --------------------------------------------

# One sample on a 100,001-byte line: 100,000 zeros then 2, i.e. 2 s. Read
# whole, every request takes 2000 ms. A reader that split the line at a
# buffer's end would make each chunk of zeros a sample of 0 s (a 1 KiB
# buffer: 98 samples, 97 of them 0, a median of 0 ms).
{ echo ms; head -c 100000 /dev/zero | tr '\0' 0; echo 2; } >"$TMP/long.csv"
scenario "$SCEN" "{dist: empirical, file: long.csv}"
run run "$SCEN" -o "$TMP/out-long"
if [ "$rc" -ne 0 ]; then
    not_ok "a 100 KB sample line: exit 0" "exit $rc; stderr: $(one_line "$ERR")"
else
    got=$(summary_field "$TMP/out-long/summary.json" \
        "s['latency_ms']['p50'], s['latency_ms']['mean'], s['latency_ms']['max'], s['requests']['completed'] > 0")
    if [ "$got" = "2000 2000 2000 True" ]; then
        ok "a 100 KB sample line is one sample of 2 s (latency p50, mean, max: $got)"
    else
        not_ok "a 100 KB sample line is one sample of 2 s" "latency p50, mean, max, completed>0: $got"
    fi
fi

# The sample in column 1 after a 100 KB cell in column 0: still 2 s.
{ head -c 100000 /dev/zero | tr '\0' x; echo ,2s; } >"$TMP/wide.csv"
scenario "$SCEN" "{dist: empirical, file: wide.csv, column: 1}"
run run "$SCEN" -o "$TMP/out-wide"
if [ "$rc" -ne 0 ]; then
    not_ok "column 1 after a 100 KB cell: exit 0" "exit $rc; stderr: $(one_line "$ERR")"
else
    got=$(summary_field "$TMP/out-wide/summary.json" "s['latency_ms']['p50'], s['latency_ms']['max']")
    if [ "$got" = "2000 2000" ]; then
        ok "column 1 after a 100 KB cell is the sample 2s (latency p50, max: $got)"
    else
        not_ok "column 1 after a 100 KB cell is the sample 2s" "latency p50, max: $got"
    fi
fi

# A 100 KB number that is not a valid duration is refused whole, at its cell
# (line 2, column 1), with the cell shown cut short.
{ echo ms; head -c 100000 /dev/zero | tr '\0' 1; echo; } >"$TMP/huge.csv"
scenario "$SCEN" "{dist: empirical, file: huge.csv}"
run validate "$SCEN"
expect_start "a 100 KB out-of-range sample" "$TMP/huge.csv:2:1: expected a non-negative duration" \
    "...' (named by $KEY)"

# A metrics value of 100 KB (zeros, then 50): read whole, it is 50%, the
# same syncs as a plain 50.
printf 'time,metric,value\n0,cpu,50\n15,cpu,50\n' >"$TMP/m-short.csv"
{ printf 'time,metric,value\n0,cpu,'; head -c 100000 /dev/zero | tr '\0' 0; printf '50\n15,cpu,50\n'; } >"$TMP/m-long.csv"
run hpa replay "$HPA" --metrics "$TMP/m-short.csv" --replicas 2 --format csv
cp "$OUT" "$TMP/short.out"
run hpa replay "$HPA" --metrics "$TMP/m-long.csv" --replicas 2 --format csv
if [ "$rc" -eq 0 ] && [ -s "$OUT" ] && cmp -s "$OUT" "$TMP/short.out"; then
    ok "hpa replay: a 100 KB value cell is read whole (output identical to '50')"
else
    not_ok "hpa replay: a 100 KB value cell is read whole" "exit $rc; stderr: $(one_line "$ERR")"
fi

# ---- byte-order marks and NUL bytes ----------------------------------------------

printf '\357\273\277ms\n5ms\n' >"$TMP/bom.csv"
scenario "$SCEN" "{dist: empirical, file: bom.csv}"
run validate "$SCEN"
expect_start "empirical file with a BOM" "$TMP/bom.csv:1:1: a UTF-8 byte-order mark" "(named by $KEY)"

printf '\357\273\277time,metric,value\n0,cpu,50\n' >"$TMP/m-bom.csv"
run hpa replay "$HPA" --metrics "$TMP/m-bom.csv"
expect_start "metrics CSV with a BOM" "$TMP/m-bom.csv:1:1: a UTF-8 byte-order mark"

# line 3 is "12<NUL>.5ms": the NUL is its third byte
printf 'ms\n5ms\n12\000.5ms\n' >"$TMP/nul.csv"
scenario "$SCEN" "{dist: empirical, file: nul.csv}"
run validate "$SCEN"
expect_start "a NUL inside a sample" "$TMP/nul.csv:3:3: a NUL byte" "(named by $KEY)"

# line 2 is "0,cpu,5<NUL>0": the NUL is its eighth byte
printf 'time,metric,value\n0,cpu,5\0000\n' >"$TMP/m-nul.csv"
run hpa replay "$HPA" --metrics "$TMP/m-nul.csv"
expect_start "a NUL inside a metrics value" "$TMP/m-nul.csv:2:8: a NUL byte"

# ---- cells are never dropped -------------------------------------------------------

# 20 cells where the header has 3: every cell counted, none dropped
printf 'time,metric,value\n0,cpu,50%s\n' "$(printf ',x%.0s' $(seq 17))" >"$TMP/m-wide.csv"
run hpa replay "$HPA" --metrics "$TMP/m-wide.csv"
expect_start "a metrics row of 20 cells" "$TMP/m-wide.csv:2:1: 20 cells where the header has 3"

# ---- errors about a referenced file, at the key that named it ------------------------

scenario "$SCEN" "{dist: empirical, file: missing.csv}"
run validate "$SCEN"
expect_start "a missing empirical file" "$KEY: '$TMP/missing.csv': cannot open: No such file or directory"

scenario "$SCEN" "{dist: empirical, file: .}"
run validate "$SCEN"
expect_start "an empirical file that is a directory" "$KEY: '$TMP/.': cannot read: it is a directory"

# deployment: on line 11 ("    deployment: " is 16 characters: the value at column 17)
scenario "$SCEN" 5ms "    deployment: missing-deploy.yaml"
run validate "$SCEN"
expect_start "a missing deployment manifest" \
    "$SCEN:11:17: services.web.deployment: '$TMP/missing-deploy.yaml': cannot open: No such file or directory"

# manifest: on line 13 ("      manifest: " is 16 characters)
scenario "$SCEN" 5ms "    autoscaler:" "      kind: hpa" "      manifest: missing-hpa.yaml"
run validate "$SCEN"
expect_start "a missing HPA manifest" \
    "$SCEN:13:17: services.web.autoscaler.manifest: '$TMP/missing-hpa.yaml': cannot open: No such file or directory"

# An error inside the manifest is at its own place and names the key.
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: [\n' >"$TMP/bad-deploy.yaml"
scenario "$SCEN" 5ms "    deployment: bad-deploy.yaml"
run validate "$SCEN"
expect_start "an error inside a deployment manifest" "$TMP/bad-deploy.yaml:" \
    "(named by $SCEN:11:17: services.web.deployment)"

finish
