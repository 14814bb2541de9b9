"""The one way tightrope reads YAML the user wrote: safe tags, bounded aliases, bounded depth.

PyYAML composes aliases as shared nodes, so a few lines (`&a [x, x, ...]`, `&b [*a, *a, ...]`,
...) stand for a billion values: harmless until something walks the data, a `repr` in an error
message or a hash of the config, which then takes megabytes or all the memory. `compose`
refuses a document whose aliases expand it by more than `MAX_ALIAS_NODES` nodes, or that
contains itself, with one line naming the file and the line; deep nesting that would exhaust
Python's stack is one line too. Every reader of user YAML (suites, `--target-config`, gate
policies, price tables) goes through here; YAML syntax errors are left to the caller, which
words them for its file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tightrope.errors import InputError

# Nodes that aliases may add beyond those written out: far above what any settings file, suite
# or policy needs, far below what makes an error message or a hash slow.
MAX_ALIAS_NODES = 10_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def check_aliases(root: yaml.Node | None, path: Path | str, limit: int = MAX_ALIAS_NODES) -> None:
    """Raise InputError when aliases expand `root` by more than `limit` nodes or make a loop.

    The expanded size of every node is counted once (iteratively, so depth costs no stack);
    the line named is that of the first node, innermost first, that is over the bound.
    """
    if root is None:
        return
    size: dict[int, int] = {}
    order: list[yaml.Node] = []
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            order.append(node)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise InputError(
                f"{path}:{_line(node)}: a YAML alias refers to the node that contains it; "
                "write the value out instead of the alias"
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_children(node)) if id(c) not in size)
    bound = len(size) + limit
    if size[id(root)] <= bound:
        return
    first = next(n for n in order if size[id(n)] > bound)
    raise InputError(
        f"{path}:{_line(first)}: YAML aliases expand this document to over {bound:,} values "
        f"(an alias bomb?); write the values out or use fewer aliases"
    )


def compose(text: str, path: Path | str) -> yaml.Node | None:
    """Return the node tree of one YAML document, aliases and depth checked (see module doc).

    Syntax errors raise yaml.YAMLError for the caller to word.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InputError(f"{path}: the YAML is nested too deeply; flatten it") from None
    check_aliases(root, path)
    return root


def construct(root: yaml.Node | None, path: Path | str) -> Any:
    """Return the Python data of a node tree from `compose` (safe tags only)."""
    if root is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    except RecursionError:
        raise InputError(f"{path}: the YAML is nested too deeply; flatten it") from None
    finally:
        loader.dispose()


def load(text: str, path: Path | str) -> tuple[yaml.Node | None, Any]:
    """Return (node tree, data) of one YAML document: `compose` then `construct`."""
    root = compose(text, path)
    return root, construct(root, path)


def read_file(path: Path, what: str) -> tuple[str, yaml.Node | None, Any]:
    """Return (text, node tree, data) of the YAML file at `path`, a file the user wrote.

    An unreadable file or a syntax error is one InputError naming `what` the file is meant to be
    ("the run config") or the line and column of the error, with the fix.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read {what} ({exc})") from None
    try:
        return (text, *load(text, path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise InputError(f"{path}{where}: not valid YAML; fix the syntax") from None
