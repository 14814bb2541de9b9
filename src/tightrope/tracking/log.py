"""Log a stored run to every tracker asked for, keeping each failure apart.

A tracker that fails (a server down, a store that refuses) never loses the run: the run is
already stored, the failure comes back as one line, and the same run can be logged again
later with `tightrope report RUN --log-to NAME`.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tightrope.report.loader import load_runs
from tightrope.textsafe import one_line
from tightrope.tracking._base import Tracker
from tightrope.tracking.payload import build_payload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Logged:
    """What became of one tracker: where the run went, or why it did not."""

    tracker: str  # its --log-to spec
    ok: bool
    detail: str


def log_run(trackers: list[Tracker], out: Path, run_id: str) -> list[Logged]:
    """Log the run `run_id` of the store in `out` to each tracker; return one `Logged` each.

    The payload (params, metrics, report files) is built once from the store. A tracker that
    raises is a `Logged` with `ok=False` and the error on one line; the others still run.
    """
    if not trackers:
        return []
    (run,) = load_runs(out, [run_id])
    outcomes: list[Logged] = []
    with tempfile.TemporaryDirectory(prefix="tightrope-track-") as folder:
        payload = build_payload(run, Path(folder))
        log.debug(
            "run %s: %d params, %d metrics, files %s",
            run.run_id,
            len(payload.params),
            len(payload.metrics),
            ", ".join(p.name for p in payload.files),
        )
        for tr in trackers:
            try:
                where = tr.log(payload)
            except Exception as exc:
                log.debug("logging run %s to %s failed", run.run_id, tr.name, exc_info=True)
                text = one_line(str(exc)) or type(exc).__name__
                outcomes.append(Logged(tr.spec, False, f"{type(exc).__name__}: {text}"))
                continue
            log.info("logged run %s to %s", run.run_id, where)
            outcomes.append(Logged(tr.spec, True, where))
    return outcomes
