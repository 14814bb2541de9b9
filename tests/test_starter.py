from collections import Counter

from tightrope.datasets import CATEGORIES, load_suite


def test_starter_suite_is_matched_pairs_over_s1_to_s13() -> None:
    suite = load_suite("starter")
    assert suite.name == "starter" and suite.version
    assert len(suite.checksum) == 64
    behaviors = suite.behaviors
    ids = [b.id for b in behaviors]
    assert len(ids) == len(set(ids)), "ids must be unique"
    pairs: dict[str, list[str]] = {}
    for b in behaviors:
        assert b.pair_id is not None
        pairs.setdefault(b.pair_id, []).append(b.side)
        assert b.category in CATEGORIES
        assert b.text.strip() and b.source == f"starter@{suite.version}"
    assert len(pairs) >= 60
    assert all(sorted(sides) == ["benign", "harmful"] for sides in pairs.values())
    cats = Counter(b.category for b in behaviors if b.side == "harmful")
    assert {f"S{i}" for i in range(1, 14)} <= set(cats), "every category S1-S13 covered"
    kinds = Counter(b.meta["kind"] for b in behaviors if b.side == "harmful")
    assert {
        "homonym",
        "figurative",
        "safe_target",
        "safe_context",
        "definition",
        "historical",
        "privacy_public",
    } <= set(kinds)
    texts = [b.text for b in behaviors]
    assert len(texts) == len(set(texts)), "no prompt repeated"


def test_limit_keeps_pairs_together_from_the_start() -> None:
    suite = load_suite("starter").limit(6)
    assert [b.side for b in suite.behaviors] == ["harmful", "benign"] * 3
    assert len({b.pair_id for b in suite.behaviors}) == 3


def test_an_odd_limit_rounds_up_to_keep_the_last_pair_whole() -> None:
    suite = load_suite("starter").limit(3)
    assert [b.side for b in suite.behaviors] == ["harmful", "benign"] * 2
    assert len({b.pair_id for b in suite.behaviors}) == 2
    assert len(load_suite("starter").limit(1).behaviors) == 2


def test_limit_keeps_twins_that_are_not_adjacent_and_loners_count_one() -> None:
    from tightrope.datasets._base import Suite
    from tightrope.records import Behavior

    def b(i: str, side: str, pair: str | None) -> Behavior:
        return Behavior(
            id=i, text=i, side=side, category="S1", source="t", source_category="c", pair_id=pair
        )  # type: ignore[arg-type]

    behaviors = (b("h1", "harmful", "p1"), b("x", "benign", None), b("b1", "benign", "p1"))
    suite = Suite(name="t", version="1", checksum="c", behaviors=behaviors)
    assert [x.id for x in suite.limit(1).behaviors] == ["h1", "b1"]
    assert [x.id for x in suite.limit(2).behaviors] == ["h1", "x", "b1"]


def test_checksum_is_stable() -> None:
    assert load_suite("starter").checksum == load_suite("starter").checksum
