#!/usr/bin/env bash
# test_faults.sh: the scenario's `faults:` schedule, one syntax for every
# target. tests/faults/base.yaml crashes a pod of `web` at 30 s, takes the
# frankfurt edge down from 40 s to 60 s and purges the CDN at 50 s: each is a
# row of events.csv at its time, each moves the results the way it should
# (more failures than the same seed without it; the purge removes entries),
# and a fault naming no station, a fault the target does not take, or an
# outage without its edge is a located error, exit 2.
set -u
. "$(dirname "$0")/lib.sh"
cli_init faults
BASE=tests/faults/base.yaml
check() { if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

OUT=$TMP/out
"$CLUSTERSIM" run "$BASE" -q -o "$OUT" >/dev/null 2>&1
EV=$OUT/events.csv
desc="pod_crash at 30 s: the oldest Ready pod of web crashes"
check grep -q '^0,30,web/pod,Ready,CrashLoopBackOff,Error (fault: pod_crash)$' "$EV"
desc="outage of cdn.frankfurt: down at 40 s, recovered at 60 s"
check grep -q '^0,40,cdn.frankfurt/edge,up,down,outage$' "$EV"
check grep -q '^0,60,cdn.frankfurt/edge,down,up,recovered$' "$EV"
desc="purge at 50 s removes every cached class"
check grep -q '^0,50,cdn/purge,\*,[1-9][0-9]* entries removed,purge by path$' "$EV"

desc="rollout at 80 s: a rolling update starts, and completes"
check grep -q '^0,80,web/deployment,revision 0,revision 1,RollingUpdate$' "$EV"
check grep -q ',web/deployment,rolling,revision 1,RolloutComplete$' "$EV"
desc="summary.json counts the fault's rollout"
check python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['services']['web']['rollouts'] == 1" "$OUT/summary.json"

# without the faults (same seed): no failures; with them, some
NOF=$TMP/nofault.yaml
sed '/^faults:/,$d' "$BASE" >"$NOF"
"$CLUSTERSIM" run "$NOF" -q -o "$TMP/nof" >/dev/null 2>&1
failed() { python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['requests']['failed']))" "$1/summary.json"; }
with=$(failed "$OUT"); without=$(failed "$TMP/nof")
desc="faults fail requests ($with failed) that the same seed without them completes ($without failed)"
check [ "$without" = 0 ] && [ "$with" -gt 0 ]
desc="the outage sends frankfurt's users elsewhere: requests at the london edge rise"
ledge() { python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['cache']['cdn']['edges']['london']['requests']))" "$1/summary.json"; }
check [ "$(ledge "$OUT")" -gt "$(ledge "$TMP/nof")" ]

# bad input: file:line:col, exit 2
bad() { # DESC SED EXPECTED
    desc=$1
    sed "$2" "$BASE" >"$TMP/bad.yaml"
    local err rc
    err=$("$CLUSTERSIM" validate "$TMP/bad.yaml" 2>&1 >/dev/null); rc=$?
    if [ "$rc" = 2 ] && printf '%s' "$err" | grep -qF "$3"; then ok "$desc"; else not_ok "$desc" "exit $rc: $err"; fi
}
bad "a target that names no station" 's/target: services.web/target: services.nope/' \
    "bad.yaml:14:23: faults[0].target: 'services.nope' names no station"
bad "a fault the target does not take" 's/fault: pod_crash/fault: explode/' \
    "bad.yaml:14:44: faults[0].fault: a service does not take 'explode' (valid: pod_crash, rollout)"
bad "an outage without its edge" 's/target: cdn.frankfurt/target: cdn/' \
    "bad.yaml:15:23: faults: an outage names its edge"
bad "an outage of an unknown edge" 's/target: cdn.frankfurt/target: cdn.paris/' \
    "bad.yaml:15:23: cdn.outages[0].edge: unknown region 'paris'"
bad "a fault without its time" 's/at: 30s, //' \
    "bad.yaml:14:5: faults[0]: missing required key 'at'"

# ---- the origin's outages: origin_outage (cdn) and region_outage (cdn.LOCATION)
# The origin (london) is down from 100 s to 160 s. The 20 static objects
# (TTL 2 h) are at both edges by then; /api/public/* lives 10 s, so its
# entries go stale during the outage; login is a POST (never cached).
OO=$TMP/origin.yaml
cat >"$OO" <<'EOF'
name: origin
duration: 300s
warmup: 10s
traffic:
  rate: 100/s
  classes:
    static: {share: 0.5, path: /static/*, objects: 20, static: true, route: [web]}
    page: {share: 0.3, path: /api/public/*, objects: 50, route: [web]}
    login: {share: 0.2, method: POST, path: /api/auth, route: [web]}
regions:
  origin: london
  users: {london: {share: 0.5}, frankfurt: {share: 0.5}}
cdn:
  rules: [{path: /api/public/*, ttl: 10s}]
services:
  web: {replicas: 2, concurrency: 8, service_time: 20ms}
faults:
  - {at: 100s, target: cdn, fault: origin_outage, duration: 60s}
EOF
# py DIR EXPR: prints EXPR over d (DIR's summary.json) and cdn (its cache.cdn)
py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1] + '/summary.json')); cdn=d['cache']['cdn']; print($2)" "$1"; }
runs() { "$CLUSTERSIM" run "$1" -q -o "$2" "${@:3}" >/dev/null 2>&1; }
# variant NAME FAULT...: $OO with these faults instead, run into $TMP/NAME
variant() {
    { sed '/^faults:/,$d' "$OO"; echo "faults:"; printf '  - %s\n' "${@:2}"; } >"$TMP/$1.yaml"
    runs "$TMP/$1.yaml" "$TMP/$1"
}
# same A B: the two runs' summary.json are identical but for wall_s
same() { cmp -s <(grep -v '"wall_s"' "$1/summary.json") <(grep -v '"wall_s"' "$2/summary.json"); }
runs "$OO" "$TMP/oo"
runs "$OO" "$TMP/oo170" --duration 170s
sed '/^faults:/,$d' "$OO" >"$TMP/oo-none.yaml"
runs "$TMP/oo-none.yaml" "$TMP/oo-none"

desc="origin_outage: the origin's rows of events.csv, down at 100 s, up at 160 s"
check grep -q '^0,100,cdn.london/origin,up,down,origin outage$' "$TMP/oo/events.csv"
check grep -q '^0,160,cdn.london/origin,down,up,recovered$' "$TMP/oo/events.csv"
desc="origin_outage: static hits keep succeeding; stale API entries and POSTs fail (no stale served)"
check [ "$(py "$TMP/oo" "d['classes']['static']['error_rate'] == 0 and d['classes']['page']['error_rate'] > 0.1 \
          and d['classes']['login']['error_rate'] > 0.1")" = True ]
desc="origin_outage: every failure is one of cache.cdn.origin_errors ($(py "$TMP/oo" "int(cdn['origin_errors'])"))"
check [ "$(py "$TMP/oo" "d['requests']['failed'] == cdn['origin_errors'] > 0")" = True ]
desc="origin_outage: no errors after it ends (a run to 170 s has them all)"
check [ "$(py "$TMP/oo170" "int(d['requests']['failed'])")" = "$(py "$TMP/oo" "int(d['requests']['failed'])")" ]
desc="origin_outage: web serves nothing from 101 s to 160 s, and something every second from 162 s"
check awk -F, '$3 == "web.throughput_rps" { if ($2 > 101 && $2 <= 160 && $4 != 0) bad = 1
                                            if ($2 >= 162 && $4 == 0) bad = 1
                                            n++ }
               END { exit bad || n < 290 }' "$TMP/oo/timeseries.csv"
desc="origin_outage: against the same seed without it, failures rise and web's throughput drops"
check [ "$(py "$TMP/oo-none" "int(d['requests']['failed'])")" = 0 ]
check python3 -c "import json,sys; a, b = (json.load(open(f + '/summary.json')) for f in sys.argv[1:])
assert a['services']['web']['throughput_rps'] < 0.9 * b['services']['web']['throughput_rps']" "$TMP/oo" "$TMP/oo-none"
desc="without origin outages, summary.json has no origin_errors (its paths as before)"
check [ "$(py "$TMP/oo-none" "'origin_errors' in cdn")" = False ]

desc="origin_outage with edges: []: every class fails meanwhile, static too"
sed 's/rules: \[.*\]/edges: []/' "$OO" >"$TMP/oo-noedge.yaml"
runs "$TMP/oo-noedge.yaml" "$TMP/oo-noedge"
check [ "$(py "$TMP/oo-noedge" "d['classes']['static']['error_rate'] > 0.1 and d['requests']['failed'] == cdn['origin_errors']")" = True ]

# region_outage: at the origin's location, the edge there and the origin
# (as an outage of cdn.london and an origin outage together); at a location
# with only an edge, that edge's outage. The same seed: the same summary.json.
variant ro-london "{at: 100s, target: cdn.london, fault: region_outage, duration: 60s}"
variant pair-london "{at: 100s, target: cdn.london, fault: outage, duration: 60s}" \
    "{at: 100s, target: cdn, fault: origin_outage, duration: 60s}"
desc="region_outage at the origin's location: its edge and the origin go down and up, rows of events.csv"
check grep -q '^0,100,cdn.london/edge,up,down,region outage$' "$TMP/ro-london/events.csv"
check grep -q '^0,100,cdn.london/origin,up,down,region outage$' "$TMP/ro-london/events.csv"
check grep -q '^0,160,cdn.london/edge,down,up,recovered$' "$TMP/ro-london/events.csv"
check grep -q '^0,160,cdn.london/origin,down,up,recovered$' "$TMP/ro-london/events.csv"
desc="region_outage at the origin's location: summary.json as outage + origin_outage (same seed, but wall_s)"
check same "$TMP/ro-london" "$TMP/pair-london"
check [ "$(py "$TMP/ro-london" "cdn['origin_errors'] > 0 and cdn['edges']['london']['requests'] < 0.9 * cdn['edges']['frankfurt']['requests']")" = True ]
variant ro-frankfurt "{at: 100s, target: cdn.frankfurt, fault: region_outage, duration: 60s}"
variant out-frankfurt "{at: 100s, target: cdn.frankfurt, fault: outage, duration: 60s}"
desc="region_outage at a location with only an edge: summary.json as that edge's outage (same seed, but wall_s)"
check same "$TMP/ro-frankfurt" "$TMP/out-frankfurt"
check grep -q '^0,100,cdn.frankfurt/edge,up,down,region outage$' "$TMP/ro-frankfurt/events.csv"
desc="region_outage at a location with only an edge: the origin stays up (no row of it, no origin_errors)"
check [ "$(grep -c '/origin,' "$TMP/ro-frankfurt/events.csv")" = 0 ]
check [ "$(py "$TMP/ro-frankfurt" "'origin_errors' in cdn")" = False ]

# overlapping outages of the origin compose: down while either is active
variant overlap "{at: 100s, target: cdn, fault: origin_outage, duration: 40s}" \
    "{at: 120s, target: cdn, fault: origin_outage, duration: 40s}"
desc="overlapping origin outages (100-140 s, 120-160 s): down at 100 s, up at 160 s, no row between"
check [ "$(grep -c '/origin,' "$TMP/overlap/events.csv")" = 2 ]
check cmp -s "$TMP/overlap/events.csv" "$TMP/oo/events.csv"
desc="overlapping origin outages: summary.json as one from 100 s to 160 s (but wall_s and the 2 events more)"
check cmp -s <(grep -v '"wall_s"\|"events"' "$TMP/overlap/summary.json") <(grep -v '"wall_s"\|"events"' "$TMP/oo/summary.json")
variant mixed "{at: 100s, target: cdn, fault: origin_outage, duration: 40s}" \
    "{at: 120s, target: cdn.london, fault: region_outage, duration: 40s}"
desc="an origin outage and a region outage at the origin overlapping: the origin down at 100 s, up at 160 s"
check [ "$(grep -c '/origin,' "$TMP/mixed/events.csv")" = 2 ]
check grep -q '^0,100,cdn.london/origin,up,down,origin outage$' "$TMP/mixed/events.csv"
check grep -q '^0,160,cdn.london/origin,down,up,recovered$' "$TMP/mixed/events.csv"
check grep -q '^0,120,cdn.london/edge,up,down,region outage$' "$TMP/mixed/events.csv"
variant forever "{at: 200s, target: cdn, fault: origin_outage}"
desc="origin_outage without a duration: down to the end (no recovery row)"
check [ "$(grep -c '/origin,' "$TMP/forever/events.csv")" = 1 ]

# bad targets and durations: each tests/scenarios/bad/cdn_*.yaml gives the
# located error its first line expects, and exit 2
for f in tests/scenarios/bad/cdn_*.yaml; do
    expect=$(head -n 1 "$f" | sed 's/^# expect: //')
    desc="$(basename "$f" .yaml): exit 2, $expect"
    err=$("$CLUSTERSIM" validate "$f" 2>&1 >/dev/null); rc=$?
    if [ "$rc" = 2 ] && printf '%s' "$err" | grep -qF "$f:${expect%%: *}: " \
        && printf '%s' "$err" | grep -qF "${expect#*: }"; then
        ok "$desc"
    else
        not_ok "$desc" "exit $rc: $err"
    fi
done
bad "a region outage where there are only users" \
    's/target: cdn.frankfurt, fault: outage/target: cdn.frankfurt, fault: region_outage/; s/^regions:/cdn: {edges: [london]}\nregions:/' \
    "bad.yaml:16:23: faults: region_outage at 'frankfurt': the CDN has no edge there and the origin is in london"
bad "an origin outage naming an edge" 's/target: cdn.frankfurt, fault: outage/target: cdn.frankfurt, fault: origin_outage/' \
    "bad.yaml:15:23: faults: an origin outage is of the origin: target: cdn, not 'frankfurt' after it"
finish
