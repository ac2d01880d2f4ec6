"""Analysis of the run and sweep directories written by the Swift tool ``dendrite-train``.

>>> from dendrites_lab import load_run, load_sweep
>>> run = load_run("Results/measured-784-500-10-2epochs-float32-seed1")
>>> run.final_test_error
8.77
"""

from .events import event_files, load_event_scalars
from .run import FORMAT_VERSION, Run, angle_column, angle_column_to_layer, expected_header, hidden_layer_name, load_run, read_csv_checked
from .sweep import flatten_config, load_sweep, load_sweep_runs, swept_options, sweep_table

__version__ = "0.1.0"

__all__ = [
    "Run",
    "load_run",
    "load_sweep",
    "load_sweep_runs",
    "sweep_table",
    "swept_options",
    "flatten_config",
    "hidden_layer_name",
    "angle_column",
    "angle_column_to_layer",
    "read_csv_checked",
    "FORMAT_VERSION",
    "expected_header",
    "event_files",
    "load_event_scalars",
]
