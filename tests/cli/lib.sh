# lib.sh: the harness the command-line tests share (sourced, not run).
#
#   cli_init NAME     counters, a temporary directory $TMP removed on exit,
#                     $OUT and $ERR; $CLUSTERSIM made absolute
#   ok TEXT / not_ok TEXT [DETAIL...]   one line per check
#   run ARGS...       clustersim with stdout to $OUT, stderr to $ERR, exit code in $rc
#   first_err         the first line of stderr
#   bad_input WANT RUNNER ARGS...   a check that RUNNER ARGS (run, or a suite's
#                     own runner setting $rc) exits 2 with a first stderr line
#                     starting with WANT
#   one_line FILE     the start of FILE on one line, for failure reports
#   finish            prints "N passed, M failed" and exits 0 or 1
#   need_python3 WHAT a failed check "python3 is needed to WHAT" and finish,
#                     when there is no python3
#   wait_lines FILE N TRIES PAUSE   waits until FILE has N lines or more,
#                     TRIES times PAUSE seconds at most (for a journal)
#   mpi_setup         $MPI_BIN and OpenMPI's environment for one machine; status 1
#                     (having said why) when there is no MPI to test
#   mpi_init          mpi_setup, or "skipped" and finish when there is no MPI
#   mpi NP ARGS...    clustersim-mpi under mpirun, as run
#   mpi_same WHAT JOURNAL FILE... -- ARGS...   ARGS -o $TMP/single by one
#                     process, then -o $TMP/npN under mpirun -np 2 and 3: a
#                     check each that all exit 0 with the same FILEs (WHAT in
#                     its line), and no JOURNAL left

cli_init() {
    CLUSTERSIM=${CLUSTERSIM:-bin/clustersim}
    case $CLUSTERSIM in /*) ;; *) CLUSTERSIM=$PWD/$CLUSTERSIM ;; esac
    pass=0
    fail=0
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/clustersim-$1.XXXXXX") || exit 3
    trap 'rm -rf "$TMP"' EXIT
    OUT=$TMP/stdout
    ERR=$TMP/stderr
}

ok() { printf 'ok   %s\n' "$1"; pass=$((pass + 1)); }

not_ok() {
    printf 'FAIL %s\n' "$1"
    [ $# -gt 1 ] && printf '     %s\n' "${@:2}"
    fail=$((fail + 1))
}

run() {
    "$CLUSTERSIM" "$@" >"$OUT" 2>"$ERR"
    rc=$?
}

first_err() { head -n 1 "$ERR"; }

one_line() { head -c 300 "$1" | tr '\n' '|'; }

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
}

need_python3() {
    command -v python3 >/dev/null && return
    not_ok "python3 is needed to $1"
    finish
}

wait_lines() {
    local i
    for i in $(seq 1 "$3"); do
        [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return
        sleep "$4"
    done
}

# bin/clustersim-mpi is looked for beside $CLUSTERSIM ($CLUSTERSIM_MPI overrides);
# without it or without mpirun there is nothing to test (make builds it where
# mpicc exists; make deps installs OpenMPI). As root, OpenMPI wants the two
# OMPI_ALLOW_RUN_AS_ROOT variables. Under the address sanitizer (make
# SANITIZER=address test), OpenMPI itself leaves allocations at MPI_Finalize
# (libmpi and components it loads and unloads, whose frames LeakSanitizer
# cannot name, so no suppression can match them): leak checking is off for
# MPI suites; the same code is leak-checked by the suites without MPI.
mpi_setup() {
    MPI_BIN=${CLUSTERSIM_MPI:-$(dirname "$CLUSTERSIM")/clustersim-mpi}
    if ! command -v mpirun >/dev/null || [ ! -x "$MPI_BIN" ]; then
        echo "skipped: $(command -v mpirun >/dev/null && echo "no $MPI_BIN (make builds it when mpicc exists)" ||
            echo "no mpirun (make deps installs openmpi-bin)")"
        return 1
    fi
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    # no network probing for a single machine
    export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

mpi_init() { mpi_setup || finish; }

mpi() {
    local np=$1
    shift
    mpirun -np "$np" --oversubscribe "$MPI_BIN" "$@" >"$OUT" 2>"$ERR"
    rc=$?
}

mpi_same() {
    local what=$1 journal=$2 np f same rc_single files=()
    shift 2
    while [ "$1" != -- ]; do
        files+=("$1")
        shift
    done
    shift
    run "$@" -o "$TMP/single"
    rc_single=$rc
    for np in 2 3; do
        mpi "$np" "$@" -o "$TMP/np$np"
        same=1
        for f in "${files[@]}"; do
            cmp -s "$TMP/single/$f" "$TMP/np$np/$f" || same=0
        done
        if [ $rc_single -eq 0 ] && [ $rc -eq 0 ] && [ $same -eq 1 ] && [ ! -e "$TMP/np$np/$journal" ]; then
            ok "mpirun -np $np: $what byte-identical to one process's"
        else
            not_ok "mpirun -np $np gives one process's bytes" "exit $rc (single: $rc_single)" "$(one_line "$ERR")" \
                "$(diff "$TMP/single/${files[0]}" "$TMP/np$np/${files[0]}" 2>&1 | head -3)"
        fi
    done
}

bad_input() {
    local want=$1
    shift
    "$@"
    if [ $rc -eq 2 ] && [[ "$(first_err)" == "$want"* ]]; then
        ok "exit 2: $want"
    else
        not_ok "${*:2} -> exit 2 '$want...'" "rc $rc: $(first_err)"
    fi
}
