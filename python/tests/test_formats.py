"""Run format 2 and format 1 (Docs/Formats.md): the same run read from either, and strict CSV reading."""

import shutil

import numpy as np
import pytest

from dendrites_lab import FORMAT_VERSION, expected_header, load_run

from conftest import MEASURED, write_synthetic_run
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
# The same command and seed (rate 784-20-10, 2 epochs × 200 images), written by dendrite-train in
# format 1 (before formatVersion 2) and in format 2.
FORMAT_1 = DATA / "tensorboard-run"
FORMAT_2 = DATA / "format2-run"
TABLES = ["metrics", "quick_test", "loss", "update_angles", "update_angles_smoothed", "weight_angles", "jacobian",
          "layer_accuracy"]


def test_format_versions():
    assert FORMAT_VERSION == 2
    assert load_run(FORMAT_1).format_version == 1
    assert load_run(FORMAT_2).format_version == 2


def test_format_2_files_have_the_documented_headers():
    run = load_run(FORMAT_2)
    for table in TABLES:
        header = (FORMAT_2 / f"{table}.csv").read_text().split("\n")[0].split(",")
        assert header == expected_header(table, 1) == list(getattr(run, table).columns), table
    assert expected_header("update_angles", 2) == ["step", "epoch", "image", "hidden_0_deg", "hidden_1_deg"]
    assert expected_header("update_angles", 2, 1) == ["epoch", "image", "angle_layer_0", "angle_layer_1"]
    assert expected_header("metrics", 0, 1)[-1] == "seconds"


def test_format_1_and_2_of_the_same_run_load_to_the_same_tables():
    old, new = load_run(FORMAT_1), load_run(FORMAT_2)
    for table in TABLES:
        a, b = getattr(old, table), getattr(new, table)
        assert list(a.columns) == list(b.columns), table
        assert len(a) == len(b), table
        assert (a["step"] == b["step"]).all(), table        # computed for format 1, written in format 2
        for column in a.columns:
            if column in ("time_s", "layer"):
                continue
            # Format 1 wrote angles with 6 digits, format 2 with 9.
            assert np.allclose(a[column].astype(float), b[column].astype(float), rtol=1e-5, equal_nan=True), (table, column)
    assert (old.layer_accuracy["layer"] == new.layer_accuracy["layer"]).all()
    assert old.final_test_error == new.final_test_error
    assert new.update_angles_long()["layer"].unique().tolist() == ["hidden_0"]


def copy_of(source, tmp_path):
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


@pytest.mark.parametrize("text, problem", [
    ("step,epoch,first_image,last_image,mean_loss\n100,1,1,100,0.5\n200,1,101,0.25\n", "line 3 has 4 fields; the header has 5"),
    ("epoch,first_image,last_image,mean_loss\n1,1,100,0.5\n", "line 1: unexpected header"),
    ("step,epoch,first_image,last_image,mean_loss\n100,1,1,100,zero\n", "line 2, column mean_loss: 'zero' is not a number"),
    ("step,epoch,first_image,last_image,mean_loss\n100,1.5,1,100,0.5\n", "line 2, column epoch: '1.5' is not an integer"),
    ("step,epoch,first", "has no complete header line"),
    ("", "the file is empty"),
])
def test_malformed_files_name_the_file_and_the_line(tmp_path, text, problem):
    run_dir = copy_of(FORMAT_2, tmp_path)
    (run_dir / "loss.csv").write_text(text)
    with pytest.raises(ValueError) as error:
        load_run(run_dir)
    assert str(run_dir / "loss.csv") in str(error.value)
    assert problem in str(error.value)
    assert (run_dir / "loss.csv").read_text() == text                 # nothing changed


def test_a_partial_last_line_is_a_row_being_written_and_skipped(tmp_path):
    run_dir = copy_of(FORMAT_2, tmp_path)
    complete = (run_dir / "update_angles.csv").read_text()
    (run_dir / "update_angles.csv").write_text(complete + "410,3,1")
    run = load_run(run_dir)
    assert len(run.update_angles) == len(complete.strip().split("\n")) - 1
    assert run.update_angles["step"].iloc[-1] == 400


def test_format_1_run_of_results_reads_as_format_2(results):
    run = load_run(MEASURED)
    assert run.format_version == 1
    assert list(run.update_angles.columns) == ["step", "epoch", "image", "hidden_0_deg"]
    assert list(run.metrics.columns)[-1] == "time_s"
    assert run.metrics["step"].tolist() == [60000, 120000]


def test_unknown_format_is_refused(tmp_path):
    run_dir = copy_of(FORMAT_2, tmp_path)
    config = (run_dir / "config.json").read_text().replace('"formatVersion" : 2', '"formatVersion" : 3')
    (run_dir / "config.json").write_text(config)
    with pytest.raises(ValueError, match="formatVersion 3"):
        load_run(run_dir)


def test_synthetic_format_1_run_without_format_version(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run")
    run = load_run(run_dir)
    assert run.format_version == 1
    assert run.metrics["step"].tolist() == [20, 40]
