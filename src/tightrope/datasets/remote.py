"""Public data files: pinned upstream URL + SHA-256, fetched once, verified on every load.

Where a file is read from:

1. `TIGHTROPE_DATA_DIR` set: that folder is a local mirror with the layout of `shared/data`
   (`harmbench/harmbench_behaviors_text_all.csv`, ...). It is authoritative: a missing file is an
   error, never a download, so tests and air-gapped machines never touch the network.
2. Otherwise the user cache (`$TIGHTROPE_CACHE_DIR/datasets`, default the platform's user cache
   folder), filled on first use by a download from the pinned URL.

Every read checks the bytes against the pinned SHA-256. A file without a pinned hash (upstream
offers no copy we could hash) is trusted on first download: its hash is recorded beside it and
checked from then on. A mismatch is an error naming the file and the fix, never a silent reload.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tightrope._version import __version__
from tightrope.errors import InputError

CHUNK = 1 << 16
TIMEOUT_S = 60.0


class ChecksumError(InputError):
    """A data file's bytes differ from its pinned (or recorded) SHA-256."""


class DownloadError(InputError):
    """A data file could not be fetched (offline, HTTP error, unreachable host)."""


@dataclass(frozen=True)
class RemoteFile:
    """One public data file: where it lives in a mirror, where upstream keeps it, its hash.

    `revision` is the upstream commit (GitHub) or dataset revision (Hugging Face) in the URL.
    """

    dataset: str
    path: str
    url: str
    sha256: str | None
    revision: str = ""

    @property
    def name(self) -> str:
        """The file name, for messages."""
        return Path(self.path).name


def data_dir() -> Path | None:
    """Return the local mirror folder from TIGHTROPE_DATA_DIR, or None when unset."""
    env = os.environ.get("TIGHTROPE_DATA_DIR")
    return Path(env).expanduser() if env else None


def cache_dir() -> Path:
    """Return the folder of downloaded data: $TIGHTROPE_CACHE_DIR/datasets or the user cache."""
    env = os.environ.get("TIGHTROPE_CACHE_DIR")
    root = Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("tightrope"))
    return root / "datasets"


def offline() -> bool:
    """Return True when TIGHTROPE_OFFLINE forbids downloads."""
    return os.environ.get("TIGHTROPE_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def local_path(f: RemoteFile) -> Path:
    """Return where `f` is read from: the mirror when TIGHTROPE_DATA_DIR is set, else the cache."""
    mirror = data_dir()
    return (mirror if mirror is not None else cache_dir()) / f.path


def is_present(f: RemoteFile) -> bool:
    """Return True when `f` can be read without a download."""
    return local_path(f).is_file()


def read_verified(f: RemoteFile, *, download: bool = True) -> bytes:
    """Return the bytes of `f`, verified; download it into the cache first when needed."""
    path = local_path(f)
    mirror = data_dir()
    if mirror is not None:
        if not path.is_file():
            raise InputError(
                f"{path}: not found in TIGHTROPE_DATA_DIR ({mirror}); put {f.name} there "
                f"(upstream: {f.url}) or unset TIGHTROPE_DATA_DIR to download it"
            )
        data = path.read_bytes()
        if f.sha256 is not None:
            _check(data, f.sha256, f"{path}: does not match the pinned file", f)
        return data
    if not path.is_file():
        if not download:
            raise DownloadError(
                f"{f.name} of suite {f.dataset!r} is not downloaded; run "
                f"`tightrope datasets fetch {f.dataset}`"
            )
        fetch(f)
    data = path.read_bytes()
    expected = f.sha256 or _recorded(path, f)
    _check(
        data,
        expected,
        f"{path}: cached file changed since it was fetched; delete it and run "
        f"`tightrope datasets fetch {f.dataset}` to download it again",
        f,
    )
    return data


def fetch(f: RemoteFile) -> Path:
    """Make `f` available locally (download once) and verify it; return its path."""
    path = local_path(f)
    if path.is_file() or data_dir() is not None:
        read_verified(f, download=False)
        return path
    if offline():
        raise DownloadError(
            f"{f.name} of suite {f.dataset!r} is not cached and TIGHTROPE_OFFLINE is set; "
            f"fetch it on a connected machine or set TIGHTROPE_DATA_DIR to a mirror"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = _download(f, path)
    if f.sha256 is None:
        _sidecar(path).write_text(digest + "\n", encoding="utf-8")
    return path


def _download(f: RemoteFile, dest: Path) -> str:
    """Download `f.url` to `dest` atomically; return its SHA-256. Nothing is left on failure."""
    part = dest.with_name(dest.name + ".part")
    sys.stderr.write(f"fetching {f.url}\n")
    request = urllib.request.Request(f.url, headers={"User-Agent": f"tightrope/{__version__}"})
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp, part.open("wb") as out:
            while chunk := resp.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise DownloadError(
            f"cannot download {f.url}: {reason}; check the network, or set "
            f"TIGHTROPE_DATA_DIR to a folder holding {f.path}"
        ) from None
    digest = h.hexdigest()
    if f.sha256 is not None and digest != f.sha256:
        part.unlink(missing_ok=True)
        raise ChecksumError(
            f"download of {f.url} has sha256 {digest}, expected {f.sha256}: the upstream file "
            f"changed or the transfer was corrupted; nothing was saved"
        )
    os.replace(part, dest)
    return digest


def _check(data: bytes, expected: str, message: str, f: RemoteFile) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumError(f"{message} (sha256 {actual}, expected {expected}; {f.url})")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _recorded(path: Path, f: RemoteFile) -> str:
    """Return the hash recorded when an unpinned file was first downloaded."""
    side = _sidecar(path)
    if not side.is_file():
        raise ChecksumError(
            f"{path}: no recorded sha256 for this unpinned file; delete it and run "
            f"`tightrope datasets fetch {f.dataset}`"
        )
    return side.read_text(encoding="utf-8").strip()
