#!/usr/bin/env bash
# Regenerates Sources/Dendrites/TensorBoard/tensorboard_event.pb.swift from
# Protos/tensorboard_event.proto. Run it after editing the .proto and commit both files; the
# build itself never runs protoc (no build plugin: it would add minutes to every clean build).
#
# Needs protoc (Debian: apt-get install protobuf-compiler) and protoc-gen-swift of the same
# swift-protobuf version the package depends on. Without protoc-gen-swift on PATH (or in
# $PROTOC_GEN_SWIFT) it is built from the resolved checkout in .build/checkouts/swift-protobuf
# (run `swift package resolve` first).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
if [[ -z "$plugin" ]]; then
    checkout="$root/.build/checkouts/swift-protobuf"
    if [[ ! -d "$checkout" ]]; then
        echo "error: no protoc-gen-swift; run 'swift package resolve' or set PROTOC_GEN_SWIFT" >&2
        exit 2
    fi
    # Built in a copy, so the package's own checkout stays untouched.
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    cp -R "$checkout" "$work/swift-protobuf"
    (cd "$work/swift-protobuf" && swift build -c release --product protoc-gen-swift)
    plugin="$work/swift-protobuf/.build/release/protoc-gen-swift"
fi
echo "protoc: $(protoc --version); protoc-gen-swift: $("$plugin" --version)"

protoc --plugin=protoc-gen-swift="$plugin" \
    --proto_path=Protos \
    --swift_opt=Visibility=Internal \
    --swift_out=Sources/Dendrites/TensorBoard \
    Protos/tensorboard_event.proto
echo "wrote Sources/Dendrites/TensorBoard/tensorboard_event.pb.swift"
