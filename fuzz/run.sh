#!/bin/sh
# Builds every fuzz/fuzz_*.c as a libFuzzer binary (clang, ASan + UBSan) and runs each for
# SECONDS (default 60), seeded with the shared files where they exist. Crashes are kept in
# build-fuzz/<target>/ and fail the run.
set -eu
seconds=${1:-60}
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "fuzz: clang is not installed (apt-get install clang)" >&2; exit 1; }
shared=${CONNRATE_SHARED:-../shared}
out=build-fuzz
mkdir -p "$out"
flags="-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DCONNRATE_VERSION=\"$(cat VERSION)\" -Ilib -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# the Makefile passes its package list, so the two cannot drift apart
libs="$(pkg-config --cflags --libs ${PKGS:?run through make fuzz}) -lbz2 -lpthread -lm"
for src in fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    # the library without its CLI, compiled for fuzzing
    clang $flags -o "$out/$name" "$src" $(find lib -name '*.c' | sort) $libs
    corpus="$out/$name.corpus"
    mkdir -p "$corpus"
    case $name in
        fuzz_rds) [ -d "$shared" ] && cp "$shared"/rds-cases/files/*.rds "$shared"/captures/real/*.Rds "$corpus"/ 2>/dev/null || true ;;
        fuzz_tsv) [ -d "$shared" ] && for f in "$shared"/captures/edge/*.tsv; do head -c 4000 "$f" > "$corpus/$(basename "$f")"; done || true ;;
        fuzz_decode|fuzz_pcap) [ -d "$shared" ] && cp "$shared"/captures/edge/*.pcap* "$corpus"/ 2>/dev/null || true ;;
        fuzz_flowlog) [ -d "$shared" ] && for f in $(find "$shared"/flowlogs -type f ! -name '*.md' ! -name '*.pcap'); do head -c 6000 "$f" > "$corpus/$(echo "${f#"$shared"/flowlogs/}" | tr / _)"; done || true ;;
    esac
    echo "fuzz: $name for ${seconds}s"
    (cd "$out" && "./$name" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$name-" "$name.corpus" 2>&1 | tail -n 12)
    if ls "$out/$name-"crash-* "$out/$name-"leak-* "$out/$name-"timeout-* >/dev/null 2>&1; then
        echo "fuzz: $name found a failing input (see $out/)" >&2
        exit 1
    fi
done
