"""Read CSV, JSONL and Parquet bytes into rows that remember where they came from.

Every problem becomes one `InputError` line naming the file, the line (or Parquet row) and the
column, and saying what to fix, so a bad file never produces a traceback or half a suite.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tightrope.errors import InputError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based line (CSV/JSONL start line, Parquet row) and its values."""

    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Table:
    """The rows of one file, with the file's name for messages."""

    source: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    unit: str = "line"
    extra: dict[str, Any] = field(default_factory=dict)

    def where(self, row: Row | None = None) -> str:
        """Return 'FILE:LINE' (or 'FILE: row N' for Parquet) for messages."""
        if row is None:
            return self.source
        return (
            f"{self.source}:{row.line}" if self.unit == "line" else f"{self.source}: row {row.line}"
        )

    def error(self, row: Row | None, column: str | None, message: str) -> InputError:
        """Return an InputError located at `row` and `column`."""
        col = f" column {column!r}:" if column else ""
        return InputError(f"{self.where(row)}:{col} {message}")

    def require(self, columns: Iterable[str], *, fix: str = "") -> None:
        """Raise InputError unless every one of `columns` is present."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            have = ", ".join(self.columns) or "(none)"
            hint = f"; {fix}" if fix else ""
            raise InputError(
                f"{self.source}:1: missing column {missing[0]!r} (columns: {have}){hint}"
            )

    def text(self, row: Row, column: str) -> str:
        """Return a cell as text: None becomes '', numbers and booleans their str().

        A list, an object or a non-finite number is an InputError at the row and column: its
        Python str() is not the prompt anyone meant to send.
        """
        value = row.values.get(column)
        if isinstance(value, list | tuple | dict):
            kind = "an object" if isinstance(value, dict) else "a list"
            raise self.error(row, column, f"{kind} where text was expected; write a string")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(row, column, f"{value} where text was expected; write a string")
        return cell_text(value)


def cell_text(value: Any) -> str:
    """Return a cell value as text ('' for missing)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def decode(data: bytes, source: str, *, encoding: str = "utf-8") -> str:
    """Return `data` decoded; undecodable bytes raise InputError with line and column."""
    offset = 0
    if encoding.lower().replace("_", "-") == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        offset = 3
    try:
        return data[offset:].decode(encoding)
    except UnicodeDecodeError as exc:
        start = exc.start + offset
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise InputError(
            f"{source}:{line}:{col}: byte 0x{data[start]:02x} is not valid {encoding.upper()}; "
            f"save the file as {encoding.upper()}"
        ) from None


def _empty(source: str) -> InputError:
    return InputError(
        f"{source}:1: empty file (no data rows); add at least one row below the header"
    )


def parse_csv(data: bytes, source: str, *, encoding: str = "utf-8") -> Table:
    """Return the rows of a CSV file with a header line (RFC 4180 quoting, any line endings)."""
    text = decode(data, source, encoding=encoding)
    if not text.strip():
        raise _empty(source)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    header: list[str] | None = None
    last = 0
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if header is None:
                header = [h.strip() for h in record]
                _check_header(header, source)
                continue
            if len(record) > len(header):
                raise InputError(
                    f"{source}:{start}: {len(record)} fields but the header has {len(header)}; "
                    "quote fields that contain commas"
                )
            padded = record + [""] * (len(header) - len(record))
            rows.append(Row(start, dict(zip(header, padded, strict=True))))
    except csv.Error as exc:
        raise InputError(
            f"{source}:{reader.line_num}: malformed CSV ({exc}); check the quoting"
        ) from None
    if header is None or not rows:
        raise _empty(source)
    return Table(source, tuple(header), tuple(rows))


def _check_header(header: list[str], source: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name:
            raise InputError(f"{source}:1: header field {i} is empty; name every column")
        if name in seen:
            raise InputError(f"{source}:1: column {name!r} appears twice; rename one of them")
        seen.add(name)


def parse_jsonl(data: bytes, source: str) -> Table:
    """Return the rows of a JSON Lines file: one JSON object per non-blank line."""
    text = decode(data, source)
    rows: list[Row] = []
    columns: dict[str, None] = {}
    # Split on "\n" only: str.splitlines() also splits on U+0085/U+2028 inside a JSON string
    # (which tightrope's own JSONL export writes unescaped), breaking valid lines apart.
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}:{n}:{exc.colno}: invalid JSON ({exc.msg}); write one JSON object per line"
            ) from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, 10,000 nested [
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise InputError(
                f"{source}:{n}: JSON this reader refuses ({reason[:80]}); simplify the line"
            ) from None
        if not isinstance(value, dict):
            raise InputError(
                f"{source}:{n}: a JSON {type(value).__name__} where an object was expected; "
                'write one object per line, e.g. {"text": "...", "side": "benign"}'
            )
        columns.update(dict.fromkeys(str(k) for k in value))
        rows.append(Row(n, {str(k): v for k, v in value.items()}))
    if not rows:
        raise _empty(source)
    return Table(source, tuple(columns), tuple(rows))


def parse_parquet(data: bytes, source: str) -> Table:
    """Return the rows of a Parquet file (needs the optional `parquet` extra: pyarrow)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            f"{source}: reading Parquet needs pyarrow; install it with "
            "pip install 'tightrope[parquet]'"
        ) from None
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"{source}: not a readable Parquet file ({first}); check the file"
        ) from None
    records: list[dict[str, Any]] = table.to_pylist()
    if not records:
        raise _empty(source)
    columns = tuple(str(c) for c in table.column_names)
    return Table(
        source, columns, tuple(Row(i, dict(r)) for i, r in enumerate(records, start=1)), unit="row"
    )


def parse_table(data: bytes, source: str, suffix: str) -> Table:
    """Return the rows of a CSV, JSONL or Parquet file, chosen by its `suffix`."""
    suffix = suffix.lower()
    if suffix == ".csv":
        return parse_csv(data, source)
    if suffix in {".jsonl", ".ndjson"}:
        return parse_jsonl(data, source)
    if suffix == ".parquet":
        return parse_parquet(data, source)
    raise InputError(f"{source}: unsupported file type {suffix!r}; use .csv, .jsonl or .parquet")
