"""The `Tracker` protocol, its registry, and `--log-to` specs (`mlflow`, `mlflow:URI`, `wandb`).

A tracker sends a finished run to an experiment tracker (MLflow, Weights & Biases). Its SDK is an
optional extra, imported inside the tracker, never when this module is: `tightrope --help` stays
fast and a missing SDK is found by `check()`, before the run calls any model.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tightrope.errors import InputError
from tightrope.registry import Registry
from tightrope.tracking.payload import RunPayload


@runtime_checkable
class Tracker(Protocol):
    """An experiment tracker that a finished run is logged to."""

    @property
    def name(self) -> str:
        """The tracker's registered name (`mlflow`, `wandb`)."""
        ...

    @property
    def spec(self) -> str:
        """The `--log-to` spec that gives this tracker again (`mlflow:file:///tmp/mlruns`)."""
        ...

    def check(self) -> None:
        """Import the SDK and check the destination where that needs no network; raise
        `InputError` (one line with the fix) when the run could not be logged."""
        ...

    def log(self, payload: RunPayload) -> str:
        """Log the run's params, metrics and files; return where it went (one line).

        Raises whatever the SDK raises when logging fails; the caller (`log_run`) keeps the
        run and reports the failure on one line.
        """
        ...


trackers: Registry[Tracker] = Registry("tracker")
tracker = trackers.register


def install_hint(extra: str, module: str) -> str:
    """Return the one-line error for a tracker whose SDK `module` is not installed."""
    return (
        f"--log-to {extra} needs the {module} package, which is not installed: "
        f"pip install 'tightrope[{extra}]'"
    )


def get_tracker(spec: str) -> Tracker:
    """Return the tracker for a `--log-to` spec, NAME or NAME:ARG (`mlflow:file:///tmp/mlruns`).

    Unknown names raise `UnknownNameError` listing the valid ones; the SDK is not imported yet.
    """
    name, _, arg = spec.partition(":")
    name = name.strip()
    if not name:
        raise InputError(f"--log-to {spec!r}: give a tracker name, e.g. --log-to mlflow")
    return trackers.get(name)(arg.strip() or None)


def checked_trackers(specs: list[str] | tuple[str, ...] | None) -> list[Tracker]:
    """Return a checked tracker for each `--log-to` spec (duplicates dropped), or raise
    `InputError` for an unknown name or a missing SDK: called before any model call."""
    made: list[Tracker] = []
    seen: set[str] = set()
    for spec in specs or ():
        if spec in seen:
            continue
        seen.add(spec)
        tr = get_tracker(spec)
        tr.check()
        made.append(tr)
    return made
