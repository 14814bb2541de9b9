"""A sweep file: a grid of runs (targets x suites x attacks x judges) in one YAML file.

    name: nightly                      # the sweep's name in the store (default: the file's stem)
    axes:
      target: [openai:gpt-4o-mini, openai-compatible:http://127.0.0.1:8000/v1#m]
      attack: [base64, rot13]
      suite: starter                   # one value: every cell uses it
      judge: [refusal, [refusal, harmbench-cls]]   # a list value: several in one cell
    exclude:
      - {target: openai:gpt-4o-mini, attack: rot13}
    limit: 50                          # every other key: as in `tightrope run --config`,
    concurrency: 64                    # shared by every cell

Every combination of the axes' values, less the excluded ones, is a cell; each cell is one run
(`direct` runs in every cell as in every run). Bad input is one line naming the file, the line
and the fix (`InputError`), before anything is written.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tightrope import yamlsafe
from tightrope.errors import InputError
from tightrope.run.run_file import run_file_values

# The axes a sweep may vary, each the `tightrope run` option (a list) it sets.
AXES = ("target", "suite", "attack", "judge")
_AXIS_ALIASES = {"targets": "target", "suites": "suite", "attacks": "attack", "judges": "judge"}
# Options of a run file that make no sense shared by a sweep's cells.
_NOT_SHARED = frozenset({"resume", "dry_run"})


@dataclass(frozen=True)
class CellSpec:
    """One cell of a sweep: its key, its label per axis and the options of its run."""

    key: str
    labels: dict[str, str]
    options: dict[str, list[str]]


@dataclass(frozen=True)
class SweepFile:
    """A sweep file read and checked: its name, shared values, axes and cells."""

    path: Path
    text: str
    name: str
    shared: dict[str, Any]
    axes: dict[str, list[list[str]]]
    cells: list[CellSpec] = field(default_factory=list)

    def definition(self) -> dict[str, Any]:
        """Return what defines the sweep (shared values, axes, cells), as stored with it."""
        return {
            "shared": self.shared,
            "axes": self.axes,
            "cells": [c.key for c in self.cells],
        }


def label(value: list[str]) -> str:
    """Return the label of an axis value: the name, or the names joined by '+'."""
    return "+".join(value)


def load_sweep_file(path: Path) -> SweepFile:
    """Return the sweep file at `path` read and checked; InputError (file:line: fix) if bad."""
    text, node, data = yamlsafe.read_file(path, "the sweep file")
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise InputError(f"{path}:1: a sweep file is a mapping with `axes:` (see docs/scaling.md)")
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    data = dict(data)
    name = data.pop("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{path}:{lines.get('name', 1)}: name takes a non-empty string")
    axes = _axes(path, data.pop("axes", None), lines.get("axes", 1))
    exclude = _exclusions(path, data.pop("exclude", None) or [], lines.get("exclude", 1), axes)
    shared = run_file_values(path, data, lines)
    for key in shared:
        if key in AXES and key in axes:
            raise InputError(
                f"{path}:{lines.get(key, 1)}: {key} is an axis of this sweep; give it under "
                "`axes:` or as a shared key, not both"
            )
        if key in _NOT_SHARED:
            raise InputError(f"{path}:{lines.get(key, 1)}: {key} has no meaning in a sweep file")
    cells = []
    names = list(axes)
    for combo in itertools.product(*(axes[a] for a in names)):
        chosen = dict(zip(names, combo, strict=True))
        if any(_matches(chosen, ex) for ex in exclude):
            continue
        labels = {a: label(v) for a, v in chosen.items()}
        cells.append(
            CellSpec(
                key=" ".join(f"{a}={labels[a]}" for a in names),
                labels=labels,
                options={a: list(v) for a, v in chosen.items()},
            )
        )
    if not cells:
        raise InputError(f"{path}:{lines.get('exclude', 1)}: the exclusions leave no cell to run")
    return SweepFile(path=path, text=text, name=name.strip(), shared=shared, axes=axes, cells=cells)


def _values(path: Path, line: int, axis: str, raw: Any) -> list[list[str]]:
    """Return an axis's values: each a list of names (one name, or several in one cell)."""
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise InputError(f"{path}:{line}: axis {axis} takes a name or a list of names")
    out: list[list[str]] = []
    for item in items:
        value = [item] if isinstance(item, str) else item
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise InputError(
                f"{path}:{line}: axis {axis}: each value is a name or a list of names, not {item!r}"
            )
        if value in out:
            raise InputError(f"{path}:{line}: axis {axis} gives {label(value)!r} twice")
        out.append(list(value))
    return out


def _axes(path: Path, raw: Any, line: int) -> dict[str, list[list[str]]]:
    """Return the axes of the file, in the order target, suite, attack, judge."""
    if not isinstance(raw, dict) or not raw:
        raise InputError(
            f"{path}:{line}: give `axes:` a mapping of {', '.join(AXES)} to their values"
        )
    given: dict[str, list[list[str]]] = {}
    for key, value in raw.items():
        axis = _AXIS_ALIASES.get(str(key), str(key))
        if axis not in AXES:
            raise InputError(
                f"{path}:{line}: unknown axis {key!r}; a sweep varies {', '.join(AXES)}"
            )
        if axis in given:
            raise InputError(f"{path}:{line}: axis {axis} is given twice")
        given[axis] = _values(path, line, axis, value)
    return {a: given[a] for a in AXES if a in given}


def _exclusions(
    path: Path, raw: Any, line: int, axes: dict[str, list[list[str]]]
) -> list[dict[str, list[str]]]:
    """Return the exclusions: each maps axes to the labels it excludes (all must match)."""
    if not isinstance(raw, list):
        raise InputError(f"{path}:{line}: exclude takes a list of {{axis: value}} mappings")
    out = []
    for item in raw:
        if not isinstance(item, dict) or not item:
            raise InputError(f"{path}:{line}: each exclusion is a mapping such as {{attack: b64}}")
        rule: dict[str, list[str]] = {}
        for key, value in item.items():
            axis = _AXIS_ALIASES.get(str(key), str(key))
            if axis not in axes:
                raise InputError(
                    f"{path}:{line}: exclusion names {key!r}, which is not an axis of this sweep"
                )
            wanted = [label(v) for v in _values(path, line, axis, value)]
            known = [label(v) for v in axes[axis]]
            for w in wanted:
                if w not in known:
                    raise InputError(
                        f"{path}:{line}: exclusion {axis}={w!r} matches no value of that axis "
                        f"({', '.join(known)})"
                    )
            rule[axis] = wanted
        out.append(rule)
    return out


def _matches(chosen: dict[str, list[str]], rule: dict[str, list[str]]) -> bool:
    """True when a combination falls under an exclusion (every axis it names matches)."""
    return all(label(chosen[a]) in wanted for a, wanted in rule.items())
