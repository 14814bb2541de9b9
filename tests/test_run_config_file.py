"""`tightrope run --config run.yaml`: a whole run in one file, stored with it, repeatable; and
the flag names shared with Inspect AI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from clihelp import tightrope

TARGET = "python:fake_targets:rule"


def _run_id(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, r.stderr
    return next(line.split()[1] for line in r.stdout.splitlines() if line.startswith("run "))


def _stored(out: Path, run_id: str) -> tuple[str, dict[str, object]]:
    with sqlite3.connect(out / "tightrope.db") as db:
        fp, config = db.execute(
            "SELECT fingerprint, config FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
    return str(fp), json.loads(config)


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_run_file_gives_the_run_of_the_same_flags_and_is_stored_with_it(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text(
        f"target: {TARGET}\nlimit: 6\nmax-tokens: 40\njudge: [refusal]\nmax_connections: 3\n"
        "threads: 1\nout: runs\n",
        encoding="utf-8",
    )
    by_file = _run_id(tightrope("run", "--config", "run.yaml", cwd=tmp_path))
    fp_file, config = _stored(tmp_path / "runs", by_file)
    assert config["run_file"] == {
        "path": "run.yaml",
        "text": (tmp_path / "run.yaml").read_text(encoding="utf-8"),
    }
    assert config["target_settings"] == {"concurrency": 3, "threads": 1}
    flags = ["--target", TARGET, "--limit", "6", "--max-tokens", "40", "--judge", "refusal"]
    flags += ["--concurrency", "3", "-M", "threads=1"]
    by_flags = _run_id(tightrope("run", *flags, "--out", "other", cwd=tmp_path))
    assert _stored(tmp_path / "other", by_flags)[0] == fp_file


def test_a_flag_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text(
        f"target: {TARGET}\nlimit: 6\njudge: refusal\nout: runs\nretries: 5\ntimeout: 9\n",
        encoding="utf-8",
    )
    flags = ["--limit", "4", "--max-retries", "1", "-M", "timeout=7"]
    rid = _run_id(tightrope("run", "--config", "run.yaml", *flags, cwd=tmp_path))
    config = _stored(tmp_path / "runs", rid)[1]
    assert config["limit"] == 4 and config["target_settings"] == {"retries": 2, "timeout": 7}


def test_a_file_written_from_a_stored_run_repeats_it_exactly(tmp_path: Path) -> None:
    flags = ["--target", TARGET, "--limit", "6", "--attack", "base64", "--temperature", "0.5"]
    flags += ["-M", "timeout=12.5", "--system-message", "Be brief.", "--max-retries", "2"]
    first = _run_id(tightrope("run", *flags, "--log-dir", "runs", cwd=tmp_path))
    fp, config = _stored(tmp_path / "runs", first)
    assert config["generation"]["system_prompt"] == "Be brief."
    assert config["target_settings"] == {"timeout": 12.5, "retries": 3}
    exp = tightrope(
        "export", first, "-f", "config", "-o", "again.yaml", "--out", "runs", cwd=tmp_path
    )
    assert exp.returncode == 0, exp.stderr
    text = (tmp_path / "again.yaml").read_text(encoding="utf-8")
    assert "system_prompt: Be brief." in text and "retries: 3" in text and "refusal" in text
    # The same fingerprint: a finished run is made again from the cache, with no model call.
    again = tightrope("run", "--config", "again.yaml", cwd=tmp_path)
    assert _stored(tmp_path / "runs", _run_id(again))[0] == fp
    assert "0 model calls" in again.stdout
    # In another store it is made afresh, the same way.
    moved = tightrope("run", "--config", "again.yaml", "--out", "fresh", cwd=tmp_path)
    assert _stored(tmp_path / "fresh", _run_id(moved))[0] == fp


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("limit: 6\ntargett: x\n", 2, "unknown key 'targett'"),
        ("target: x\n\nlimit: many\n", 3, "limit takes an integer"),
        ("judge: [1, 2]\n", 1, "judge takes a string or a list of strings"),
        ("concurrency: 3\nmax_connections: 4\n", 2, "a second time"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("target: [x\n", 2, "not valid YAML"),
    ],
)
def test_bad_run_file_is_one_line_naming_file_and_line_and_writes_nothing(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    msg = _one_line_error(tightrope("run", "--config", "bad.yaml", "--out", "o", cwd=tmp_path))
    assert f"bad.yaml:{line}" in msg and words in msg
    assert not (tmp_path / "o").exists()


def test_inspect_flag_names_and_their_errors(tmp_path: Path) -> None:
    msg = _one_line_error(
        tightrope("run", "--retries", "2", "--max-retries", "1", "--out", "o", cwd=tmp_path)
    )
    assert "--max-retries" in msg
    msg = _one_line_error(tightrope("run", "-M", "nope=1", "--out", "o", cwd=tmp_path))
    assert "-M nope" in msg and "timeout" in msg
    msg = _one_line_error(tightrope("run", "-M", "timeout", "--out", "o", cwd=tmp_path))
    assert "key=value" in msg
    assert not (tmp_path / "o").exists()
    helptext = tightrope("run", "--help", cwd=tmp_path).stdout
    for flag in ("--max-connections", "--max-retries", "--system-message", "--log-dir", "-M"):
        assert flag in helptext
