#!/usr/bin/env bash
# Paired timing of two dendrite-train binaries: ROUNDS rounds, each running both binaries back to
# back (in alternating order), training IMAGES images of spiking 784-500-10 on one core. Prints each
# binary's median and fastest ms per image and the median of the per-round ratios B / A, which is
# robust to the slow drifts of a shared machine.
#
#   bash Scripts/bench-pair.sh 20 2000 old/dendrite-train new/dendrite-train [--precision float64 …]
#
# MNIST is found as `dendrite-train bench` finds it (or pass --data DIR after the binaries).
set -euo pipefail
if [[ $# -lt 4 ]]; then
    echo "usage: $0 ROUNDS IMAGES BINARY_A BINARY_B [bench options…]" >&2
    exit 2
fi
rounds=$1; images=$2; a=$3; b=$4; shift 4
extra=("$@")
[[ " ${extra[*]} " == *" --precision "* ]] || extra+=(--precision float32)
run() {
    "$1" bench --hidden 500 --mode spiking --train-images "$images" --test-images 1 "${extra[@]}" \
        | awk -F'|' '/^\| 784/ { gsub(/ /, "", $6); print $6; exit }'
}
as=(); bs=(); ratios=()
for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then ta=$(run "$a"); tb=$(run "$b"); else tb=$(run "$b"); ta=$(run "$a"); fi
    as+=("$ta"); bs+=("$tb")
    ratios+=("$(awk -v x="$tb" -v y="$ta" 'BEGIN { printf "%.3f", x / y }')")
    echo "round $r: A $ta ms, B $tb ms, B/A ${ratios[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fastest() { printf '%s\n' "$@" | sort -g | head -1; }
echo "A ($a): median $(median "${as[@]}") ms, fastest $(fastest "${as[@]}") ms"
echo "B ($b): median $(median "${bs[@]}") ms, fastest $(fastest "${bs[@]}") ms"
echo "median B/A: $(median "${ratios[@]}")"
