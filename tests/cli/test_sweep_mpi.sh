#!/usr/bin/env bash
# test_sweep_mpi.sh: `mpirun -np N clustersim-mpi sweep ...` (issue 9, item 5):
# the points handed out dynamically over ranks give the very bytes of a single process's
# sweep.csv and sweep.json; a journal left by either binary is resumed by
# the other; bad input is exit 2 with one message.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_sweep_mpi.sh     (from the repository root)
#
# bin/clustersim-mpi is looked for beside $CLUSTERSIM; without it or without
# mpirun the suite says so and passes (make builds it where mpicc exists;
# make deps installs OpenMPI). As root, OpenMPI wants the two
# OMPI_ALLOW_RUN_AS_ROOT variables (lib.sh's mpi_setup sets them).
set -u
. "$(dirname "$0")/lib.sh"
cli_init sweep-mpi

mpi_setup || finish

MMC=$TMP/mmc.yaml
cat >"$MMC" <<'EOF'
name: mmc
seed: 5
duration: 1000s
warmup: 100s
traffic: {rate: 15/s, arrivals: poisson}
services:
  web: {replicas: 1, concurrency: 1, queue_capacity: 100000, service_time: {dist: exponential, mean: 50ms}}
slo:
  - {name: p99, metric: latency_ms.p99, op: "<", threshold: 500}
EOF

GRID=(sweep "$MMC" --vary services.web.concurrency=1,2 --vary traffic.rate=10..14:2 -r 2 -q)
mpi_same "sweep.csv and sweep.json (6 points)" sweep.csv.partial sweep.csv sweep.json -- "${GRID[@]}"

# more ranks than points: the idle ones send nothing, the result is the same
mpi 3 sweep "$MMC" --vary traffic.rate=10,12 -q -o "$TMP/idle"
run sweep "$MMC" --vary traffic.rate=10,12 -q -o "$TMP/idle1"
if [ $rc -eq 0 ] && cmp -s "$TMP/idle/sweep.csv" "$TMP/idle1/sweep.csv"; then
    ok "3 ranks for 2 points: the same bytes"
else
    not_ok "3 ranks for 2 points" "exit $rc" "$(one_line "$ERR")"
fi

# a journal of the single-process binary, finished under MPI, and the reverse
SLOW=(sweep "$MMC" --duration 20000s --vary traffic.rate=10,11,12,13,14,15 -j 1 -q)
run "${SLOW[@]}" -o "$TMP/whole"
D=$TMP/resume-mpi
"$CLUSTERSIM" "${SLOW[@]}" -o "$D" >/dev/null 2>&1 &
pid=$!
wait_lines "$D/sweep.csv.partial" 4 300 0.02
kill -KILL $pid
wait $pid 2>/dev/null
mpi 2 "${SLOW[@]}" -o "$D" --resume
if [ $rc -eq 0 ] && cmp -s "$D/sweep.csv" "$TMP/whole/sweep.csv" && cmp -s "$D/sweep.json" "$TMP/whole/sweep.json"; then
    ok "clustersim-mpi --resume finishes a killed single-process sweep: the uninterrupted bytes"
else
    not_ok "clustersim-mpi --resume of a single-process journal" "exit $rc" "$(one_line "$ERR")"
fi

SLOW=(sweep "$MMC" --duration 20000s --vary traffic.rate=5..16:0.5 -j 1 -q)
run "${SLOW[@]}" -o "$TMP/whole" -j 2
D=$TMP/resume-single
mpirun -np 2 --oversubscribe "$MPI_BIN" "${SLOW[@]}" -o "$D" >/dev/null 2>&1 &
pid=$!
wait_lines "$D/sweep.csv.partial" 3 300 0.02
# SIGTERM to the ranks themselves (mpirun forwards its own SIGTERM only after
# a delay, or not at all before the ranks finish): they stop within 0.1 s
kill -TERM $(pgrep -P $pid) 2>/dev/null
wait $pid 2>/dev/null
partial=$([ -f "$D/sweep.csv.partial" ] && [ ! -e "$D/sweep.csv" ] && echo yes || echo no)
run "${SLOW[@]}" -o "$D" --resume
if [ "$partial" = yes ] && [ $rc -eq 0 ] && cmp -s "$D/sweep.csv" "$TMP/whole/sweep.csv"; then
    ok "bin/clustersim --resume finishes an MPI sweep whose ranks got SIGTERM: the uninterrupted bytes"
else
    not_ok "bin/clustersim --resume of an MPI journal" "journal left: $partial, exit $rc" "$(one_line "$ERR")"
fi

# dynamic scheduling: rank 0 only coordinates, so every journaled row came
# from a worker; the first two points go to the two workers' first requests,
# and both rows (field 1: the point) are in the journal of a sweep stopped
# midway. Resumed under MPI: the uninterrupted bytes.
D=$TMP/stop-np3
mpirun -np 3 --oversubscribe "$MPI_BIN" "${SLOW[@]}" -o "$D" >/dev/null 2>&1 &
pid=$!
wait_lines "$D/sweep.csv.partial" 6 500 0.02
kill -TERM $(pgrep -P $pid) 2>/dev/null
wait $pid 2>/dev/null
firsts=$(tail -n +3 "$D/sweep.csv.partial" 2>/dev/null | cut -d, -f1 | sort -n | head -2 | tr '\n' ' ')
rows=$(($(wc -l <"$D/sweep.csv.partial" 2>/dev/null || echo 2) - 2))
mpi 3 "${SLOW[@]}" -o "$D" --resume
if [ "$firsts" = "0 1 " ] && [ "$rows" -ge 4 ] && [ "$rows" -lt 23 ] && [ $rc -eq 0 ] &&
    cmp -s "$D/sweep.csv" "$TMP/whole/sweep.csv" && cmp -s "$D/sweep.json" "$TMP/whole/sweep.json"; then
    ok "mpirun -np 3 stopped midway: both workers' rows journaled ($rows of 23); --resume gives the same bytes"
else
    not_ok "mpirun -np 3 stopped midway" "rows $rows, first points '$firsts', exit $rc" "$(one_line "$ERR")"
fi

# bad input: every rank stops, rank 0 alone speaks
mpi 2 sweep "$MMC" --vary services.web.replicas=1,x -o "$TMP/bad"
if [ $rc -eq 2 ] && [ "$(grep -c '^--vary\[1\]:1:25: ' "$ERR")" -eq 1 ]; then
    ok "a bad --vary under mpirun: exit 2, the located message once"
else
    not_ok "a bad --vary under mpirun" "exit $rc" "$(one_line "$ERR")"
fi

# an error found while reading the options, before MPI starts: once too (each
# rank used to print it)
mpi 3 sweep "$MMC" --vary services.web.replicas=1,2 -r 0 -o "$TMP/bad-r"
n=$(grep -c 'replications' "$ERR")
if [ $rc -eq 2 ] && [ "$n" -eq 1 ]; then
    ok "-r 0 under mpirun -np 3: exit 2, the message once"
else
    not_ok "-r 0 under mpirun -np 3: the message once" "exit $rc, $n times" "$(one_line "$ERR")"
fi
mpi 3 capacity "$MMC" -r 1 -o "$TMP/bad-cap"
n=$(grep -c 'expected an integer from 2 to 10000' "$ERR")
if [ $rc -eq 2 ] && [ "$n" -eq 1 ]; then
    ok "capacity -r 1 under mpirun -np 3: exit 2, the message once"
else
    not_ok "capacity -r 1 under mpirun -np 3: the message once" "exit $rc, $n times" "$(one_line "$ERR")"
fi

finish
