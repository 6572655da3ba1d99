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
finish
