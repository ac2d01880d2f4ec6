"""Matplotlib figures of runs and sweeps.

Every function returns a ``matplotlib.figure.Figure`` drawn on the Agg canvas, without pyplot:
nothing is shown and no global figure state is kept. Save one with ``fig.savefig("x.png")``.
"""

from __future__ import annotations

import math
from typing import Iterable, List, Optional, Union

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .run import Run
from .sweep import layer_sort_key

Runs = Union[Run, Iterable[Run]]


def _as_list(runs: Runs) -> List[Run]:
    return [runs] if isinstance(runs, Run) else list(runs)


def _new_figure(width: float = 7.0, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def fitted_limits(values, margin: float = 0.05, minimum_span: float = 1.0) -> Optional[tuple]:
    """(low, high) around the finite values with a margin, or None when there are none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = float(values.min()), float(values.max())
    if high - low < minimum_span:
        middle = (low + high) / 2
        low, high = middle - minimum_span / 2, middle + minimum_span / 2
    pad = (high - low) * margin
    return low - pad, high + pad


def plot_test_error(runs: Runs) -> Figure:
    """Test error (full test set, per epoch) of each run; its quick tests dashed in the same colour."""
    figure = _new_figure()
    axes = figure.add_subplot()
    for run in _as_list(runs):
        colour = None
        if run.metrics is not None and not run.metrics.empty:
            (line,) = axes.plot(run.metrics["epoch"], run.metrics["test_error_percent"], marker="o", label=run.name)
            colour = line.get_color()
        if run.quick_test is not None and not run.quick_test.empty:
            epochs = run.quick_test["step"] / run.images_per_epoch
            axes.plot(epochs, run.quick_test["test_error_percent"], linestyle="--", linewidth=0.8,
                      alpha=0.7, color=colour, label=f"{run.name} (quick tests)")
    _finish(axes, "epoch (training images / images per epoch)", "test error (%)", "Test error")
    return figure


def _finish(axes, xlabel: str, ylabel: str, title: str) -> None:
    """Labels, a light grid, and a legend when anything was drawn."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if axes.lines:
        axes.legend(fontsize="small")


def plot_update_angles(run_or_runs: Runs, smoothed: bool = True) -> Figure:
    """The update angle (E^l vs E_bp^l) of every hidden layer against training images.

    Uses update_angles_smoothed.csv (means over blocks of 100 images) when ``smoothed`` and
    the file is there, else update_angles.csv. The y-axis is fitted to the data; the 90°
    line (no alignment) is drawn when it falls inside it.
    """
    runs = _as_list(run_or_runs)
    figure = _new_figure()
    axes = figure.add_subplot()
    all_angles = []
    for run in runs:
        if smoothed and run.update_angles_smoothed is not None:
            long = run.update_angles_smoothed_long()
        else:
            long = run.update_angles_long()
        for layer, rows in long.groupby("layer", sort=True):
            label = layer if len(runs) == 1 else f"{run.name} {layer}"
            axes.plot(rows["step"] / run.images_per_epoch, rows["angle_deg"], linewidth=1, label=label)
            all_angles.append(rows["angle_deg"].to_numpy(dtype=float))
    limits = fitted_limits(np.concatenate(all_angles)) if all_angles else None
    if limits is None:
        axes.text(0.5, 0.5, "no update angles recorded", ha="center", va="center", transform=axes.transAxes)
    else:
        axes.set_ylim(*limits)
        if limits[0] < 90 < limits[1]:
            axes.axhline(90, color="grey", linestyle=":", linewidth=1)
        axes.legend(fontsize="small")
    axes.set_xlabel("epoch (training images / images per epoch)")
    axes.set_ylabel("update angle (degrees)")
    axes.set_title("Update angle, E vs E_bp" + (" (100-image means)" if smoothed else ""))
    axes.grid(alpha=0.3)
    return figure


def plot_layer_accuracy(runs: Runs, epoch: Optional[int] = None) -> Figure:
    """Linear read-out accuracy of every layer (input, hidden_<l>, output) and the network's own.

    One line per run, at ``epoch`` (default: each run's last epoch in layer_accuracy.csv).
    Runs of different depths share the x-axis; a run's line breaks at a layer it lacks.
    """
    runs = _as_list(runs)
    figure = _new_figure()
    axes = figure.add_subplot()
    per_run = []
    for run in runs:
        table = run.layer_accuracy
        if table is None or table.empty:
            continue
        wanted = table["epoch"].max() if epoch is None else epoch
        rows = table[table["epoch"] == wanted]
        per_run.append((run, int(wanted), dict(zip(rows["layer"], rows["accuracy_percent"].astype(float)))))
    layers = sorted({layer for _, _, values in per_run for layer in values}, key=layer_sort_key)
    for run, wanted, values in per_run:
        # NaN where a run lacks a layer, so that its line breaks there instead of bridging it.
        y = [values.get(layer, np.nan) for layer in layers]
        axes.plot(range(len(layers)), y, marker="o", label=f"{run.name} (epoch {wanted})")
    if per_run:
        axes.set_xticks(range(len(layers)), layers)
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no layer_accuracy.csv", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel("layer (linear read-out; 'network' is the network's own output)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title("Per-layer read-out accuracy")
    axes.grid(alpha=0.3)
    return figure


def plot_sweep_test_error(sweep_table: pd.DataFrame, finished_only: bool = True) -> Figure:
    """Mean test error per epoch over seeds, one line per architecture (and setting), min–max band.

    ``sweep_table`` is the table of `load_sweep`. With ``finished_only`` (as the sweep summary
    does) runs that have not trained all their epochs are left out.
    """
    table = sweep_table
    if finished_only and "finished" in table.columns:
        table = table[table["finished"].astype(bool)]
    groups = ["architecture", "options"] if "options" in table.columns else ["architecture"]
    figure = _new_figure()
    axes = figure.add_subplot()
    for key, rows in table.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        label = " ".join(str(part) for part in key if part)
        stats = rows.groupby("epoch")["test_error_percent"].agg(["mean", "min", "max"])
        label += f" ({rows['run'].nunique()} runs)"
        (line,) = axes.plot(stats.index, stats["mean"], marker="o", label=label)
        axes.fill_between(stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.2, linewidth=0)
    _finish(axes, "epoch", "test error (%)", "Test error: mean over seeds, band from min to max")
    if not axes.lines:
        axes.text(0.5, 0.5, "no finished runs", ha="center", va="center", transform=axes.transAxes)
    return figure


def plot_receptive_fields(W0: np.ndarray, n: int = 100, image_shape: Optional[tuple] = None) -> Figure:
    """The first ``n`` rows of ``W0`` (one per hidden neuron) as image tiles on one colour scale.

    ``W0`` is ``weights()["W_0"]`` (n_hidden × 784, pixels in row-major order), or a
    difference such as ``W_0`` of an epoch minus the initial one, where learned strokes show
    early. Every tile shares one scale, symmetric around 0: white is 0, full red is the largest
    |value| m of all the tiles shown and full blue −m; the colour bar is labelled −m, 0 and +m.
    ``image_shape`` defaults to a square image.
    """
    W0 = np.asarray(W0, dtype=float)
    if W0.ndim != 2:
        raise ValueError(f"W0 must be a 2-D array (neurons × pixels), not shape {W0.shape}")
    if image_shape is None:
        side = math.isqrt(W0.shape[1])
        if side * side != W0.shape[1]:
            raise ValueError(f"W0 has {W0.shape[1]} inputs, not a square image; pass image_shape")
        image_shape = (side, side)
    rows_px, columns_px = image_shape
    if rows_px * columns_px != W0.shape[1]:
        raise ValueError(f"W0 has {W0.shape[1]} inputs, not a {rows_px}×{columns_px} image")
    count = min(n, W0.shape[0])
    if count < 1:
        raise ValueError("W0 has no rows to show")
    grid_columns = math.ceil(math.sqrt(count))
    grid_rows = math.ceil(count / grid_columns)
    # One mosaic image with a one-pixel gap (NaN, drawn white) between tiles.
    mosaic = np.full((grid_rows * (rows_px + 1) - 1, grid_columns * (columns_px + 1) - 1), np.nan)
    for k in range(count):
        r, c = divmod(k, grid_columns)
        top, left = r * (rows_px + 1), c * (columns_px + 1)
        mosaic[top:top + rows_px, left:left + columns_px] = W0[k].reshape(rows_px, columns_px)
    limit = float(np.nanmax(np.abs(mosaic))) or 1.0
    figure = _new_figure(6.5, 6.0)
    axes = figure.add_subplot()
    colour_map = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
    image = axes.imshow(mosaic, cmap=colour_map, vmin=-limit, vmax=limit, interpolation="nearest")
    axes.set_axis_off()
    axes.set_title(f"Receptive fields of the first {count} neurons")
    bar = figure.colorbar(image, ax=axes, shrink=0.8, label="weight (one scale for every tile: blue < 0 < red)")
    bar.set_ticks([-limit, 0.0, limit])
    bar.set_ticklabels([f"{-limit:.3g}", "0", f"{limit:.3g}"])
    return figure
