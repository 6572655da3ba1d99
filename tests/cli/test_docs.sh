#!/usr/bin/env bash
# The reference tables in scenarios/README.md are `clustersim describe`'s
# output, byte for byte; the README's first scenario is the real file.
set -u
exe=${CLUSTERSIM:-bin/clustersim}
pass=0 fail=0
check() { if "$@"; then pass=$((pass+1)); echo "ok: $desc"; else fail=$((fail+1)); echo "FAIL: $desc"; fi; }

desc="scenarios/README.md reference matches clustersim describe"
check diff <(sed -n '/<!-- BEGIN clustersim describe -->/,/<!-- END clustersim describe -->/p' scenarios/README.md | sed '1d;$d') <("$exe" describe)

desc="README.md shows scenarios/quickstart.yaml as it is (keys and values)"
strip() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d'; }
check diff <(sed -n '/^`scenarios\/quickstart.yaml`:/,/^```$/p' README.md | sed -n '/^```yaml$/,/^```$/p' | sed '1d;$d' | strip) <(strip < scenarios/quickstart.yaml)

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
