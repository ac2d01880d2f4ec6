#!/usr/bin/env bash
# The project's test command: installs missing build dependencies (and, optionally, Slurm
# and munge for the test that runs a sweep on a real local Slurm), builds in release mode
# with the tests, runs the whole suite (Swift Testing), then installs the Python analysis
# package and runs its tests (pytest). The exit code is non-zero if either failed.
#
# The tests read the authors' fixtures from Tests/Fixtures and MNIST from where a run finds it
# (fetched with checksums when missing).
#
# Then (without a filter) it fuzzes the file readers for about a minute (Scripts/fuzz.sh: 8 s
# for each of its 7 libFuzzer targets, in its own scratch path .build-fuzz); a crash fails the
# run. DENDRITES_FUZZ_SECONDS changes the time per target, 0 skips fuzzing.
# Under CI (the CI variable set, as .ci/run's runner does) or with DENDRITES_ASAN=1, it also runs
# the reader, decoder and damaged-checkpoint tests once under AddressSanitizer (a debug build in
# .build-asan: about 3-5 minutes more). DENDRITES_ASAN=0 skips that even under CI.
#
# Extra arguments go to `swift test`, e.g. `Scripts/test.sh --filter RunDirectory`.
# $DENDRITES_SCRATCH_PATH, if set, is passed to swift as --scratch-path (default: .build).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
bash Scripts/install-deps.sh --with-slurm

# MNIST, where a run would look for it: $DENDRITES_DATA, ./data/mnist, $DENDRITES_SHARED/data/mnist,
# ../shared/data/mnist; fetched into ./data/mnist (SHA-256 checked) when none has it. The
# authors' fixtures are in Tests/Fixtures.
mnist=""
for candidate in "${DENDRITES_DATA:-}" "$root/data/mnist" "${DENDRITES_SHARED:-$root/../shared}/data/mnist"; do
    if [[ -n "$candidate" ]] && compgen -G "$candidate/train-images*" >/dev/null; then mnist="$candidate"; break; fi
done
if [[ -z "$mnist" ]]; then
    echo "==> MNIST not found: fetching it into data/mnist"
    bash "$root/Scripts/fetch-mnist.sh" "$root/data/mnist" || {
        echo "error: the tests need MNIST; put the four IDX files in data/mnist or set DENDRITES_DATA" >&2
        exit 2
    }
    mnist="$root/data/mnist"
fi
export DENDRITES_DATA="$mnist"
echo "==> MNIST: $mnist"

scratch=()
if [[ -n "${DENDRITES_SCRATCH_PATH:-}" ]]; then
    scratch=(--scratch-path "$DENDRITES_SCRATCH_PATH")
fi

source "$root/Scripts/swift-flags.sh"
echo "==> swift build -c release --build-tests ${SWIFT_RELEASE_FLAGS[*]}"
swift build -c release --build-tests ${scratch[@]+"${scratch[@]}"} ${SWIFT_RELEASE_FLAGS[@]+"${SWIFT_RELEASE_FLAGS[@]}"}
echo "==> swift test -c release --skip-build"
status=0
swift test -c release --skip-build ${scratch[@]+"${scratch[@]}"} ${SWIFT_RELEASE_FLAGS[@]+"${SWIFT_RELEASE_FLAGS[@]}"} "$@" || status=$?

# The readers of every file the tool reads back, fuzzed (and, opt-in, their tests under ASan).
if [[ $# -eq 0 ]]; then
    fuzz_seconds="${DENDRITES_FUZZ_SECONDS:-8}"
    if [[ "$fuzz_seconds" != "0" ]]; then
        echo "==> Scripts/fuzz.sh $fuzz_seconds"
        bash "$root/Scripts/fuzz.sh" "$fuzz_seconds" || status=1
    fi
    asan="${DENDRITES_ASAN:-}"
    if [[ -z "$asan" ]]; then
        case "${CI:-}" in ""|0|false|False|FALSE) asan=0 ;; *) asan=1 ;; esac
    fi
    if [[ "$asan" == "1" ]]; then
        echo "==> swift test --sanitize=address (reader and decoder tests)"
        # Leak checking off: LeakSanitizer reports the toolchain's own leaks at exit (XCTest's
        # suite objects, a buffer of FoundationEssentials' String(contentsOfFile:)); memory
        # errors still fail the run.
        ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
        swift test --sanitize=address --scratch-path "$root/.build-asan" \
            --filter 'HeaderFirstReaderTests|InputFileMessageTests|NPYTests|IDXBadInputTests|SweepPlanTests|UnreadableRunFileTests|UntrustedRunFileTests' || status=1
    fi
fi

# The Python analysis package (python/): installed from the checkout with its dependencies
# (numpy, pandas, matplotlib, pytest from PyPI), tested against the run directories in Results/.
# Skipped when a filter was given to swift test.
if [[ $# -eq 0 ]]; then
    echo "==> pip install ./python[test] && pytest python/tests"
    python3 -m pip install --quiet --disable-pip-version-check "$root/python[test]" || status=1
    python3 -m pytest -q -p no:cacheprovider "$root/python/tests" || status=1
fi
exit "$status"
