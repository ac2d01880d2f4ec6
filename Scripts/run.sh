#!/usr/bin/env bash
# The main job, from a fresh Debian/Ubuntu machine to a trained network:
#   1. installs missing build dependencies (Scripts/install-deps.sh),
#   2. finds MNIST (./data/mnist, $DENDRITES_DATA, ../shared/data/mnist) or downloads it into
#      data/mnist with verified SHA-256 sums (Scripts/fetch-mnist.sh),
#   3. builds in release mode,
#   4. trains: `dendrite-train train "$@"`, by default `--hidden 500 --epochs 1`. Any
#      arguments replace the defaults (see `.build/release/dendrite-train train --help`).
# Runs from the repository root, so relative paths in the arguments are relative to it.
# The run directory (Results/runs/...) and the final test error are printed at the end.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

echo "==> checking build dependencies"
bash Scripts/install-deps.sh

# True when DIR holds the four MNIST files (gzip'd or not, hyphenated or dotted names).
has_mnist() {
    local dir="$1" part suffix
    [[ -n "$dir" && -d "$dir" ]] || return 1
    for part in train-images train-labels t10k-images t10k-labels; do
        if [[ "$part" == *images ]]; then suffix=idx3-ubyte; else suffix=idx1-ubyte; fi
        [[ -f "$dir/$part-$suffix.gz" || -f "$dir/$part-$suffix" ||
            -f "$dir/$part.$suffix.gz" || -f "$dir/$part.$suffix" ]] || return 1
    done
}

if [[ $# -eq 0 ]]; then
    set -- --hidden 500 --epochs 1
fi

explicit_data=false
dataset_is_mnist=true
previous=""
for argument in "$@"; do
    case "$argument" in --data | --data=*) explicit_data=true ;; esac
    if [[ "$previous" == --dataset && "$argument" != mnist ]] || [[ "$argument" == --dataset=* && "$argument" != --dataset=mnist ]]; then
        dataset_is_mnist=false
    fi
    previous="$argument"
done

echo "==> looking for MNIST"
if $explicit_data || ! $dataset_is_mnist; then
    echo "    (data set chosen on the command line)"
else
    found=""
    for candidate in data/mnist "${DENDRITES_DATA:-}" ../shared/data/mnist; do
        if has_mnist "$candidate"; then found="$candidate"; break; fi
    done
    if [[ -n "$found" ]]; then
        echo "    found in $found"
    else
        echo "==> downloading MNIST into data/mnist"
        bash Scripts/fetch-mnist.sh data/mnist
    fi
fi

source "$(dirname "${BASH_SOURCE[0]}")/swift-flags.sh"
echo "==> building (swift build -c release ${SWIFT_RELEASE_FLAGS[*]})"
swift build -c release "${SWIFT_RELEASE_FLAGS[@]}"

echo "==> training: dendrite-train train $*"
exec .build/release/dendrite-train train "$@"
