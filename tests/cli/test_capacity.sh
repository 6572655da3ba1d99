#!/usr/bin/env bash
# test_capacity.sh: `clustersim capacity` (issue 13): the breaking rate of an
# M/M/c queue found within the reported interval, the bottleneck report
# naming the undersized tier of two, bad input (exit 2), output independent
# of -j, and an interrupted search resumed to the same bytes.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_capacity.sh     (from the repository root)
#
# The known answer (tests/capacity/mmc.yaml): one pod of c = 4 workers,
# exponential service of mean 10 ms (mu = 100/s per worker), Poisson
# arrivals at m x 100/s, one gate: mean wait in queue <= 5 ms. The mean
# wait of M/M/c is Erlang C: Wq(lambda) = C(c, a) / (c mu - lambda), a =
# lambda / mu, C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! +
# (a^c / c!) (c / (c - a))); it grows with lambda, and the breaking rate
# lambda* solves Wq = 5 ms. It is computed below by bisection on that
# formula (about 299/s, m* = 2.99), not taken from the program. A probe
# passes only when the whole 95% interval of the mean wait over its
# replications (900 s each after a 60 s warm-up) is below 5 ms and fails
# only when it is wholly above, so m* lies between the largest passing and
# the smallest failing multiple unless an interval misses its mean; the
# seeds are fixed, so the check is deterministic. The interval must also be
# narrow: within 5% of m* (the search stops at 2%, plus the band where 20
# replications could not decide).
set -u
. "$(dirname "$0")/lib.sh"
cli_init capacity

need_python3 "read capacity.json"
DIR=$(cd "$(dirname "$0")/../capacity" && pwd)

run capacity --help
if [ $rc -eq 0 ] && grep -q 'usage: clustersim capacity' "$OUT"; then
    ok "capacity --help: exit 0, usage"
else
    not_ok "capacity --help" "exit $rc"
fi

# Whether capacity.json ($1) holds the M/M/4 breaking multiple: Erlang C's
# mean wait Wq(lambda) for 4 workers of 100/s reaches the gate's 5 ms at
# lambda* (bisection), m* = lambda*/100, within the reported interval, which
# is at most 5% of m* wide. Prints "ok ..." or "bad ...".
erlang_verdict() {
    python3 - "$1" <<'PY'
import json, math, sys
c, mu, W = 4, 100.0, 0.005
def wq(l):
    a = l / mu
    top = a**c / math.factorial(c) * c / (c - a)
    C = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return C / (c * mu - l)
lo, hi = 1.0, c * mu * (1 - 1e-12)
for _ in range(200):
    mid = (lo + hi) / 2
    lo, hi = (mid, hi) if wq(mid) <= W else (lo, mid)
m_star = lo / 100.0
r = json.load(open(sys.argv[1]))["result"]
lp, ff = r["holds_up_to"], r["fails_by"]
ok = ff is not None and lp <= m_star <= ff and (ff - lp) <= 0.05 * m_star
print("ok" if ok else "bad", "m*=%.4f" % m_star, "interval [%s, %s]" % (lp, ff))
PY
}

# ---- the M/M/4 breaking rate (Erlang C) ------------------------------------------------------------
run capacity "$DIR/mmc.yaml" -o "$TMP/mmc" -j 2
verdict=$(erlang_verdict "$TMP/mmc/capacity.json")
if [ $rc -eq 0 ] && [ "${verdict%% *}" = ok ]; then
    ok "M/M/4, mean wait <= 5 ms: the Erlang C breaking multiple lies in the reported interval ($verdict)"
else
    not_ok "M/M/4 breaking multiple within the interval" "exit $rc" "$verdict" "$(one_line "$ERR")"
fi
if grep -q 'holds up to' "$OUT" && grep -q 'first gate to fail: mean wait' "$OUT" && [ -s "$TMP/mmc/capacity.md" ] &&
    [ ! -e "$TMP/mmc/capacity.journal" ]; then
    ok "the report says where it holds and which gate fails first; capacity.md written, the journal removed"
else
    not_ok "the terminal report and capacity.md" "$(one_line "$OUT")"
fi
run capacity "$DIR/mmc.yaml" -o "$TMP/mmc-j1" -j 1 -q
if [ $rc -eq 0 ] && cmp -s "$TMP/mmc/capacity.json" "$TMP/mmc-j1/capacity.json" &&
    cmp -s "$TMP/mmc/capacity.md" "$TMP/mmc-j1/capacity.md"; then
    ok "capacity.json and capacity.md are the same bytes with -j 1 and -j 2"
else
    not_ok "output independent of -j" "exit $rc" "$(diff "$TMP/mmc/capacity.json" "$TMP/mmc-j1/capacity.json" | head -3)"
fi

# ---- the same queue with its rate given as a profile of 100 points ----------------------------------
# 100 points of 100/s each (a profile longer than 64 points given as rates, which the traffic
# multiple once refused): the rate is the constant 100/s, so the breaking multiple is the same m*
{
    sed -n '1,/^  arrivals:/p' "$DIR/mmc.yaml" | sed -e 's/^name: mmc$/name: mmc-profile/' -e '/^  rate:/d'
    echo "  profile:"
    for i in $(seq 0 99); do echo "    - {at: $((i * 9))s, rate: 100/s}"; done
    sed -n '/^services:/,$p' "$DIR/mmc.yaml"
} >"$TMP/mmc-profile.yaml"
run capacity "$TMP/mmc-profile.yaml" -o "$TMP/prof" -j 2 -q
verdict=$(erlang_verdict "$TMP/prof/capacity.json")
if [ $rc -eq 0 ] && [ "${verdict%% *}" = ok ]; then
    ok "a 100-point profile of 100/s: the Erlang C breaking multiple lies in the reported interval ($verdict)"
else
    not_ok "the traffic multiple of a 100-point profile" "exit $rc" "$verdict" "$(one_line "$ERR")"
fi

# ---- --metric PATH: the same queue at 100/s, searching the mean service time ------------------------
# Wq at lambda = 100/s as a function of the mean service time s (mu = 1/s); the breaking s* solves
# Wq = 5 ms (about 25 ms), computed from the same formula
run capacity "$DIR/mmc.yaml" --metric services.web.service_time.mean --range 0.002..0.039 -o "$TMP/svc" -j 2 -q
verdict=$(python3 - "$TMP/svc/capacity.json" <<'PY'
import json, math, sys
c, lam, W = 4, 100.0, 0.005
def wq(s):
    a = lam * s
    top = a**c / math.factorial(c) * c / (c - a)
    C = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return C / (c / s - lam)
lo, hi = 1e-6, c / lam * (1 - 1e-12)
for _ in range(200):
    mid = (lo + hi) / 2
    lo, hi = (mid, hi) if wq(mid) <= W else (lo, mid)
d = json.load(open(sys.argv[1]))
r = d["result"]
lp, ff = r["holds_up_to"], r["fails_by"]
ok = d["metric"]["kind"] == "number" and ff is not None and lp <= lo <= ff and (ff - lp) <= 0.05 * lo
print("ok" if ok else "bad", "s*=%.5f" % lo, "interval [%s, %s]" % (lp, ff))
PY
)
if [ $rc -eq 0 ] && [ "${verdict%% *}" = ok ]; then
    ok "--metric services.web.service_time.mean: the Erlang C breaking service time lies in the interval ($verdict)"
else
    not_ok "--metric PATH search" "exit $rc" "$verdict" "$(one_line "$ERR")"
fi

# the same search with the range in the key's unit (as --vary takes it): 2ms..39ms, values in ms
run capacity "$DIR/mmc.yaml" --metric services.web.service_time.mean --range 2ms..39ms -o "$TMP/svc-ms" -j 2 -q
verdict=$(python3 - "$TMP/svc/capacity.json" "$TMP/svc-ms/capacity.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
lp, ff = b["result"]["holds_up_to"], b["result"]["fails_by"]
# the bare-number search above found s* (Erlang C) in its interval; in ms the interval is 1000 times it
ok = b["metric"].get("unit") == "ms" and ff is not None and \
     abs(lp - 1000 * a["result"]["holds_up_to"]) < 1e-9 and abs(ff - 1000 * a["result"]["fails_by"]) < 1e-9
print("ok" if ok else "bad", "interval [%s, %s] ms" % (lp, ff))
PY
)
if [ $rc -eq 0 ] && [ "${verdict%% *}" = ok ]; then
    ok "--range 2ms..39ms: the interval of the bare-number search, in ms ($verdict)"
else
    not_ok "--range with units" "exit $rc" "$verdict" "$(one_line "$ERR")"
fi

# ---- a key whose growth helps: the smallest concurrency c that meets the gate ----------------------
# At lambda = 350/s the M/M/c mean wait (Erlang C, as above, mu = 100/s) is unbounded for c <= 3,
# about 14.8 ms at c = 4 and 2.5 ms at c = 5: the gate (<= 5 ms) fails at LO = 1 and holds at HI = 16,
# so the answer is the smallest passing c, c* computed here; concurrency takes integers, so the
# interval must be exact: c* - 1 fails, c* passes.
run capacity "$DIR/mmc.yaml" --metric services.web.concurrency --range 1..16 --set traffic.rate=350/s \
    -o "$TMP/conc" -j 2
verdict=$(python3 - "$TMP/conc/capacity.json" <<'PY'
import json, math, sys
lam, mu, W = 350.0, 100.0, 0.005
def wq(c):
    a = lam / mu
    if a >= c:
        return math.inf
    top = a**c / math.factorial(c) * c / (c - a)
    C = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return C / (c * mu - lam)
c_star = min(c for c in range(1, 17) if wq(c) <= W)
d = json.load(open(sys.argv[1]))
r = d["result"]
ok = (d["metric"]["kind"] == "integer" and r.get("bound") == "smallest_passing" and
      r.get("holds_down_to") == c_star and r.get("fails_by") == c_star - 1)
print("ok" if ok else "bad", "c*=%d" % c_star, "result %s" % r)
PY
)
if [ $rc -eq 0 ] && [ "${verdict%% *}" = ok ] && grep -q "the smallest value at which every SLO holds: " "$OUT"; then
    ok "--metric services.web.concurrency at 350/s: the smallest c meeting the gate is Erlang C's ($verdict)"
else
    not_ok "the smallest passing concurrency" "exit $rc" "$verdict" "$(one_line "$ERR")"
fi

# Downward with no value failing surely (the gate's own threshold, whose lower values the noise of
# 600 s cannot tell from the mean wait): the bottlenecks are read at the undecided value nearest the
# failing side, the band's lower end, not the one beside the pass (which it once took)
run capacity "$DIR/mmc.yaml" --metric slo.0.threshold --range 14.5..40 --set traffic.rate=350/s --duration 600s \
    -o "$TMP/down-unsure" -j 2 -q
at=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["result"]; b=d["bottlenecks"]
print("ok" if r["bound"] == "smallest_passing" and r["fails_by"] is None and r["unsure"] and
      b["at"] == min(r["unsure"]) and b["last_pass"] == r["holds_down_to"] else "bad", r, b["at"])' \
    "$TMP/down-unsure/capacity.json" 2>&1)
if [ $rc -eq 0 ] && [ "${at%% *}" = ok ]; then
    ok "downward, nothing failing surely: the bottlenecks at the undecided end nearest failing"
else
    not_ok "downward bottlenecks without a sure fail" "exit $rc" "$at"
fi

# ---- the bottleneck: the undersized tier of two ---------------------------------------------------
run capacity "$DIR/two-tier.yaml" -o "$TMP/two" -j 2
first=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["bottlenecks"]; c=b["components"]; print(c[0]["component"], c[0]["lead"], b["lead_apart"])' \
    "$TMP/two/capacity.json" 2>&1)
if [ $rc -eq 0 ] && [ "$first" = "services.back services.back.utilization True" ]; then
    ok "two tiers, the back one undersized: the first bottleneck is services.back (its utilisation)"
else
    not_ok "the bottleneck report names the undersized tier" "exit $rc" "$first" "$(one_line "$ERR")"
fi

# The same with a CPU request of 500m and a limit of 2 on the back tier: its
# cpu_utilization (CPU used over requested) reaches about 3.5, which is
# 3.5 x 500m / 2 = 0.875 of the limit. The score of a CPU signal is the share
# of the limit (the service model's request / limit, through
# station_kind_t.limits), so the back's score must be the larger of its
# utilisation and cpu_utilization x 0.25, not cpu_utilization itself.
sed -e 's/^name: two-tier$/name: two-tier-cpu/' \
    -e '/^  back:$/,$ s/^    service_time: {dist: exponential, mean: 10ms}$/&\n    resources: {requests: {cpu: 500m}, limits: {cpu: "2"}}/' \
    "$DIR/two-tier.yaml" >"$TMP/two-cpu.yaml"
run capacity "$TMP/two-cpu.yaml" -o "$TMP/two-cpu" -j 2 -r 3 --tolerance 10%
check=$(python3 - "$TMP/two-cpu/capacity.json" <<'PY' 2>&1
import json, sys
comps = json.load(open(sys.argv[1]))["bottlenecks"]["components"]
back = [c for c in comps if c["component"] == "services.back"][0]
sig = {s["path"]: s["at"]["value"] for s in back["signals"]}
cpu = sig.get("services.back.cpu_utilization")
want = max(sig["services.back.utilization"], cpu * 500 / 2000)
print("ok" if cpu and cpu > 1 and abs(back["score"] - want) < 1e-9 else "score %r, cpu %r, want %r" % (back["score"], cpu, want))
PY
)
if [ $rc -eq 0 ] && [ "$check" = ok ]; then
    ok "a CPU signal is scored as a share of the limit (request 500m / limit 2, from the service model)"
else
    not_ok "a CPU signal is scored as a share of the limit" "exit $rc" "$check" "$(one_line "$ERR")"
fi

# ---- bad input ------------------------------------------------------------------------------------
expect2() { # DESCRIPTION PATTERN ARGS...
    local what=$1 pat=$2
    shift 2
    run capacity "$@"
    if [ $rc -eq 2 ] && grep -q -- "$pat" "$ERR"; then
        ok "$what: exit 2, '$pat'"
    else
        not_ok "$what: exit 2" "exit $rc" "$(one_line "$ERR")"
    fi
}
# a path that is not a numeric key is said of --metric, at the path's column
# (it was said of --range, as if the range's start were refused)
expect2 "an unknown --metric key" "^--metric:1:14: services.web: unknown key 'nope'" "$DIR/mmc.yaml" \
    --metric services.web.nope --range 1..2 -o "$TMP/bad"
expect2 "an unknown --metric key of traffic" "^--metric:1:9: traffic: unknown key 'nope'" "$DIR/mmc.yaml" \
    --metric traffic.nope --range 1..2 -o "$TMP/bad"
expect2 "an unknown top-level --metric key" "^--metric:1:1: unknown key 'foo'" "$DIR/mmc.yaml" --metric foo.bar \
    --range 1..2 -o "$TMP/bad"
expect2 "a --metric path naming a mapping" "^--metric:1:14: services.web: expected a mapping" "$DIR/mmc.yaml" \
    --metric services.web --range 1..2 -o "$TMP/bad"
expect2 "a --metric path naming no component" "not a key of" "$DIR/mmc.yaml" --metric services.wbe.replicas \
    --range 1..2 -o "$TMP/bad"
expect2 "an empty range" "--range:1:1: the range 4..1 is empty" "$DIR/mmc.yaml" --range 4..1 -o "$TMP/bad"
expect2 "a range where everything holds" "still holds at HI = 1" "$DIR/mmc.yaml" --range 0.5..1 -o "$TMP/bad1"
expect2 "a range where everything fails" "fail already at LO = 3.5" "$DIR/mmc.yaml" --range 3.5..8 -o "$TMP/bad2"
if [ ! -e "$TMP/bad1/capacity.journal" ] && [ ! -e "$TMP/bad2/capacity.journal" ]; then
    ok "a search whose range does not bracket the answer leaves no journal behind"
else
    not_ok "no journal after a range error" "$(ls "$TMP/bad1" "$TMP/bad2")"
fi
# a service time of 1 s or 2 s at 100/s on 4 workers: nothing completes at either end
expect2 "a range overloaded at both ends" \
    "overloaded: nothing completed at LO = 1 (gate 'mean wait' has no sample in 5 replications)" \
    "$DIR/mmc.yaml" --metric services.web.service_time --range 1..2 -o "$TMP/bad3"
expect2 "a key whose growth helps, holding at both ends" "give a higher HI (if the gates hold below the answer) or a lower LO" \
    "$DIR/mmc.yaml" --metric services.web.concurrency --range 2..64 -o "$TMP/bad4"
expect2 "--metric without --range" "needs a --range" "$DIR/mmc.yaml" --metric services.web.concurrency
# a range's end that gives a value the key refuses is said of --range, at that
# end (it was labelled --metric:1:14, a column of the generated override)
expect2 "a range whose end the key refuses" \
    "^--range:1:4: the range's end, 20000, gives a value the scenario refuses: services.web.replicas: '20000' is out of range" \
    "$DIR/mmc.yaml" --metric services.web.replicas --range 1..20000 -o "$TMP/bad"
expect2 "a scenario without slo:" "no \`slo:\` gates" "$DIR/mmc.yaml" --set 'slo=[]' -o "$TMP/bad"
# the message states the true minimum (it said "from 1 to 10000", then refused 1)
expect2 "one replication" "--replications: expected an integer from 2 to 10000" "$DIR/mmc.yaml" -r 1
expect2 "no replications" "--replications: expected an integer from 2 to 10000" "$DIR/mmc.yaml" -r 0
expect2 "a unit the key refuses: the message quotes the range's start as written" \
    "^--range:1:1: the range's start, 1x, gives a value the scenario refuses" "$DIR/mmc.yaml" \
    --metric services.web.concurrency --range 1x..8x
expect2 "a range with two units, said at HI" "^--range:1:6: LO and HI must have the same unit" "$DIR/mmc.yaml" \
    --metric services.web.service_time.mean --range 2ms..1s

# ---- interrupted, then --resume --------------------------------------------------------------------
SLOW=(capacity "$DIR/mmc.yaml" -j 1 -q)
lines_in() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
D=$TMP/int
"$CLUSTERSIM" "${SLOW[@]}" -o "$D" >/dev/null 2>"$TMP/int.err" &
pid=$!
wait_lines "$D/capacity.journal" 12 500 0.01
kill -s KILL $pid
wait $pid 2>/dev/null
irc=$?
n=$(lines_in "$D/capacity.journal")
[ -e "$D/capacity.json" ] && n=0 # the search was not interrupted
printf '2.5\t3\t0.1 0.2' >>"$D/capacity.journal" # a line cut by a crash: dropped
run "${SLOW[@]}" -o "$D"
rc_noresume=$rc
run "${SLOW[@]}" -o "$D" --seed 12 --resume
rc_other=$rc
run "${SLOW[@]}" -o "$D" --resume
if [ $irc -eq 137 ] && [ "$n" -ge 12 ] && [ $rc_noresume -eq 2 ] && [ $rc_other -eq 2 ] &&
    [ $rc -eq 0 ] && cmp -s "$D/capacity.json" "$TMP/mmc-j1/capacity.json" && cmp -s "$D/capacity.md" "$TMP/mmc-j1/capacity.md"; then
    ok "killed after $((n - 1)) replications: without --resume or with another seed exit 2; --resume gives the uninterrupted bytes"
else
    not_ok "kill, then --resume" "kill exit $irc, $n lines, no-resume $rc_noresume, other seed $rc_other, resume $rc" \
        "$(one_line "$ERR")" "$(diff "$D/capacity.json" "$TMP/mmc-j1/capacity.json" 2>&1 | head -3)"
fi

finish
