#!/usr/bin/env bash
# Downloads the four MNIST .gz files into DEST (default: data/mnist) and verifies each
# against the SHA-256 sums in Scripts/mnist.sha256 before moving it into place.
# Files already present with the right sums are left alone.
set -euo pipefail

usage() { echo "usage: $0 [DEST]   (default DEST: data/mnist)" >&2; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
if [[ $# -gt 1 ]]; then usage; exit 2; fi

dest="${1:-data/mnist}"
sums_file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mnist.sha256"
mirrors=(
    "https://ossci-datasets.s3.amazonaws.com/mnist/"
    "https://storage.googleapis.com/cvdf-datasets/mnist/"
)

sha256_of() {
    if command -v sha256sum >/dev/null; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

# download URL OUTPUT
download() {
    if command -v curl >/dev/null; then
        curl --fail --location --silent --show-error --retry 2 --connect-timeout 20 --output "$2" "$1"
    elif command -v wget >/dev/null; then
        wget --quiet --tries=3 --timeout=20 --output-document="$2" "$1"
    else
        echo "error: neither curl nor wget is installed" >&2
        return 1
    fi
}

[[ -f "$sums_file" ]] || { echo "error: checksum list $sums_file not found" >&2; exit 1; }
mkdir -p "$dest"

partial=""
trap 'if [[ -n "$partial" ]]; then rm -f "$partial"; fi' EXIT

while read -r expected name <&3; do
    [[ -n "$expected" ]] || continue
    name="${name#\*}"  # sha256sum's binary-mode marker
    target="$dest/$name"
    if [[ -f "$target" && "$(sha256_of "$target")" == "$expected" ]]; then
        echo "ok: $target"
        continue
    fi

    fetched=false
    for mirror in "${mirrors[@]}"; do
        partial="$(mktemp "$dest/.$name.XXXXXX")"
        echo "downloading $mirror$name"
        if ! download "$mirror$name" "$partial"; then
            echo "warning: download from $mirror failed" >&2
        else
            actual="$(sha256_of "$partial")"
            if [[ "$actual" == "$expected" ]]; then
                chmod 644 "$partial"
                mv -f "$partial" "$target"
                partial=""
                fetched=true
                echo "ok: $target"
                break
            fi
            echo "error: checksum mismatch for $name from $mirror: expected $expected, got $actual; removed the bad download" >&2
        fi
        rm -f "$partial"
        partial=""
    done
    if ! $fetched; then
        echo "error: could not get a verified copy of $name from any mirror" >&2
        exit 1
    fi
done 3<"$sums_file"

echo "MNIST is ready in $dest"
