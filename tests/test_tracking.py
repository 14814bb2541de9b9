"""`--log-to mlflow|wandb` and `--log-level`: a finished run in an experiment tracker.

MLflow is read back with its own client from a local file store; W&B runs offline and its
run file is read back record by record. The numbers logged are checked against the run's JSON
report (`tightrope report --json`), which computes them by another path.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from clihelp import TESTS, tightrope
from tightrope.errors import InputError

RULE = "python:fake_targets:rule"
RUN = ("run", "--judge", "refusal", "--target", RULE, "--limit", "8", "--out", "runs")
# MLflow 3 refuses file stores unless this is set (its maintainers' opt-in, not tightrope's).
FILE_STORE = {"MLFLOW_ALLOW_FILE_STORE": "true"}


def _run_id(stdout: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("run "))


def _report_json(tmp_path: Path, run_id: str) -> dict[str, Any]:
    r = tightrope("report", run_id, "--out", "runs", "--json", "r.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (run,) = json.loads((tmp_path / "r.json").read_text())["runs"]
    return dict(run)


def _mlflow_run(uri: str, run_id: str) -> Any:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tightrope")
    assert experiment is not None
    (found,) = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`tightrope.run_id` = '{run_id}'"
    )
    return client, found


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mlflow_file_store_holds_the_runs_params_metrics_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = (tmp_path / "mlruns").as_uri()
    r = tightrope(
        *RUN, "--attack", "base64", "--log-to", f"mlflow:{uri}", cwd=tmp_path, **FILE_STORE
    )
    assert r.returncode == 0, r.stderr
    run_id = _run_id(r.stdout)
    assert f"logged to mlflow {uri} · experiment tightrope · run " in r.stdout
    report = _report_json(tmp_path, run_id)

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client, run = _mlflow_run(uri, run_id)
    assert run.info.run_name == run_id and run.info.status == "FINISHED"
    params, metrics = run.data.params, run.data.metrics
    assert params["run_id"] == run_id
    assert params["target"] == RULE
    assert params["attack"] == "direct, base64"
    assert params["judge"] == f"refusal v{report['instrument']['judges'][0]['version']}"
    assert params["limit"] == "8"
    assert params["generation.max_tokens"] == str(report["config"]["generation"]["max_tokens"])
    assert params["tightrope_version"] == report["instrument"]["tightrope_version"]

    tables = {t["attack"]: t for t in report["tables"]}
    direct = {row["category"]: row for row in tables["direct"]["rows"]}
    for name in ("not_unsafe", "not_overrefuse"):
        rate = direct["all"][name]
        assert metrics[name] == pytest.approx(rate["value"])
        assert metrics[f"{name}_low"] == pytest.approx(rate["low"])
        assert metrics[f"{name}_high"] == pytest.approx(rate["high"])
        assert metrics[f"{name}_n"] == rate["n"] > 0
        assert metrics[f"{name}_errors"] == rate["errors"]
    for attack, table in tables.items():
        rows = {row["category"]: row for row in table["rows"]}
        assert metrics[f"asr/{attack}"] == pytest.approx(rows["all"]["asr"]["value"])
        assert metrics[f"asr/{attack}_n"] == rows["all"]["asr"]["n"]
        for category, row in rows.items():
            for rate_name in ("asr", "not_unsafe", "refusal_rate", "not_overrefuse"):
                key = f"{attack}/{category}/{rate_name}"
                assert metrics[f"{key}_n"] == row[rate_name]["n"]
                if row[rate_name]["n"]:
                    assert metrics[key] == pytest.approx(row[rate_name]["value"])
                    assert metrics[f"{key}_low"] == pytest.approx(row[rate_name]["low"])
                else:  # undefined rates are not logged as NaN
                    assert key not in metrics
    assert metrics["records"] == report["errors"]["records"] == 16
    assert metrics["errors"] == report["errors"]["failed"]

    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert artifacts == {"report.html", "instrument.json", "config.json"}
    folder = Path(client.download_artifacts(run.info.run_id, "", str(tmp_path / "dl")))
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and run_id in html
    assert json.loads((folder / "instrument.json").read_text()) == report["instrument"]


def test_several_targets_get_their_own_metric_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Python API takes the same specs; target specs hold ':' which MLflow refuses in names.
    import tightrope

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    result = tightrope.evaluate(
        target=[RULE, "python:fake_targets:flaky"],
        judges=["refusal"],
        limit=20,
        out=tmp_path / "runs",
        max_error_rate=1.0,
        log_to=[f"mlflow:{uri}"],
    )
    _, run = _mlflow_run(uri, result.run_id)
    metrics = run.data.metrics
    for table in result.tables:
        prefix = table.target.replace(":", "_")
        overall = table.overall
        assert metrics[f"{prefix}/not_unsafe_n"] == overall.not_unsafe.n
        assert metrics[f"{prefix}/not_unsafe"] == pytest.approx(overall.not_unsafe.value)
        assert metrics[f"{prefix}/asr/direct_errors"] == overall.asr.errors
    assert metrics["errors"] == result.errors > 0
    assert "not_unsafe" not in metrics  # no headline without a single target


class _Unavailable(BaseHTTPRequestHandler):
    """A tracking server behind a proxy that is up but whose backend is down: /health answers,
    every API call gets 503."""

    def _answer(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def unavailable_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_that_does_not_answer_fails_before_any_model_call(tmp_path: Path) -> None:
    calls = tmp_path / "calls.log"
    down = f"mlflow:http://127.0.0.1:{_closed_port()}"
    r = tightrope(
        "run", "--judge", "refusal", "--target", "python:fake_targets:slow_logged",
        "--limit", "4", "--out", "runs", "--log-to", down,
        cwd=tmp_path, TIGHTROPE_TEST_CALL_LOG=str(calls),
    )  # fmt: skip
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(
        f"error: --log-to mlflow: the tracking server {down[7:]} does not answer"
    )
    assert not calls.exists() and not (tmp_path / "runs").exists()


def test_a_tracker_that_fails_keeps_the_run_exits_3_and_report_logs_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unavailable_server: str
) -> None:
    down = f"mlflow:{unavailable_server}"
    r = tightrope(*RUN, "--log-to", down, cwd=tmp_path, MLFLOW_HTTP_REQUEST_MAX_RETRIES="0")
    assert r.returncode == 3, (r.returncode, r.stderr)
    run_id = _run_id(r.stdout)
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.stderr
    assert errors[0].startswith(f"error: logging to {down} failed: MlflowException: ")
    assert "503" in errors[0]
    again = f"tightrope report {run_id} --out runs --log-to {down}"
    assert errors[0].endswith(f"the run is stored: log it again with {again}")
    assert "not_unsafe" in r.stdout  # the tables were printed before the tracker ran

    uri = (tmp_path / "mlruns").as_uri()
    rep = tightrope(
        "report", run_id, "--out", "runs", "--log-to", f"mlflow:{uri}", cwd=tmp_path, **FILE_STORE
    )
    assert rep.returncode == 0, rep.stderr
    assert f"logged to mlflow {uri}" in rep.stdout
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    _, run = _mlflow_run(uri, run_id)
    report = _report_json(tmp_path, run_id)
    overall = next(row for row in report["tables"][0]["rows"] if row["category"] == "all")
    assert run.data.metrics["not_unsafe"] == pytest.approx(overall["not_unsafe"]["value"])


BLOCK_SDKS = """
import importlib.abc, sys

class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("mlflow", "wandb"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Block())
"""


@pytest.mark.parametrize("tracker", ["mlflow", "wandb"])
def test_a_missing_sdk_says_how_to_install_it_before_any_model_call(
    tmp_path: Path, tracker: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_SDKS, encoding="utf-8")
    calls = tmp_path / "calls.log"
    r = tightrope(
        "run", "--judge", "refusal", "--target", "python:fake_targets:slow_logged",
        "--limit", "4", "--out", "runs", "--log-to", tracker,
        cwd=tmp_path,
        PYTHONPATH=os.pathsep.join([str(site), str(TESTS), os.environ.get("PYTHONPATH", "")]),
        TIGHTROPE_TEST_CALL_LOG=str(calls),
    )  # fmt: skip
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip().splitlines() == [
        f"error: --log-to {tracker} needs the {tracker} package, which is not installed: "
        f"pip install 'tightrope[{tracker}]'"
    ]
    assert not calls.exists() and not (tmp_path / "runs").exists()


def test_an_unknown_tracker_lists_the_valid_ones(tmp_path: Path) -> None:
    r = tightrope(*RUN, "--log-to", "neptune", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == "error: unknown tracker 'neptune'; valid trackers: mlflow, wandb"
    assert not (tmp_path / "runs").exists()


def test_help_imports_no_tracker_sdk() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from tightrope.cli.app import app; "
        "r = CliRunner().invoke(app, ['run', '--help']); assert r.exit_code == 0, r.output; "
        "assert '--log-to' in r.output and '--log-level' in r.output; "
        "print('SDKS', [m for m in ('mlflow', 'wandb', 'tightrope.tracking') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "SDKS []" in out.stdout


def test_log_level_shows_tightropes_messages_at_that_level(tmp_path: Path) -> None:
    uri = (tmp_path / "mlruns").as_uri()
    log_to = ("--log-to", f"mlflow:{uri}")
    debug = tightrope(*RUN, *log_to, "--log-level", "debug", cwd=tmp_path, **FILE_STORE)
    assert debug.returncode == 0, debug.stderr
    run_id = _run_id(debug.stdout)
    assert f"DEBUG tightrope.tracking.log: run {run_id}: " in debug.stderr
    assert f"INFO tightrope.tracking.log: logged run {run_id} to mlflow {uri}" in debug.stderr
    # Before the command (every command's option) works too; a higher level hides them.
    info = tightrope("--log-level", "info", *RUN, *log_to, cwd=tmp_path, **FILE_STORE)
    assert "INFO tightrope.tracking.log: logged run" in info.stderr
    assert "DEBUG" not in info.stderr
    for quiet in (("--log-level", "error"), ()):
        r = tightrope(*RUN, *log_to, *quiet, cwd=tmp_path, **FILE_STORE)
        assert r.returncode == 0, r.stderr
        assert "tightrope.tracking" not in r.stderr
    bad = tightrope(*RUN, "--log-level", "loud", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "error: --log-level 'loud': use one of debug, info, warning, error"
    )


def test_log_level_configures_only_tightropes_logger() -> None:
    from tightrope.cli.common import configure_logging

    root, other = logging.getLogger(), logging.getLogger("mlflow")
    before = (root.level, list(root.handlers), other.level)
    tr = logging.getLogger("tightrope")
    saved = (tr.level, list(tr.handlers), tr.propagate)
    try:
        configure_logging("debug")
        configure_logging("info")
        assert tr.level == logging.INFO and len(tr.handlers) == len(saved[1]) + 1
        assert (root.level, list(root.handlers), other.level) == before
    finally:
        for h in tr.handlers[len(saved[1]) :]:
            tr.removeHandler(h)
        tr.setLevel(saved[0])
        tr.propagate = saved[2]
        import tightrope.cli.common as common

        common._handler = None


def _wandb_records(path: Path) -> list[Any]:
    """Return the records of a W&B run file (`run-ID.wandb`): a 7-byte header, then LevelDB
    log blocks of 32 KiB whose chunks (full, first, middle, last) make protobuf Records."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, buf, out = 7, 32768, b"", []
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0 and length == 0:
            pos += left
            continue
        buf += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(buf)
            out.append(record)
            buf = b""
    return out


def test_wandb_offline_run_holds_config_summary_and_report_artifact(tmp_path: Path) -> None:
    env = {
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path),
        "WANDB_DATA_DIR": str(tmp_path / "wandb-data"),
        "WANDB_CACHE_DIR": str(tmp_path / "wandb-cache"),
        "WANDB_CONFIG_DIR": str(tmp_path / "wandb-config"),
    }
    r = tightrope(*RUN, "--log-to", "wandb:safety", cwd=tmp_path, **env)
    assert r.returncode == 0, r.stderr
    run_id = _run_id(r.stdout)
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("logged to wandb")]
    assert line.startswith("logged to wandb project safety · run ") and "(offline, " in line
    (run_file,) = glob.glob(str(tmp_path / "wandb" / "offline-run-*" / "run-*.wandb"))
    records = _wandb_records(Path(run_file))
    by_kind: dict[str, list[Any]] = {}
    for rec in records:
        by_kind.setdefault(rec.WhichOneof("record_type"), []).append(rec)
    (run,) = [rec.run for rec in by_kind["run"]]
    assert run.project == "safety" and run.display_name == run_id
    config = {u.key: json.loads(u.value_json) for u in run.config.update}
    assert config["run_id"] == run_id and config["target"] == RULE
    summary = {
        u.key: json.loads(u.value_json) for rec in by_kind["summary"] for u in rec.summary.update
    }
    report = _report_json(tmp_path, run_id)
    overall = next(row for row in report["tables"][0]["rows"] if row["category"] == "all")
    for name in ("not_unsafe", "not_overrefuse"):
        assert summary[name] == pytest.approx(overall[name]["value"])
        assert summary[f"{name}_low"] == pytest.approx(overall[name]["low"])
        assert summary[f"{name}_n"] == overall[name]["n"]
    (artifact,) = [rec.artifact for rec in by_kind["artifact"]]
    assert artifact.type == "tightrope-report" and artifact.name == f"tightrope-{run_id}"
    files = {c.path: c.local_path for c in artifact.manifest.contents}
    assert set(files) == {"report.html", "instrument.json", "config.json"}
    assert run_id in Path(files["report.html"]).read_text(encoding="utf-8")


def test_evaluate_warns_when_a_tracker_fails_and_returns_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unavailable_server: str
) -> None:
    import tightrope

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.warns(UserWarning, match=r"failed: MlflowException: .*the run is stored"):
        result = tightrope.evaluate(
            target=RULE,
            judges=["refusal"],
            limit=4,
            out=tmp_path / "runs",
            log_to=[f"mlflow:{unavailable_server}"],
        )
    assert result.tables[0].overall.not_unsafe.n > 0
    with pytest.raises(InputError, match="unknown tracker 'nope'"):
        tightrope.evaluate(target=RULE, judges=["refusal"], out=tmp_path / "b", log_to=["nope"])
    assert not (tmp_path / "b").exists()
