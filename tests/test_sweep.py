"""`tightrope sweep`: a grid of runs, each a run tagged in the store, one report; resumable."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clihelp import TESTS, cli_env
from clihelp import tightrope as run_cli
from tightrope.errors import InputError
from tightrope.run.sweep_file import load_sweep_file

RULE = "python:fake_targets:rule"
FLAKY = "python:fake_targets:flaky"
SLOW = "python:fake_targets:slow_logged"


def tightrope(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command with the slow test target answering at once."""
    return run_cli(*args, cwd=cwd, TIGHTROPE_TEST_DELAY="0")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def grid(tmp_path: Path, *, name: str = "grid", limit: int = 4) -> Path:
    return write(
        tmp_path / "sweep.yaml",
        f"name: {name}\n"
        "axes:\n"
        f"  target: [{RULE}, {SLOW}]\n"
        "  attack: [base64, rot13]\n"
        "exclude:\n"
        f"  - {{target: {SLOW}, attack: rot13}}\n"
        "judge: refusal\n"
        f"limit: {limit}\n",
    )


def test_sweep_file_grid_and_exclusions(tmp_path: Path) -> None:
    spec = load_sweep_file(grid(tmp_path))
    assert spec.name == "grid"
    assert [c.key for c in spec.cells] == [
        f"target={RULE} attack=base64",
        f"target={RULE} attack=rot13",
        f"target={SLOW} attack=base64",
    ]
    assert spec.cells[0].options == {"target": [RULE], "attack": ["base64"]}
    assert spec.shared == {"judge": ["refusal"], "limit": 4}


def test_sweep_file_list_value_is_one_cell(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml",
        "axes:\n  judge: [refusal, [refusal, xstest-strings]]\n  attack: base64\n",
    )
    spec = load_sweep_file(path)
    assert spec.name == "s"
    assert [c.labels["judge"] for c in spec.cells] == ["refusal", "refusal+xstest-strings"]
    assert spec.cells[1].options["judge"] == ["refusal", "xstest-strings"]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("axes:\n  model: [a]\n", ":1:", "unknown axis 'model'"),
        ("limit: 3\naxes:\n  target: [a]\n  attack: [b]\nbogus: 1\n", ":5:", "unknown key"),
        ("axes:\n  target: [a]\ntarget: b\n", ":3:", "give it under `axes:`"),
        ("axes:\n  attack: [a, b]\nexclude:\n  - {attack: c}\n", ":3:", "matches no value"),
        ("axes:\n  attack: [a]\nexclude:\n  - {attack: a}\n", ":3:", "leave no cell"),
        ("axes: [a]\n", ":1:", "give `axes:` a mapping"),
        ("axes:\n  attack: [a, a]\n", ":1:", "twice"),
    ],
)
def test_sweep_file_errors_name_file_and_line(
    tmp_path: Path, text: str, where: str, words: str
) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(InputError) as err:
        load_sweep_file(path)
    assert f"{path}{where}" in str(err.value)
    assert words in str(err.value)


def _tags(db: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT c.cell, c.run_id, r.status FROM sweep_cells c JOIN runs r "
            "ON r.run_id=c.run_id WHERE c.sweep=? ORDER BY c.position",
            ("grid",),
        ).fetchall()
    finally:
        conn.close()


def test_sweep_runs_every_cell_tags_it_and_reports(tmp_path: Path) -> None:
    path = grid(tmp_path)
    html = tmp_path / "sweep.html"
    done = tightrope("sweep", str(path), "--out", "out", "--html", str(html), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    tags = _tags(tmp_path / "out" / "tightrope.db")
    assert [c for c, _, _ in tags] == [
        f"target={RULE} attack=base64",
        f"target={RULE} attack=rot13",
        f"target={SLOW} attack=base64",
    ]
    assert all(status == "finished" for _, _, status in tags)
    assert len({run for _, run, _ in tags}) == 3
    assert "cell 3/3" in done.stderr and "[3/3] generating" in done.stderr
    # The comparison: one column per target, one row per attack (direct from every cell).
    assert "ASR by attack x target" in done.stdout
    matrix = done.stdout[done.stdout.index("ASR by attack x target") :]
    rows = {line.split()[0]: line for line in matrix.splitlines() if line.strip()}
    assert rows["rot13"].count("—") == 1  # excluded for the second target
    assert rows["direct"].count("%") == 2 and rows["base64"].count("%") == 2
    page = html.read_text(encoding="utf-8")
    assert page.count('<g class="point"') == 2  # one point per target
    assert 'id="asr-matrix"' in page and page.count("<tr><td>") >= 3
    # Given again: every cell finished before, nothing is run.
    again = tightrope("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("finished before") == 3
    assert _tags(tmp_path / "out" / "tightrope.db") == tags
    # `tightrope report NAME` shows the same comparison from the store alone.
    shown = tightrope("report", "grid", "--out", "out", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert (
        matrix.splitlines()[:8]
        == shown.stdout[shown.stdout.index("ASR by attack x target") :].splitlines()[:8]
    )


def test_cells_share_the_cache(tmp_path: Path) -> None:
    """`direct` runs in every cell; after the first cell of a target the cache answers it."""
    path = grid(tmp_path)
    done = tightrope("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(tmp_path / "out" / "tightrope.db")
    rows = conn.execute(
        "SELECT c.position, SUM(r.from_cache), COUNT(*) FROM sweep_cells c JOIN responses r "
        "ON r.run_id=c.run_id JOIN attempts a ON a.run_id=r.run_id AND a.attempt_id=r.attempt_id "
        "WHERE json_extract(a.data, '$.attack')='direct' GROUP BY c.position ORDER BY c.position"
    ).fetchall()
    conn.close()
    assert rows[0][1] == 0 and rows[1][1] == rows[1][2] and rows[2][1] == 0


def test_failed_cell_runs_again(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml",
        f"name: f\naxes:\n  target: [{FLAKY}]\n  attack: [base64]\njudge: refusal\nlimit: 6\n",
    )
    first = tightrope("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert first.returncode == 1 and "exceed their --max-error-rate" in first.stderr
    second = tightrope("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert "finished before" not in second.stderr and "starting run" in second.stderr


def test_changed_definition_is_refused(tmp_path: Path) -> None:
    path = grid(tmp_path, limit=2)
    assert tightrope("sweep", str(path), "--out", "out", cwd=tmp_path).returncode == 0
    grid(tmp_path, limit=3)
    again = tightrope("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert again.returncode == 2
    assert "was made from another definition" in again.stderr


def test_bad_sweep_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "axes:\n  attack: [no-such-attack]\n")
    done = tightrope("sweep", str(path), "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "sweep cell attack=no-such-attack" in done.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_executor_exits_2(tmp_path: Path) -> None:
    done = tightrope("sweep", str(grid(tmp_path)), "--executor", "dask", cwd=tmp_path)
    assert done.returncode == 2 and "--executor dask" in done.stderr


def _cells_finished(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM sweep_cells c JOIN runs r ON r.run_id=c.run_id "
                "WHERE r.status='finished'"
            ).fetchone()[0]
        )
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def kill_and_resume(tmp_path: Path, *extra: str) -> None:
    """Kill the sweep's driver (SIGKILL) once a cell has finished and the next has started,
    give the same command again, and check the sweep equals an uninterrupted one."""
    path = write(
        tmp_path / "s.yaml",
        f"name: grid\naxes:\n  target: [{SLOW}]\n  attack: [base64, rot13, leetspeak]\n"
        "judge: refusal\nlimit: 8\nconcurrency: 2\n",
    )
    db = tmp_path / "out" / "tightrope.db"
    log = tmp_path / "calls.log"
    env = cli_env(TIGHTROPE_TEST_CALL_LOG=str(log), TIGHTROPE_TEST_DELAY="0.25")
    cmd = [sys.executable, "-m", "tightrope", "sweep", str(path), "--out", "out", *extra]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _cells_finished(db) < 1 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    assert _cells_finished(db) == 1, "no cell finished in time"
    first_cell = _tags(db)[0]
    time.sleep(1.0)  # into the second cell
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert _cells_finished(db) < 3
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cell 1/3" in done.stderr and "finished before" in done.stderr
    assert "cell 2/3" in done.stderr and "resuming run" in done.stderr
    tags = _tags(db)
    assert tags[0] == first_cell and len(tags) == 3
    assert all(status == "finished" for _, _, status in tags)
    conn = sqlite3.connect(db)
    for _, run_id, _ in tags:
        attempts, responses, ok, distinct = conn.execute(
            "SELECT (SELECT COUNT(*) FROM attempts WHERE run_id=?1), "
            "(SELECT COUNT(*) FROM responses WHERE run_id=?1), "
            "(SELECT COUNT(*) FROM responses WHERE run_id=?1 AND ok=1), "
            "(SELECT COUNT(DISTINCT attempt_id) FROM responses WHERE run_id=?1)",
            (run_id,),
        ).fetchone()
        assert attempts == responses == ok == distinct and attempts > 0
        verdicts = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT attempt_id) FROM verdicts WHERE run_id=?", (run_id,)
        ).fetchone()
        assert verdicts[0] == verdicts[1] == attempts
    conn.close()


def test_driver_killed_sweep_resumes(tmp_path: Path) -> None:
    kill_and_resume(tmp_path)


def test_ray_executor_without_ray_says_how_to_install(tmp_path: Path) -> None:
    """With Ray not importable, `--executor ray` exits 2 naming the extra; nothing is written."""
    blocker = tmp_path / "blocked" / "ray"
    blocker.mkdir(parents=True)
    write(blocker / "__init__.py", "raise ImportError(\"No module named 'ray'\")\n")
    path = grid(tmp_path)
    env_path = os.pathsep.join([str(blocker.parent), str(TESTS), os.environ.get("PYTHONPATH", "")])
    done = run_cli(
        "sweep", str(path), "--executor", "ray", "--out", "out", cwd=tmp_path, PYTHONPATH=env_path
    )
    assert done.returncode == 2
    assert "pip install 'tightrope[ray]'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_help_does_not_import_ray(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tightrope.cli.app import app\n"
        "for args in (['--help'], ['sweep', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=cli_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
