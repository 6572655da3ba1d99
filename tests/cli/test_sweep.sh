#!/usr/bin/env bash
# test_sweep.sh: `clustersim sweep` (issue 9, item 4): the grid's shape,
# a varied parameter moving a metric the way queueing theory says, output
# independent of -j, Ctrl-C and kill -9 leaving whole rows only, --resume
# giving the bytes of an uninterrupted sweep, another grid refused, bad
# --vary inputs located, sweep.json readable.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_sweep.sh     (from the repository root)
#
# No number is copied from an output. The direction check is M/M/c: one pod
# with c workers, arrivals 15/s, exponential service of mean 50 ms (offered
# load 0.75 Erlang). With c = 1 the queue is at rho = 0.75 (sojourn mean
# 1/(mu - lambda) = 200 ms, its p99 near 920 ms); c = 2 and c = 4 cut the
# waiting to a few ms (Erlang C 0.2 and 0.004), so p99 falls towards the
# service time's p99 (230 ms): strictly from c = 1 to c = 2, and c = 4 is no
# worse than c = 2 (the same arrivals and services at every point: common
# random numbers). Error rates are 0 (no queue limit is reached).
set -u
. "$(dirname "$0")/lib.sh"
cli_init sweep

need_python3 "read sweep.csv and sweep.json"

MMC=$TMP/mmc.yaml
cat >"$MMC" <<'EOF'
name: mmc
seed: 5
duration: 2000s
warmup: 100s
traffic: {rate: 15/s, arrivals: poisson}
services:
  web: {replicas: 1, concurrency: 1, queue_capacity: 100000, service_time: {dist: exponential, mean: 50ms}}
slo:
  - {name: p99, metric: latency_ms.p99, op: "<", threshold: 500}
EOF

# ---- help --------------------------------------------------------------------------------

run sweep --help
if [ $rc -eq 0 ] && grep -q '^usage: clustersim sweep SCENARIO.yaml --vary' "$OUT" &&
    "$CLUSTERSIM" --help | grep -q '^  sweep SCENARIO.yaml'; then
    ok "sweep --help, and clustersim --help lists sweep"
else
    not_ok "sweep --help, and clustersim --help lists sweep" "exit $rc" "$(one_line "$OUT")"
fi

# ---- the grid's shape ------------------------------------------------------------------------

run sweep "$MMC" --vary services.web.concurrency=1,2,4 --vary traffic.rate=10..15:5 -r 2 -o "$TMP/grid" -q
shape=$(python3 - "$TMP/grid/sweep.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
h, body = rows[0], rows[1:]
ok = (h[:3] == ["point", "services.web.concurrency", "traffic.rate"]
      and len(body) == 6
      and [r[0] for r in body] == [str(i) for i in range(6)]
      # the first --vary varies slowest
      and [(r[1], r[2]) for r in body] == [(c, t) for c in ("1", "2", "4") for t in ("10", "15")]
      and all(len(r) == len(h) for r in body)
      and "latency_ms.p99" in h and "latency_ms.p99_ci95" in h
      and h[-3:] == ["slo.p99.value", "slo.p99.value_ci95", "slo.p99.pass"]
      and all(r[-1] in ("true", "false") for r in body))
print("ok" if ok else "bad: %s / %d rows" % (h[:4], len(body)))
PY
)
if [ $rc -eq 0 ] && [ "$shape" = ok ] && [ ! -e "$TMP/grid/sweep.csv.partial" ]; then
    ok "3 x 2 grid: 6 rows in grid order (first --vary slowest), every column, slo value/ci95/pass"
else
    not_ok "3 x 2 grid: 6 rows in grid order" "exit $rc: $shape" "$(one_line "$ERR")"
fi

# ---- the direction: more workers, lower p99 ----------------------------------------------------

direction=$(python3 - "$TMP/grid/sweep.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
p99 = {(r["services.web.concurrency"], r["traffic.rate"]): float(r["latency_ms.p99"]) for r in rows}
ok = True
for t in ("10", "15"):
    ok = ok and p99[("1", t)] > p99[("2", t)] >= p99[("4", t)]
# and more traffic on one worker waits longer
ok = ok and p99[("1", "15")] > p99[("1", "10")]
ok = ok and all(float(r["requests.error_rate"]) == 0 for r in rows)
print("ok" if ok else "bad: %s" % p99)
PY
)
if [ "$direction" = ok ]; then
    ok "M/M/c: p99 falls from c=1 to c=2 and c=4 is no worse; more traffic on c=1 raises it"
else
    not_ok "M/M/c direction" "$direction"
fi

# ---- -j 1 and -j 2 give the same bytes -----------------------------------------------------------

run sweep "$MMC" --vary services.web.concurrency=1,2,4 --vary traffic.rate=10..15:5 -r 2 -o "$TMP/j1" -j 1 -q
rc1=$rc
run sweep "$MMC" --vary services.web.concurrency=1,2,4 --vary traffic.rate=10..15:5 -r 2 -o "$TMP/j2" -j 2 -q
if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$TMP/j1/sweep.csv" "$TMP/j2/sweep.csv" &&
    cmp -s "$TMP/j1/sweep.json" "$TMP/j2/sweep.json" && cmp -s "$TMP/j1/sweep.csv" "$TMP/grid/sweep.csv"; then
    ok "-j 1, -j 2 and the default give byte-identical sweep.csv and sweep.json"
else
    not_ok "-j 1 and -j 2 byte-identical" "exits $rc1 $rc" "$(diff "$TMP/j1/sweep.csv" "$TMP/j2/sweep.csv" | head -3)"
fi

# ---- the default directory; --resume with nothing to resume starts afresh ------------------------

mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && "$CLUSTERSIM" sweep "$MMC" --duration 200s --vary traffic.rate=5,6 --resume >"$OUT" 2>"$ERR")
rc=$?
if [ $rc -eq 0 ] && [ -f "$TMP/cwd/results/sweep-mmc/sweep.csv" ] && [ -f "$TMP/cwd/results/sweep-mmc/sweep.json" ] &&
    grep -q 'results/sweep-mmc/sweep.csv' "$OUT"; then
    ok "no -o: results/sweep-NAME; --resume of nothing is a fresh sweep"
else
    not_ok "the default directory results/sweep-NAME" "exit $rc" "$(one_line "$ERR")"
fi

# ---- sweep.json ------------------------------------------------------------------------------------

json=$(python3 - "$TMP/grid/sweep.json" "$TMP/grid/sweep.csv" <<'PY'
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
ok = (d["schema"] == "clustersim.sweep/v1" and d["scenario"] == "mmc" and d["replications"] == 2
      and [a["path"] for a in d["grid"]] == ["services.web.concurrency", "traffic.rate"]
      and d["grid"][0]["values"] == [1, 2, 4] and d["grid"][1]["values"] == [10, 15]
      and len(d["results"]) == 6 and len(d["id"]) == 16)
for r, p in zip(rows, d["results"]):
    m = p["metrics"]["latency_ms.p99"]
    ok = ok and m["value"] == float(r["latency_ms.p99"]) and m["ci95"] == float(r["latency_ms.p99_ci95"])
    ok = ok and p["values"]["services.web.concurrency"] == int(r["services.web.concurrency"])
    ok = ok and p["slo"][0]["name"] == "p99" and p["slo"][0]["pass"] == (r["slo.p99.pass"] == "true")
print("ok" if ok else "bad")
PY
)
if [ "$json" = ok ]; then
    ok "sweep.json parses: schema, grid, one result per point with the CSV's numbers"
else
    not_ok "sweep.json parses and agrees with sweep.csv" "$json"
fi

# ---- units as --set takes them; one replication has no _ci95 ---------------------------------------

run sweep "$MMC" --vary services.web.service_time.mean=20ms..40ms:10ms --duration 500s -o "$TMP/units" -q
if [ $rc -eq 0 ] && head -n 1 "$TMP/units/sweep.csv" | grep -qv '_ci95' &&
    [ "$(cut -d, -f2 "$TMP/units/sweep.csv" | tr '\n' ' ')" = "services.web.service_time.mean 20ms 30ms 40ms " ]; then
    ok "a range with a unit (20ms..40ms:10ms) gives 20ms, 30ms, 40ms; R = 1: no _ci95 columns"
else
    not_ok "a range with a unit" "exit $rc" "$(one_line "$TMP/units/sweep.csv")" "$(one_line "$ERR")"
fi

# ---- interrupted, then --resume ----------------------------------------------------------------------

# 8 points of about 0.2 s each, one at a time: long enough to stop in the middle
LOUD=(sweep "$MMC" --duration 20000s --vary traffic.rate=10,11,12,13,14,15,16,17 -j 1)
SLOW=("${LOUD[@]}" -q)
"$CLUSTERSIM" "${SLOW[@]}" -o "$TMP/whole" >/dev/null 2>&1
rc_whole=$?

rows_in() { # rows (lines after the two header lines) of a journal, 0 when absent
    if [ -f "$1" ]; then echo $(($(wc -l <"$1") - 2)); else echo 0; fi
}

# whole_lines JOURNAL: every line ends with a newline and has the header's field count
whole_lines() {
    python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
ok = data.endswith(b"\n") and lines[0].startswith(b"# clustersim sweep journal v1 id=")
n = lines[1].count(b",")
ok = ok and all(l.count(b",") == n for l in lines[1:-1])
print("ok" if ok else "bad")
PY
}

# interrupt DIR SIGNAL: starts the slow sweep, sends SIGNAL once two rows are journaled.
# A background job of a script starts with SIGINT ignored (and clustersim keeps
# an ignored signal ignored, as nohup wants): python puts Ctrl-C's default back.
interrupt() {
    python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$CLUSTERSIM" "${SLOW[@]}" -o "$1" >/dev/null 2>"$TMP/int.err" &
    local pid=$! i
    for i in $(seq 1 300); do
        [ "$(rows_in "$1/sweep.csv.partial")" -ge 2 ] && break
        sleep 0.02
    done
    kill -s "$2" $pid
    wait $pid 2>/dev/null
    irc=$?
}

for sig in INT KILL; do
    D=$TMP/int-$sig
    interrupt "$D" $sig
    n=$(rows_in "$D/sweep.csv.partial")
    want=$([ $sig = INT ] && echo 130 || echo 137)
    if [ $rc_whole -eq 0 ] && [ $irc -eq $want ] && [ ! -e "$D/sweep.csv" ] && [ "$n" -ge 2 ] && [ "$n" -lt 8 ] &&
        [ "$(whole_lines "$D/sweep.csv.partial")" = ok ]; then
        ok "SIG$sig mid-sweep: exit $want, no sweep.csv, the journal holds $n whole rows of 8"
    else
        not_ok "SIG$sig mid-sweep leaves whole rows" "exit $irc (want $want), $n rows" "$(one_line "$TMP/int.err")"
    fi
    run "${SLOW[@]}" -o "$D" --resume
    if [ $rc -eq 0 ] && cmp -s "$D/sweep.csv" "$TMP/whole/sweep.csv" && cmp -s "$D/sweep.json" "$TMP/whole/sweep.json" &&
        [ ! -e "$D/sweep.csv.partial" ]; then
        ok "--resume after SIG$sig: sweep.csv and sweep.json equal an uninterrupted sweep's, byte for byte"
    else
        not_ok "--resume after SIG$sig gives the uninterrupted bytes" "exit $rc" "$(one_line "$ERR")" \
            "$(diff "$D/sweep.csv" "$TMP/whole/sweep.csv" 2>&1 | head -3)"
    fi
done

# a journal cut in the middle of a line (a crash of the machine): the piece is dropped
D=$TMP/cut
interrupt "$D" KILL
printf '5,15,0.1' >>"$D/sweep.csv.partial"
run "${SLOW[@]}" -o "$D" --resume
if [ $rc -eq 0 ] && cmp -s "$D/sweep.csv" "$TMP/whole/sweep.csv"; then
    ok "--resume drops a last line without its newline and still gives the uninterrupted bytes"
else
    not_ok "--resume with a cut last line" "exit $rc" "$(one_line "$ERR")"
fi

# another grid, another seed, or no --resume, on an unfinished sweep: refused
D=$TMP/other
interrupt "$D" INT
cp "$D/sweep.csv.partial" "$TMP/journal.before"
run sweep "$MMC" --duration 20000s --vary traffic.rate=10,11,12 -j 1 -q -o "$D" --resume
if [ $rc -eq 2 ] && grep -q 'belongs to another sweep' "$ERR" && cmp -s "$D/sweep.csv.partial" "$TMP/journal.before"; then
    ok "--resume with another grid: exit 2, 'belongs to another sweep', the journal untouched"
else
    not_ok "--resume with another grid: exit 2" "exit $rc" "$(one_line "$ERR")"
fi
run "${SLOW[@]}" -o "$D" --resume --seed 6
if [ $rc -eq 2 ] && grep -q 'belongs to another sweep' "$ERR"; then
    ok "--resume with another --seed: exit 2"
else
    not_ok "--resume with another --seed: exit 2" "exit $rc" "$(one_line "$ERR")"
fi
run "${SLOW[@]}" -o "$D"
if [ $rc -eq 2 ] && grep -q 'unfinished sweep.*--resume' "$ERR" && cmp -s "$D/sweep.csv.partial" "$TMP/journal.before"; then
    ok "an unfinished sweep's directory without --resume: exit 2, pointing to --resume"
else
    not_ok "an unfinished sweep without --resume: exit 2" "exit $rc" "$(one_line "$ERR")"
fi

# a finished sweep: --resume has nothing to do; another grid is refused
run "${SLOW[@]}" -o "$TMP/whole" --resume
rc_same=$rc
run sweep "$MMC" --duration 20000s --vary traffic.rate=10,11 -o "$TMP/whole" --resume
if [ $rc_same -eq 0 ] && [ $rc -eq 2 ] && grep -q 'holds another sweep' "$ERR"; then
    ok "--resume on a finished sweep: exit 0 (complete); with another grid: exit 2"
else
    not_ok "--resume on a finished sweep" "exits $rc_same $rc" "$(one_line "$ERR")"
fi

# A full disk while rows are journaled (root: a tmpfs with one free page, which
# 60 rows of about 130 bytes overflow): exit 3, the journal ends with a whole
# row (a line written in part is taken back); with room again, --resume
# gives the bytes of a sweep that never failed.
FULL=(sweep "$MMC" --duration 500s --vary services.web.concurrency=1,2 --vary traffic.rate=5..19.5:0.5 -q)
FS=$TMP/fs
mkdir -p "$FS"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m clustersim-test "$FS" 2>/dev/null; then
    trap 'umount "$FS" 2>/dev/null; rm -rf "$TMP"' EXIT
    avail=$(df --output=avail -B1 "$FS" | tail -n 1)
    dd if=/dev/zero of="$FS/filler" bs=4096 count=$((avail / 4096 - 1)) 2>/dev/null
    run "${FULL[@]}" -o "$FS/s"
    rc_full=$rc
    err_full=$(first_err)
    lines=$(whole_lines "$FS/s/sweep.csv.partial")
    rm -f "$FS/filler"
    run "${FULL[@]}" -o "$FS/s" --resume
    "$CLUSTERSIM" "${FULL[@]}" -o "$TMP/full-ref" >/dev/null 2>&1
    if [ $rc_full -eq 3 ] && echo "$err_full" | grep -q "sweep.csv.partial' failed: No space left on device" &&
        [ "$lines" = ok ] && [ $rc -eq 0 ] && cmp -s "$FS/s/sweep.csv" "$TMP/full-ref/sweep.csv"; then
        ok "ENOSPC while journaling: exit 3, the journal ends with a whole row; --resume then gives the same bytes"
    else
        not_ok "ENOSPC while journaling" "exit $rc_full: $err_full; journal $lines; resume exit $rc" "$(one_line "$ERR")"
    fi
    umount "$FS"
else
    echo "skipped: the full-disk check needs root to mount a tmpfs"
fi

# ---- the progress line: on a terminal only ---------------------------------------------------------

run "${LOUD[@]}" -o "$TMP/notty"
if [ $rc -eq 0 ] && [ ! -s "$ERR" ] && grep -q '^8 points x 1 replication' "$OUT"; then
    ok "stderr not a terminal: no progress line (stderr empty), the last line on stdout"
else
    not_ok "no progress line without a terminal" "exit $rc" "$(one_line "$ERR")"
fi
# A terminal on stderr only (python's pty): the line is drawn after half a
# second, so this sweep is longer (8 points of 400000 s, one at a time: about
# 3 s here; the line is drawn once the sweep has run half a second)
TTY=(sweep "$MMC" --duration 400000s --vary traffic.rate=10,11,12,13,14,15,16,17 -j 1)
python3 - "$CLUSTERSIM" "${TTY[@]}" -o "$TMP/tty" >"$TMP/tty.out" <<'PY'
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
p.wait()
sys.stdout.write(out.decode(errors="replace"))
PY
run "${TTY[@]}" -o "$TMP/tty1" -q
if tr '\r' '\n' <"$TMP/tty.out" | grep -Eq '^mmc sweep \[[#.]+\] [0-9]/8 points  [0-9]+s elapsed, ~([0-9]+s|\?) left' &&
    cmp -s "$TMP/tty/sweep.csv" "$TMP/tty1/sweep.csv"; then
    ok "on a terminal: 'mmc sweep [###...] N/8 points  Ts elapsed, ~Ts left' on stderr; the same files"
else
    not_ok "a progress line on a terminal" "$(one_line "$TMP/tty.out")"
fi

# ---- bad --vary: exit 2, located ----------------------------------------------------------------------

bad() { # LABEL EXPECTED-FIRST-LINE-REGEX ARGS...
    local label=$1 re=$2
    shift 2
    run sweep "$MMC" --duration 500s -o "$TMP/bad" "$@"
    if [ $rc -eq 2 ] && first_err | grep -Eq "$re" && [ ! -e "$TMP/bad/sweep.csv" ]; then
        ok "$label: exit 2, $(first_err | cut -c1-70)"
    else
        not_ok "$label: exit 2 with a located message" "exit $rc" "$(one_line "$ERR")"
    fi
}
bad "a bad value in the list" '^--vary\[1\]:1:25: services\.web\.replicas: expected an integer' \
    --vary services.web.replicas=1,x,3
bad "an unknown key" "^--vary\[2\]:1:14: services\.web: unknown key 'replica'" \
    --vary traffic.rate=5,6 --vary services.web.replica=1,2
bad "a range value the key rejects" '^--vary\[1\]:1:23: .*integer' --vary services.web.replicas=1..3:0.5
bad "an empty range" '^--vary\[1\]:1:14: the range 5\.\.1:1 is empty' --vary traffic.rate=5..1:1
bad "a step of 0" "^--vary\[1\]:1:19: the range's step must be above 0" --vary traffic.rate=1..5:0
bad "a malformed range" '^--vary\[1\]:1:14: a range is LO\.\.HI:STEP' --vary traffic.rate=1..5
bad "mixed units" '^--vary\[1\]:1:.*same unit' --vary services.web.service_time.mean=10ms..1s:10ms
bad "no '='" '^--vary\[1\]:1:1: expected PATH=' --vary traffic.rate
bad "an empty value" '^--vary\[1\]:1:16: an empty value' --vary traffic.rate=1,,2
bad "a path varied twice" "^--vary\[2\]:1:1: 'traffic\.rate' is varied already" \
    --vary traffic.rate=1,2 --vary traffic.rate=3
bad "no --vary" 'nothing to vary'
# a step below 15 significant digits: 1, 1 + 1e-16 and 1 + 2e-16 all read 1
# (it gave three equal points)
bad "a range with equal values" '^--vary\[1\]:1:36: the range .* gives the value 1 twice' \
    --vary 'traffic.rate=1..1.0000000000000002:1e-16'
# a single value with ".." that is not a number before it is a value, not a
# range (a relative path; it was refused as a malformed range): here the
# key, a number, rejects it where it stands
bad "a value with '..'" "^--vary\[1\]:1:14: traffic\.rate: .*'\.\./x'" --vary traffic.rate=../x

finish
