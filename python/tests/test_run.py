"""load_run on the committed example runs, checked against the files as the csv module reads them."""

import csv

import numpy as np
import pandas as pd
import pytest

from dendrites_lab import load_run
from conftest import ABLATION, MEASURED, RATE, RESULTS


def csv_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", [
    "measured-784-500-10-2epochs-float32-seed1",
    "rate-784-500-10-1epoch-seed1",
    "spiking-784-500-10-1epoch-float64-seed1",
    "ablation-6epochs-float32-seeds1-2/784-500-100-10-seed2",
])
def test_final_test_error_is_last_row_of_metrics(results, name):
    run = load_run(results / name)
    rows = csv_rows(results / name / "metrics.csv")
    assert run.final_test_error == float(rows[-1]["test_error_percent"])
    assert run.epochs_done == len(rows)
    assert run.finished


def test_measured_run_values(results):
    run = load_run(MEASURED)
    assert run.label == "784-500-10"
    assert run.hidden_layers == 1
    assert run.hidden_sizes == [500]
    assert run.layer_names == ["hidden_0"]
    assert run.images_per_epoch == 60000
    assert run.seed == 1 and run.mode == "spiking" and run.precision == "float32"
    assert run.final_test_error == 8.77          # README: 10.71% and then 8.77%
    assert run.metrics["test_error_percent"].tolist() == [10.71, 8.77]
    assert run.config["training"]["epochs"] == 2
    for table in ["metrics", "quick_test", "loss", "update_angles", "update_angles_smoothed",
                  "weight_angles", "jacobian", "layer_accuracy"]:
        frame = getattr(run, table)
        assert isinstance(frame, pd.DataFrame) and not frame.empty, table
        assert len(frame) == len(csv_rows(MEASURED / f"{table}.csv")), table
    assert run.final_layer_accuracy() == {"input": 81.74, "hidden_0": 90.86, "output": 91.38, "network": 91.23}


def test_step_is_global_across_epochs(results):
    run = load_run(MEASURED)
    angles = run.update_angles
    assert not angles["image"].is_monotonic_increasing          # image restarts with epoch 2
    assert angles["step"].is_monotonic_increasing and angles["step"].is_unique
    assert angles["step"].iloc[0] == 10
    first_of_epoch_2 = angles[angles["epoch"] == 2].iloc[0]
    assert first_of_epoch_2["image"] == 10 and first_of_epoch_2["step"] == 60010
    assert angles["step"].iloc[-1] == 120000
    # Block files use last_image; end-of-epoch files use epoch × images per epoch.
    assert run.loss["step"].tolist()[:2] == [100, 200] and run.loss["step"].iloc[-1] == 120000
    assert run.update_angles_smoothed["step"].is_monotonic_increasing
    assert run.metrics["step"].tolist() == [60000, 120000]
    assert run.layer_accuracy["step"].iloc[-1] == 120000
    for table in [run.quick_test, run.weight_angles, run.jacobian]:
        assert table["step"].is_monotonic_increasing
        assert (table["step"] == (table["epoch"] - 1) * 60000 + table["image"]).all()


def test_step_uses_images_per_epoch_from_config(results):
    run = load_run(RESULTS / "spiking-784-500-10-5000images-4epochs-seeds1-5" / "784-500-10-seed1")
    assert run.images_per_epoch == 5000
    assert run.update_angles["step"].iloc[-1] == 4 * 5000
    assert run.update_angles["step"].is_monotonic_increasing
    assert run.quick_test is not None and run.quick_test.empty   # --quick-test-interval 0: header only
    assert "step" in run.quick_test.columns


def test_update_angles_long_form(results):
    run = load_run(MEASURED)
    long = run.update_angles_long()
    assert list(long.columns) == ["step", "epoch", "image", "layer", "angle_deg"]
    assert set(long["layer"]) == {"hidden_0"}
    assert len(long) == len(run.update_angles)
    assert long["angle_deg"].iloc[-1] == pytest.approx(float(csv_rows(MEASURED / "update_angles.csv")[-1]["angle_layer_0"]))
    smoothed = run.update_angles_smoothed_long()
    assert list(smoothed.columns) == ["step", "epoch", "first_image", "last_image", "layer", "angle_deg"]
    assert set(run.weight_angles_long()["layer"]) == {"hidden_0"}


def test_two_hidden_layers_share_layer_names_with_layer_accuracy(results):
    run = load_run(ABLATION / "784-500-100-10-seed1")
    assert run.label == "784-500-100-10" and run.hidden_layers == 2
    long = run.update_angles_smoothed_long()
    assert sorted(long["layer"].unique()) == ["hidden_0", "hidden_1"]
    assert len(long) == 2 * len(run.update_angles_smoothed)
    readout_layers = set(run.layer_accuracy["layer"])
    assert set(long["layer"]) <= readout_layers
    assert readout_layers == {"input", "hidden_0", "hidden_1", "output", "network"}
    # Each layer's series is ordered by step.
    for _, rows in long.groupby("layer"):
        assert rows["step"].is_monotonic_increasing


def test_missing_files_are_none(results):
    run = load_run(RATE)
    assert run.metrics is not None and run.loss is not None and run.quick_test is not None
    assert run.update_angles is None and run.weight_angles is None and run.jacobian is None
    assert run.update_angles_smoothed is None and run.layer_accuracy is None
    assert run.update_angles_long().empty
    assert list(run.update_angles_long().columns) == ["step", "epoch", "image", "layer", "angle_deg"]
    assert run.final_layer_accuracy() == {}
    assert run.final_test_error == 5.67


def test_no_hidden_layer_run(results):
    run = load_run(ABLATION / "784-10-seed1")
    assert run.label == "784-10" and run.hidden_layers == 0 and run.layer_names == []
    assert run.update_angles_long().empty
    assert set(run.final_layer_accuracy()) == {"input", "output", "network"}


def test_nan_angles_are_read_as_nan(tmp_path):
    from conftest import write_synthetic_run
    run_dir = write_synthetic_run(tmp_path / "run")
    (run_dir / "update_angles.csv").write_text("epoch,image,angle_layer_0\n1,10,nan\n1,20,45.5\n2,10,30\n")
    run = load_run(run_dir)
    assert np.isnan(run.update_angles["hidden_0_deg"].iloc[0])
    assert run.update_angles["step"].tolist() == [10, 20, 30]
