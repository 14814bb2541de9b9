"""The store's boundary: every `sqlite3` error leaves the store as one line naming the file and fix.

SQLite reports a damaged page, a full disk, a read-only folder or a busy lock as
`sqlite3.Error`s with terse messages; a command that met one printed a traceback. `guarded`
wraps every public method of the store (generators included) so callers only ever see
`StoreError`, whose message says what happened to which file and what to do about it.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tightrope.errors import StoreError

T = TypeVar("T")


def store_error(path: Path, exc: BaseException) -> StoreError:
    """Return the one-line StoreError for a `sqlite3` error raised on the store at `path`."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    low = text.lower()
    if any(word in low for word in ("malformed", "not a database", "corrupt")):
        fix = (
            f"the store is damaged; recover what it holds with `sqlite3 {path} .recover | "
            "sqlite3 recovered.db`, or move it aside and pass another --out folder"
        )
    elif "full" in low or "disk i/o" in low:
        fix = "the disk is full or failing; free space and give the same command again (it resumes)"
    elif "readonly" in low or "read-only" in low:
        fix = (
            f"the store is read-only here; make {path.parent} writable or pass another --out folder"
        )
    elif "locked" in low or "busy" in low:
        fix = "another process is writing this store; wait for it to finish or pass another --out"
    elif "closed" in low:
        fix = "the store was closed; open it again"
    else:
        fix = "check the file, or pass another --out folder"
    return StoreError(f"{path}: {text}; {fix}")


def guarded(cls: type[T]) -> type[T]:
    """Wrap every public method of a store class so `sqlite3.Error` becomes `StoreError`.

    The instance must have a `path` attribute (the store file) by the time a method runs.
    """
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        setattr(cls, name, _wrap(member))
    return cls


def _wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise store_error(self.path, exc) from None

        return gen

    @functools.wraps(fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    return call
