#!/usr/bin/env bash
# test_ci_examples.sh: examples/ci/github-actions.yml and gitlab-ci.yml
# (issue 9, item 6) cannot rot silently: both parse as YAML and have the
# shape their CI reads (triggers, the JUnit report), and the shell that
# runs `clustersim compare` in each is run here, as written, against
# bin/clustersim:
# - with the base and candidate both the repository's azora-baseline.yaml
#   the candidate runs exactly as the base, so every limit passes: exit 0,
#   the Markdown and JUnit reports written, rc=0 for the gating step;
# - with a candidate that does not exist, compare is exit 2 (bad input) and
#   writes no report: the step still succeeds, records rc=2 and leaves a
#   fallback compare.md to post.
# The runs are cut to 1 simulated minute without warm-up by a bin/clustersim
# wrapper that appends `--duration 1m --set warmup=0s` (the last --duration
# wins), so the options are parsed as written and the test takes seconds.
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_ci_examples.sh     (from the repository root)
set -u
. "$(dirname "$0")/lib.sh"
cli_init ci-examples

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GH=$ROOT/examples/ci/github-actions.yml
GL=$ROOT/examples/ci/gitlab-ci.yml

if [ -f "$GH" ] && [ -f "$GL" ]; then
    ok "examples/ci/github-actions.yml and gitlab-ci.yml exist"
else
    not_ok "examples/ci/github-actions.yml and gitlab-ci.yml exist"
    finish
fi
for f in github-actions.yml gitlab-ci.yml; do
    if grep -q "examples/ci/$f" "$ROOT/README.md"; then
        ok "README.md links examples/ci/$f"
    else
        not_ok "README.md links examples/ci/$f"
    fi
done

# A work directory laid out as a checkout: bin/clustersim (the wrapper),
# the scenario of both sides reached through the variables the examples use.
WORK=$TMP/work
mkdir -p "$WORK/bin"
cat >"$WORK/bin/clustersim" <<WRAP
#!/usr/bin/env bash
exec "$CLUSTERSIM" "\$@" --duration 1m --set warmup=0s
WRAP
chmod +x "$WORK/bin/clustersim"
export SCENARIO=$ROOT/scenarios/azora-baseline.yaml
export BASE_SCENARIO=$ROOT/scenarios/azora-baseline.yaml

# run_script FILE: runs FILE's shell in $WORK (fresh reports), output to $OUT/$ERR, exit in $rc
run_script() {
    rm -rf "$WORK/compare.md" "$WORK/compare-junit.xml" "$WORK/compare-results" "$TMP/gh-output" "$TMP/gh-summary"
    (cd "$WORK" && GITHUB_OUTPUT=$TMP/gh-output GITHUB_STEP_SUMMARY=$TMP/gh-summary \
        GITHUB_SERVER_URL=https://github.example GITHUB_REPOSITORY=o/r GITHUB_RUN_ID=1 \
        CI_JOB_URL=https://gitlab.example/job/1 CLUSTERSIM_NOTE_TOKEN= bash -e "$1") >"$OUT" 2>"$ERR"
    rc=$?
}

reports_ok() { # the Markdown heading and a JUnit document with testcases
    grep -q '^### clustersim compare: 4 of 4 regression limits pass$' "$WORK/compare.md" &&
        grep -q '<testcase ' "$WORK/compare-junit.xml" &&
        [ -f "$WORK/compare-results/compare.json" ]
}

if command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
    # Parse both; check their shape; write the compare step's shell (GitHub) and the
    # job's script (GitLab) to files. PyYAML reads GitHub's `on:` as the boolean True.
    if python3 - "$GH" "$GL" "$TMP" <<'PY' 2>"$TMP/py"; then
import sys, yaml
gh = yaml.safe_load(open(sys.argv[1]))
gl = yaml.safe_load(open(sys.argv[2]))
tmp = sys.argv[3]
on = gh.get("on", gh.get(True))
assert "pull_request" in on, on
steps = gh["jobs"]["compare"]["steps"]
cmp = [s for s in steps if s.get("id") == "compare"]
assert len(cmp) == 1, "one step with id: compare"
assert any("actions/upload-artifact" in s.get("uses", "") for s in steps), "JUnit upload"
assert any("gh pr comment" in s.get("run", "") for s in steps), "PR comment"
assert "steps.compare.outputs.rc" in steps[-1]["run"], "the last step fails by compare's exit code"
open(tmp + "/gh.sh", "w").write(cmp[0]["run"])
job = gl["clustersim-compare"]
assert any("merge_request_event" in r["if"] for r in job["rules"]), job["rules"]
assert job["artifacts"]["reports"]["junit"] == "compare-junit.xml", job["artifacts"]
assert job["artifacts"]["when"] == "always"
script = "\n".join(job["script"])
assert "merge_requests/$CI_MERGE_REQUEST_IID/notes" in script
open(tmp + "/gl.sh", "w").write(script)
PY
        ok "both parse as YAML (PyYAML): pull_request / merge_request_event triggers, JUnit upload or report, the summary posted, the gate last"
    else
        not_ok "both parse as YAML (PyYAML): pull_request / merge_request_event triggers, JUnit upload or report, the summary posted, the gate last" "$(tail -n 1 "$TMP/py")"
        finish
    fi

    run_script "$TMP/gh.sh"
    if [ $rc -eq 0 ] && reports_ok && grep -qx 'rc=0' "$TMP/gh-output" && grep -q '4 of 4' "$TMP/gh-summary"; then
        ok "github-actions.yml's compare step as written, base = candidate: rc=0, Markdown, JUnit, compare.json, the job summary"
    else
        not_ok "github-actions.yml's compare step as written, base = candidate: rc=0, Markdown, JUnit, compare.json, the job summary" "exit $rc" "$(one_line "$ERR")"
    fi
    run_script "$TMP/gl.sh"
    if [ $rc -eq 0 ] && reports_ok; then
        ok "gitlab-ci.yml's script as written, base = candidate: exit 0, Markdown, JUnit, compare.json"
    else
        not_ok "gitlab-ci.yml's script as written, base = candidate: exit 0, Markdown, JUnit, compare.json" "exit $rc" "$(one_line "$ERR")"
    fi

    SCENARIO=$TMP/no-such.yaml run_script "$TMP/gh.sh"
    if [ $rc -eq 0 ] && grep -qx 'rc=2' "$TMP/gh-output" && grep -q '^### clustersim compare: exit 2$' "$WORK/compare.md"; then
        ok "github-actions.yml, a candidate that does not exist: the step records rc=2 and leaves a compare.md to post"
    else
        not_ok "github-actions.yml, a candidate that does not exist: the step records rc=2 and leaves a compare.md to post" "exit $rc" "$(one_line "$TMP/gh-output")"
    fi
    SCENARIO=$TMP/no-such.yaml run_script "$TMP/gl.sh"
    if [ $rc -eq 2 ] && grep -q '^### clustersim compare: exit 2$' "$WORK/compare.md"; then
        ok "gitlab-ci.yml, a candidate that does not exist: exit 2, a compare.md left to post"
    else
        not_ok "gitlab-ci.yml, a candidate that does not exist: exit 2, a compare.md left to post" "exit $rc"
    fi
else
    # No YAML parser: run each file's `bin/clustersim` command (with its continuation lines).
    ok "no PyYAML: YAML parsing skipped; the command lines are run as text"
    for f in "$GH" "$GL"; do
        awk '/^[ \t]*bin\/clustersim / { on = 1 } on { print; if ($0 !~ /\\$/) { on = 0; print "" } }' "$f" >"$TMP/cmd.sh"
        if [ -s "$TMP/cmd.sh" ] && run_script "$TMP/cmd.sh" && [ $rc -eq 0 ] && reports_ok; then
            ok "$(basename "$f"): its bin/clustersim lines run, exit 0, the reports written"
        else
            not_ok "$(basename "$f"): its bin/clustersim lines run, exit 0, the reports written" "$(one_line "$ERR")"
        fi
    done
fi

finish
