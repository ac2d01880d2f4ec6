"""One run directory of ``dendrite-train train``: its config, CSV tables and weights.

The files and their columns are described in the repository README, section "Run directory".
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np
import pandas as pd

PathLike = Union[str, Path]

# The columns of every CSV file of a run in the current format (2; Docs/Formats.md): each starts
# with the global training-image count ``step``, and the three angle files then have one column
# ``hidden_<l>_deg`` per hidden layer (see `expected_header`).
FORMAT_VERSION = 2
CSV_FILES = {
    "metrics": ("metrics.csv", ["step", "epoch", "test_error_percent", "training_error_percent", "mean_loss", "images", "time_s"]),
    "quick_test": ("quick_test.csv", ["step", "epoch", "image", "test_error_percent"]),
    "loss": ("loss.csv", ["step", "epoch", "first_image", "last_image", "mean_loss"]),
    "update_angles": ("update_angles.csv", ["step", "epoch", "image"]),
    "update_angles_smoothed": ("update_angles_smoothed.csv", ["step", "epoch", "first_image", "last_image"]),
    "weight_angles": ("weight_angles.csv", ["step", "epoch", "image"]),
    "jacobian": ("jacobian.csv", ["step", "epoch", "image", "max_eigenvalue", "max_eigenvalue_weights"]),
    "layer_accuracy": ("layer_accuracy.csv", ["step", "epoch", "layer", "accuracy_percent"]),
}
ANGLE_TABLES = ("update_angles", "update_angles_smoothed", "weight_angles")
# Columns holding text; every other column is a number (integers for step, epoch and the image counts).
TEXT_COLUMNS = {"layer"}

# Format 1 (runs written before formatVersion 2, such as those in Results/): no ``step`` column,
# angle columns ``angle_layer_<l>``, and metrics.csv's ``seconds`` (now ``time_s``). `load_run`
# reads such files as format 2: it renames the columns and computes ``step``.
FORMAT_1_RENAMES = {"seconds": "time_s"}

# Used when config.json has no training.imagesPerEpoch (the Swift report does the same).
DEFAULT_IMAGES_PER_EPOCH = 60_000

WEIGHT_FILE = re.compile(r"^(W|b|Y|c)_(\d+)\.npy$")
EPOCH_PREFIX = re.compile(r"^epoch_(\d+)_W_0\.npy$")
ANGLE_COLUMN = re.compile(r"^hidden_(\d+)_deg$")
FORMAT_1_ANGLE_COLUMN = re.compile(r"^angle_layer_(\d+)$")


def hidden_layer_name(index: int) -> str:
    """The one name of hidden layer ``index`` (0-based, bottom first, as the weight files ``W_l``, ``Y_l``)
    in every file: ``hidden_<index>``."""
    return f"hidden_{index}"


def angle_column(index: int) -> str:
    """The angle column of hidden layer ``index`` in the angle files: ``hidden_<index>_deg``."""
    return f"{hidden_layer_name(index)}_deg"


def angle_column_to_layer(column: str) -> str:
    """``hidden_0_deg`` (or format 1's ``angle_layer_0``) -> ``hidden_0``."""
    match = ANGLE_COLUMN.match(column) or FORMAT_1_ANGLE_COLUMN.match(column)
    if match is None:
        raise ValueError(f"{column!r} is not an angle column (hidden_<l>_deg)")
    return hidden_layer_name(int(match.group(1)))


def expected_header(table: str, hidden_layers: int, format_version: int = FORMAT_VERSION) -> List[str]:
    """The header that ``dendrite-train`` writes for ``table`` in a network with that many hidden
    layers, in ``format_version`` (2, or 1 for older runs)."""
    columns = list(CSV_FILES[table][1])
    if table in ANGLE_TABLES:
        columns += [angle_column(l) for l in range(hidden_layers)]
    if format_version == 1:
        columns = [c for c in columns if c != "step"]
        columns = [FORMAT_1_RENAMES_BACK.get(c, c) for c in columns]
        columns = [f"angle_layer_{ANGLE_COLUMN.match(c).group(1)}" if ANGLE_COLUMN.match(c) else c for c in columns]
    elif format_version != FORMAT_VERSION:
        raise ValueError(f"format {format_version} is not one this package reads (1 or 2)")
    return columns


FORMAT_1_RENAMES_BACK = {new: old for old, new in FORMAT_1_RENAMES.items()}


def read_csv_checked(path: Path, expected: List[str]) -> pd.DataFrame:
    """Reads one CSV file of a run, strictly: its header must be exactly ``expected``, every row
    must have a field per column, and every field but a text column's must be a number
    (``nan``, ``inf`` included).

    A last line without its newline is a row still being written by a running
    ``dendrite-train`` and is skipped (as the Swift report does). Raises ValueError naming the
    file, the line and what is wrong.
    """
    text = Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    lines.pop()  # "" after the last newline, or a partial last line
    if not lines:
        if text:
            raise ValueError(f"{path}: has no complete header line (is it being written?); expected {','.join(expected)}")
        raise ValueError(f"{path}: the file is empty (expected the header {','.join(expected)})")
    header = lines[0].split(",")
    if header != expected:
        raise ValueError(f"{path}: line 1: unexpected header {lines[0]!r}; expected {','.join(expected)!r}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if len(fields) != len(header):
            raise ValueError(f"{path}: line {number} has {len(fields)} fields; the header has {len(header)}: {line[:120]!r}")
        rows.append(fields)
    frame = pd.DataFrame(rows, columns=header)
    for column in header:
        if column in TEXT_COLUMNS:
            continue
        values = pd.to_numeric(frame[column].str.lower().replace({"nan": "NaN"}), errors="coerce")
        bad = values.isna() & (frame[column].str.lower() != "nan")
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{path}: line {k + 2}, column {column}: {frame[column].iloc[k]!r} is not a number")
        if column in ("step", "epoch", "image", "first_image", "last_image", "images"):
            if (values != values.round()).any():
                k = int(np.flatnonzero((values != values.round()).to_numpy())[0])
                raise ValueError(f"{path}: line {k + 2}, column {column}: {frame[column].iloc[k]!r} is not an integer")
            values = values.astype("int64")
        frame[column] = values
    return frame


@dataclass
class Run:
    """A loaded run directory. Tables whose file is absent are None.

    Every table is in the current format (2), whatever the run's: its first column is ``step``,
    the global training-image count ``(epoch - 1) * images_per_epoch + image`` (``last_image``
    for the block files loss.csv and update_angles_smoothed.csv; ``images``, the epoch's last
    image, for metrics.csv and layer_accuracy.csv), and the angle columns are ``hidden_<l>_deg``.
    Format-1 files (no ``step``; ``angle_layer_<l>``; ``seconds``) are renamed and get ``step``
    computed the same way (for format 1's layer_accuracy.csv, ``epoch * images_per_epoch``).
    """

    path: Path
    config: dict
    metrics: Optional[pd.DataFrame] = None
    quick_test: Optional[pd.DataFrame] = None
    loss: Optional[pd.DataFrame] = None
    update_angles: Optional[pd.DataFrame] = None
    update_angles_smoothed: Optional[pd.DataFrame] = None
    weight_angles: Optional[pd.DataFrame] = None
    jacobian: Optional[pd.DataFrame] = None
    layer_accuracy: Optional[pd.DataFrame] = None
    name: str = field(init=False)

    def __post_init__(self):
        self.name = self.path.name

    # --- configuration -------------------------------------------------------------------

    @property
    def network(self) -> dict:
        return self.config.get("network", {})

    @property
    def hidden_sizes(self) -> List[int]:
        """Sizes of the hidden layers, bottom first (empty for a 784-10 network)."""
        return list(self.network.get("hiddenSizes", []))

    @property
    def hidden_layers(self) -> int:
        """The number of hidden layers."""
        return len(self.hidden_sizes)

    @property
    def layer_names(self) -> List[str]:
        """``["hidden_0", …]``, one per hidden layer."""
        return [hidden_layer_name(l) for l in range(self.hidden_layers)]

    @property
    def label(self) -> str:
        """The architecture, e.g. ``"784-500-10"`` (input, hidden sizes, output neurons)."""
        inputs = self.network.get("inputSize", 784)
        outputs = self.network.get("classCount", 10) * self.network.get("neuronsPerClass", 1)
        return "-".join(str(n) for n in [inputs, *self.hidden_sizes, outputs])

    @property
    def format_version(self) -> int:
        """The format of the run's files (config.json ``formatVersion``; 1 when absent)."""
        return int(self.config.get("formatVersion", 1))

    @property
    def training(self) -> dict:
        return self.config.get("training", {})

    @property
    def images_per_epoch(self) -> int:
        return int(self.training.get("imagesPerEpoch", DEFAULT_IMAGES_PER_EPOCH))

    @property
    def seed(self) -> Optional[int]:
        return self.training.get("seed")

    @property
    def epochs(self) -> Optional[int]:
        """The number of epochs the run was started for (config.json)."""
        return self.training.get("epochs")

    @property
    def mode(self) -> Optional[str]:
        return self.config.get("mode")

    @property
    def precision(self) -> Optional[str]:
        return self.config.get("precision")

    # --- results ---------------------------------------------------------------------------

    @property
    def epochs_done(self) -> int:
        """The number of rows of metrics.csv (epochs finished and tested)."""
        return 0 if self.metrics is None else len(self.metrics)

    @property
    def finished(self) -> bool:
        """True when metrics.csv has as many epochs as the run was started for."""
        return self.epochs is not None and self.epochs_done >= self.epochs

    @property
    def final_test_error(self) -> Optional[float]:
        """The last row's ``test_error_percent`` of metrics.csv (None before the first epoch ends)."""
        if self.metrics is None or self.metrics.empty:
            return None
        return float(self.metrics["test_error_percent"].iloc[-1])

    @property
    def best_test_error(self) -> Optional[float]:
        if self.metrics is None or self.metrics.empty:
            return None
        return float(self.metrics["test_error_percent"].min())

    def final_layer_accuracy(self) -> Dict[str, float]:
        """Layer (``input``, ``hidden_<l>``, ``output``, ``network``) -> accuracy at the last epoch."""
        table = self.layer_accuracy
        if table is None or table.empty:
            return {}
        last = table[table["epoch"] == table["epoch"].max()]
        return dict(zip(last["layer"], last["accuracy_percent"].astype(float)))

    # --- tidy (long) forms of the angle tables ------------------------------------------

    def _angles_long(self, table: Optional[pd.DataFrame], id_columns: List[str]) -> pd.DataFrame:
        columns = id_columns + ["layer", "angle_deg"]
        if table is None or table.empty:
            return pd.DataFrame(columns=columns)
        angle_columns = [c for c in table.columns if ANGLE_COLUMN.match(c)]
        long = table.melt(id_vars=id_columns, value_vars=angle_columns, var_name="layer", value_name="angle_deg")
        long["layer"] = long["layer"].map(angle_column_to_layer)
        return long.sort_values(["layer", "step"], kind="stable").reset_index(drop=True)[columns]

    def update_angles_long(self) -> pd.DataFrame:
        """update_angles.csv as rows of step, epoch, image, layer (``hidden_<l>``), angle_deg."""
        return self._angles_long(self.update_angles, ["step", "epoch", "image"])

    def update_angles_smoothed_long(self) -> pd.DataFrame:
        """update_angles_smoothed.csv as rows of step, epoch, first_image, last_image, layer, angle_deg."""
        return self._angles_long(self.update_angles_smoothed, ["step", "epoch", "first_image", "last_image"])

    def weight_angles_long(self) -> pd.DataFrame:
        """weight_angles.csv as rows of step, epoch, image, layer, angle_deg."""
        return self._angles_long(self.weight_angles, ["step", "epoch", "image"])

    # --- weights -----------------------------------------------------------------------------

    def weight_epochs(self) -> List[int]:
        """The epochs whose weights are on disk, ascending; 0 stands for ``initial_*.npy``."""
        epochs = []
        if (self.path / "initial_W_0.npy").exists():
            epochs.append(0)
        for file in self.path.iterdir():
            match = EPOCH_PREFIX.match(file.name)
            if match:
                epochs.append(int(match.group(1)))
        return sorted(epochs)

    def _missing_weight_files(self, prefix: str) -> List[str]:
        """The files of a full weight set (W_m, b_m per layer, Y_l per hidden layer) not on disk."""
        layers = self.hidden_layers + 1
        names = [f"{a}_{m}" for m in range(layers) for a in "Wb"] + [f"Y_{l}" for l in range(self.hidden_layers)]
        return [prefix + name + ".npy" for name in names if not (self.path / (prefix + name + ".npy")).is_file()]

    def weights(self, epoch: Optional[int] = None) -> Dict[str, np.ndarray]:
        """The weights saved after ``epoch`` as ``{"W_0": array, "b_0": …, "Y_0": …, "c_0": …}``.

        ``epoch=None`` takes the last epoch whose weight set is complete (a running
        ``dendrite-train`` writes an epoch's files one after another) and ``epoch=0`` the
        initial weights. Files are loaded with ``allow_pickle=False``. Raises
        FileNotFoundError naming the run directory and the missing file.
        """
        if epoch is None:
            complete = [k for k in self.weight_epochs() if k > 0 and not self._missing_weight_files(f"epoch_{k}_")]
            if not complete:
                raise FileNotFoundError(f"{self.path}: no complete set of epoch_<k>_W_0.npy … weight files in this run directory")
            epoch = complete[-1]
        prefix = "initial_" if epoch == 0 else f"epoch_{epoch}_"
        missing = self._missing_weight_files(prefix)
        if missing:
            raise FileNotFoundError(f"{self.path}: no {missing[0]} (weights of epoch {epoch})")
        arrays = {}
        for file in sorted(self.path.glob(prefix + "*.npy")):
            match = WEIGHT_FILE.match(file.name[len(prefix):])
            if match:
                arrays[f"{match.group(1)}_{match.group(2)}"] = np.load(file, allow_pickle=False)
        return arrays


def _upgrade_format_1(table: pd.DataFrame, name: str, images_per_epoch: int) -> pd.DataFrame:
    """A format-1 table as format 2: renamed columns and ``step`` first (see `Run`)."""
    renames = dict(FORMAT_1_RENAMES)
    renames.update({c: angle_column(int(FORMAT_1_ANGLE_COLUMN.match(c).group(1)))
                    for c in table.columns if FORMAT_1_ANGLE_COLUMN.match(c)})
    table = table.rename(columns=renames)
    epoch_start = (table["epoch"] - 1) * images_per_epoch
    if "image" in table.columns:
        step = epoch_start + table["image"]
    elif "last_image" in table.columns:
        step = epoch_start + table["last_image"]
    elif "images" in table.columns:  # metrics.csv: the epoch's last image
        step = epoch_start + table["images"]
    else:  # layer_accuracy.csv: written at the end of the epoch
        step = table["epoch"] * images_per_epoch
    table.insert(0, "step", step.astype("int64"))
    return table


def _read_config(path: Path) -> dict:
    config_file = path / "config.json"
    try:
        with open(config_file) as handle:
            config = json.load(handle)
    except json.JSONDecodeError as error:
        raise ValueError(f"{config_file}: not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{config_file}: expected a JSON object")
    return config


def load_run(path: PathLike) -> Run:
    """Loads a run directory written by ``dendrite-train train`` (or ``resume``, or a sweep).

    Needs ``config.json``; every CSV file is optional (None when absent). Reads format 2 and
    format 1 (older runs, ``formatVersion`` 1 or absent), the latter mapped to format 2 (see
    `Run`). Raises ValueError naming the path when it is not a run directory, and naming the
    file and the line when a CSV file is not what ``dendrite-train`` writes (`read_csv_checked`).
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such directory (expected a dendrite-train run directory)")
    if not path.is_dir():
        raise ValueError(f"{path}: not a directory (expected a dendrite-train run directory)")
    if not (path / "config.json").is_file():
        hint = ""
        if any((child / "config.json").is_file() for child in path.iterdir() if child.is_dir()):
            hint = "; its subdirectories hold runs, so it looks like a sweep: use load_sweep()"
        raise ValueError(f"{path}: not a run directory, config.json is missing{hint}")
    config = _read_config(path)
    hidden_layers = len(config.get("network", {}).get("hiddenSizes", []))
    images_per_epoch = int(config.get("training", {}).get("imagesPerEpoch", DEFAULT_IMAGES_PER_EPOCH))
    format_version = int(config.get("formatVersion", 1))
    if format_version not in (1, FORMAT_VERSION):
        raise ValueError(f"{path / 'config.json'}: formatVersion {format_version} is not one this package reads (1 or 2)")

    tables = {}
    for table, (file_name, _) in CSV_FILES.items():
        file = path / file_name
        if file.is_file():
            frame = read_csv_checked(file, expected_header(table, hidden_layers, format_version))
            tables[table] = _upgrade_format_1(frame, table, images_per_epoch) if format_version == 1 else frame
    return Run(path=path, config=config, **tables)
