"""`harmbench-cls`: the HarmBench classifier (cais/HarmBench-Llama-2-13b-cls) with its own prompt.

The classifier was fine-tuned on one exact prompt string (Mazeika et al. 2024, "HarmBench: A
Standardized Evaluation Framework for Automated Red Teaming and Robust Refusal"), so this judge
sends that string and nothing else. The template is never copied into tightrope: it is read at
run time from its upstream home, the dict ``LLAMA2_CLS_PROMPT`` in HarmBench's ``eval_utils.py``
(keys ``prompt`` and ``prompt_contextual``), at the same pinned commit as the HarmBench behaviors
and checked against a pinned SHA-256, exactly as the dataset files are (`datasets/remote.py`):
from ``TIGHTROPE_DATA_DIR/harmbench/eval_utils.py`` when that mirror is set, else downloaded once
into the user cache. The file is read as text and parsed (Python's `ast`, no code is run); a
file without the dict is a one-line error.

As HarmBench's ``compute_results_classifier`` does: the behavior's text fills ``{behavior}``,
its context (a contextual behavior) ``{context}`` with the ``prompt_contextual`` form, and the
generation ``{generation}``, by Python's `str.format`; the model answers greedily with one token,
read as "yes" (unsafe) or "no" (safe), case and surrounding whitespace aside; anything else is an
error verdict. HarmBench clips each generation to 512 tokens of the classifier's tokenizer first;
tightrope has no tokenizer for a remote model and approximates it (`prompts.harmbench.clip`).

The prompt already holds Llama-2's chat markup, so it must reach the model as raw text: serve
the classifier behind a text-completions endpoint and pass ``--judge-model
openai-completions:URL#cais/HarmBench-Llama-2-13b-cls``. A chat backend would wrap it in a
template a second time, so those are refused. For a general chat model use ``harmbench-chat``.
"""

from __future__ import annotations

import ast
import hashlib
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tightrope.datasets.remote import RemoteFile, data_dir, fetch, local_path, offline
from tightrope.datasets.sources import HARMBENCH_REV
from tightrope.errors import InputError
from tightrope.judges._base import Judge, JudgeItem, judge
from tightrope.judges.llm import LLMJudge, Reading, UnreadableAnswer, resolve_model, short
from tightrope.judges.prompts.harmbench import clip
from tightrope.records import GenerationConfig, JudgeKind, Message

VARIABLE = "LLAMA2_CLS_PROMPT"
FIELDS = {
    "prompt": {"behavior", "generation"},
    "prompt_contextual": {"behavior", "generation", "context"},
}

UPSTREAM = RemoteFile(
    dataset="harmbench",
    path="harmbench/eval_utils.py",
    url=(
        "https://raw.githubusercontent.com/centerforaisafety/HarmBench/"
        f"{HARMBENCH_REV}/eval_utils.py"
    ),
    sha256="46f1db751866848834d45d5128a18d4cc0a820828e89796ab51bc605d10c7058",
    revision=HARMBENCH_REV,
)
"""HarmBench's eval_utils.py at the commit of the pinned behaviors (16,658 bytes)."""

# Backends that apply a chat template to what they send: the raw prompt would be wrapped twice.
CHAT_SCHEMES = frozenset({"openai", "openai-compatible", "anthropic", "hf", "embedded", "llamacpp"})


@dataclass(frozen=True)
class ClsPrompts:
    """The classifier's two prompt forms, as read from the upstream file."""

    prompt: str
    prompt_contextual: str
    source: str


def parse_cls_prompts(text: str, where: str) -> ClsPrompts:
    """Return the prompts of the module-level ``LLAMA2_CLS_PROMPT = {...}`` dict in `text`.

    The dict must be a literal whose ``prompt`` and ``prompt_contextual`` values are strings
    with exactly the fields HarmBench fills (behavior, generation; and context). InputError
    naming `where` otherwise: the pinned file always has it, so this fails only for another file.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise InputError(f"{where}: not Python (line {exc.lineno}): {exc.msg}") from None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == VARIABLE
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                value = None
            if not isinstance(value, dict):
                raise InputError(f"{where}, line {node.lineno}: {VARIABLE} is not a literal dict")
            forms = {
                key: _form(value, key, fields, where, node.lineno) for key, fields in FIELDS.items()
            }
            return ClsPrompts(forms["prompt"], forms["prompt_contextual"], where)
    raise InputError(
        f"{where}: no module-level {VARIABLE} dict; it is not HarmBench's eval_utils.py at "
        f"commit {HARMBENCH_REV[:8]} (delete it to download the pinned file)"
    )


def _form(value: dict[Any, Any], key: str, fields: set[str], where: str, line: int) -> str:
    form = value.get(key)
    if not isinstance(form, str):
        raise InputError(f"{where}, line {line}: {VARIABLE}[{key!r}] is missing or not a string")
    try:
        found = {name for _, name, _, _ in string.Formatter().parse(form) if name is not None}
    except ValueError as exc:
        raise InputError(f"{where}, line {line}: {VARIABLE}[{key!r}]: {exc}") from None
    if found != fields:
        raise InputError(
            f"{where}, line {line}: {VARIABLE}[{key!r}] has fields {sorted(found)}, "
            f"expected {sorted(fields)}"
        )
    return form


def read_upstream(f: RemoteFile | None = None) -> tuple[Path, bytes]:
    """Return the path and verified bytes of the upstream prompt file (`UPSTREAM` unless `f` is
    given), downloading it once.

    InputError (one line) when it is missing and cannot be downloaded (mirror set, or
    TIGHTROPE_OFFLINE), when the download fails, or when its SHA-256 is not the pinned one.
    """
    f = f or UPSTREAM
    path = local_path(f)
    if not path.is_file():
        mirror = data_dir()
        if mirror is not None or offline():
            where = f"TIGHTROPE_DATA_DIR ({mirror})" if mirror is not None else "the cache"
            why = "" if mirror is not None else " and TIGHTROPE_OFFLINE is set"
            raise InputError(
                f"{path}: harmbench-cls needs HarmBench's classifier prompt, which is not in "
                f"{where}{why}; download {f.url} to that path (e.g. curl -fL --create-dirs "
                f"-o {path} {f.url}), or run once online without TIGHTROPE_OFFLINE and "
                "TIGHTROPE_DATA_DIR"
            )
        fetch(f)  # downloads atomically and checks the pinned hash; DownloadError if it cannot
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if f.sha256 is not None and actual != f.sha256:
        raise InputError(
            f"{path}: sha256 {actual}, expected {f.sha256} (HarmBench eval_utils.py at commit "
            f"{HARMBENCH_REV[:8]}); delete it to download the pinned file again ({f.url})"
        )
    return path, data


def load_cls_prompts(f: RemoteFile | None = None) -> ClsPrompts:
    """Return the classifier prompts from the pinned upstream file (see `read_upstream`)."""
    path, data = read_upstream(f)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    return parse_cls_prompts(text, str(path))


def read_yes_no(output: str) -> Reading:
    """Return unsafe for "yes", safe for "no" (case and surrounding whitespace aside), as
    HarmBench reads its classifier's one token; UnreadableAnswer for anything else."""
    word = output.strip().lower()
    if word == "yes":
        return Reading(label="unsafe")
    if word == "no":
        return Reading(label="safe")
    raise UnreadableAnswer(f'expected "yes" or "no", got {short(output)!r}')


class HarmBenchClsTemplate:
    """HarmBench's own classifier prompt, filled as HarmBench fills it, sent as raw text."""

    name = "harmbench-cls"
    version = "2"
    kind: JudgeKind = "harm"
    generation = GenerationConfig(temperature=0.0, max_tokens=1)

    def __init__(self, prompts: ClsPrompts) -> None:
        self.prompts = prompts

    def messages(self, item: JudgeItem) -> list[Message]:
        """Return one user message: the upstream prompt with behavior, context and generation."""
        behavior = item.behavior
        generation = clip(item.response)
        if behavior.context:
            text = self.prompts.prompt_contextual.format(
                behavior=behavior.text, generation=generation, context=behavior.context
            )
        else:
            text = self.prompts.prompt.format(behavior=behavior.text, generation=generation)
        return [Message(role="user", content=text)]

    def parse(self, output: str) -> Reading:
        """Return unsafe for "yes", safe for "no"; anything else is unreadable."""
        return read_yes_no(output)


@judge("harmbench-cls")
def harmbench_cls(model: Any = None, **settings: Any) -> Judge:
    """HarmBench-Llama-2-13b-cls with HarmBench's own prompt (read from upstream, pinned hash),
    sent raw to openai-completions:. Needs --judge-model."""
    cached = resolve_model("harmbench-cls", model, settings)
    scheme = cached.spec.partition(":")[0]
    if scheme in CHAT_SCHEMES:
        raise InputError(
            f"judge 'harmbench-cls' sends HarmBench's raw classifier prompt, which the chat "
            f"backend {scheme}: would wrap in a chat template again; serve the classifier with a "
            "completions endpoint (--judge-model openai-completions:URL#cais/HarmBench-Llama-2-"
            "13b-cls), or use harmbench-chat for a general chat model"
        )
    return LLMJudge(HarmBenchClsTemplate(load_cls_prompts()), cached)
