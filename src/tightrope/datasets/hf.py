"""Hugging Face datasets as suites: `--suite hf:ORG/NAME[:config][@revision][#split]`.

Rows are read with the `datasets` library (the optional `hf` extra, imported only here, only
when such a suite is loaded) and go through the same column mapping as `file:` suites
(userfile.py): by default the columns are named after their role (`text` or `prompt`, `side`,
`category`, ...); a YAML suite source `hf:` can rename them and map values. ORG/NAME may also be
a local folder (one written by `Dataset.save_to_disk`, or data files `load_dataset` reads).

The revision pins the upstream bytes: the suite's version is the revision (the first 8
characters of a commit hash), and its checksum is the SHA-256 of the spec and of every row
loaded, so a run's instrument names both. Without `@revision` the current commit is looked up
and used (when the Hub can be asked); otherwise the version says `unpinned`. `HF_TOKEN`,
`HF_ENDPOINT`, `HF_HUB_OFFLINE` and `HF_DATASETS_OFFLINE` are the user's: read by the libraries
as set, never set here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tightrope.datasets._base import DatasetInfo, Suite, dataset
from tightrope.datasets.tabular import Row, Table
from tightrope.datasets.userfile import ColumnMapping, build_suite
from tightrope.errors import InputError

INSTALL = "pip install 'tightrope[hf]'"
_SPEC = re.compile(
    r"^(?P<path>[^:@#]+)(?::(?P<config>[^:@#]*))?(?:@(?P<rev>[^:@#]*))?(?:#(?P<split>[^:@#]*))?$"
)
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_FORM = "hf:ORG/NAME[:config][@revision][#split]"


@dataclass(frozen=True)
class HfSpec:
    """A parsed `hf:` argument: a Hub repo id or a local folder, config, revision, split."""

    path: str
    config: str | None = None
    revision: str | None = None
    split: str | None = None
    local: bool = False

    @property
    def display(self) -> str:
        """Return the spec as written back: `ORG/NAME[:config][@revision]`."""
        config = f":{self.config}" if self.config else ""
        rev = f"@{self.revision}" if self.revision else ""
        return f"{self.path}{config}{rev}"


def parse_hf_spec(arg: str | None) -> HfSpec:
    """Return the parts of `ORG/NAME[:config][@revision][#split]`; InputError naming the fix."""
    if not arg or not arg.strip():
        raise InputError(f"hf: give a dataset, e.g. --suite {_FORM}")
    text = arg.strip()
    m = _SPEC.match(text)
    if m is None:
        raise InputError(
            f"hf:{text}: cannot read this spec; write {_FORM} (one each of ':', '@', '#', "
            "in that order)"
        )
    path, config, rev, split = m["path"], m["config"], m["rev"], m["split"]
    for part, value, pattern in (
        ("config", config, _NAME),
        ("revision", rev, _REVISION),
        ("split", split, _NAME),
    ):
        if value is not None and (not pattern.match(value) or ".." in value):
            raise InputError(
                f"hf:{text}: invalid {part} {value!r}; write {_FORM} with a {part} of letters, "
                "digits, '.', '_' or '-'"
                + (" (a branch, tag or commit hash)" if part == "revision" else "")
            )
    local = Path(path).expanduser().is_dir()
    if local and rev:
        raise InputError(
            f"hf:{text}: a local folder has no revision; drop @{rev} (its content is checksummed)"
        )
    if not local and not _REPO_ID.match(path):
        raise InputError(
            f"hf:{text}: {path!r} is neither ORG/NAME nor an existing folder; write {_FORM} "
            "or check the folder's path"
        )
    return HfSpec(path=path, config=config, revision=rev, split=split, local=local)


def check_spec(arg: str | None) -> None:
    """Validate an `hf:` argument without loading anything (used before a run starts)."""
    parse_hf_spec(arg)


INFO = DatasetInfo(
    rows="a Hugging Face dataset (needs the hf extra)",
    license="the dataset's",
    url="docs/datasets.md",
    args="ORG/NAME[:config][@revision][#split]",
    check=check_spec,
)


@dataset("hf", info=INFO)
def hf_suite(arg: str | None = None) -> Suite:
    """A Hugging Face dataset read with its columns named after their roles."""
    return load_hf(parse_hf_spec(arg), ColumnMapping())


def load_hf(spec: HfSpec, mapping: ColumnMapping, *, split: str | None = None) -> Suite:
    """Return the suite of one split of a Hugging Face dataset read through `mapping`.

    `split` (a YAML source's `split:`) overrides the spec's `#split`. Without either, a dataset
    with one split uses it, else its `test` split; anything else is an InputError naming the
    splits.
    """
    ds_lib = _import_datasets(spec)
    revision = spec.revision or (None if spec.local else _current_commit(spec))
    data = _open(ds_lib, spec, revision)
    chosen, table_data = _pick_split(data, split or spec.split, spec)
    columns = tuple(str(c) for c in table_data.column_names)
    rows = tuple(Row(i, dict(r)) for i, r in enumerate(table_data, start=1))
    if not rows:
        raise InputError(f"hf:{spec.display}: split {chosen!r} has no rows; choose another split")
    name = f"{Path(spec.path).name if spec.local else spec.path}"
    name += f":{spec.config}" if spec.config else ""
    name += f"[{chosen}]"
    checksum = _checksum(spec, revision, chosen, columns, rows)
    if revision:
        version = revision[:8] if _COMMIT.match(revision) else revision
    else:
        version = checksum[:12] if spec.local else f"unpinned-{checksum[:8]}"
    table = Table(source=f"hf:{spec.display}[{chosen}]", columns=columns, rows=rows, unit="row")
    stem = f"{Path(spec.path).name}-{chosen}"
    suite = build_suite(table, mapping, name=name, version=version, checksum=checksum, stem=stem)
    if not revision and not spec.local:
        note = "not pinned: the Hub could not be asked for the current commit; add @revision"
        return suite.model_copy(update={"notes": (*suite.notes, note)})
    return suite


def _import_datasets(spec: HfSpec) -> Any:
    try:
        import datasets as ds_lib
    except ImportError:
        raise InputError(
            f"hf:{spec.display}: Hugging Face suites need the datasets library; {INSTALL}"
        ) from None
    return ds_lib


def _current_commit(spec: HfSpec) -> str | None:
    """Return the commit the Hub serves for the repo now, or None when it cannot be asked.

    huggingface_hub reads HF_TOKEN, HF_ENDPOINT and HF_HUB_OFFLINE itself; offline, it
    refuses at once and the suite is marked unpinned.
    """
    try:
        from huggingface_hub import HfApi
        from huggingface_hub import constants as hub_constants
    except ImportError:
        return None
    if hub_constants.HF_HUB_OFFLINE:
        return None
    try:
        sha = HfApi().dataset_info(spec.path).sha
    except Exception:  # any Hub failure: the load below reports it, or the suite is unpinned
        return None
    return str(sha) if sha else None


def _open(ds_lib: Any, spec: HfSpec, revision: str | None) -> Any:
    from tightrope.hfscope import quiet_datasets

    try:
        with quiet_datasets():
            if spec.local:
                folder = Path(spec.path).expanduser()
                if (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file():
                    return ds_lib.load_from_disk(str(folder))
                return ds_lib.load_dataset(str(folder), name=spec.config)
            return ds_lib.load_dataset(spec.path, name=spec.config, revision=revision)
    # The datasets library raises many types for a wrong name, config, revision, missing token
    # or offline cache miss (FileNotFoundError, ValueError, ConnectionError, its own errors);
    # all of them are bad input here, reported as one line.
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(
            f"hf:{spec.display}: cannot load the dataset ({first}); check the name, config and "
            "revision (and HF_TOKEN for a gated dataset, or the cache when offline)"
        ) from None


def _pick_split(data: Any, split: str | None, spec: HfSpec) -> tuple[str, Any]:
    if not hasattr(data, "keys"):  # a single Dataset saved with save_to_disk
        name = str(getattr(data, "split", None) or "train")
        if split and split != name:
            raise InputError(
                f"hf:{spec.display}: no split {split!r} (it has one split, {name!r}); "
                f"use #{name} or drop the split"
            )
        return name, data
    names = [str(k) for k in data]
    if split is not None:
        if split not in names:
            raise InputError(
                f"hf:{spec.display}: no split {split!r} (splits: {', '.join(names)}); "
                "name one of them"
            )
        return split, data[split]
    if len(names) == 1:
        return names[0], data[names[0]]
    if "test" in names:
        return "test", data["test"]
    raise InputError(
        f"hf:{spec.display}: several splits ({', '.join(names)}) and no 'test'; choose one with "
        f"#SPLIT (e.g. hf:{spec.display}#{names[0]}) or split: in a YAML suite"
    )


def _checksum(
    spec: HfSpec,
    revision: str | None,
    split: str,
    columns: tuple[str, ...],
    rows: tuple[Row, ...],
) -> str:
    """Return the SHA-256 of the spec, revision, split, columns and every row, in order."""
    h = hashlib.sha256()
    head = {
        "path": spec.path if not spec.local else Path(spec.path).name,
        "config": spec.config,
        "revision": revision,
        "split": split,
        "columns": list(columns),
    }
    h.update(json.dumps(head, sort_keys=True).encode("utf-8") + b"\n")
    for row in rows:
        line = json.dumps(row.values, sort_keys=True, ensure_ascii=False, default=str)
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()
