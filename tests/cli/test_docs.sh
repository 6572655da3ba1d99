#!/usr/bin/env bash
# The reference tables in scenarios/README.md are `clustersim describe`'s
# output, byte for byte; the README's first scenario is the real file.
set -u
. "$(dirname "$0")/lib.sh"
cli_init docs
exe=$CLUSTERSIM
# check COMMAND...: the check named $desc passes when COMMAND succeeds
check() { if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

desc="scenarios/README.md reference matches clustersim describe"
check diff <(sed -n '/<!-- BEGIN clustersim describe -->/,/<!-- END clustersim describe -->/p' scenarios/README.md | sed '1d;$d') <("$exe" describe)

desc="README.md shows scenarios/quickstart.yaml as it is (keys and values)"
strip() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d'; }
check diff <(sed -n '/^`scenarios\/quickstart.yaml`:/,/^```$/p' README.md | sed -n '/^```yaml$/,/^```$/p' | sed '1d;$d' | strip) <(strip < scenarios/quickstart.yaml)

finish
