#!/usr/bin/env bash
# test_notebooks.sh: the notebooks of notebooks/ (issue 12) and their loader.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_notebooks.sh     (from the repository root)
#
# 1. Debian's python3 (NB_PYTHON, default /usr/bin/python3: the one `make deps`
#    gives pandas, matplotlib, nbconvert, ipykernel and yaml) has the packages.
# 2. The loader's unit tests (tests/notebooks/, hand-written fixtures).
# 3. The committed notebooks carry no outputs and name the python3 kernel.
# 4. A kernel named python3 resolves to NB_PYTHON: a private JUPYTER_PATH holds
#    its kernelspec (so a user's own python3 kernel cannot be picked up), and a
#    probe notebook prints the kernel's sys.executable.
# 5. Every notebook runs top to bottom (`nbconvert --execute`) on short runs
#    (CLUSTERSIM_NB_QUICK=1) with $CLUSTERSIM, results in a temporary
#    directory; an error in any cell fails it. Each must draw its figures, and
#    the repository's notebooks must be left as they were.
# 6. 03-sweep on a hand-written sweep.csv (CLUSTERSIM_SWEEP_CSV): its Pareto
#    front is the one worked out by hand in tests/notebooks/test_clustersim_results.py;
#    01-quickstart with a binary that does not exist fails, naming it.
# 7. Every image README.md and notebooks/README.md show (![..](PATH), <img src="PATH">)
#    exists in the repository.
set -u
. "$(dirname "$0")/lib.sh"
cli_init notebooks

NB_PYTHON=${NB_PYTHON:-/usr/bin/python3}
# nbconvert's tracebacks are coloured: the escape codes would garble a failure message
strip_ansi() { sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g'; }
NOTEBOOKS="01-quickstart 02-compare-policies 03-sweep"

# ---- 1. the interpreter ------------------------------------------------------------------
if "$NB_PYTHON" -c 'import pandas, matplotlib, nbformat, nbconvert, ipykernel, yaml' 2>"$ERR"; then
    ok "$NB_PYTHON has pandas, matplotlib, nbformat, nbconvert, ipykernel, yaml"
else
    not_ok "$NB_PYTHON lacks a package the notebooks need (make deps installs them)" "$(tail -n 1 "$ERR")"
    finish
fi

# ---- 2. the loader's unit tests ------------------------------------------------------------
if "$NB_PYTHON" -m unittest discover -s tests/notebooks -p 'test_*.py' >"$OUT" 2>&1; then
    ok "loader unit tests: $(grep -E '^Ran ' "$OUT")"
else
    not_ok "loader unit tests" "$(strip_ansi <"$OUT" | grep -E '^(FAIL|ERROR|Ran)' | tr '\n' '|')"
fi

# ---- 3. committed without outputs ----------------------------------------------------------
for nb in $NOTEBOOKS; do
    [ -f "notebooks/$nb.ipynb" ] && ok "notebooks/$nb.ipynb exists" || not_ok "notebooks/$nb.ipynb is missing"
done
if "$NB_PYTHON" - notebooks/*.ipynb >"$OUT" 2>&1 <<'EOF'
import sys, nbformat
bad = []
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        bad.append(f"{path}: kernelspec is not python3")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            bad.append(f"{path}: cell {i} has outputs or an execution count")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
then
    ok "committed notebooks are valid, have no outputs and name the python3 kernel"
else
    not_ok "committed notebooks must be saved without outputs" "$(one_line "$OUT")"
fi

# ---- 4. the kernel is Debian's python3 -----------------------------------------------------
export JUPYTER_PATH=$TMP/jupyter JUPYTER_CONFIG_DIR=$TMP/jupyter-config JUPYTER_RUNTIME_DIR=$TMP/jupyter-runtime
export IPYTHONDIR=$TMP/ipython MPLCONFIGDIR=$TMP/matplotlib PYDEVD_DISABLE_FILE_VALIDATION=1
mkdir -p "$JUPYTER_PATH/kernels/python3"
cat >"$JUPYTER_PATH/kernels/python3/kernel.json" <<EOF
{"argv": ["$NB_PYTHON", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
 "display_name": "Python 3 (Debian)", "language": "python"}
EOF
spec=$("$NB_PYTHON" -c 'from jupyter_client.kernelspec import KernelSpecManager as K; print(K().get_kernel_spec("python3").argv[0])' 2>"$ERR")
if [ "$spec" = "$NB_PYTHON" ]; then
    ok "the kernelspec python3 resolves to $NB_PYTHON"
else
    not_ok "the kernelspec python3 resolves to '$spec', not $NB_PYTHON" "$(one_line "$ERR")"
fi

# nbconvert with the kernel above; outputs only under $TMP
execute() {   # NOTEBOOK_FILE OUTDIR: exit code of nbconvert, its log in $ERR
    "$NB_PYTHON" -m nbconvert --to notebook --execute \
        --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=900 \
        --output-dir "$2" "$1" >"$OUT" 2>"$ERR"
}

cat >"$TMP/probe.ipynb" <<'EOF'
{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
  "source": "import os, sys\nprint(os.path.realpath(sys.executable))"}],
 "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
 "nbformat": 4, "nbformat_minor": 4}
EOF
if execute "$TMP/probe.ipynb" "$TMP/probe"; then
    got=$("$NB_PYTHON" -c 'import nbformat,sys; print(nbformat.read(sys.argv[1], 4).cells[0].outputs[0].text.strip())' "$TMP/probe/probe.ipynb")
    want=$(readlink -f "$NB_PYTHON")
    [ "$got" = "$want" ] && ok "the kernel nbconvert starts runs $want" \
        || not_ok "the kernel runs '$got', not $want"
else
    not_ok "a one-cell notebook does not run under nbconvert" "$(strip_ansi <"$ERR" | tail -n 3 | tr '\n' '|')"
fi

# ---- 5. every notebook, top to bottom ------------------------------------------------------
before=$(cat notebooks/*.ipynb notebooks/*.py | cksum)
export CLUSTERSIM CLUSTERSIM_RESULTS=$TMP/results CLUSTERSIM_NB_QUICK=1
unset CLUSTERSIM_RUN_DIR CLUSTERSIM_SWEEP_CSV
count_png() {   # EXECUTED_NOTEBOOK: the figures it shows
    "$NB_PYTHON" -c 'import json,sys; nb=json.load(open(sys.argv[1]))
print(sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", [])))' "$1"
}
# figures each notebook must draw (01 without regions or caches would draw fewer,
# 02 without autoscaler.csv one fewer; the defaults have all of them)
min_png() { case $1 in 01-quickstart) echo 7 ;; 02-compare-policies) echo 4 ;; 03-sweep) echo 2 ;; esac; }
for nb in $NOTEBOOKS; do
    t0=$(date +%s)
    if execute "notebooks/$nb.ipynb" "$TMP/executed"; then
        n=$(count_png "$TMP/executed/$nb.ipynb")
        if [ "$n" -ge "$(min_png "$nb")" ]; then
            ok "$nb runs top to bottom ($(( $(date +%s) - t0 )) s, $n figures)"
        else
            not_ok "$nb draws $n figures, expected at least $(min_png "$nb")"
        fi
    else
        not_ok "$nb fails" "$(strip_ansi <"$ERR" | grep -E 'Error|error' | tail -n 4 | tr '\n' '|')"
    fi
done
for f in 01-quickstart/figures/quickstart.png 01-quickstart/run/summary.json \
         02-compare-policies/replicas.png 03-sweep/sweep/sweep.csv 03-sweep/pareto.png; do
    [ -s "$TMP/results/$f" ] && ok "written under CLUSTERSIM_RESULTS: $f" \
        || not_ok "not written under CLUSTERSIM_RESULTS: $f"
done
[ "$(cat notebooks/*.ipynb notebooks/*.py | cksum)" = "$before" ] \
    && ok "executing leaves the repository's notebooks as they were" \
    || not_ok "executing changed a file in notebooks/"

# ---- 6. a given sweep.csv; a missing binary -------------------------------------------------
mkdir -p "$TMP/given"
cp tests/notebooks/fixtures/sweep-nojson/sweep.csv "$TMP/given/sweep.csv"
if CLUSTERSIM=$TMP/no-such-binary CLUSTERSIM_SWEEP_CSV=$TMP/given/sweep.csv \
        execute notebooks/03-sweep.ipynb "$TMP/given-out"; then
    # points 0 and 2 pass both gates and neither dominates the other (the fixture's rows)
    if grep -q '2 of 2 passing points are on the front' "$TMP/given-out/03-sweep.ipynb"; then
        ok "03-sweep on a given sweep.csv: the front of the hand-made grid, without running clustersim"
    else
        not_ok "03-sweep on a given sweep.csv: not the expected front" \
            "$(grep -o '[0-9]* of [0-9]* passing points[^"]*' "$TMP/given-out/03-sweep.ipynb")"
    fi
else
    not_ok "03-sweep on a given sweep.csv fails" "$(strip_ansi <"$ERR" | grep -E 'Error' | tail -n 2 | tr '\n' '|')"
fi
if CLUSTERSIM=$TMP/no-such-binary execute notebooks/01-quickstart.ipynb "$TMP/fail-out"; then
    not_ok "01-quickstart with a missing binary should fail"
elif grep -q 'no-such-binary: no clustersim binary' "$ERR"; then
    ok "01-quickstart with a missing binary fails, naming it"
else
    not_ok "01-quickstart with a missing binary: unexpected failure" "$(strip_ansi <"$ERR" | tail -n 2 | tr '\n' '|')"
fi

# ---- 7. the images the READMEs show exist ---------------------------------------------------
images() {   # MARKDOWN: each image it references, relative to the repository root (URLs left out)
    local dir; dir=$(dirname "$1")
    { grep -oE '!\[[^]]*\]\([^)[:space:]]+' "$1" | sed -E 's/.*\(//'
      grep -oE '<img[^>]*src="[^"]+"' "$1" | sed -E 's/.*src="//; s/"$//'; } |
        grep -vE '^[a-z]+://' | while read -r img; do
            case $img in /*) echo "${img#/}" ;; *) echo "$dir/$img" ;; esac
        done
}
for md in README.md notebooks/README.md; do
    missing= n=0
    for img in $(images "$md"); do
        n=$((n + 1))
        [ -f "$img" ] || missing="$missing $img"
    done
    [ -z "$missing" ] && ok "$md: every image it shows exists ($n)" || not_ok "$md shows images that do not exist:$missing"
done

finish
