#!/usr/bin/env bash
# Builds Cairn's libFuzzer targets (release, libFuzzer coverage + AddressSanitizer) and runs each for a
# given time on a copy of its seed corpus; prints one line per target: `target execs crashes`.
#
#   Tests/Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]     (default: 10 s, every target)
#   NO_BUILD=1 Tests/Fuzz/run.sh ...                        (skip the build)
#
# Exits non-zero if the build fails or any target crashed (a crash, trap, hang > 10 s, leak,
# out-of-memory or sanitizer report); crash artifacts are written to a temporary directory,
# whose paths are printed. libFuzzer stops a target at its first crash, so "crashes" is 0 or 1.
# LeakSanitizer is off by default (ASAN_OPTIONS=detect_leaks=0, and libFuzzer's -detect_leaks=0): Swift stores pointers inside
# enum payloads with tag bits set, so LSan reports objects reachable only through enums (the
# expression cache, lazily built global shapes) as leaks. Real unbounded growth still fails
# the run through libFuzzer's -rss_limit_mb=2048 (an "oom-" artifact).
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
ALL=(FuzzWAL FuzzTable FuzzManifest FuzzItemCodec FuzzKeyEncoding FuzzExpression FuzzRequestJSON FuzzRequestExecution FuzzShorthand)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")

BUILD_LOG=$(mktemp /tmp/cairn-fuzz-build.XXXXXX)
# Not `--sanitize fuzzer --sanitize address`: SwiftPM passes those to swiftc as two flags in an
# order that changes from run to run, and swiftc keeps only the last one, so half the time the
# Swift code gets no coverage (libFuzzer runs blind) and otherwise no AddressSanitizer. One
# combined flag, last on the command line, gives both; `--sanitize fuzzer` stays so that SwiftPM
# links the executables with libFuzzer's main.
BUILD=(swift build -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)
if [ -n "${NO_BUILD:-}" ]; then  # NO_BUILD=1: run the binaries already built
    :
elif ! "${BUILD[@]}" >"$BUILD_LOG" 2>&1; then
    grep -v "Cannot export local symbol" "$BUILD_LOG" | tail -40
    echo "fuzz build failed (log: $BUILD_LOG)"
    exit 2
fi
rm -f "$BUILD_LOG"
BIN=$("${BUILD[@]}" --show-bin-path 2>/dev/null)

WORK=$(mktemp -d /tmp/cairn-fuzz.XXXXXX)
failed=0
printf '%-20s %12s %8s\n' target execs crashes
for t in "${TARGETS[@]}"; do
    dir="$WORK/$t"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp Corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
    cp Regressions/"$t"/* "$dir/corpus/" 2>/dev/null || true  # inputs that once crashed or hung
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$BIN/$t" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
    status=$?
    execs=$(grep -m1 '^stat::number_of_executed_units' "$dir/log" | awk '{print $2}')
    if [ -z "$execs" ]; then  # no final stats (a crash): the last status line's count
        execs=$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#')
    fi
    crashes=$(find "$dir/artifacts" -type f | wc -l)
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    printf '%-20s %12s %8s\n' "$t" "${execs:-0}" "$crashes"
    if [ "$crashes" -ne 0 ]; then
        failed=1
        echo "  log: $dir/log"
        find "$dir/artifacts" -type f -exec echo "  artifact: {}" \;
        grep -m3 -E 'ERROR: |Fatal error|SUMMARY' "$dir/log" | sed 's/^/  /'
    fi
done
echo "work directory: $WORK"
exit $failed
