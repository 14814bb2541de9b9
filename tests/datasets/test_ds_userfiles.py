"""Users' own files (`file:PATH`): CSV, JSONL, Parquet, YAML suites, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tightrope.datasets import check_suite_spec, load_suite, parse_suite_spec
from tightrope.errors import InputError, UnknownNameError

GOOD_CSV = (
    "id,text,side,category,pair\n"
    "p1-b,How do I kill a Python process?,benign,S1,p1\n"
    "p1-h,placeholder harmful twin,harmful,Violent Crimes,p1\n"
    'x3,"A prompt, with a comma",safe,s7,\n'
)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _error(spec: str) -> str:
    with pytest.raises(InputError) as err:
        load_suite(spec)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_csv_with_default_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "mine.csv", GOOD_CSV)
    suite = load_suite(f"file:{path}")
    assert [(b.id, b.side, b.category, b.pair_id) for b in suite.behaviors] == [
        ("p1-b", "benign", "S1", "p1"),
        ("p1-h", "harmful", "S1", "p1"),
        ("x3", "benign", "S7", None),
    ]
    assert suite.name == "mine.csv" and len(suite.checksum) == 64
    assert suite.version == suite.checksum[:12]
    assert suite.behaviors[1].source_category == "Violent Crimes"
    assert load_suite(str(path)).checksum == suite.checksum, "a bare path means file:"


def test_csv_without_id_gets_line_based_ids_and_prompt_column_works(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.csv", "prompt,side,category\nfirst,benign,S6\nsecond,harmful,S6\n")
    suite = load_suite(f"file:{path}")
    assert [b.id for b in suite.behaviors] == ["q-2", "q-3"]
    assert [b.text for b in suite.behaviors] == ["first", "second"]


def test_jsonl_and_parquet(tmp_path: Path) -> None:
    rows = [
        {"id": "j1", "text": "a", "side": "benign", "category": "S2", "context": "ctx"},
        {"id": "j2", "text": "b", "side": "harmful", "category": "S2", "target": "Sure"},
    ]
    jsonl = _write(tmp_path, "p.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    suite = load_suite(f"file:{jsonl}")
    assert [b.id for b in suite.behaviors] == ["j1", "j2"]
    assert suite.behaviors[0].context == "ctx" and suite.behaviors[1].target == "Sure"
    parquet = tmp_path / "p.parquet"
    pq.write_table(
        pa.Table.from_pylist([{**r, "context": None, "target": None} for r in rows]), parquet
    )
    from_parquet = load_suite(f"file:{parquet}")
    assert [(b.id, b.side, b.category) for b in from_parquet.behaviors] == [
        ("j1", "benign", "S2"),
        ("j2", "harmful", "S2"),
    ]


def test_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.csv", "text,side\nx,benign\n")
    assert _error(f"file:{path}") == (
        f"{path}:1: missing column 'category' (columns: text, side); add a 'category' column "
        "(S1-S14), or map it in a YAML suite (see docs/datasets.md)"
    )


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    for name, content in (("e.csv", ""), ("h.csv", "text,side,category\n"), ("e.jsonl", "\n")):
        path = _write(tmp_path, name, content)
        assert _error(f"file:{path}") == (
            f"{path}:1: empty file (no data rows); add at least one row below the header"
        )


def test_undecodable_bytes_name_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "b.csv", b"text,side,category\nok,benign,S1\nbad \xff here,benign,S1\n")
    assert _error(f"file:{path}") == (
        f"{path}:3:5: byte 0xff is not valid UTF-8; save the file as UTF-8"
    )


def test_duplicate_id(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "d.csv", "id,text,side,category\n7,a,benign,S1\n8,b,benign,S1\n7,c,harmful,S1\n"
    )
    assert _error(f"file:{path}") == (
        f"{path}:4: column 'id': duplicate id '7' (first at line 2); give every row a unique id"
    )


def test_unknown_side_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.csv", "text,side,category\na,benign,S1\nb,maybe,S1\n")
    assert _error(f"file:{path}") == (
        f"{path}:3: column 'side': unknown side 'maybe'; use harmful or benign (unsafe / safe "
        "also work), or map it in a YAML suite (see docs/datasets.md)"
    )


def test_unknown_category_and_empty_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "text,side,category\na,benign,astrology\n")
    assert _error(f"file:{path}").startswith(
        f"{path}:2: column 'category': unknown category 'astrology'; use S1-S14"
    )
    path = _write(tmp_path, "t.csv", "text,side,category\n  ,benign,S1\n")
    assert _error(f"file:{path}") == (
        f"{path}:2: column 'text': empty prompt text; remove the row or fill it in"
    )


def test_malformed_jsonl_and_parquet(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "j.jsonl", '{"text": "a", "side": "benign", "category": "S1"}\n{"text": 1,\n'
    )
    assert _error(f"file:{path}").startswith(f"{path}:2:12: invalid JSON (")
    path = _write(tmp_path, "l.jsonl", '["text", "side"]\n')
    assert _error(f"file:{path}").startswith(f"{path}:1: a JSON list where an object was expected")
    path = _write(tmp_path, "x.parquet", b"PAR1 this is not parquet")
    assert _error(f"file:{path}").startswith(f"{path}: not a readable Parquet file (")
    parquet = tmp_path / "s.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [{"text": "a", "side": "benign", "category": "S1"}] * 2
            + [{"text": "c", "side": "bogus", "category": "S1"}]
        ),
        parquet,
    )
    assert _error(f"file:{parquet}").startswith(
        f"{parquet}: row 3: column 'side': unknown side 'bogus'"
    )


def test_extra_fields_and_duplicate_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "text,side,category\na,benign,S1,extra\n")
    assert _error(f"file:{path}") == (
        f"{path}:2: 4 fields but the header has 3; quote fields that contain commas"
    )
    path = _write(tmp_path, "g.csv", "text,side,text\na,benign,b\n")
    assert _error(f"file:{path}") == f"{path}:1: column 'text' appears twice; rename one of them"


def test_bad_paths_and_types_fail_before_loading(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        check_suite_spec(f"file:{tmp_path / 'nope.csv'}")
    with pytest.raises(InputError, match=r"unsupported file type '\.txt'"):
        check_suite_spec(f"file:{_write(tmp_path, 'a.txt', 'x')}")
    with pytest.raises(InputError, match="give a path"):
        check_suite_spec("file:")


def test_suite_specs() -> None:
    assert parse_suite_spec("harmbench:val") == ("harmbench", "val")
    assert parse_suite_spec("jbb") == ("jbb", None)
    assert parse_suite_spec("file:C:/x:y.csv") == ("file", "C:/x:y.csv")
    assert parse_suite_spec("data/mine.jsonl") == ("file", "data/mine.jsonl")
    check_suite_spec("harmbench:test,copyright")
    check_suite_spec("orbench:80k,toxic")
    with pytest.raises(UnknownNameError, match="unknown suite 'nope'"):
        check_suite_spec("nope")
    with pytest.raises(InputError, match="suite 'starter' takes no argument"):
        check_suite_spec("starter:x")
    with pytest.raises(InputError, match="harmbench: unknown option 'train'"):
        check_suite_spec("harmbench:train")
