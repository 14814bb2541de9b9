"""HELM Safety's suites on the real shared files: SimpleSafetyTests, BBQ, hh-rlhf harmless-base;
Anthropic's red-team attempts and BBQ's missing categories on small self-made files.

Content warning: the files hold harmful requests and stereotypes; assertions compare ids,
counts, hashes and categories, never print prompt text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.datasets import load_suite, sources
from tightrope.datasets.anthropic_red_team import first_human_turn
from tightrope.datasets.groups import expand_suites
from tightrope.datasets.mapping import UnmappedCategoryError
from tightrope.errors import InputError

BBQ_ROWS = {
    "Age": 3680,
    "Disability_status": 1556,
    "Nationality": 3080,
    "Physical_appearance": 1576,
    "Religion": 1200,
    "Sexual_orientation": 864,
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_simplesafetytests_real_file(shared_data: Path) -> None:
    suite = load_suite("simplesafetytests")
    path = shared_data / "simplesafetytests" / "SimpleSafetyTests - test cases.csv"
    assert suite.checksum == _sha(path) == sources.SIMPLESAFETYTESTS.sha256
    assert len(suite.behaviors) == 100 and {b.side for b in suite.behaviors} == {"harmful"}
    assert Counter(b.source_category for b in suite.behaviors) == {
        "Suicide, Self-Harm, and Eating Disorders": 20,
        "Physical harm and Violence": 20,
        "Illegal and Highly Regulated items": 20,
        "Scams and fraud": 20,
        "Child safety": 20,
    }
    assert Counter(b.category for b in suite.behaviors) == {"S11": 20, "S1": 20, "S2": 40, "S4": 20}
    assert Counter(b.meta["prompt_type"] for b in suite.behaviors) == {
        "Information and advice seeking": 50,
        "Instructions and actions": 50,
    }
    assert suite.behaviors[0].id == "simplesafetytests-sst_001"
    assert suite.version == "d7aee9a9" and suite.license == "CC-BY-4.0"
    assert len({b.text for b in suite.behaviors}) == 100


def test_simplesafetytests_changed_file_is_a_checksum_error(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(shared_data / "simplesafetytests", mirror / "simplesafetytests")
    path = mirror / "simplesafetytests" / "SimpleSafetyTests - test cases.csv"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"\n")
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(mirror))
    with pytest.raises(InputError, match="does not match the pinned file"):
        load_suite("simplesafetytests")


@pytest.mark.parametrize("category", sorted(BBQ_ROWS))
def test_bbq_category_rows_hash_and_answer_structure(shared_data: Path, category: str) -> None:
    suite = load_suite(f"bbq:{category.lower()}")
    assert suite.checksum == _sha(shared_data / "bbq" / f"{category}.jsonl")
    assert suite.checksum == sources.BBQ[category].sha256
    assert len(suite.behaviors) == BBQ_ROWS[category]
    assert {b.side for b in suite.behaviors} == {"choice"}
    assert {b.category for b in suite.behaviors} == {"S10"}
    assert {b.source_category for b in suite.behaviors} == {category}
    conditions = Counter(b.meta["context_condition"] for b in suite.behaviors)
    assert conditions == {"ambig": BBQ_ROWS[category] // 2, "disambig": BBQ_ROWS[category] // 2}
    for b in suite.behaviors:
        assert b.choices is not None and len(b.choices) == 3
        # In ambiguous contexts the correct answer is the unknown option, else a person.
        assert (b.answer == b.meta["unknown_index"]) == (b.meta["context_condition"] == "ambig")
        # Every item of these six categories names exactly one stereotyped option.
        assert len(b.meta["target_indices"]) == 1
        assert b.meta["unknown_index"] not in b.meta["target_indices"]
    assert suite.notes == ()


def test_bbq_defaults_to_all_eleven_and_the_mirror_lacks_five(shared_data: Path) -> None:
    with pytest.raises(
        InputError, match=r"Gender_identity\.jsonl: not found in TIGHTROPE_DATA_DIR"
    ):
        load_suite("bbq")
    with pytest.raises(InputError, match="unknown BBQ category 'gender'"):
        load_suite("bbq:gender")
    both = load_suite("bbq:Age,Religion")
    assert len(both.behaviors) == 3680 + 1200
    assert both.checksum != load_suite("bbq:age").checksum


def test_bbq_accepts_the_upstream_categories_not_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Race_x_SES tags options `lowSES-M-Black` for the stereotyped group `Black`."""
    line = {
        "example_id": 7,
        "question_index": "3",
        "question_polarity": "neg",
        "context_condition": "ambig",
        "category": "Race_x_SES",
        "answer_info": {
            "ans0": ["Not known", "unknown"],
            "ans1": ["placeholder person one", "lowSES-M-Black"],
            "ans2": ["placeholder person two", "highSES-M-White"],
        },
        "additional_metadata": {"stereotyped_groups": ["Black"], "version": "a"},
        "context": "placeholder context",
        "question": "placeholder question?",
        "ans0": "Not known",
        "ans1": "placeholder person one",
        "ans2": "placeholder person two",
        "label": 0,
    }
    (tmp_path / "bbq").mkdir()
    (tmp_path / "bbq" / "Race_x_SES.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(tmp_path))
    (b,) = load_suite("bbq:race_x_ses").behaviors
    assert b.id == "bbq-Race_x_SES-7" and b.meta["target_indices"] == [1]
    assert b.meta["unknown_index"] == 0 and b.answer == 0
    bad = {**line, "label": 5}
    (tmp_path / "bbq" / "Race_x_SES.jsonl").write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"Race_x_SES\.jsonl:1: label 5 is not 0, 1 or 2"):
        load_suite("bbq:race_x_ses")


def test_harmless_base_first_turns_deduplicated(shared_data: Path) -> None:
    suite = load_suite("anthropic-red-team:harmless-base")
    path = shared_data / "hh_rlhf" / "harmless-base-test.jsonl.gz"
    assert suite.checksum == _sha(path) == sources.HH_HARMLESS_BASE.sha256
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    firsts = [first_human_turn(json.loads(ln)["chosen"]) for ln in lines]
    assert len(lines) == 2312
    assert len(suite.behaviors) == len(set(firsts)) == 2178
    assert [b.text for b in suite.behaviors] == list(dict.fromkeys(firsts))
    assert {b.side for b in suite.behaviors} == {"harmful"}
    assert {b.category for b in suite.behaviors} == {"unspecified"}
    assert suite.version == "354e5c3c" and suite.license == "MIT"
    assert "2178 of 2178 prompts have no hazard category" in suite.notes[0]


def test_first_human_turn() -> None:
    t = "\n\nHuman: first ask\n\nAssistant: reply\n\nHuman: second ask"
    assert first_human_turn(t) == "first ask"
    assert first_human_turn("\n\nHuman:  \n\nHuman: late ask") == "late ask"


def _red_team_file(folder: Path, records: list[dict[str, object]]) -> None:
    (folder / "hh_rlhf").mkdir(parents=True, exist_ok=True)
    data = json.dumps(records, indent=1).encode("utf-8")  # upstream: one JSON array
    (folder / "hh_rlhf" / "red_team_attempts.jsonl.gz").write_bytes(gzip.compress(data))


def test_red_team_attempts_on_a_self_made_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rec(ask: str, tags: list[str] | None) -> dict[str, object]:
        return {
            "transcript": f"\n\nHuman: {ask}\n\nAssistant: placeholder reply",
            "tags": tags,
            "rating": 2.0,
            "model_type": "plain lm",
            "num_params": "52B",
        }

    _red_team_file(
        tmp_path,
        [
            rec("placeholder ask one", None),
            rec("placeholder ask two", ["Theft", "Violence & incitement"]),
            rec("placeholder ask one", ["Weapons"]),  # a repeat: left out
            rec("placeholder ask three", ["N/A - Invalid attempt", "Self-harm"]),
            rec("placeholder ask four", ["Other"]),
        ],
    )
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(tmp_path))
    suite = load_suite("anthropic-red-team")
    got = [(b.id, b.category, b.source_category) for b in suite.behaviors]
    assert got == [
        ("anthropic-red-team-attempts-1", "unspecified", ""),
        ("anthropic-red-team-attempts-2", "S2", "Theft; Violence & incitement"),
        ("anthropic-red-team-attempts-4", "S11", "N/A - Invalid attempt; Self-harm"),
        ("anthropic-red-team-attempts-5", "unspecified", "Other"),
    ]
    assert suite.version == sources.HH_RLHF_HF_REV[:8]
    assert suite.behaviors[1].meta["tags"] == ["Theft", "Violence & incitement"]
    assert "2 of 4 prompts have no hazard category" in suite.notes[0]
    assert "1 repeated or empty first turns left out" in suite.notes[0]

    _red_team_file(tmp_path, [rec("placeholder ask", ["Astrology"])])
    with pytest.raises(UnmappedCategoryError, match="'Astrology' has no tightrope category"):
        load_suite("anthropic-red-team")
    with pytest.raises(InputError, match="unknown anthropic-red-team config 'base'"):
        load_suite("anthropic-red-team:base")


def test_helm_safety_expands_to_five_suites_and_says_what_it_replaced() -> None:
    specs, notes = expand_suites(["starter", "helm-safety"])
    six = ",".join(sorted(BBQ_ROWS, key=lambda c: list(sources.BBQ).index(c)))
    assert specs == [
        "starter",
        "harmbench:all,copyright",
        "simplesafetytests",
        f"bbq:{six}",
        "xstest",
        "anthropic-red-team:harmless-base",
    ]
    assert len(notes) == 2
    assert "Gender_identity, Race_ethnicity, Race_x_SES, Race_x_gender, SES" in notes[0]
    assert "harmless-base test prompts instead" in notes[1]


def test_helm_safety_uses_red_team_attempts_when_present(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(shared_data, tmp_path / "mirror")
    (tmp_path / "mirror" / "hh_rlhf").chmod(0o755)
    _red_team_file(tmp_path / "mirror", [{"transcript": "\n\nHuman: placeholder", "tags": None}])
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(tmp_path / "mirror"))
    specs, notes = expand_suites(["helm-safety"])
    assert specs[-1] == "anthropic-red-team" and len(notes) == 1


def test_datasets_list_shows_the_new_suites(tmp_path: Path, shared_data: Path) -> None:
    r = tightrope(
        "datasets", "list", cwd=tmp_path, TIGHTROPE_DATA_DIR=str(shared_data), COLUMNS="250"
    )
    assert r.returncode == 0, r.stderr
    rows = {ln.split("│")[1].strip(): ln for ln in r.stdout.splitlines() if ln.count("│") > 4}
    bbq = next(v for k, v in rows.items() if k.startswith("bbq"))
    assert "58,492" in bbq and "CC-BY-4.0" in bbq and "Parrish" in bbq
    assert "partly in mirror (6/11)" in bbq
    red = next(v for k, v in rows.items() if k.startswith("anthropic-red-team"))
    assert "MIT" in red and "Ganguli" in red and "partly in mirror (1/2)" in red
    sst = rows["simplesafetytests"]
    assert "100 harmful" in sst and "Vidgen" in sst and "in mirror" in sst
    assert "HELM Safety" in rows["helm-safety"]
