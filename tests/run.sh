#!/bin/sh
# Runs every test binary given on the command line from the project root, prints their lines and
# one closing tally: "N passed, N failed, N skipped".
set -u
export CONNRATE_BIN="${CONNRATE_BIN:-build/connrate}"
p=0 f=0 s=0 crashed=0
for t in "$@"; do
    echo "== $t"
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v '^@@counts'
    counts=$(printf '%s\n' "$out" | grep '^@@counts' | tail -n 1)
    if [ -z "$counts" ]; then
        echo "FAIL $t: exited with status $rc before its tally"
        crashed=$((crashed + 1)); continue
    fi
    p=$((p + $(echo "$counts" | cut -d' ' -f2)))
    f=$((f + $(echo "$counts" | cut -d' ' -f3)))
    s=$((s + $(echo "$counts" | cut -d' ' -f4)))
    [ "$rc" -eq 0 ] || [ "$(echo "$counts" | cut -d' ' -f3)" -gt 0 ] || { echo "FAIL $t: exit status $rc"; crashed=$((crashed + 1)); }
done
f=$((f + crashed))
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
