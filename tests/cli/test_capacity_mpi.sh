#!/usr/bin/env bash
# test_capacity_mpi.sh: `mpirun -np N clustersim-mpi capacity ...`: a probe's
# replications split over the ranks give the very bytes of a single
# process's capacity.json and capacity.md; a journal left by bin/clustersim
# is resumed under mpirun; bad input is exit 2 with one message.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_capacity_mpi.sh     (from the repository root)
#
# Without bin/clustersim-mpi or mpirun the suite says so and passes
# (lib.sh's mpi_setup); the search's code is leak-checked by test_capacity.sh.
set -u
. "$(dirname "$0")/lib.sh"
cli_init capacity-mpi

mpi_setup || finish
MMC=$(cd "$(dirname "$0")/../capacity" && pwd)/mmc.yaml

CAP=(capacity "$MMC" -j 1 -q)
mpi_same "capacity.json and capacity.md" capacity.journal capacity.json capacity.md -- "${CAP[@]}"

# a search killed under bin/clustersim, resumed under mpirun
D=$TMP/int
"$CLUSTERSIM" "${CAP[@]}" -o "$D" >/dev/null 2>&1 &
pid=$!
wait_lines "$D/capacity.journal" 12 500 0.01
kill -s KILL $pid
wait $pid 2>/dev/null
irc=$?
mpi 2 "${CAP[@]}" -o "$D" --resume
if [ $irc -eq 137 ] && [ $rc -eq 0 ] && cmp -s "$D/capacity.json" "$TMP/single/capacity.json"; then
    ok "a killed single-process search, --resume under mpirun -np 2: the uninterrupted bytes"
else
    not_ok "--resume under mpirun" "kill exit $irc, resume exit $rc" "$(one_line "$ERR")"
fi

mpi 2 capacity "$MMC" --range 4..1 -o "$TMP/bad"
if [ $rc -eq 2 ] && [ "$(grep -c 'the range 4..1 is empty' "$ERR")" -eq 1 ]; then
    ok "an empty range under mpirun: exit 2, the message once"
else
    not_ok "bad input under mpirun" "exit $rc" "$(one_line "$ERR")"
fi
mpi 2 capacity "$MMC" --range 3.5..8 -o "$TMP/bad2"
if [ $rc -eq 2 ] && [ "$(grep -c 'fail already at LO' "$ERR")" -eq 1 ]; then
    ok "a range that fails at LO under mpirun: exit 2, the message once"
else
    not_ok "a non-bracketing range under mpirun" "exit $rc" "$(one_line "$ERR")"
fi

finish
