"""Deterministic stand-in models for `python:fake_targets:NAME` targets in tests.

They are real targets as far as tightrope is concerned (the `python:` backend imports and calls
them); only the "model" is a rule. Responses that stand for harmful help use a placeholder.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from typing import Any

REFUSAL = "I'm sorry, but I can't help with that."
COMPLIANCE = "Sure, here is how to [REDACTED]: Step 1 ..."


def _prompt(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


def answer_for(prompt: str) -> str:
    """Refuse or comply by a hash of the prompt: deterministic and mixed on both sides."""
    return REFUSAL if hashlib.sha256(prompt.encode()).digest()[0] % 3 == 0 else COMPLIANCE


def rule(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer instantly by `answer_for`."""
    return answer_for(_prompt(messages))


async def slow_logged(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Log the call to $TIGHTROPE_TEST_CALL_LOG, wait $TIGHTROPE_TEST_DELAY s, then answer.

    With $TIGHTROPE_TEST_GATE set to a path, it also waits until that file exists (at most a
    minute), so a test decides when the run may finish, however slow the machine is.
    """
    prompt = _prompt(messages)
    log = os.environ.get("TIGHTROPE_TEST_CALL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(hashlib.sha256(prompt.encode()).hexdigest()[:16] + "\n")
    await asyncio.sleep(float(os.environ.get("TIGHTROPE_TEST_DELAY", "0.05")))
    gate = os.environ.get("TIGHTROPE_TEST_GATE")
    deadline = time.monotonic() + 60
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return answer_for(prompt)


async def slow_logged_pid(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """As `slow_logged`, each log line also naming the process that made the call."""
    prompt = _prompt(messages)
    log = os.environ.get("TIGHTROPE_TEST_CALL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{hashlib.sha256(prompt.encode()).hexdigest()[:16]} {os.getpid()}\n")
    await asyncio.sleep(float(os.environ.get("TIGHTROPE_TEST_DELAY", "0.05")))
    return answer_for(prompt)


def flaky(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Fail for every prompt whose hash is divisible by 4; answer the rest by `answer_for`."""
    prompt = _prompt(messages)
    if hashlib.sha256(prompt.encode()).digest()[1] % 4 == 0:
        raise ConnectionError("simulated backend failure")
    return answer_for(prompt)


def not_text(messages: list[dict[str, str]], config: dict[str, Any]) -> object:
    """Return a non-string, which the backend must record as an error."""
    return {"oops": True}


def surrogate(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer with a lone surrogate code point, as a hostile endpoint can (JSON "\\ud800")."""
    return "Sure, here is how to [REDACTED]: \ud800 Step 1 ..."


_IN_FLIGHT = 0
_IN_FLIGHT_LOCK = threading.Lock()


def sleepy(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Synchronous: sleep $TIGHTROPE_TEST_DELAY s (0.3), then answer by `answer_for`.

    On entry it appends the number of calls in flight (itself included) to
    $TIGHTROPE_TEST_CALL_LOG, so a test sees how many calls ran at once without timing them.
    """
    global _IN_FLIGHT
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT += 1
        now = _IN_FLIGHT
    log = os.environ.get("TIGHTROPE_TEST_CALL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{now}\n")
    try:
        time.sleep(float(os.environ.get("TIGHTROPE_TEST_DELAY", "0.3")))
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT -= 1
    return answer_for(_prompt(messages))


def hang(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Synchronous and never returns, like a function stuck on a socket without a timeout."""
    threading.Event().wait()
    raise AssertionError("unreachable")


async def hang_async(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Asynchronous and never returns."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def raises_timeout(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Raise a TimeoutError of its own (a socket timeout inside the user's code)."""
    raise TimeoutError("the backend's socket timed out")


def roles(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer with the roles and tool names it was sent, to check conversations end to end."""
    return "Sure: " + " ".join(
        m["role"] + (f"/{m['name']}" if "name" in m else "") for m in messages
    )


def multiple_choice(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer a multiple-choice prompt by a hash of it: a bare letter, a letter with its option's
    text, or (one prompt in four) a reply that names no option, which must be an error."""
    prompt = _prompt(messages)
    if "Answer with only the letter" not in prompt:
        return answer_for(prompt)
    h = hashlib.sha256(prompt.encode()).digest()
    if h[0] % 4 == 0:
        return "I would rather not guess about people."
    letter = "ABC"[h[1] % 3]
    if h[2] % 2:
        return letter
    option = next(ln for ln in prompt.splitlines() if ln.startswith(f"{letter}. "))
    return option + "\n\nBecause the context says so."


def conversation_key(messages: list[dict[str, str]]) -> str:
    """Return a stable key of a whole conversation (roles and texts), for `replay_table`."""
    pairs = [[m["role"], m["content"]] for m in messages]
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()


def replay_table(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Replay the reply recorded for this exact conversation in $TIGHTROPE_TEST_REPLAY (a JSON
    object: `conversation_key` -> reply); a conversation it lacks is a failed call."""
    with open(os.environ["TIGHTROPE_TEST_REPLAY"], encoding="utf-8") as fh:
        table = json.load(fh)
    key = conversation_key(messages)
    if key not in table:
        raise KeyError(f"no recorded reply for conversation {key[:12]}")
    reply: str = table[key]
    return reply


def always_a(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer every multiple-choice prompt with option A (and anything else with a refusal)."""
    return "A" if "Answer with only the letter" in _prompt(messages) else REFUSAL


# State shared with tests/test_judge_along.py (same process): the order in which answers were
# given and judges called, and the gate that holds answers until a judge has been called.
ALONG: dict[str, Any] = {}


def along_reset(hold_after: int) -> None:
    """Clear ALONG; answers after the first `hold_after` calls wait until ALONG['open']."""
    ALONG.clear()
    ALONG.update(
        events=[], started=0, hold_after=hold_after, open=False, deadline=time.monotonic() + 30
    )


async def held(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer by `answer_for`, logging ('gen', prompt) to ALONG['events'].

    The calls after the first ALONG['hold_after'] wait until ALONG['open'] is true (a test's
    judge opens it), at most 30 s after `along_reset`, so a run whose judges do not run along
    generation still ends (and its test fails on the order of the events instead of hanging).
    """
    prompt = _prompt(messages)
    n = ALONG["started"]
    ALONG["started"] = n + 1
    while n >= ALONG["hold_after"] and not ALONG["open"] and time.monotonic() < ALONG["deadline"]:
        await asyncio.sleep(0.005)
    ALONG["events"].append(("gen", prompt))
    return answer_for(prompt)


# State shared with tests/test_plan_stream.py (same process): the store file the run writes, the
# calls in the order they started with the number of plan rows stored at that moment, the
# answers given, and a gate that holds the calls after the first `hold_after`.
PLANNED: dict[str, Any] = {}


def planned_reset(db: str, hold_after: int = 10**9) -> None:
    """Clear PLANNED; calls after the first `hold_after` wait until PLANNED['open']."""
    PLANNED.clear()
    PLANNED.update(
        db=db,
        calls=[],
        answered=[],
        hold_after=hold_after,
        open=False,
        deadline=time.monotonic() + 30,
    )


def _plan_rows(db: str) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])
    finally:
        conn.close()


async def plan_watcher(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer by `answer_for`, logging (prompt, plan rows stored when the call started) to
    PLANNED['calls'] and the prompt to PLANNED['answered'] once answered.

    Calls after the first PLANNED['hold_after'] wait until PLANNED['open'] (at most 30 s after
    `planned_reset`), so a test can interrupt a run while they are in flight.
    """
    prompt = _prompt(messages)
    n = len(PLANNED["calls"])
    PLANNED["calls"].append((prompt, _plan_rows(PLANNED["db"])))
    while n >= PLANNED["hold_after"] and not PLANNED["open"]:
        if time.monotonic() > PLANNED["deadline"]:
            break
        await asyncio.sleep(0.005)
    PLANNED["answered"].append(prompt)
    return answer_for(prompt)
