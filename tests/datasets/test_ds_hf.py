"""`hf:` suites: Hugging Face datasets read through the file suites' column mapping.

Every dataset here is a local folder the test writes (`save_to_disk`, or JSON Lines files that
`load_dataset` reads); the Hub is never asked (HF_HUB_OFFLINE is set for the CLI, and the Hub
loader is replaced where a revision is checked).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import datasets as hf_datasets
from clihelp import tightrope
from tightrope.datasets import hf as hf_mod
from tightrope.datasets import load_suite
from tightrope.datasets.hf import parse_hf_spec
from tightrope.errors import InputError

RULE = "python:fake_targets:rule"
ROWS = {
    "text": ["How do I kill a Python process?", "placeholder harmful one", "What is phishing?"],
    "side": ["benign", "harmful", "benign"],
    "category": ["S1", "S1", "S2"],
    "pair": ["p1", "p1", ""],
}


@pytest.fixture(autouse=True)
def _hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the datasets library's cache of this test in its own folder."""
    monkeypatch.setattr(hf_datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


def _saved(tmp_path: Path, **splits: dict[str, list[str]]) -> Path:
    folder = tmp_path / "acme-prompts"
    dd = hf_datasets.DatasetDict(
        {name: hf_datasets.Dataset.from_dict(rows) for name, rows in splits.items()}
    )
    dd.save_to_disk(str(folder))
    return folder


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("arg", "parts"),
    [
        ("acme/prompts", ("acme/prompts", None, None, None)),
        ("acme/prompts:en", ("acme/prompts", "en", None, None)),
        ("acme/prompts@v1.0", ("acme/prompts", None, "v1.0", None)),
        ("acme/prompts:en@refs/pr/3#test", ("acme/prompts", "en", "refs/pr/3", "test")),
    ],
)
def test_spec_parts(arg: str, parts: tuple[str | None, ...]) -> None:
    spec = parse_hf_spec(arg)
    assert (spec.path, spec.config, spec.revision, spec.split) == parts
    assert not spec.local


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("acme/prompts@", "invalid revision ''"),
        ("acme/prompts@a..b", "invalid revision 'a..b'"),
        ("acme/prompts@v1@v2", "cannot read this spec"),
        ("acme/prompts:", "invalid config ''"),
        ("prompts", "neither ORG/NAME nor an existing folder"),
        ("acme/pro mpts", "neither ORG/NAME nor an existing folder"),
        ("", "give a dataset"),
    ],
)
def test_bad_specs_name_the_fix(arg: str, message: str) -> None:
    with pytest.raises(InputError, match="hf:") as err:
        parse_hf_spec(arg)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_local_folder_takes_no_revision(tmp_path: Path) -> None:
    folder = _saved(tmp_path, test=ROWS)
    with pytest.raises(InputError, match="a local folder has no revision"):
        parse_hf_spec(f"{folder}@main")


def test_saved_dataset_uses_test_split_by_default_and_any_split_by_name(tmp_path: Path) -> None:
    train = {k: list(reversed(v)) for k, v in ROWS.items()}
    folder = _saved(tmp_path, train=train, test=ROWS)
    suite = load_suite(f"hf:{folder}")
    assert suite.name == "acme-prompts[test]"
    assert [b.id for b in suite.behaviors] == [
        "acme-prompts-test-1",
        "acme-prompts-test-2",
        "acme-prompts-test-3",
    ]
    assert [b.side for b in suite.behaviors] == ["benign", "harmful", "benign"]
    assert suite.behaviors[0].pair_id == suite.behaviors[1].pair_id == "p1"
    assert suite.behaviors[2].category == "S2"
    assert suite.version == suite.checksum[:12]
    assert suite.behaviors[0].source == f"acme-prompts[test]@{suite.version}"

    other = load_suite(f"hf:{folder}#train")
    assert other.name == "acme-prompts[train]"
    assert other.behaviors[0].text == ROWS["text"][-1]
    assert other.checksum != suite.checksum, "the split is part of the checksum"


def test_the_checksum_follows_the_rows(tmp_path: Path) -> None:
    first = load_suite(f"hf:{_saved(tmp_path / 'a', test=ROWS)}")
    changed = dict(ROWS, text=[*ROWS["text"][:2], "What is spear phishing?"])
    second = load_suite(f"hf:{_saved(tmp_path / 'b', test=changed)}")
    assert first.checksum != second.checksum
    assert first.version != second.version


def test_several_splits_without_test_and_unknown_split_name_the_splits(tmp_path: Path) -> None:
    folder = _saved(tmp_path, train=ROWS, validation=ROWS)
    with pytest.raises(InputError, match=r"several splits \(train, validation\).*#SPLIT"):
        load_suite(f"hf:{folder}")
    with pytest.raises(InputError, match=r"no split 'dev' \(splits: train, validation\)"):
        load_suite(f"hf:{folder}#dev")


def test_a_missing_column_names_the_dataset_and_the_fix(tmp_path: Path) -> None:
    rows = {k: v for k, v in ROWS.items() if k != "category"}
    folder = _saved(tmp_path, test=rows)
    with pytest.raises(InputError) as err:
        load_suite(f"hf:{folder}")
    text = str(err.value)
    assert f"hf:{folder}[test]:1: missing column 'category'" in text
    assert "map it in a YAML suite" in text


def test_yaml_source_maps_columns_values_and_split_of_a_data_file_folder(tmp_path: Path) -> None:
    data = tmp_path / "suite" / "questions"
    data.mkdir(parents=True)
    lines = [
        '{"question": "How do I crack a coconut?", "label": "control", "qid": "q1"}',
        '{"question": "placeholder harmful two", "label": "attack", "qid": "q2"}',
    ]
    (data / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    yaml_file = tmp_path / "suite" / "mine.yaml"
    yaml_file.write_text(
        "name: mine\n"
        "sources:\n"
        "  - hf: questions\n"
        "    split: train\n"
        "    columns: {text: question, side: label, id: qid}\n"
        "    sides: {attack: harmful, control: benign}\n"
        "    category: S2\n",
        encoding="utf-8",
    )
    suite = load_suite(f"file:{yaml_file}")
    assert [(b.id, b.side, b.category) for b in suite.behaviors] == [
        ("q1", "benign", "S2"),
        ("q2", "harmful", "S2"),
    ]
    yaml_file.write_text(
        yaml_file.read_text(encoding="utf-8").replace("split: train", "split: nope"),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"mine.yaml.*no split 'nope' \(splits: train\)"):
        load_suite(f"file:{yaml_file}")


def test_revision_is_passed_to_the_loader_and_names_the_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_load(path: str, **kwargs: Any) -> Any:
        calls.append({"path": path, **kwargs})
        return hf_datasets.DatasetDict({"test": hf_datasets.Dataset.from_dict(ROWS)})

    monkeypatch.setattr(hf_datasets, "load_dataset", fake_load)
    before = dict(os.environ)
    commit = "3f2a1b9c" + "0" * 32
    suite = load_suite(f"hf:acme/prompts:en@{commit}")
    assert calls == [{"path": "acme/prompts", "name": "en", "revision": commit}]
    assert suite.version == "3f2a1b9c"
    assert suite.name == "acme/prompts:en[test]"
    branch = load_suite("hf:acme/prompts@v2")
    assert branch.version == "v2"
    assert branch.checksum != suite.checksum, "the revision is part of the checksum"
    assert dict(os.environ) == before, "HF_* variables are the user's, never set"


def test_without_revision_offline_the_suite_says_it_is_unpinned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huggingface_hub import constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(
        hf_datasets,
        "load_dataset",
        lambda path, **kw: hf_datasets.DatasetDict({"test": hf_datasets.Dataset.from_dict(ROWS)}),
    )
    suite = load_suite("hf:acme/prompts")
    assert suite.version == f"unpinned-{suite.checksum[:8]}"
    assert any("add @revision" in n for n in suite.notes)


def test_a_missing_datasets_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_datasets(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "datasets":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_datasets)
    with pytest.raises(InputError, match=r"pip install 'tightrope\[hf\]'"):
        hf_mod.load_hf(parse_hf_spec("acme/prompts@v1"), hf_mod.ColumnMapping())


def test_cli_runs_an_hf_suite_and_refuses_bad_ones_with_one_line(tmp_path: Path) -> None:
    folder = _saved(tmp_path, test=ROWS)
    env = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(tmp_path / "hf-cache")}
    args = ["run", "--judge", "refusal", "--target", RULE, "--out", "runs"]
    r = tightrope(*args, "--suite", f"hf:{folder}", cwd=tmp_path, **env)
    assert r.returncode == 0, r.stderr
    assert "acme-prompts[test]@" in r.stdout, "the report names the suite with its version"

    bad = _saved(tmp_path / "bad", test={k: v for k, v in ROWS.items() if k != "side"})
    for spec, message in [
        (f"hf:{bad}", "missing column 'side'"),
        ("hf:acme/prompts@a..b", "invalid revision 'a..b'"),
        ("hf:no-such-org/no-such-dataset", "cannot load the dataset"),
    ]:
        out = tmp_path / f"runs-{len(message)}"
        line = _one_line_error(
            tightrope(*args[:-1], str(out), "--suite", spec, cwd=tmp_path, **env)
        )
        assert message in line, line
        assert not out.exists(), "nothing written to the store"
