# Sourced by run.sh and test.sh: the release build targets this machine's CPU (AVX2/FMA where
# present), so the spiking kernels use its full vector width. Both scripts use the same flags,
# so they share one build. DENDRITES_PORTABLE=1 builds for the baseline x86-64/arm64 instead.
if [[ "${DENDRITES_PORTABLE:-0}" == "1" ]]; then
    SWIFT_RELEASE_FLAGS=()
else
    SWIFT_RELEASE_FLAGS=(-Xswiftc -target-cpu -Xswiftc native -Xcc -march=native)
fi
