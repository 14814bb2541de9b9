"""`llamacpp:PATH.gguf`: a GGUF model through llama-cpp-python (optional extra `llamacpp`).

llama-cpp-python ships no wheel for every platform; building it takes minutes, and its default
`-march=native` build can die with an illegal instruction on some CPUs. Build it with:

    CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install llama-cpp-python

Generation runs one conversation at a time (llama.cpp's Python binding is not batched) in a
worker thread, greedy by default, using the model's own chat template.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response, Usage
from tightrope.targets._base import Target, TargetBase, pick_settings, target
from tightrope.targets.hf import library_versions
from tightrope.targets.roles import template_messages

INSTALL_HINT = 'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install llama-cpp-python'


class LlamaCppTarget(TargetBase):
    """A local GGUF chat model run by llama.cpp on the CPU."""

    max_batch_size = 1
    max_concurrency = 1

    def __init__(self, path: str, *, threads: int | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"target llamacpp:{path}: no such GGUF file")
        if importlib.util.find_spec("llama_cpp") is None:
            raise InputError(f"llamacpp targets need llama-cpp-python: {INSTALL_HINT}")
        self.spec = f"llamacpp:{path}"
        stat = self.path.stat()
        self.version = f"{self.path.name};size={stat.st_size};" + library_versions(
            "llama-cpp-python"
        )
        self._threads = threads
        self._lock = threading.Lock()
        self._llm: Any = None

    def load(self) -> Any:
        """Return the llama.cpp model, loading it on first use."""
        with self._lock:
            if self._llm is None:
                try:
                    from llama_cpp import Llama
                except ImportError:
                    raise InputError(
                        f"llamacpp targets need llama-cpp-python: {INSTALL_HINT}"
                    ) from None
                self._llm = Llama(
                    model_path=str(self.path), n_ctx=4096, n_threads=self._threads, verbose=False
                )
            return self._llm

    def _one(self, messages: Sequence[Message], config: GenerationConfig) -> Response:
        start = time.perf_counter()
        try:
            llm = self.load()
            payload = template_messages(messages, config)
            out = llm.create_chat_completion(
                messages=payload,
                max_tokens=config.max_tokens,
                temperature=config.temperature,
                top_p=config.top_p,
                seed=config.seed,
            )
            choice = out["choices"][0]
            usage = out.get("usage", {})
            return Response(
                text=choice["message"]["content"] or "",
                finish_reason=choice.get("finish_reason"),
                usage=Usage(
                    prompt_tokens=usage.get("prompt_tokens", 0),
                    completion_tokens=usage.get("completion_tokens", 0),
                ),
                latency_s=time.perf_counter() - start,
            )
        except InputError:
            raise
        except Exception as exc:
            return Response(
                error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - start
            )

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one Response per conversation, generated one at a time off the event loop."""
        return [await asyncio.to_thread(self._one, m, config) for m in batch]


@target("llamacpp")
def llamacpp_target(path: str, **settings: Any) -> Target:
    """A GGUF file through llama-cpp-python: llamacpp:PATH.gguf (optional extra)."""
    return LlamaCppTarget(path, **pick_settings(settings, {"threads"}))
