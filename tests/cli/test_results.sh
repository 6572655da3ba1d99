#!/usr/bin/env bash
# test_results.sh: the result files are whole or absent, and stay where they
# were asked to go (issue 6, "outputs that escape or lie"; values cut).
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_results.sh     (from the repository root)
#
# A run writes into a temporary directory beside its target and renames it
# into place when complete. Checked here: a run that fails while writing (a
# file-size limit: EFBIG; a full tmpfs: ENOSPC) exits 3 naming the write and
# leaves no result, or the earlier one byte for byte; SIGINT and SIGTERM
# leave no temporary file and no result; a scenario name cannot leave
# results/; output paths that do not fit or cannot be used are refused with
# exit 2 before anything is written; --seed reaches the loader whole and
# summary.json holds the seed exactly. Mounting a tmpfs needs root: those
# checks are skipped with a reason where it fails.

set -u

. "$(dirname "$0")/lib.sh"
cli_init results

if [ ! -x "$CLUSTERSIM" ]; then
    not_ok "$CLUSTERSIM is not an executable (build it with make)"
    finish
fi
need_python3 "read summary.json"

# A small scenario: 10 simulated minutes at 20/s, well under a second; its
# timeseries.csv is about 180 kB (one row per series per second).
SMALL=$TMP/small.yaml
cat >"$SMALL" <<'EOF'
name: small
seed: 11
duration: 10m
warmup: 10s
traffic: {rate: 20/s}
services:
  web:
    replicas: 3
    concurrency: 2
    queue_capacity: 50
    service_time: {dist: lognormal, mean: 40ms, cv: 1.5}
EOF
# The same made to run for many seconds (1000 simulated hours at 200/s) but
# to write little (one sample per simulated hour): signals arrive mid-run.
LONG_ARGS=(--duration 1000h --set traffic.rate=200/s --set sample_interval=1h)

# leftovers DIR: temporary or set-aside directories beside DIR, and .tmp files
# anywhere under DIR's parent (the earlier format's).
leftovers() {
    local parent base
    parent=$(dirname "$1")
    base=$(basename "$1")
    find "$parent" -maxdepth 2 \( -name ".$base.tmp-*" -o -name ".$base.old-*" -o -name '*.tmp' \) | tr '\n' ' '
}

# same_files A B: the four result files of A and B are byte-identical, and
# both hold nothing else.
same_files() {
    [ "$(cd "$1" && ls -A | tr '\n' ' ')" = "autoscaler.csv events.csv summary.json timeseries.csv " ] &&
        [ "$(cd "$2" && ls -A | tr '\n' ' ')" = "autoscaler.csv events.csv summary.json timeseries.csv " ] &&
        cmp -s "$1/summary.json" "$2/summary.json" && cmp -s "$1/timeseries.csv" "$2/timeseries.csv" &&
        cmp -s "$1/events.csv" "$2/events.csv" && cmp -s "$1/autoscaler.csv" "$2/autoscaler.csv"
}

json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1" 2>/dev/null; }

# ---- a run that fails while writing -----------------------------------------------

# An earlier run's result, kept aside to compare with.
USED=$TMP/used
run run "$SMALL" -q -o "$USED" --seed 1
cp -r "$USED" "$TMP/used.before"
if [ $rc -eq 0 ] && same_files "$USED" "$TMP/used.before"; then
    ok "an earlier run's result in DIR"
else
    not_ok "an earlier run's result in DIR" "exit $rc: $(first_err)"
fi

# `ulimit -f` makes a write past the limit fail with EFBIG (SIGXFSZ ignored);
# 64 blocks (32 or 64 kB) is under the ~180 kB time series.
( trap '' XFSZ; ulimit -f 64; exec "$CLUSTERSIM" run "$SMALL" -q -o "$USED" --seed 2 ) >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -eq 3 ] && same_files "$USED" "$TMP/used.before" && [ -z "$(leftovers "$USED")" ] &&
    grep -q 'timeseries.csv' "$ERR" && grep -q 'File too large' "$ERR"; then
    ok "EFBIG in a run into a used DIR: exit 3, the write named ($(first_err)), earlier files byte-identical"
else
    not_ok "EFBIG in a run into a used DIR: exit 3, the write named, earlier files byte-identical, nothing beside" \
        "exit $rc: $(first_err)" "leftovers: $(leftovers "$USED")" "$(ls -A "$USED" | tr '\n' ' ')"
fi

NEW=$TMP/new
( trap '' XFSZ; ulimit -f 64; exec "$CLUSTERSIM" run "$SMALL" -q -o "$NEW" -r 2 ) >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -eq 3 ] && [ ! -e "$NEW" ] && [ -z "$(leftovers "$NEW")" ] && grep -q 'File too large' "$ERR"; then
    ok "EFBIG in a run into a new DIR: exit 3, no DIR, no temporary directory beside it"
else
    not_ok "EFBIG in a run into a new DIR: exit 3, no DIR, no temporary directory beside it" \
        "exit $rc: $(first_err)" "leftovers: $(leftovers "$NEW")" "$(ls -A "$NEW" 2>&1 | tr '\n' ' ')"
fi

# A full disk: a 1 MB tmpfs holds the small run (~190 kB), not an hour sampled
# every second (~1.1 MB of time series).
FS=$TMP/fs
mkdir -p "$FS"
if mount -t tmpfs -o size=1m clustersim-test "$FS" 2>"$TMP/mount.err"; then
    trap 'umount "$FS" 2>/dev/null; rm -rf "$TMP"' EXIT
    run run "$SMALL" -q -o "$FS/res" --seed 1
    cp -r "$FS/res" "$TMP/fs.before"
    ls -A "$FS" >"$TMP/fs.list"
    run run "$SMALL" -q -o "$FS/res" --duration 1h --set sample_interval=1s
    if [ $rc -eq 3 ] && grep -q 'No space left on device' "$ERR" && same_files "$FS/res" "$TMP/fs.before" &&
        [ "$(ls -A "$FS")" = "$(cat "$TMP/fs.list")" ]; then
        ok "ENOSPC (full tmpfs) into a used DIR: exit 3 ($(first_err)), earlier files byte-identical, nothing else"
    else
        not_ok "ENOSPC (full tmpfs) into a used DIR: exit 3, earlier files byte-identical, nothing else" \
            "exit $rc: $(first_err)" "$(ls -A "$FS" | tr '\n' ' ')"
    fi
    run run "$SMALL" -q -o "$FS/other" --duration 1h --set sample_interval=1s
    if [ $rc -eq 3 ] && [ ! -e "$FS/other" ] && [ "$(ls -A "$FS")" = "$(cat "$TMP/fs.list")" ]; then
        ok "ENOSPC (full tmpfs) into a new DIR: exit 3, no DIR, the file system as before"
    else
        not_ok "ENOSPC (full tmpfs) into a new DIR: exit 3, no DIR, the file system as before" \
            "exit $rc: $(first_err)" "$(ls -A "$FS" | tr '\n' ' ')"
    fi
    # A read-only directory (root ignores permission bits, not a read-only
    # mount): an existing empty DIR in it, and a new one.
    mkdir "$FS/ro-dir"
    if mount -o remount,ro "$FS" 2>"$TMP/mount.err"; then
        for d in "$FS/ro-dir" "$FS/ro-new"; do
            run run "$SMALL" -q -o "$d"
            if [ $rc -eq 2 ] && grep -q "$d\|$FS" "$ERR" && [ ! -s "$OUT" ]; then
                ok "-o ${d#"$TMP"/} on a read-only file system: exit 2, $(first_err)"
            else
                not_ok "-o ${d#"$TMP"/} on a read-only file system: exit 2 naming the path" "exit $rc: $(first_err)"
            fi
        done
    else
        echo "skip read-only mount checks: mount -o remount,ro failed: $(head -c 200 "$TMP/mount.err")"
    fi
    umount "$FS"
else
    echo "skip full-disk and read-only checks: mount -t tmpfs failed: $(head -c 200 "$TMP/mount.err")"
fi

# ---- SIGINT and SIGTERM -------------------------------------------------------------

# interrupt SIG DIR ARGS...: starts a long run into DIR, waits (at most 10 s)
# until its temporary directory exists, sends SIG, waits (at most 10 s) for
# the end. Sets rc (the exit status; 124 when it did not end in time).
interrupt() {
    local sig=$1 dir=$2 pid i
    shift 2
    # `trap -`: a background job of a script starts with SIGINT ignored
    ( trap - INT TERM; exec "$CLUSTERSIM" run "$SMALL" -q -o "$dir" "${LONG_ARGS[@]}" "$@" ) >"$OUT" 2>"$ERR" &
    pid=$!
    for i in $(seq 100); do
        [ -n "$(leftovers "$dir")" ] && break
        sleep 0.1
    done
    kill -"$sig" "$pid"
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        wait "$pid"
        rc=124
    else
        wait "$pid"
        rc=$?
    fi
}

for sig in INT TERM; do
    code=$((128 + $(kill -l "$sig")))
    interrupt "$sig" "$TMP/sig-$sig" -r 2
    if [ $rc -eq "$code" ] && [ ! -e "$TMP/sig-$sig" ] && [ -z "$(leftovers "$TMP/sig-$sig")" ]; then
        ok "SIG$sig during a run into a new DIR: exit $code, no DIR, no temporary directory or file"
    else
        not_ok "SIG$sig during a run into a new DIR: exit $code, no DIR, no temporary directory or file" \
            "exit $rc: $(first_err)" "leftovers: $(leftovers "$TMP/sig-$sig")"
    fi
    interrupt "$sig" "$USED"
    if [ $rc -eq "$code" ] && same_files "$USED" "$TMP/used.before" && [ -z "$(leftovers "$USED")" ]; then
        ok "SIG$sig during a run into a used DIR: exit $code, earlier files byte-identical, nothing beside"
    else
        not_ok "SIG$sig during a run into a used DIR: exit $code, earlier files byte-identical, nothing beside" \
            "exit $rc: $(first_err)" "leftovers: $(leftovers "$USED")"
    fi
done

# ---- a run that succeeds replaces DIR whole ----------------------------------------

run run "$SMALL" -q -o "$USED" --seed 3
if [ $rc -eq 0 ] && [ "$(json "$USED/summary.json" "['seed']")" = 3 ] && [ -z "$(leftovers "$USED")" ] &&
    [ "$(cd "$USED" && ls -A | tr '\n' ' ')" = "autoscaler.csv events.csv summary.json timeseries.csv " ]; then
    ok "a run into a used DIR replaces it: seed 3 in summary.json, nothing left beside it"
else
    not_ok "a run into a used DIR replaces it" "exit $rc: $(first_err)" "leftovers: $(leftovers "$USED")"
fi

# A directory holding anything but results is not replaced (it could be ~).
mkdir -p "$TMP/mine"
echo keep >"$TMP/mine/notes.txt"
run run "$SMALL" -q -o "$TMP/mine"
if [ $rc -eq 2 ] && grep -q "notes.txt" "$ERR" && [ "$(ls -A "$TMP/mine")" = notes.txt ] &&
    [ -z "$(leftovers "$TMP/mine")" ]; then
    ok "-o a directory holding other files: exit 2, $(first_err)"
else
    not_ok "-o a directory holding other files: exit 2, directory untouched" "exit $rc: $(first_err)" \
        "$(ls -A "$TMP/mine" | tr '\n' ' ')"
fi

# ---- output paths that escape, do not fit, or cannot be used ------------------------

mkdir -p "$TMP/cwd"
cat >"$TMP/cwd/escape.yaml" <<'EOF'
name: ../x
services:
  web: {}
EOF
(cd "$TMP/cwd" && "$CLUSTERSIM" run escape.yaml -q) >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -eq 2 ] && [ "$(first_err | cut -d' ' -f1)" = "escape.yaml:1:7:" ] && [ -z "$(ls -A "$TMP/cwd" | grep -v escape.yaml)" ] &&
    [ ! -e "$TMP/x" ]; then
    ok "name: ../x: exit 2, $(first_err | cut -c1-90)..."
else
    not_ok "name: ../x: exit 2 at escape.yaml:1:7, nothing written" "exit $rc: $(first_err)" "$(ls -A "$TMP" | tr '\n' ' ')"
fi
for name in .hidden .. 'a/b' ''; do
    run validate "$SMALL" --set "name=$name"
    if [ $rc -eq 2 ] && first_err | grep -q '^--set\[1\]:1:[0-9]*: name:'; then
        ok "--set name='$name': exit 2, $(first_err | cut -d' ' -f1-2)"
    else
        not_ok "--set name='$name': exit 2, --set[1]:1:COL: name:" "exit $rc: $(first_err)"
    fi
done
run validate "$SMALL" --set name=v1.2_web-x
if [ $rc -eq 0 ]; then ok "--set name=v1.2_web-x: valid"; else not_ok "--set name=v1.2_web-x: valid" "$(first_err)"; fi

# path_of_length N: a path of N bytes under $TMP/long, in components of at
# most 200 characters (NAME_MAX is 255).
path_of_length() {
    local p=$TMP/long
    while [ $((${#p} + 201)) -le "$1" ]; do p=$p/$(printf '%0200d' 0); done
    [ ${#p} -lt "$1" ] && p=$p/$(printf "%0$(($1 - ${#p} - 1))d" 0)
    printf '%s' "$p"
}
# PATH_MAX is 4096 on Linux. An output directory of 4080 bytes fits, but not
# its files (old versions wrote "summary.j" there and exited 0): refused,
# and nothing created, not even its parents.
long=$(path_of_length 4080)
run run "$SMALL" -q -o "$long"
if [ $rc -eq 2 ] && grep -q 'too long' "$ERR" && [ ! -e "$TMP/long" ] && [ ! -s "$OUT" ]; then
    ok "-o a path of ${#long} bytes: exit 2, nothing created ($(first_err | cut -c1-80)...)"
else
    not_ok "-o a path of ${#long} bytes: exit 2, nothing created" "exit $rc: $(first_err)" \
        "$(find "$TMP/long" -type f 2>/dev/null | head -3 | sed 's/.*\///')"
fi
rm -rf "$TMP/long"
# One of 4000 bytes leaves room for the longest name inside the temporary
# directory (.NAME.tmp-PID-XXXXXX/timeseries.r0.part, under 60 bytes more):
# used whole, the files have their names.
short=$(path_of_length 4000)
run run "$SMALL" -q -o "$short"
if [ $rc -eq 0 ] && [ "$(cd "$short" && ls -A | tr '\n' ' ')" = "autoscaler.csv events.csv summary.json timeseries.csv " ]; then
    ok "-o a path of ${#short} bytes: exit 0, the four files with whole names"
else
    not_ok "-o a path of ${#short} bytes: exit 0, the four files with whole names" "exit $rc: $(first_err)" \
        "$(ls -A "$short" 2>&1 | tr '\n' ' ')"
fi
rm -rf "$TMP/long"

echo text >"$TMP/afile"
# `.` and `..` are tried from directories of their own: a version that wrote
# results into them (as older ones did) fills only those. ('/' is refused by
# the same rule as '.', and not tried here for the same reason.)
mkdir -p "$TMP/dots/sub"
for spec in "/dev/null" "$TMP/afile" "$TMP/afile/sub" "/proc/clustersim-test" "/proc/self/fd" "." ".."; do
    (cd "$TMP/dots/sub" && "$CLUSTERSIM" run "$SMALL" -q -o "$spec") >"$OUT" 2>"$ERR"
    rc=$?
    if [ $rc -eq 2 ] && grep -qF "'$spec'" "$ERR" && [ ! -s "$OUT" ] && [ "$(cat "$TMP/afile")" = text ] &&
        [ "$(find "$TMP/dots" | wc -l)" -eq 2 ]; then
        ok "-o ${spec#"$TMP"/}: exit 2, $(first_err)"
    else
        not_ok "-o ${spec#"$TMP"/}: exit 2 with a message naming it" "exit $rc: $(first_err)"
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    # a used DIR without write permission, in a writable parent
    cp -r "$TMP/used.before" "$TMP/ro-used"
    chmod 555 "$TMP/ro-used"
    run run "$SMALL" -q -o "$TMP/ro-used"
    chmod 755 "$TMP/ro-used"
    if [ $rc -eq 2 ] && grep -q "ro-used" "$ERR" && same_files "$TMP/ro-used" "$TMP/used.before"; then
        ok "-o a read-only used DIR: exit 2, $(first_err)"
    else
        not_ok "-o a read-only used DIR: exit 2, untouched" "exit $rc: $(first_err)"
    fi
else
    echo "skip the chmod read-only check: running as root, which permission bits do not stop"
fi

# ---- values reach the loader whole and summary.json exactly -----------------------

zeros=$(printf '%0100d' 0)
run run "$SMALL" -q -o "$TMP/seed-zeros" --seed "${zeros}42"
rc1=$rc
run run "$SMALL" -q -o "$TMP/seed-42" --seed 42
if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] &&
    diff <(grep -v '"wall_s"' "$TMP/seed-zeros/summary.json") <(grep -v '"wall_s"' "$TMP/seed-42/summary.json") >/dev/null &&
    cmp -s "$TMP/seed-zeros/timeseries.csv" "$TMP/seed-42/timeseries.csv"; then
    ok "--seed with 100 leading zeros then 42: the same results as --seed 42"
else
    not_ok "--seed with 100 leading zeros then 42: the same results as --seed 42" "exit $rc1/$rc" \
        "seeds: $(json "$TMP/seed-zeros/summary.json" "['seed']") $(json "$TMP/seed-42/summary.json" "['seed']")"
fi
# (older versions cut --duration's value at 128 bytes)
run run "$SMALL" -q -o "$TMP/dur" --duration "${zeros}${zeros}30s"
if [ $rc -eq 0 ] && [ "$(json "$TMP/dur/summary.json" "['duration_s']")" = 30 ]; then
    ok "--duration with 200 leading zeros then 30s: duration_s 30"
else
    not_ok "--duration with 200 leading zeros then 30s: duration_s 30" "exit $rc: $(first_err)"
fi
# Past 2^53 = 9007199254740992 doubles are even only; a seed must be exact.
for seed in 9007199254740993 9007199254740992 18446744073709551615; do
    run run "$SMALL" -q -o "$TMP/seed-$seed" --seed "$seed" --duration 1m
    got=$(json "$TMP/seed-$seed/summary.json" "['seed']")
    if [ $rc -eq 0 ] && [ "$got" = "$seed" ] && grep -q "\"seed\":[[:space:]]*$seed,\$" "$TMP/seed-$seed/summary.json"; then
        ok "--seed $seed: summary.json says $seed (valid JSON, an integer)"
    else
        not_ok "--seed $seed: summary.json says $seed" "exit $rc: $(first_err); got '$got'"
    fi
done

finish
