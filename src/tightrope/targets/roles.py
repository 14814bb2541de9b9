"""Conversations in each API's native roles.

A behavior can carry a system message, earlier turns and tool or document content
(`Message(role="tool", name=...)`); each backend sends them the way its API expects:

- OpenAI chat completions: a `tool` message must answer an assistant `tool_calls` entry, so each
  one becomes that pair (the assistant asks for the tool by name, the tool message answers it).
- Anthropic Messages: the system text goes in `system`; a tool result is a `tool_result` block in
  a user turn answering an assistant `tool_use` block; consecutive turns of one role are merged,
  since the API wants them alternating.
- Local chat templates (`hf:`, `embedded:`, `llamacpp:`): the messages as role/content dicts,
  `tool` included; a template that cannot render a role says so when it is applied.

The run's `--system-prompt` (GenerationConfig.system_prompt) applies only where the
conversation has no system message of its own: a behavior's system message is part of the test
(Tensor Trust's defense), so it wins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tightrope.records import GenerationConfig, Message

# Tool name used when a tool message does not name one.
DEFAULT_TOOL = "read_document"


def _tool_name(message: Message) -> str:
    return message.name or DEFAULT_TOOL


def template_messages(
    messages: Sequence[Message], config: GenerationConfig
) -> list[dict[str, str]]:
    """Return role/content dicts for a local chat template, the run's system prompt first.

    Tool messages keep the `tool` role (with their name where given); chat templates that know
    tools render them, and the rest raise when the conversation is rendered, which the backend
    records as an error rather than guessing another role.
    """
    out: list[dict[str, str]] = []
    for m in messages:
        item = {"role": m.role, "content": m.content}
        if m.name is not None:
            item["name"] = m.name
        out.append(item)
    if config.system_prompt is not None and not (out and out[0]["role"] == "system"):
        out.insert(0, {"role": "system", "content": config.system_prompt})
    return out


def openai_messages(messages: Sequence[Message], config: GenerationConfig) -> list[dict[str, Any]]:
    """Return the `messages` field of a chat-completions request.

    System, user and assistant messages pass as they are; each tool message becomes an
    assistant message calling the tool and a `tool` message answering that call, with call ids
    numbered in order so the request (and its cache key upstream) is deterministic.
    """
    out: list[dict[str, Any]] = []
    calls = 0
    for m in messages:
        if m.role != "tool":
            out.append({"role": m.role, "content": m.content})
            continue
        calls += 1
        call_id = f"call_{calls}"
        out.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": _tool_name(m), "arguments": json.dumps({})},
                    }
                ],
            }
        )
        out.append({"role": "tool", "tool_call_id": call_id, "content": m.content})
    if config.system_prompt is not None and not (out and out[0]["role"] == "system"):
        out.insert(0, {"role": "system", "content": config.system_prompt})
    return out


def anthropic_messages(
    messages: Sequence[Message], config: GenerationConfig
) -> tuple[str | None, list[dict[str, Any]]]:
    """Return (system, turns) for Anthropic's Messages API.

    System messages are joined into the `system` field (the run's system prompt applies only when
    there is none); a tool message becomes an assistant `tool_use` block and a user
    `tool_result` block; consecutive turns of one role are merged into one turn of blocks.
    """
    systems = [m.content for m in messages if m.role == "system"]
    system = "\n\n".join(systems) if systems else config.system_prompt
    turns: list[dict[str, Any]] = []

    def add(role: str, block: dict[str, Any]) -> None:
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].append(block)
        else:
            turns.append({"role": role, "content": [block]})

    uses = 0
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            uses += 1
            use_id = f"toolu_{uses}"
            add("assistant", {"type": "tool_use", "id": use_id, "name": _tool_name(m), "input": {}})
            add("user", {"type": "tool_result", "tool_use_id": use_id, "content": m.content})
        else:
            add(m.role, {"type": "text", "text": m.content})
    # A plain conversation keeps the simple string form the API also takes.
    for turn in turns:
        blocks = turn["content"]
        if len(blocks) == 1 and blocks[0]["type"] == "text":
            turn["content"] = blocks[0]["text"]
    return system, turns
