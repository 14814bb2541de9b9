"""The run store's SQLite schema and how a store file is opened.

One file (WAL mode) per store folder; the schema is versioned, and a store of another version is
refused with the fix rather than read wrongly.

Version 2 copies the few fields of the stored JSON that the run's own queries filter and group
by into real columns (`COLUMNS`: a behavior's side and category, an attempt's target and attack,
whether a response was filtered and its token usage, a verdict's label), written with each row:
counting failures, usage, the tables and the judge stage's work no longer parse the JSON of
every row (SQLite's `json_extract`). The JSON stays the record; the columns are copies of it.
A version 1 store opened for writing is migrated in one transaction (the columns added and
filled from the JSON); opened read-only it cannot be, so its queries read the JSON as before
(`Store.columns`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from tightrope.errors import StoreError
from tightrope.store.transaction import immediate

SCHEMA_VERSION = "2"
# Versions this tightrope opens: version 1 is migrated when opened for writing.
READABLE_VERSIONS = ("1", "2")
STORE_FILENAME = "tightrope.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    instrument TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_fingerprint ON runs (fingerprint, status);
CREATE TABLE IF NOT EXISTS behaviors (
    run_id TEXT NOT NULL, behavior_id TEXT NOT NULL, data TEXT NOT NULL,
    side TEXT, category TEXT,
    PRIMARY KEY (run_id, behavior_id)
);
CREATE TABLE IF NOT EXISTS attempts (
    run_id TEXT NOT NULL, attempt_id TEXT NOT NULL, behavior_id TEXT NOT NULL,
    cache_key TEXT NOT NULL, data TEXT NOT NULL, target TEXT, attack TEXT,
    PRIMARY KEY (run_id, attempt_id)
);
CREATE TABLE IF NOT EXISTS responses (
    run_id TEXT NOT NULL, attempt_id TEXT NOT NULL, cache_key TEXT NOT NULL,
    ok INTEGER NOT NULL, from_cache INTEGER NOT NULL, data TEXT NOT NULL, filtered INTEGER,
    prompt_tokens INTEGER, completion_tokens INTEGER,
    PRIMARY KEY (run_id, attempt_id)
);
CREATE TABLE IF NOT EXISTS verdicts (
    run_id TEXT NOT NULL, attempt_id TEXT NOT NULL, judge TEXT NOT NULL, data TEXT NOT NULL,
    label TEXT,
    PRIMARY KEY (run_id, attempt_id, judge)
);
CREATE TABLE IF NOT EXISTS cache (
    cache_key TEXT PRIMARY KEY, target TEXT NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL,
    version TEXT
);
CREATE TABLE IF NOT EXISTS sweeps (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
    definition TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sweep_cells (
    sweep TEXT NOT NULL, cell TEXT NOT NULL, position INTEGER NOT NULL, labels TEXT NOT NULL,
    run_id TEXT, PRIMARY KEY (sweep, cell)
);
"""

# Version 2's columns: (table, column, type, its value read from the row's JSON, with `{t}`
# where the row's table alias and a dot go). A version 1 store gets them with ALTER TABLE ADD
# COLUMN (appended after `data`, as in `_SCHEMA`), filled by these expressions; a version 1
# store opened read-only is queried through them (store/queries.py, `col`).
COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("behaviors", "side", "TEXT", "json_extract({t}data, '$.side')"),
    ("behaviors", "category", "TEXT", "json_extract({t}data, '$.category')"),
    ("attempts", "target", "TEXT", "json_extract({t}data, '$.target')"),
    ("attempts", "attack", "TEXT", "json_extract({t}data, '$.attack')"),
    ("responses", "filtered", "INTEGER", "(json_extract({t}data, '$.filtered') IS NOT NULL)"),
    ("responses", "prompt_tokens", "INTEGER", "json_extract({t}data, '$.usage.prompt_tokens')"),
    (
        "responses",
        "completion_tokens",
        "INTEGER",
        "json_extract({t}data, '$.usage.completion_tokens')",
    ),
    ("verdicts", "label", "TEXT", "json_extract({t}data, '$.label')"),
)


def store_file(out: Path) -> Path:
    """Return the store file of `--out`: the path itself when it ends in .db, else FOLDER/tightrope.db."""
    out = Path(out)
    return out if out.suffix == ".db" else out / STORE_FILENAME


def refuse_store_paths(out: Path, outputs: Iterable[Path | None]) -> None:
    """Raise StoreError when an output file would overwrite the store of `out` (or its WAL).

    Reports and exports write where the user says; given the store's own path they would
    replace the runs they were made from.
    """
    db = store_file(out)
    guarded = {_real(db.with_name(db.name + suffix)) for suffix in ("", "-wal", "-shm", "-journal")}
    for output in outputs:
        if output is not None and _real(Path(output)) in guarded:
            raise StoreError(
                f"{output}: that is the run store (or its journal) these runs are read from; "
                "write the report or export to another file"
            )


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def connect(path: Path, *, readonly: bool = False) -> tuple[sqlite3.Connection, Path, bool]:
    """Return a connection to the store at `path` (a file, or a folder holding one), its file,
    and whether it has version 2's columns (`COLUMNS`; else queries read the JSON).

    For writing, creates the folder and schema when needed, migrates a version 1 store and
    refuses a damaged file (`PRAGMA quick_check`) before anything is written. `readonly` opens
    an existing store without creating or changing any file, even in a read-only folder.
    Raises StoreError with the fix when the folder cannot be written or the file is not a
    readable tightrope store.
    """
    path = store_file(path)
    if readonly:
        conn = _connect_readonly(path)
        return conn, path, _version(conn) == SCHEMA_VERSION
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"{path.parent}: cannot create the output folder ({exc.strerror}); "
            "pass a writable folder with --out"
        ) from None
    new = _empty(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            _check_integrity(conn, path)
            # A new store holds nothing yet: its file, WAL mode and schema are written without
            # waiting for the disk (fsync took 20-30 ms of a benchmark run's store opening), and
            # every write after them is synced as in any store (synchronous=NORMAL, WAL).
            conn.execute(f"PRAGMA synchronous={'OFF' if new else 'NORMAL'}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            columns = {r[1] for r in conn.execute("PRAGMA table_info(cache)")}
            if "version" not in columns:
                # Stores written before cache versions: the column is added, old entries have none.
                conn.execute("ALTER TABLE cache ADD COLUMN version TEXT")
            _check_version(conn, path, create=True)
            _migrate(conn)
            if new:
                conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            conn.close()
            raise
    except sqlite3.Error as exc:
        raise _open_error(path, exc) from None
    return conn, path, True


def _empty(path: Path) -> bool:
    """Return True when no store file exists at `path` yet, or an empty one (nothing to lose)."""
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return True


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """Open an existing store for reading only; in a read-only folder, as an immutable file."""
    if not path.is_file():
        raise StoreError(f"{path}: no run store here; pass the folder given to run --out")
    uri = path.absolute().as_uri()
    try:
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, timeout=30)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL store in a folder we cannot write: SQLite cannot make its -shm file, but
            # nobody can be writing it either, so it may be read as immutable.
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
        _check_version(conn, path, create=False)
    except sqlite3.Error as exc:
        raise _open_error(path, exc) from None
    return conn


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to write into a store whose pages are damaged (`PRAGMA quick_check`)."""
    try:
        rows = conn.execute("PRAGMA quick_check(3)").fetchall()
    except sqlite3.DatabaseError as exc:
        if "malformed" not in str(exc):
            raise
        rows = [(str(exc),)]
    if rows and rows[0][0] != "ok":
        first = " ".join(str(rows[0][0]).split())
        raise StoreError(
            f"{path}: damaged (PRAGMA quick_check: {first}); nothing was written. Recover what "
            f"it holds with `sqlite3 {path} .recover | sqlite3 recovered.db`, or move it aside "
            "and pass another --out folder"
        )


def _version(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return None if row is None else str(row[0])


def _check_version(conn: sqlite3.Connection, path: Path, *, create: bool) -> None:
    found = _version(conn)
    if found is None and create:
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
    elif found not in READABLE_VERSIONS:
        raise StoreError(
            f"{path}: store schema version {found or 'none'}, this tightrope reads "
            f"{' and '.join(READABLE_VERSIONS)}; use a new --out folder"
        )


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a version 1 store to version 2 in one transaction: add `COLUMNS` and fill them
    from each row's JSON. Checked again inside the transaction, so two processes opening the
    same old store migrate it once; a kill mid-way leaves version 1 as it was."""
    if _version(conn) == SCHEMA_VERSION:
        return
    with immediate(conn):
        if _version(conn) != SCHEMA_VERSION:
            for table, column, kind, value in COLUMNS:
                have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                conn.execute(f"UPDATE {table} SET {column} = {value.format(t='')}")
            conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (SCHEMA_VERSION,))


def _open_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """Return the StoreError for a store that could not be opened."""
    text = " ".join(str(exc).split())
    if "readonly" in text or "unable to open" in text:
        return StoreError(
            f"{path}: cannot open the store for writing ({text}); make {path.parent} writable "
            "or pass another --out folder"
        )
    return StoreError(
        f"{path}: not a readable tightrope store ({text}); move it aside or pass another "
        "--out folder"
    )
