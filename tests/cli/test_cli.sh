#!/usr/bin/env bash
# test_cli.sh: the command line of clustersim, as users and CI scripts see it.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_cli.sh     (from the repository root)
#
# Checks the contracts of the project's DESIGN.md ("CLI" and "Results"):
# --help/--version everywhere, exit code 2 with a message on stderr for a bad
# command line or a bad scenario (file:line:col:, nothing on stdout, no output
# files), the result files of `run` (summary.json keys, CSV headers, no
# temporary files left), byte-for-byte reproducibility (except wall_s), the
# _ci95 siblings of replications, overrides, and `describe`. Prints one line
# per check and ends with "N passed, M failed"; exits non-zero on any failure.

set -u

. "$(dirname "$0")/lib.sh"
cli_init cli
ROOT=$PWD
BAD_DIR=tests/scenarios/bad
QUICKSTART=scenarios/quickstart.yaml

if [ ! -x "$CLUSTERSIM" ]; then
    not_ok "$CLUSTERSIM is not an executable (build it with make)"
    finish
fi
need_python3 "check summary.json"

# A small good scenario: 10 simulated minutes at 20/s, well under a second.
SMALL=$TMP/small.yaml
cat >"$SMALL" <<'EOF'
name: small
seed: 11
duration: 10m
warmup: 10s
traffic: {rate: 20/s}
services:
  web:
    replicas: 3
    concurrency: 2
    queue_capacity: 50
    service_time: {dist: lognormal, mean: 40ms, cv: 1.5}
EOF

# ---- --help and --version -------------------------------------------------------

run --help
if [ $rc -eq 0 ] && grep -q 'usage: clustersim' "$OUT" && grep -q 'run' "$OUT" && grep -q 'validate' "$OUT" &&
    grep -q 'describe' "$OUT"; then
    ok "clustersim --help: exit 0, usage naming run, validate, describe"
else
    not_ok "clustersim --help: exit 0, usage naming run, validate, describe" "exit $rc" "$(head -3 "$OUT")"
fi
run --version
if [ $rc -eq 0 ] && grep -Eq '^clustersim [0-9]+\.[0-9]+\.[0-9]+' "$OUT"; then
    ok "clustersim --version: exit 0, 'clustersim X.Y.Z'"
else
    not_ok "clustersim --version: exit 0, 'clustersim X.Y.Z'" "exit $rc: $(cat "$OUT")"
fi
version=$(cat "$OUT")
for cmd in run validate describe; do
    run "$cmd" --help
    if [ $rc -eq 0 ] && grep -q "usage: clustersim $cmd" "$OUT" && [ ! -s "$ERR" ]; then
        ok "clustersim $cmd --help: exit 0, its own usage on stdout"
    else
        not_ok "clustersim $cmd --help: exit 0, its own usage on stdout" "exit $rc: $(head -1 "$OUT") $(first_err)"
    fi
    run "$cmd" --version
    if [ $rc -eq 0 ] && [ "$(cat "$OUT")" = "$version" ]; then
        ok "clustersim $cmd --version: exit 0, same version"
    else
        not_ok "clustersim $cmd --version: exit 0, same version" "exit $rc: $(cat "$OUT") $(first_err)"
    fi
done
run run "$QUICKSTART" -o "$TMP/help-out" --help
if [ $rc -eq 0 ] && grep -q 'usage: clustersim run' "$OUT" && [ ! -e "$TMP/help-out" ]; then
    ok "clustersim run SCENARIO --help: usage, nothing run"
else
    not_ok "clustersim run SCENARIO --help: usage, nothing run" "exit $rc"
fi

# ---- a wrong command line: exit 2, a message on stderr, nothing on stdout -------

# usage_check DESCRIPTION PATTERN ARGS...: exit 2, stderr matches PATTERN, stdout empty.
usage_check() {
    local desc=$1 pattern=$2
    shift 2
    run "$@"
    if [ $rc -eq 2 ] && [ -s "$ERR" ] && grep -Eq -- "$pattern" "$ERR" && [ ! -s "$OUT" ]; then
        ok "$desc: exit 2, stderr: $(first_err)"
    else
        not_ok "$desc: exit 2 and a message matching /$pattern/ on stderr, stdout empty" \
            "exit $rc; stderr: $(first_err); stdout: $(head -c 200 "$OUT")"
    fi
}
usage_check "no command" 'usage'
usage_check "unknown command" 'unknown command.*frobnicate' frobnicate "$QUICKSTART"
usage_check "unknown option of run" 'unknown option.*--bogus' run "$QUICKSTART" --bogus
usage_check "unknown short option of run" 'unknown option' run "$QUICKSTART" -Z
usage_check "unknown option of validate" 'unknown option.*--bogus' validate --bogus "$QUICKSTART"
usage_check "extra argument of describe" 'unexpected argument' describe extra
usage_check "run without a scenario" 'missing SCENARIO' run
usage_check "validate without a scenario" 'SCENARIO' validate
usage_check "run with two scenarios" 'one scenario' run "$QUICKSTART" "$QUICKSTART"
usage_check "run -o without its value" 'missing value' run "$QUICKSTART" -o
usage_check "run --seed without its value" 'missing value' run "$QUICKSTART" --seed
usage_check "run --replications 0" 'replications' run "$SMALL" -o "$TMP/r0" --replications 0
usage_check "run --replications abc" 'replications' run "$SMALL" -o "$TMP/rabc" --replications abc
usage_check "run --replications 2x" 'replications' run "$SMALL" -o "$TMP/r2x" --replications 2x
usage_check "run --threads 0" 'threads' run "$SMALL" -o "$TMP/t0" --threads 0
usage_check "run --seed abc" '^[^:]+:[0-9]+:[0-9]+: .*seed' run "$SMALL" -o "$TMP/seedabc" --seed abc
usage_check "run --duration 5parsecs" '^[^:]+:[0-9]+:[0-9]+: .*duration' run "$SMALL" -o "$TMP/durbad" --duration 5parsecs
usage_check "run --set without =" 'PATH=VALUE' run "$SMALL" -o "$TMP/seteq" --set services.web.replicas
usage_check "run of a file that does not exist" 'cannot open' run "$TMP/nope.yaml" -o "$TMP/nope"
for d in r0 rabc r2x t0 seedabc durbad seteq nope; do
    if [ -e "$TMP/$d" ]; then not_ok "a refused run created no output directory ($d)"; fi
done

# A bad --set is reported against the override, its column in the argument:
# "services.web.replicas=" is 22 characters, so the value is at column 23.
run run "$SMALL" -o "$TMP/setbad" --set services.web.replicas=0
if [ $rc -eq 2 ] && [[ "$(first_err)" == "--set[1]:1:23: "* ]] && [ ! -e "$TMP/setbad" ] && [ ! -s "$OUT" ]; then
    ok "run --set services.web.replicas=0: exit 2, '--set[1]:1:23: ...', no output"
else
    not_ok "run --set services.web.replicas=0: exit 2, '--set[1]:1:23: ...', no output" "exit $rc: $(first_err)"
fi

# ---- bad scenarios ----------------------------------------------------------------

nbad=0
for f in "$BAD_DIR"/*.yaml; do
    [ -f "$f" ] || continue
    nbad=$((nbad + 1))
    base=$(basename "$f" .yaml)
    run validate "$f"
    line1=$(first_err)
    if [ $rc -eq 2 ] && [[ "$line1" =~ ^"$f":[0-9]+:[0-9]+:\ . ]] && [ ! -s "$OUT" ]; then
        ok "validate $f: exit 2, $line1"
    else
        not_ok "validate $f: exit 2, 'file:line:col: message' on stderr, nothing on stdout" \
            "exit $rc; stderr: $line1; stdout: $(head -c 200 "$OUT")"
    fi
    run run "$f" -q -o "$TMP/bad-$base"
    if [ $rc -eq 2 ] && [[ "$(first_err)" =~ ^"$f":[0-9]+:[0-9]+:\ . ]] && [ ! -e "$TMP/bad-$base" ] &&
        [ ! -s "$OUT" ]; then
        ok "run $f: exit 2, no output directory"
    else
        not_ok "run $f: exit 2, no output directory" "exit $rc; stderr: $(first_err);" \
            "output: $(ls -A "$TMP/bad-$base" 2>/dev/null | tr '\n' ' ')"
    fi
done
if [ "$nbad" -ge 20 ]; then
    ok "$nbad bad scenarios in $BAD_DIR (at least 20)"
else
    not_ok "at least 20 bad scenarios in $BAD_DIR" "found $nbad"
fi

# Without -o, a refused run must not create results/NAME either (run from an
# empty directory, so that nothing lands in the repository).
mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && "$CLUSTERSIM" run "$ROOT/$BAD_DIR/unknown_load_balancer.yaml" >/dev/null 2>&1)
rc=$?
if [ $rc -eq 2 ] && [ -z "$(ls -A "$TMP/cwd")" ]; then
    ok "run of a bad scenario without -o: exit 2, no results/ directory"
else
    not_ok "run of a bad scenario without -o: exit 2, no results/ directory" "exit $rc; $(ls -A "$TMP/cwd")"
fi

# The smallest scenario of scenarios/README.md ("Every key has a default
# except services"): without a `traffic` key the traffic defaults apply.
printf 'services:\n  web: {}\n' >"$TMP/minimal.yaml"
run validate "$TMP/minimal.yaml"
if [ $rc -eq 0 ] && grep -q 'ok' "$OUT"; then
    ok "validate of the smallest scenario (services: {web: {}}): exit 0"
else
    not_ok "validate of the smallest scenario (services: {web: {}}): exit 0" "exit $rc: $(first_err)"
fi

run validate "$QUICKSTART"
if [ $rc -eq 0 ] && grep -q 'ok' "$OUT" && [ ! -s "$ERR" ]; then
    ok "validate $QUICKSTART: exit 0, $(cat "$OUT")"
else
    not_ok "validate $QUICKSTART: exit 0" "exit $rc: $(first_err)"
fi
run validate "$SMALL" --set services.web.replicas=5
if [ $rc -eq 0 ]; then ok "validate with a good --set: exit 0"; else not_ok "validate with a good --set: exit 0" "$(first_err)"; fi

# ---- run: result files ------------------------------------------------------------

# summary_check FILE REPLICATIONS: the DESIGN.md keys of a scenario without
# regions, database, cache or cost; with R > 1 the _ci95 siblings of every
# numeric leaf of requests and latency_ms, with R = 1 no _ci95 at all.
summary_check() {
    python3 - "$1" "$2" <<'EOF'
import json, numbers, sys
path, reps = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    s = json.load(f)
problems = []
def get(p):
    cur = s
    for part in p.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur
if s.get("schema") != "clustersim.summary/v1":
    problems.append("schema is %r" % s.get("schema"))
if not isinstance(s.get("scenario"), str):
    problems.append("scenario is not a string")
paths = ["seed", "replications", "duration_s", "wall_s", "events"]
paths += ["requests." + k for k in ("total", "completed", "failed", "rejected", "error_rate")]
paths += ["latency_ms." + k for k in ("mean", "p50", "p95", "p99", "max")]
for name in (s.get("services") or {"(none)": None}):
    svc = "services." + name
    paths += [svc + ".latency_ms." + k for k in ("mean", "p50", "p95", "p99")]
    paths += [svc + ".wait_ms." + k for k in ("mean", "p50", "p95", "p99")]
    paths += [svc + ".replicas." + k for k in ("min", "max", "mean", "final")]
    paths += [svc + "." + k for k in ("throughput_rps", "rejected")]
for p in paths:
    v = get(p)
    if not isinstance(v, numbers.Number) or isinstance(v, bool):
        problems.append("%s: %r" % (p, v))
if s.get("replications") != reps:
    problems.append("replications is %r, expected %d" % (s.get("replications"), reps))
if get("services.web") is None:
    problems.append("no services.web")
def leaves(obj, prefix):
    for k, v in obj.items():
        if isinstance(v, dict):
            yield from leaves(v, prefix + k + ".")
        else:
            yield prefix + k, k, v, obj
ci = [p for p, k, v, o in leaves(s, "") if k.endswith("_ci95")]
if reps > 1:
    for top in ("requests", "latency_ms"):
        for p, k, v, o in leaves(s[top], top + "."):
            if k.endswith("_ci95") or not isinstance(v, numbers.Number):
                continue
            if k + "_ci95" not in o:
                problems.append("no %s_ci95" % p)
elif ci:
    problems.append("a single replication has _ci95 keys: " + ", ".join(ci[:3]))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
}

# json_value FILE PATH: prints the value at the dotted PATH of a JSON file.
json_value() {
    python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2" 2>/dev/null
}

A=$TMP/a
start=$(date +%s%N)
run run "$SMALL" -o "$A"
end=$(date +%s%N)
if [ $rc -eq 0 ] && [ -f "$A/summary.json" ]; then
    ok "run small.yaml -o DIR: exit 0 in $(((end - start) / 1000000)) ms, summary.json written"
else
    not_ok "run small.yaml -o DIR: exit 0, summary.json written" "exit $rc: $(first_err)"
fi
if [ -s "$OUT" ]; then ok "run prints a table on stdout"; else not_ok "run prints a table on stdout"; fi
if python3 -m json.tool "$A/summary.json" >/dev/null 2>"$TMP/jsonerr"; then
    ok "summary.json is valid JSON (python3 -m json.tool)"
else
    not_ok "summary.json is valid JSON (python3 -m json.tool)" "$(cat "$TMP/jsonerr")"
fi
if problems=$(summary_check "$A/summary.json" 1); then
    ok "summary.json: schema clustersim.summary/v1 and every key of DESIGN.md Results that applies"
else
    not_ok "summary.json: schema clustersim.summary/v1 and every key of DESIGN.md Results that applies" "$(printf "%s" "$problems" | tr "\n" ";")"
fi
if [ "$(head -n 1 "$A/timeseries.csv" 2>/dev/null)" = "replication,time_s,series,value" ] &&
    [ "$(wc -l <"$A/timeseries.csv")" -gt 1 ]; then
    ok "timeseries.csv: header line and rows"
else
    not_ok "timeseries.csv: header line and rows" "$(head -n 1 "$A/timeseries.csv" 2>&1)"
fi
if [ "$(head -n 1 "$A/events.csv" 2>/dev/null)" = "replication,time_s,object,from,to,reason" ]; then
    ok "events.csv: header line"
else
    not_ok "events.csv: header line" "$(head -n 1 "$A/events.csv" 2>&1)"
fi
if [ "$(head -n 1 "$A/autoscaler.csv" 2>/dev/null)" = \
    "replication,time_s,service,current,metric,value,target,proposal,raw,stabilized,final,reason" ]; then
    ok "autoscaler.csv: header line"
else
    not_ok "autoscaler.csv: header line" "$(head -n 1 "$A/autoscaler.csv" 2>&1)"
fi
leftover=$(find "$A" -name '*tmp*' -o -name '.*' -type f)
if [ -z "$leftover" ]; then
    ok "no temporary file left in DIR"
else
    not_ok "no temporary file left in DIR" "$leftover"
fi
listing=$(cd "$A" && ls -A | tr '\n' ' ')
if [ "$listing" = "autoscaler.csv events.csv summary.json timeseries.csv " ]; then
    ok "DIR holds exactly autoscaler.csv events.csv summary.json timeseries.csv"
else
    not_ok "DIR holds exactly autoscaler.csv events.csv summary.json timeseries.csv" "$listing"
fi

run run "$SMALL" -q -o "$TMP/quiet"
if [ $rc -eq 0 ] && [ ! -s "$OUT" ] && [ -f "$TMP/quiet/summary.json" ]; then
    ok "run -q: exit 0, nothing on stdout, results written"
else
    not_ok "run -q: exit 0, nothing on stdout, results written" "exit $rc; $(head -c 200 "$OUT")"
fi

# A refused run leaves an existing result directory as it was.
cp -p "$A/summary.json" "$TMP/summary.before"
run run "$BAD_DIR/replicas_zero.yaml" -q -o "$A"
if [ $rc -eq 2 ] && cmp -s "$A/summary.json" "$TMP/summary.before" &&
    [ "$(cd "$A" && ls -A | tr '\n' ' ')" = "autoscaler.csv events.csv summary.json timeseries.csv " ]; then
    ok "a refused run into an existing DIR: exit 2, DIR untouched"
else
    not_ok "a refused run into an existing DIR: exit 2, DIR untouched" "exit $rc; $(ls -A "$A" | tr '\n' ' ')"
fi

# Tiny rates are accepted by the loader (bounds 0/s to 1e9/s), so a run must
# give (almost surely) no arrival, quickly: a gap E/rate longer than any run
# means no arrival (it must not overflow int64 nanoseconds into a 1 ns gap).
run run "$SMALL" -q -o "$TMP/tiny" --seed 1 --set warmup=0s --set traffic.rate=1e-12/s
total=$(json_value "$TMP/tiny/summary.json" requests.total)
if [ $rc -eq 0 ] && [ "$total" = 0 ]; then
    ok "traffic.rate=1e-12/s: no request in 10 minutes"
else
    not_ok "traffic.rate=1e-12/s: no request in 10 minutes (expected 1e-12/s x 600 s)" "exit $rc; requests.total=$total"
fi
if command -v timeout >/dev/null; then
    timeout 5 "$CLUSTERSIM" run "$SMALL" -q -o "$TMP/tinier" --set traffic.rate=1e-300/s >/dev/null 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        ok "traffic.rate=1e-300/s: the run ends"
    else
        not_ok "traffic.rate=1e-300/s: the run ends within 5 s" "exit $rc (124: killed by timeout)"
    fi
fi

# ---- reproducibility --------------------------------------------------------------

# same_but_wall A B: the two summaries are identical except the wall_s line.
same_but_wall() { diff <(grep -v '"wall_s"' "$1") <(grep -v '"wall_s"' "$2") >"$TMP/diff" 2>&1; }

B=$TMP/b
run run "$SMALL" -q -o "$B"
if [ $rc -eq 0 ] && same_but_wall "$A/summary.json" "$B/summary.json"; then
    ok "the same scenario twice: summary.json identical except wall_s"
else
    not_ok "the same scenario twice: summary.json identical except wall_s" "exit $rc" "$(head -5 "$TMP/diff")"
fi
if cmp -s "$A/timeseries.csv" "$B/timeseries.csv" && cmp -s "$A/events.csv" "$B/events.csv" &&
    cmp -s "$A/autoscaler.csv" "$B/autoscaler.csv"; then
    ok "the same scenario twice: timeseries.csv, events.csv and autoscaler.csv identical"
else
    not_ok "the same scenario twice: timeseries.csv, events.csv and autoscaler.csv identical"
fi
if [ "$(grep -c '"wall_s"' "$A/summary.json")" = 1 ]; then
    ok "summary.json has exactly one wall_s line"
else
    not_ok "summary.json has exactly one wall_s line"
fi

R1=$TMP/r3t1
R3=$TMP/r3t3
run run "$SMALL" -q -o "$R1" --replications 3 --threads 1
rc1=$rc
run run "$SMALL" -q -o "$R3" --replications 3 --threads 3
if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] && same_but_wall "$R1/summary.json" "$R3/summary.json"; then
    ok "--replications 3: --threads 1 and --threads 3 give summary.json identical except wall_s"
else
    not_ok "--replications 3: --threads 1 and --threads 3 give summary.json identical except wall_s" \
        "exit $rc1/$rc" "$(head -5 "$TMP/diff")"
fi
if cmp -s "$R1/timeseries.csv" "$R3/timeseries.csv" && cmp -s "$R1/events.csv" "$R3/events.csv" &&
    cmp -s "$R1/autoscaler.csv" "$R3/autoscaler.csv"; then
    ok "--replications 3: --threads 1 and --threads 3 give identical timeseries.csv, events.csv, autoscaler.csv"
else
    not_ok "--replications 3: --threads 1 and --threads 3 give identical timeseries.csv, events.csv, autoscaler.csv"
fi
if problems=$(summary_check "$R3/summary.json" 3); then
    ok "--replications 3: every numeric leaf of requests and latency_ms has a _ci95 sibling"
else
    not_ok "--replications 3: every numeric leaf of requests and latency_ms has a _ci95 sibling" "$(printf "%s" "$problems" | tr "\n" ";")"
fi
reps_in_series=$(cut -d, -f1 "$R3/timeseries.csv" | tail -n +2 | sort -u | tr '\n' ' ')
if [ "$reps_in_series" = "0 1 2 " ]; then
    ok "--replications 3: timeseries.csv holds replications 0 1 2"
else
    not_ok "--replications 3: timeseries.csv holds replications 0 1 2" "$reps_in_series"
fi
leftover=$(find "$R1" "$R3" -name '*tmp*' -o -name '.*' -type f)
if [ -z "$leftover" ]; then ok "no temporary file left after replications"; else not_ok "no temporary file left after replications" "$leftover"; fi

S=$TMP/seed
run run "$SMALL" -q -o "$S" --seed 12
if [ $rc -eq 0 ] && ! diff -q <(grep -v -e '"wall_s"' -e '"seed"' "$A/summary.json") \
    <(grep -v -e '"wall_s"' -e '"seed"' "$S/summary.json") >/dev/null &&
    [ "$(json_value "$S/summary.json" seed)" = 12 ]; then
    ok "--seed 12: seed 12 in summary.json, and different numbers"
else
    not_ok "--seed 12: seed 12 in summary.json, and different numbers" "exit $rc: $(first_err)"
fi

# ---- overrides --------------------------------------------------------------------

O=$TMP/set
run run "$SMALL" -q -o "$O" --set services.web.replicas=2
final=$(json_value "$O/summary.json" services.web.replicas.final)
if [ $rc -eq 0 ] && [ "$final" = 2 ]; then
    ok "--set services.web.replicas=2: replicas.final is 2 (3 in the file)"
else
    not_ok "--set services.web.replicas=2: replicas.final is 2" "exit $rc; final=$final; $(first_err)"
fi
D=$TMP/dur
run run "$SMALL" -q -o "$D" --duration 30s
dur=$(json_value "$D/summary.json" duration_s)
if [ $rc -eq 0 ] && [ "$dur" = 30 ]; then
    ok "--duration 30s: duration_s is 30"
else
    not_ok "--duration 30s: duration_s is 30" "exit $rc; duration_s=$dur; $(first_err)"
fi

# ---- describe ---------------------------------------------------------------------

run describe
if [ $rc -eq 0 ] && grep -Eq '^\| *key *\| *type *\|' "$OUT" && grep -q '^|---|' "$OUT"; then
    ok "describe: exit 0, Markdown tables"
else
    not_ok "describe: exit 0, Markdown tables" "exit $rc"
fi
cp "$OUT" "$TMP/describe.md"
# Every key of the parameter tables: those named in the sources of the
# tables (rows {"key", P_TYPE, ...} and the DUR(...) rows of the
# distributions; "weight" and "share" label the items of weights and mix, not keys), and the
# keys the headers document, in case a table moves.
keys=$(cat sim/scenario.c models/traffic.c models/service.c sim/dist.c models/autoscaler.c 2>/dev/null |
    grep -oE '\{"[a-z_]+", P_[A-Z]+|DUR\("[a-z_]+"' | grep -oE '"[a-z_]+"' | tr -d '"' | grep -vxE 'weight|share' | sort -u)
keys="$keys name seed duration warmup sample_interval traffic services rate arrivals profile clients at factor
 replicas concurrency queue_capacity service_time load_balancer weights calls dist mean value cv shape scale min max
 file column"
missing=""
for k in $(printf '%s\n' $keys | sort -u); do
    # `dist` itself is shown as `{dist: NAME, ...}`
    grep -Eq "\`$k\`|\`\\{$k:" "$TMP/describe.md" || missing="$missing $k"
done
for n in round_robin least_connections ip_hash weighted_round_robin random power_of_two exponential deterministic \
    lognormal gamma weibull pareto uniform empirical; do
    grep -q "\`$n\`" "$TMP/describe.md" || missing="$missing $n"
done
if [ -z "$missing" ]; then
    ok "describe mentions every key of the parameter tables, every load balancer and distribution"
else
    not_ok "describe mentions every key of the parameter tables, every load balancer and distribution" \
        "missing:$missing"
fi

finish
