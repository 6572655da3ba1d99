#!/usr/bin/env bash
# test_compare.sh: `clustersim compare` (issue 9, item 2): two variants run
# with the same seeds, replications paired; exit codes 0/1/2; the table,
# JUnit XML read by a real XML parser, Markdown, compare.json/csv.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_compare.sh     (from the repository root)
#
# No number is copied from an output; what is checked comes from the
# construction:
# - the same scenario twice (or a copy with another seed and name: the
#   candidate takes the base's seed) runs the same streams, so every paired
#   difference is exactly 0 and every interval [0, 0] (no histogram floor:
#   the runs are the same run);
# - M/M/1 with the service time's mean raised from 50 ms to 75 ms (rho 0.25
#   to 0.375; W = 1/(mu - lambda) goes from 66.7 ms to 120 ms, +80%): with
#   common random numbers every replication's p99 rises, so the interval of
#   the difference is above 0; a 5% limit fails, a 10000% one passes;
# - tests/compare/base.yaml's HPA scales web to 12 pods under a load that
#   needs about 8 cores; hpa-max3.yaml allows 3, so replicas.max drops to 3.
set -u
. "$(dirname "$0")/lib.sh"
cli_init compare

need_python3 "read compare.json and the JUnit XML"

DIR=$(cd "$(dirname "$0")/../compare" && pwd)
HPA=$DIR/base.yaml

MM1=$TMP/mm1.yaml
cat >"$MM1" <<'EOF'
name: mm1
seed: 11
duration: 2000s
warmup: 100s
traffic: {rate: 5/s, arrivals: poisson}
services:
  web: {replicas: 1, concurrency: 1, queue_capacity: 100000, service_time: {dist: exponential, mean: 50ms}}
EOF
sed -e 's/mean: 50ms/mean: 75ms/' -e 's/^name: mm1/name: mm1-slow/' "$MM1" >"$TMP/slow.yaml"
sed -e 's/^seed: 11/seed: 999/' -e 's/^name: mm1/name: mm1-copy/' "$MM1" >"$TMP/copy.yaml"

# ---- help ----------------------------------------------------------------------------

run compare --help
if [ $rc -eq 0 ] && grep -q '^usage: clustersim compare BASE.yaml \[CANDIDATE.yaml\]' "$OUT" &&
    "$CLUSTERSIM" --help | grep -q '^  compare BASE.yaml'; then
    ok "compare --help, and clustersim --help lists compare"
else
    not_ok "compare --help, and clustersim --help lists compare" "exit $rc" "$(one_line "$OUT")"
fi

# ---- identical: exactly 0 ------------------------------------------------------------

zero_check() { # compare.json: every difference and half-width exactly 0 (or null: no sample)
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "clustersim.compare/v1" and d["identical"] is True, d["identical"]
assert d["replications"] == 3 and d["seed"] == 11, (d["replications"], d["seed"])
n = 0
for m in d["metrics"]:
    if m["base"] is None:
        assert m["diff"] is None, m
        continue
    assert m["diff"] == 0 and m["diff_ci95"] == 0 and m["pairs"] == 3, m
    assert m["base"] == m["candidate"], m
    n += 1
assert n > 20, n
PY
}
run compare "$MM1" "$MM1" -r 3 -o "$TMP/same"
if [ $rc -eq 0 ] && zero_check "$TMP/same/compare.json" &&
    grep -q '^the candidate ran exactly as the base in every replication: every difference is 0$' "$OUT" &&
    grep -Eq '^latency_ms.p99 +[0-9.]+ +[0-9.]+ +0 +0% +\[0, 0\]$' "$OUT" &&
    grep -q '^no --max-regression limits: nothing is judged$' "$OUT"; then
    ok "the same scenario twice, 3 replications: every paired difference 0, every interval [0, 0] (no floor), exit 0"
else
    not_ok "the same scenario twice: every paired difference 0, every interval [0, 0]" "exit $rc" "$(cat "$OUT")" \
        "$(first_err)"
fi
run compare "$MM1" "$TMP/copy.yaml" -r 3 -o "$TMP/copy"
if [ $rc -eq 0 ] && zero_check "$TMP/copy/compare.json" &&
    grep -q 'paired by seed (seeds 11 to 13 for both)' "$OUT"; then
    ok "a copy with another seed: it runs with the base's seeds (11 to 13), so again exactly 0"
else
    not_ok "a copy with another seed runs with the base's seeds" "exit $rc" "$(one_line "$OUT")" "$(first_err)"
fi
if [ -f "$TMP/same/base/summary.json" ] && [ -f "$TMP/same/candidate/summary.json" ] &&
    head -n 1 "$TMP/same/compare.csv" | grep -q '^metric,headline,direction,base,candidate,diff,diff_ci95,' &&
    grep -q '^latency_ms.p99,1,lower,[0-9.]*,[0-9.]*,0,0,0,0,0,3,,,$' "$TMP/same/compare.csv" &&
    [ "$(($(wc -l <"$TMP/same/compare.csv") - 1))" = "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["metrics"]))' "$TMP/same/compare.json")" ]; then
    ok "-o DIR: compare.json and compare.csv (a row per metric), the runs in DIR/base and DIR/candidate"
else
    not_ok "-o DIR: compare.json, compare.csv, DIR/base, DIR/candidate" "$(ls -R "$TMP/same" | tr '\n' ' ')" \
        "$(head -n 3 "$TMP/same/compare.csv" | tr '\n' '|')"
fi

# ---- a slower service: a regression that the interval is sure of ------------------------

run compare "$MM1" "$TMP/slow.yaml" -r 5 --max-regression latency_ms.p99=5,services.web.latency_ms.mean=5 \
    -o "$TMP/slow" --junit "$TMP/slow.xml" --markdown "$TMP/slow.md"
if [ $rc -eq 1 ] && python3 - "$TMP/slow/compare.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["identical"] is False and d["limits"] == 2 and d["limits_passed"] == 0, d
m = {x["metric"]: x for x in d["metrics"]}
for p in ("latency_ms.p99", "services.web.latency_ms.mean", "services.web.latency_ms.p50"):
    x = m[p]
    assert x["diff"] > 0 and x["diff"] - x["diff_ci95"] > 0, x  # the interval excludes 0
    assert abs(x["diff"] - (x["candidate"] - x["base"])) < 1e-9 * x["base"], x
    assert abs(x["diff_pct"] - 100 * x["diff"] / x["base"]) < 1e-9, x
x = m["latency_ms.p99"]
assert x["pass"] is False and x["limit_pct"] == 5 and x["regression_pct"] > 5, x
# the interval's worse end decides (--gate-on ci): regression = (diff + half) / base
assert abs(x["regression_pct"] - 100 * (x["diff"] + x["diff_ci95"]) / x["base"]) < 1e-9, x
assert m["requests.error_rate"]["diff"] == 0, m["requests.error_rate"]
PY
    grep -Eq '^latency_ms.p99 .* \[\+[0-9.]+, \+[0-9.]+\] +<= \+5% +FAIL \(a \+[0-9.]+% regression\)$' "$OUT" &&
    grep -q '^0 of 2 limits pass (rule: the whole 95% interval of 5 paired differences (its worse end))$' "$OUT"; then
    ok "service time 50 -> 75 ms: latency differences > 0 with intervals above 0; a 5% limit fails, exit 1"
else
    not_ok "service time 50 -> 75 ms: latency differences > 0 with intervals above 0; a 5% limit fails" "exit $rc" \
        "$(cat "$OUT")" "$(first_err)"
fi
run compare "$MM1" "$TMP/slow.yaml" -r 5 --max-regression latency_ms.p99=10000 --max-regression \
    services.web.latency_ms.mean=10000% -q
if [ $rc -eq 0 ] && [ "$(cat "$OUT")" = "2 of 2 limits pass (rule: the whole 95% interval of 5 paired differences (its worse end))" ]; then
    ok "the same with loose limits (10000%, two options): exit 0; -q prints the last line only"
else
    not_ok "the same with loose limits: exit 0" "exit $rc" "$(cat "$OUT")" "$(first_err)"
fi
run compare "$MM1" "$TMP/slow.yaml" --max-regression latency_ms.p99=5 -q
if [ $rc -eq 1 ] && grep -q '^0 of 1 limits pass (rule: the difference of one pair of runs, which has no interval' "$OUT"; then
    ok "one replication: no interval, the difference decides, and the rule says so"
else
    not_ok "one replication: the difference decides" "exit $rc" "$(cat "$OUT")" "$(first_err)"
fi

# ---- JUnit and Markdown ------------------------------------------------------------------

if python3 - "$TMP/slow.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("failures") == "2", root.attrib
s = root.find("testsuite")
cases = {c.get("name"): c for c in s.findall("testcase")}
assert int(s.get("tests")) == len(cases) and "latency_ms.p99" in cases and "requests.error_rate" in cases
failed = sorted(n for n, c in cases.items() if c.find("failure") is not None)
assert failed == ["latency_ms.p99", "services.web.latency_ms.mean"], failed
msg = cases["latency_ms.p99"].find("failure").get("message")
assert "limit: change <= +5%" in msg and "95% interval" in msg, msg
assert cases["requests.error_rate"].find("system-out").text.startswith("requests.error_rate: base ")
PY
then ok "JUnit: well-formed, a testcase per row of the table, only the two limited metrics fail"
else not_ok "JUnit: well-formed, a testcase per row, the limited metrics fail" "$(head -c 800 "$TMP/slow.xml")"; fi
if grep -q '^### clustersim compare: 0 of 2 regression limits pass$' "$TMP/slow.md" &&
    grep -q '^| metric | base | candidate | Δ | Δ % | 95% interval of Δ | verdict |$' "$TMP/slow.md" &&
    grep -Eq '^\| `latency_ms.p99` \| [0-9.]+ \| [0-9.]+ \| \+[0-9.]+ \| \+[0-9.]+% \| \[\+[0-9.]+, \+[0-9.]+\] \| ❌ FAIL \(limit ≤ \+5%; a \+[0-9.]+% regression\) \|$' "$TMP/slow.md" &&
    grep -q '^| `requests.error_rate` | 0 | 0 | 0 | - | \[0, 0\] |  |$' "$TMP/slow.md"; then
    ok "Markdown: a heading with the count, a row per metric (Δ, Δ %, interval, ❌ with the limit)"
else
    not_ok "Markdown: a heading with the count, a row per metric" "$(cat "$TMP/slow.md")"
fi

# ---- --manifest: a PR that edits one HPA file --------------------------------------------

run compare "$HPA" --manifest "web=$DIR/hpa-max3.yaml" -r 2 -o "$TMP/man" --max-regression services.web.replicas.max=0
if [ $rc -eq 0 ] && python3 - "$TMP/man/compare.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["metric"]: x for x in d["metrics"]}
r = m["services.web.replicas.max"]
assert r["base"] > 3 and r["candidate"] == 3 and r["diff"] < 0 and r["pass"] is True, r
assert m["services.web.replicas.mean"]["diff"] < 0, m["services.web.replicas.mean"]
assert " with --manifest web=" in d["candidate"] and d["candidate"].endswith("/hpa-max3.yaml"), d["candidate"]
PY
then ok "--manifest web=hpa-max3.yaml (maxReplicas 12 -> 3), CANDIDATE left out: replicas.max drops to 3"
else not_ok "--manifest web=hpa-max3.yaml: replicas.max drops to 3" "exit $rc" "$(cat "$OUT")" "$(first_err)"; fi
# relative to the current directory, not to the scenario
(cd "$DIR" && "$CLUSTERSIM" compare base.yaml --manifest web=hpa.yaml -q) >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -eq 0 ] && grep -q '^no --max-regression limits' "$OUT"; then
    ok "--manifest with the base's own manifest, a path relative to the current directory: runs, exit 0"
else
    not_ok "--manifest relative to the current directory" "exit $rc" "$(cat "$OUT")" "$(first_err)"
fi
# a service without an autoscaler gets the HPA
run compare "$MM1" --manifest "web=$DIR/hpa.yaml" --duration 300s --set warmup=10s -q \
    --set 'services.web.resources={requests: {cpu: 500m, memory: 128Mi}}'
if [ $rc -eq 0 ]; then ok "--manifest on a service without an autoscaler: it gets that HPA"
else not_ok "--manifest on a service without an autoscaler" "exit $rc" "$(cat "$ERR")"; fi

# ---- bad input: exit 2 with a located message ---------------------------------------------

expect2() { # DESCRIPTION PATTERN ARGS...
    local what=$1 pat=$2
    shift 2
    run "$@"
    if [ $rc -eq 2 ] && grep -Eq -- "$pat" "$ERR" && [ ! -s "$OUT" ]; then
        ok "$what: exit 2"
    else
        not_ok "$what: exit 2" "exit $rc" "$(cat "$ERR")" "$(one_line "$OUT")"
    fi
}
expect2 "a metric path that does not exist names the nearest" \
    "^--max-regression\[1\]:1:18: 'latency_ms.p98' is not a path of .*mm1.yaml's summary.json \(nearest: latency_ms.p9[59], latency_ms.p9[59], " \
    compare "$MM1" "$MM1" --max-regression latency_ms.p50=1,latency_ms.p98=5
expect2 "a limit on a metric with no better direction" \
    "^--max-regression\[1\]:1:1: 'services.web.utilization' has no known better direction" \
    compare "$MM1" "$MM1" --max-regression services.web.utilization=5
expect2 "a limit that is not a percentage" "^--max-regression\[2\]:1:16: 'ten' is not a percentage" \
    compare "$MM1" "$MM1" --max-regression latency_ms.p99=1 --max-regression latency_ms.p99=ten
expect2 "a metric limited twice" \
    "^--max-regression\[2\]:1:1: 'latency_ms.p99' has a limit already \(--max-regression\[1\]:1:1\)$" \
    compare "$MM1" "$MM1" --max-regression latency_ms.p99=1 --max-regression latency_ms.p99=2
expect2 "--manifest naming no service of the scenario lists the services" \
    "^--manifest:1:1: no service 'api' in .*base.yaml \(services: web\)$" \
    compare "$HPA" --manifest "api=$DIR/hpa.yaml"
expect2 "--manifest naming a file that does not exist" \
    "^--manifest:1:5: cannot read the manifest '$TMP/nope.yaml': No such file or directory$" \
    compare "$HPA" --manifest "web=$TMP/nope.yaml"
printf 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 0\n' >"$TMP/bad-hpa.yaml"
expect2 "--manifest with an invalid HPA: file:line:col in the manifest" \
    "^$TMP/bad-hpa.yaml:6:16: spec.maxReplicas: .*\(named by --manifest:1:1: services.web.autoscaler.manifest\)$" \
    compare "$HPA" --manifest "web=$TMP/bad-hpa.yaml"
expect2 "--manifest without =" "^clustersim compare: --manifest: expected SERVICE=PATH" compare "$HPA" --manifest web
expect2 "a base that does not exist" "^$TMP/none.yaml: cannot open: No such file or directory$" \
    compare "$TMP/none.yaml" "$MM1"
expect2 "a candidate that does not exist" "^$TMP/none.yaml: cannot open: No such file or directory$" \
    compare "$MM1" "$TMP/none.yaml"
expect2 "no candidate and no --manifest" "^clustersim compare: missing CANDIDATE.yaml" compare "$MM1"
expect2 "a bad --gate-on" "^clustersim compare: --gate-on: expected ci or mean, got median$" \
    compare "$MM1" "$MM1" --gate-on median
printf 'name: broken\nservices:\n  web: {replicas: -1}\n' >"$TMP/broken.yaml"
expect2 "a candidate with an error: file:line:col" "^$TMP/broken.yaml:3:[0-9]+: " compare "$MM1" "$TMP/broken.yaml"

# ---- -o DIR is one transaction ------------------------------------------------------
# Both runs and the two reports are written beside DIR and replace it whole
# at the end: stopped during the candidate's run (after the base's is
# complete), or out of disk space, DIR keeps the earlier compare's files,
# byte for byte, and nothing is left beside it.

snapshot() { (cd "$1" && find . -type f | sort | xargs md5sum); }
run compare "$MM1" "$TMP/slow.yaml" -q -o "$TMP/tx"
snapshot "$TMP/tx" >"$TMP/tx.before"
sed -e 's/^duration: 2000s/duration: 300d/' "$TMP/slow.yaml" >"$TMP/long.yaml"
"$CLUSTERSIM" compare "$MM1" "$TMP/long.yaml" -q -o "$TMP/tx" --seed 5 >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 1 600); do # the base's run is complete in the temporary directory: the candidate's runs
    [ -n "$(find "$TMP" -maxdepth 2 -path "$TMP/.tx.tmp-*/base" -type d 2>/dev/null)" ] && break
    sleep 0.05
done
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -eq 143 ] && diff -q "$TMP/tx.before" <(snapshot "$TMP/tx") >/dev/null &&
    [ -z "$(find "$TMP" -maxdepth 1 -name '.tx.*')" ]; then
    ok "stopped (SIGTERM) during the candidate's run: exit 143, DIR the earlier compare's byte for byte, nothing beside it"
else
    not_ok "stopped during the candidate: DIR as it was" "exit $rc: $(first_err)" "$(find "$TMP" -maxdepth 1 -name '.tx.*')"
fi
touch "$TMP/tx/notes.txt"
run compare "$MM1" "$TMP/slow.yaml" -q -o "$TMP/tx"
if [ $rc -eq 2 ] && grep -q "holds 'notes.txt', which is not a result file" "$ERR" && [ ! -s "$OUT" ]; then
    ok "DIR holding a file of its own: exit 2, $(first_err | cut -c1-80)..."
else
    not_ok "DIR with a foreign file: exit 2" "exit $rc: $(first_err)"
fi
rm "$TMP/tx/notes.txt"
run run "$MM1" -q -o "$TMP/a-run"
snapshot "$TMP/a-run" >"$TMP/a-run.before"
run compare "$MM1" "$TMP/slow.yaml" -q -o "$TMP/a-run"
if [ $rc -eq 2 ] && grep -q "holds 'summary.json', which is not a result file" "$ERR" &&
    diff -q "$TMP/a-run.before" <(snapshot "$TMP/a-run") >/dev/null; then
    ok "-o naming an earlier run's results (not a compare's): exit 2, the run's files kept"
else
    not_ok "-o naming an earlier run's results: exit 2, kept" "exit $rc: $(first_err)"
fi
run compare "$MM1" "$TMP/slow.yaml" -q -o "$TMP/tx" --junit "$TMP/tx/junit.xml"
if [ $rc -eq 2 ] && grep -q "^clustersim compare: --junit: .* is inside -o .*write the report beside it" "$ERR" &&
    [ ! -e "$TMP/tx/junit.xml" ] && diff -q "$TMP/tx.before" <(snapshot "$TMP/tx") >/dev/null; then
    ok "--junit inside -o DIR (which is replaced whole): exit 2 before anything runs"
else
    not_ok "--junit inside -o DIR: exit 2" "exit $rc: $(first_err)"
fi
# ... however the two are written, DIR absent: an absolute report path beside
# a relative DIR, the report at DIR itself; a report beside DIR through ..
(cd "$TMP" && "$CLUSTERSIM" compare "$MM1" "$TMP/slow.yaml" -q -o newdir --junit "$TMP/newdir/a.xml" >/dev/null 2>&1)
r1=$?
(cd "$TMP" && "$CLUSTERSIM" compare "$MM1" "$TMP/slow.yaml" -q -o newdir --junit newdir >/dev/null 2>&1)
r2=$?
(cd "$TMP" && "$CLUSTERSIM" compare "$MM1" "$TMP/slow.yaml" -q -o newdir --junit newdir/../beside.xml >/dev/null 2>&1)
r3=$?
if [ $r1 -eq 2 ] && [ $r2 -eq 2 ] && [ $r3 -eq 0 ] && [ -s "$TMP/beside.xml" ] && [ -d "$TMP/newdir" ] &&
    [ -z "$(find "$TMP" -maxdepth 1 -name '.newdir.*')" ]; then
    ok "the report inside DIR by an absolute path, or DIR itself: exit 2; beside it through '..': written"
else
    not_ok "reports inside DIR written otherwise" "exit $r1, $r2, $r3"
fi
FS=$TMP/fs
mkdir -p "$FS"
if mount -t tmpfs -o size=2m clustersim-test "$FS" 2>/dev/null; then
    trap 'umount "$FS" 2>/dev/null; rm -rf "$TMP"' EXIT
    cp -r "$TMP/tx" "$FS/tx"
    # the candidate's time series, sampled every second for a day, do not fit
    sed -e 's/^duration: 2000s/duration: 1d\nsample_interval: 1s/' "$TMP/slow.yaml" >"$TMP/big.yaml"
    for d in tx new; do
        run compare "$MM1" "$TMP/big.yaml" -q -o "$FS/$d"
        if [ $rc -eq 3 ] && grep -q 'No space left on device' "$ERR" && [ "$(ls -A "$FS" | tr '\n' ' ')" = "tx " ] &&
            diff -q "$TMP/tx.before" <(snapshot "$FS/tx") >/dev/null; then
            ok "out of space, -o ${d}: exit 3, the file system as before ($(tail -n 1 "$ERR" | cut -c1-70))"
        else
            not_ok "out of space, -o $d: exit 3, the file system as before" "exit $rc: $(first_err)" "$(ls -A "$FS")"
        fi
    done
    umount "$FS"
else
    echo "skipped: the full-disk check needs root to mount a tmpfs"
fi

finish
