#!/usr/bin/env bash
# test_slo.sh: `slo:` gates are evaluated by `run`: each verdict in
# summary.json's slo[] is its operator applied to the value summary.json
# holds at its path (checked here independently, in Python), the table
# prints them, and a gate naming a path the scenario does not write is an
# input error (exit 2) located at the path and listing the nearest ones.
set -u
. "$(dirname "$0")/lib.sh"
cli_init slo
BASE=tests/slo/base.yaml
OUT=$TMP/out
table=$("$CLUSTERSIM" run "$BASE" -o "$OUT" 2>&1)
if python3 - "$OUT/summary.json" <<'PY'
import json, operator, sys
d = json.load(open(sys.argv[1]))
ops = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
def at(path):
    v = d
    for k in path.split("."):
        v = v[k]
    return v
want = {"p99-under-200": True, "no-errors": True, "p50-over-150": False, "busy-above-half": False}
for g in d["slo"]:
    v = at(g["metric"])
    assert g["value"] == v, (g, v)
    assert g["pass"] == ops[g["op"]](v, g["threshold"]), g
    assert g["pass"] == want[g["name"]], g
assert [g["name"] for g in d["slo"]] == list(want)
PY
then ok "slo[]: each verdict is its operator on the value at its path, as constructed"
else not_ok "slo[]: each verdict is its operator on the value at its path, as constructed"; fi
if printf '%s\n' "$table" | grep -q '^2 of 4 SLOs met$' && printf '%s\n' "$table" | grep -q '^p50-over-150 .* FAIL$'; then
    ok "the table prints each verdict and the count met"
else
    not_ok "the table prints each verdict and the count met" "$table"
fi
sed 's/services.web.latency_ms.p99/services.web.latency.p99/' "$BASE" >"$TMP/bad.yaml"
err=$("$CLUSTERSIM" validate "$TMP/bad.yaml" 2>&1 >/dev/null); rc=$?
if [ "$rc" = 2 ] && printf '%s' "$err" | grep -qF "bad.yaml:9:35: slo[0].metric: 'services.web.latency.p99' is not a path of this scenario's summary.json (nearest: services.web.latency_ms.p99"; then
    ok "a path the scenario does not write: exit 2, located, nearest paths"
else
    not_ok "a path the scenario does not write: exit 2, located, nearest paths" "exit $rc: $err"
fi
sed 's/op: ">="/op: "=>"/' "$BASE" >"$TMP/bad2.yaml"
err=$("$CLUSTERSIM" validate "$TMP/bad2.yaml" 2>&1 >/dev/null); rc=$?
if [ "$rc" = 2 ] && printf '%s' "$err" | grep -q "bad2.yaml:12:.*op"; then ok "an unknown operator: exit 2, located"
else not_ok "an unknown operator: exit 2, located" "exit $rc: $err"; fi
finish
