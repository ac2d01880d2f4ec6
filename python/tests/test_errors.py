"""Clear errors for paths that are not runs and for CSV files with a wrong header."""

import shutil

import pytest

from dendrites_lab import load_run, load_sweep
from conftest import ABLATION, MEASURED, RATE, write_synthetic_run


def test_directory_without_config_is_not_a_run(tmp_path):
    with pytest.raises(ValueError) as error:
        load_run(tmp_path)
    assert str(tmp_path) in str(error.value)
    assert "not a run directory" in str(error.value) and "config.json" in str(error.value)


def test_missing_path_and_file_path(tmp_path):
    with pytest.raises(ValueError, match="no such directory"):
        load_run(tmp_path / "nowhere")
    file = tmp_path / "metrics.csv"
    file.write_text("epoch\n")
    with pytest.raises(ValueError, match="not a directory"):
        load_run(file)


def test_sweep_directory_given_to_load_run_says_so(results):
    with pytest.raises(ValueError, match="load_sweep"):
        load_run(ABLATION)


def test_run_directory_given_to_load_sweep_says_so(results, tmp_path):
    with pytest.raises(ValueError, match="load_run"):
        load_sweep(MEASURED)
    with pytest.raises(ValueError, match="not a sweep directory"):
        load_sweep(tmp_path)


def test_wrong_metrics_header_names_the_file(results, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(RATE, run_dir)
    text = (run_dir / "metrics.csv").read_text().replace("test_error_percent", "test_error", 1)
    (run_dir / "metrics.csv").write_text(text)
    with pytest.raises(ValueError) as error:
        load_run(run_dir)
    assert str(run_dir / "metrics.csv") in str(error.value)
    assert "header" in str(error.value)


def test_angle_columns_must_match_the_hidden_layers(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run", hidden=(5,))
    (run_dir / "update_angles.csv").write_text("epoch,image,angle_layer_0,angle_layer_1\n1,10,80,81\n")
    with pytest.raises(ValueError, match="update_angles.csv"):
        load_run(run_dir)


def test_empty_csv_and_bad_config(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run")
    (run_dir / "loss.csv").write_text("")
    with pytest.raises(ValueError, match="loss.csv.*empty"):
        load_run(run_dir)
    (run_dir / "loss.csv").unlink()
    (run_dir / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json"):
        load_run(run_dir)
