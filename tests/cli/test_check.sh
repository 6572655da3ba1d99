#!/usr/bin/env bash
# test_check.sh: `clustersim check` judges a scenario's slo: gates (issue 9,
# item 1): exit codes 0/1/2/3, the rule that decides (the value with one
# replication; the whole 95% interval, or the mean, with more), the terminal
# summary, JUnit XML read by a real XML parser, the Markdown table, reports
# written whole, and nothing left behind without -o.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_check.sh     (from the repository root)
#
# Where the numbers come from:
# - D/D/1: requests every 0.5 s, each served in exactly 100 ms by one worker,
#   never wait, so every latency is 100 ms exactly: the mean is 100 and every
#   percentile is 100 (the histogram's quantile is clamped to [min, max] =
#   [100, 100] ms). Gates at 100 +- 0.001 pass and fail by construction.
# - M/M/1 at rho = 0.5 (lambda 0.5/s, mu 1/s): W = 1/(mu - lambda) = 2 s. Ten
#   replications give a mean m and a 95% half-width h (read from summary.json
#   of the same seeds); the model is checked (|m - 2000 ms| < 4 h), then
#   thresholds are placed from m and h: at m + h/2 (`<`) and m - h/2 (`>`)
#   the mean passes and the interval crosses, so the two rules disagree; at
#   m + 2h and m - 2h both pass; at m - h/2 (`<`) both fail.
set -u
. "$(dirname "$0")/lib.sh"
cli_init check

need_python3 "read summary.json and the JUnit XML"

DD1=$TMP/dd1.yaml
cat >"$DD1" <<'EOF'
name: dd1
seed: 5
duration: 600s
warmup: 60s
traffic: {rate: 2/s, arrivals: deterministic}
services:
  web: {replicas: 1, concurrency: 1, service_time: {dist: deterministic, value: 100ms}}
slo:
  - {name: mean-under, metric: services.web.latency_ms.mean, op: "<", threshold: 100.001}
  - {name: mean-over, metric: services.web.latency_ms.mean, op: ">", threshold: 99.999}
  - {name: p99-at-most, metric: services.web.latency_ms.p99, op: "<=", threshold: 100}
  - {name: no-errors, metric: requests.error_rate, op: "<=", threshold: 0}
EOF

# ---- one replication: the value decides -----------------------------------------

run check "$DD1"
if [ $rc -eq 0 ] && grep -q '^4 of 4 gates pass (rule: the value of one replication' "$OUT" &&
    [ "$(grep -c ' PASS$' "$OUT")" = 4 ] && grep -q '^mean-under .* 100 .* < 100.001 .* PASS$' "$OUT"; then
    ok "D/D/1, every gate on its passing side: exit 0, a line per gate, the value decides"
else
    not_ok "D/D/1, every gate on its passing side: exit 0, a line per gate, the value decides" "exit $rc" \
        "$(one_line "$OUT")" "$(first_err)"
fi

run check "$DD1" --set slo.0.threshold=99.999 --set slo.2.threshold=99.999
if [ $rc -eq 1 ] && grep -q '^2 of 4 gates pass' "$OUT" && grep -q '^mean-under .* < 99.999 .* FAIL$' "$OUT" &&
    grep -q '^p99-at-most .* <= 99.999 .* FAIL$' "$OUT"; then
    ok "D/D/1, two thresholds moved 0.001 below the exact 100 ms: exit 1, those two FAIL"
else
    not_ok "D/D/1, two thresholds moved 0.001 below the exact 100 ms: exit 1, those two FAIL" "exit $rc" \
        "$(one_line "$OUT")" "$(first_err)"
fi

# ---- a percentile's interval is never narrower than its histogram bucket (item 3) --------
# Ten identical replications all report p99 = 100 ms; the histogram's bucket
# there is 2^20 ns wide (2^26 <= 10^8 < 2^27, 64 buckets per octave), so the
# interval is +-(2^20-1)/2 ns = 0.5242875 ms, not +-0: a gate at 100.3 ms
# passes on the mean and fails on the interval. The mean has no floor.

run check "$DD1" -r 10 --set slo.2.threshold=100.3 -o "$TMP/dd1-r10"
if [ $rc -eq 1 ] && grep -q '^p99-at-most .* 100  \[99.4757, 100.524\] .* FAIL (the mean passes; the interval crosses the threshold)$' "$OUT" &&
    grep -q '^mean-under .* 100  \[100, 100\] .* PASS$' "$OUT" && python3 - "$TMP/dd1-r10/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
lat = d["services"]["web"]["latency_ms"]
assert lat["p99"] == 100 and lat["p99_ci95"] == 0.5242875 and lat["p50_ci95"] == 0.5242875, lat
assert lat["mean_ci95"] == 0 and lat["max_ci95"] == 0, lat
assert d["slo"][2]["value_ci95"] == 0.5242875, d["slo"][2]
PY
then ok "10 identical replications: p99 100 +- 0.5242875 ms (the bucket's half-width), not +-0; the CI rule fails a gate at 100.3"
else not_ok "10 identical replications: p99 100 +- 0.5242875 ms, not +-0" "exit $rc" "$(cat "$OUT")" "$(first_err)"; fi

# ---- M/M/1 with replications: the rules disagree where they should ------------------

MM1=$TMP/mm1.yaml
cat >"$MM1" <<'EOF'
name: mm1
seed: 21
duration: 20000s
warmup: 1000s
traffic: {rate: 0.5/s, arrivals: poisson}
services:
  web: {replicas: 1, concurrency: 1, queue_capacity: 100000, service_time: {dist: exponential, mean: 1s}}
slo:
  - {name: w, metric: services.web.latency_ms.mean, op: "<", threshold: 1e9}
EOF
run run "$MM1" -q -r 10 -o "$TMP/mm1-res"
read -r M H < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["services"]["web"]["latency_ms"]
print(repr(s["mean"]), repr(s["mean_ci95"]))' "$TMP/mm1-res/summary.json" 2>/dev/null)
if [ $rc -eq 0 ] && [ -n "${H:-}" ] && python3 -c "import sys; m, h = $M, $H; sys.exit(not (0 < h < 200 and abs(m - 2000) < 4 * h))"; then
    ok "M/M/1 rho=0.5, 10 replications: mean $M ms, half-width $H ms, within 4 half-widths of W = 2000 ms"
else
    not_ok "M/M/1 rho=0.5, 10 replications: mean within 4 half-widths of W = 2000 ms" "exit $rc, m=${M:-} h=${H:-}" \
        "$(first_err)"
    finish
fi
at() { python3 -c "print(repr($1))"; }
UP=$(at "$M + $H / 2")
DOWN=$(at "$M - $H / 2")
FARUP=$(at "$M + 2 * $H")
FARDOWN=$(at "$M - 2 * $H")
GATES="[{name: under-straddle, metric: services.web.latency_ms.mean, op: '<', threshold: $UP},
        {name: over-straddle, metric: services.web.latency_ms.mean, op: '>', threshold: $DOWN},
        {name: under-clear, metric: services.web.latency_ms.mean, op: '<', threshold: $FARUP},
        {name: over-clear, metric: services.web.latency_ms.mean, op: '>=', threshold: $FARDOWN},
        {name: under-below, metric: services.web.latency_ms.mean, op: '<', threshold: $DOWN}]"

run check "$MM1" -r 10 --set "slo=$GATES" --junit "$TMP/ci.xml" --markdown "$TMP/ci.md"
if [ $rc -eq 1 ] && grep -q '^2 of 5 gates pass (rule: the whole 95% confidence interval over 10 replications)$' "$OUT" &&
    grep -q '^under-straddle .* FAIL (the mean passes; the interval crosses the threshold)$' "$OUT" &&
    grep -q '^over-straddle .* FAIL (the mean passes; the interval crosses the threshold)$' "$OUT" &&
    grep -q '^under-clear .* PASS$' "$OUT" && grep -q '^over-clear .* PASS$' "$OUT" &&
    grep -q '^under-below .* FAIL$' "$OUT"; then
    ok "--gate-on ci (default): thresholds inside the interval fail, outside pass; exit 1; the rule is named"
else
    not_ok "--gate-on ci (default): thresholds inside the interval fail, outside pass; exit 1" "exit $rc" \
        "$(cat "$OUT")" "$(first_err)"
fi
run check "$MM1" -r 10 --set "slo=$GATES" --gate-on mean
if [ $rc -eq 1 ] && grep -q '^4 of 5 gates pass (rule: the mean over 10 replications, --gate-on mean)$' "$OUT" &&
    grep -q '^under-straddle .* PASS (on the mean; the interval crosses the threshold)$' "$OUT" &&
    grep -q '^under-below .* FAIL$' "$OUT"; then
    ok "--gate-on mean: the same straddling gates pass on the mean, and say so"
else
    not_ok "--gate-on mean: the same straddling gates pass on the mean, and say so" "exit $rc" "$(cat "$OUT")"
fi
run check "$MM1" -r 10 --set "slo=$GATES" --set slo.4.threshold="$FARUP" --gate-on mean -q
if [ $rc -eq 0 ] && [ "$(cat "$OUT")" = "5 of 5 gates pass (rule: the mean over 10 replications, --gate-on mean)" ]; then
    ok "every gate passing under the mean rule: exit 0; -q prints the last line only"
else
    not_ok "every gate passing under the mean rule: exit 0; -q prints the last line only" "exit $rc" "$(cat "$OUT")"
fi

# ---- JUnit: parsed by a real XML parser ---------------------------------------------

if python3 - "$TMP/ci.xml" "$M" "$H" "$UP" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
m, h, up = float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1
s = suites[0]
assert s.get("name") == "mm1", s.get("name")
cases = s.findall("testcase")
assert [c.get("name") for c in cases] == ["under-straddle", "over-straddle", "under-clear", "over-clear", "under-below"]
assert all(c.get("classname") == "mm1" for c in cases)
failed = [c.get("name") for c in cases if c.find("failure") is not None]
assert failed == ["under-straddle", "over-straddle", "under-below"], failed
assert s.get("tests") == "5" and s.get("failures") == "3" and root.get("failures") == "3", s.attrib
msg = cases[0].find("failure").get("message")
# the value, the interval and the threshold, each as the summary prints them (%.6g)
for x in ("%.6g" % m, "[%.6g, %.6g]" % (m - h, m + h), "< %.6g" % float(up), "services.web.latency_ms.mean"):
    assert x in msg, (x, msg)
PY
then ok "JUnit: one suite named after the scenario, a testcase per gate, failures counted and carrying value, interval, threshold"
else not_ok "JUnit: one suite named after the scenario, a testcase per gate, failures counted and carrying value, interval, threshold" "$(head -c 600 "$TMP/ci.xml")"; fi

# ---- Markdown -----------------------------------------------------------------------

rows=$(grep -c '^| [^g-]' "$TMP/ci.md")
if [ "$rows" = 5 ] && [ "$(grep -c '| ✅ PASS' "$TMP/ci.md")" = 2 ] && [ "$(grep -c '| ❌ FAIL' "$TMP/ci.md")" = 3 ] &&
    grep -q '^| gate | metric | value | threshold | verdict |$' "$TMP/ci.md" &&
    grep -q '^| under-straddle | `services.web.latency_ms.mean` | [0-9.]* ± [0-9.]* | < [0-9.]* | ❌ FAIL' "$TMP/ci.md" &&
    grep -q '2 of 5 gates pass' "$TMP/ci.md"; then
    ok "Markdown: a header, one row per gate (value ± half-width, threshold, ✅/❌), the count"
else
    not_ok "Markdown: a header, one row per gate (value ± half-width, threshold, ✅/❌), the count" "$(cat "$TMP/ci.md")"
fi

# ---- names that XML and Markdown must escape ------------------------------------------

run check "$DD1" --set "slo.0.name=a&b <c> \"d\" 'e' |f|" --set slo.1.threshold=1000 \
    --junit "$TMP/esc.xml" --markdown "$TMP/esc.md"
if [ $rc -eq 1 ] && python3 - "$TMP/esc.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
cases = ET.parse(sys.argv[1]).getroot().find("testsuite").findall("testcase")
assert cases[0].get("name") == "a&b <c> \"d\" 'e' |f|", cases[0].get("name")
assert cases[0].find("failure") is None and cases[1].find("failure") is not None
assert "> 1000" in cases[1].find("failure").get("message")
PY
then ok "JUnit: a gate name with & < > \" ' reads back whole; the failing gate's message has its threshold"
else not_ok "JUnit: a gate name with & < > \" ' reads back whole" "exit $rc" "$(head -c 600 "$TMP/esc.xml")"; fi
if [ "$(grep -c '^| ' "$TMP/esc.md")" = 5 ] && grep -qF '| a\&b \<c\> "d" '"'"'e'"'"' \|f\| |' "$TMP/esc.md"; then
    ok "Markdown: | < > & in a gate name are escaped; still one row per gate"
else
    not_ok "Markdown: | < > & in a gate name are escaped; still one row per gate" "$(cat "$TMP/esc.md")"
fi

# ---- no sample ------------------------------------------------------------------------

# (requests.error_rate over no finished request is no sample too, null: an
# error gate fails for want of data rather than passing on nothing)
run check "$DD1" --set traffic.rate=1/h --junit "$TMP/nan.xml"
if [ $rc -eq 1 ] && grep -q '^mean-under .* no sample .* FAIL (no sample)$' "$OUT" &&
    grep -q '^p99-at-most .* no sample .* FAIL (no sample)$' "$OUT" &&
    grep -q '^no-errors .* no sample .* FAIL (no sample)$' "$OUT" && grep -q '^0 of 4 gates pass' "$OUT" &&
    python3 - "$TMP/nan.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
cases = ET.parse(sys.argv[1]).getroot().find("testsuite").findall("testcase")
assert [c.find("failure") is not None for c in cases] == [True, True, True, True]
assert all("no sample" in c.find("failure").get("message") for c in cases)
PY
then ok "no request measured (1/h for 10 min): every gate, the error rate's too, FAILs (no sample), exit 1"
else not_ok "no request measured: every gate FAILs (no sample), exit 1" "exit $rc" "$(cat "$OUT")" "$(first_err)"; fi
# two replications, a request in one of them only (0.4/s for 2 s: seed 1
# has one, seed 2 none): the values of one replication have no interval
# (null _ci95), where 0 claimed them exact
printf 'name: rare\nseed: 1\nduration: 2s\nwarmup: 0s\ntraffic: {rate: 0.4/s, arrivals: poisson}\nservices:\n  web: {service_time: 100ms}\n' >"$TMP/rare.yaml"
run run "$TMP/rare.yaml" -r 2 -q -o "$TMP/rare"
if [ $rc -eq 0 ] && python3 - "$TMP/rare/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["requests"]["total"] == 0.5, d["requests"]
lat = d["latency_ms"]
assert lat["mean"] == 100 and lat["mean_ci95"] is None and lat["p99_ci95"] is None, lat
assert d["requests"]["error_rate"] == 0 and d["requests"]["error_rate_ci95"] is None, d["requests"]
PY
then ok "a sample in 1 of 2 replications: its _ci95 is null (no interval from one value)"
else not_ok "a sample in 1 of 2 replications: null _ci95" "exit $rc" "$(first_err)"; fi

# ---- bad input: exit 2, nothing runs, nothing written -----------------------------------

NOSLO=$TMP/noslo.yaml
sed '/^slo:/,$d' "$DD1" >"$NOSLO"
run check "$NOSLO" --junit "$TMP/noslo.xml"
if [ $rc -eq 2 ] && grep -q 'no `slo:` gates' "$ERR" && [ ! -e "$TMP/noslo.xml" ] && [ ! -s "$OUT" ]; then
    ok "a scenario without slo: is bad input for check: exit 2, says so, no report"
else
    not_ok "a scenario without slo: is bad input for check: exit 2, says so" "exit $rc: $(first_err)"
fi
run check "$DD1" --set slo.0.metric=services.web.latency.p99
if [ $rc -eq 2 ] && grep -q "slo\[0\].metric: 'services.web.latency.p99' is not a path" "$ERR"; then
    ok "a gate naming a path that does not exist: exit 2 at load"
else
    not_ok "a gate naming a path that does not exist: exit 2 at load" "exit $rc: $(first_err)"
fi
run check "$DD1" --gate-on median
if [ $rc -eq 2 ] && grep -q -- '--gate-on: expected ci or mean, got median' "$ERR"; then
    ok "--gate-on median: exit 2, the valid rules listed"
else
    not_ok "--gate-on median: exit 2, the valid rules listed" "exit $rc: $(first_err)"
fi
mkdir "$TMP/adir"
run check "$DD1" --junit "$TMP/adir"
if [ $rc -eq 2 ] && grep -q 'not a regular file' "$ERR" && [ ! -s "$OUT" ]; then
    ok "--junit naming a directory: exit 2 before anything runs"
else
    not_ok "--junit naming a directory: exit 2 before anything runs" "exit $rc: $(first_err)" "$(one_line "$OUT")"
fi
run check "$DD1" --junit "$TMP/same" --markdown "$TMP/same"
if [ $rc -eq 2 ] && grep -q 'same file' "$ERR"; then ok "--junit and --markdown on one file: exit 2"
else not_ok "--junit and --markdown on one file: exit 2" "exit $rc: $(first_err)"; fi

# ---- files whole, and no litter ------------------------------------------------------------

mkdir "$TMP/cwd"
( cd "$TMP/cwd" && "$CLUSTERSIM" check "$DD1" --junit reports/deep/j.xml >/dev/null 2>&1 )
rc=$?
if [ $rc -eq 0 ] && [ "$(cd "$TMP/cwd" && find . -mindepth 1 | sort | tr '\n' ' ')" = "./reports ./reports/deep ./reports/deep/j.xml " ]; then
    ok "without -o nothing but the report is written (no results/), its missing directories created"
else
    not_ok "without -o nothing but the report is written" "exit $rc" "$(cd "$TMP/cwd" && find . | tr '\n' ' ')"
fi
run check "$DD1" -o "$TMP/kept" -q
if [ $rc -eq 0 ] && [ -s "$TMP/kept/summary.json" ] && [ -s "$TMP/kept/timeseries.csv" ]; then
    ok "-o DIR keeps the results, as run -o does"
else
    not_ok "-o DIR keeps the results, as run -o does" "exit $rc: $(first_err)"
fi
cp "$TMP/ci.xml" "$TMP/ci.before"
# 1 kB: the message fits, the report (about 1.8 kB) does not
( trap '' XFSZ; ulimit -f 1; exec "$CLUSTERSIM" check "$DD1" --junit "$TMP/ci.xml" ) >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -eq 3 ] && cmp -s "$TMP/ci.xml" "$TMP/ci.before" && grep -q -- '--junit: writing' "$ERR" &&
    [ -z "$(find "$TMP" -maxdepth 1 -name '.ci.xml.tmp-*')" ]; then
    ok "a report whose write fails (EFBIG): exit 3, the earlier file unchanged, no temporary file"
else
    not_ok "a report whose write fails (EFBIG): exit 3, the earlier file unchanged, no temporary file" \
        "exit $rc: $(first_err)" "$(find "$TMP" -maxdepth 1 -name '.*' | tr '\n' ' ')"
fi
run check "$DD1" --junit "$TMP/ci.xml"
if [ $rc -eq 0 ] && ! cmp -s "$TMP/ci.xml" "$TMP/ci.before" && grep -q 'testcase classname="dd1"' "$TMP/ci.xml" &&
    [ -z "$(find "$TMP" -maxdepth 1 -name '.ci.xml.tmp-*')" ]; then
    ok "an earlier report is replaced whole"
else
    not_ok "an earlier report is replaced whole" "exit $rc: $(first_err)"
fi

# ---- help ---------------------------------------------------------------------------------

run check --help
h1=$(head -n 1 "$OUT")
run --help
if [ "$h1" = "usage: clustersim check SCENARIO.yaml [options]" ] && grep -q '^  check SCENARIO.yaml' "$OUT"; then
    ok "check --help, and clustersim --help lists check"
else
    not_ok "check --help, and clustersim --help lists check" "$h1"
fi

# ---- a load past what the platform serves ------------------------------------------------------
# 10^7 requests/s at one worker of 1 s and a queue of 10^7: the queue holds
# 10^7 after about 1 s, clustersim's limit of requests in flight. A gate on
# that run fails (exit 1, no sample, and a note saying why): it was exit 3,
# an error, which a CI job cannot tell from a crash. (`run` stops with exit
# 3: it has no result to write; tests/test_invariants.c.)
printf 'name: ov\nseed: 1\nduration: 100s\nwarmup: 0s\ntraffic: {rate: 10000000/s}\nservices:\n  web: {replicas: 1, concurrency: 1, queue_capacity: 10000000, service_time: 1s}\nslo:\n  - {name: p99, metric: latency_ms.p99, op: "<", threshold: 1000}\n' >"$TMP/ov.yaml"
run check "$TMP/ov.yaml" -r 2 -j 1
if [ $rc -eq 1 ] && grep -q 'FAIL (2 of 2 replications overloaded)' "$OUT" &&
    grep -q "2 of 2 replications reached clustersim's limit of requests in flight" "$ERR"; then
    ok "an overloaded run: its gates fail (exit 1), and stderr says why"
else
    not_ok "an overloaded run: its gates fail (exit 1)" "exit $rc" "$(one_line "$OUT") | $(one_line "$ERR")"
fi

# ---- a proportion's interval -----------------------------------------------------------------
# no error in any replication: the interval is the binomial one of the pooled
# requests, shown within [0, 1] (it was [0, 0], which says more than 3
# replications of no error can)
run check scenarios/quickstart.yaml -r 3 --duration 5m --set warmup=1m --set 'slo=[{name: e, metric: requests.error_rate, op: "<", threshold: 0.5}]'
if [ $rc -eq 0 ] && grep -Eq '^e +requests\.error_rate +0 +\[0, [0-9.e-]+\] ' "$OUT" && ! grep -q '\[0, 0\]' "$OUT"; then
    ok "no error in 3 replications: $(grep '^e ' "$OUT" | tr -s ' ' | cut -d' ' -f3-5)"
else
    not_ok "a proportion with no event: a binomial interval in [0, 1]" "exit $rc" "$(one_line "$OUT")"
fi
finish
