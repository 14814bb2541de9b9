"""YAML alias bombs and runaway nesting: one short line naming file:line, never a huge message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tightrope.datasets.userfile import file_suite
from tightrope.errors import InputError
from tightrope.report.policy import load_policy
from tightrope.run.pricing import load_prices
from tightrope.targets.config_file import load_target_config


def bomb(levels: int, name: str = "x") -> str:
    """Anchors a0..aN, each a list of ten aliases of the one before: 10**levels leaves."""
    lines = [
        f'a0: &a0 ["{name}", "{name}", "{name}", "{name}", "{name}",'
        f' "{name}", "{name}", "{name}", "{name}", "{name}"]'
    ]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines)


def _short_error(caught: pytest.ExceptionInfo[InputError], where: str) -> str:
    message = str(caught.value)
    assert where in message and "\n" not in message, message[:500]
    assert len(message) < 400, f"{len(message)} characters"
    return message


def _suite_with(tmp_path: Path, key_line: str) -> Path:
    # The anchors hide in description: (an allowed key); the source uses the last one.
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\n"
        "description:\n" + "\n".join("  " + ln for ln in bomb(6).splitlines()) + "\nsources:\n"
        f"  - {key_line}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("key_line", ["suite: *a5", "file: *a5"])
def test_an_alias_bomb_in_a_suite_is_one_short_line(tmp_path: Path, key_line: str) -> None:
    path = _suite_with(tmp_path, key_line)
    with pytest.raises(InputError) as caught:
        file_suite(str(path))
    message = _short_error(caught, "s.yaml:")
    assert "alias" in message


def _indented(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + ln for ln in text.splitlines())


def test_an_alias_bomb_in_the_target_config(tmp_path: Path) -> None:
    # extra_body takes any JSON: a bomb there would be stored and sent with every request.
    path = tmp_path / "t.yaml"
    path.write_text("extra_body:\n  anchors:\n" + _indented(bomb(6), 4) + "\n  big: *a5\n", "utf-8")
    with pytest.raises(InputError) as caught:
        load_target_config(path)
    assert "alias" in _short_error(caught, "t.yaml:")


def test_an_alias_bomb_in_the_price_table(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "gpt:\n  input: 1\n  output: 2\n  anchors:\n" + _indented(bomb(6), 4) + "\n  note: *a5\n",
        "utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_prices(path)
    assert "alias" in _short_error(caught, "p.yaml:")


def test_an_alias_bomb_in_a_gate_policy(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "rules:\n  - metric: not_unsafe\n    min: 0.5\n    attack: *a5\n"
        "name: " + bomb(6).replace("\n", "\n  ").replace("a0: ", "\n  a0: ", 1) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_policy(path)
    _short_error(caught, "g.yaml:")


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("timeout: 1\nloop: &l [1, *l]\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_target_config(path)
    assert "t.yaml:2" in _short_error(caught, "t.yaml:2")


def test_deep_nesting_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("timeout: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_target_config(path)
    _short_error(caught, "t.yaml")


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nsources:\n  - file: a.csv\n    columns: &c {text: prompt}\n"
        "  - file: b.csv\n    columns: *c\n",
        encoding="utf-8",
    )
    for name in ("a", "b"):
        (tmp_path / f"{name}.csv").write_text(
            f"id,prompt,side,category\n{name}1,How do I bake bread?,benign,S1\n", "utf-8"
        )
    suite = file_suite(str(path))
    assert [b.text for b in suite.behaviors] == ["How do I bake bread?"] * 2
