"""Experiment tracking: log a finished run to MLflow or Weights & Biases (`--log-to`).

`checked_trackers(specs)` turns `--log-to` specs into trackers and checks their SDKs before a
run; `log_run(trackers, out, run_id)` logs a stored run to them. The SDKs are optional extras
(`pip install 'tightrope[mlflow]'`, `'tightrope[wandb]'`), imported only inside the trackers.
See docs/tracking.md.
"""

from tightrope.tracking import mlflow_tracker, wandb_tracker  # noqa: F401  (register them)
from tightrope.tracking._base import (
    Tracker,
    checked_trackers,
    get_tracker,
    install_hint,
    tracker,
    trackers,
)
from tightrope.tracking.log import Logged, log_run
from tightrope.tracking.payload import RunPayload, build_payload, metric_key

__all__ = [
    "Logged",
    "RunPayload",
    "Tracker",
    "build_payload",
    "checked_trackers",
    "get_tracker",
    "install_hint",
    "log_run",
    "metric_key",
    "tracker",
    "trackers",
]
