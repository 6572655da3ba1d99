#!/usr/bin/env bash
# test_patch.sh: `autoscaler.patch` changes fields of an HPA manifest without
# another file, in the scenario or through --set (and so through sweep,
# tune and compare, which vary keys with --set). A patched run must be the
# very run of the manifest edited by hand (tests/autoscaler/patch/: web-hpa.yaml
# and web-hpa-50.yaml, which differ in the CPU target, minReplicas and the
# scale-down window); a wrong patched value is reported where the patch
# gives it, with exit 2.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_patch.sh     (from the repository root)
set -u
. "$(dirname "$0")/lib.sh"
cli_init patch

D=tests/autoscaler/patch
P=services.web.autoscaler.patch

# same A B: the results of two runs are the same (summary.json but its wall_s)
same() {
    for f in timeseries.csv events.csv autoscaler.csv; do
        cmp -s "$1/$f" "$2/$f" || return 1
    done
    diff <(grep -v '"wall_s"' "$1/summary.json") <(grep -v '"wall_s"' "$2/summary.json") >/dev/null
}

run run $D/web-50.yaml -q -o "$TMP/edited"
[ $rc -eq 0 ] || not_ok "the manifest edited by hand runs" "$(first_err)"
run run $D/web.yaml -q -o "$TMP/base"
[ $rc -eq 0 ] || not_ok "the base runs" "$(first_err)"
if ! same "$TMP/base" "$TMP/edited"; then
    ok "the edits matter: the base manifest's run differs from the edited one's"
else
    not_ok "the base and the edited manifest run alike: the checks below would prove nothing"
fi

run run $D/web-patched.yaml -q -o "$TMP/patched"
if [ $rc -eq 0 ] && same "$TMP/patched" "$TMP/edited"; then
    ok "a patch in the scenario (a list item by index, a null removing behavior) runs as the edited manifest"
else
    not_ok "scenario patch against the edited manifest" "rc $rc $(first_err)"
fi

run run $D/web.yaml -q -o "$TMP/set" --set $P.spec.minReplicas=3 \
    --set $P.spec.metrics.0.resource.target.averageUtilization=50 --set $P.spec.behavior=null
if [ $rc -eq 0 ] && same "$TMP/set" "$TMP/edited"; then
    ok "the same patch through --set runs as the edited manifest"
else
    not_ok "--set patch against the edited manifest" "rc $rc $(first_err)"
fi

# without the removal, the 600 s scale-down window stays: another run
run run $D/web.yaml -q -o "$TMP/keep" --set $P.spec.minReplicas=3 \
    --set $P.spec.metrics.0.resource.target.averageUtilization=50
if [ $rc -eq 0 ] && ! same "$TMP/keep" "$TMP/edited"; then
    ok "without behavior: null the manifest's scale-down window stays (another run)"
else
    not_ok "the removal made no difference" "rc $rc $(first_err)"
fi

# a sweep over a patched field: one point a value, as the edited manifest at 3
run sweep $D/web.yaml --vary $P.spec.minReplicas=2,3,4 -r 1 -q -o "$TMP/sweep"
if [ $rc -eq 0 ] && [ "$(grep -c '' "$TMP/sweep/sweep.csv")" = 4 ]; then
    ok "sweep --vary $P.spec.minReplicas=2,3,4: three points"
else
    not_ok "sweep over a patched field" "rc $rc $(first_err)"
fi

# compare --manifest: the candidate's manifest is not patched by the base's
# patch (the candidate here is the unpatched manifest, so web.yaml's run)
run compare $D/web-patched.yaml --manifest web=$D/web-hpa.yaml -q -o "$TMP/cmp"
if [ $rc -le 1 ] && same "$TMP/cmp/base" "$TMP/edited" && same "$TMP/cmp/candidate" "$TMP/base"; then
    ok "compare --manifest on a patched base: the base patched, the candidate's manifest as it is"
else
    not_ok "compare --manifest with a patch" "rc $rc $(first_err)"
fi

# bad input: exit 2, located at the patch
bad() { bad_input "$1" run "${@:2}"; } # WANT_PREFIX ARGS... (of clustersim)
bad "--set[1]:1:48: spec.minReplicas: expected an integer" run $D/web.yaml -q -o "$TMP/x" --set $P.spec.minReplicas=x
bad "--set[1]:1:44: patch.spec.metrics: the list has 1 item, no item 3" run $D/web.yaml -q -o "$TMP/x" \
    --set $P.spec.metrics.3.resource.target.averageUtilization=50
bad "--set[1]:1:31: services.web.autoscaler.patch: expected a mapping" run $D/web.yaml -q -o "$TMP/x" --set $P=5
bad "--set[1]:1:46: patch.spec.metrics.0: an item of a list cannot be removed" run $D/web.yaml -q -o "$TMP/x" \
    --set $P.spec.metrics.0=null
cat >"$TMP/threshold.yaml" <<'END'
name: threshold
duration: 1m
traffic: {rate: 10/s}
services:
  web: {autoscaler: {kind: threshold, patch: {spec: {minReplicas: 3}}}}
END
bad "$TMP/threshold.yaml:5:39: services.web.autoscaler.patch: applies to kind hpa" run "$TMP/threshold.yaml" -q -o "$TMP/x"
# a patch nested deeper than the parser allows (--set paths are not parsed
# YAML, so the merge keeps its own limit): exit 2, not a stack overflow
deep=$(printf 'a.%.0s' $(seq 2000))
bad "--set[1]:1:" run $D/web.yaml -q -o "$TMP/x" --set "$P.spec.${deep}b=1"
if grep -q "a patch nested deeper than 64 levels" "$ERR"; then
    ok "the deep patch's message says why"
else
    not_ok "deep patch message" "$(first_err | cut -c1-200)"
fi
# a field the API does not know: a warning, or with strict an error, at the patch
run run $D/web.yaml -q -o "$TMP/typo" --set $P.spec.minReplica=3
if [ $rc -eq 0 ] && grep -q '^--set\[1\]:1:36: warning: unknown field "spec.minReplica"' "$ERR"; then
    ok "an unknown field from a patch: a warning located at --set"
else
    not_ok "unknown patched field warning" "rc $rc $(first_err)"
fi
bad "--set[1]:1:36: unknown field \"spec.minReplica\"" run $D/web.yaml -q -o "$TMP/x" --set $P.spec.minReplica=3 \
    --set services.web.autoscaler.strict=true
[ ! -e "$TMP/x" ] && ok "no results written on bad input" || not_ok "results written on bad input"

finish
