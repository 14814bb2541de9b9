"""Fixtures of the dataset tests: the pinned data as mirror, a private cache, no network.

Every test here runs with TIGHTROPE_DATA_DIR set to the shared pinned data (tests that need
another mirror or none change it), TIGHTROPE_CACHE_DIR in its own temporary folder, and urllib
refusing every host but 127.0.0.1, so no test can reach the network.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_real_urlopen = urllib.request.urlopen


def _local_only(url: Any, *args: Any, **kwargs: Any) -> Any:
    full = url.full_url if isinstance(url, urllib.request.Request) else str(url)
    host = urllib.parse.urlsplit(full).hostname
    if host != "127.0.0.1":
        raise AssertionError(f"a test tried to reach the network: {full}")
    return _real_urlopen(url, *args, **kwargs)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_data: Path) -> Iterator[None]:
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(shared_data))
    monkeypatch.setenv("TIGHTROPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TIGHTROPE_OFFLINE", raising=False)
    monkeypatch.setattr(urllib.request, "urlopen", _local_only)
    yield
