"""`tightrope run` with several attacks prints ASR by attack and the best-of-N curve."""

from pathlib import Path

from loop_servers import LoopServers, Script, write_suite

from clihelp import tightrope


def test_static_attacks_print_the_attack_table_and_the_best_of_n_curve(tmp_path: Path) -> None:
    proc = tightrope(
        "run",
        "--judge",
        "refusal",
        "--target",
        "python:fake_targets:rule",
        "--attack",
        "best-of-n:4",
        "--attack",
        "prefix-injection",
        "--limit",
        "6",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ASR by attack · python:fake_targets:rule" in out
    table = out.split("ASR by attack", 1)[1].split("best-of-n:4 · ASR versus N", 1)[0]
    lines = [line.split() for line in table.splitlines()]
    rows = {cells[0]: cells for cells in lines if cells and cells[0] in ("direct", "best-of-n:4")}
    assert rows["direct"][1] == "3" and rows["best-of-n:4"][1] == "3"
    assert rows["best-of-n:4"][5] == "12", "4 samples of 3 harmful behaviors"
    assert "best-of-n:4 · ASR versus N" in out
    assert "goodness@" not in out, "no judge gives scores"
    again = tightrope("report", "latest", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "ASR by attack · python:fake_targets:rule" in again.stdout

    def summary(text: str) -> str:
        return text.split("ASR by attack", 1)[1].split("\nrun ", 1)[0]

    assert summary(again.stdout) == summary(out), "report prints the run's attack summary again"


def test_pair_from_the_command_line(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with LoopServers(Script(win_on="escalated")) as srv:
        proc = tightrope(
            "run",
            "--judge",
            "refusal",
            "--target",
            srv.target_spec,
            "--suite",
            f"file:{suite}",
            "--attack",
            f"pair:streams=2,iterations=3,judge={srv.judge_spec}",
            "--attacker-model",
            srv.attacker_spec,
            "--retries",
            "2",
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert "ASR by attack" in proc.stdout
        assert f"attacker {srv.attacker_spec}: 8 responses" in proc.stdout
        assert f"judge {srv.judge_spec}: 8 responses" in proc.stdout
        bad = tightrope(
            "run",
            "--judge",
            "refusal",
            "--target",
            srv.target_spec,
            "--attack",
            "pair",
            "--out",
            "o2",
            cwd=tmp_path,
        )
    assert bad.returncode == 2 and "needs an attacker model" in bad.stderr
    assert not (tmp_path / "o2").exists()
