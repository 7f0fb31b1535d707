#!/usr/bin/env bash
# The fuzzers' long run (issue 23: >= 10^7 executions per target, 0 crashes), resumable.
#
#   Tests/Fuzz/long-run.sh DIR [EXECS_PER_TARGET] [TARGET ...]   (default 10000000, every target)
#   NO_BUILD=1 Tests/Fuzz/long-run.sh DIR ...                     (run what is built)
#
# DIR keeps, per target, a corpus that grows from the seeds in Corpus/ and a ledger
# (DIR/ledger.tsv: commit, target, executions, seconds, crashes, date) of every session. A
# target's total is the sum of its ledger lines without a crash (a session that found one
# does not count; the runs after the fix do); this script runs each target until its total
# reaches EXECS_PER_TARGET, in sessions of at most 20 minutes (LONG_RUN_SESSION seconds), so it
# can be stopped at any moment (SIGTERM, or Ctrl-C in a terminal: the running session's executions so far are
# recorded) and started again later, from the same corpus. Targets run in
# the order given (default: fastest first). A crash stops the script with status 1; its input
# is in DIR/TARGET/artifacts. Prints each target's total at the end.
#
# Built like run.sh: release, libFuzzer coverage and AddressSanitizer, LeakSanitizer off. One
# difference: ASan records no allocation and free stacks (malloc_context_size=0), which halves
# the cost of each allocation (FuzzExpression: 1,161 -> 2,425 execs/s); a memory error is still
# reported where it happens, and its input, run again with run.sh's options, shows the rest.
set -uo pipefail
cd "$(dirname "$0")"
DIR=${1:?usage: long-run.sh DIR [EXECS_PER_TARGET] [TARGET ...]}
GOAL=${2:-10000000}
shift $(( $# > 1 ? 2 : 1 ))
SESSION=${LONG_RUN_SESSION:-1200}
ALL=(FuzzItemCodec FuzzKeyEncoding FuzzRequestJSON FuzzRequestExecution FuzzTable FuzzExpression FuzzShorthand FuzzManifest FuzzWAL)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
LEDGER="$DIR/ledger.tsv"
[ -f "$LEDGER" ] || printf 'commit\ttarget\texecs\tseconds\tcrashes\tdate\n' >"$LEDGER"

BUILD=(swift build -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)
if [ -z "${NO_BUILD:-}" ] && ! "${BUILD[@]}" >"$DIR/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$DIR/build.log" | tail -40
    echo "fuzz build failed (log: $DIR/build.log)"
    exit 2
fi
BIN=$("${BUILD[@]}" --show-bin-path 2>/dev/null)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain -- ../../Sources . 2>/dev/null)" ] && COMMIT="$COMMIT+changes"

# Ctrl-C / SIGTERM: stop the fuzzer, which then exits with libFuzzer's interrupt status (72).
interrupted=0
trap 'interrupted=1; [ -n "${fuzzer:-}" ] && kill -INT "$fuzzer" 2>/dev/null' INT TERM

total() { awk -F'\t' -v t="$1" 'NR > 1 && $2 == t && $5 == 0 { s += $3 } END { print s + 0 }' "$LEDGER"; }

for t in "${TARGETS[@]}"; do
    mkdir -p "$DIR/$t/corpus" "$DIR/$t/artifacts"
    [ -n "$(ls -A "$DIR/$t/corpus")" ] || cp Corpus/"$t"/* "$DIR/$t/corpus/" 2>/dev/null || true
    cp Regressions/"$t"/* "$DIR/$t/corpus/" 2>/dev/null || true  # inputs that once crashed or hung
    while [ "$(total "$t")" -lt "$GOAL" ]; do
        remaining=$(( GOAL - $(total "$t") ))
        started=$(date +%s)
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:malloc_context_size=0} "$BIN/$t" \
            -runs="$remaining" -max_total_time="$SESSION" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=0 \
            -print_final_stats=1 -artifact_prefix="$DIR/$t/artifacts/" "$DIR/$t/corpus" >"$DIR/$t/log" 2>&1 &
        fuzzer=$!
        wait "$fuzzer"; status=$?
        # `wait` returns early when a trapped signal arrives; wait again for the fuzzer's own exit.
        [ "$interrupted" -eq 1 ] && { wait "$fuzzer"; status=$?; }
        fuzzer=
        execs=$(grep -m1 '^stat::number_of_executed_units' "$DIR/$t/log" | awk '{print $2}')
        [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$DIR/$t/log" | tail -1 | tr -d '#')
        crashes=$(find "$DIR/$t/artifacts" -type f | wc -l)
        if [ "$interrupted" -eq 1 ] && [ "$crashes" -eq 0 ]; then
            status=0  # stopped by the user, not a finding
        fi
        [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$COMMIT" "$t" "${execs:-0}" "$(( $(date +%s) - started ))" "$crashes" "$(date -u +%FT%TZ)" >>"$LEDGER"
        if [ "$crashes" -ne 0 ]; then
            echo "$t crashed: log $DIR/$t/log, artifacts in $DIR/$t/artifacts"
            grep -m3 -E 'ERROR: |Fatal error|SUMMARY' "$DIR/$t/log" | sed 's/^/  /'
            exit 1
        fi
        [ "$interrupted" -eq 1 ] && { echo "stopped; run again to go on"; break 2; }
        [ "${execs:-0}" -eq 0 ] && { echo "$t made no progress: $DIR/$t/log"; exit 2; }
    done
done
printf '%-20s %12s %8s\n' target execs crashes
for t in "${ALL[@]}"; do
    printf '%-20s %12s %8s\n' "$t" "$(total "$t")" \
        "$(awk -F'\t' -v t="$t" 'NR > 1 && $2 == t { s += $5 } END { print s + 0 }' "$LEDGER")"
done
