"""`--log-to wandb[:PROJECT]`: log a finished run to Weights & Biases.

The project is the spec's, else WANDB_PROJECT, else `tightrope`; entity, API key, WANDB_DIR
and WANDB_MODE are W&B's own variables and are left to it. With WANDB_MODE=offline the run is
written to local files under `./wandb` (or WANDB_DIR), and `wandb sync` uploads it later.
The W&B run never wraps the console (`console="off"`): tightrope's own output stays as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.tracking._base import install_hint, tracker
from tightrope.tracking.payload import RunPayload

DEFAULT_PROJECT = "tightrope"
ARTIFACT_TYPE = "tightrope-report"
_ARTIFACT_BAD = re.compile(r"[^A-Za-z0-9_.\-]+")


class WandbTracker:
    """Logs a run as one W&B run: params as config, metrics in the summary, files as an
    artifact."""

    name = "wandb"

    def __init__(self, project: str | None) -> None:
        self.project = project

    @property
    def spec(self) -> str:
        """The `--log-to` spec of this tracker."""
        return f"{self.name}:{self.project}" if self.project else self.name

    def check(self) -> None:
        """Import the W&B SDK (the login, if any is needed, is W&B's when the run is logged)."""
        try:
            import wandb  # noqa: F401
        except ImportError:
            raise InputError(install_hint("wandb", "wandb")) from None

    def log(self, payload: RunPayload) -> str:
        """Log `payload` as a new W&B run named by tightrope's run id; return where it went."""
        import wandb

        project = self.project or os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT
        settings = wandb.Settings(
            console="off", silent=True, save_code=False, disable_git=True, x_disable_stats=True
        )
        run: Any = wandb.init(
            project=project,
            name=payload.run_id,
            job_type="tightrope-run",
            config=dict(payload.params),
            tags=["tightrope"],
            reinit="create_new",
            settings=settings,
        )
        try:
            run.summary.update(payload.metrics)
            name = _ARTIFACT_BAD.sub("_", f"tightrope-{payload.run_id}")
            artifact = wandb.Artifact(name, type=ARTIFACT_TYPE)
            for path in payload.files:
                artifact.add_file(str(path))
            run.log_artifact(artifact)
        except BaseException:
            run.finish(exit_code=1)
            raise
        run.finish()
        mode = "offline, " if run.settings.mode in ("offline", "dryrun") else ""
        return f"wandb project {project} · run {run.id} ({mode}{Path(run.dir).parent})"


@tracker("wandb", help="Weights & Biases: wandb[:PROJECT] (WANDB_MODE=offline: local files)")
def wandb_tracker(arg: str | None) -> WandbTracker:
    """Return the W&B tracker for `--log-to wandb[:PROJECT]`."""
    return WandbTracker(arg)
