"""`human-jailbreaks`: the human-written jailbreak templates of JailbreakBench's JBC artifacts.

JailbreakBench (Chao et al. 2024) publishes, under `attack-artifacts/JBC/manual/`, one artifact per
model for "JailbreakChat" (JBC): a template collected from jailbreakchat.com, filled with each of
its 100 behaviors. This attack recovers the templates from those files and applies every one of
them to every behavior, so ASR can be read per template.

What the files hold (checked on the pinned copies): all four artifacts (gpt-3.5-turbo-1106,
gpt-4-0125-preview, llama-2-7b-chat-hf, vicuna-13b-v1.5) use the same single template, `AIM`
("always intelligent and Machiavellian"), so today the attack has one template. The template is
read from what was actually submitted: every record's `prompt` is the template with the record's
`goal` in one place, and every record of a file must give the same text (else the file is
refused). The `method_parameters.prompt_template` each file also stores differs from the
submitted prompts only by CSV-doubled quotes (`""I'm sorry""`); the submitted form is used.

The files are read like `jbb-artifact`'s: from `TIGHTROPE_DATA_DIR/jbb_artifacts/attack-artifacts/
JBC/` when that mirror is set, else downloaded once and checked against pinned SHA-256s. No
template text is part of tightrope itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tightrope.attacks._base import Attack, Variant, attack, behavior_prompt
from tightrope.attacks.static.transfer import ROOT, artifact_file, load_artifact
from tightrope.datasets.remote import read_verified
from tightrope.errors import InputError
from tightrope.records import Behavior, Message

METHOD = "JBC"
SLOT = "{request}"


@dataclass(frozen=True)
class HumanTemplate:
    """One human jailbreak template: its name, its text with a `{request}` slot, its sources."""

    name: str
    text: str
    models: tuple[str, ...]
    source: str

    @property
    def sha256(self) -> str:
        """The SHA-256 of the template text, recorded with every attempt."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def fill(self, request: str) -> str:
        """Return the template with `request` in its slot."""
        before, _, after = self.text.partition(SLOT)
        return before + request + after


def template_of(doc: dict[str, Any], where: str) -> str:
    """Return the one template every submitted prompt of an artifact was made from.

    Each record's prompt must hold its goal exactly once; the text around it is the template.
    Raises InputError when a file's records disagree or a prompt does not hold its goal.
    """
    found: set[str] = set()
    for i, rec in enumerate(doc["jailbreaks"]):
        prompt, goal = rec.get("prompt"), rec.get("goal")
        if not isinstance(prompt, str):
            continue
        if not isinstance(goal, str) or prompt.count(goal) != 1:
            raise InputError(f"{where}: record {i}: the prompt does not hold its goal once")
        before, _, after = prompt.partition(goal)
        found.add(before + SLOT + after)
    if len(found) != 1:
        raise InputError(f"{where}: expected one template, found {len(found)}")
    return found.pop()


def load_templates() -> list[HumanTemplate]:
    """Return the distinct templates of the JBC artifacts, in the order of attack-info.json."""
    info = json.loads(read_verified(artifact_file(f"{METHOD}/attack-info.json")))
    models = info.get("models", {}) if isinstance(info, dict) else {}
    by_text: dict[str, HumanTemplate] = {}
    for model in sorted(models):
        for kind in models[model]:
            doc, _ = load_artifact(METHOD, str(kind), model)
            where = f"{ROOT}/{METHOD}/{kind}/{model}.json"
            text = template_of(doc, where)
            params = doc.get("parameters", {})
            method = params.get("method_parameters", {}) if isinstance(params, dict) else {}
            name = str(method.get("template_name") or f"template-{len(by_text)}")
            old = by_text.get(text)
            if old is None:
                by_text[text] = HumanTemplate(
                    name=name, text=text, models=(model,), source=str(method.get("source", ""))
                )
            else:
                by_text[text] = HumanTemplate(
                    name=old.name, text=text, models=(*old.models, model), source=old.source
                )
    names = [t.name for t in by_text.values()]
    out = []
    for t in by_text.values():  # two different texts with one name: tell them apart
        if names.count(t.name) > 1:
            t = HumanTemplate(f"{t.name}-{t.sha256[:8]}", t.text, t.models, t.source)
        out.append(t)
    return out


@dataclass(frozen=True)
class HumanJailbreaks:
    """Applies every human template to every behavior: one variant per template."""

    templates: tuple[HumanTemplate, ...]
    name: str = "human-jailbreaks"
    params: dict[str, Any] = field(default_factory=dict)

    def variants(self, behavior: Behavior) -> list[Variant]:
        """Return one variant per template, its name recorded as `template` and `variant`."""
        request = behavior_prompt(behavior)
        return [
            Variant(
                messages=(Message(role="user", content=t.fill(request)),),
                params={"template": t.name, "variant": t.name, "template_sha256": t.sha256},
            )
            for t in self.templates
        ]


@attack("human-jailbreaks")
def human_jailbreaks() -> Attack:
    """The human jailbreak templates of JailbreakBench's JBC artifacts, ASR by template."""
    templates = tuple(load_templates())
    return HumanJailbreaks(
        templates=templates,
        params={
            "source": f"jbb-artifacts {METHOD}",
            "templates": {t.name: t.sha256 for t in templates},
            "template_models": {t.name: list(t.models) for t in templates},
        },
    )
