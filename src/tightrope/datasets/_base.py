"""The dataset extension point: a suite of behaviors with its version and checksum.

A suite is named on the command line by a spec, `NAME` or `NAME:ARG` (`harmbench:val`,
`file:prompts.csv`). Each registered dataset has a factory and a `DatasetInfo` that says what it
is (rows, license, citation, upstream home) and which argument it takes, so listings and
validation never have to load the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tightrope.datasets.sampling import stratified_sample, units_of
from tightrope.errors import InputError
from tightrope.records import Behavior
from tightrope.registry import SUITES_GROUP, Registry

FILE_SUFFIXES = (".csv", ".jsonl", ".parquet", ".yaml", ".yml")


class Suite(BaseModel):
    """A named, versioned list of behaviors; `checksum` pins the exact content loaded."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    checksum: str
    behaviors: tuple[Behavior, ...]
    license: str = ""
    citation: str = ""
    notes: tuple[str, ...] = ()

    def limit(self, n: int | None) -> Suite:
        """Return the first `n` behaviors, rounded up so that no matched pair is split.

        The first `n` behaviors are taken, then the twin of any taken behavior that is not
        (`--limit 3` on a suite of adjacent pairs gives 4). The original order is kept.
        """
        if n is None or n >= len(self.behaviors):
            return self
        taken: set[int] = set()
        for unit in units_of(self.behaviors):
            if unit[0] < n:
                taken.update(unit)
        picked = tuple(self.behaviors[i] for i in sorted(taken))
        return self.model_copy(update={"behaviors": picked})

    def sample(self, n: int | None, *, seed: int = 0) -> Suite:
        """Return a stratified sample of `n` behaviors (by category, pairs kept together)."""
        if n is None or n >= len(self.behaviors):
            return self
        picked = stratified_sample(self.behaviors, n, seed=seed)
        return self.model_copy(update={"behaviors": picked})


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, for listings and docs: no data is read to build one."""

    rows: str = ""
    license: str = ""
    citation: str = ""
    url: str = ""
    files: tuple[str, ...] = ()
    args: str = ""
    check: Callable[[str | None], None] | None = None
    # The judges a run of this suite uses when it names none (the suite's own success check,
    # e.g. Tensor Trust's); empty: the run's usual default judges.
    judges: tuple[str, ...] = ()


datasets: Registry[Suite] = Registry("suite", entry_point_group=SUITES_GROUP)
_INFO: dict[str, DatasetInfo] = {}


def dataset(
    name: str, *, info: DatasetInfo | None = None, help: str = ""
) -> Callable[[Callable[..., Suite]], Callable[..., Suite]]:
    """Return a decorator registering a suite factory under `name`, with its `info`.

    A factory whose info declares `args` is called with the text after `NAME:` (or None);
    any other factory is called with no argument.
    """
    register = datasets.register(name, help=help)

    def decorate(factory: Callable[..., Suite]) -> Callable[..., Suite]:
        registered = register(factory)  # first: a name registered twice keeps its first info
        _INFO[name] = info or DatasetInfo()
        return registered

    return decorate


def dataset_info(name: str) -> DatasetInfo:
    """Return the `DatasetInfo` of a registered name (UnknownNameError lists the valid ones)."""
    datasets.get(name)
    return _INFO.get(name, DatasetInfo())


def parse_suite_spec(spec: str) -> tuple[str, str | None]:
    """Return (name, argument) of a suite spec; a bare data or YAML file path means `file:`."""
    spec = spec.strip()
    if not spec:
        raise InputError("empty suite name; give a suite name such as starter, or file:PATH")
    name, sep, arg = spec.partition(":")
    if sep and name in datasets:
        return name, arg
    if name not in datasets and Path(spec).suffix.lower() in FILE_SUFFIXES:
        return "file", spec
    return name, (arg if sep else None)


def check_suite_spec(spec: str) -> None:
    """Validate a suite spec without loading data; raise InputError saying what to fix."""
    name, arg = parse_suite_spec(spec)
    info = dataset_info(name)
    if arg is not None and not info.args:
        raise InputError(f"suite {name!r} takes no argument; give --suite {name}")
    if info.check is not None:
        info.check(arg)


def load_suite(spec: str) -> Suite:
    """Return the suite named by `spec` (`NAME` or `NAME:ARG`), loaded and verified."""
    check_suite_spec(spec)
    name, arg = parse_suite_spec(spec)
    factory = datasets.get(name)
    if dataset_info(name).args:
        return factory(arg)
    return factory()


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 hex digest of `data`."""
    return hashlib.sha256(data).hexdigest()


def combined_checksum(parts: Sequence[tuple[str, str]]) -> str:
    """Return one checksum over several named (name, sha256) parts, in the order given."""
    text = "".join(f"{digest}  {name}\n" for name, digest in parts)
    return sha256_hex(text.encode("utf-8"))


def split_args(arg: str | None) -> list[str]:
    """Return the comma-separated tokens of a suite argument, lower-cased, blanks dropped."""
    if not arg:
        return []
    return [t.strip().lower() for t in arg.split(",") if t.strip()]


def make_suite(
    name: str,
    version: str,
    checksum: str,
    behaviors: Sequence[Behavior],
    info: DatasetInfo,
    **extra: Any,
) -> Suite:
    """Return a Suite carrying the license and citation of `info`."""
    return Suite(
        name=name,
        version=version,
        checksum=checksum,
        behaviors=tuple(behaviors),
        license=info.license,
        citation=info.citation,
        **extra,
    )
