"""The TensorBoard event files dendrite-train writes, read by stock TensorBoard's EventAccumulator.

The fixture ``data/tensorboard-run`` is a real run made by the binary, with its CSV files and
config.json but without its weights (rate mode, 784-20-10, 2 epochs of 200 images, stopped after
epoch 1 and resumed, so it holds two event files):

    dendrite-train train --mode rate --hidden 20 --epochs 1 --images-per-epoch 200 \
        --quick-test-interval 50 --quick-test-images 10 --test-images 50 --readout-images 50 \
        --output RUN --quiet
    dendrite-train resume RUN --epochs 2 --quiet
    rm RUN/*.npy RUN/checkpoint.json RUN/run.lock
"""

import math
from pathlib import Path

import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator

from dendrites_lab import event_files, load_event_scalars, load_run

RUN = Path(__file__).resolve().parent / "data" / "tensorboard-run"
IMAGES = 200  # per epoch

EXPECTED_STEPS = {
    "test/error_percent": [200, 400],
    "test/quick_error_percent": [50, 100, 150, 250, 300, 350],
    "train/error_percent": [200, 400],
    "train/mean_loss": [200, 400],
    "train/loss": [100, 200, 300, 400],
    "angles/update_deg/hidden_0": [100, 200, 300, 400],
    "angles/weight_deg/hidden_0": [100, 200, 300, 400],
    "jacobian/max_eigenvalue": [100, 200, 300, 400],
    "jacobian/max_eigenvalue_weights": [100, 200, 300, 400],
    "readout/accuracy_percent/input": [200, 400],
    "readout/accuracy_percent/hidden_0": [200, 400],
    "readout/accuracy_percent/output": [200, 400],
    "readout/accuracy_percent/network": [200, 400],
}


@pytest.fixture(scope="module")
def accumulator():
    accumulator = EventAccumulator(str(RUN), size_guidance={SCALARS: 0})
    accumulator.Reload()
    return accumulator


def test_two_event_files_one_per_process():
    files = event_files(RUN)
    assert len(files) == 2
    assert all(f.name.startswith("events.out.tfevents.") for f in files)


def test_stock_tensorboard_reads_every_tag_at_global_steps(accumulator):
    assert accumulator.file_version == 2.0  # parsed from "brain.Event:2"
    assert sorted(accumulator.Tags()[SCALARS]) == sorted(EXPECTED_STEPS)
    for tag, steps in EXPECTED_STEPS.items():
        # No duplicate steps after the resume, and in order.
        assert [e.step for e in accumulator.Scalars(tag)] == steps, tag


def test_values_are_those_of_the_csv_files(accumulator):
    run = load_run(RUN)

    def values(tag):
        return [e.value for e in accumulator.Scalars(tag)]

    def close(a, b, rel=1e-6, abs_=0.0):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert math.isclose(x, y, rel_tol=rel, abs_tol=abs_), (x, y)

    close(values("test/error_percent"), run.metrics["test_error_percent"].tolist())
    close(values("train/error_percent"), run.metrics["training_error_percent"].tolist())
    close(values("train/mean_loss"), run.metrics["mean_loss"].tolist())
    close(values("test/quick_error_percent"), run.quick_test["test_error_percent"].tolist())
    close(values("train/loss"), run.loss["mean_loss"].tolist())
    close(values("angles/update_deg/hidden_0"), run.update_angles_smoothed["hidden_0_deg"].tolist(), rel=1e-5)
    close(values("angles/weight_deg/hidden_0"), run.weight_angles["hidden_0_deg"].tolist(), rel=1e-5)
    close(values("jacobian/max_eigenvalue"), run.jacobian["max_eigenvalue"].tolist(), rel=1e-5)
    readout = run.layer_accuracy[run.layer_accuracy["layer"] == "hidden_0"]["accuracy_percent"].tolist()
    close(values("readout/accuracy_percent/hidden_0"), readout, abs_=1e-4)
    # The steps are those of the package's own step column.
    assert [e.step for e in accumulator.Scalars("test/error_percent")] == run.metrics["step"].tolist()
    assert [e.step for e in accumulator.Scalars("train/loss")] == run.loss["step"].tolist()


def test_load_event_scalars_is_a_tidy_table(accumulator):
    table = load_event_scalars(RUN)
    assert list(table.columns) == ["tag", "step", "value", "wall_time"]
    assert len(table) == sum(len(s) for s in EXPECTED_STEPS.values())
    assert not table.duplicated(["tag", "step"]).any()
    errors = table[table["tag"] == "test/error_percent"]
    assert errors["step"].tolist() == [200, 400]
    assert errors["value"].tolist() == [e.value for e in accumulator.Scalars("test/error_percent")]
    one_file = load_event_scalars(event_files(RUN)[0])
    assert set(one_file["step"]) <= set(range(0, IMAGES + 1))


def test_load_event_scalars_names_a_directory_without_events(tmp_path):
    with pytest.raises(ValueError, match="no TensorBoard event files"):
        load_event_scalars(tmp_path)
