"""`hf:REPO_OR_PATH`: a local Hugging Face transformers chat model, batched with left padding.

The generic batched generator lives here; the embedded default model (`embedded:smollm2`) is
the same machinery with a different loader. Device: CUDA if available, else Apple MPS, else
CPU (setting `device`); dtype: bfloat16 on CUDA, float32 elsewhere (setting `dtype`).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response, Usage
from tightrope.targets._base import Target, TargetBase, pick_settings, target
from tightrope.targets.roles import template_messages

Loaded = tuple[Any, Any]


def library_versions(*dists: str) -> str:
    """Return 'dist=version;...' for the given distributions ('absent' when missing)."""
    parts = []
    for dist in dists:
        try:
            parts.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist}=absent")
    return ";".join(parts)


def prepare_tokenizer(tok: Any) -> Any:
    """Set left padding and a pad token, as batched generation of a causal LM needs."""
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def return_freed_memory() -> None:
    """Hand the C heap's free pages back to the system where the C library can (glibc's
    `malloc_trim`): a freed model and the generation's caches otherwise stay in the process's
    resident memory, and the next stage's allocations come on top of them."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
        if trim is not None:
            trim(0)
    except OSError:  # not glibc, or no C library to load: nothing to return
        pass


class TransformersTarget(TargetBase):
    """Batched greedy (or sampled) generation with a transformers causal LM, off the event loop."""

    max_concurrency = 1

    def __init__(
        self,
        *,
        spec: str,
        version: str,
        loader: Callable[[], Loaded],
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        self.spec = spec
        self.version = version
        self.max_batch_size = batch_size
        self._loader = loader
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: Loaded | None = None

    def load(self) -> Loaded:
        """Return (tokenizer, model), loading them on first use."""
        with self._lock:
            if self._loaded is None:
                if self._threads:
                    import torch

                    torch.set_num_threads(self._threads)
                self._loaded = self._loader()
            return self._loaded

    def release(self) -> None:
        """Drop the loaded model (freed once no other holder, such as refusal-clf's reader,
        keeps it); the next call loads it again. The run does this after its last generation,
        so that the judges do not run beside a model nobody asks any more (issue 14)."""
        import gc

        with self._lock:
            was_loaded, self._loaded = self._loaded is not None, None
        if not was_loaded:
            return
        gc.collect()  # a transformers model holds reference cycles
        return_freed_memory()
        import torch

        if torch.cuda.is_available():  # hand the freed blocks back to the GPU as well
            torch.cuda.empty_cache()

    def generate_sync(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Generate for a batch in this thread; returns one Response per conversation."""
        import torch

        start = time.perf_counter()
        try:
            tok, model = self.load()
            conversations = [template_messages(m, config) for m in batch]
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

    def score_choices_sync(
        self,
        batch: Sequence[Sequence[Message]],
        options: Sequence[Sequence[str]],
        config: GenerationConfig,
    ) -> list[Response]:
        """Score each conversation's options by log-likelihood in this thread (targets/loglik.py).

        Returns one Response per conversation: the most likely option as its text (the first
        on a tie), every option's log-probability in `option_logprobs`, finish reason `loglik`.
        """
        from tightrope.targets.loglik import option_logprobs

        start = time.perf_counter()
        try:
            tok, model = self.load()
            prompts = [
                tok.apply_chat_template(
                    template_messages(m, config), add_generation_prompt=True, tokenize=False
                )
                for m in batch
            ]
            scores = option_logprobs(tok, model, prompts, options)
            sizes = [len(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        except Exception as exc:
            elapsed = time.perf_counter() - start
            return [
                Response(error=f"{type(exc).__name__}: {exc}", latency_s=elapsed) for _ in batch
            ]
        elapsed = (time.perf_counter() - start) / max(len(batch), 1)
        responses = []
        for opts, row, size in zip(options, scores, sizes, strict=True):
            if any(v != v for v in row):  # NaN: the model's numbers broke down
                responses.append(Response(error="option log-likelihood is NaN", latency_s=elapsed))
                continue
            best = max(range(len(row)), key=row.__getitem__)
            responses.append(
                Response(
                    text=opts[best],
                    finish_reason="loglik",
                    usage=Usage(prompt_tokens=size),
                    latency_s=elapsed,
                    option_logprobs=dict(zip(opts, row, strict=True)),
                )
            )
        return responses

    async def score_choices(
        self,
        batch: Sequence[Sequence[Message]],
        options: Sequence[Sequence[str]],
        config: GenerationConfig,
    ) -> list[Response]:
        """Score off the event loop, as `generate` runs (the `ScoresChoices` capability)."""
        return await asyncio.to_thread(self.score_choices_sync, batch, options, config)


def _device_and_dtype(device: str | None, dtype: str | None) -> tuple[str, Any]:
    import torch

    if device is None:
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    if dtype is None:
        dtype = "bfloat16" if device == "cuda" else "float32"
    return device, getattr(torch, dtype)


def load_pretrained(path: str, *, device: str | None = None, dtype: str | None = None) -> Loaded:
    """Return (tokenizer, model) for a local folder or Hub repo id, on the chosen device."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tightrope.hfscope import quiet_transformers

    dev, torch_dtype = _device_and_dtype(device, dtype)
    with quiet_transformers():
        tok = prepare_tokenizer(AutoTokenizer.from_pretrained(path))
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype).to(dev)
    model.eval()
    return tok, model


def looks_local(path: str) -> bool:
    """Return True when `path` names a folder on this machine rather than a Hub repo id.

    A Hub id is `name` or `owner/name`; anything that starts like a path (`/`, `.`, `~`, a
    drive), has more than one `/`, a backslash, or exists here is a local path.
    """
    return (
        path.startswith(("/", ".", "~"))
        or "\\" in path
        or path.count("/") > 1
        or (len(path) > 1 and path[1] == ":")
        or _exists(path)
    )


def _exists(path: str) -> bool:
    try:
        return Path(path).expanduser().exists()
    except (OSError, ValueError):  # a NUL byte, a name too long
        return False


def check_model_folder(path: str) -> None:
    """Raise InputError when a local `path` is not a transformers model folder (config.json).

    Checked when the target is made, so a missing folder is one line and exit 2 before any
    store is created, not a traceback when the model loads. Hub ids are left to the Hub.
    """
    if not looks_local(path):
        return
    folder = Path(path).expanduser()
    fix = "give a folder saved with save_pretrained (it holds config.json) or a Hub id owner/name"
    if not _exists(path):
        raise InputError(f"target 'hf:{path}': no such folder; {fix}")
    if not (folder / "config.json").is_file():
        raise InputError(f"target 'hf:{path}': not a model folder (no config.json); {fix}")


@target("hf")
def hf_target(path: str, **settings: Any) -> Target:
    """A local transformers model: hf:PATH_OR_REPO_ID (batched; settings device, dtype)."""
    check_model_folder(path)
    device, dtype = settings.get("device"), settings.get("dtype")
    return TransformersTarget(
        spec=f"hf:{path}",
        version=f"{path};device={device};dtype={dtype};"
        + library_versions("transformers", "torch"),
        loader=lambda: load_pretrained(path, device=device, dtype=dtype),
        **pick_settings(settings, {"batch_size", "threads"}),
    )
