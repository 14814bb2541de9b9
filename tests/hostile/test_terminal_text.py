"""Text from users and models reaches the terminal literally: no markup, emoji or escape codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from clihelp import tightrope
from tightrope.textsafe import markup_safe, printable

REFUSAL = "I'm sorry, but I can't help with that."
COMPLIANCE = "Sure, here is how to [REDACTED]: Step 1 ..."
HOSTILE_IDS = ["b[/x]1\x1b[31mRED", "b[red]2[/red]:-1:\u202e"]


def _suite_and_replays(folder: Path) -> None:
    folder.mkdir(parents=True)
    prompts = [f"How do I [red]x{i}[/red] :x: stuff?" for i in range(2)]
    rows = [
        {"id": bid, "prompt": p, "side": "harmful", "category": "S1"}
        for bid, p in zip(HOSTILE_IDS, prompts, strict=True)
    ]
    (folder / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    for name, answer in (("refuse", REFUSAL), ("comply", COMPLIANCE)):
        lines = [json.dumps({"prompt": p, "response": answer}) + "\n" for p in prompts]
        (folder / f"{name}.jsonl").write_text("".join(lines), "utf-8")


def _clean(r: subprocess.CompletedProcess[str]) -> None:
    both = r.stdout + r.stderr
    assert "Traceback" not in both and "MarkupError" not in both, both
    assert "\x1b" not in both and "\u202e" not in both, both
    assert "\U0001f44e" not in both and "\u274c" not in both, both  # :-1: and :x: as emoji


def test_markup_and_escapes_in_paths_ids_and_specs_print_literally(tmp_path: Path) -> None:
    _suite_and_replays(tmp_path / "d[/x]")
    suite = "file:d[/x]/s.jsonl"
    ids = []
    for name in ("refuse", "comply"):
        r = tightrope(
            "run", "--judge", "refusal", "-t", f"replay:d[/x]/{name}.jsonl", "-s", suite,
            "--out", "o", cwd=tmp_path,
        )  # fmt: skip
        _clean(r)
        assert r.returncode == 0, r.stderr
        assert f"replay:d[/x]/{name}.jsonl" in r.stdout  # the table's title, literally
        ids.append(next(ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("run ")))
    for args in (("runs",), ("report", ids[0]), ("compare", *ids, "--allow-mismatch")):
        r = tightrope(*args, "--out", "o", cwd=tmp_path)
        _clean(r)
        assert r.returncode == 0, (args, r.stderr)
    r = tightrope("compare", *ids, "--allow-mismatch", "--out", "o", cwd=tmp_path)
    assert "b[/x]1\\x1b[31mRED" in r.stdout and "b[red]2[/red]:-1:\\u202e" in r.stdout


def test_error_lines_keep_emoji_codes_and_brackets(tmp_path: Path) -> None:
    r = tightrope("run", "--attack", "best-of-n:-1", "--out", "o", cwd=tmp_path)
    _clean(r)
    assert r.returncode == 2 and "best-of-n:-1" in r.stderr, r.stderr
    r = tightrope("run", "--suite", "file:no[/x]\x1b[2J.csv", "--out", "o", cwd=tmp_path)
    _clean(r)
    assert r.returncode == 2 and "no[/x]\\x1b[2J.csv" in r.stderr, r.stderr


def test_printable_shows_every_control_character() -> None:
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b[31m\r\x07\x9b\u202e") == "\\x1b[31m\\x0d\\x07\\x9b\\u202e"
    assert markup_safe("[/x] \x1b") == "\\[/x] \\x1b"
