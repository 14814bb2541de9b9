"""`python:` targets: sync functions in worker threads, `concurrency` in flight, a per-call timeout."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from clihelp import cli_env
from tightrope.records import GenerationConfig, Message
from tightrope.targets import get_target


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tightrope", "run", "--judge", "refusal", *args, "--out", "o"],
        cwd=tmp_path,
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails the test instead of stalling the suite
    )


def test_a_sync_function_runs_concurrency_calls_at_once(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    r = _run(
        tmp_path,
        *("--target", "python:fake_targets:sleepy", "--concurrency", "8", "--limit", "8"),
        TIGHTROPE_TEST_CALL_LOG=str(log),
        TIGHTROPE_TEST_DELAY="0.5",
    )
    assert r.returncode == 0, r.stderr
    in_flight = [int(n) for n in log.read_text().split()]
    assert len(in_flight) == 8
    # Every call saw the others in flight: one at a time would log 1, 1, 1, ...
    assert max(in_flight) == 8


def test_concurrency_bounds_the_calls_in_flight(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    r = _run(
        tmp_path,
        *("--target", "python:fake_targets:sleepy", "--concurrency", "2", "--limit", "6"),
        TIGHTROPE_TEST_CALL_LOG=str(log),
        TIGHTROPE_TEST_DELAY="0.2",
    )
    assert r.returncode == 0, r.stderr
    in_flight = [int(n) for n in log.read_text().split()]
    assert len(in_flight) == 6 and max(in_flight) == 2


def test_a_hanging_sync_function_times_out_into_error_records(tmp_path: Path) -> None:
    r = _run(tmp_path, "--target", "python:fake_targets:hang", "--timeout", "0.5", "--limit", "2")
    # The run ends: every call is an error record, so the error rate fails it (exit 1).
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "error rate 100.0%" in r.stderr


def _ask(spec: str, **settings: float) -> list[str | None]:
    target = get_target(spec, **settings)
    batch = [(Message(role="user", content="hello"),)]
    return [resp.error for resp in asyncio.run(target.generate(batch, GenerationConfig()))]


def test_the_timeout_applies_to_sync_and_async_functions() -> None:
    for name in ("hang", "hang_async"):
        [error] = _ask(f"python:fake_targets:{name}", timeout=0.3)
        assert error is not None and "TimeoutError" in error and "0.3" in error


def test_without_a_timeout_a_slow_function_still_answers() -> None:
    assert _ask("python:fake_targets:sleepy") == [None]
    assert _ask("python:fake_targets:slow_logged", timeout=5) == [None]


def test_a_timeout_error_the_function_raises_is_its_own() -> None:
    [error] = _ask("python:fake_targets:raises_timeout")
    assert error == "TimeoutError: the backend's socket timed out"
