#!/usr/bin/env bash
# Run every fuzz target (or those named) for SECS seconds each from its seed corpus, new inputs
# going to a scratch copy; fails when any target crashes, leaks or hangs.
#   tests/fuzz/run.sh BUILD_DIR SECS [TARGET...]
# BUILD_DIR is a build with -DLUNASIP_FUZZ=ON (clang). Crash inputs land in BUILD_DIR/fuzz-artifacts.
set -uo pipefail
build=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(ls "$here/corpus"))
art=$build/fuzz-artifacts
mkdir -p "$art"
status=0
for t in "${targets[@]}"; do
    bin=$build/tests/fuzz/fuzz_$t
    work=$(mktemp -d "${TMPDIR:-/tmp}/lunasip-fuzz-$t.XXXXXX")
    "$bin" "$work" "$here/corpus/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$art/$t-" -print_final_stats=1 >"$art/$t.log" 2>&1
    rc=$?
    runs=$(awk '/stat::number_of_executed_units/{print $2}' "$art/$t.log")
    cov=$(grep -oE 'cov: [0-9]+' "$art/$t.log" | tail -1)
    if [ $rc -ne 0 ]; then
        echo "FUZZ FAIL: $t (exit $rc, ${runs:-?} runs): see $art/$t.log" >&2
        grep -m1 -A12 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error' "$art/$t.log" >&2
        status=1
    else
        echo "fuzz $t: ${runs:-?} runs in ${secs} s, ${cov:-cov ?}, no crash"
    fi
    rm -rf "$work"
done
exit $status
