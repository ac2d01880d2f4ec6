"""Sweep directories of ``dendrite-train ablate`` (or any folder of run directories).

A sweep directory holds one run directory per architecture × setting × seed, next to
summary.csv, summary_by_epoch.csv, sweep.json and plan.tsv. This module reads the runs
themselves, so it also works on a sweep whose summary is missing or stale, and on a folder of
runs collected by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List

import pandas as pd

from .run import PathLike, Run, load_run

# config.json entries that differ between runs of a sweep without being swept options
# (``tensorboard`` changes no result, so it does not tell runs apart either).
NOT_OPTIONS = {"commandLine", "date", "gitCommit", "dataDirectory", "formatVersion", "training.seed", "network.hiddenSizes",
               "tensorboard"}


def layer_sort_key(layer: str) -> tuple:
    """Orders layer names bottom to top: input, hidden_0, hidden_1, …, output, network."""
    if layer == "input":
        return (0, 0)
    if layer.startswith("hidden_"):
        return (1, int(layer[len("hidden_"):]))
    if layer == "output":
        return (2, 0)
    if layer == "network":
        return (3, 0)
    return (4, layer)


def _natural_key(name: str) -> list:
    """Sorts "seed2" before "seed10": digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def flatten_config(config: dict, prefix: str = "") -> Dict[str, object]:
    """``{"network": {"variants": {"symmetric": True}}}`` -> ``{"network.variants.symmetric": True}``."""
    flat = {}
    for key, value in config.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(flatten_config(value, name + "."))
        else:
            flat[name] = value
    return flat


def _cell(value):
    """A config value as a table cell: lists become "0.23,0.23,0.12" (as on the command line)."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value


def swept_options(runs: List[Run]) -> List[str]:
    """The dotted config.json keys that were swept: those that differ between runs of one architecture.

    Seeds, dates, commits, paths and command lines are not options. Keys present in only some
    configs (such as ``network.variants.sparseZeroedFraction``) count as differing from absent.
    Options that change only with the architecture (such as the default learning rates) are
    not listed.
    """
    flats = [flatten_config(run.config) for run in runs]
    keys = sorted({key for flat in flats for key in flat} - NOT_OPTIONS)
    swept = []
    for key in keys:
        values_by_architecture: Dict[str, set] = {}
        for run, flat in zip(runs, flats):
            values_by_architecture.setdefault(run.label, set()).add(json.dumps(flat.get(key), sort_keys=True))
        if any(len(values) > 1 for values in values_by_architecture.values()):
            swept.append(key)
    return swept


def load_sweep_runs(path: PathLike) -> List[Run]:
    """Every run of a sweep directory: each subdirectory with config.json and metrics.csv, in name order.

    Raises ValueError naming the path when it is not a directory or holds no such subdirectory.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: not a directory (expected a sweep directory of run subdirectories)")
    run_directories = [
        child for child in path.iterdir()
        if child.is_dir() and (child / "config.json").is_file() and (child / "metrics.csv").is_file()
    ]
    if not run_directories:
        hint = "; it is itself a run directory: use load_run()" if (path / "config.json").is_file() else ""
        raise ValueError(f"{path}: not a sweep directory, no subdirectory has config.json and metrics.csv{hint}")
    run_directories.sort(key=lambda d: _natural_key(d.name))
    return [load_run(d) for d in run_directories]


def _run_rows(run: Run, options: List[str]) -> pd.DataFrame:
    """One row per finished epoch of one run (see `load_sweep`)."""
    metrics = run.metrics.copy()
    flat = flatten_config(run.config)
    identity = {
        "run": run.name,
        "architecture": run.label,
        "hidden_layers": run.hidden_layers,
        "seed": run.seed,
        "mode": run.mode,
        "precision": run.precision,
        "options": " ".join(f"{key.split('.')[-1]}={_cell(flat[key])}" for key in options if flat.get(key) is not None),
    }
    for key in options:
        identity[key] = _cell(flat.get(key))
    for position, (column, value) in enumerate(identity.items()):
        metrics.insert(position, column, [value] * len(metrics))
    metrics["finished"] = run.finished
    metrics["final"] = metrics["epoch"] == metrics["epoch"].max()

    if run.layer_accuracy is not None and not run.layer_accuracy.empty:
        accuracy = run.layer_accuracy.pivot_table(index="epoch", columns="layer", values="accuracy_percent", aggfunc="last")
        accuracy.columns = [f"accuracy_{layer}_percent" for layer in accuracy.columns]
        metrics = metrics.merge(accuracy, left_on="epoch", right_index=True, how="left")
    smoothed = run.update_angles_smoothed
    if smoothed is not None and not smoothed.empty:
        last_blocks = smoothed.groupby("epoch").tail(1).set_index("epoch")
        angle_columns = [c for c in last_blocks.columns if c.startswith("hidden_") and c.endswith("_deg")]
        angles = last_blocks[angle_columns]
        angles.columns = [f"update_angle_{c}" for c in angle_columns]
        metrics = metrics.merge(angles, left_on="epoch", right_index=True, how="left")
    return metrics


def _measurement_column_key(column: str) -> tuple:
    if column.startswith("accuracy_"):
        return (0, layer_sort_key(column[len("accuracy_"):-len("_percent")]))
    return (1, layer_sort_key(column[len("update_angle_"):-len("_deg")]))


def sweep_table(runs: List[Run]) -> pd.DataFrame:
    """The table of `load_sweep` for runs already loaded."""
    options = swept_options(runs)
    frames = [_run_rows(run, options) for run in runs if run.metrics is not None and not run.metrics.empty]
    if not frames:
        return pd.DataFrame(columns=["run", "architecture", "hidden_layers", "seed", "options", "epoch", "test_error_percent"])
    table = pd.concat(frames, ignore_index=True)
    measured = [c for c in table.columns if c.startswith("accuracy_") or c.startswith("update_angle_")]
    others = [c for c in table.columns if c not in measured]
    return table[others + sorted(measured, key=_measurement_column_key)]


def load_sweep(path: PathLike) -> pd.DataFrame:
    """One tidy table over every run of a sweep directory: one row per run and epoch.

    Columns: ``run`` (subdirectory name), ``architecture`` (e.g. "784-500-10"),
    ``hidden_layers``, ``seed``, ``mode``, ``precision``, ``options`` (the swept settings as
    "key=value …", empty when only architectures and seeds vary), one column per swept
    config.json key (dotted, e.g. ``network.variants.symmetric``, see `swept_options`), then
    metrics.csv's ``step``, ``epoch``, ``test_error_percent``, ``training_error_percent``,
    ``mean_loss``, ``images``, ``time_s`` (format 1's ``seconds``); ``finished`` (the run has all its epochs),
    ``final`` (the run's last epoch); ``accuracy_<layer>_percent`` from layer_accuracy.csv
    (``input``, ``hidden_<l>``, ``output``, ``network``) and
    ``update_angle_hidden_<l>_deg`` (the epoch's last block of
    update_angles_smoothed.csv), empty where a run lacks the file or the layer.
    """
    return sweep_table(load_sweep_runs(path))
