"""Target specs that cannot work fail at construction: one line, exit 2, no store created."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.errors import InputError
from tightrope.targets import get_target
from tightrope.targets.remote import check_base_url


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def _run(tmp_path: Path, spec: str) -> subprocess.CompletedProcess[str]:
    return tightrope(
        "run", "--judge", "refusal", "--target", spec, "--limit", "2", "--out", "o", cwd=tmp_path
    )


@pytest.mark.parametrize("kind", ["missing", "empty folder", "a file"])
def test_hf_path_that_is_no_model_folder_is_one_line_before_any_store(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "model"
    if kind == "empty folder":
        path.mkdir()
    elif kind == "a file":
        path.write_text("not a model", encoding="utf-8")
    message = _one_line_error(_run(tmp_path, f"hf:{path}"))
    assert "hf:" in message and "config.json" in message
    assert not (tmp_path / "o").exists()


def test_hf_nonexistent_absolute_path(tmp_path: Path) -> None:
    message = _one_line_error(_run(tmp_path, "hf:/nonexistent"))
    assert "/nonexistent" in message
    assert not (tmp_path / "o").exists()


def test_hf_hub_repo_ids_are_left_to_the_hub() -> None:
    # Not a local path: nothing to check before loading (no network here).
    t = get_target("hf:HuggingFaceTB/SmolLM2-135M-Instruct")
    assert t.spec == "hf:HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.mark.parametrize(
    "url",
    [
        "http://",
        "http://:8000/v1",
        "http://localhost:99999/v1",
        "http://localhost:abc/v1",
        "localhost:8000/v1",
        "ftp://localhost/v1",
        "http://[::1/v1",
        "http://local host/v1",
    ],
)
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InputError, match="base URL"):
        check_base_url(url, "target 'x'")


def test_good_base_urls_pass() -> None:
    for url in ("http://127.0.0.1:8000/v1", "https://api.example.com/v1", "http://[::1]:80"):
        assert check_base_url(url, "target 'x'") == url


@pytest.mark.parametrize(
    "spec",
    [
        "openai-compatible:http://#m",
        "openai-compatible:http://localhost:99999/v1#m",
        "openai-compatible:localhost:8000/v1#m",
    ],
)
def test_malformed_base_url_is_one_line_exit_2_not_six_retries(tmp_path: Path, spec: str) -> None:
    message = _one_line_error(_run(tmp_path, spec))
    assert "base URL" in message
    assert not (tmp_path / "o").exists()


def test_malformed_base_url_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:99999/v1")
    with pytest.raises(InputError, match="OPENAI_BASE_URL"):
        get_target("openai:gpt-4o-mini")
