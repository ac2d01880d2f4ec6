"""run.weights() on synthetic .npy files (the committed runs have none)."""

import numpy as np
import pytest

from dendrites_lab import load_run
from conftest import MEASURED, write_synthetic_run


def save_weights(directory, prefix, rng, sizes=(16, 5, 3)):
    """Arrays shaped as dendrite-train writes them: W_m, b_m for each layer, Y_l, c_l per hidden layer."""
    arrays = {}
    for m in range(len(sizes) - 1):
        arrays[f"W_{m}"] = rng.standard_normal((sizes[m + 1], sizes[m]))
        arrays[f"b_{m}"] = rng.standard_normal((sizes[m + 1], 1))
    for l in range(len(sizes) - 2):
        arrays[f"Y_{l}"] = rng.standard_normal((sizes[l + 1], sizes[-1]))
        arrays[f"c_{l}"] = np.zeros((sizes[l + 1], 1))
    for name, array in arrays.items():
        np.save(directory / f"{prefix}{name}.npy", array)
    return arrays


def test_weights_round_trip(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run", epochs=2)
    rng = np.random.default_rng(0)
    initial = save_weights(run_dir, "initial_", rng)
    epoch_1 = save_weights(run_dir, "epoch_1_", rng)
    epoch_2 = save_weights(run_dir, "epoch_2_", rng)
    run = load_run(run_dir)
    assert run.weight_epochs() == [0, 1, 2]
    for epoch, expected in [(None, epoch_2), (2, epoch_2), (1, epoch_1), (0, initial)]:
        loaded = run.weights(epoch)
        assert sorted(loaded) == sorted(expected) == ["W_0", "W_1", "Y_0", "b_0", "b_1", "c_0"]
        for name in expected:
            assert loaded[name].dtype == np.float64
            np.testing.assert_array_equal(loaded[name], expected[name])
    assert run.weights()["W_0"].shape == (5, 16)


def test_epoch_ten_sorts_after_epoch_two(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run", epochs=10)
    rng = np.random.default_rng(1)
    save_weights(run_dir, "epoch_2_", rng)
    last = save_weights(run_dir, "epoch_10_", rng)
    run = load_run(run_dir)
    np.testing.assert_array_equal(run.weights()["W_1"], last["W_1"])


def test_an_unfinished_weight_set_is_skipped(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run", epochs=3)
    rng = np.random.default_rng(3)
    complete = save_weights(run_dir, "epoch_2_", rng)
    np.save(run_dir / "epoch_3_W_0.npy", rng.standard_normal((5, 16)))   # epoch 3 still being written
    run = load_run(run_dir)
    assert run.weight_epochs() == [2, 3]
    np.testing.assert_array_equal(run.weights()["W_0"], complete["W_0"])
    with pytest.raises(FileNotFoundError, match="epoch_3_b_0.npy"):
        run.weights(3)


def test_missing_weights_raise_with_the_path(results, tmp_path):
    run = load_run(MEASURED)                     # committed runs have no .npy files
    with pytest.raises(FileNotFoundError, match="epoch_<k>_W_0.npy"):
        run.weights()
    run_dir = write_synthetic_run(tmp_path / "run")
    save_weights(run_dir, "epoch_1_", np.random.default_rng(2))
    with pytest.raises(FileNotFoundError, match="epoch_5_W_0.npy"):
        load_run(run_dir).weights(5)


def test_pickled_arrays_are_refused(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run")
    save_weights(run_dir, "epoch_1_", np.random.default_rng(4))
    np.save(run_dir / "epoch_1_W_0.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        load_run(run_dir).weights(1)
