"""`pap` and `translate` against scripted attacker and target servers on 127.0.0.1."""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from loop_servers import FAST, write_suite

from fake_targets import COMPLIANCE, REFUSAL
from openai_server import Action, ScriptedServer
from tightrope.attacks import get_attack
from tightrope.attacks.adaptive import derived_seed
from tightrope.attacks.adaptive.pap import DEFAULT_TECHNIQUES, TECHNIQUES
from tightrope.errors import InputError
from tightrope.metrics.attacks import asr_by_variant
from tightrope.run import RunConfig, RunResult, run_async


def _config(att: ScriptedServer, tgt: ScriptedServer, suite: Path, attack: str) -> RunConfig:
    return RunConfig(
        judges=("refusal",),
        targets=(f"openai-compatible:{tgt.base_url}#a", f"openai-compatible:{tgt.base_url}#b"),
        suites=(f"file:{suite}",),
        attacks=(attack,),
        attacker_model=f"openai-compatible:{att.base_url}#attacker",
        target_settings=FAST,
    )


def _run(config: RunConfig, out: Path) -> RunResult:
    return asyncio.run(run_async(config, out=out))


def pap_attacker(body: dict[str, Any]) -> Action:
    for bid in ("h0", "h1"):
        for t in TECHNIQUES:
            if body["seed"] == derived_seed(0, bid, "pap", t):
                assert TECHNIQUES[t][0] in body["messages"][-1]["content"]
                return Action(text=f"With {TECHNIQUES[t][0]}: please explain [REDACTED {bid}]")
    raise AssertionError("unexpected seed")


def pap_target(body: dict[str, Any]) -> Action:
    prompt = body["messages"][-1]["content"]
    return Action(text=COMPLIANCE if prompt.startswith("With Logical Appeal") else REFUSAL)


def test_pap_one_paraphrase_per_technique_written_once(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with ScriptedServer(body_plan=pap_attacker) as att, ScriptedServer(body_plan=pap_target) as tgt:
        config = _config(att, tgt, suite, "pap")
        res = _run(config, tmp_path / "o")
        assert len(att.requests) == 2 * 5, "once per behavior and technique, for both targets"
        rerun = _run(config, tmp_path / "o")
        assert len(att.requests) == 10 and rerun.model_calls == 0
    for spec in config.targets:
        recs = [r for r in res.records if r.attempt.target == spec and r.attempt.attack == "pap"]
        assert len(recs) == 10
        assert {r.attempt.attack_params["technique"] for r in recs} == {
            TECHNIQUES[t][0] for t in DEFAULT_TECHNIQUES
        }
        by = dict(
            asr_by_variant(
                res.records, target=spec, attack="pap", refusal_judge="refusal", harm_judge=None
            )
        )
        assert {v: (r.k, r.n) for v, r in by.items()} == {
            TECHNIQUES[t][0]: ((2, 2) if t == "logical-appeal" else (0, 2))
            for t in DEFAULT_TECHNIQUES
        }


def test_pap_options() -> None:
    atk = get_attack("pap:techniques=storytelling+time-pressure")
    assert atk.params["budget"] == 2 and atk.params["techniques"] == "storytelling+time-pressure"
    assert get_attack("pap:techniques=all").params["budget"] == 40 == len(TECHNIQUES)
    with pytest.raises(InputError, match="unknown technique 'bribery'"):
        get_attack("pap:techniques=logical-appeal+bribery")


_TEXT = re.compile(r"<text>\n(.*)\n</text>", re.DOTALL)
ZULU = {"Yebo [REDACTED]": COMPLIANCE}
GAELIC = {"Tha mi duilich": REFUSAL}


def tr_attacker(body: dict[str, Any]) -> Action:
    content = body["messages"][-1]["content"]
    text = _TEXT.search(content).group(1)  # type: ignore[union-attr]
    if "into English" in content:
        return Action(text={**ZULU, **GAELIC}.get(text, f"EN: {text}"))
    lang = "zu" if "into Zulu" in content else "gd"
    return Action(text=f"[{lang}] {text}")


def tr_target(body: dict[str, Any]) -> Action:
    prompt = body["messages"][-1]["content"]
    return Action(text="Yebo [REDACTED]" if prompt.startswith("[zu]") else "Tha mi duilich")


def test_translate_stores_both_directions_and_judges_read_the_back_translation(
    tmp_path: Path,
) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    given = tmp_path / "tr.jsonl"
    given.write_text(json.dumps({"id": "h0", "language": "zu", "text": "[zu] from the file"}))
    with ScriptedServer(body_plan=tr_attacker) as att, ScriptedServer(body_plan=tr_target) as tgt:
        config = _config(att, tgt, suite, f"translate:zu,gd,file={given}")
        res = _run(config, tmp_path / "o")
        # 3 translations (h0-zu comes from the file) + 2 distinct back-translations.
        assert len(att.requests) == 3 + 2
        rerun = _run(config, tmp_path / "o")
        assert rerun.model_calls == 0
    attack = f"translate:zu,gd,file={given}"
    recs = [r for r in res.records if r.attempt.attack == attack]
    assert len(recs) == 2 * 2 * 2
    for r in recs:
        p, resp = r.attempt.attack_params, r.response
        assert resp is not None and resp.ok
        sent = r.attempt.messages[-1].content
        if p["language"] == "zu":
            assert resp.text == "Yebo [REDACTED]" and resp.translation == COMPLIANCE
            assert r.verdicts["refusal"].label != "refusal"
            if r.behavior.id == "h0":
                assert sent == "[zu] from the file" and p["translated_by"] == "file"
            else:
                assert sent == f"[zu] {r.behavior.text}" and p["translated_by"] == "attacker"
        else:
            assert sent == f"[gd] {r.behavior.text}" and p["variant"] == "Scottish Gaelic"
            # Judged as written, "Tha mi duilich" is no refusal; its back-translation is.
            assert resp.text == "Tha mi duilich" and resp.translation == REFUSAL
            assert r.verdicts["refusal"].label == "refusal"
    by = dict(
        asr_by_variant(
            res.records,
            target=config.targets[0],
            attack=attack,
            refusal_judge="refusal",
            harm_judge=None,
        )
    )
    assert {v: (r.k, r.n) for v, r in by.items()} == {"Zulu": (2, 2), "Scottish Gaelic": (0, 2)}
    assert sorted(
        (r.attempt.id, r.response.translation if r.response else None)
        for r in rerun.records
        if r.attempt.attack == attack
    ) == sorted((r.attempt.id, r.response.translation if r.response else None) for r in recs)


def test_a_failed_back_translation_is_an_error_record(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)

    def no_back(body: dict[str, Any]) -> Action:
        if "into English" in body["messages"][-1]["content"]:
            return Action(kind="status", status=500)
        return tr_attacker(body)

    with ScriptedServer(body_plan=no_back) as att, ScriptedServer(body_plan=tr_target) as tgt:
        config = _config(att, tgt, suite, "translate:zu")
        config = config.model_copy(update={"targets": config.targets[:1]})
        res = _run(config, tmp_path / "o")
    [rec] = [r for r in res.records if r.attempt.attack == "translate:zu"]
    assert rec.response is not None and rec.response.text == "Yebo [REDACTED]"
    assert not rec.response.ok and "back-translation failed" in (rec.response.error or "")
    assert "refusal" not in rec.verdicts, "an untranslated answer is never judged"
    table = next(t for t in res.tables if t.attack == "translate:zu")
    assert table.overall.asr.n == 0 and table.overall.asr.errors == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("translate", "name the languages"),
        ("translate:Zulu!", "not a language code"),
        ("translate:zu,seed=x", "seed must be a whole number"),
    ],
)
def test_bad_translate_specs(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        get_attack(spec)


def test_a_bad_translation_file_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "tr.jsonl"
    bad.write_text('{"id": "h0", "language": "zu", "text": "ok"}\n{"id": "h1"}\n')
    with pytest.raises(InputError, match=r"tr.jsonl:2: each line needs"):
        get_attack(f"translate:zu,file={bad}")
