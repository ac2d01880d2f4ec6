"""Shared fixtures: the committed example directories in ../../Results and synthetic runs."""

import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "Results"
MEASURED = RESULTS / "measured-784-500-10-2epochs-float32-seed1"
RATE = RESULTS / "rate-784-500-10-1epoch-seed1"
ABLATION = RESULTS / "ablation-6epochs-float32-seeds1-2"
PRECISION_SWEEP = RESULTS / "spiking-784-500-10-1epoch-seeds1-3"
VARIANTS = RESULTS / "variants-784-500-10-3epochs-float32-seed1"


@pytest.fixture(scope="session")
def results():
    assert RESULTS.is_dir(), f"the example runs are missing: {RESULTS}"
    return RESULTS


def write_synthetic_run(directory: Path, hidden=(5,), inputs=16, classes=3, images_per_epoch=20, epochs=2):
    """A minimal run directory: config.json and metrics.csv (weights are added by each test)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "mode": "rate",
        "precision": "float64",
        "network": {"inputSize": inputs, "hiddenSizes": list(hidden), "classCount": classes, "neuronsPerClass": 1},
        "training": {"epochs": epochs, "imagesPerEpoch": images_per_epoch, "seed": 7},
    }
    (directory / "config.json").write_text(json.dumps(config))
    lines = ["epoch,test_error_percent,training_error_percent,mean_loss,images,seconds"]
    lines += [f"{k},{50 - k},{60 - k},0.01,{images_per_epoch},0.5" for k in range(1, epochs + 1)]
    (directory / "metrics.csv").write_text("\n".join(lines) + "\n")
    return directory
