#!/usr/bin/env bash
# Fuzzes the readers of every file dendrite-train reads back (issue 16) with libFuzzer.
#
#   Scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets: npy idx gzip checkpoint config plan sweep csv (default: all), each run for
# SECONDS_PER_TARGET seconds (default 60) from its seed corpus in Tests/Fuzz/corpus/<target>/.
# New inputs that reach new code go to .build-fuzz/corpus/<target>/ (not the repository's
# corpus; copy good ones there by hand). A crash, trap, leak or memory error stops the run
# with libFuzzer's report and leaves the input as .build-fuzz/artifacts/<target>/crash-*;
# the script then exits non-zero. Reproduce one with
#   DENDRITES_FUZZ_TARGET=<target> .build-fuzz/debug/dendrites-fuzz <crash file>
#
# How it is built: DENDRITES_FUZZ=1 adds the executable target `dendrites-fuzz`
# (Tests/Fuzz/Sources) to Package.swift, and every module is compiled with
# `-sanitize=fuzzer,address` (coverage instrumentation, the toolchain's libFuzzer, whose driver
# main.swift calls, and AddressSanitizer) in a scratch path of its own, .build-fuzz, so the
# normal build is untouched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

seconds="${1:-60}"
shift || true
all_targets=(npy idx gzip checkpoint config plan sweep csv)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "error: unknown fuzz target '$t'; targets: ${all_targets[*]}" >&2; exit 2; }
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "error: SECONDS_PER_TARGET must be a whole number, not '$seconds'" >&2; exit 2; }

scratch="$root/.build-fuzz"
echo "==> building dendrites-fuzz (-sanitize=fuzzer,address) in $scratch"
DENDRITES_FUZZ=1 swift build --scratch-path "$scratch" --product dendrites-fuzz \
    -Xswiftc -sanitize=fuzzer,address
binary="$scratch/debug/dendrites-fuzz"

status=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target/"
    work="$scratch/work/$target"
    mkdir -p "$corpus" "$artifacts" "$work"
    echo "==> fuzzing $target for ${seconds}s (seeds: Tests/Fuzz/corpus/$target)"
    # -max_len: room for the largest seed (a checkpoint of 6 KB), small enough that inputs stay
    # fast (the text readers walk Characters, slow in a debug build); -rss_limit_mb: a reader
    # that allocates what a header claims shows up as an out-of-memory crash; -timeout: a hang
    # shows up as one.
    max_len=8192
    [[ "$target" == checkpoint || "$target" == config ]] && max_len=16384
    if ! DENDRITES_FUZZ_TARGET="$target" DENDRITES_FUZZ_SCRATCH="$work" \
         DENDRITES_FUZZ_CONFIG="$root/Tests/Fuzz/spiking-config.json" \
         "$binary" "$corpus" "$root/Tests/Fuzz/corpus/$target" \
             -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
             -artifact_prefix="$artifacts" -print_final_stats=1 2>"$work/log.txt"; then
        echo "error: fuzz target $target found a crash; see $work/log.txt and $artifacts" >&2
        tail -n 40 "$work/log.txt" >&2
        status=1
    else
        grep -E '^stat::(number_of_executed_units|new_units_added)' "$work/log.txt" | tr '\n' ' '
        echo
    fi
done
exit "$status"
