"""`--dry-run` estimates without calling anything; `--max-cost` stops a run cleanly and the same
command resumes it. Against the scripted OpenAI-protocol server on 127.0.0.1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from clihelp import tightrope
from openai_server import ScriptedServer

N = 10


def _prices(tmp_path: Path, output_per_million: float) -> str:
    path = tmp_path / "prices.yaml"
    path.write_text(f"m: {{input: 0.0, output: {output_per_million}}}\n")
    return str(path)


def _args(srv: ScriptedServer, out: Path) -> list[str]:
    return [
        "run", "--target", f"openai-compatible:{srv.base_url}#m", "--judge", "refusal",
        "--limit", str(N), "--concurrency", "1", "--out", str(out),
    ]  # fmt: skip


def _said(proc: object) -> str:
    return " ".join(str(getattr(proc, "stdout", "")).split())


def test_dry_run_estimates_and_calls_nothing(tmp_path: Path) -> None:
    prices = _prices(tmp_path, 1000.0)
    with ScriptedServer() as srv:
        proc = tightrope(
            *_args(srv, tmp_path / "store"), "--dry-run", "--attack", "base64",
            cwd=tmp_path, TIGHTROPE_PRICES=prices,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert srv.requests == [] and not (tmp_path / "store").exists()
    said = _said(proc)
    assert f"{N} behaviors x 2 attacks x 1 targets" in said
    assert f"{2 * N} planned attempts" in said
    # 20 calls x 150 output tokens x $1000 per 1M tokens = $3.
    assert "estimated cost: $3.0000" in said


def test_dry_run_counts_what_the_cache_answers(tmp_path: Path) -> None:
    with ScriptedServer() as srv:
        done = tightrope(*_args(srv, tmp_path), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        proc = tightrope(*_args(srv, tmp_path), "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"({N} answered by the cache)" in _said(proc)
    assert len(srv.requests) == N


def test_max_cost_stops_cleanly_and_the_same_command_resumes(tmp_path: Path) -> None:
    prices = _prices(tmp_path, 1000.0)  # each call reserves 150 tokens = $0.15
    with ScriptedServer() as srv:
        stopped = tightrope(
            *_args(srv, tmp_path), "--max-cost", "0.2", cwd=tmp_path, TIGHTROPE_PRICES=prices
        )
        assert stopped.returncode == 1, stopped.stderr
        assert "--max-cost" in stopped.stderr and "is saved" in stopped.stderr
        made = len(srv.requests)
        assert 0 < made < N
        db = sqlite3.connect(tmp_path / "tightrope.db")
        assert db.execute("SELECT status FROM runs").fetchall() == [("running",)]
        db.close()
        resumed = tightrope(*_args(srv, tmp_path), cwd=tmp_path, TIGHTROPE_PRICES=prices)
        assert resumed.returncode == 0, resumed.stderr
        assert "resuming run" in resumed.stderr
    assert len(srv.requests) == N  # nothing asked twice


def test_max_cost_needs_a_price_and_a_positive_amount(tmp_path: Path) -> None:
    with ScriptedServer() as srv:
        unpriced = tightrope(*_args(srv, tmp_path / "s"), "--max-cost", "1", cwd=tmp_path)
        negative = tightrope(*_args(srv, tmp_path / "s"), "--max-cost", "-1", cwd=tmp_path)
    assert unpriced.returncode == 2 and "TIGHTROPE_PRICES" in unpriced.stderr
    assert negative.returncode == 2 and "positive" in negative.stderr
    assert srv.requests == [] and not (tmp_path / "s").exists()
