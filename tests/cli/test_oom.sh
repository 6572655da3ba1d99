#!/usr/bin/env bash
# Out of memory while loading is an internal error: exit 3 and "out of
# memory", never exit 2 with a message that blames the input.
#
# A valid-syntax scenario of 12 MB (190,000 list items; it fails on its
# unknown key once loaded) is validated under a series of address-space
# limits (ulimit -v). Whichever allocation fails first — the reader's, the
# loader's arena, libyaml's own buffers — the run must end with exit 3 and
# "out of memory"; with enough memory it loads and is refused for its
# unknown key (exit 2). At least one limit must hit each outcome, so the
# test cannot pass by never running out of memory.
# AddressSanitizer reserves terabytes of address space: skipped under it.
. "$(dirname "$0")/lib.sh"
cli_init oom

if ldd "$CLUSTERSIM" 2>/dev/null | grep -q libasan || grep -aq AddressSanitizer "$CLUSTERSIM"; then
    echo "skipped: ulimit -v cannot be used under AddressSanitizer"
    finish
fi

big=$TMP/big.yaml
{
    printf 'name: big\nservices:\n  web: {}\nlist:\n'
    python3 -c "import sys; sys.stdout.write(''.join('- %s\n' % ('y' * 60) for i in range(190000)))"
} >"$big"

oom=0 loaded=0 bad=0
for kb in 16000 24000 32000 40000 48000 56000 64000 96000 160000; do
    (ulimit -v $kb; exec "$CLUSTERSIM" validate "$big") >"$OUT" 2>"$ERR"
    rc=$?
    if [ $rc = 3 ] && grep -q 'out of memory' "$ERR"; then
        oom=$((oom + 1))
    elif [ $rc = 2 ] && grep -q "unknown key 'list'" "$ERR"; then
        loaded=$((loaded + 1))
    elif [ $rc = 127 ] || [ $rc = 126 ]; then
        : # the limit is too low to start the program at all
    else
        bad=$((bad + 1))
        not_ok "ulimit -v $kb: exit $rc" "$(one_line "$ERR")"
    fi
done
[ $bad = 0 ] && ok "every limit gives exit 3 'out of memory' or a clean load ($oom, $loaded)"
[ $oom -gt 0 ] && ok "some limits run out of memory ($oom)" || not_ok "no limit ran out of memory"
[ $loaded -gt 0 ] && ok "enough memory loads the file ($loaded)" || not_ok "no limit was enough to load the file"
finish
