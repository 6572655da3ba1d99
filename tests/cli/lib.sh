# lib.sh: the harness the command-line tests share (sourced, not run).
#
#   cli_init NAME     counters, a temporary directory $TMP removed on exit,
#                     $OUT and $ERR; $CLUSTERSIM made absolute
#   ok TEXT / not_ok TEXT [DETAIL...]   one line per check
#   run ARGS...       clustersim with stdout to $OUT, stderr to $ERR, exit code in $rc
#   first_err         the first line of stderr
#   one_line FILE     the start of FILE on one line, for failure reports
#   finish            prints "N passed, M failed" and exits 0 or 1

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
