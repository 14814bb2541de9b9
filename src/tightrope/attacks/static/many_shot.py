"""Many-shot jailbreaking (Anil et al. 2024): the request follows many faux dialogue turns.

The shots come from a file the user supplies (`--attack many-shot:FILE`): JSONL lines of
`{"user": "...", "assistant": "..."}`. tightrope ships no harmful shots. The first k shots
(default: all, at most 256) are sent as alternating user / assistant messages, then the request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tightrope.attacks._base import Attack, Variant, attack, behavior_prompt
from tightrope.errors import InputError
from tightrope.records import Behavior, Message

MAX_SHOTS = 256


def load_shots(path: Path) -> list[tuple[str, str]]:
    """Return (user, assistant) pairs from a JSONL shots file; bad lines raise InputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the shots file ({exc})") from None
    shots = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not all(
            isinstance(row.get(k), str) for k in ("user", "assistant")
        ):
            raise InputError(
                f"{path}:{lineno}: each line needs string fields 'user' and 'assistant'"
            )
        shots.append((row["user"], row["assistant"]))
    if not shots:
        raise InputError(f"{path}: the shots file holds no shots")
    return shots[:MAX_SHOTS]


@dataclass(frozen=True)
class ManyShot:
    """Prepends the shots as a faux dialogue."""

    shots: tuple[tuple[str, str], ...]
    name: str = "many-shot"
    params: dict[str, Any] = field(default_factory=dict)

    def variants(self, behavior: Behavior) -> list[Variant]:
        """Return one variant: shots as alternating turns, then the request."""
        messages: list[Message] = []
        for user, assistant in self.shots:
            messages.append(Message(role="user", content=user))
            messages.append(Message(role="assistant", content=assistant))
        messages.append(Message(role="user", content=behavior_prompt(behavior)))
        return [Variant(messages=tuple(messages))]


@attack("many-shot")
def many_shot(path: str | None = None) -> Attack:
    """Faux dialogue from your shots file: many-shot:FILE.jsonl (Anil et al. 2024)."""
    if not path:
        raise InputError("many-shot needs a shots file: --attack many-shot:FILE.jsonl")
    p = Path(path)
    shots = load_shots(p)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    return ManyShot(
        shots=tuple(shots),
        params={"shots_file": p.name, "shots_sha256": digest, "k": len(shots)},
    )
