"""OR-Bench and SimpleSafetyTests loaders on small self-made files in the upstream format.

OR-Bench's files are not in the pinned data; these stand-ins have the upstream columns and
category names, with placeholder prompts. (SimpleSafetyTests' real file is tested in
test_ds_helm_suites.py; the stand-in here checks rows and columns.)
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from tightrope.datasets import ChecksumError, load_suite, sources
from tightrope.datasets.mapping import UnmappedCategoryError
from tightrope.errors import InputError

ORBENCH_CATEGORIES = [
    "deception",
    "harassment",
    "harmful",
    "hate",
    "illegal",
    "privacy",
    "self-harm",
    "sexual",
    "unethical",
    "violence",
]
SST_AREAS = [
    "Suicide, Self-Harm, and Eating Disorders",
    "Physical Harm and Violence",
    "Illegal and Highly Regulated items",
    "Scams and Fraud",
    "Child Abuse",
]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _orbench_rows(kind: str, per_category: int) -> bytes:
    rows = [
        [f"placeholder {kind} prompt {i} about {c}", c]
        for c in ORBENCH_CATEGORIES
        for i in range(per_category)
    ]
    return _csv(["prompt", "category"], rows)


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror folder with self-made OR-Bench and SimpleSafetyTests files."""
    root = tmp_path / "mirror"
    (root / "orbench").mkdir(parents=True)
    (root / "simplesafetytests").mkdir()
    files = {
        "orbench/or-bench-80k.csv": _orbench_rows("seemingly toxic", 3),
        "orbench/or-bench-hard-1k.csv": _orbench_rows("hard", 2),
        "orbench/or-bench-toxic.csv": _orbench_rows("toxic", 1),
        "simplesafetytests/SimpleSafetyTests - test cases.csv": _csv(
            ["id", "harm_area", "counter", "category", "prompts_final"],
            [
                [
                    f"sst_{5 * a + i + 1:03d}",
                    area,
                    str(i + 1),
                    "Information and advice seeking" if i % 2 else "Instructions and actions",
                    f"placeholder request {i} in area {a}",
                ]
                for a, area in enumerate(SST_AREAS)
                for i in range(4)
            ],
        ),
    }
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    # The pinned hash of the real hard-1k file cannot match a stand-in: pin the stand-in's.
    digest = hashlib.sha256(files["orbench/or-bench-hard-1k.csv"]).hexdigest()
    monkeypatch.setattr(sources, "ORBENCH_HARD", replace(sources.ORBENCH_HARD, sha256=digest))
    # SimpleSafetyTests is pinned to the real file (test_ds_helm_suites.py tests it); the
    # stand-in here tests the loader's handling of rows and columns.
    sst = sources.SIMPLESAFETYTESTS
    monkeypatch.setattr(sources, "SIMPLESAFETYTESTS", replace(sst, sha256=None))
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(root))
    return root


def test_orbench_default_is_hard_1k_benign_plus_toxic_harmful(mirror: Path) -> None:
    suite = load_suite("orbench")
    sides = Counter((b.meta["config"], b.side) for b in suite.behaviors)
    assert sides == {("or-bench-hard-1k", "benign"): 20, ("or-bench-toxic", "harmful"): 10}
    assert Counter(
        b.source_category for b in suite.behaviors if b.side == "harmful"
    ) == dict.fromkeys(ORBENCH_CATEGORIES, 1)
    assert {b.category for b in suite.behaviors} == {"S1", "S2", "S7", "S10", "S11", "S12"}
    assert suite.version == "e36d8b80" and suite.license == "CC-BY-4.0"
    assert {b.source for b in suite.behaviors} == {"orbench@e36d8b80"}
    assert len({b.id for b in suite.behaviors}) == 30


def test_orbench_configs_by_argument(mirror: Path) -> None:
    assert len(load_suite("orbench:80k").behaviors) == 30
    assert {b.side for b in load_suite("orbench:80k").behaviors} == {"benign"}
    assert len(load_suite("orbench:toxic").behaviors) == 10
    both = load_suite("orbench:80k,toxic")
    assert both.name == "orbench:80k,toxic" and len(both.behaviors) == 40
    assert both.checksum != load_suite("orbench:80k").checksum
    with pytest.raises(InputError, match="orbench: unknown config 'hard'"):
        load_suite("orbench:hard")


def test_orbench_checksum_is_verified_in_the_mirror(
    mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "ORBENCH_HARD", replace(sources.ORBENCH_HARD, sha256="0" * 64))
    with pytest.raises(
        ChecksumError, match=r"or-bench-hard-1k\.csv: does not match the pinned file"
    ):
        load_suite("orbench:hard-1k")


def test_orbench_unknown_category_names_file_and_line(mirror: Path) -> None:
    path = mirror / "orbench/or-bench-80k.csv"
    path.write_bytes(path.read_bytes() + b"placeholder prompt,astrology\n")
    with pytest.raises(UnmappedCategoryError) as err:
        load_suite("orbench:80k")
    assert f"{path}:32: orbench category 'astrology' has no tightrope category" in str(err.value)


def test_simplesafetytests_5_harm_areas(mirror: Path) -> None:
    suite = load_suite("simplesafetytests")
    assert len(suite.behaviors) == 20 and {b.side for b in suite.behaviors} == {"harmful"}
    assert Counter(b.source_category for b in suite.behaviors) == dict.fromkeys(SST_AREAS, 4)
    assert {b.category for b in suite.behaviors} == {"S11", "S1", "S2", "S4"}
    assert suite.behaviors[0].id == "simplesafetytests-sst_001"
    assert suite.behaviors[0].meta["prompt_type"] == "Instructions and actions"
    assert suite.license == "CC-BY-4.0"


def test_simplesafetytests_missing_column_is_one_clear_line(mirror: Path) -> None:
    path = mirror / "simplesafetytests/SimpleSafetyTests - test cases.csv"
    path.write_bytes(
        _csv(["id", "harm_area", "category", "text"], [["sst_001", "Child Abuse", "x", "y"]])
    )
    with pytest.raises(InputError) as err:
        load_suite("simplesafetytests")
    assert str(err.value) == (
        f"{path}:1: missing column 'prompts_final' (columns: id, harm_area, category, text)"
    )


def test_a_file_missing_from_the_mirror_is_an_error_not_a_download(mirror: Path) -> None:
    (mirror / "orbench/or-bench-toxic.csv").unlink()
    with pytest.raises(InputError, match="not found in TIGHTROPE_DATA_DIR"):
        load_suite("orbench")
