#!/usr/bin/env bash
# Regenerates the seed corpora Tests/Fuzz/Corpus/<target>/ from the fuzz binaries themselves:
# each target's LLVMFuzzerInitialize writes its seeds (valid WAL files, tables and manifests
# written by the engine into a MemoryFileSystem, encoded items and keys, expressions, request
# JSON, shorthand) when CAIRN_FUZZ_WRITE_SEEDS names a directory. Build first (run.sh does).
set -euo pipefail
cd "$(dirname "$0")"
BIN=${BIN:-.build/release}
TARGETS=(FuzzWAL FuzzTable FuzzManifest FuzzItemCodec FuzzKeyEncoding FuzzExpression FuzzRequestJSON FuzzRequestExecution FuzzShorthand)
for t in "${TARGETS[@]}"; do
    rm -rf "Corpus/$t"
    mkdir -p "Corpus/$t"
    CAIRN_FUZZ_WRITE_SEEDS="$PWD/Corpus/$t" ASAN_OPTIONS=detect_leaks=0 "$BIN/$t" >/dev/null 2>&1 || true
    echo "$t: $(ls "Corpus/$t" | wc -l) seeds, $(du -sk "Corpus/$t" | cut -f1) KiB"
done
