"""Shared fixtures: where the pinned public benchmark files live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """Return the folder of pinned benchmark files: TIGHTROPE_DATA_DIR, else ../shared/data."""
    env = os.environ.get("TIGHTROPE_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The pinned public data (../shared/data); tests that need it fail loudly if it is absent."""
    path = shared_data_dir()
    assert path.is_dir(), f"pinned benchmark data not found at {path}; set TIGHTROPE_DATA_DIR"
    return path
