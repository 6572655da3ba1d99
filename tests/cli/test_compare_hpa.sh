#!/usr/bin/env bash
# test_compare_hpa.sh: issue 9's "the plan's HPA vs a 60 s scale-down
# window" comparison, on a load that makes the HPA scale up and back down
# within a short run (tests/compare/hpa-rise-fall.yaml: the plan's
# api-gateway behind scenarios/manifests/api-gateway-hpa.yaml, 300/s ->
# 1200/s -> 300/s). The candidate is the same manifest with
# behavior.scaleDown.stabilizationWindowSeconds 60 instead of 300
# (tests/compare/api-gateway-hpa-scaledown60.yaml).
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_compare_hpa.sh     (from the repository root)
#
# What is pinned comes from the construction, not from an output:
# - Scale-up is the same in both (the scale-up behaviour is untouched, and a
#   scale-down window acts only on recommendations below the current count),
#   so both reach the Pods metric's 1200/100 = 12 pods. After the fall at
#   330 s the recommendation drops to 3; the 300 s window holds the highest
#   recommendation of the last 5 minutes, the 60 s one of the last minute,
#   so the candidate starts scaling down about 240 s earlier and runs fewer
#   pods from then on. With common random numbers the arrivals are the same
#   in both, so every paired pod_hours difference is negative and its 95%
#   interval lies entirely below 0. Its size, by hand: 240 s earlier times
#   about 12 - 3 = 9 pods is about 0.6 pod-hours, less where the base too
#   has begun to scale down before the end (14 min): the test asks for
#   between 0.2 and 1.5 pod-hours, the hand figure within a factor of 3.
# - Latency: after the fall the candidate's 300/s is served by fewer pods,
#   each at a higher utilisation (3 pods at 100/s each instead of 12 at
#   25/s), so queueing can only add waiting: the paired p95/p99 difference
#   is >= 0, or at most within its interval of 0. With a 1 ms service time
#   and 64 workers a pod is about 10% busy even at 100/s, so the effect is
#   small (a few percent of p99 at most) and may be inside the histogram's
#   resolution: the test asks that an interval is reported and that the
#   mean difference is not negative beyond it (diff + half-width >= 0).
set -u
. "$(dirname "$0")/lib.sh"
cli_init compare-hpa

need_python3 "read compare.json"

DIR=$(cd "$(dirname "$0")/../compare" && pwd)
SCEN=$DIR/hpa-rise-fall.yaml
VARIANT=$DIR/api-gateway-hpa-scaledown60.yaml
PLAN=$DIR/../../scenarios/manifests/api-gateway-hpa.yaml

# ---- the variant is the plan's manifest with one number changed ------------------------

if diff "$PLAN" "$VARIANT" >"$TMP/diff" 2>&1; [ $? -eq 1 ] &&
    [ "$(grep -c '^[<>]' "$TMP/diff")" -eq 2 ] &&
    grep -q '^<  *stabilizationWindowSeconds: 300$' "$TMP/diff" &&
    grep -q '^>  *stabilizationWindowSeconds: 60$' "$TMP/diff" &&
    grep -A2 '^    scaleDown:' "$PLAN" | grep -q 'stabilizationWindowSeconds: 300'; then
    ok "the variant differs from the plan's HPA only in scaleDown's window, 300 s -> 60 s"
else
    not_ok "the variant differs from the plan's HPA only in scaleDown's window, 300 s -> 60 s" "$(one_line "$TMP/diff")"
fi

# ---- the comparison ------------------------------------------------------------------

R=5
run compare "$SCEN" --manifest "api-gateway=$VARIANT" -r $R -o "$TMP/cmp"
if [ $rc -eq 0 ] && [ -f "$TMP/cmp/compare.json" ]; then
    ok "compare the plan's HPA with the 60 s window, $R replications: exit 0, compare.json"
else
    not_ok "compare the plan's HPA with the 60 s window, $R replications: exit 0, compare.json" "exit $rc" "$(first_err)"
    finish
fi

check() { # $1: what to check, read from compare.json by the Python below
    python3 - "$TMP/cmp/compare.json" "$1" "$R" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
what, R = sys.argv[2], int(sys.argv[3])
m = {x["metric"]: x for x in d["metrics"]}
assert d["identical"] is False and d["replications"] == R
def get(path):
    x = m[path]
    assert x["pairs"] == R and x["diff"] is not None and x["diff_ci95"] is not None, x
    return x
if what == "pod_hours":
    x = get("services.api-gateway.pod_hours")
    lo, hi = x["diff"] - x["diff_ci95"], x["diff"] + x["diff_ci95"]
    assert hi < 0, ("interval not below 0", x)
    assert 0.2 <= -x["diff"] <= 1.5, ("not the hand estimate's size", x)
    r = get("services.api-gateway.replicas.mean")
    assert r["diff"] + r["diff_ci95"] < 0, r
elif what == "scale_up":
    x = get("services.api-gateway.replicas.max")
    assert x["base"] >= 10 and x["candidate"] >= 10, ("no scale-up to ~12 pods", x)
    y = get("services.api-gateway.scale_up_response_s")
    assert y["diff"] == 0 and y["diff_ci95"] == 0, y
elif what == "latency":
    for p in ("latency_ms.p95", "latency_ms.p99",
              "services.api-gateway.latency_ms.p95", "services.api-gateway.latency_ms.p99"):
        x = get(p)
        assert x["diff_ci95"] > 0, ("no interval", x)   # a percentile's interval has the histogram floor
        assert x["diff"] + x["diff_ci95"] >= 0, ("latency fell beyond its interval", x)
        assert abs(x["diff_pct"]) < 10, ("a latency effect too large for a ~10%-busy pod", x)
else:
    raise SystemExit("unknown check " + what)
PY
}

if check pod_hours 2>"$TMP/py"; then
    ok "services.api-gateway.pod_hours: fewer with the 60 s window, the 95% interval of the paired difference below 0, 0.2-1.5 pod-hours"
else
    not_ok "services.api-gateway.pod_hours: fewer with the 60 s window, the 95% interval of the paired difference below 0, 0.2-1.5 pod-hours" "$(tail -n 1 "$TMP/py")"
fi
if check scale_up 2>"$TMP/py"; then
    ok "scale-up unchanged: both reach >= 10 pods, scale_up_response_s difference exactly 0"
else
    not_ok "scale-up unchanged: both reach >= 10 pods, scale_up_response_s difference exactly 0" "$(tail -n 1 "$TMP/py")"
fi
if check latency 2>"$TMP/py"; then
    ok "latency p95/p99: intervals reported; the difference is not negative beyond its interval, and under 10%"
else
    not_ok "latency p95/p99: intervals reported; the difference is not negative beyond its interval, and under 10%" "$(tail -n 1 "$TMP/py")"
fi
if grep -Eq '^services\.api-gateway\.pod_hours +[0-9.]+ +[0-9.]+ +-[0-9.]+ +-[0-9.]+% +\[-[0-9.]+, -[0-9.]+\]' "$OUT"; then
    ok "the table's pod_hours row: a negative difference with an interval of two negative ends"
else
    not_ok "the table's pod_hours row: a negative difference with an interval of two negative ends" "$(grep pod_hours "$OUT")"
fi

# ---- as a gate ------------------------------------------------------------------------
# pod_hours' worse direction is up, so a 0% limit on it passes (the
# candidate is cheaper) and exit stays 0.
run compare "$SCEN" --manifest "api-gateway=$VARIANT" -r 3 -q --max-regression services.api-gateway.pod_hours=0,latency_ms.p99=10
if [ $rc -eq 0 ] && grep -q '^2 of 2 limits pass' "$OUT"; then
    ok "--max-regression pod_hours=0,latency_ms.p99=10: both pass (fewer pod-hours, latency within 10%), exit 0"
else
    not_ok "--max-regression pod_hours=0,latency_ms.p99=10: both pass (fewer pod-hours, latency within 10%), exit 0" "exit $rc" "$(one_line "$OUT")"
fi

finish
