#!/usr/bin/env bash
# Fuzzing campaign: runs every cargo-fuzz target of mesos-lib/fuzz and kernel/fuzz, one after
# another, for SECONDS_PER_TARGET each (default 60), then prints executions and crashes per
# target. New corpus entries land in <crate>/fuzz/corpus/<target>/ (shrink them with
# `cargo +nightly fuzz cmin <target>` before committing); crashing inputs in
# <crate>/fuzz/artifacts/<target>/ (fix the bug, then move the input to
# <crate>/fuzz/regressions/<target>/ so the smoke test replays it).
#
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Needs a nightly toolchain and cargo-fuzz; CARGO_BUILD_JOBS limits the build's parallelism.
# FUZZ_SANITIZER (default none: the targets are safe Rust, and without AddressSanitizer they
# build and run about twice as fast) is passed to cargo fuzz's --sanitizer.
set -u

secs=${1:-60}
shift $(($# > 0 ? 1 : 0))
only=("$@")
root=$(cd "$(dirname "$0")/.." && pwd)
logs=${FUZZ_LOG_DIR:-$root/target/fuzz-logs}
sanitizer=${FUZZ_SANITIZER:-none}

if ! [[ $secs =~ ^[0-9]+$ ]] || ((secs == 0)); then
    echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer, not '$secs'" >&2
    exit 2
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly toolchain; install one with: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is missing; install it with: cargo install cargo-fuzz --locked" >&2
    exit 2
fi
mkdir -p "$logs"

wanted() {
    ((${#only[@]} == 0)) && return 0
    local t
    for t in "${only[@]}"; do [[ $t == "$1" ]] && return 0; done
    return 1
}

rows=()
failed=0
for crate in mesos-lib kernel; do
    dir=$root/$crate/fuzz
    cd "$dir" || exit 2
    targets=$(cargo +nightly fuzz list)
    for target in $targets; do
        wanted "$target" || continue
        echo "== $crate/$target: building" >&2
        if ! cargo +nightly fuzz build --sanitizer "$sanitizer" "$target" >"$logs/$target.build.log" 2>&1; then
            echo "fuzz.sh: build of $target failed, see $logs/$target.build.log" >&2
            rows+=("$crate/$target|$secs|-|-|build failed")
            failed=1
            continue
        fi
        echo "== $crate/$target: fuzzing for ${secs}s" >&2
        mkdir -p "corpus/$target" "artifacts/$target"
        extra=()
        [[ -d regressions/$target ]] && extra+=("regressions/$target")
        before=$(ls "artifacts/$target" | wc -l)
        cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" "${extra[@]}" -- \
            -max_total_time="$secs" -timeout=25 -print_final_stats=1 >"$logs/$target.log" 2>&1
        status=$?
        after=$(ls "artifacts/$target" | wc -l)
        crashes=$((after - before))
        # libFuzzer's closing stats; after a crash only the last "#N" status line is left.
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -1)
        if [[ -z $execs ]]; then
            execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$logs/$target.log" | tail -1)
        fi
        if [[ -z $execs ]]; then
            execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$logs/$target.log" | tail -1)
        fi
        corpus=$(ls "corpus/$target" | wc -l)
        if ((status == 0 && crashes == 0)); then
            result="ok, corpus $corpus"
        else
            result="FAILED (exit $status), see $logs/$target.log"
            failed=1
        fi
        rows+=("$crate/$target|$secs|${execs:-?}|$crashes|$result")
    done
done

printf '\n%-28s %8s %12s %8s  %s\n' target seconds executions crashes result
for row in "${rows[@]}"; do
    IFS='|' read -r t s e c r <<<"$row"
    printf '%-28s %8s %12s %8s  %s\n' "$t" "$s" "$e" "$c" "$r"
done
exit $failed
