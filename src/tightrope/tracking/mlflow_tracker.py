"""`--log-to mlflow[:URI]`: log a finished run to MLflow with `MlflowClient`.

The tracking URI is the spec's (`mlflow:file:///tmp/mlruns`, `mlflow:http://host:5000`), else
MLFLOW_TRACKING_URI, else MLflow's default. The experiment is MLFLOW_EXPERIMENT_NAME or
`tightrope`. Only a client for that URI is made: MLflow's process-wide state (the fluent API's
active run and tracking URI) is left as it was, so a notebook's own MLflow use is undisturbed.
`mlflow-skinny` is enough for a file store or a tracking server; a `sqlite:` store needs the full
`mlflow` package.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any
from urllib.parse import urlparse

from tightrope.errors import InputError
from tightrope.textsafe import one_line
from tightrope.tracking._base import install_hint, tracker
from tightrope.tracking.payload import RunPayload

DEFAULT_EXPERIMENT = "tightrope"
LOCAL_SCHEMES = ("", "file", "sqlite")
SERVER_SCHEMES = ("http", "https")
# Seconds the check before a run waits for a tracking server to answer at all.
REACH_TIMEOUT = 5.0
# MLflow's batch limits (REST API): metrics and params per log_batch call.
METRICS_PER_BATCH = 1000
PARAMS_PER_BATCH = 100


class MlflowTracker:
    """Logs a run as one MLflow run: params, metrics, tags and the report files as artifacts."""

    name = "mlflow"

    def __init__(self, uri: str | None) -> None:
        self.uri = uri

    @property
    def spec(self) -> str:
        """The `--log-to` spec of this tracker."""
        return f"{self.name}:{self.uri}" if self.uri else self.name

    def tracking_uri(self) -> str:
        """Return the URI the run goes to: the spec's, else MLFLOW_TRACKING_URI, else MLflow's
        default."""
        if self.uri:
            return self.uri
        import mlflow

        return str(mlflow.get_tracking_uri())

    def check(self) -> None:
        """Import MLflow, then find out before the run what can be found cheaply: a local
        store (file, sqlite) is opened, so a store MLflow refuses is one line; a tracking
        server must answer one request within REACH_TIMEOUT seconds (any HTTP status will do),
        so a server that is down or a mistyped port is found before any model is called."""
        try:
            import mlflow  # noqa: F401
        except ImportError:
            raise InputError(install_hint("mlflow", "mlflow")) from None
        uri = self.tracking_uri()
        scheme = urlparse(uri).scheme
        if scheme in SERVER_SCHEMES:
            _reach(uri)
        elif scheme in LOCAL_SCHEMES and not uri.startswith("databricks"):
            try:
                self._client(uri).search_experiments(max_results=1)
            except Exception as exc:
                raise InputError(_local_store_error(uri, exc)) from None

    def log(self, payload: RunPayload) -> str:
        """Log `payload` as a new MLflow run (its name is tightrope's run id); return where."""
        from mlflow.entities import Metric, Param, RunTag

        uri = self.tracking_uri()
        client = self._client(uri)
        experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(experiment)
        tags = {
            "tightrope.run_id": payload.run_id,
            "tightrope.fingerprint": payload.params.get("fingerprint", ""),
        }
        run = client.create_run(experiment_id, run_name=payload.run_id, tags=tags)
        run_id = run.info.run_id
        try:
            now = int(time.time() * 1000)
            metrics = [Metric(k, v, now, 0) for k, v in sorted(payload.metrics.items())]
            params = [Param(k, v) for k, v in sorted(payload.params.items())]
            for i in range(0, len(metrics), METRICS_PER_BATCH):
                client.log_batch(run_id, metrics=metrics[i : i + METRICS_PER_BATCH])
            for i in range(0, len(params), PARAMS_PER_BATCH):
                client.log_batch(run_id, params=params[i : i + PARAMS_PER_BATCH])
            client.log_batch(run_id, tags=[RunTag("tightrope.metrics", str(len(metrics)))])
            for path in payload.files:
                client.log_artifact(run_id, str(path))
            client.set_terminated(run_id, "FINISHED")
        except BaseException:
            _mark_failed(client, run_id)
            raise
        return f"mlflow {uri} · experiment {experiment} · run {run_id}"

    @staticmethod
    def _client(uri: str) -> Any:
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=uri)


def _reach(uri: str) -> None:
    """Raise InputError when the tracking server at `uri` does not answer at all."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=REACH_TIMEOUT):
            pass
    except urllib.error.HTTPError:
        return  # it answered: a proxy's or the server's own status is enough here
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(
            f"--log-to mlflow: the tracking server {uri} does not answer ({one_line(str(reason))}); "
            "start it, or leave out --log-to and log the run later with "
            "tightrope report RUN --log-to mlflow:URI"
        ) from None


def _mark_failed(client: Any, run_id: str) -> None:
    """Mark a half-logged MLflow run FAILED, if the store still answers."""
    with contextlib.suppress(Exception):
        client.set_terminated(run_id, "FAILED")


def _local_store_error(uri: str, exc: Exception) -> str:
    """Return the one-line error for a local MLflow store that cannot be opened, with the fix."""
    text = one_line(str(exc))
    if "MLFLOW_ALLOW_FILE_STORE" in text:
        return (
            f"--log-to mlflow: {uri}: this MLflow refuses file stores unless "
            "MLFLOW_ALLOW_FILE_STORE=true is set; set it, or give a tracking server "
            "(mlflow:http://HOST:PORT) or a sqlite: store (needs pip install mlflow)"
        )
    if isinstance(exc, ModuleNotFoundError) or "No module named" in text:
        return (
            f"--log-to mlflow: {uri}: this store needs more of MLflow ({text}): "
            "pip install mlflow, or give mlflow:file:///PATH or a tracking server"
        )
    return f"--log-to mlflow: {uri}: cannot open the MLflow store: {text}"


@tracker("mlflow", help="MLflow: mlflow[:TRACKING_URI] (default MLFLOW_TRACKING_URI)")
def mlflow_tracker(arg: str | None) -> MlflowTracker:
    """Return the MLflow tracker for `--log-to mlflow[:URI]`."""
    return MlflowTracker(arg)
