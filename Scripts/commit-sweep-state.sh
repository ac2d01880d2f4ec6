#!/usr/bin/env bash
# Stages what a sweep's runs need in git to be resumed on another machine, and their results:
# for every run directory of SWEEP (default Results/paper): config.json, checkpoint.json, the
# CSV series, any SVG/HTML, and the weight files of the epoch that checkpoint.json names (the
# last finished epoch: what `resume` loads, and what `dendrite-train test --prefix epoch_<k>_`
# evaluates). Older epochs' weight files are removed from the index (they stay on disk).
# The sweep's own files (sweep.json, plan.tsv, command.txt, summary.*, figures) are staged too.
# Nothing is committed: review with `git status` and commit.
#
#   bash Scripts/commit-sweep-state.sh [SWEEP]
set -euo pipefail
sweep="${1:-Results/paper}"
cd "$(git rev-parse --show-toplevel)"
[[ -d "$sweep" ]] || { echo "error: $sweep is not a directory" >&2; exit 2; }
for name in sweep.json plan.tsv command.txt summary.csv summary.md summary_by_epoch.csv index.html; do
    [[ -f "$sweep/$name" ]] && git add -f "$sweep/$name"
done
for svg in "$sweep"/*.svg; do [[ -f "$svg" ]] && git add -f "$svg"; done
for run in "$sweep"/*/; do
    run="${run%/}"
    [[ -f "$run/config.json" && -f "$run/checkpoint.json" ]] || continue
    prefix=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["weightsPrefix"])' "$run/checkpoint.json")
    [[ "$prefix" =~ ^(initial_|epoch_[0-9]+_)$ ]] || { echo "error: $run/checkpoint.json names weights '$prefix'" >&2; exit 2; }
    git add -f "$run/config.json" "$run/checkpoint.json" "$run"/*.csv
    for f in "$run"/*.svg "$run"/index.html; do [[ -f "$f" ]] && git add -f "$f"; done
    # Weight files in the index that the checkpoint no longer names.
    git ls-files -- "$run/*.npy" | while read -r tracked; do
        [[ "$(basename "$tracked")" == "$prefix"* ]] || git rm -q --cached -- "$tracked"
    done
    git add -f "$run/$prefix"*.npy
    echo "$run: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completedEpochs"])' "$run/checkpoint.json") epochs, weights $prefix*.npy"
done
