"""Crescendo, PAP, past-tense, human-jailbreaks and translate end to end on the embedded model,
which plays target, attacker and in-loop judge. Slow: it loads real weights and generates."""

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from clihelp import tightrope

pytestmark = pytest.mark.slow

ATTACKS = (
    "crescendo:turns=2,backtracks=1",
    "pap:techniques=logical-appeal",
    "past-tense:n=2",
    "human-jailbreaks",
    "translate:zu",
)


def test_limit_4_with_the_embedded_model_as_target_and_attacker(
    shared_data: Path, tmp_path: Path
) -> None:
    args = ["run", "--limit", "4", "--max-tokens", "24", "--attacker-model", "embedded:smollm2"]
    for a in ATTACKS:
        args += ["--attack", a]
    r = tightrope(
        *args, "--out", str(tmp_path / "o"), cwd=tmp_path, TIGHTROPE_DATA_DIR=str(shared_data)
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    assert "ASR by attack" in out
    for a in ATTACKS:
        assert a in out
    assert "pap:techniques=logical-appeal · ASR by variant" in out
    assert "translate:zu · ASR by variant" in out and "back into English" in out
    assert "past-tense:n=2 · ASR versus N" in out
    conn = sqlite3.connect(tmp_path / "o" / "tightrope.db")
    rows = conn.execute(
        "SELECT a.data, r.data FROM attempts a JOIN responses r USING (run_id, attempt_id)"
    ).fetchall()
    conn.close()
    attempts = [(json.loads(a), json.loads(r)) for a, r in rows]
    by_attack = Counter(a["attack"] for a, _ in attempts)
    harmful = by_attack["human-jailbreaks"] // 1  # one template: one attempt per behavior
    assert harmful >= 1
    assert by_attack["pap:techniques=logical-appeal"] == by_attack["translate:zu"]
    assert by_attack["past-tense:n=2"] == 2 * by_attack["translate:zu"]
    turns = [(a, resp) for a, resp in attempts if a["attack"].startswith("crescendo")]
    assert turns and all(a["attack_params"]["query"] <= 3 for a, _ in turns), "budget 2 + 1"
    for a, _ in turns:
        roles = [m["role"] for m in a["messages"]]
        assert roles[-1] == "user" and len(roles) == 2 * a["attack_params"]["turn"] - 1 + (
            roles[0] == "system"
        )
    translated = [resp for a, resp in attempts if a["attack"] == "translate:zu"]
    assert any(resp.get("translation") for resp in translated), "answers translated back"
