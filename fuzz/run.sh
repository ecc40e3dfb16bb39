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
flags="-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DCONNRATE_VERSION=\"$(cat VERSION)\" -Ilib -fsanitize=address,undefined -fno-sanitize-recover=undefined"
# the Makefile passes its package list, so the two cannot drift apart
cflags="$(pkg-config --cflags ${PKGS:?run through make fuzz})"
libs="$(pkg-config --libs $PKGS) -lbz2 -lpthread -lm"
# the library without its CLI, compiled once for every target (coverage for libFuzzer)
mkdir -p "$out/obj"
find lib -name '*.c' | sort | while read -r src; do
    echo "$src $out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
done | FLAGS="$flags $cflags" xargs -P "$(nproc)" -n 2 sh -c 'clang $FLAGS -fsanitize=fuzzer-no-link -c "$0" -o "$1"'
rm -f "$out/libconnrate.a"
ar rcs "$out/libconnrate.a" "$out"/obj/*.o
for src in fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    clang $flags $cflags -fsanitize=fuzzer -o "$out/$name" "$src" "$out/libconnrate.a" $libs
    corpus="$out/$name.corpus"
    mkdir -p "$corpus"
    case $name in
        fuzz_rds) [ -d "$shared" ] && cp "$shared"/rds-cases/files/*.rds "$shared"/captures/real/*.Rds "$corpus"/ 2>/dev/null || true ;;
        fuzz_tsv) [ -d "$shared" ] && for f in "$shared"/captures/edge/*.tsv; do head -c 4000 "$f" > "$corpus/$(basename "$f")"; done || true ;;
        fuzz_decode) [ -d "$shared" ] && cp "$shared"/captures/edge/*.pcap* "$corpus"/ 2>/dev/null || true ;;
        fuzz_pcap)
            cp tests/corpus/files/*.pcap "$corpus"/
            if [ -d "$shared" ]; then
                cp "$shared"/captures/edge/*.pcap* "$corpus"/
                # the first 64 KiB of each real capture: whole frames and a cut one
                for f in "$shared"/captures/real/*.pcap* "$shared"/captures/real/*.cap; do
                    head -c 65536 "$f" > "$corpus/$(basename "$f")"
                done
            fi ;;
        fuzz_csv)
            for f in tests/corpus/files/*.csv tests/corpus/files/*.tsv tests/corpus/cases.tsv; do
                [ -f "$f" ] || continue
                { printf ','; cat "$f"; } > "$corpus/$(basename "$f")"
            done ;;
        fuzz_flowlog)
            cp tests/corpus/files/*.log "$corpus"/
            [ -d "$shared" ] && for f in $(find "$shared"/flowlogs -type f ! -name '*.md' ! -name '*.pcap'); do head -c 6000 "$f" > "$corpus/$(echo "${f#"$shared"/flowlogs/}" | tr / _)"; done || true ;;
    esac
    echo "fuzz: $name for ${seconds}s"
    (cd "$out" && "./$name" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$name-" "$name.corpus" 2>&1 | tail -n 12)
    # one test per pattern: `ls a b c` fails when any is missing, so it never saw a lone crash
    for f in "$out/$name-"crash-* "$out/$name-"leak-* "$out/$name-"timeout-*; do
        if [ -e "$f" ]; then
            echo "fuzz: $name found a failing input: $f" >&2
            exit 1
        fi
    done
done
