#!/bin/sh
# make bench: every bench/bench_*.sh in turn, each printing its figures side by side with the
# peer measured in the same run. BENCH_ONLY=ingest (etc.) runs one.
set -eu
bin=$1
cd "$(dirname "$0")/.."
for b in bench/bench_*.sh; do
    name=$(basename "$b" .sh | sed 's/^bench_//')
    [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ] && continue
    echo "== bench $name"
    sh "$b" "$bin"
done
# compiled micro-benchmarks (bench/bench_*.c), built next to the binary
for b in "$(dirname "$bin")"/bench/bench_*; do
    [ -x "$b" ] || continue
    name=$(basename "$b" | sed 's/^bench_//')
    [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ] && continue
    echo "== bench $name"
    "$b"
done
