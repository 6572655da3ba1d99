#!/usr/bin/env bash
# test_view.sh: clustersim-view from the command line: a headless snapshot
# is a PNG of the asked size; bad input is exit 2 with a located message;
# under Xvfb the window opens, takes keys (pause, step, speed, a service,
# a screenshot) and quits on q, for a replay and for a live run.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_view.sh     (from the repository root)
#
# bin/clustersim-view is looked for beside $CLUSTERSIM (or $CLUSTERSIM_VIEW);
# without it (no SDL2 at build time) the suite says so and passes. Without
# xvfb-run the window part is skipped the same way (make deps installs it).
# Keys are sent through the X server's XTEST extension from python3's
# ctypes (no extra package).
set -u
. "$(dirname "$0")/lib.sh"
cli_init view

VIEW=${CLUSTERSIM_VIEW:-$(dirname "$CLUSTERSIM")/clustersim-view}
case $VIEW in /*) ;; *) VIEW=$PWD/$VIEW ;; esac
if [ ! -x "$VIEW" ]; then
    echo "skipped: no $VIEW (make builds it when SDL2 and SDL2_ttf are installed: make deps)"
    finish
fi
# Under the address sanitizer, fontconfig, FreeType and D-Bus (through SDL)
# keep allocations to the end of the process; tests/view/lsan.supp names
# those libraries only, so the viewer's own allocations stay leak-checked.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/tests/view/lsan.supp"

# (at most VIEW_TIMEOUT seconds: a check that must fail before anything runs
# says so with a short one; timeout's 124 is then the failure)
view() { timeout "${VIEW_TIMEOUT:-600}" "$VIEW" "$@" >"$OUT" 2>"$ERR"; rc=$?; }

# the PNG's width and height from its IHDR chunk
png_size() { python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", b[16:24]) if b[:8]==b"\x89PNG\r\n\x1a\n" else "not a png")' "$1"; }

run run scenarios/hpa-step.yaml -q -o "$TMP/run"
[ $rc -eq 0 ] || not_ok "clustersim run hpa-step" "$(first_err)"

view "$TMP/run" --snapshot "$TMP/a.png" --at 10m
if [ $rc -eq 0 ] && [ "$(png_size "$TMP/a.png")" = 1600x900 ]; then
    ok "--snapshot: a 1600x900 PNG by default"
else
    not_ok "--snapshot" "rc $rc $(first_err) $(png_size "$TMP/a.png")"
fi
view "$TMP/run" --snapshot "$TMP/b.png" --size 1000x620
if [ $rc -eq 0 ] && [ "$(png_size "$TMP/b.png")" = 1000x620 ]; then
    ok "--size 1000x620: the PNG's size"
else
    not_ok "--size" "rc $rc $(first_err) $(png_size "$TMP/b.png")"
fi
view "$TMP/run" "$TMP/run" --snapshot "$TMP/c.png"
[ $rc -eq 0 ] && [ "$(png_size "$TMP/c.png")" = 1600x900 ] && ok "compare: two results directories" ||
    not_ok "compare snapshot" "rc $rc $(first_err)"

# A live run drawn headless at its end shows the very charts of the replay of
# the same run (same seed, same rows). Where they are, from viz/draw.h's
# layout at 1600x900: the right column starts at 2/5 of the width (640); the
# charts start 2 px under the 30 px header, each (900 - 30 - 70 - 22 - 4) / 6
# = 129 px high, so the first five (rate, replicas, latency, CPU, errors)
# cover rows 32 to 677.
cat >"$TMP/pngcmp.py" <<'EOF'
import struct, sys, zlib
def rows(path):
    b = open(path, "rb").read()
    i, idat = 8, b""
    while i < len(b):
        n = struct.unpack(">I", b[i:i + 4])[0]; t = b[i + 4:i + 8]
        if t == b"IHDR": w, h = struct.unpack(">II", b[i + 8:i + 16])
        if t == b"IDAT": idat += b[i + 8:i + 8 + n]
        i += 12 + n
    raw = zlib.decompress(idat); st = w * 3 + 1
    return [raw[y * st + 1:(y + 1) * st] for y in range(h)]
x0, y0, x1, y1 = map(int, sys.argv[3:7])
a, b = rows(sys.argv[1]), rows(sys.argv[2])
print(sum(1 for y in range(y0, y1) for x in range(x0, x1) if a[y][3 * x:3 * x + 3] != b[y][3 * x:3 * x + 3]))
EOF
view scenarios/hpa-step.yaml --snapshot "$TMP/live.png"
view "$TMP/run" --snapshot "$TMP/replay.png"
d=$(python3 "$TMP/pngcmp.py" "$TMP/live.png" "$TMP/replay.png" 640 32 1600 677 2>&1)
[ "$d" = 0 ] && ok "live --snapshot: the five charts are the replay's, pixel for pixel" ||
    not_ok "live snapshot against replay" "$d pixels differ; rc $rc $(first_err)"
# The sixth, cost: live, from the scenario's prices (summary.json comes at
# the end); hpa-step bills pods alone, so the line and its axis are the
# replay's (rebuilt from summary.json's price per pod-hour): its plot area
# and y labels, rows 695 (18 px under the chart's top, 677) to 804, pixel
# for pixel (the note in its title line says where the prices come from).
d=$(python3 "$TMP/pngcmp.py" "$TMP/live.png" "$TMP/replay.png" 640 695 1600 804 2>&1)
[ "$d" = 0 ] && ok "live --snapshot: the cost chart is the replay's, from the scenario's prices" ||
    not_ok "live cost chart against replay" "$d pixels differ"
# and the two differ where they should, or the comparison proves nothing
d=$(python3 "$TMP/pngcmp.py" "$TMP/live.png" "$TMP/replay.png" 0 0 640 30 2>&1)
[ "$d" != 0 ] && ok "live --snapshot: the header says live, not replay" || not_ok "the headers are the same" "$d"

# --replication: a run of two replications shows either; the live run of
# replication 1 (seed + 1) draws the replay of replication 1's charts
run run scenarios/hpa-step.yaml -r 2 -q -o "$TMP/run2"
[ $rc -eq 0 ] || not_ok "clustersim run hpa-step -r 2" "$(first_err)"
view "$TMP/run2" --snapshot "$TMP/rep0.png"
view "$TMP/run2" --snapshot "$TMP/rep1.png" --replication 1
d=$(python3 "$TMP/pngcmp.py" "$TMP/rep0.png" "$TMP/rep1.png" 640 32 1600 677 2>&1)
[ $rc -eq 0 ] && [ "$d" != 0 ] && ok "--replication 1: other charts than replication 0's ($d pixels differ)" ||
    not_ok "--replication 1 against 0" "rc $rc $(first_err); $d pixels differ"
view scenarios/hpa-step.yaml --snapshot "$TMP/live1.png" --replication 1
d=$(python3 "$TMP/pngcmp.py" "$TMP/live1.png" "$TMP/rep1.png" 640 32 1600 677 2>&1)
[ $rc -eq 0 ] && [ "$d" = 0 ] && ok "live --replication 1: replication 1's charts, pixel for pixel" ||
    not_ok "live --replication 1 against the replay" "rc $rc $(first_err); $d pixels differ"

# bad input: exit 2, the first line located
bad() { bad_input "$1" view "${@:2}"; } # WANT_PREFIX ARGS...
mkdir -p "$TMP/empty"
bad "$TMP/empty/summary.json: cannot open" "$TMP/empty" --snapshot "$TMP/x.png"
cp -r "$TMP/run" "$TMP/broken"
echo "0,12x,api-gateway.replicas,3" >>"$TMP/broken/timeseries.csv"
bad "$TMP/broken/timeseries.csv:$(wc -l <"$TMP/broken/timeseries.csv"):3: " "$TMP/broken" --snapshot "$TMP/x.png"
cp -r "$TMP/run" "$TMP/badjson"
printf '{"schema": "clustersim.summary/v1",\n "x": ]' >"$TMP/badjson/summary.json"
bad "$TMP/badjson/summary.json:2:7: " "$TMP/badjson" --snapshot "$TMP/x.png"
bad "--at:1:1: " "$TMP/run" --snapshot "$TMP/x.png" --at 6x
bad "--at:1:1: '2h' is after the end" "$TMP/run" --snapshot "$TMP/x.png" --at 2h
bad "--at:1:1: '100h' is after the end of the run (" scenarios/quickstart.yaml --snapshot "$TMP/x.png" --at 100h
cp -r "$TMP/run" "$TMP/nullcost"
python3 - "$TMP/nullcost/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["cost"]["total_usd"] = None
json.dump(d, open(sys.argv[1], "w"))
PY
bad "$TMP/nullcost/summary.json:1:1: cost.total_usd: expected a number" "$TMP/nullcost" --snapshot "$TMP/x.png"
bad "--size:1:5: " "$TMP/run" --snapshot "$TMP/x.png" --size 1600
bad "--size:1:6: " "$TMP/run" --snapshot "$TMP/x.png" --size 1600x
bad "--size:1:1: the size must be" "$TMP/run" --snapshot "$TMP/x.png" --size 10x10
bad "--service:1:1: no service 'nope'" "$TMP/run" --snapshot "$TMP/x.png" --service nope
bad "--speed:1:1: " "$TMP/run" --speed 7
bad "--replication:1:1: " "$TMP/run" --snapshot "$TMP/x.png" --replication x
bad "--replication:1:1: $TMP/run2 holds replications 0 to 1, not 2" "$TMP/run2" --snapshot "$TMP/x.png" --replication 2
bad "--replication:1:1: $TMP/run holds one replication (0), not 1" "$TMP/run" --snapshot "$TMP/x.png" --replication 1
bad "$TMP/run/missing.yaml: cannot open" "$TMP/run/missing.yaml"
bad "--set[1]:1:23: services.web.replicas" scenarios/quickstart.yaml --snapshot "$TMP/x.png" --set services.web.replicas=x
[ ! -e "$TMP/x.png" ] && ok "no PNG is written on bad input" || not_ok "a PNG was written on bad input"
# a --snapshot that cannot be written is bad input found before anything is
# loaded or run (as clustersim run -o): a live scenario of a simulated year
# would take minutes to run before a write could fail
bad "--snapshot:1:1: no directory '$TMP/nodir'" "$TMP/run" --snapshot "$TMP/nodir/x.png"
bad "--snapshot:1:1: is a directory" "$TMP/run" --snapshot "$TMP/empty"
VIEW_TIMEOUT=20
bad "--snapshot:1:1: no directory '$TMP/nodir'" scenarios/quickstart.yaml --snapshot "$TMP/nodir/x.png" --set duration=365d
bad "--snapshot:1:1: is a directory" scenarios/quickstart.yaml --snapshot "$TMP/empty" --set duration=365d
unset VIEW_TIMEOUT
if [ "$(id -u)" != 0 ]; then # root writes anywhere
    mkdir -p "$TMP/ro" && chmod 555 "$TMP/ro"
    bad "--snapshot:1:1: cannot write '$TMP/ro/x.png' in '$TMP/ro'" "$TMP/run" --snapshot "$TMP/ro/x.png"
    chmod 755 "$TMP/ro"
fi

# ---- the window, under Xvfb ---------------------------------------------------
if ! command -v xvfb-run >/dev/null; then
    echo "skipped: no xvfb-run (make deps installs xvfb and xauth)"
    finish
fi

# Under the address sanitizer, leak checking is off for the window: SDL
# loads libX11 and its extensions with dlopen and unloads them at SDL_Quit,
# so LeakSanitizer cannot name the frames of what they keep (no suppression
# can match them; the same holds for OpenMPI in test_sweep_mpi.sh). The
# drawing, the reader and the PNG writer stay leak-checked by the headless
# runs above and by test_view.c, which use the same code without X.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# keys.py KEY...: moves the pointer onto the screen's middle and types the keys
cat >"$TMP/keys.py" <<'EOF'
import ctypes, sys, time
x11 = ctypes.CDLL("libX11.so.6"); xt = ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XStringToKeysym.restype = ctypes.c_ulong
d = ctypes.c_void_p(x11.XOpenDisplay(None))
if not d: sys.exit("no display")
xt.XTestFakeMotionEvent(d, 0, 400, 300, 0); x11.XFlush(d); time.sleep(0.2)
for k in sys.argv[1:]:
    code = x11.XKeysymToKeycode(d, ctypes.c_ulong(x11.XStringToKeysym(k.encode())))
    xt.XTestFakeKeyEvent(d, code, 1, 0); xt.XTestFakeKeyEvent(d, code, 0, 0)
    x11.XFlush(d); time.sleep(0.3)
EOF
# session.sh VIEW ARGS...: starts the viewer, waits for its window, sends
# keys, and waits for it to end (at most 10 s after the keys)
cat >"$TMP/session.sh" <<'EOF'
"$@" &
pid=$!
for i in $(seq 50); do python3 -c 'import ctypes;x=ctypes.CDLL("libX11.so.6");x.XOpenDisplay.restype=ctypes.c_void_p;x.XDefaultRootWindow.restype=ctypes.c_ulong;d=ctypes.c_void_p(x.XOpenDisplay(None));r=ctypes.c_ulong();p=ctypes.c_ulong();c=ctypes.POINTER(ctypes.c_ulong)();n=ctypes.c_uint();x.XQueryTree(d,ctypes.c_ulong(x.XDefaultRootWindow(d)),ctypes.byref(r),ctypes.byref(p),ctypes.byref(c),ctypes.byref(n));exit(0 if n.value>0 else 1)' && break; sleep 0.1; done
sleep 0.5
python3 "$KEYS" space Right Right plus 2 s q
for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then kill $pid; echo "did not quit on q" >&2; exit 9; fi
wait $pid
EOF
export KEYS=$TMP/keys.py
mkdir -p "$TMP/shots"
(cd "$TMP/shots" && xvfb-run -a -s "-screen 0 1280x800x24" bash "$TMP/session.sh" "$VIEW" "$TMP/run" --size 1000x620) >"$OUT" 2>"$ERR"
rc=$?
shot=$(ls "$TMP/shots"/clustersim-view-hpa-step-1.png 2>/dev/null)
if [ $rc -eq 0 ] && [ -n "$shot" ] && [ "$(png_size "$shot")" = 1000x620 ]; then
    ok "window (Xvfb): space, arrows, +, 2, s (a 1000x620 PNG screenshot), q quits with 0"
else
    not_ok "window under Xvfb" "rc $rc shot '$shot' $(one_line "$ERR")"
fi

cat >"$TMP/live.yaml" <<'EOF'
name: live
seed: 3
duration: 1h
sample_interval: 10s
traffic: {rate: 50/s}
services:
  web: {replicas: 2, concurrency: 4, service_time: {dist: exponential, mean: 20ms}}
EOF
rm -f "$TMP/shots"/*.png
(cd "$TMP/shots" && xvfb-run -a -s "-screen 0 1280x800x24" bash "$TMP/session.sh" "$VIEW" "$TMP/live.yaml" --speed 1000 --size 900x560) >"$OUT" 2>"$ERR"
rc=$?
shot=$(ls "$TMP/shots"/clustersim-view-live-1.png 2>/dev/null)
if [ $rc -eq 0 ] && [ -n "$shot" ] && [ "$(png_size "$shot")" = 900x560 ]; then
    ok "live (Xvfb): the scenario runs in the window, keys work, q quits with 0"
else
    not_ok "live under Xvfb" "rc $rc shot '$shot' $(one_line "$ERR")"
fi

finish
