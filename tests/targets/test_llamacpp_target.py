"""llamacpp: is an optional extra that cannot be built quickly here; test what runs without it."""

import importlib.util
from pathlib import Path

import pytest

from tightrope.errors import InputError
from tightrope.targets import get_target


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such GGUF file"):
        get_target(f"llamacpp:{tmp_path / 'nope.gguf'}")


def test_without_llama_cpp_the_run_fails_with_the_install_hint(tmp_path: Path) -> None:
    if importlib.util.find_spec("llama_cpp") is not None:
        pytest.fail("llama_cpp is installed here; this test covers the missing-extra path only")
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    with pytest.raises(InputError, match="GGML_NATIVE=OFF"):
        get_target(f"llamacpp:{gguf}")
