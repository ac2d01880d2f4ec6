"""Every plot function returns a Figure that saves as a PNG."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from dendrites_lab import load_run, load_sweep, load_sweep_runs
from dendrites_lab import plots
from conftest import ABLATION, MEASURED, RATE, VARIANTS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def save(figure, path):
    assert isinstance(figure, Figure)
    figure.savefig(path, dpi=60)
    assert path.read_bytes()[:8] == PNG_MAGIC
    return path


def test_plot_test_error(results, tmp_path):
    runs = [load_run(MEASURED), load_run(RATE)] + load_sweep_runs(VARIANTS)
    figure = plots.plot_test_error(runs)
    save(figure, tmp_path / "test_error.png")
    assert len(figure.axes[0].lines) == 2 * len(runs)          # full tests and quick tests
    save(plots.plot_test_error(load_run(RATE)), tmp_path / "one.png")


def test_plot_update_angles_fits_the_data(results, tmp_path):
    run = load_run(MEASURED)
    figure = plots.plot_update_angles(run)
    save(figure, tmp_path / "angles.png")
    angles = run.update_angles_smoothed["hidden_0_deg"]
    low, high = figure.axes[0].get_ylim()
    assert low <= angles.min() and high >= angles.max()
    assert low > angles.min() - 5 and high < angles.max() + 5
    assert (low, high) != (0, 120)
    raw = plots.plot_update_angles(run, smoothed=False)
    low, high = raw.axes[0].get_ylim()
    assert low <= run.update_angles["hidden_0_deg"].min() and high >= run.update_angles["hidden_0_deg"].max()
    save(raw, tmp_path / "angles_raw.png")


def test_plot_update_angles_of_several_runs_and_none(results, tmp_path):
    runs = load_sweep_runs(ABLATION)
    figure = plots.plot_update_angles(runs)
    assert len([line for line in figure.axes[0].lines if line.get_label().startswith("784")]) == 2 + 2 * 2
    save(figure, tmp_path / "angles_sweep.png")
    save(plots.plot_update_angles(load_run(RATE)), tmp_path / "no_angles.png")


def test_plot_layer_accuracy(results, tmp_path):
    runs = load_sweep_runs(ABLATION)
    figure = plots.plot_layer_accuracy(runs)
    labels = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    assert labels == ["input", "hidden_0", "hidden_1", "output", "network"]
    save(figure, tmp_path / "layer_accuracy.png")
    save(plots.plot_layer_accuracy(load_run(MEASURED), epoch=1), tmp_path / "layer_accuracy_1.png")


def test_plot_sweep_test_error(results, tmp_path):
    figure = plots.plot_sweep_test_error(load_sweep(ABLATION))
    axes = figure.axes[0]
    assert len(axes.lines) == 3                                 # one mean line per architecture
    assert len(axes.collections) == 3                           # and its min–max band
    mean_784_10 = axes.lines[0].get_ydata()
    assert mean_784_10[-1] == pytest.approx(8.805)              # (8.79 + 8.82) / 2, summary.csv: 8.80
    save(figure, tmp_path / "sweep.png")


def test_plot_receptive_fields(tmp_path):
    W0 = np.random.default_rng(0).standard_normal((120, 784))
    figure = plots.plot_receptive_fields(W0, n=100)
    assert len(figure.axes) == 2                                # the mosaic and its colour bar
    image = figure.axes[0].images[0]
    assert image.get_array().shape == (10 * 29 - 1, 10 * 29 - 1)
    save(figure, tmp_path / "fields.png")
    save(plots.plot_receptive_fields(W0[:7]), tmp_path / "fields_7.png")
    with pytest.raises(ValueError, match="square"):
        plots.plot_receptive_fields(np.zeros((3, 10)))
