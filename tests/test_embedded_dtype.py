"""The embedded model's dtype: bfloat16 where the CPU computes it natively, else float32; one
choice for the target and refusal-clf, and a version (so cache keys) per dtype. No weights load
here: the choice is made from the CPU's capabilities and the environment."""

from __future__ import annotations

import pytest

import tightrope.targets.embedded as embedded
from tightrope.errors import InputError
from tightrope.targets import get_target


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(embedded.DTYPE_ENV, raising=False)


@pytest.mark.parametrize(("native", "dtype"), [(True, "bfloat16"), (False, "float32")])
def test_default_follows_the_cpu(monkeypatch: pytest.MonkeyPatch, native: bool, dtype: str) -> None:
    monkeypatch.setattr(embedded, "native_bfloat16", lambda: native)
    assert embedded.default_dtype() == dtype


def test_native_check_reads_torch_capabilities() -> None:
    import torch.cpu

    expected = any(
        bool(getattr(torch.cpu, name, lambda: False)())
        for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    )
    assert embedded.native_bfloat16() is expected


def test_environment_overrides_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "native_bfloat16", lambda: True)
    monkeypatch.setenv(embedded.DTYPE_ENV, "float32")
    assert embedded.default_dtype() == "float32"
    monkeypatch.setenv(embedded.DTYPE_ENV, "float16")
    with pytest.raises(InputError, match=r"\$TIGHTROPE_EMBEDDED_DTYPE: unknown dtype 'float16'"):
        embedded.default_dtype()


def test_version_names_bfloat16_and_keeps_float32s(monkeypatch: pytest.MonkeyPatch) -> None:
    """float32 keeps the version it had before dtypes existed, so earlier caches stay valid;
    bfloat16 answers get keys of their own."""
    monkeypatch.setattr(embedded, "native_bfloat16", lambda: False)
    f32 = get_target("embedded:smollm2")
    assert isinstance(f32, embedded.EmbeddedTarget) and f32.dtype == "float32"
    assert "dtype" not in f32.version
    assert f32.version == f"SmolLM2-135M-Instruct.Q4_1.gguf;{embedded._versions()}"
    bf16 = get_target("embedded:smollm2", dtype="bfloat16")
    assert isinstance(bf16, embedded.EmbeddedTarget) and bf16.dtype == "bfloat16"
    assert bf16.version == f"{f32.version};dtype=bfloat16"
    monkeypatch.setattr(embedded, "native_bfloat16", lambda: True)
    assert get_target("embedded:smollm2").version == bf16.version


def test_unknown_dtype_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"-M dtype: unknown dtype 'float16'.*float32, bfloat16"):
        get_target("embedded:smollm2", dtype="float16")


def test_each_dtype_has_its_own_converted_checkpoint() -> None:
    gguf = embedded.locate_gguf("smollm2")
    f32 = embedded._converted_dir(gguf)
    assert embedded._converted_dir(gguf, "float32") == f32
    assert embedded._converted_dir(gguf, "bfloat16") == f32.with_name(f"{f32.name}-bfloat16")
