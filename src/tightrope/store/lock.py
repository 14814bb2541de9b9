"""One process per run: an advisory lock file beside the store, named by the run's fingerprint.

Two identical `tightrope run` commands started together would otherwise both work the same run
(no corruption, but every model call made twice). The second one now stops at once with a line
naming the process that holds the run. The lock is `flock`ed, so it is released when its holder
exits, however it exits (a SIGKILLed run leaves no stale lock); on a system without `fcntl`
there is no lock and the store stays consistent as before.

A holder that finishes removes its lock file, so the store's folder does not fill with one file
per run ever made. It unlinks while it still holds the lock, and a process that locks a file
checks that the file is still the one at the path (else it was removed under it: it tries
again), so two processes never hold locks on two different files of one run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tightrope.errors import StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def lock_path(db: Path, fingerprint: str) -> Path:
    """Return the lock file of the run with this fingerprint in the store `db`."""
    return db.with_name(f"{db.name}.{fingerprint[:16]}.lock")


@contextmanager
def run_lock(db: Path, fingerprint: str) -> Iterator[None]:
    """Hold the run's lock for a `with` block; StoreError naming the holder if it is taken."""
    if fcntl is None:
        yield
        return
    path = lock_path(db, fingerprint)
    while True:
        try:
            fh = path.open("a+", encoding="utf-8")
        except OSError:
            # A folder we cannot write: the store refuses writing anyway, with its own message.
            yield
            return
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = " ".join(fh.read().split()) or "another process"
            fh.close()
            raise StoreError(
                f"{db}: this run is being worked by {holder}; wait for it to finish (the same "
                "command then answers from the cache) or stop that process and give it again"
            ) from None
        if _still_at(path, fh.fileno()):
            break
        fh.close()  # its holder removed it between our open and our lock: take the new one
    try:
        fh.seek(0)
        fh.truncate()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        fh.write(f"process {os.getpid()} (since {started})\n")
        fh.flush()
        yield
    finally:
        path.unlink(missing_ok=True)
        fh.close()


def _still_at(path: Path, fd: int) -> bool:
    """Return True when the open file `fd` is the file now at `path`."""
    try:
        now = path.stat()
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)
