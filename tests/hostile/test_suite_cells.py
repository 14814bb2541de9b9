"""JSONL cells that are not text are refused at their line and column, never sent as str()."""

from __future__ import annotations

from pathlib import Path

import pytest

from tightrope.datasets.userfile import file_suite
from tightrope.errors import InputError


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"text": ["a", "b"], "side": "benign", "category": "S1"}', "column 'text': a list"),
        ('{"text": {"a": 1}, "side": "benign", "category": "S1"}', "column 'text': an object"),
        ('{"text": NaN, "side": "benign", "category": "S1"}', "column 'text': nan"),
        ('{"text": "t", "side": ["benign"], "category": "S1"}', "column 'side': a list"),
        ('{"text": "t", "side": "benign", "category": "S1", "id": ' + "9" * 5000 + "}", "simplify"),
        ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ],
)
def test_bad_cells_name_the_line(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"text": "ok", "side": "benign", "category": "S1"}\n' + line + "\n", "utf-8")
    with pytest.raises(InputError) as caught:
        file_suite(str(path))
    message = str(caught.value)
    assert "s.jsonl:2" in message and expected in message and "\n" not in message
    assert len(message) < 300


def test_unicode_line_separators_inside_strings_stay_in_their_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    text = "How do I bake\u0085bread\u2028today?"
    path.write_text('{"text": "' + text + '", "side": "benign", "category": "S1"}\n', "utf-8")
    [behavior] = file_suite(str(path)).behaviors
    assert behavior.text == text
