"""The command line as a user meets it: subprocesses, exit codes, one-line errors."""

import subprocess
import sys
from pathlib import Path

from clihelp import cli_env, tightrope

RULE = "python:fake_targets:rule"
# The rule judge keeps these runs fast; the default judge is tested in test_embedded.py.
RUN = ("run", "--judge", "refusal", "--target", RULE)


def test_help_does_not_import_torch_or_transformers() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from tightrope.cli.app import app; "
        "r = CliRunner().invoke(app, ['run', '--help']); assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]; "
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def test_run_prints_table_with_judge_and_basis_then_report_repeats_it(tmp_path: Path) -> None:
    r = tightrope(*RUN, "--limit", "10", "--out", "runs", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "not_unsafe" in r.stdout and "not_overrefuse" in r.stdout and "95% CI" in r.stdout
    assert "refusal judge: refusal v" in r.stdout
    assert "refusal-based" in r.stdout
    assert "starter@1" in r.stdout
    assert "10 model calls" in r.stdout
    assert (tmp_path / "runs" / "tightrope.db").is_file()
    run_id = next(line.split()[1] for line in r.stdout.splitlines() if line.startswith("run "))
    rep = tightrope("report", run_id, "--out", "runs", cwd=tmp_path)
    assert rep.returncode == 0, rep.stderr
    table = lambda s: [ln for ln in s.splitlines() if ln.startswith(("│", "┃"))]  # noqa: E731
    assert table(rep.stdout) == table(r.stdout)
    latest = tightrope("report", "latest", "--out", "runs", cwd=tmp_path)
    assert table(latest.stdout) == table(r.stdout)
    again = tightrope(*RUN, "--limit", "10", "--out", "runs", cwd=tmp_path)
    assert "0 model calls, 10 from cache" in again.stdout
    listing = tightrope("runs", "--out", "runs", cwd=tmp_path)
    assert listing.returncode == 0 and run_id in listing.stdout


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


def test_unknown_names_fail_with_valid_names(tmp_path: Path) -> None:
    line = _one_line_error(tightrope("run", "--target", "nope:x", "--out", "o", cwd=tmp_path))
    assert "unknown target 'nope'" in line and "embedded" in line and "python" in line
    line = _one_line_error(tightrope("run", "--suite", "nope", "--out", "o", cwd=tmp_path))
    assert "unknown suite 'nope'" in line and "starter" in line
    line = _one_line_error(tightrope("run", "--judge", "nope", "--out", "o", cwd=tmp_path))
    assert "unknown judge 'nope'" in line and "gcg-strings" in line
    line = _one_line_error(tightrope("run", "--attack", "nope", "--out", "o", cwd=tmp_path))
    assert "unknown attack 'nope'" in line and "direct" in line
    line = _one_line_error(
        tightrope("run", "--target", "embedded:nope", "--out", "o", cwd=tmp_path)
    )
    assert "embedded:smollm2" in line
    assert not (tmp_path / "o").exists(), "nothing half-written on bad input"


def test_unwritable_out_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    line = _one_line_error(tightrope(*RUN, "--limit", "2", "--out", "afile/sub", cwd=tmp_path))
    assert "afile" in line and "--out" in line


def test_corrupt_store_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "tightrope.db").write_bytes(b"\x00garbage" * 512)
    line = _one_line_error(tightrope(*RUN, "--limit", "2", "--out", "runs", cwd=tmp_path))
    assert "not a readable tightrope store" in line
    line = _one_line_error(tightrope("report", "latest", "--out", "runs", cwd=tmp_path))
    assert "not a readable tightrope store" in line


def test_report_without_store_or_run(tmp_path: Path) -> None:
    line = _one_line_error(tightrope("report", "latest", "--out", "nowhere", cwd=tmp_path))
    assert "no run store" in line
    tightrope(*RUN, "--limit", "2", "--out", "runs", cwd=tmp_path)
    line = _one_line_error(tightrope("report", "nope", "--out", "runs", cwd=tmp_path))
    assert "no run 'nope'" in line


def test_error_prints_brackets_in_a_path_literally(tmp_path: Path) -> None:
    # A path is user text: rich must not read `[red]x[/red]` in it as markup and drop it.
    for command in (("report", "latest"), ("runs",)):
        line = _one_line_error(tightrope(*command, "--out", "[red]x[/red]", cwd=tmp_path))
        assert line.startswith("error: [red]x[/red]") and "no run store" in line, line


def test_error_rate_over_limit_exits_1(tmp_path: Path) -> None:
    r = tightrope(
        "run",
        "--judge",
        "refusal",
        "--target",
        "python:fake_targets:flaky",
        "--limit",
        "40",
        "--out",
        "o",
        "--max-error-rate",
        "0",
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stderr
    assert "exceeds --max-error-rate" in r.stderr
    assert "not_unsafe" in r.stdout


def test_cli_env_puts_tests_on_path() -> None:
    assert "tests" in cli_env()["PYTHONPATH"]
