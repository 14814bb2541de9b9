"""YAML suites: one file that combines suites and user files, and sub-samples them.

```yaml
name: my-eval              # required
version: "2"               # optional, default "1"
sample: 200                # optional: stratified sample of the combined suite (seed: 0)
sources:                   # required, at least one
  - suite: jbb             # any --suite spec
    sample: 40             # optional per source: sample, seed, limit
  - file: prompts.csv      # a CSV / JSONL / Parquet file, relative to this YAML file
    columns: {text: question, side: label, id: qid}
    category: S2           # every row this category (instead of a category column)
    sides: {attack: harmful, control: benign}
  - hf: acme/prompts:en@3f2a1b9c   # a Hugging Face dataset (hf.py), same column mapping keys
    split: test
```

The checksum covers the YAML bytes and the checksum of every source, in order. Errors name the
YAML file and the line of the offending source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tightrope import yamlsafe
from tightrope.datasets._base import Suite, combined_checksum, load_suite, sha256_hex
from tightrope.datasets.mapping import normalize
from tightrope.datasets.tabular import decode
from tightrope.datasets.userfile import (
    SIDE_WORDS,
    ColumnMapping,
    FileSpec,
    load_file,
    resolve_category,
)
from tightrope.errors import InputError
from tightrope.records import Behavior, Side

TOP_KEYS = {
    "name",
    "version",
    "description",
    "license",
    "citation",
    "sources",
    "sample",
    "seed",
    "limit",
}
COMMON_KEYS = {"sample", "seed", "limit"}
MAPPING_KEYS = {"columns", "side", "category", "sides", "categories"}
FILE_KEYS = {"file"} | MAPPING_KEYS | COMMON_KEYS
HF_KEYS = {"hf", "split"} | MAPPING_KEYS | COMMON_KEYS
SUITE_KEYS = {"suite"} | COMMON_KEYS
MAX_DEPTH = 4

_loading: list[Path] = []


def load_yaml_suite(path: Path) -> Suite:
    """Return the suite a YAML suite file describes, every source loaded and verified."""
    resolved = path.resolve()
    if resolved in _loading or len(_loading) >= MAX_DEPTH:
        raise InputError(
            f"{path}: YAML suites include each other in a loop or nest over {MAX_DEPTH} deep; "
            "remove the cycle"
        )
    _loading.append(resolved)
    try:
        return _load(path)
    finally:
        _loading.pop()


def _load(path: Path) -> Suite:
    raw = path.read_bytes()
    text = decode(raw, str(path))
    try:
        root, doc = yamlsafe.load(text, path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"{where}: invalid YAML ({problem}); fix the syntax") from None
    if not isinstance(doc, dict) or root is None:
        raise InputError(f"{path}:1: a YAML suite is a mapping with name: and sources:")
    _keys(doc, TOP_KEYS, f"{path}:1")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{path}:1: missing name:; give the suite a name")
    items = doc.get("sources")
    if not isinstance(items, list) or not items:
        raise InputError(f"{path}:1: missing sources:; list at least one suite: or file:")
    lines = _item_lines(root)
    parts: list[tuple[str, str]] = [(path.name, sha256_hex(raw))]
    behaviors: list[Behavior] = []
    origin: dict[str, int] = {}
    for i, item in enumerate(items):
        where = f"{path}:{lines[i] if i < len(lines) else 1}"
        suite = _source(item, path.parent, where)
        parts.append((f"{suite.name}@{suite.version}", suite.checksum))
        for b in suite.behaviors:
            if b.id in origin:
                raise InputError(
                    f"{where}: behavior id {b.id!r} also comes from source {origin[b.id] + 1}; "
                    "give each source once, or use distinct ids"
                )
            origin[b.id] = i
            behaviors.append(b)
    suite = Suite(
        name=name.strip(),
        version=str(doc.get("version", "1")),
        checksum=combined_checksum(parts),
        behaviors=tuple(behaviors),
        license=str(doc.get("license", "")),
        citation=str(doc.get("citation", "")),
    )
    return _subsample(suite, doc, f"{path}:1")


def _source(item: Any, base: Path, where: str) -> Suite:
    if not isinstance(item, dict):
        raise InputError(f"{where}: each source is a mapping with suite: or file:")
    if sum(key in item for key in ("suite", "file", "hf")) != 1:
        raise InputError(f"{where}: give exactly one of suite:, file: or hf: in each source")
    if "hf" in item:
        _keys(item, HF_KEYS, where)
        suite = _hf_source(item, base, where)
    elif "suite" in item:
        _keys(item, SUITE_KEYS, where)
        spec = str(item["suite"])
        name, _, rest = spec.partition(":")
        if name == "file" and rest and not Path(rest).is_absolute():
            spec = f"file:{base / rest}"
        suite = load_suite(spec)
    else:
        _keys(item, FILE_KEYS, where)
        suite = load_file(_file_spec(item, base, where))
    return _subsample(suite, item, where)


def _file_spec(item: dict[str, Any], base: Path, where: str) -> FileSpec:
    path = Path(str(item["file"])).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise InputError(f"{where}: file {item['file']!r} not found (relative to {base})")
    return FileSpec(path=path, **_column_mapping(item, where))


def _hf_source(item: dict[str, Any], base: Path, where: str) -> Suite:
    """Return the suite of an `hf:` source: a Hub dataset or a folder relative to the YAML."""
    from tightrope.datasets.hf import load_hf, parse_hf_spec

    arg = str(item["hf"])
    local = Path(arg.partition(":")[0]).expanduser()
    if not local.is_absolute() and (base / local).is_dir():
        arg = str(base / arg)
    split = item.get("split")
    if split is not None and (not isinstance(split, str) or not split.strip()):
        raise InputError(f"{where}: split: must be a split name such as test")
    mapping = ColumnMapping(**_column_mapping(item, where))
    try:
        return load_hf(parse_hf_spec(arg), mapping, split=split)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _column_mapping(item: dict[str, Any], where: str) -> dict[str, Any]:
    """Return the ColumnMapping fields of a source (columns, side, category, value maps)."""
    columns = _mapping(item.get("columns", {}), "columns", where)
    sides: dict[str, Side] = {}
    for key, value in _mapping(item.get("sides", {}), "sides", where).items():
        sides[normalize(key)] = _side_word(value, where)
    categories = {
        normalize(k): _code(v, where)
        for k, v in _mapping(item.get("categories", {}), "categories", where).items()
    }
    return {
        "columns": columns,
        "side": _side_word(item["side"], where) if "side" in item else None,
        "category": _code(item["category"], where) if "category" in item else None,
        "sides": sides,
        "categories": categories,
    }


def _subsample(suite: Suite, options: dict[str, Any], where: str) -> Suite:
    sample = _count(options, "sample", where)
    limit = _count(options, "limit", where)
    seed = options.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise InputError(f"{where}: seed: must be an integer")
    return suite.sample(sample, seed=seed).limit(limit)


def _count(options: dict[str, Any], key: str, where: str) -> int | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{where}: {key}: must be a whole number of at least 1")
    return value


def _keys(mapping: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        raise InputError(
            f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(allowed))}"
        )


def _mapping(value: Any, key: str, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InputError(f"{where}: {key}: must be a mapping, e.g. {key}: {{a: b}}")
    return {str(k): str(v) for k, v in value.items()}


def _side_word(value: Any, where: str) -> Side:
    side = SIDE_WORDS.get(normalize(str(value)))
    if side is None:
        raise InputError(f"{where}: side {value!r} is not harmful or benign")
    return side


def _code(value: Any, where: str) -> str:
    code = resolve_category(str(value))
    if code is None:
        raise InputError(f"{where}: category {value!r} is not one of S1-S14 or a hazard name")
    return code


def _item_lines(root: yaml.Node) -> list[int]:
    """Return the 1-based line of each item under `sources:` in the composed YAML tree."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "sources"
            and isinstance(value, yaml.SequenceNode)
        ):
            return [item.start_mark.line + 1 for item in value.value]
    return []
