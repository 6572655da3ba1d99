#!/usr/bin/env bash
# test_tune.sh: `clustersim tune` (issue 13): on a grid small enough for an
# exhaustive sweep, tune finds the sweep's optimum (the cheapest point whose
# gates all pass, computed here from sweep.csv) with fewer simulations;
# winner.yaml is the scenario with the winning values and passes `check`;
# the files do not depend on -j; an interrupted search resumes to the bytes
# of an uninterrupted one; bad input is exit 2, no feasible point exit 1.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_tune.sh     (from the repository root)
#
# The grid (tests/tune/mmc.yaml): replicas 1-4 x workers per pod 1, 2, 4, 8
# at 3 requests/s of 1 s exponential work. The cost is the pods' (no
# requests: each billed as the smallest pod), exactly proportional to the
# replicas in every replication, so the optimum is clear-cut, not within
# noise: one pod with 8 workers (M/M/8 at 3 Erlang: p99 near the service
# time's own 4.6 s, under the 5.5 s gate) is the only feasible point at the
# cost of one pod; one pod with 4 workers (rho 0.75) has a p99 above 5.5 s
# and fewer workers lose requests. No number is copied from an output: the
# optimum comes from the sweep's own rows.
set -u
. "$(dirname "$0")/lib.sh"
cli_init tune

need_python3 "read sweep.csv and tune.json"

cp tests/tune/mmc.yaml "$TMP/mmc.yaml"
MMC=$TMP/mmc.yaml
GRID=(--vary services.web.replicas=1,2,3,4 --vary services.web.concurrency=1,2,4,8)

# ---- help --------------------------------------------------------------------------------
run tune --help
if [ $rc -eq 0 ] && grep -q 'usage: clustersim tune' "$OUT" && grep -q -- '--budget' "$OUT"; then
    ok "tune --help: the usage, exit 0"
else
    not_ok "tune --help" "exit $rc"
fi

# ---- the exhaustive sweep's optimum, and tune's ---------------------------------------------
run sweep "$MMC" "${GRID[@]}" -r 8 -q -o "$TMP/sweep"
rc_sweep=$rc
run tune "$MMC" "${GRID[@]}" -r 8 -o "$TMP/tune"
rc_tune=$rc
read -r best best_cost feasible < <(python3 - "$TMP/sweep/sweep.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
passes = [k for k in rows[0] if k.startswith("slo.") and k.endswith(".pass")]
ok = [r for r in rows if all(r[k] == "true" for k in passes)]
best = min(ok, key=lambda r: (float(r["cost.total_usd"]), int(r["point"])))
print(best["point"], best["cost.total_usd"], len(ok))
PY
)
read -r winner winner_cost spent exhaustive < <(python3 - "$TMP/tune/tune.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
w = j["winner"]
print(w["point"], repr(w["objective"]["value"]), j["simulations"]["spent"], j["simulations"]["exhaustive"])
PY
)
if [ $rc_sweep -eq 0 ] && [ $rc_tune -eq 0 ] && [ "$winner" = "$best" ]; then
    ok "tune's winner is the exhaustive sweep's optimum: point $best ($feasible of 16 points feasible)"
else
    not_ok "tune finds the sweep's optimum" "sweep exit $rc_sweep, tune exit $rc_tune, tune: $winner, sweep: $best" \
        "$(one_line "$ERR")"
fi
if python3 -c 'import sys; sys.exit(float(sys.argv[1]) != float(sys.argv[2]))' "$winner_cost" "$best_cost"; then
    ok "the winner's cost is the sweep's at that point (the same seeds, the same 8 replications)"
else
    not_ok "the winner's cost equals the sweep's" "tune $winner_cost, sweep $best_cost"
fi
if [ "$exhaustive" = 128 ] && [ "$spent" -lt 128 ] && grep -q "$spent simulations" "$OUT"; then
    ok "tune spent $spent simulations, fewer than the sweep's 16 x 8 = 128"
else
    not_ok "tune spends fewer simulations than the sweep" "spent $spent of $exhaustive"
fi

# ---- the files -----------------------------------------------------------------------------------
bad=$(python3 - "$TMP/tune" "$best" <<'PY'
import csv, json, sys
d, best = sys.argv[1], int(sys.argv[2])
j = json.load(open(d + "/tune.json"))
rows = list(csv.DictReader(open(d + "/tune.csv")))
bad = []
if j["schema"] != "clustersim.tune/v1": bad.append("schema")
if len(j["candidates"]) != 16 or len(rows) != 16: bad.append("16 candidates")
if [r["status"] for r in rows].count("winner") != 1 or rows[best]["status"] != "winner": bad.append("one winner")
if sum(r["replications"] and int(r["replications"]) for r in rows) != j["simulations"]["spent"]:
    bad.append("replications add up to the simulations spent")
if sum(x["simulations"] for x in j["rounds"]) != j["simulations"]["spent"]: bad.append("rounds add up")
if rows[best]["replications"] != "8": bad.append("the winner at full fidelity")
for r in rows:  # a dropped candidate: a gate surely failing, or beaten by a feasible one
    if r["status"] == "dominated":
        q = rows[int(r["dominated_by"])]
        if not float(q["cost.total_usd"]) < float(r["cost.total_usd"]): bad.append("dominated by a cheaper one")
front = j["pareto"]
if best not in front: bad.append("the winner on the Pareto front")
for p in front:
    for q in j["candidates"]:
        a, b = j["candidates"][p], q
        if (b["objective"]["value"] <= a["objective"]["value"] and b["margin"]["value"] is not None and
                b["margin"]["value"] >= a["margin"]["value"] and
                (b["objective"]["value"] < a["objective"]["value"] or b["margin"]["value"] > a["margin"]["value"])):
            bad.append("front point %d dominated by %d" % (p, q["point"]))
print(" ".join(bad) or "none")
PY
)
if [ "$bad" = none ] && [ -s "$TMP/tune/tune.md" ] && grep -q 'Winner: point' "$TMP/tune/tune.md"; then
    ok "tune.json, tune.csv, tune.md: one winner at 8 replications, drops justified, a Pareto front of undominated points"
else
    not_ok "the files hold together" "$bad"
fi

# winner.yaml: the file with the two values replaced, nothing else; beside the original it passes check -r 8
cp "$TMP/tune/winner.yaml" "$TMP/winner.yaml"
changed=$(diff "$MMC" "$TMP/winner.yaml" | grep -c '^>')
run check "$TMP/winner.yaml" -r 8 -q
if [ "$changed" -le 2 ] && grep -q '^    replicas: 1$' "$TMP/winner.yaml" && grep -q '^    concurrency: 8 .*# workers per pod' "$TMP/winner.yaml" &&
    [ $rc -eq 0 ]; then
    ok "winner.yaml is the scenario with the winning values in place (comments kept), and check passes on it"
else
    not_ok "winner.yaml" "$changed lines changed, check exit $rc" "$(diff "$MMC" "$TMP/winner.yaml" | head -4 | tr '\n' '|')"
fi

# ---- determinism ---------------------------------------------------------------------------------
run tune "$MMC" "${GRID[@]}" -r 8 -j 1 -q -o "$TMP/tune-j1"
if [ $rc -eq 0 ] && cmp -s "$TMP/tune/tune.json" "$TMP/tune-j1/tune.json" && cmp -s "$TMP/tune/tune.csv" "$TMP/tune-j1/tune.csv" &&
    cmp -s "$TMP/tune/tune.md" "$TMP/tune-j1/tune.md" && cmp -s "$TMP/tune/winner.yaml" "$TMP/tune-j1/winner.yaml"; then
    ok "-j 1 writes the same bytes as one thread per core"
else
    not_ok "tune's files do not depend on -j" "exit $rc"
fi

# ---- interruption and --resume ---------------------------------------------------------------------
# a longer run, one thread: stopped once three replications are journaled
SLOW=(tune "$MMC" --vary services.web.replicas=1,2 --vary services.web.concurrency=4,8 --duration 200000s -j 1 -q)
run "${SLOW[@]}" -o "$TMP/whole"
rc_whole=$rc
lines_in() { if [ -f "$1" ]; then echo $(($(wc -l <"$1") - 1)); else echo 0; fi; }
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$CLUSTERSIM" "${SLOW[@]}" -o "$TMP/int" >/dev/null 2>"$TMP/int.err" &
pid=$!
wait_lines "$TMP/int/tune.journal" 4 1500 0.02 # the header and 3 replications
kill -s INT $pid
wait $pid 2>/dev/null
irc=$?
n=$(lines_in "$TMP/int/tune.journal")
if [ $rc_whole -eq 0 ] && [ $irc -eq 130 ] && [ ! -e "$TMP/int/tune.json" ] && [ "$n" -ge 3 ]; then
    ok "SIGINT mid-search: exit 130, no tune.json, $n replications in the journal"
else
    not_ok "SIGINT mid-search" "exit $irc (whole: $rc_whole), $n lines" "$(one_line "$TMP/int.err")"
fi
cp "$TMP/int/tune.journal" "$TMP/journal.before"
run tune "$MMC" --vary services.web.replicas=1,2,3 --vary services.web.concurrency=4,8 --duration 200000s -j 1 -q \
    -o "$TMP/int" --resume
if [ $rc -eq 2 ] && grep -q 'belongs to another search' "$ERR" && cmp -s "$TMP/int/tune.journal" "$TMP/journal.before"; then
    ok "--resume with another grid: exit 2, 'belongs to another search', the journal untouched"
else
    not_ok "--resume with other inputs: exit 2" "exit $rc" "$(one_line "$ERR")"
fi
run "${SLOW[@]}" -o "$TMP/int"
if [ $rc -eq 2 ] && grep -q 'add --resume' "$ERR"; then
    ok "an unfinished search without --resume: exit 2, the journal kept"
else
    not_ok "an unfinished search without --resume: exit 2" "exit $rc" "$(one_line "$ERR")"
fi
run "${SLOW[@]}" -o "$TMP/int" --resume
if [ $rc -eq 0 ] && [ ! -e "$TMP/int/tune.journal" ] && cmp -s "$TMP/int/tune.json" "$TMP/whole/tune.json" &&
    cmp -s "$TMP/int/tune.csv" "$TMP/whole/tune.csv" && cmp -s "$TMP/int/winner.yaml" "$TMP/whole/winner.yaml"; then
    ok "--resume: the files equal an uninterrupted search's, byte for byte"
else
    not_ok "--resume gives the uninterrupted bytes" "exit $rc" "$(one_line "$ERR")"
fi
run "${SLOW[@]}" -o "$TMP/int" --resume -r 5
if [ $rc -eq 2 ] && grep -q 'holds another search' "$ERR"; then
    ok "--resume of a finished search with another -r: exit 2"
else
    not_ok "--resume of a finished search with other inputs: exit 2" "exit $rc" "$(one_line "$ERR")"
fi

# ---- the worked example's files (README.md) load, with every candidate manifest -------------------
run validate scenarios/azora-tune.yaml --set services.education.autoscaler.manifest=manifests/education-hpa-min3.yaml \
    --set services.payments.autoscaler.manifest=manifests/payments-hpa-min2.yaml
if [ $rc -eq 0 ] && grep -q 'azora-tune.yaml: ok' "$OUT" &&
    [ "$(diff scenarios/manifests/payments-hpa.yaml scenarios/manifests/payments-hpa-min2.yaml | grep -c '^[<>] *[a-zA-Z]')" -eq 2 ]; then
    ok "scenarios/azora-tune.yaml validates with the variant manifests (which differ in minReplicas only)"
else
    not_ok "the worked example's files" "exit $rc" "$(one_line "$ERR")"
fi

# ---- bad input, and no feasible point ------------------------------------------------------------------
expect2() { # DESC PATTERN ARGS...
    local desc=$1 pat=$2
    shift 2
    run tune "$@"
    if [ $rc -eq 2 ] && grep -q -- "$pat" "$ERR" && [ ! -s "$OUT" ]; then
        ok "$desc: exit 2, $(first_err | cut -c1-90)"
    else
        not_ok "$desc: exit 2 with '$pat'" "exit $rc" "$(one_line "$ERR")"
    fi
}
expect2 "an unknown --objective" "^--objective:1:1: 'cost.totl_usd' is not a metric.*nearest: cost.total_usd" \
    "$MMC" --vary services.web.replicas=1,2 --objective cost.totl_usd -o "$TMP/bad"
expect2 "an empty range" "^--vary\[1\]:1:23: the range 5..1:1 is empty" "$MMC" --vary services.web.replicas=5..1:1 -o "$TMP/bad"
expect2 "no --vary" "nothing to search" "$MMC" -o "$TMP/bad"
expect2 "a scenario without slo:" "has no slo: gates" "$MMC" --vary services.web.replicas=1,2 --set 'slo=[]' -o "$TMP/bad"
expect2 "a varied key not written in the file" "^--vary\[2\]:1:1: 'sample_interval' is not a value written" \
    "$MMC" --vary services.web.replicas=1,2 --vary sample_interval=10s,20s -o "$TMP/bad"
expect2 "a budget below the first round" "^--budget:1:1: a budget of 5 simulations is too small" \
    "$MMC" --vary services.web.replicas=1,2 --budget 5 -o "$TMP/bad"
expect2 "one replication" "tune needs 2 <= --initial" "$MMC" --vary services.web.replicas=1,2 -r 1 -o "$TMP/bad"
expect2 "a bad value" "^--vary\[1\]:1:25: services.web.replicas: expected an integer" \
    "$MMC" --vary services.web.replicas=1,x -o "$TMP/bad"
# winner.yaml rewrites each varied value in the file's text: a value other
# keys share (an alias of its anchor, a merge key's) cannot be rewritten
# for one key alone, nor can one value be varied twice under two spellings
sed -e 's/^    replicas: 2/    replicas: \&r 2/' -e 's/^    load_balancer: least_connections/&\n  back: {replicas: *r}/' \
    "$MMC" >"$TMP/alias.yaml"
expect2 "a varied value an alias shares" "^--vary\[1\]:1:1: 'services.web.replicas' is the value at .*alias.yaml:15:15, which other keys share" \
    "$TMP/alias.yaml" --vary services.web.replicas=1,2 -o "$TMP/bad"
expect2 "one value under two spellings" "^--vary\[2\]:1:5: '01': expected an index from 0 to 1 (no leading zero)" \
    "$MMC" --vary slo.1.threshold=0.001,0.01 --vary slo.01.threshold=0.1,0.2 -o "$TMP/bad"
[ ! -e "$TMP/bad" ] && ok "bad input writes nothing" || not_ok "bad input writes nothing"
# an anchor no alias uses stays, before the winner's value
sed -e 's/^    replicas: 2/    replicas: \&r 2/' "$MMC" >"$TMP/anchor.yaml"
run tune "$TMP/anchor.yaml" --vary services.web.replicas=3,4 -r 4 -q -o "$TMP/anchor"
if [ $rc -le 1 ] && grep -q '^    replicas: &r [34]$' "$TMP/anchor/winner.yaml" &&
    diff -q <(grep -v '^    replicas: ' "$TMP/anchor/winner.yaml") <(grep -v '^    replicas: ' "$TMP/anchor.yaml") >/dev/null &&
    "$CLUSTERSIM" validate "$TMP/anchor/winner.yaml" >/dev/null 2>&1; then
    ok "an anchored value: winner.yaml keeps the anchor, the rest of the text as it was, and validates"
else
    not_ok "an anchored value in winner.yaml" "exit $rc" "$(grep -n 'replicas' "$TMP/anchor/winner.yaml" 2>&1 | head -2)"
fi

# A manifest's field, varied through the autoscaler's patch written in the
# file: winner.yaml holds the winner's minReplicas in the patch, runs where
# the scenario is (its manifest is relative to it), and its results are
# those of the scenario with the same value given by --set.
cp tests/autoscaler/orders-hpa.yaml "$TMP/orders-hpa.yaml"
sed -e 's/manifest: orders-hpa.yaml}/manifest: orders-hpa.yaml, patch: {spec: {minReplicas: 4}}}/' \
    tests/autoscaler/orders.yaml >"$TMP/orders.yaml"
printf 'slo:\n  - {name: errors, metric: requests.error_rate, op: "<", threshold: 0.5}\n' >>"$TMP/orders.yaml"
run tune "$TMP/orders.yaml" --vary services.web.autoscaler.patch.spec.minReplicas=4,2 --duration 5m -r 2 -q \
    -o "$TMP/patch"
won=$(sed -n 's/.*patch: {spec: {minReplicas: \([0-9]*\)}}}$/\1/p' "$TMP/patch/winner.yaml" 2>/dev/null)
cp "$TMP/patch/winner.yaml" "$TMP/orders-won.yaml" 2>/dev/null
"$CLUSTERSIM" run "$TMP/orders-won.yaml" --duration 5m -q -o "$TMP/patch-won" >/dev/null 2>&1
"$CLUSTERSIM" run "$TMP/orders.yaml" --duration 5m --set "services.web.autoscaler.patch.spec.minReplicas=$won" -q \
    -o "$TMP/patch-set" >/dev/null 2>&1
if [ $rc -eq 0 ] && [ -n "$won" ] && grep -q "\"winner\": {\"point\"" "$TMP/patch/tune.json" &&
    [ -s "$TMP/patch-won/timeseries.csv" ] && cmp -s "$TMP/patch-won/timeseries.csv" "$TMP/patch-set/timeseries.csv" &&
    cmp -s "$TMP/patch-won/events.csv" "$TMP/patch-set/events.csv"; then
    ok "a manifest field varied through patch: winner.yaml runs beside the scenario, as --set of the winner's value"
else
    not_ok "a manifest field varied through patch" "exit $rc, minReplicas '$won'" \
        "$(grep -n 'patch' "$TMP/patch/winner.yaml" 2>&1 | head -2)"
fi

# The winner is judged at R replications, whatever the race left:
# a lone survivor still undecided (concurrency 8 of one pod: p99 4.6 s
# against < 5.5 s, wide at 2 replications) is topped up and wins, where
# the race ended with it untried ("no candidate meets every SLO")
run tune "$MMC" --set services.web.replicas=1 --vary services.web.concurrency=1,8 -r 8 -q -o "$TMP/lone"
if [ $rc -eq 0 ] && grep -q '^1,8,winner,,8,' "$TMP/lone/tune.csv"; then
    ok "a lone undecided survivor is topped up to R and wins (the sweep's optimum)"
else
    not_ok "a lone undecided survivor is topped up to R" "exit $rc" "$(cat "$TMP/lone/tune.csv" 2>&1 | head -3)"
fi
# ... and a candidate dropped as dominated by one that then fails at R races
# on: one pod of 10 workers and no queue at 3/s (Erlang B(10, 3) = 0.0008,
# against < 0.1% errors) shows no error in 2 replications of 640 s (about
# 3,800 requests: an error rate's interval holds the exact binomial one, up
# to 0.0975%, below 0.1%), dominates the dearer 2 pods, then fails at 4; 2
# pods, no error in about 7,700 requests (up to 0.048%), win. (With 200 s, as
# this case had when a rate's replications that all agreed had an interval
# of [0, 0], 2 pods with no error would not show they are below 0.1%.)
printf 'name: tr\nseed: 1\nduration: 640s\nwarmup: 0s\ntraffic: {rate: 3/s, arrivals: poisson}\nservices:\n  web: {replicas: 1, concurrency: 10, queue_capacity: 0, service_time: {dist: exponential, mean: 1s}}\nslo:\n  - {name: errors, metric: requests.error_rate, op: "<", threshold: 0.001}\n' >"$TMP/tr.yaml"
run tune "$TMP/tr.yaml" --seed 31 --vary services.web.replicas=1,2 -r 4 -q -o "$TMP/revive"
grep -q '{"replications": 2, "candidates": 2, "simulations": 4, "dropped": 1}' "$TMP/revive/tune.json" ||
    not_ok "the revival case: 2 pods dropped in the first round" "$(grep -A3 rounds "$TMP/revive/tune.json")"
run sweep "$TMP/tr.yaml" --seed 31 --vary services.web.replicas=1,2 -r 4 -q -o "$TMP/revive-sweep"
if grep -q '^0,1,fails,,4,' "$TMP/revive/tune.csv" && grep -q '^1,2,winner,,4,' "$TMP/revive/tune.csv" &&
    [ "$(awk -F, 'NR > 1 && $0 ~ /true/ {print $1; exit}' "$TMP/revive-sweep/sweep.csv")" = 1 ]; then
    ok "a candidate whose dominator fails at R races on and wins (the sweep's cheapest feasible point)"
else
    not_ok "a candidate whose dominator fails at R races on" "$(cat "$TMP/revive/tune.csv" 2>&1 | head -3)"
fi

run tune "$MMC" --vary services.web.replicas=1 --vary services.web.concurrency=1,2 -q -o "$TMP/none"
if [ $rc -eq 1 ] && [ -s "$TMP/none/tune.json" ] && [ ! -e "$TMP/none/winner.yaml" ] &&
    grep -q '"winner": null' "$TMP/none/tune.json"; then
    ok "no candidate meets every gate: exit 1, tune.json with \"winner\": null, no winner.yaml"
else
    not_ok "no feasible candidate: exit 1" "exit $rc" "$(one_line "$ERR")"
fi

# --resume on that finished search gives the exit code it had (it gave 0, a
# pass in CI for a search with no winner); the finished search with a winner
# (tune, above) gives 0
run tune "$MMC" --vary services.web.replicas=1 --vary services.web.concurrency=1,2 -q -o "$TMP/none" --resume
rc_none=$rc
run tune "$MMC" "${GRID[@]}" -r 8 -q -o "$TMP/tune" --resume
if [ $rc_none -eq 1 ] && [ $rc -eq 0 ]; then
    ok "--resume on a finished search: exit 1 without a winner, 0 with one"
else
    not_ok "--resume on a finished search: exit 1 without a winner, 0 with one" "exit $rc_none and $rc"
fi
# and its summary does not blame the budget: both candidates were dropped as
# surely failing in the first round, 4 of 8 simulations spent
run tune "$MMC" --vary services.web.replicas=1 --vary services.web.concurrency=1,2 -o "$TMP/none2"
if [ $rc -eq 1 ] && grep -q 'no candidate meets every SLO' "$OUT" && ! grep -q 'budget ran out' "$OUT"; then
    ok "no winner, every candidate surely failing: no 'the budget ran out first'"
else
    not_ok "no winner, every candidate surely failing: the budget not blamed" "exit $rc" "$(one_line "$OUT")"
fi

finish
