"""Exceptions that reach the user as a one-line message and exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: a name, a file, a flag. The CLI prints it and exits 2."""


class UnknownNameError(InputError):
    """A name not in a registry; the message lists the valid names."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = valid
        super().__init__(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(valid) or '(none)'}")


class StoreError(InputError):
    """The run store cannot be opened or read (corrupt file, wrong schema, unwritable folder)."""


class PluginError(InputError):
    """A plug-in (an entry point of another distribution) failed to load; one line says which."""
