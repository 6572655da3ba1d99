#!/usr/bin/env bash
# test_autoscaler_log.sh: autoscaler.csv ("why it scaled") and the averaged
# CPU series of timeseries.csv.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_autoscaler_log.sh     (from the repository root)
#
# Fixtures (tests/autoscaler/):
#   orders.yaml, orders-hpa.yaml   an HPA on an External AverageValue metric
#                                  (orders/s) under a load that rises and falls
#   cpu-average.yaml               a deterministic load busy 25% of every second
# and tests/compare/hpa-rise-fall.yaml (the plan's HPA: cpu, memory and a
# Pods metric).
#
# The replay checks: the syncs a run wrote for one service become a metrics
# file (time, metric, value; an empty value is a failed metric) for
# `clustersim hpa replay` with the same manifest and the run's first
# replica count, and every sync must agree cell by cell: current, each
# metric's value and proposal, raw, stabilized, final, reason. Prints one
# line per check and ends with "N passed, M failed".

set -u

. "$(dirname "$0")/lib.sh"
cli_init autoscaler-log
DIR=tests/autoscaler
HEADER="replication,time_s,service,current,metric,value,target,proposal,raw,stabilized,final,reason"

if [ ! -x "$CLUSTERSIM" ]; then
    not_ok "$CLUSTERSIM is not an executable (build it with make)"
    finish
fi

# ---- the file ---------------------------------------------------------------------

O=$TMP/orders
run run "$DIR/orders.yaml" -q -o "$O"
if [ $rc -eq 0 ] && [ "$(head -n 1 "$O/autoscaler.csv")" = "$HEADER" ]; then
    ok "orders.yaml: autoscaler.csv with the header $HEADER"
else
    not_ok "orders.yaml: autoscaler.csv with its header" "exit $rc: $(first_err)" "$(head -n 1 "$O/autoscaler.csv" 2>&1)"
fi

# One row per sync (15 s, the controller's default period) from 15 s to the
# end (20 min: 80 syncs) for the one metric of the one autoscaled service.
desc="orders.yaml: one row every 15 s from 15 s to 1200 s (80 syncs x 1 metric), service web, metric orders_per_second"
if awk -F, 'NR > 1 { n++; if ($1 != 0 || $2 != 15 * n || $3 != "web" || $5 != "orders_per_second" || $7 != 20) bad = 1 }
            END { exit bad || n != 80 }' "$O/autoscaler.csv"; then
    ok "$desc"
else
    not_ok "$desc" "$(sed -n 2,4p "$O/autoscaler.csv" | tr '\n' '|')"
fi

# Every change of replicas in events.csv is the final of a row at that time,
# from that row's current; a row whose final differs from its current is a
# change in events.csv.
desc="orders.yaml: every HPA row whose final differs from current is an events.csv row (time, from, to) and back"
a=$(awk -F, 'NR > 1 && $4 != $11 { print $2 "," $4 "," $11 }' "$O/autoscaler.csv")
b=$(awk -F, 'NR > 1 && $3 == "web/hpa" { print $2 "," $4 "," $5 }' "$O/events.csv")
if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$(echo "$a" | wc -l)" -ge 4 ]; then
    ok "$desc ($(echo "$a" | wc -l) changes)"
else
    not_ok "$desc" "autoscaler.csv: $(echo "$a" | tr '\n' ' ')" "events.csv: $(echo "$b" | tr '\n' ' ')"
fi

# ---- agreement with hpa replay -----------------------------------------------------

# replay_agrees RESULTS SERVICE MANIFEST MODE: writes SERVICE's syncs of
# replication 0 as a metrics file, replays it and compares sync by sync.
# MODE all: every sync; prefix: the syncs up to the first whose current is
# not the first sync's (see below). Prints a count or the first difference.
replay_agrees() {
    local res=$1 svc=$2 manifest=$3 mode=$4
    python3 - "$res/autoscaler.csv" "$svc" "$mode" "$TMP/metrics.csv" "$TMP/expected" <<'EOF' || return 1
import csv, sys
path, svc, mode, metrics, expected = sys.argv[1:]
syncs = []
for r in csv.DictReader(open(path)):
    if r["replication"] != "0" or r["service"] != svc:
        continue
    if not syncs or syncs[-1]["time"] != r["time_s"]:
        syncs.append({"time": r["time_s"], "current": r["current"], "m": [],
                      "tail": [r["raw"], r["stabilized"], r["final"], r["reason"]]})
    syncs[-1]["m"].append((r["metric"], r["value"], r["proposal"]))
if mode == "prefix":
    first = syncs[0]["current"]
    n = next((i for i, s in enumerate(syncs) if s["current"] != first), len(syncs))
    syncs = syncs[:n]
with open(metrics, "w") as f:
    f.write("time,metric,value\n")
    for s in syncs:
        for name, value, _ in s["m"]:
            f.write("%s,%s,%s\n" % (s["time"], name, value))
with open(expected, "w") as f:
    f.write(syncs[0]["current"] + "\n")
    for s in syncs:
        cells = [s["time"], s["current"]] + [c for _, v, p in s["m"] for c in (v, p)] + s["tail"]
        f.write(",".join(cells) + "\n")
EOF
    "$CLUSTERSIM" hpa replay "$manifest" --metrics "$TMP/metrics.csv" --replicas "$(head -n 1 "$TMP/expected")" \
        --format csv >"$TMP/replayed" 2>"$TMP/replay.err" || { echo "replay failed: $(head -n 1 "$TMP/replay.err")"; return 1; }
    python3 - "$TMP/expected" "$TMP/replayed" <<'EOF'
import sys
want = open(sys.argv[1]).read().splitlines()[1:]
got = open(sys.argv[2]).read().splitlines()[1:]
for i, (w, g) in enumerate(zip(want, got)):
    if w != g:
        print("sync %d differs: run %s, replay %s" % (i + 1, w, g))
        sys.exit(1)
if len(want) != len(got):
    print("%d syncs in the run, %d in the replay" % (len(want), len(got)))
    sys.exit(1)
changes = sum(1 for w in want if w.split(",")[1] != w.split(",")[-2])
print("%d syncs, %d of them changing replicas" % (len(want), changes))
EOF
}

# An External AverageValue metric: the proposal is ceil(total / target), or
# the current count within tolerance of total / (target x status.replicas),
# whatever the pods' readiness; status.replicas (the pods not terminating)
# is the current count as soon as a scale is applied. So the whole run must
# replay exactly: windows, the Pods and Percent policies, the maximum, and
# the syncs before the first scrape (value 0) alike.
desc="orders.yaml: hpa replay of autoscaler.csv's values decides every sync as the run did"
if msg=$(replay_agrees "$O" web "$DIR/orders-hpa.yaml" all) && [ "${msg%% *}" -ge 80 ]; then
    ok "$desc ($msg)"
else
    not_ok "$desc" "$msg"
fi

# The plan's HPA (Resource cpu and memory Utilization, a Pods metric). Its
# per-pod metrics depend on which pods are Ready, have samples and are past
# the CPU initialisation period: a new pod is unready for CPU, has no CPU
# sample for two scrapes (the missing-pod rule fills it at 100% or 0), and
# terminating pods are dropped. autoscaler.csv has one value per metric and
# the replay's input only a Ready count, so the replay cannot see those
# groups; the comparable syncs are those before any new pod: up to the first
# sync whose current is not the starting count (the first scale-up is
# included; so are the syncs at which the metrics had not been scraped yet).
# Past it they differ as they should: at 180 s three new pods are Pending
# with no sample, and the run's Pods metric proposes 12 from the three that
# report 387.944 requests/s each where a replay of six reporting pods says 24.
F=$TMP/rise-fall
run run tests/compare/hpa-rise-fall.yaml -q -o "$F"
desc="hpa-rise-fall.yaml (cpu, memory, Pods metric): hpa replay agrees on every sync before the first new pod"
if [ $rc -eq 0 ] && msg=$(replay_agrees "$F" api-gateway scenarios/manifests/api-gateway-hpa.yaml prefix) &&
    [ "${msg%% *}" -ge 6 ] && case $msg in *" 1 of them"*) true ;; *) false ;; esac; then
    ok "$desc ($msg)"
else
    not_ok "$desc" "exit $rc" "$msg"
fi
# the prefix has valid metrics in it, and syncs before the first scrape
# (every metric empty: replayed from rows with empty values)
desc="hpa-rise-fall.yaml: that prefix holds syncs with all three metrics measured, and syncs with none"
if awk -F, 'NR > 1 && $3 != "" && $5 != "" && $7 != "" { n++ }
            NR > 1 && $3 $5 $7 == "" && $NF == "FailedComputeMetricsReplicas" { f++ }
            END { exit n < 2 || f < 2 }' "$TMP/expected"; then
    ok "$desc"
else
    not_ok "$desc" "$(one_line "$TMP/expected")"
fi

# ---- the threshold autoscaler ------------------------------------------------------

T=$TMP/threshold
run run tests/compare/hpa-rise-fall.yaml -q -o "$T" \
    --set 'services.api-gateway.autoscaler={kind: threshold, min_replicas: 3, max_replicas: 12, period: 20s,
           cpu_up: 40, cpu_down: 10}'
desc="threshold: rows cpu, memory, queue every 20 s (period) to 840 s, targets cpu_up 40, memory_up 80, queue_up 100, no raw"
if [ $rc -eq 0 ] && awk -F, 'NR > 1 { n++; k = (n - 1) % 3; t = 20 * (int((n - 1) / 3) + 1)
        name = k == 0 ? "cpu" : k == 1 ? "memory" : "queue"; target = k == 0 ? 40 : k == 1 ? 80 : 100
        if ($2 != t || $3 != "api-gateway" || $5 != name || $7 != target || $8 != "" || $9 != "" || $10 != "") bad = 1 }
        END { exit bad || n != 3 * 42 }' "$T/autoscaler.csv"; then
    ok "$desc"
else
    not_ok "$desc" "exit $rc: $(first_err)" "$(sed -n 2,4p "$T/autoscaler.csv" | tr '\n' '|')"
fi
desc="threshold: the rows whose final differs from current are events.csv's changes, with the same reason"
a=$(awk -F, 'NR > 1 && $5 == "cpu" && $4 != $11 { print $2 "," $4 "," $11 "," $12 }' "$T/autoscaler.csv")
b=$(awk -F, 'NR > 1 && $3 == "api-gateway/threshold" { print $2 "," $4 "," $5 "," $6 }' "$T/events.csv")
if [ -n "$a" ] && [ "$a" = "$b" ]; then
    ok "$desc ($(echo "$a" | wc -l) changes)"
else
    not_ok "$desc" "autoscaler.csv: $(echo "$a" | head -3 | tr '\n' ' ')" "events.csv: $(echo "$b" | head -3 | tr '\n' ' ')"
fi
desc="threshold: the cpu value is above cpu_up (40) where the reason says cpu ... > 40%"
if awk -F, 'NR > 1 && $5 == "cpu" && $12 ~ /^cpu .* > 40%$/ { n++; if (!($6 > 40)) bad = 1 } END { exit bad || n < 2 }' \
    "$T/autoscaler.csv"; then
    ok "$desc"
else
    not_ok "$desc" "$(grep ',cpu,' "$T/autoscaler.csv" | grep '> 40' | head -2 | tr '\n' '|')"
fi
# the cooldown (60 s by default) holds a wanted change back: final stays current
desc="threshold: a 'cooldown: ' row keeps its current, and comes less than 60 s after the last change"
if awk -F, 'NR > 1 && $5 == "cpu" { if ($12 ~ /^cooldown: cpu .* > 40%$/) { n++; if ($11 != $4 || $2 - last >= 60) bad = 1 }
            if ($11 != $4) last = $2 }
            END { exit bad || n < 2 }' "$T/autoscaler.csv"; then
    ok "$desc"
else
    not_ok "$desc" "$(grep 'cooldown' "$T/autoscaler.csv" | head -2 | tr '\n' '|')"
fi

# ---- replications and threads ----------------------------------------------------------

R1=$TMP/r2t1
R2=$TMP/r2t2
run run "$DIR/orders.yaml" -q -o "$R1" --replications 2 --threads 1 --duration 5m
rc1=$rc
run run "$DIR/orders.yaml" -q -o "$R2" --replications 2 --threads 2 --duration 5m
desc="--replications 2: --threads 1 and --threads 2 write identical autoscaler.csv, with rows of replication 0 then 1"
if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$R1/autoscaler.csv" "$R2/autoscaler.csv" &&
    [ "$(awk -F, 'NR > 1 { print $1 }' "$R1/autoscaler.csv" | uniq | tr '\n' ' ')" = "0 1 " ] &&
    [ "$(grep -c '^0,' "$R1/autoscaler.csv")" = 20 ] && [ "$(grep -c '^1,' "$R1/autoscaler.csv")" = 20 ]; then
    ok "$desc"
else
    not_ok "$desc" "exit $rc1/$rc" "$(awk -F, 'NR > 1 { print $1 }' "$R1/autoscaler.csv" | uniq -c | tr '\n' ' ')"
fi
run run "$DIR/orders.yaml" -q -o "$TMP/r1" --duration 5m
desc="replication 0's rows of a 2-replication run are a 1-replication run's rows"
if [ $rc -eq 0 ] && cmp -s <(grep -v '^1,' "$R1/autoscaler.csv") "$TMP/r1/autoscaler.csv"; then
    ok "$desc"
else
    not_ok "$desc" "exit $rc"
fi

# ---- CPU utilisation averaged over the sample interval ----------------------------------

# cpu-average.yaml: busy [k, k + 0.25 s] for every arrival k = 1, 2, ... s.
# Interval (0, 10 s]: arrivals 1..9 (the one at 10 s starts as it closes):
# 9 x 0.25 / 10 = 0.225; every later one: 10 x 0.25 / 10 = 0.25. A snapshot
# at the sample time would read 0 or 1.
C=$TMP/cpu
run run "$DIR/cpu-average.yaml" -q -o "$C"
desc="cpu-average.yaml: web.cpu_utilization is 0.225 for the first 10 s, then 0.25 (to 1e-9) for all 60 intervals"
if [ $rc -eq 0 ] && awk -F, '$3 == "web.cpu_utilization" { n++; want = n == 1 ? 0.225 : 0.25
        if ($2 != 10 * n || $4 - want > 1e-9 || want - $4 > 1e-9) bad = 1 }
        END { exit bad || n != 60 }' "$C/timeseries.csv"; then
    ok "$desc"
else
    not_ok "$desc" "exit $rc: $(first_err)" "$(grep cpu_util "$C/timeseries.csv" | head -3 | tr '\n' '|')"
fi
desc="cpu-average.yaml: no sample is a snapshot's 0 or 1"
if ! grep -q 'web.cpu_utilization,[01]$' "$C/timeseries.csv"; then
    ok "$desc"
else
    not_ok "$desc" "$(grep 'web.cpu_utilization,[01]$' "$C/timeseries.csv" | head -2 | tr '\n' '|')"
fi

finish
