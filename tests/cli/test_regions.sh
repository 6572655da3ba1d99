#!/usr/bin/env bash
# test_regions.sh: the scenario keys of regions, the CDN, the browser and
# request classes refuse bad input with `file:line:col: message` and exit 2,
# the position being the offending key or value; and the global example runs,
# prints the cache-layer table and writes the summary keys and event rows of
# those layers.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_regions.sh     (from the repository root)
#
# Each bad scenario is tests/regions/base.yaml (valid) with one line edited;
# the expected column is where the offending text starts on that line of the
# edited file (1-based, bytes), found by `at` below. Scenarios that need
# another shape are written here.

set -u

. "$(dirname "$0")/lib.sh"
cli_init regions
BASE=tests/regions/base.yaml
GLOBAL=scenarios/global.yaml

if [ ! -x "$CLUSTERSIM" ]; then
    not_ok "$CLUSTERSIM is not an executable (build it with make)"
    finish
fi
if [ ! -f "$BASE" ] || [ ! -f "$GLOBAL" ]; then
    not_ok "run from the repository root: $BASE or $GLOBAL not found"
    finish
fi

V=$TMP/v.yaml

# variant LINE SED: the base with line LINE edited by the sed substitution
# SED (which must change it) into $V.
variant() {
    sed "$1$2" "$BASE" >"$V"
    if [ "$(sed -n "$1p" "$V")" = "$(sed -n "$1p" "$BASE")" ]; then
        echo "test_regions.sh: '$2' does not change line $1 of $BASE" >&2
        exit 3
    fi
}

# at FILE LINE TOKEN [NTH]: FILE:LINE:COL, COL where the NTH (default 1st)
# occurrence of TOKEN starts on that line.
at() {
    local col
    col=$(awk -v n="$2" -v t="$3" -v k="${4:-1}" 'NR == n {
            off = 0; s = $0
            for (i = 1; i <= k; i++) { p = index(s, t); if (!p) { print 0; exit }
                                       off += p; s = substr(s, p + 1) }
            print off; exit }' "$1")
    if [ -z "$col" ] || [ "$col" -eq 0 ]; then
        echo "test_regions.sh: '$3' not on line $2 of $1" >&2
        exit 3
    fi
    printf '%s:%s:%s' "$1" "$2" "$col"
}

# expect LABEL POS PATH [SUBSTRING]: exit 2 and stderr's first line is
# "POS: PATH..." (and holds SUBSTRING).
expect() {
    local label=$1 prefix="$2: $3" sub=${4:-}
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

run validate "$BASE"
if [ "$rc" -eq 0 ]; then ok "the base scenario is valid"; else not_ok "the base scenario is valid" "$(one_line "$ERR")"; fi

# ---- unknown regions -------------------------------------------------------------

variant 13 's/frankfurt: {share/tokyo: {share/'
run validate "$V"
expect "unknown region in regions.users" "$(at "$V" 13 tokyo)" "regions.users.tokyo: unknown region 'tokyo'" "valid: "

variant 10 's/origin: london/origin: paris/'
run validate "$V"
expect "unknown region in regions.origin" "$(at "$V" 10 paris)" "regions.origin: unknown region 'paris'"

variant 16 's/{frankfurt: 15ms}/{mars: 15ms}/'
run validate "$V"
expect "unknown region in regions.rtt (destination)" "$(at "$V" 16 mars)" "regions.rtt.london.mars: unknown region 'mars'"

variant 16 's/london: {frankfurt/venus: {frankfurt/'
run validate "$V"
expect "unknown region in regions.rtt (source)" "$(at "$V" 16 venus)" "regions.rtt.venus: unknown region 'venus'"

variant 19 's/\[london, frankfurt\]/[london, paris]/'
run validate "$V"
expect "unknown region in cdn.edges" "$(at "$V" 19 paris)" "cdn.edges[1]: unknown region 'paris'"

variant 21 's/edge: london/edge: paris/'
run validate "$V"
expect "unknown region in cdn.outages[].edge" "$(at "$V" 21 paris)" "cdn.outages[0].edge: " "'paris'"

# a location that has users but no edge
variant 19 's/\[london, frankfurt\]/[frankfurt]/'
run validate "$V"
expect "cdn.outages[].edge not among cdn.edges" "$(at "$V" 21 london)" "cdn.outages[0].edge: " "'london' is not one of the CDN's edges"

# ---- routes and shares -------------------------------------------------------------

variant 8 's/route: \[web\]/route: [web, db]/'
run validate "$V"
expect "a route naming a missing service" "$(at "$V" 8 db)" "traffic.classes.login.route[1]: undefined service 'db'" "(defined: web)"

# the shares' mapping is the value of `classes:`, which starts at its first key
variant 8 's/share: 0.4/share: 0.3/'
run validate "$V"
expect "class shares not summing to 1" "$(at "$V" 7 page)" "traffic.classes: the shares add up to 0.9, not 1"

variant 13 's/share: 0.3/share: 0.2/'
run validate "$V"
expect "region shares not summing to 1" "$(at "$V" 12 london)" "regions.users: the shares add up to 0.9, not 1"

# ---- ranges ---------------------------------------------------------------------------

variant 7 's/zipf: 0.8/zipf: 11/'
run validate "$V"
expect "zipf above its range" "$(at "$V" 7 11)" "traffic.classes.page.zipf: '11' is out of range (0 to 10)"

variant 7 's/zipf: 0.8/zipf: -1/'
run validate "$V"
expect "zipf below its range" "$(at "$V" 7 -1)" "traffic.classes.page.zipf: '-1' is out of range"

variant 20 's/ttl: 300s/ttl: -5s/'
run validate "$V"
expect "negative cdn.rules[].ttl" "$(at "$V" 20 -5s)" "cdn.rules[0].ttl: '-5s' is out of range"

variant 20 's/ttl: 300s/ttl: 3651d/'
run validate "$V"
expect "cdn.rules[].ttl above 3650d" "$(at "$V" 20 3651d)" "cdn.rules[0].ttl: '3651d' is out of range (0s to 3650d)"

variant 7 's/max_age: 1h/max_age: -1s/'
run validate "$V"
expect "negative max_age" "$(at "$V" 7 -1s)" "traffic.classes.page.max_age: '-1s' is out of range"

variant 7 's/max_age: 1h/max_age: 4000d/'
run validate "$V"
expect "max_age above 3650d" "$(at "$V" 7 4000d)" "traffic.classes.page.max_age: '4000d' is out of range (0s to 3650d)"

# ---- cross-checks ---------------------------------------------------------------------

# the matrix model needs every pair among london and frankfurt (users,
# origin, edges); only london-frankfurt is given: the table is `rtt`'s value
variant 14 's/model: great_circle/model: matrix/'
run validate "$V"
expect "matrix RTT model missing a pair" "$(at "$V" 16 london)" "regions.rtt: with network.model: matrix" "london-london is missing"

variant 22 's/surrogate_key: pages/surrogate_key: nope/'
run validate "$V"
expect "a purge naming no class (surrogate key)" "$(at "$V" 22 '{at')" "cdn.purges[0]: surrogate_key 'nope' names no class"

variant 22 's/surrogate_key: pages/path: \/nothing\/*/'
run validate "$V"
expect "a purge naming no class (path)" "$(at "$V" 22 '{at')" "cdn.purges[0]: path '/nothing/*' names no class"

# the other errors need scenarios of another shape
F=$TMP/flash.yaml
printf 'name: x\ntraffic:\n  rate: 10/s\n  flash_crowds: [{at: 10s, factor: 3, region: london}]\nservices:\n  web: {replicas: 1}\n' >"$F"
run validate "$F"
expect "a flash crowd region without regions" "$(at "$F" 4 london)" "traffic.flash_crowds[0].region: needs \`regions\`"

# with regions, a flash crowd must hit a region that has users
F=$TMP/flash2.yaml
printf 'name: x\ntraffic:\n  rate: 10/s\n  flash_crowds: [{at: 10s, factor: 3, region: sydney}]\nregions:\n  origin: london\n  users: {london: {share: 1}}\nservices:\n  web: {replicas: 1}\n' >"$F"
run validate "$F"
expect "a flash crowd region without users" "$(at "$F" 4 sydney)" "traffic.flash_crowds[0].region: 'sydney' has no users"

F=$TMP/browser.yaml
printf 'name: x\ntraffic:\n  rate: 10/s\n  mix: {pay: 0.1}\nbrowser: {}\nservices:\n  web: {replicas: 1}\n' >"$F"
run validate "$F"
expect "browser without traffic.classes" "$(at "$F" 5 '{}')" "browser: needs traffic.classes"

F=$TMP/cdn.yaml
printf 'name: x\ntraffic:\n  rate: 10/s\ncdn:\n  edges: [london]\nservices:\n  web: {replicas: 1}\n' >"$F"
run validate "$F"
expect "cdn without regions" "$(at "$F" 5 edges)" "cdn: needs \`regions\`"

F=$TMP/mix.yaml
printf 'name: x\ntraffic:\n  rate: 10/s\n  mix: {pay: 0.1}\n  classes:\n    a: {share: 1}\nservices:\n  web: {replicas: 1}\n' >"$F"
run validate "$F"
expect "mix and classes together" "$(at "$F" 6 a)" "traffic.classes: give either mix (shares only) or classes, not both"

# `run` refuses the same input the same way, before running anything
variant 13 's/frankfurt: {share/tokyo: {share/'
run run "$V" -o "$TMP/never"
expect "run: unknown region" "$(at "$V" 13 tokyo)" "regions.users.tokyo: unknown region 'tokyo'"
if [ -e "$TMP/never/summary.json" ]; then not_ok "run: no results for a bad scenario"; else ok "run: no results for a bad scenario"; fi

# ---- the global example ----------------------------------------------------------------

# 20 minutes (its warm-up of 30 minutes would be longer: 2 minutes), the
# london outage moved from 3 h to 5 min and the purge from 4 h to 10 min
# (--set addresses list items by index).
OUTDIR=$TMP/global
run run "$GLOBAL" --duration 20m --set warmup=2m --set cdn.outages.0.at=5m --set cdn.purges.0.at=10m -o "$OUTDIR"
if [ "$rc" -ne 0 ]; then
    not_ok "global.yaml runs for 20 minutes" "exit $rc; stderr: $(one_line "$ERR")"
    finish
fi
ok "global.yaml runs for 20 minutes"

if grep -q '^cache layer .*lookups.*hits.*misses.*hit ratio.*bypass' "$OUT" &&
    grep -q '^browser ' "$OUT" && grep -q '^cdn ' "$OUT" && grep -q '^  london ' "$OUT" && grep -q '^  sao-paulo ' "$OUT"; then
    ok "the terminal table has the cache layers (browser, cdn, its edges)"
else
    not_ok "the terminal table has the cache layers (browser, cdn, its edges)" "$(one_line "$OUT")"
fi
if grep -q '^region ' "$OUT" && grep -q '^class ' "$OUT"; then
    ok "the terminal table has the regions and classes"
else
    not_ok "the terminal table has the regions and classes" "$(one_line "$OUT")"
fi

# every key of the layers, and values that hold together
missing=$(python3 - "$OUTDIR/summary.json" <<'EOF'
import json, math, sys
s = json.load(open(sys.argv[1]))
regions = ["johannesburg", "cape-town", "nairobi", "london", "frankfurt", "new-york", "singapore", "sydney", "sao-paulo"]
classes = ["static", "public-api", "courses", "auth", "payments"]
keys = ["requests.total", "latency_ms.mean", "latency_ms.p99"]
for r in regions:
    keys += ["regions.%s.%s" % (r, k) for k in ("requests", "error_rate", "latency_ms.mean", "latency_ms.p50",
                                                 "latency_ms.p95", "latency_ms.p99")]
    keys += ["cache.cdn.edges.%s.%s" % (r, k) for k in ("requests", "hit_ratio", "hits", "misses", "evictions",
                                                         "bytes_used")]
    keys += ["cache.cdn.regions.%s.hit_ratio" % r, "cache.browser.regions.%s.hit_ratio" % r]
for c in classes:
    keys += ["classes.%s.%s" % (c, k) for k in ("requests", "error_rate", "latency_ms.mean", "latency_ms.p99")]
for c in ("static", "public-api", "courses"):   # cached ones (auth and payments are POSTs)
    keys += ["cache.cdn.classes.%s.hit_ratio" % c, "cache.browser.classes.%s.hit_ratio" % c]
keys += ["cache.browser." + k for k in ("hit_ratio", "hits", "misses", "revalidations", "bypass")]
keys += ["cache.cdn." + k for k in ("hit_ratio", "hits", "misses", "bypass", "origin_requests",
                                     "dead_edge_failures", "purged")]
bad = []
def get(path):
    v = s
    for p in path.split("."):
        v = v[p]
    return v
for k in keys:
    try:
        v = get(k)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            bad.append("%s=%r" % (k, v))
    except (KeyError, TypeError):
        bad.append(k)
if not bad:
    cdn = s["cache"]["cdn"]
    checks = {
        "cdn hits + misses = sum over edges": cdn["hits"] + cdn["misses"]
            == sum(cdn["edges"][r]["hits"] + cdn["edges"][r]["misses"] for r in regions),
        "origin_requests = misses + bypass": cdn["origin_requests"] == cdn["misses"] + cdn["bypass"],
        "regions' requests add up": sum(s["regions"][r]["requests"] for r in regions) == s["requests"]["total"],
        "classes' requests add up": sum(s["classes"][c]["requests"] for c in classes) == s["requests"]["total"],
        "requests fail at the dead london edge": cdn["dead_edge_failures"] > 0,
        "only london's users fail": s["regions"]["london"]["error_rate"] > 0
            and all(s["regions"][r]["error_rate"] == 0 for r in regions if r != "london"),
        "the purge removed entries": cdn["purged"] > 0,
        "the browser has hits": s["cache"]["browser"]["hits"] > 0,
    }
    bad = [k for k, v in checks.items() if not v]
print(" ".join(bad))
EOF
)
if [ -z "$missing" ]; then
    ok "summary.json has the keys of regions, classes, cache.browser and cache.cdn, consistent"
else
    not_ok "summary.json has the keys of regions, classes, cache.browser and cache.cdn, consistent" "missing or wrong: $missing"
fi

EV=$OUTDIR/events.csv
if grep -q '^0,300,cdn\.london/edge,up,down,outage$' "$EV"; then
    ok "events.csv: the london edge goes down at 5 min"
else
    not_ok "events.csv: the london edge goes down at 5 min" "$(one_line "$EV")"
fi
if grep -q '^0,600,cdn/purge,courses,[0-9]* entries removed,purge by surrogate key$' "$EV"; then
    ok "events.csv: the purge of surrogate key courses at 10 min"
else
    not_ok "events.csv: the purge of surrogate key courses at 10 min" "$(one_line "$EV")"
fi
# the outage lasts 30 min: no recovery within 20
if grep -q 'recovered' "$EV"; then
    not_ok "events.csv: no recovery before the end" "$(one_line "$EV")"
else
    ok "events.csv: no recovery before the end"
fi

# Two overlapping outages of one edge ([10 s, 30 s) and [20 s, 40 s)): the
# edge is down from 10 s to 40 s, one event each way, and its `up` series
# is 0 throughout (the second outage's start and the first's end change
# nothing).
variant 21 's/outages: .*/outages: [{edge: london, at: 10s, duration: 20s}, {edge: london, at: 20s, duration: 20s}]/'
OV=$TMP/overlap
if "$CLUSTERSIM" run "$V" -q -o "$OV" --set sample_interval=5s >/dev/null 2>&1; then
    rows=$(grep -c 'cdn\.london/edge' "$OV/events.csv")
    if [ "$rows" = 2 ] && grep -q '^0,10,cdn\.london/edge,up,down,outage$' "$OV/events.csv" &&
        grep -q '^0,40,cdn\.london/edge,down,up,recovered$' "$OV/events.csv"; then
        ok "overlapping outages: down at 10 s, recovered at 40 s, one event each"
    else
        not_ok "overlapping outages: down at 10 s, recovered at 40 s, one event each" "$(one_line "$OV/events.csv")"
    fi
    up=$(awk -F, '$3 == "edge.london.up" && $2 >= 10 && $2 < 40 && $4 != 0' "$OV/timeseries.csv" | wc -l)
    if [ "$up" = 0 ]; then
        ok "overlapping outages: edge.london.up is 0 from 10 s to 40 s"
    else
        not_ok "overlapping outages: edge.london.up is 0 from 10 s to 40 s" "$up samples up"
    fi
else
    not_ok "overlapping outages: the run succeeds"
fi

# offered_rate is the rate arrivals are drawn at: with the regions' daily
# curves, the base rate times the sum of shares x curves. Over a run of the
# baseline (diurnal regions), the offered rate integrated over the samples
# must be the N arrivals within z = 4 Poisson standard deviations, sqrt(N);
# and at every sample the arrived rate must be the offered one within
# z = 5 standard deviations of its count (sqrt(offered x interval) / interval;
# z = 5 over some 700 samples: a false alarm once in thousands of runs).
# The offered rate of the base rate alone (650/s for the baseline) is several
# times what arrives at night and fails both.
run run scenarios/azora-baseline.yaml --duration 3h -q -o "$TMP/offered"
if [ $rc -ne 0 ]; then
    not_ok "azora-baseline for offered_rate" "$(first_err)"
else
    msg=$(python3 - "$TMP/offered/timeseries.csv" <<'PY'
import csv, math, sys
off, arr = {}, {}
for r in csv.DictReader(open(sys.argv[1])):
    if r["replication"] != "0":
        continue
    t = float(r["time_s"])
    if r["series"] == "offered_rate":
        off[t] = float(r["value"])
    elif r["series"] == "arrival_rate":
        arr[t] = float(r["value"])
ts = sorted(arr)
lam = n = 0.0
worst = (0, None)
for i, t in enumerate(ts):
    dt = t - (ts[i - 1] if i else 0)
    lam += off[t] * dt
    n += arr[t] * dt
    z = abs(arr[t] - off[t]) * dt / math.sqrt(max(off[t] * dt, 1))
    if z > worst[0]:
        worst = (z, t)
z = abs(n - lam) / math.sqrt(n)
if z > 4:
    print("FAIL %.0f arrivals against %.0f offered over the run: z %.1f > 4" % (n, lam, z))
elif worst[0] > 5:
    t = worst[1]
    print("FAIL at %g s: offered %.1f/s, arrived %.1f/s: z %.1f > 5" % (t, off[t], arr[t], worst[0]))
else:
    print("%.0f arrivals, %.0f offered (z %.2f); largest sample z %.2f" % (n, lam, z, worst[0]))
PY
)
    case $msg in
    FAIL*) not_ok "offered_rate with diurnal regions" "$msg" ;;
    *) ok "offered_rate with diurnal regions is the rate arrivals come at: $msg" ;;
    esac
fi

finish
