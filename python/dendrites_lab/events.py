"""The TensorBoard event files of a run (``events.out.tfevents.*``), as one pandas table.

``dendrite-train train`` writes them beside the CSV files (on by default, ``--no-tensorboard``
to leave them out); the tags are listed in the repository README, "Watch a run live". They are
read with TensorBoard's own ``EventAccumulator``, so ``tensorboard`` must be installed
(``pip install './python[tensorboard]'``); the CSV files hold the same numbers without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

import pandas as pd

PathLike = Union[str, Path]

EVENT_FILE_PREFIX = "events.out.tfevents."


def event_files(path: PathLike):
    """The event files of a run directory, sorted by name (the order TensorBoard reads them)."""
    path = Path(path)
    return sorted(p for p in path.iterdir() if p.name.startswith(EVENT_FILE_PREFIX))


def load_event_scalars(path: PathLike) -> pd.DataFrame:
    """Every scalar of a run directory's event files (or of one file): columns ``tag``,
    ``step`` (training images seen), ``value`` and ``wall_time``, sorted by tag and step.

    All event files of a directory are read, in name order, as ``tensorboard --logdir`` does.
    """
    try:
        from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("load_event_scalars needs the tensorboard package: pip install tensorboard") from error
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such run directory or event file")
    if path.is_dir() and not event_files(path):
        raise ValueError(f"{path}: no TensorBoard event files ({EVENT_FILE_PREFIX}*)")
    accumulator = EventAccumulator(str(path), size_guidance={SCALARS: 0})  # 0: keep every scalar
    accumulator.Reload()
    rows = [
        (tag, event.step, event.value, event.wall_time)
        for tag in accumulator.Tags()[SCALARS]
        for event in accumulator.Scalars(tag)
    ]
    table = pd.DataFrame(rows, columns=["tag", "step", "value", "wall_time"])
    return table.sort_values(["tag", "step"], kind="stable").reset_index(drop=True)
