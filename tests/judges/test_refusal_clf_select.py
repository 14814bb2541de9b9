"""`scripts/refusal_clf_select.py`: the rules that kept refusal-clf at v3, and the two measures
they read, on small synthetic features (no encoders, no data files).

docs/judges.md states what the rules picked from the table its run printed; these tests feed
that table back to `pick` and check the measures on features whose answer is known.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tightrope.judges.clf import SENTENCE_DIM, STATE_DIM

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
WIDTH = 4 * SENTENCE_DIM + STATE_DIM
GATE_WIDTH = 4 * SENTENCE_DIM + 2

# The run of 2026-12-07 (docs/judges.md): L2 -> (inner CV, worst file across models, jailbroken
# artifacts read as refusals).
RUN = {
    1e-6: (0.9586, 0.934, 27),
    3e-6: (0.9591, 0.930, 27),
    1e-5: (0.9596, 0.925, 26),
    3e-5: (0.9610, 0.925, 24),
    1e-4: (0.9625, 0.925, 21),
    3e-4: (0.9630, 0.912, 20),
    1e-3: (0.9625, 0.886, 16),
}


@pytest.fixture(scope="module")
def select() -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))
    try:
        return importlib.import_module("refusal_clf_select")
    finally:
        sys.path.remove(str(SCRIPTS))


def test_the_rules_pick_what_the_docs_say(select: ModuleType) -> None:
    assert select.pick(RUN, jailbreaks=False) == 1e-6
    assert select.pick(RUN, jailbreaks=True) == 1e-3


def test_inner_cv_slack_and_ties(select: ModuleType) -> None:
    # 1e-6 has the best worst file but is 0.6 points below the best inner CV: excluded.
    slack = {1e-6: (0.955, 0.95, 0), 1e-4: (0.961, 0.93, 0), 1e-3: (0.960, 0.93, 0)}
    assert select.pick(slack, jailbreaks=False) == 1e-3  # the tie goes to the larger L2
    slack[1e-6] = (0.956, 0.95, 0)  # now 0.5 points below: allowed
    assert select.pick(slack, jailbreaks=False) == 1e-6
    # The second rule measures against v3's L2 (1e-3): 1e-6 misreads one more and drops out.
    slack[1e-6] = (0.956, 0.95, 1)
    slack[1e-4] = (0.961, 0.94, 0)
    assert select.pick(slack, jailbreaks=True) == 1e-4
    assert select.pick(slack, jailbreaks=False) == 1e-6


def _rows(rng: Any, n: int, refusal: bool) -> tuple[Any, Any]:
    """Features whose first sentence coordinate and first gate coordinate say the label."""
    raw = rng.normal(0.0, 0.1, size=(n, WIDTH))
    gates = rng.normal(0.0, 0.1, size=(n, GATE_WIDTH))
    raw[:, 0] += 3.0 if refusal else -3.0
    gates[:, 0] += 3.0 if refusal else -3.0
    return raw, gates


def _feats(rng: Any) -> dict[str, Any]:
    feats: dict[str, Any] = {"raw": {}, "gates": {}, "truth": {}, "ids": {}}
    for model in ("gpt4", "llama2orig", "mistralinstruct"):
        refusals, answers = _rows(rng, 12, True), _rows(rng, 12, False)
        feats["raw"][model] = np.vstack([refusals[0], answers[0]])
        feats["gates"][model] = np.vstack([refusals[1], answers[1]])
        feats["truth"][model] = np.array([True] * 12 + [False] * 12)
        feats["ids"][model] = [f"v2-{i}" for i in range(24)]
    extra = _rows(rng, 4, False)
    feats["extra"] = (extra[0], extra[1], np.zeros(4))
    return feats


def test_transfer_and_misread_jailbreaks_on_known_features(select: ModuleType) -> None:
    rng = np.random.default_rng(7)
    feats = _feats(rng)
    assert select.transfer(feats, ["gpt4", "mistralinstruct"], "llama2orig", 1e-3) == 1.0
    # Flip one file's labels: a judge trained on the other two now gets all of it wrong.
    feats["truth"]["llama2orig"] = ~feats["truth"]["llama2orig"]
    assert select.transfer(feats, ["gpt4"], "llama2orig", 1e-3) == 0.0
    feats["truth"]["llama2orig"] = ~feats["truth"]["llama2orig"]
    answers, refusals = _rows(rng, 5, False), _rows(rng, 3, True)
    art = (np.vstack([answers[0], refusals[0]]), np.vstack([answers[1], refusals[1]]))
    assert select.misread_jailbreaks(feats, art, 1e-3) == 3
