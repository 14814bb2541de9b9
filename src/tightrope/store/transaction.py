"""One write transaction on a store's connection, shared by `Store` and the tables mixed into it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Yield `conn` inside a write transaction (BEGIN IMMEDIATE), committed on exit and rolled
    back on any exception; inside a transaction already open, the outer one commits."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
