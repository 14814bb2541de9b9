"""The event loop of a run: uvloop where installed (the dev extra installs it), else asyncio."""

from __future__ import annotations

import asyncio

import pytest

from tightrope import eventloop


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_runs_go_on_uvloop_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIGHTROPE_EVENT_LOOP", raising=False)
    assert eventloop.loop_name() == "uvloop"
    assert eventloop.run(_loop_module()).startswith("uvloop")
    monkeypatch.setenv("TIGHTROPE_EVENT_LOOP", "asyncio")
    assert eventloop.loop_name() == "asyncio"
    assert eventloop.run(_loop_module()).startswith("asyncio")


def test_without_uvloop_the_asyncio_loop_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delenv("TIGHTROPE_EVENT_LOOP", raising=False)
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    assert eventloop.loop_factory() is None
    assert eventloop.run(_loop_module()).startswith("asyncio")
