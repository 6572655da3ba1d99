#!/usr/bin/env bash
# test_tune_mpi.sh: `mpirun -np N clustersim-mpi tune ...` (issue 13): the
# rounds' replications handed out over ranks give the very bytes of one
# process's tune.json, tune.csv, tune.md and winner.yaml; a journal left by
# one binary is resumed by the other; bad input is exit 2 with one message.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_tune_mpi.sh     (from the repository root)
#
# Skipped (and passing) without mpirun or bin/clustersim-mpi (lib.sh's
# mpi_init); the search's code is leak-checked by test_tune.sh.
set -u
. "$(dirname "$0")/lib.sh"
cli_init tune-mpi

mpi_init

cp tests/tune/mmc.yaml "$TMP/mmc.yaml"
MMC=$TMP/mmc.yaml
same() { # DIR1 DIR2: the four files equal
    local f
    for f in tune.json tune.csv tune.md winner.yaml; do
        cmp -s "$1/$f" "$2/$f" || return 1
    done
}

SEARCH=(tune "$MMC" --vary services.web.replicas=1,2,3,4 --vary services.web.concurrency=1,2,4,8 -r 8 -q)
mpi_same "the four files" tune.journal tune.json tune.csv tune.md winner.yaml -- "${SEARCH[@]}"

# a journal left by a single process stopped by SIGINT, resumed under mpirun
SLOW=(tune "$MMC" --vary services.web.replicas=1,2 --vary services.web.concurrency=4,8 --duration 200000s -j 1 -q)
run "${SLOW[@]}" -o "$TMP/whole"
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$CLUSTERSIM" "${SLOW[@]}" -o "$TMP/int" >/dev/null 2>&1 &
pid=$!
wait_lines "$TMP/int/tune.journal" 3 1500 0.02
kill -s INT $pid
wait $pid 2>/dev/null
[ -f "$TMP/int/tune.journal" ] && [ ! -e "$TMP/int/tune.json" ] && stopped=yes || stopped=no
mpi 2 "${SLOW[@]}" -o "$TMP/int" --resume
if [ $stopped = yes ] && [ $rc -eq 0 ] && same "$TMP/whole" "$TMP/int" && [ ! -e "$TMP/int/tune.journal" ]; then
    ok "mpirun --resume of a single process's journal: the uninterrupted bytes"
else
    not_ok "MPI resumes a journal" "stopped mid-search: $stopped, exit $rc" "$(one_line "$ERR")"
fi

mpi 2 tune "$MMC" --vary services.web.replicas=1,2 --objective cost.totl_usd -o "$TMP/bad"
if [ $rc -eq 2 ] && [ "$(grep -c 'is not a metric' "$ERR")" -eq 1 ] && [ ! -e "$TMP/bad" ]; then
    ok "bad input under mpirun: exit 2, one message"
else
    not_ok "bad input under mpirun: exit 2, one message" "exit $rc" "$(one_line "$ERR")"
fi

finish
