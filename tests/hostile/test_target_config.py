"""--target-config values are checked: a bad value is one line naming the file, line and fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.errors import InputError
from tightrope.targets._base import check_setting
from tightrope.targets.config_file import load_target_config

RUN = ("run", "--judge", "refusal", "--target", "python:fake_targets:rule", "--limit", "2")


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("max_tokens: -5", "max_tokens"),
        ("temperature: -1", "temperature"),
        ("top_p: 7", "top_p"),
        ("concurrency: abc", "concurrency"),
        ("concurrency: 0", "concurrency"),
        ("retries: 0", "retries"),
        ("timeout: -2", "timeout"),
        ("batch_size: 1.5", "batch_size"),
        ("extra_body: [1, 2]", "extra_body"),
    ],
)
def test_bad_values_fail_before_any_store(tmp_path: Path, line: str, key: str) -> None:
    (tmp_path / "t.yaml").write_text(f"# settings\nseed: 1\n{line}\n", encoding="utf-8")
    r = tightrope(*RUN, "--target-config", "t.yaml", "--out", "o", cwd=tmp_path)
    message = _one_line_error(r)
    assert key in message and "t.yaml:3" in message
    assert not (tmp_path / "o").exists()


def test_good_values_load(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("temperature: 0.7\ntop_p: 0.9\nconcurrency: 3\ntimeout: 2.5\n", "utf-8")
    gen, settings = load_target_config(path)
    assert gen == {"temperature": 0.7, "top_p": 0.9}
    assert settings == {"concurrency": 3, "timeout": 2.5}


def test_check_setting_is_shared_with_the_python_api() -> None:
    assert check_setting("retries", 2) == 2
    with pytest.raises(InputError, match="retries"):
        check_setting("retries", True)
