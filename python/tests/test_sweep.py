"""load_sweep on the committed sweeps, checked against the summary.csv that dendrite-train wrote."""

import csv

import pytest

from dendrites_lab import Run, load_sweep, load_sweep_runs, swept_options
from conftest import ABLATION, PRECISION_SWEEP, VARIANTS, RESULTS


def read_summary(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_ablation_has_three_architectures_times_two_seeds(results):
    table = load_sweep(ABLATION)
    assert sorted(table["architecture"].unique()) == ["784-10", "784-500-10", "784-500-100-10"]
    seeds = table.groupby("architecture")["seed"].unique()
    for architecture in seeds.index:
        assert sorted(seeds[architecture]) == [1, 2]
    assert table["run"].nunique() == 6
    assert len(table) == 6 * 6                                 # 6 runs × 6 epochs
    assert table.groupby("architecture")["hidden_layers"].first().to_dict() == {
        "784-10": 0, "784-500-10": 1, "784-500-100-10": 2}
    assert (table["options"] == "").all()                      # only architectures and seeds vary
    assert table["finished"].all()
    assert table["final"].sum() == 6


def test_ablation_matches_summary_csv(results):
    table = load_sweep(ABLATION)
    final = table[table["final"]]
    for row in read_summary(ABLATION / "summary.csv"):
        errors = final[final["architecture"] == row["architecture"]]["test_error_percent"]
        assert len(errors) == int(row["finished_runs"])
        assert errors.mean() == pytest.approx(float(row["mean_test_error_percent"]), abs=0.005 + 1e-9)
        assert errors.std() == pytest.approx(float(row["sd_test_error_percent"]), abs=0.005 + 1e-9)
        assert errors.min() == float(row["min_test_error_percent"])
        assert errors.max() == float(row["max_test_error_percent"])
        for column, value in row.items():
            if column.startswith("mean_accuracy_") or column.startswith("mean_update_angle_"):
                # summary.csv written before format 2 says _degrees; its columns are now _deg.
                ours = column[len("mean_"):].replace("_degrees", "_deg")
                if value == "":
                    assert ours not in final or final[final["architecture"] == row["architecture"]][ours].isna().all()
                else:
                    values = final[final["architecture"] == row["architecture"]][ours]
                    assert values.mean() == pytest.approx(float(value), abs=0.005 + 1e-9), column


def test_ablation_matches_summary_by_epoch(results):
    table = load_sweep(ABLATION)
    means = table.groupby(["architecture", "epoch"])["test_error_percent"].mean()
    for row in read_summary(ABLATION / "summary_by_epoch.csv"):
        ours = means[(row["architecture"], int(row["epoch"]))]
        assert ours == pytest.approx(float(row["mean_test_error_percent"]), abs=0.005 + 1e-9)


def test_precision_sweep_finds_the_swept_option(results):
    runs = load_sweep_runs(PRECISION_SWEEP)
    assert all(isinstance(run, Run) for run in runs) and len(runs) == 6
    assert swept_options(runs) == ["precision"]
    table = load_sweep(PRECISION_SWEEP)
    assert set(table["options"]) == {"precision=float32", "precision=float64"}
    final = table[table["final"]]
    for row in read_summary(PRECISION_SWEEP / "summary.csv"):
        errors = final[final["options"] == row["options"]]["test_error_percent"]
        assert errors.mean() == pytest.approx(float(row["mean_test_error_percent"]), abs=0.005 + 1e-9)


def test_feedback_variants_are_swept_options(results):
    table = load_sweep(VARIANTS)
    assert sorted(table["run"].unique()) == ["backprop", "random", "sparse", "symmetric"]
    options = swept_options(load_sweep_runs(VARIANTS))
    assert options == ["network.variants.backprop", "network.variants.sparseZeroedFraction", "network.variants.symmetric"]
    final = table[table["final"]].set_index("run")
    assert bool(final.loc["symmetric", "network.variants.symmetric"]) is True
    assert final.loc["sparse", "network.variants.sparseZeroedFraction"] == 0.8
    assert final.loc["symmetric", "test_error_percent"] == 6.8
    assert final.loc["random", "test_error_percent"] == 8.15


def test_runs_are_in_natural_name_order(results):
    names = [run.name for run in load_sweep_runs(RESULTS / "spiking-784-500-10-5000images-4epochs-seeds1-5")]
    assert names == [f"784-500-10-seed{k}" for k in range(1, 6)]


def test_tensorboard_is_not_a_swept_option(tmp_path):
    import json
    from conftest import write_synthetic_run

    for name, setting in [("a", True), ("b", False), ("c", None)]:
        directory = write_synthetic_run(tmp_path / name)
        config = json.loads((directory / "config.json").read_text())
        if setting is not None:
            config["tensorboard"] = setting
        (directory / "config.json").write_text(json.dumps(config))
    runs = load_sweep_runs(tmp_path)
    assert len(runs) == 3
    assert swept_options(runs) == []
