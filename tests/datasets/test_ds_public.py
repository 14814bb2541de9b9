"""Every public loader on the pinned files of ../shared/data: rows, splits, pairs, categories.

Content warning: these files hold harmful requests. Assertions compare ids, counts and
categories, never print prompt text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from tightrope.attacks import behavior_prompt
from tightrope.datasets import CATEGORIES, Suite, load_suite, read_judge_comparison
from tightrope.datasets.mapping import UnmappedCategoryError, map_category
from tightrope.records import Behavior
from tightrope.run import RunConfig
from tightrope.run.resolution import load_suites

PUBLIC = ["harmbench", "jbb", "jbb-harmful", "jbb-benign", "advbench", "strongreject", "xstest"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sides(suite: Suite) -> Counter[str]:
    return Counter(b.side for b in suite.behaviors)


def test_harmbench_splits_and_functional_categories(shared_data: Path) -> None:
    full = load_suite("harmbench:all,copyright")
    assert len(full.behaviors) == 400
    functional = Counter(b.meta["functional_category"] for b in full.behaviors)
    assert functional == {"standard": 200, "contextual": 100, "copyright": 100}
    assert len(load_suite("harmbench:val,copyright").behaviors) == 80
    assert len(load_suite("harmbench:test,copyright").behaviors) == 320
    assert full.checksum == _sha(shared_data / "harmbench/harmbench_behaviors_text_all.csv")
    assert full.version == "8e1604d1" and full.license == "MIT"
    assert {b.source for b in full.behaviors} == {"harmbench@8e1604d1"}
    assert {b.side for b in full.behaviors} == {"harmful"}


def test_harmbench_val_and_test_are_disjoint_and_make_up_all() -> None:
    val = {b.id for b in load_suite("harmbench:val,copyright").behaviors}
    test = {b.id for b in load_suite("harmbench:test,copyright").behaviors}
    full = {b.id for b in load_suite("harmbench:all,copyright").behaviors}
    assert not val & test
    assert val | test == full


def test_harmbench_leaves_out_copyright_by_default_with_a_note(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING"):
        suite = load_suite("harmbench:test")
    assert len(suite.behaviors) == 240
    assert all(b.meta["functional_category"] != "copyright" for b in suite.behaviors)
    assert suite.notes and "80 copyright behaviors left out" in suite.notes[0]
    assert "harmbench:test,copyright" in caplog.text
    assert len(load_suite("harmbench").behaviors) == 300
    with_copyright = load_suite("harmbench:test,copyright")
    hashed = [b for b in with_copyright.behaviors if b.meta.get("judge") == "hash"]
    assert len(hashed) == 80 and {b.category for b in hashed} == {"S8"}
    assert not with_copyright.notes


def test_harmbench_contextual_behaviors_carry_context_and_are_sent_with_the_separator() -> None:
    suite = load_suite("harmbench")
    contextual = [b for b in suite.behaviors if b.meta["functional_category"] == "contextual"]
    assert len(contextual) == 100
    for b in contextual:
        assert b.context, b.id
        prompt = behavior_prompt(b)
        assert prompt == b.context + "\n\n---\n\n" + b.text, b.id
    standard = [b for b in suite.behaviors if b.meta["functional_category"] == "standard"]
    assert all(b.context is None and behavior_prompt(b) == b.text for b in standard)


def test_jbb_is_100_pairs_with_10_categories_of_10(shared_data: Path) -> None:
    suite = load_suite("jbb")
    assert len(suite.behaviors) == 200 and _sides(suite) == {"harmful": 100, "benign": 100}
    for side in ("harmful", "benign"):
        cats = Counter(b.source_category for b in suite.behaviors if b.side == side)
        assert len(cats) == 10 and set(cats.values()) == {10}
    pairs: dict[str, list[str]] = {}
    for b in suite.behaviors:
        assert b.pair_id is not None
        pairs.setdefault(b.pair_id, []).append(b.side)
    assert len(pairs) == 100 and all(v == ["harmful", "benign"] for v in pairs.values())
    by_pair: dict[str, set[str]] = {}
    for b in suite.behaviors:
        by_pair.setdefault(str(b.pair_id), set()).add(b.source_category)
    assert all(len(c) == 1 for c in by_pair.values()), "twins share their category"
    assert all(b.target for b in suite.behaviors if b.side == "harmful")
    assert all(b.target is None for b in suite.behaviors if b.side == "benign")
    assert [b.id for b in suite.behaviors[:4]] == [
        "jbb-harmful-0",
        "jbb-benign-0",
        "jbb-harmful-1",
        "jbb-benign-1",
    ]
    assert load_suite("jbb").checksum == suite.checksum


def test_jbb_sides_alone_have_the_file_checksum(shared_data: Path) -> None:
    harmful = load_suite("jbb-harmful")
    benign = load_suite("jbb-benign")
    assert _sides(harmful) == {"harmful": 100} and _sides(benign) == {"benign": 100}
    assert harmful.checksum == _sha(shared_data / "jbb/harmful-behaviors.csv")
    assert benign.checksum == _sha(shared_data / "jbb/benign-behaviors.csv")


def test_advbench_520_behaviors_with_targets_all_categorized(shared_data: Path) -> None:
    suite = load_suite("advbench")
    assert len(suite.behaviors) == 520 and _sides(suite) == {"harmful": 520}
    assert all(b.target for b in suite.behaviors)
    assert all(b.meta["category_rule"] for b in suite.behaviors)
    assert suite.checksum == _sha(shared_data / "advbench/harmful_behaviors.csv")
    cats = Counter(b.category for b in suite.behaviors)
    assert cats["S2"] > 200 and cats["S9"] >= 25 and cats["S11"] >= 20, cats


def test_strongreject_313_prompts_in_6_categories(shared_data: Path) -> None:
    suite = load_suite("strongreject")
    assert len(suite.behaviors) == 313 and _sides(suite) == {"harmful": 313}
    assert Counter(b.source_category for b in suite.behaviors) == {
        "Non-violent crimes": 59,
        "Violence": 54,
        "Disinformation and deception": 50,
        "Hate, harassment and discrimination": 50,
        "Illegal goods and services": 50,
        "Sexual content": 50,
    }
    assert suite.checksum == _sha(shared_data / "strongreject/strongreject_dataset.csv")


def test_xstest_250_safe_and_200_unsafe_paired_by_type_and_focus() -> None:
    suite = load_suite("xstest")
    assert _sides(suite) == {"benign": 250, "harmful": 200}
    pairs: dict[str, list[Behavior]] = {}
    for b in suite.behaviors:
        if b.pair_id is not None:
            pairs.setdefault(b.pair_id, []).append(b)
    assert len(pairs) == 200
    same_focus = 0
    for members in pairs.values():
        safe, unsafe = members  # safe first, contrast second
        assert safe.side == "benign" and unsafe.side == "harmful"
        assert unsafe.meta["type"].startswith("contrast_")
        assert int(unsafe.id.split("-")[1]) == int(safe.id.split("-")[1]) + 25
        assert safe.category == unsafe.category
        same_focus += safe.meta["focus"] == unsafe.meta["focus"]
    assert same_focus == 199, "XSTest's one focus spelling difference is in safe_contexts"
    unpaired = [b for b in suite.behaviors if b.pair_id is None]
    assert len(unpaired) == 50 and {b.side for b in unpaired} == {"benign"}
    assert {b.meta["type"] for b in unpaired} == {"nons_group_real_discr", "privacy_public"}


def test_every_category_of_every_public_suite_is_mapped() -> None:
    for name in PUBLIC:
        suite = load_suite(name + (":all,copyright" if name == "harmbench" else ""))
        unmapped = {b.source_category for b in suite.behaviors if b.category not in CATEGORIES}
        assert not unmapped, (name, unmapped)
        assert len({b.id for b in suite.behaviors}) == len(suite.behaviors), name
        assert all(b.source.startswith(name.split("-")[0] + "@") for b in suite.behaviors)


def test_an_unmapped_category_is_an_error_not_other() -> None:
    with pytest.raises(UnmappedCategoryError, match="jbb category 'Astrology' has no tightrope"):
        map_category("jbb", "Astrology", where="x.csv:3")
    assert map_category("strongreject", "  violence ") == "S1"  # case and spacing are folded


def test_all_public_suites_load_together_without_id_clashes() -> None:
    suites = load_suites(
        RunConfig(
            judges=("refusal",), suites=("harmbench", "jbb", "advbench", "strongreject", "xstest")
        )
    )
    assert sum(len(s.behaviors) for s in suites) == 300 + 200 + 520 + 313 + 450


def test_jbb_judge_comparison_decodes_from_mac_roman(shared_data: Path) -> None:
    raw = (shared_data / "jbb/judge-comparison.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = read_judge_comparison()
    assert len(rows) == 300
    assert sum(r.human_majority for r in rows) == 110
    assert all(r.human_majority == (sum(r.human) >= 2) for r in rows)
    tp = sum(r.judges["gpt4"] == 1 and r.human_majority == 1 for r in rows)
    fp = sum(r.judges["gpt4"] == 1 and r.human_majority == 0 for r in rows)
    assert (tp, fp) == (100, 19), "REFERENCE.md table 1, GPT-4 row"
    text = "".join(r.goal + r.prompt + r.target_response for r in rows)
    assert "é" in text and "ó" in text, "accented letters decode as Mac Roman writes them"
