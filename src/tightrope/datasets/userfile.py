"""Users' own prompt files: `--suite file:PATH` for CSV, JSONL and Parquet (and YAML suites).

Columns, by default named after their role: `text` (or `prompt`), `side` (harmful / benign;
unsafe / safe also accepted), `category` (S1-S14 or a Llama Guard 3 hazard name), and optional
`id`, `pair`, `context`, `target`, and `system` and `conversation` (messages sent before the
prompt: datasets/conversation.py). A YAML suite (yamlsuite.py) can rename columns, fix a side or
category for every row, and map other side or category values. Every problem is an InputError
naming the file, the line and the column, and saying what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tightrope.datasets._base import FILE_SUFFIXES, DatasetInfo, Suite, dataset, sha256_hex
from tightrope.datasets.conversation import row_conversation
from tightrope.datasets.mapping import normalize
from tightrope.datasets.tabular import Row, Table, parse_table
from tightrope.datasets.taxonomy import CATEGORIES
from tightrope.errors import InputError
from tightrope.records import Behavior, Side

ROLES = (
    "text",
    "side",
    "category",
    "id",
    "pair",
    "context",
    "target",
    "system",
    "conversation",
)
SIDE_WORDS: dict[str, Side] = {
    "harmful": "harmful",
    "benign": "benign",
    "unsafe": "harmful",
    "safe": "benign",
}
_HAZARD_NAMES = {normalize(name): code for code, name in CATEGORIES.items()}
_MAPPING_HINT = "or map it in a YAML suite (see docs/datasets.md)"


@dataclass(frozen=True, kw_only=True)
class ColumnMapping:
    """How to read a table's rows: column names per role, constants and value maps.

    Shared by user files (`FileSpec`) and Hugging Face datasets (`hf:` suites).
    """

    columns: dict[str, str] = field(default_factory=dict)
    side: Side | None = None
    category: str | None = None
    sides: dict[str, Side] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class FileSpec(ColumnMapping):
    """How to read one user file: its path and its column mapping."""

    path: Path


def resolve_category(value: str) -> str | None:
    """Return the S-code of 'S3', 's3' or a hazard name ('Sex-Related Crimes'), else None."""
    text = value.strip()
    if text.upper() in CATEGORIES:
        return text.upper()
    return _HAZARD_NAMES.get(normalize(text))


def check_path(arg: str | None) -> None:
    """Raise InputError unless `arg` names an existing file of a supported type."""
    if not arg:
        raise InputError("file: give a path, e.g. --suite file:prompts.csv")
    path = Path(arg).expanduser()
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise InputError(
            f"{arg}: unsupported file type {path.suffix or '(none)'!r}; "
            "use .csv, .jsonl, .parquet or a .yaml suite"
        )
    if not path.is_file():
        raise InputError(f"{arg}: no such file; check the path given to --suite file:")


INFO = DatasetInfo(
    rows="your .csv, .jsonl or .parquet file, or a .yaml suite",
    license="yours",
    url="docs/datasets.md",
    args="PATH",
    check=check_path,
)


@dataset("file", info=INFO)
def file_suite(arg: str | None = None) -> Suite:
    """Your own prompts: a CSV, JSONL or Parquet file, or a YAML suite combining sources."""
    check_path(arg)
    path = Path(str(arg)).expanduser()
    if path.suffix.lower() in {".yaml", ".yml"}:
        from tightrope.datasets.yamlsuite import load_yaml_suite

        return load_yaml_suite(path)
    return load_file(FileSpec(path=path), display=str(arg))


def load_file(spec: FileSpec, *, display: str | None = None) -> Suite:
    """Return the suite of one user file read as `spec` says; InputError on any bad row."""
    try:
        data = spec.path.read_bytes()
    except OSError as exc:
        raise InputError(f"{spec.path}: cannot read ({exc.strerror}); check the path") from None
    digest = sha256_hex(data)
    table = parse_table(data, display or str(spec.path), spec.path.suffix)
    return build_suite(
        table, spec, name=spec.path.name, version=digest[:12], checksum=digest, stem=spec.path.stem
    )


def build_suite(
    table: Table, spec: ColumnMapping, *, name: str, version: str, checksum: str, stem: str
) -> Suite:
    """Return the suite of `table`'s rows read through `spec`; InputError on any bad row.

    A row without an id column gets `<stem>-<line>` as its id.
    """
    cols = _columns(table, spec)
    source = f"{name}@{version}"
    behaviors: list[Behavior] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        b = _behavior(table, row, cols, spec, source, stem)
        if b.id in first_line:
            raise table.error(
                row,
                cols.get("id", "id"),
                f"duplicate id {b.id!r} (first at {table.unit} {first_line[b.id]}); give every row a "
                "unique id",
            )
        first_line[b.id] = row.line
        behaviors.append(b)
    return Suite(name=name, version=version, checksum=checksum, behaviors=tuple(behaviors))


def _columns(table: Table, spec: ColumnMapping) -> dict[str, str]:
    """Return role -> column for the roles this file provides; InputError if one is missing."""
    unknown = sorted(set(spec.columns) - set(ROLES))
    if unknown:
        raise InputError(
            f"{table.source}: unknown column role {unknown[0]!r}; roles: {', '.join(ROLES)}"
        )
    cols: dict[str, str] = {}
    for role in ROLES:
        if role in spec.columns:
            table.require([spec.columns[role]], fix="fix the column mapping or the header")
            cols[role] = spec.columns[role]
        elif role in table.columns:
            cols[role] = role
    if "text" not in cols and "prompt" in table.columns and "text" not in spec.columns:
        cols["text"] = "prompt"
    needed = [("text", "add a 'text' column with the prompts")]
    if spec.side is None:
        needed.append(("side", "add a 'side' column (harmful or benign)"))
    if spec.category is None:
        needed.append(("category", "add a 'category' column (S1-S14)"))
    for role, fix in needed:
        if role not in cols:
            table.require([role], fix=f"{fix}, {_MAPPING_HINT}")
    return cols


def _behavior(
    table: Table, row: Row, cols: dict[str, str], spec: ColumnMapping, source: str, stem: str
) -> Behavior:
    def value(role: str) -> str:
        return table.text(row, cols[role]).strip() if role in cols else ""

    text = table.text(row, cols["text"])
    if not text.strip():
        raise table.error(row, cols["text"], "empty prompt text; remove the row or fill it in")
    side = spec.side or _side(table, row, cols["side"], value("side"), spec)
    category = spec.category or _category(table, row, cols["category"], value("category"), spec)
    raw_id = value("id")
    if "id" in cols and not raw_id:
        raise table.error(row, cols["id"], "empty id; give every row an id or drop the column")
    return Behavior(
        id=raw_id or f"{stem}-{row.line}",
        text=text,
        side=side,
        category=category,
        source_category=value("category") or category,
        source=source,
        context=value("context") or None,
        pair_id=value("pair") or None,
        target=value("target") or None,
        meta={"line": row.line},
        conversation=row_conversation(
            table, row, system=cols.get("system"), conversation=cols.get("conversation")
        ),
    )


def _side(table: Table, row: Row, column: str, raw: str, spec: ColumnMapping) -> Side:
    key = normalize(raw)
    side = spec.sides.get(key) or SIDE_WORDS.get(key)
    if side is None:
        raise table.error(
            row,
            column,
            f"unknown side {raw!r}; use harmful or benign (unsafe / safe also work), "
            f"{_MAPPING_HINT}",
        )
    return side


def _category(table: Table, row: Row, column: str, raw: str, spec: ColumnMapping) -> str:
    code = spec.categories.get(normalize(raw)) or resolve_category(raw)
    if code is None:
        raise table.error(
            row,
            column,
            f"unknown category {raw!r}; use S1-S14 or a Llama Guard 3 hazard name, {_MAPPING_HINT}",
        )
    return code
