"""Scoped quiet for Hugging Face libraries: never change the process's settings for good.

Loading a model or a dataset through transformers or datasets prints warnings and progress bars
that would garble the run's progress display. Silencing them with the libraries' global switches
(`set_verbosity_error()`, `disable_progress_bar()`, or `HF_HUB_OFFLINE=1` in `os.environ`)
would change them for the rest of the process, including a notebook user's own code. These
context managers silence them for the duration of one load and restore what was there before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Set transformers' log level to error and hide its progress bars, restoring both after.

    The restore runs even when the load raises. Loads that overlap in time from several threads
    restore in the order they finish; each restores the state it found.
    """
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


@contextmanager
def quiet_datasets() -> Iterator[None]:
    """Hide the `datasets` library's progress bars for one load, restoring them after."""
    from datasets.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    bars = not are_progress_bars_disabled()
    disable_progress_bars()
    try:
        yield
    finally:
        if bars:
            enable_progress_bars()
