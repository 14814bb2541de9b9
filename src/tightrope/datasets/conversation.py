"""Conversation columns of user files: a `system` message and earlier turns.

A row's `conversation` cell is a JSON list of messages (`{"role": ..., "content": ...}`, and
`name` for a tool), in a JSONL file as a list and in CSV as JSON text. The messages are sent
before the row's own prompt, after the `system` cell's message when there is one. Every problem is
an InputError at the file, line and column.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from pydantic import ValidationError

from tightrope.datasets.tabular import Row, Table
from tightrope.records import Message, Role

_ROLES = get_args(Role)
_SHAPE = 'write a JSON list like [{"role": "user", "content": "..."}]'


def row_conversation(
    table: Table, row: Row, *, system: str | None, conversation: str | None
) -> tuple[Message, ...]:
    """Return the messages a row sends before its prompt, from its system and conversation cells.

    `system` and `conversation` are the column names (None when the file has no such column).
    """
    out: list[Message] = []
    if system is not None:
        text = table.text(row, system)
        if text.strip():
            out.append(Message(role="system", content=text))
    if conversation is None:
        return tuple(out)
    raw = row.values.get(conversation)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return tuple(out)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise table.error(row, conversation, f"not JSON ({exc.msg}); {_SHAPE}") from None
    if not isinstance(raw, list):
        raise table.error(row, conversation, f"not a list of messages; {_SHAPE}")
    for i, item in enumerate(raw, start=1):
        out.append(_message(table, row, conversation, i, item))
    return tuple(out)


def _message(table: Table, row: Row, column: str, i: int, item: Any) -> Message:
    if not isinstance(item, dict) or not isinstance(item.get("content"), str):
        raise table.error(row, column, f"message {i} has no text 'content'; {_SHAPE}")
    if item.get("role") not in _ROLES:
        raise table.error(
            row,
            column,
            f"message {i} has role {item.get('role')!r}; use one of {', '.join(_ROLES)}",
        )
    extra = sorted(set(item) - {"role", "content", "name"})
    if extra:
        raise table.error(row, column, f"message {i} has unknown key {extra[0]!r}; {_SHAPE}")
    try:
        return Message(**item)
    except ValidationError as exc:
        raise table.error(row, column, f"message {i}: {exc.errors()[0]['msg']}") from None
