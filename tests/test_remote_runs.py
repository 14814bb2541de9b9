"""Whole runs against a scripted OpenAI-protocol server: faults, SIGKILL mid-flight, secrets."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from clihelp import cli_env, tightrope
from openai_server import OK, Action, ScriptedServer, prompt_hash
from tightrope.metrics.rates import metrics_table
from tightrope.run import RunConfig, run_async
from tightrope.store import Store

N = 40
N_KILL = 70
FAST = {"base_delay": 0.01, "max_delay": 0.05, "timeout": 0.5}


def faulty(prompt: str, n: int) -> Action:
    """Different faults on different prompts; some recover within 3 attempts, some never do."""
    h = prompt_hash(prompt) % 10
    faults = {
        0: Action(kind="status", status=429, headers={"Retry-After": "0.01"}),
        1: Action(kind="status", status=500),
        2: Action(kind="status", status=503),
        3: Action(delay=1.0),
        4: Action(kind="drop"),
        5: Action(kind="malformed"),
        6: Action(kind="empty"),
    }
    if h not in faults:
        return OK
    # Prompts with an odd hash never recover; the others fail twice, then answer.
    never = prompt_hash(prompt + "!") % 2 == 1
    return faults[h] if never or n < 2 else OK


def _run(base_url: str, out: Path) -> object:
    config = RunConfig(
        targets=(f"openai-compatible:{base_url}#m",),
        limit=N,
        judges=("refusal", "gcg-strings"),
        target_settings={**FAST, "retries": 3, "concurrency": 8},
    )
    return asyncio.run(run_async(config, out=out))


def test_faults_become_error_records_and_the_rest_matches_a_clean_run(tmp_path: Path) -> None:
    with ScriptedServer() as clean_srv:
        clean = _run(clean_srv.base_url, tmp_path / "clean")
    with ScriptedServer(faulty) as srv:
        res = _run(srv.base_url, tmp_path / "faulty")
    assert clean.errors == 0
    failed = [r for r in res.records if not (r.response and r.response.ok)]
    ok = [r for r in res.records if r.response and r.response.ok]
    assert failed and ok, "the plan must produce both outcomes"
    kinds = {r.response.error.split(":")[0].split(" (")[0] for r in failed if r.response}
    assert len(kinds) >= 4, kinds
    for r in failed:
        assert r.verdicts == {}, "a failed call is never judged"
    # Every record that succeeded equals the clean run's, verdicts included.
    clean_by_id = {r.behavior.id: r for r in clean.records}
    for r in ok:
        twin = clean_by_id[r.behavior.id]
        assert r.response.text == twin.response.text
        assert {k: v.label for k, v in r.verdicts.items()} == {
            k: v.label for k, v in twin.verdicts.items()
        }
    # Metrics of the faulty run equal the clean run's restricted to the same successful subset.
    spec = res.tables[0].target
    ok_ids = {r.behavior.id for r in ok}
    subset = [r for r in clean.records if r.behavior.id in ok_ids]
    expected = metrics_table(subset, target=clean.tables[0].target, refusal_judge="refusal")
    got = res.tables[0]
    for row_got, row_exp in zip(got.rows, expected.rows, strict=True):
        for metric in ("asr", "not_unsafe", "refusal_rate", "not_overrefuse"):
            g, e = getattr(row_got, metric), getattr(row_exp, metric)
            assert (g.k, g.n, g.low, g.high) == (e.k, e.n, e.low, e.high)
    assert got.overall.asr.errors + got.overall.not_overrefuse.errors == len(failed)
    assert spec.startswith("openai-compatible:")


def _start(
    cwd: Path, base_url: str, out: str, n: int = N_KILL, **env: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tightrope",
            "run",
            "--judge",
            "refusal",
            "--target",
            f"openai-compatible:{base_url}#m",
            "--limit",
            str(n),
            "--concurrency",
            "8",
            "--out",
            out,
        ],
        cwd=cwd,
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_sigkill_with_requests_in_flight_then_resume(tmp_path: Path) -> None:
    with ScriptedServer(latency=0.15) as srv:
        ref = _start(tmp_path, srv.base_url, "ref")
        assert ref.wait(timeout=300) == 0, ref.stderr.read() if ref.stderr else ""
        ref_records = _records(tmp_path / "ref")
        srv.requests.clear()
        kills_in_flight = []
        # New requests each process makes before it is killed: small enough that none finishes.
        for wait_for in (1, 9, 12, 10, 14, 9):
            before = len(srv.requests)
            proc = _start(tmp_path, srv.base_url, "runs")
            deadline = time.monotonic() + 60
            while len(srv.requests) < before + wait_for and proc.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.003)
            if proc.poll() is None:
                kills_in_flight.append(srv.in_flight)
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        assert len(kills_in_flight) >= 5
        assert sum(1 for n in kills_in_flight if n > 0) >= 5, kills_in_flight
        store = Store.open(tmp_path / "runs")
        [run] = store.runs()
        stored_ok = store.counts(run.run_id)["ok"]
        store.close()
        assert 0 < stored_ok < N_KILL
        before = len(srv.requests)
        final = _start(tmp_path, srv.base_url, "runs")
        _out, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
        assert "resuming run" in err
        assert len(srv.requests) - before == N_KILL - stored_ok, "only the missing calls are made"
    assert _records(tmp_path / "runs") == ref_records


def _records(out: Path) -> list[tuple[str, str | None, dict[str, str]]]:
    store = Store.open(out)
    try:
        [run] = [r for r in store.runs() if r.status == "finished"]
        return [
            (
                r.attempt.id,
                r.response.text if r.response else None,
                {k: v.label for k, v in r.verdicts.items()},
            )
            for r in store.records(run.run_id)
        ]
    finally:
        store.close()


def test_api_key_never_reaches_store_logs_or_report(tmp_path: Path) -> None:
    secret = "sk-test-NEVER-WRITE-ME-0123456789"
    plan = lambda p, n: Action(kind="status", status=401) if prompt_hash(p) % 3 == 0 else OK  # noqa: E731
    with ScriptedServer(plan) as srv:
        r = tightrope(
            "run",
            "--judge",
            "refusal",
            "--target",
            f"openai-compatible:{srv.base_url}#m",
            "--limit",
            "12",
            "--out",
            "runs",
            "--max-error-rate",
            "1",
            cwd=tmp_path,
            OPENAI_API_KEY=secret,
        )
        assert r.returncode == 0, r.stderr
        seen = {k.lower(): v for k, v in srv.headers[0].items()}
        assert seen["authorization"] == f"Bearer {secret}", "the key was used"
    rep = tightrope("report", "latest", "--out", "runs", cwd=tmp_path)
    store = Store.open(tmp_path / "runs")
    [run] = store.runs()
    errors = [
        x.response.error for x in store.records(run.run_id) if x.response and x.response.error
    ]
    store.close()
    assert errors and all("HTTP 401" in e for e in errors)
    blobs = [r.stdout, r.stderr, rep.stdout, rep.stderr]
    blobs += [p.read_bytes().decode("latin-1") for p in (tmp_path / "runs").iterdir()]
    assert all(secret not in b for b in blobs)
