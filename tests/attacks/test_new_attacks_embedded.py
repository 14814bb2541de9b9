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
    "crescendo:turns=2,backtracks=1,attacker-max-tokens=64",
    "pap:techniques=logical-appeal,attacker-max-tokens=48",
    "past-tense:n=2,attacker-max-tokens=48",
    "human-jailbreaks",
    "translate:zu,attacker-max-tokens=48",
)


def test_limit_4_with_the_embedded_model_as_target_and_attacker(
    shared_data: Path, tmp_path: Path
) -> None:
    args = ["run", "--limit", "4", "--max-tokens", "24", "--attacker-model", "embedded:smollm2"]
    args += ["--max-error-rate", "1"]  # a 135M attacker often writes no usable question
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
    pap, past, translate = ATTACKS[1], ATTACKS[2], ATTACKS[4]
    assert f"{pap} · ASR by variant" in out
    # The caption wraps to its table's width, which depends on the figures in it.
    flat = " ".join(out.split())
    assert f"{translate} · ASR by variant" in flat and "back into English" in flat
    assert f"{past} · ASR versus N" in out
    conn = sqlite3.connect(tmp_path / "o" / "tightrope.db")
    rows = conn.execute(
        "SELECT a.data, r.data FROM attempts a JOIN responses r USING (run_id, attempt_id)"
    ).fetchall()
    conn.close()
    attempts = [(json.loads(a), json.loads(r)) for a, r in rows]
    by_attack = Counter(a["attack"] for a, _ in attempts)
    assert by_attack[pap] == by_attack[translate] >= 1
    assert by_attack[past] == 2 * by_attack[pap]
    assert by_attack["human-jailbreaks"] == by_attack["direct"], "static: both sides, 1 template"
    # Crescendo: turns within the budget, each holding the conversation so far; a 135M attacker
    # may write no usable question, which is an error record, never a silent gap.
    turns = [(a, resp) for a, resp in attempts if a["attack"].startswith("crescendo")]
    assert len({a["behavior_id"] for a, _ in turns}) == by_attack[pap]
    for a, resp in turns:
        p = a["attack_params"]
        if p.get("failed"):
            assert resp["error"]
            continue
        assert p["query"] <= 3 == p["budget"]
        roles = [m["role"] for m in a["messages"] if m["role"] != "system"]
        assert roles == ["user", "assistant"] * (p["turn"] - 1) + ["user"]
    translated = [resp for a, resp in attempts if a["attack"] == translate]
    assert all(resp.get("translation") or resp["error"] for resp in translated)
    assert any(resp.get("translation") for resp in translated), "answers translated back"
